/**
 * Upgrading a running environment through the service the REST API calls (POST
 * /api/v1/environments/{name}/upgrade), on the in-memory twins (test/support/engine-harness.ts):
 * rds-postgres 1.1.0 is published (a new parameter with a default), the database moves to it in
 * phases (its Workspace first; the app that reads it only once the Workspace is Available at its
 * new spec), rolls back with `to: 1.0.0`, and the refusals commit nothing. The test plays Argo CD
 * and provider-terraform; what was committed when is read back from the twins.
 */
import {
  ConflictError,
  InputError,
  environmentFile,
  manifestsDir,
  parseYamlDocument,
  stepFile,
  type EnvironmentDocument,
} from '../../src/core/index.js';
import type { RepoName } from '../../src/gitops/types.js';
import { OUTPUTS, stackRequest, useEngineHarness } from '../support/engine-harness.js';
import { rdsPostgresFiles } from '../support/examples.js';

const ENV = 'dev-upgrade';
const ALICE = { name: 'alice' };
const PLATFORM_TEAM = { name: 'platform-team' };

describe('Engine on the twins: upgrading a running environment', () => {
  const h = useEngineHarness();

  const subjects = (repo: RepoName) =>
    h()
      .commits(repo)
      .map((c) => c.subject);
  const request = () =>
    parseYamlDocument(h().file('platform', environmentFile(ENV))!) as unknown as EnvironmentDocument;
  const db = () => request().spec.catalogs.find((c) => c.name === 'db')!;
  const workspace = () => h().file('platform', stepFile(ENV, 'infra', 'db')) ?? '';
  const appManifests = () =>
    [...h().apps.remote.files()]
      .filter(([path]) => path.startsWith(`${manifestsDir(ENV, 'app')}/`))
      .map(([, content]) => content)
      .join('---\n');

  beforeEach(async () => {
    // GIVEN a Ready environment whose db runs rds-postgres 1.0.0, and 1.1.0 published since
    await h().create(stackRequest(ENV));
    await h().bringUp(ENV, OUTPUTS);
    expect(h().status(ENV)?.phase).toBe('Ready');
    expect(db()).toMatchObject({ entry: 'rds-postgres@^1', version: '1.0.0' });
    await h().service.catalog.publish(rdsPostgresFiles('1.1.0'), PLATFORM_TEAM);
  });

  it('a dry run shows the versions and a unified diff per file, and commits nothing', async () => {
    const commits = subjects('platform').length;
    const dry = await h().service.upgradeDryRun(ENV, {});
    expect(dry.upgrades).toEqual([
      { instance: 'db', index: 1, entry: 'rds-postgres', from: '1.0.0', to: '1.1.0' },
    ]);
    const files = Object.fromEntries(dry.files.map((f) => [`${f.repo}:${f.path}`, f]));
    expect(files[`platform:${environmentFile(ENV)}`]?.diff).toMatch(
      /^-\s+version: 1\.0\.0\n\+\s+version: 1\.1\.0$/m,
    );
    // The new parameter's default reaches the module, though the request does not name it
    expect(files[`platform:${stepFile(ENV, 'infra', 'db')}`]?.diff).toMatch(/^\+.*deletionProtection/m);
    expect(files[`platform:${stepFile(ENV, 'infra', 'network')}`]).toBeUndefined();
    expect(subjects('platform')).toHaveLength(commits);
  });

  it('moves the database to 1.1.0 first, the app that reads it once the Workspace is Available at its new spec; then rolls back', async () => {
    const before = { platform: subjects('platform').length, apps: subjects('apps').length };
    const appBefore = appManifests();
    const workspaceBefore = workspace();

    // WHEN alice upgrades the environment
    const answer = await h().service.upgrade(ENV, {}, ALICE);
    // THEN the answer already shows the database moving, not the Ready of the request before
    expect(answer.status.steps.find((s) => s.instance === 'db')).toMatchObject({
      phase: 'Progressing',
      reason: 'NotApplied',
    });
    expect(answer.status.phase).toBe('ProvisioningInfrastructure');
    await h().settle();

    // THEN one commit names her, the instance and the versions; the parameters are carried as they were
    expect(subjects('platform')[before.platform]).toBe(
      `envcat: upgrade environment ${ENV}: db rds-postgres 1.0.0 → 1.1.0 (by alice)`,
    );
    expect(db()).toMatchObject({ entry: 'rds-postgres@^1', version: '1.1.0' });
    expect(db().parameters).toEqual(
      (stackRequest(ENV) as unknown as EnvironmentDocument).spec.catalogs[1]!.parameters,
    );
    // THEN the Workspace is committed again (with the new default), and nothing of the apps yet
    expect(subjects('platform').slice(before.platform + 1)).toEqual([
      expect.stringMatching(new RegExp(`^envcat: ${ENV}: .*update.*db`)),
    ]);
    expect(workspace()).not.toBe(workspaceBefore);
    expect(workspace()).toContain('deletionProtection');
    expect(subjects('apps').slice(before.apps)).toEqual([]);
    expect(h().status(ENV)?.phase).not.toBe('Ready');

    // WHEN Argo CD applies the new Workspace: still nothing for the app (Ready speaks of the old spec)
    await h().applyStep(ENV, 'infra', 'db');
    await h().settle();
    expect(subjects('apps').slice(before.apps)).toEqual([]);
    expect(appManifests()).toBe(appBefore);

    // WHEN provider-terraform has applied it, with a new endpoint: THEN the app follows
    await h().markWorkspaceAvailable(ENV, 'db', { ...OUTPUTS.db, endpoint: 'orders-2.example.com' });
    await h().settle();
    expect(subjects('apps').slice(before.apps)).toHaveLength(1);
    expect(appManifests()).toContain('orders-2.example.com');
    await h().markApplicationSynced(ENV, 'app');
    await h().settle();
    expect(h().status(ENV)?.phase).toBe('Ready');

    // WHEN alice rolls back to 1.0.0: THEN the commit says so, and the Workspace is as it was
    const rollback = subjects('platform').length;
    await h().service.upgrade(ENV, { instance: 'db', to: '1.0.0' }, ALICE);
    await h().settle();
    expect(subjects('platform')[rollback]).toBe(
      `envcat: roll back environment ${ENV}: db rds-postgres 1.1.0 → 1.0.0 (by alice)`,
    );
    expect(db().version).toBe('1.0.0');
    expect(workspace()).toBe(workspaceBefore);
    const view = await h().service.get(ENV);
    expect(view.status.versions?.find((v) => v.instance === 'db')).toMatchObject({
      version: '1.0.0',
      update: { withinRange: '1.1.0' },
    });
  });

  it('nothing to move is no commit', async () => {
    await h().service.upgrade(ENV, {}, ALICE);
    await h().settle();
    const commits = subjects('platform').length;
    await h().service.upgrade(ENV, {}, ALICE);
    await h().service.upgrade(ENV, { instance: 'app' }, ALICE);
    expect(subjects('platform')).toHaveLength(commits);
  });

  it.each<[string, () => Promise<void>, { instance?: string; to?: string }, string, RegExp]>([
    [
      'a parameter the target version removed',
      async () => {
        const { status: _status, ...view } = structuredClone(await h().service.get(ENV));
        const sent = view as unknown as EnvironmentDocument;
        sent.spec.catalogs[1]!.parameters!.backupRetentionDays = 7;
        await h().service.update(ENV, sent, ALICE);
        await h().service.catalog.publish(rdsPostgresFiles('2.0.0'), PLATFORM_TEAM);
      },
      { instance: 'db', to: '2.0.0' },
      '/spec/catalogs/1/parameters/backupRetentionDays',
      /^is not a parameter of rds-postgres@2\.0\.0 \(1\.0\.0 had it\)/,
    ],
    [
      'a yanked version',
      async () => {
        await h().service.catalog.setVersionState({
          name: 'rds-postgres',
          version: '1.1.0',
          patch: { yanked: true },
          actor: PLATFORM_TEAM,
        });
      },
      { instance: 'db', to: '1.1.0' },
      '/to',
      /^rds-postgres@1\.1\.0 is yanked/,
    ],
    [
      'an instance it does not have',
      async () => undefined,
      { instance: 'cache' },
      '/instance',
      /no instance named "cache"/,
    ],
  ])('refuses %s with a 422 naming it, and commits nothing', async (_, given, upgrade, path, message) => {
    await given();
    const commits = subjects('platform').length;
    const error = await h()
      .service.upgrade(ENV, upgrade, ALICE)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).problems).toEqual([{ path, message: expect.stringMatching(message) }]);
    expect(subjects('platform')).toHaveLength(commits);
  });

  it('of an upgrade and an update from the same read at the same moment, exactly one lands', async () => {
    const { status: _status, ...view } = structuredClone(await h().service.get(ENV));
    const sent = view as unknown as EnvironmentDocument;
    sent.spec.catalogs[3]!.parameters = { ...sent.spec.catalogs[3]!.parameters, replicas: 3 };
    const outcomes = await Promise.allSettled([
      h().service.upgrade(ENV, {}, ALICE),
      h().service.update(ENV, sent, ALICE),
    ]);
    const lost = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
    expect(lost).toHaveLength(1);
    expect(lost[0]!.reason).toBeInstanceOf(ConflictError);
    // The one that landed is all that changed: the other's change is not in Git
    const landed = request();
    expect(
      [
        landed.spec.catalogs[1]!.version === '1.1.0',
        landed.spec.catalogs[3]!.parameters?.replicas === 3,
      ].sort(),
    ).toEqual([false, true]);
  });
});
