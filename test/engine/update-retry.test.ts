/**
 * An update, upgrade or ttl patch cut off at one of its step boundaries (src/engine/boundaries.ts),
 * here by a boundary hook that throws where the kill -9 tests' hook kills the process, and the
 * client that got no answer sending the same request again. Sent with the resourceVersion it read
 * before, the retry is a 409 as the REST contract says (the request changed since: by the client's
 * own update); sent without one (as `envcat env apply` sends a file without it), it commits
 * nothing and writes the Secret of an instance the cut-off update added but did not get to write. The boundaries an update passes, in order. On the
 * in-memory twins (test/support/engine-harness.ts); test/server/crash-points-update.test.ts does
 * the same with `npm start` killed for real.
 */
import { environmentFile, stepFile, type JsonValue } from '../../src/core/index.js';
import type { Boundary } from '../../src/engine/boundaries.js';
import {
  APPLICATION,
  OUTPUTS,
  WORKSPACE,
  stackRequest,
  useEngineHarness,
} from '../support/engine-harness.js';
import type { EditableRequest } from '../support/editable-request.js';
import { rdsPostgresFiles } from '../support/examples.js';

const ENV = 'dev-retry';
const TESTER = { name: 'tester' };
const PASSWORD = 'first-password-0123';

/** Where the current test cuts a request off (the hook throws there, once), and every boundary passed. */
let cutAt: Boundary | undefined;
let passed: Boundary[] = [];
class CutOff extends Error {}

describe('Engine on the twins: an update cut off at a step boundary, sent again', () => {
  const h = useEngineHarness({
    atBoundary: (boundary) => {
      passed.push(boundary);
      if (boundary !== cutAt) return;
      cutAt = undefined;
      throw new CutOff(`cut off at ${boundary}`);
    },
  });
  /** The change sets committed that start with `prefix`, also those grouped behind another in one commit. */
  const changeSets = (prefix: string) =>
    h()
      .commits('platform')
      .flatMap((c) => c.changeSets)
      .filter((m) => m.startsWith(prefix));
  const passwordOf = async (instance: string) => {
    const secret = await h().cluster.get(h().parameterSecretRef(ENV, instance));
    const value = (secret?.data as Record<string, string> | undefined)?.masterPassword;
    return value === undefined ? undefined : Buffer.from(value, 'base64').toString();
  };

  /** The environment as a client GETs it, and the request it would send back. */
  async function read(): Promise<EditableRequest> {
    const { status: _status, ...request } = structuredClone(
      (await h().service.get(ENV)) as unknown as EditableRequest,
    );
    return request;
  }

  beforeEach(async () => {
    cutAt = undefined;
    const request = stackRequest(ENV) as unknown as EditableRequest;
    request.spec.catalogs.push({
      name: 'bucket',
      entry: 's3-bucket',
      parameters: { bucketName: 'dev-retry-b' },
    });
    await h().create(request as unknown as JsonValue);
    await h().bringUp(ENV, OUTPUTS);
    expect(h().status(ENV)?.phase).toBe('Ready');
    passed = [];
  });

  it('a PUT cut off after its commit is completed by the same request again without its stale resourceVersion: no second commit, the new Secret written', async () => {
    // GIVEN a PUT that adds db2 (a secret masterPassword), cut off right after its commit
    const sent = await read();
    sent.spec.catalogs.push({
      name: 'db2',
      entry: 'rds-postgres@^1',
      parameters: { databaseName: 'orders2', masterPassword: PASSWORD },
    });
    cutAt = 'update:committed';
    await expect(h().service.update(ENV, structuredClone(sent) as JsonValue, TESTER)).rejects.toThrow(CutOff);
    await h().settle();
    // …so db2 is in the committed request, its Secret is not written, and its step waits for it
    expect(h().file('platform', environmentFile(ENV))).toContain('name: db2');
    expect(await passwordOf('db2')).toBeUndefined();
    expect(h().file('platform', stepFile(ENV, 'infra', 'db2'))).toBeUndefined();
    expect(changeSets(`envcat: update environment ${ENV}`)).toHaveLength(1);

    // WHEN the client sends the same request again with the resourceVersion it read before THEN
    // that is a 409, as any stale resourceVersion is (the contract), and nothing is written
    await expect(h().service.update(ENV, structuredClone(sent) as JsonValue, TESTER)).rejects.toMatchObject({
      path: '/metadata/resourceVersion',
    });
    expect(await passwordOf('db2')).toBeUndefined();
    // WHEN it sends it again without a resourceVersion (as `env apply` sends a file)
    delete sent.metadata.resourceVersion;
    const record = await h().service.update(ENV, structuredClone(sent) as JsonValue, TESTER);
    await h().settle();

    // THEN it is answered, commits nothing more, and the Secret is written with the value sent
    expect(record.spec?.catalogs?.map((c) => c.name)).toContain('db2');
    expect(changeSets(`envcat: update environment ${ENV}`)).toHaveLength(1);
    expect(await passwordOf('db2')).toBe(PASSWORD);
    // …and the engine goes on: db2's Workspace is committed and gets Ready
    expect(h().file('platform', stepFile(ENV, 'infra', 'db2'))).toBeDefined();
    await h().markWorkspaceAvailable(ENV, 'db2', { endpoint: 'db2.example' });
    await h().settle();
    expect(h().steps(ENV)).toContain('db2/infra: Ready Available');

    // AND sent again once more, it is still a no-op that keeps the Secret
    await h().service.update(ENV, structuredClone(sent) as JsonValue, TESTER);
    expect(changeSets(`envcat: update environment ${ENV}`)).toHaveLength(1);
    // …but another secret value for the running db2 is no retry: a change of a secret value, with
    // its own commit (engine-secret-update.test.ts has the rest of it)
    const other = structuredClone(sent);
    other.spec.catalogs.find((c) => c.name === 'db2')!.parameters.masterPassword = 'another-password-0123';
    await h().service.update(ENV, other as JsonValue, TESTER);
    expect(changeSets(`envcat: update environment ${ENV}`)).toHaveLength(2);
    expect(await passwordOf('db2')).toBe('another-password-0123');
    // …and a stale resourceVersion with a change in it is a 409
    const changed = structuredClone(sent);
    changed.metadata.resourceVersion = (await read()).metadata.resourceVersion!.replace(/^./, (c) =>
      c === '0' ? '1' : '0',
    );
    delete changed.spec.catalogs.find((c) => c.name === 'db2')!.parameters.masterPassword;
    changed.spec.catalogs.find((c) => c.name === 'db2')!.parameters.allocatedStorage = 40;
    await expect(h().service.update(ENV, changed as JsonValue, TESTER)).rejects.toMatchObject({
      path: '/metadata/resourceVersion',
    });
  });

  it('a PUT cut off after its Secrets is answered by the same request again, without a commit', async () => {
    const sent = await read();
    sent.spec.catalogs.push({
      name: 'db2',
      entry: 'rds-postgres@^1',
      parameters: { databaseName: 'orders2', masterPassword: PASSWORD },
    });
    cutAt = 'update:secrets-written';
    await expect(h().service.update(ENV, structuredClone(sent) as JsonValue, TESTER)).rejects.toThrow(CutOff);
    expect(await passwordOf('db2')).toBe(PASSWORD);
    delete sent.metadata.resourceVersion;
    await h().service.update(ENV, structuredClone(sent) as JsonValue, TESTER);
    expect(changeSets(`envcat: update environment ${ENV}`)).toHaveLength(1);
    expect(await passwordOf('db2')).toBe(PASSWORD);
  });

  it('an update passes its boundaries in order: its commit, its Secrets, the changed steps, the removed apps, then infrastructure, the new wave, the removed Secrets', async () => {
    // GIVEN a PUT that changes db, adds db2, and removes monitoring (apps) and bucket (infrastructure)
    const sent = await read();
    sent.spec.catalogs = sent.spec.catalogs.filter((c) => c.name !== 'monitoring' && c.name !== 'bucket');
    sent.spec.catalogs.find((c) => c.name === 'db')!.parameters.allocatedStorage = 30;
    sent.spec.catalogs.push({
      name: 'db2',
      entry: 'rds-postgres@^1',
      parameters: { databaseName: 'orders2', masterPassword: PASSWORD },
    });
    await h().service.update(ENV, sent as JsonValue, TESTER);
    await h().settle();
    expect(passed).toEqual([
      'update:committed',
      'update:secrets-written',
      'update:steps-committed',
      'update:apps-removed',
      'update:infra-removed',
      'wave:committed',
    ]);
    expect(h().file('platform', stepFile(ENV, 'infra', 'bucket'))).toBeUndefined();
    expect(h().file('apps', stepFile(ENV, 'apps', 'monitoring'))).toBeUndefined();
    expect(h().file('platform', stepFile(ENV, 'infra', 'db2'))).toBeDefined();
    // (removing bucket's infrastructure did not wait for Argo CD: bucket had no Application)
    expect(await h().cluster.get({ ...WORKSPACE, name: `${ENV}-bucket`, namespace: ENV })).toBeDefined();
    // …and monitoring's Secret (its apiKey) stays while its Application is in the cluster
    const monitoringSecret = h().parameterSecretRef(ENV, 'monitoring');
    expect(await h().cluster.get(monitoringSecret)).toBeDefined();

    // WHEN Argo CD has deleted monitoring's Application, and provider-terraform destroyed bucket
    const application = { ...APPLICATION, name: `${ENV}-monitoring`, namespace: h().render.argocd.namespace };
    expect(await h().deleteObject(application)).toBe(true);
    expect(await h().deleteObject({ ...WORKSPACE, name: `${ENV}-bucket`, namespace: ENV })).toBe(true);
    await h().settle();
    // THEN the Secret of the removed instance goes, last
    expect(passed.at(-1)).toBe('update:secrets-deleted');
    expect(passed.filter((b) => b.startsWith('update:'))).toEqual([
      'update:committed',
      'update:secrets-written',
      'update:steps-committed',
      'update:apps-removed',
      'update:infra-removed',
      'update:secrets-deleted',
    ]);
    expect(await h().cluster.get(monitoringSecret)).toBeUndefined();
  });

  it('an upgrade cut off after its commit, sent again, is a no-op: the version is pinned already', async () => {
    await h().service.catalog.publish(rdsPostgresFiles('1.1.0'), { name: 'platform-team' });
    cutAt = 'update:committed';
    await expect(h().service.upgrade(ENV, { instance: 'db', to: '1.1.0' }, TESTER)).rejects.toThrow(CutOff);
    const record = await h().service.upgrade(ENV, { instance: 'db', to: '1.1.0' }, TESTER);
    expect(record.spec?.catalogs?.find((c) => c.name === 'db')?.version).toBe('1.1.0');
    expect(changeSets(`envcat: upgrade environment ${ENV}`)).toHaveLength(1);
    expect(passed).toEqual(['update:committed', 'update:secrets-written']);
  });

  it('a ttl patch cut off after its commit: sent again with the resourceVersion read before, a 409; without one, a no-op', async () => {
    const { metadata } = await read();
    cutAt = 'update:committed';
    const patch = { ttl: '48h', resourceVersion: metadata.resourceVersion! };
    await expect(h().service.patchTtl(ENV, patch, TESTER)).rejects.toThrow(CutOff);
    await expect(h().service.patchTtl(ENV, patch, TESTER)).rejects.toMatchObject({
      path: '/metadata/resourceVersion',
    });
    await h().service.patchTtl(ENV, { ttl: '48h' }, TESTER);
    expect(changeSets(`envcat: set the ttl to 48h of environment ${ENV}`)).toHaveLength(1);
  });
});
