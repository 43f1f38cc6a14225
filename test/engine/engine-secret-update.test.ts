/**
 * New secret values for running instances through the service the REST API calls (PUT
 * /api/v1/environments/{name}), on the in-memory twins (test/support/engine-harness.ts): the
 * update commits a revision, never a value; the values go to the instance's Secret once the commit
 * landed; the steps that read the Secret are committed again at the revision only once the Secret
 * holds it, infrastructure first; an update cut off between its commit and its Secret write leaves
 * them waiting, and the same update sent again completes it. The test plays Argo CD and
 * provider-terraform; what was committed when is read back from the twins.
 */
import {
  ANNOTATION,
  ExternalError,
  InputError,
  SECRET_REVISION_ENV,
  TFVARS_KEY,
  environmentFile,
  manifestsDir,
  parseYamlDocument,
  stepFile,
  toYaml,
  type JsonValue,
} from '../../src/core/index.js';
import type { KubeObject } from '../../src/cluster/types.js';
import type { RepoName } from '../../src/gitops/types.js';
import type { EditableRequest } from '../support/editable-request.js';
import { OUTPUTS, SECRET, stackRequest, useEngineHarness } from '../support/engine-harness.js';

const ENV = 'dev-rotate';
const TESTER = { name: 'tester' };
/** The values at creation, and the new ones (each unique, so finding one anywhere is a leak). */
const DB_OLD = 'db-old-Secret-9f3a1c';
const DB_NEW = 'db-new-Secret-4e7b2d';
const APP_OLD = 'app-old-Secret-51c0de';
const APP_NEW = 'app-new-Secret-7a66f1';

describe('Engine on the twins: new secret values for a running environment', () => {
  const h = useEngineHarness();

  const subjects = (repo: RepoName) =>
    h()
      .commits(repo)
      .map((c) => c.subject);
  /** Every change set committed, also those grouped behind another in one commit (for counting them). */
  const changeSets = (repo: RepoName, since = 0) =>
    h()
      .commits(repo)
      .slice(since)
      .flatMap((c) => c.changeSets);
  const paramsSecret = (instance: string) =>
    h().cluster.get({ ...SECRET, name: `${ENV}-${instance}-params`, namespace: ENV });
  const value = (secret: KubeObject | undefined, key: string) =>
    Buffer.from(((secret?.data ?? {}) as Record<string, string>)[key] ?? '', 'base64').toString('utf8');
  const revisionOf = (secret: KubeObject | undefined) =>
    secret?.metadata.annotations?.[ANNOTATION.secretRevision];
  const workspaceFile = () => h().file('platform', stepFile(ENV, 'infra', 'db')) ?? '';
  const appFiles = () =>
    [...h().apps.remote.files()]
      .filter(
        ([path]) => path === stepFile(ENV, 'apps', 'app') || path.startsWith(`${manifestsDir(ENV, 'app')}/`),
      )
      .map(([, content]) => content)
      .join('---\n');
  const stepOf = (instance: string, part: 'infra' | 'apps') =>
    h()
      .status(ENV)
      ?.steps.find((s) => s.instance === instance && s.part === part);
  /** Every version of every file either repo ever held. */
  const history = () =>
    (['platform', 'apps'] as const)
      .flatMap((repo) =>
        h()
          .commits(repo)
          .map((c) => [...h()[repo].remote.files(c.sha).values()].join('\n')),
      )
      .join('\n');

  /** The environment as a client GETs it, and the request it would send back, with new values given. */
  async function edited(values: { db?: string; app?: string }): Promise<EditableRequest> {
    const view = (await h().service.get(ENV)) as unknown as EditableRequest;
    const { status: _status, ...request } = structuredClone(view);
    const instance = (name: string) => request.spec.catalogs.find((c) => c.name === name)!;
    if (values.db !== undefined) instance('db').parameters.masterPassword = values.db;
    if (values.app !== undefined) instance('app').parameters.databasePassword = values.app;
    return request;
  }

  beforeEach(async () => {
    // GIVEN a Ready environment: the db's master password is a Terraform variable (the Workspace
    // reads it from its -params Secret), the app's database password reaches its pods from its own
    const request = stackRequest(ENV) as {
      spec: { catalogs: Array<{ name: string; parameters: Record<string, JsonValue> }> };
    };
    request.spec.catalogs.find((c) => c.name === 'db')!.parameters.masterPassword = DB_OLD;
    request.spec.catalogs.find((c) => c.name === 'app')!.parameters.databasePassword = APP_OLD;
    await h().create(request as unknown as JsonValue);
    await h().bringUp(ENV, OUTPUTS);
    expect(h().status(ENV)?.phase).toBe('Ready');
    expect(value(await paramsSecret('db'), TFVARS_KEY)).toContain(DB_OLD);
  });

  it('commits a revision, writes the values after the commit, re-applies the Workspace, and the app only once it is Ready', async () => {
    const before = { platform: subjects('platform').length, apps: subjects('apps').length };
    const appBefore = appFiles();

    // WHEN both secrets get new values in one update
    await h().service.update(ENV, await edited({ db: DB_NEW, app: APP_NEW }), TESTER);

    // THEN environment.yaml names a revision per instance, and the commit names the parameters
    const request = parseYamlDocument(h().file('platform', environmentFile(ENV))!) as EditableRequest;
    expect(request.metadata.annotations).toMatchObject({
      'secret-revision.envcat.io/db': '1',
      'secret-revision.envcat.io/app': '1',
    });
    expect(request.spec.catalogs.find((c) => c.name === 'db')!.parameters.masterPassword).toEqual({
      fromSecret: { name: `${ENV}-db-params`, key: 'masterPassword' },
    });
    expect(subjects('platform').slice(before.platform)[0]).toBe(
      `envcat: update environment ${ENV} (new secret values: db (masterPassword), app (databasePassword)): ` +
        'network (vpc@1.0.0), db (rds-postgres@1.0.0), monitoring (datadog-agent@1.0.0), app (sample-app@1.0.0) (by tester)',
    );
    // THEN the Secrets hold the new values at that revision; the Workspace's tfvars too, written
    // by the engine before it committed the Workspace again, with the revision in its spec
    const db = await paramsSecret('db');
    expect(value(db, 'masterPassword')).toBe(DB_NEW);
    expect(value(db, TFVARS_KEY)).toContain(DB_NEW);
    expect(revisionOf(db)).toBe('1');
    expect(value(await paramsSecret('app'), 'databasePassword')).toBe(APP_NEW);
    const workspace = h().objectsIn('platform', stepFile(ENV, 'infra', 'db'))[0]!;
    expect((workspace.spec as { forProvider: { env?: unknown } }).forProvider.env).toEqual([
      { name: SECRET_REVISION_ENV, value: '1' },
    ]);
    expect(subjects('platform').slice(before.platform)).toEqual([
      expect.stringContaining('new secret values'),
      expect.stringMatching(new RegExp(`^envcat: ${ENV}: update, infrastructure: db `)),
    ]);
    // THEN the app waits for the db: not committed, though its own revision moved too
    expect(subjects('apps').slice(before.apps)).toEqual([]);
    expect(appFiles()).toBe(appBefore);
    expect(stepOf('db', 'infra')).toMatchObject({ phase: 'Progressing', reason: 'NotApplied' });

    // WHEN Argo CD applies the Workspace: a new generation, whose Ready provider-terraform has not said yet
    const applied = await h().applyStep(ENV, 'infra', 'db');
    await h().settle();
    expect(applied.metadata.generation).toBe(2);
    expect(subjects('apps').slice(before.apps)).toEqual([]);

    // WHEN provider-terraform has applied it (it read the new tfvars)
    await h().markWorkspaceAvailable(ENV, 'db', OUTPUTS.db);
    await h().settle();

    // THEN the app is committed at its revision: the Application and the Deployment's pod template
    expect(subjects('apps').slice(before.apps)).toHaveLength(1);
    const [application] = h().objectsIn('apps', stepFile(ENV, 'apps', 'app'));
    expect(application?.metadata.annotations?.[ANNOTATION.secretRevision]).toBe('1');
    const deployment = h()
      .objectsIn('apps', `${manifestsDir(ENV, 'app')}/deployment.yaml`)
      .find((o) => o.kind === 'Deployment') as
      { spec: { template: { metadata: { annotations?: object } } } } | undefined;
    expect(deployment?.spec.template.metadata.annotations).toEqual({ [ANNOTATION.secretRevision]: '1' });
    // THEN the monitoring and the network, whose values did not change, were not touched
    expect(
      [...h().commits('platform').slice(before.platform), ...h().commits('apps').slice(before.apps)]
        .flatMap((c) => c.files)
        .filter((f) => /\/(network|monitoring)/.test(f)),
    ).toEqual([]);
    await h().markApplicationSynced(ENV, 'app');
    await h().settle();
    expect(h().status(ENV)?.phase).toBe('Ready');
    // THEN no value, old or new, is in any version of any file of either repo
    for (const secret of [DB_OLD, DB_NEW, APP_OLD, APP_NEW]) expect(history()).not.toContain(secret);
  });

  it('an update cut off between its commit and its Secret write: the steps wait, and the same update sent again completes it', async () => {
    const request = await edited({ db: DB_NEW });
    const commits = subjects('platform').length;
    h().cluster.failNext('replace', new ExternalError('connection reset'), {
      where: { kind: 'Secret', name: `${ENV}-db-params` },
    });

    // WHEN the Secret write fails after the commit landed
    const error = await h()
      .service.update(ENV, request, TESTER)
      .catch((e: unknown) => e);
    await h().settle();

    // THEN the answer says what to do, without the value; Git names revision 1, the Secret holds 0
    expect((error as Error).message).toMatch(/committed.*send the same update again/);
    expect(JSON.stringify(error)).not.toContain(DB_NEW);
    expect((error as Error).message).not.toContain(DB_NEW);
    expect(subjects('platform').slice(commits)).toEqual([expect.stringContaining('new secret values: db')]);
    expect(revisionOf(await paramsSecret('db'))).toBeUndefined();
    expect(value(await paramsSecret('db'), 'masterPassword')).toBe(DB_OLD);
    // THEN the Workspace is not committed at the revision: it waits for the values, and says why
    expect(workspaceFile()).not.toContain(SECRET_REVISION_ENV);
    expect(stepOf('db', 'infra')).toMatchObject({ phase: 'Progressing', reason: 'SecretPending' });
    expect(stepOf('db', 'infra')?.message).toMatch(/send the same update again/);
    expect(h().status(ENV)?.phase).not.toBe('Ready');

    // WHEN the same update is sent again with the resourceVersion read before the commit THEN it
    // is stale (a 409, as the API server answers), and nothing is written
    await expect(h().service.update(ENV, request, TESTER)).rejects.toMatchObject({
      path: '/metadata/resourceVersion',
    });
    expect(value(await paramsSecret('db'), 'masterPassword')).toBe(DB_OLD);
    // WHEN it is sent again without one
    delete request.metadata.resourceVersion;
    await h().service.update(ENV, request, TESTER);
    await h().settle();

    // THEN nothing more is committed to environment.yaml; the values are written at revision 1,
    // and the Workspace follows
    expect(changeSets('platform').filter((m) => m.includes('new secret values'))).toHaveLength(1);
    const db = await paramsSecret('db');
    expect(value(db, 'masterPassword')).toBe(DB_NEW);
    expect(revisionOf(db)).toBe('1');
    expect(workspaceFile()).toContain(SECRET_REVISION_ENV);
    expect(stepOf('db', 'infra')).toMatchObject({ phase: 'Progressing', reason: 'NotApplied' });
  });

  it('an update that added an instance, cut off before its Secret: the same update sent again writes it, commits nothing', async () => {
    const request = await edited({});
    request.spec.catalogs.push({
      name: 'worker',
      entry: 'sample-app',
      parameters: { databasePassword: APP_NEW },
    } as EditableRequest['spec']['catalogs'][number]);
    h().cluster.failNext('create', new ExternalError('connection reset'), {
      where: { kind: 'Secret', name: `${ENV}-worker-params` },
    });
    await expect(h().service.update(ENV, request, TESTER)).rejects.toThrow();
    const commits = subjects('platform').length;
    expect(await paramsSecret('worker')).toBeUndefined();

    // WHEN the same update is sent again (without its now stale resourceVersion): Git refers to
    // the Secret already, which is missing
    delete request.metadata.resourceVersion;
    await h().service.update(ENV, request, TESTER);
    await h().settle();

    // THEN the Secret is written as a create writes it (no revision), and nothing more is committed to the request
    const worker = await paramsSecret('worker');
    expect(value(worker, 'databasePassword')).toBe(APP_NEW);
    expect(revisionOf(worker)).toBeUndefined();
    expect(changeSets('platform', commits).filter((m) => m.startsWith('envcat: update environment'))).toEqual(
      [],
    );
    expect(h().file('platform', environmentFile(ENV))).not.toContain('secret-revision');
  });

  it('the same value again changes nothing; a stale read with a new value is a 409', async () => {
    const commits = { platform: subjects('platform').length, apps: subjects('apps').length };
    const stale = await edited({ db: DB_NEW });
    const dry = await h().service.updateDryRun(ENV, await edited({ db: DB_OLD }));
    expect(dry.secrets).toBeUndefined();
    expect(dry.files).toEqual([]);
    await h().service.update(ENV, await edited({ db: DB_OLD }), TESTER);
    await h().settle();
    expect(subjects('platform')).toHaveLength(commits.platform);
    expect(revisionOf(await paramsSecret('db'))).toBeUndefined();

    // WHEN someone else changes the environment after the read, and the stale read is sent
    const other = await edited({});
    other.spec.catalogs.find((c) => c.name === 'app')!.parameters.replicas = 3;
    await h().service.update(ENV, other, TESTER);
    await expect(h().service.update(ENV, stale, TESTER)).rejects.toMatchObject({
      code: 'CONFLICT',
      path: '/metadata/resourceVersion',
    });
    expect(value(await paramsSecret('db'), 'masterPassword')).toBe(DB_OLD);
  });

  it('a dry run names the parameters whose values change and shows the revision in each file, never a value', async () => {
    const commits = subjects('platform').length;
    const dry = await h().service.updateDryRun(ENV, await edited({ db: DB_NEW }));
    expect(dry.secrets).toEqual([{ instance: 'db', parameters: ['masterPassword'] }]);
    const files = Object.fromEntries(dry.files.map((f) => [`${f.repo}:${f.path}`, f]));
    expect(files[`platform:${environmentFile(ENV)}`]?.diff).toMatch(
      /^\+\s+secret-revision\.envcat\.io\/db: "1"$/m,
    );
    expect(files[`platform:${stepFile(ENV, 'infra', 'db')}`]?.diff).toMatch(
      new RegExp(`^\\+\\s+- name: ${SECRET_REVISION_ENV}\\n\\+\\s+value: "1"$`, 'm'),
    );
    expect(Object.keys(files)).toEqual([
      `platform:${environmentFile(ENV)}`,
      `platform:${stepFile(ENV, 'infra', 'db')}`,
    ]);
    expect(JSON.stringify(dry)).not.toContain(DB_NEW);
    expect(JSON.stringify(dry)).not.toContain(DB_OLD);
    expect(subjects('platform')).toHaveLength(commits);
    expect(value(await paramsSecret('db'), 'masterPassword')).toBe(DB_OLD);
  });

  it('by hand through Git: a revision committed before the Secret holds it waits, and goes on once it does', async () => {
    // WHEN a person commits the next revision of db's secret values, before writing them
    const request = parseYamlDocument(h().file('platform', environmentFile(ENV))!) as EditableRequest;
    request.metadata.annotations = { 'secret-revision.envcat.io/db': '1' };
    await h().outsideCommit('platform', {
      write: [{ path: environmentFile(ENV), content: toYaml(request) }],
      message: `rotate the db password of ${ENV}`,
    });
    await h().pollGit();

    // THEN the Workspace waits, and says how to go on
    expect(workspaceFile()).not.toContain(SECRET_REVISION_ENV);
    expect(stepOf('db', 'infra')).toMatchObject({ phase: 'Progressing', reason: 'SecretPending' });
    expect(stepOf('db', 'infra')?.message).toContain(
      `kubectl annotate secret ${ENV}-db-params -n ${ENV} envcat.io/secret-revision=1 --overwrite`,
    );

    // WHEN they write the value to the Secret, and the revision it holds
    const secret = (await paramsSecret('db'))!;
    await h().cluster.replace({
      ...secret,
      metadata: { ...secret.metadata, annotations: { [ANNOTATION.secretRevision]: '1' } },
      data: { ...(secret.data as object), masterPassword: Buffer.from(DB_NEW).toString('base64') },
    });
    await h().settle();

    // THEN the engine writes the tfvars from it and commits the Workspace at the revision
    expect(value(await paramsSecret('db'), TFVARS_KEY)).toContain(DB_NEW);
    expect(workspaceFile()).toContain(SECRET_REVISION_ENV);
    expect(stepOf('db', 'infra')).toMatchObject({ phase: 'Progressing', reason: 'NotApplied' });
  });

  it('refuses a new value that does not fit the schema with a 422 at its pointer, without quoting it', async () => {
    const short = 'tooShort-7';
    const error = await h()
      .service.update(ENV, await edited({ db: short }), TESTER)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).problems).toEqual([
      { path: '/spec/catalogs/1/parameters/masterPassword', message: expect.any(String) },
    ]);
    expect(JSON.stringify((error as InputError).problems)).not.toContain(short);
    expect((error as Error).message).not.toContain(short);
    expect(value(await paramsSecret('db'), 'masterPassword')).toBe(DB_OLD);
  });
});
