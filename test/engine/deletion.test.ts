/**
 * The deletion pass: for each state of Git and the cluster, the one step it takes (core's
 * nextDeletionAction decides; this checks the commit, the status, the wait and the refresh that
 * carry it out), on fakes that record what they were asked.
 */
import type { Plan, ResolvedEnvironment, StepObservation } from '../../src/core/index.js';
import type { KubeObject, ObjectRef } from '../../src/cluster/types.js';
import type { CommitOptions } from '../../src/engine/committer.js';
import type { DesiredEnvironment } from '../../src/engine/desired-state.js';
import { Deletion } from '../../src/engine/deletion.js';
import { recordingLogger, recordingQueue } from './fakes.js';

interface World {
  platform?: readonly string[];
  /** environment.yaml at the platform remote when the pass reads it again (default: none). */
  remoteRequest?: string;
  apps?: readonly string[];
  claims?: readonly string[];
  applications?: readonly string[];
  workspaces?: readonly string[];
  secrets?: readonly string[];
  namespace?: { environment: string; terminating?: boolean };
}

const labelled = (kind: string, instance: string, environment = 'dev'): KubeObject => ({
  apiVersion: 'v1',
  kind,
  metadata: {
    name: `${environment}-${instance}`,
    namespace: 'dev',
    labels: { 'envcat.io/environment': environment, 'envcat.io/instance': instance },
  },
});

function setup(world: World) {
  const files: Record<string, readonly string[]> = { platform: world.platform ?? [], apps: world.apps ?? [] };
  const commits: CommitOptions[] = [];
  const published: string[] = [];
  const refreshed: string[] = [];
  const deletedObjects: string[] = [];
  const listed: string[] = [];
  const gone: string[] = [];
  const queue = recordingQueue();
  const log = recordingLogger();
  const deletion = new Deletion({
    view: {
      hasUnder: (repo, _env, dir) => files[repo]!.some((p) => p.startsWith(dir)),
      pathsOf: (repo) => new Set(files[repo]),
      claimsOf: () => [...(world.claims ?? [])],
    },
    platform: {
      sync: async () => ({ head: 'head', changed: false }) as never,
      readTree: async () =>
        new Map(
          world.remoteRequest === undefined
            ? []
            : [['environments/dev/environment.yaml', world.remoteRequest]],
        ),
    },
    applications: () => (world.applications ?? []).map((i) => labelled('Application', i)),
    workspaces: () => (world.workspaces ?? []).map((i) => labelled('Workspace', i)),
    cluster: {
      list: async (_type, options) => {
        listed.push(options?.labelSelector ?? '');
        return (world.secrets ?? []).map((name) => ({
          ...labelled('Secret', name),
          metadata: { name, namespace: 'dev', uid: `uid-${name}` },
        }));
      },
      delete: async (ref: ObjectRef, options?: { preconditions?: { uid?: string } }) => {
        deletedObjects.push(
          `${ref.kind}/${ref.namespace}/${ref.name}${options?.preconditions?.uid ? ` if uid ${options.preconditions.uid}` : ''}`,
        );
        return true;
      },
      get: async (ref: ObjectRef) =>
        world.namespace && ref.kind === 'Namespace'
          ? {
              apiVersion: 'v1',
              kind: 'Namespace',
              metadata: {
                name: ref.name,
                labels: { 'envcat.io/environment': world.namespace.environment },
                ...(world.namespace.terminating ? { deletionTimestamp: '2026-03-01T10:00:00Z' } : {}),
              },
            }
          : undefined,
    },
    observer: {
      observe: (_env, step): StepObservation => ({
        step,
        committed: true,
        state: { phase: 'Progressing', reason: 'Creating', message: '' },
      }),
    },
    board: {
      publishDeleting: (_name, steps, message) => void published.push(`${steps.length} step(s): ${message}`),
    },
    committer: {
      commit: async (options) => {
        commits.push(options);
        return 'sha';
      },
    },
    refresher: {
      // The interval a wait for Argo CD looks again after (ENVCAT_REFRESH_AGAIN; 10 s by default).
      againAfterMs: 3_000,
      ifStillWaiting: (env, repo) => {
        refreshed.push(`${repo}/${env}`);
        return { kind: 'none', synced: false };
      },
    },
    queue,
    onDeleted: (name) => void gone.push(name),
    logger: log.logger,
  });
  return { deletion, commits, published, refreshed, deletedObjects, listed, gone, queue, log };
}

const CLAIM = 'namespaces/dev/dev';
const ENV_FILES = ['environments/dev/environment.yaml', 'environments/dev/namespace.yaml'];

describe('Deletion.reconcile', () => {
  it.each([
    [
      'application files in Git: they go first',
      { platform: ENV_FILES, apps: ['environments/dev/apps/web.yaml'], applications: ['web'] },
      { repo: 'apps', remove: ['environments/dev/'], message: 'envcat: dev: delete applications' },
      '0 step(s): removing the applications',
      { added: ['dev'], after: [], refreshed: [] },
    ],
    [
      'Applications still live: wait for Argo CD',
      { platform: ENV_FILES, applications: ['web', 'api'] },
      undefined,
      '0 step(s): waiting for Argo CD to delete api, web',
      { added: [], after: [['dev', 3_000]], refreshed: ['apps/dev'] },
    ],
    [
      'infrastructure files and no plan: all of them at once',
      { platform: [...ENV_FILES, 'environments/dev/infra/db.yaml', 'environments/dev/infra/vpc.yaml'] },
      {
        repo: 'platform',
        remove: ['environments/dev/infra/db.yaml', 'environments/dev/infra/vpc.yaml'],
        message: 'envcat: dev: delete infrastructure of db, vpc',
        mustNotExist: ['environments/dev/environment.yaml'],
      },
      '0 step(s): the environment has no valid plan, so all infrastructure is removed at once: db, vpc',
      { added: ['dev'], after: [], refreshed: [] },
    ],
    [
      'Workspaces still live: wait for terraform destroy',
      { platform: ENV_FILES, workspaces: ['db'] },
      undefined,
      '0 step(s): the environment has no valid plan, so all infrastructure is removed at once; waiting for terraform destroy of db',
      { added: [], after: [['dev', 3_000]], refreshed: ['platform/dev'] },
    ],
    [
      'the environment files: removed, the claim kept',
      { platform: ENV_FILES, claims: [CLAIM] },
      {
        repo: 'platform',
        remove: ['environments/dev/'],
        message: 'envcat: dev: delete environment',
        mustNotExist: ['environments/dev/environment.yaml'],
      },
      '0 step(s): removing the environment files; its namespace goes next',
      { added: ['dev'], after: [], refreshed: [] },
    ],
    [
      'its Namespace still there: wait for Argo CD to delete it',
      { claims: [CLAIM], namespace: { environment: 'dev' } },
      undefined,
      '0 step(s): waiting for Argo CD to delete the namespace "dev" before releasing its claim',
      { added: [], after: [['dev', 2_000]], refreshed: ['platform/dev'] },
    ],
    [
      'its Namespace terminating: wait for it',
      { claims: [CLAIM], namespace: { environment: 'dev', terminating: true } },
      undefined,
      '0 step(s): waiting for the namespace "dev" to finish terminating before releasing its claim',
      { added: [], after: [['dev', 2_000]], refreshed: ['platform/dev'] },
    ],
  ] as const)('%s', async (_name, world, commit, status, next) => {
    const fixture = setup(world);
    // WHEN a pass runs over an environment whose request is gone
    await fixture.deletion.reconcile('dev', undefined);
    // THEN it takes this one step, says so, and comes back as the step needs
    expect(fixture.commits).toEqual(commit ? [{ environment: 'dev', ...commit }] : []);
    expect(fixture.published).toEqual([status]);
    expect(fixture.queue.added).toEqual(next.added);
    expect(fixture.queue.after).toEqual(next.after);
    expect(fixture.refreshed).toEqual(next.refreshed);
    expect(fixture.gone).toEqual([]);
  });

  it('deletes the Secrets left once nothing else is, and only then', async () => {
    const early = setup({ platform: ENV_FILES, workspaces: ['db'], secrets: ['dev-db-params'] });
    await early.deletion.reconcile('dev', undefined);
    expect(early.listed).toEqual([]);
    const fixture = setup({ platform: ENV_FILES, secrets: ['dev-db-params', 'dev-app-params'] });
    await fixture.deletion.reconcile('dev', undefined);
    expect(fixture.listed).toEqual(['app.kubernetes.io/managed-by=envcat,envcat.io/environment=dev']);
    // …each by its uid: a Secret written since (by a create of the same name) is not the one listed
    expect(fixture.deletedObjects).toEqual([
      'Secret/dev/dev-db-params if uid uid-dev-db-params',
      'Secret/dev/dev-app-params if uid uid-dev-app-params',
    ]);
    expect(fixture.published).toEqual(['0 step(s): deleting the secrets']);
  });

  it('deletes no Secret when the request at the remote is not the one the pass read (a create of the same name)', async () => {
    const fixture = setup({
      platform: ENV_FILES,
      secrets: ['dev-db-params'],
      remoteRequest: 'apiVersion: envcat.io/v1alpha1\nkind: Environment\nmetadata: {name: dev}\n',
    });
    await fixture.deletion.reconcile('dev', undefined);
    expect(fixture.deletedObjects).toEqual([]);
    expect(fixture.queue.added).toEqual(['dev']);
  });

  it.each([
    ['its Namespace gone', undefined],
    ['a Namespace of that name that another environment holds', { environment: 'other' }],
  ])('releases the claim once %s, and the environment is deleted', async (_name, namespace) => {
    const fixture = setup({ claims: [CLAIM], ...(namespace ? { namespace } : {}) });
    await fixture.deletion.reconcile('dev', undefined);
    expect(fixture.commits).toEqual([
      {
        environment: 'dev',
        repo: 'platform',
        remove: [CLAIM],
        message: 'envcat: dev: release namespace dev',
        mustNotExist: ['environments/dev/environment.yaml'],
      },
    ]);
    // (the engine logs "environment deleted" as it forgets it, once: onDeleted)
    expect(fixture.gone).toEqual(['dev']);
  });

  it('with a request read (deletion asked for, ttl run out), each platform commit holds only if the request is still what was read', async () => {
    const fixture = setup({ platform: ENV_FILES, claims: [CLAIM] });
    const source = 'apiVersion: envcat.io/v1alpha1\nkind: Environment\nmetadata: {name: dev}\n';
    await fixture.deletion.reconcile('dev', undefined, source);
    expect(fixture.commits).toEqual([
      {
        environment: 'dev',
        repo: 'platform',
        remove: ['environments/dev/'],
        message: 'envcat: dev: delete environment',
        mustMatch: [{ path: 'environments/dev/environment.yaml', content: source }],
      },
    ]);
  });

  it('forgets an environment with nothing left and no claim, without a commit', async () => {
    const fixture = setup({});
    await fixture.deletion.reconcile('dev', undefined);
    expect(fixture.commits).toEqual([]);
    expect(fixture.gone).toEqual(['dev']);
  });

  it('goes down the plan one wave at a time, showing the steps still there', async () => {
    // GIVEN a plan where db (wave 2) lives in vpc (wave 1)
    const step = (instance: string, wave: number) => ({
      id: `${instance}/infra`,
      instance,
      part: 'infra' as const,
      dependsOn: [],
      phase: 1 as const,
      wave,
    });
    const plan: Plan = {
      steps: [step('vpc', 1), step('db', 2)],
      waves: [
        { number: 1, phase: 1, part: 'infra', steps: ['vpc/infra'] },
        { number: 2, phase: 1, part: 'infra', steps: ['db/infra'] },
      ],
    };
    const desired: DesiredEnvironment = {
      name: 'dev',
      valid: true,
      environment: { name: 'dev' } as ResolvedEnvironment,
      plan,
      deletionRequested: true,
    };
    const fixture = setup({
      platform: [...ENV_FILES, 'environments/dev/infra/vpc.yaml', 'environments/dev/infra/db.yaml'],
    });
    await fixture.deletion.reconcile('dev', desired);
    // THEN the database goes before the VPC it is in
    expect(fixture.commits.map((c) => c.remove)).toEqual([['environments/dev/infra/db.yaml']]);
    expect(fixture.published).toEqual(['2 step(s): removing the infrastructure of wave 2: db; then vpc']);
  });
});
