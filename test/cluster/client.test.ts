/**
 * The client-node adapter (KubeClusterClient) over real HTTP against the simulated API server.
 */
import { ConflictError, ExternalError, InputError, NotFoundError } from '../../src/core/errors/index.js';
import { KubeClusterClient } from '../../src/cluster/client.js';
import { KindNotServedError } from '../../src/cluster/errors.js';
import type { KubeObject, ObjectRef } from '../../src/cluster/types.js';
import { type Harness, startHarness, workspace } from './support.js';

const WORKSPACE = { apiVersion: 'tf.m.upbound.io/v1beta1', kind: 'Workspace' };
const CLUSTER_WORKSPACE = { apiVersion: 'tf.upbound.io/v1beta1', kind: 'Workspace' };
const SECRET = { apiVersion: 'v1', kind: 'Secret' };
const CONFIG_MAP = { apiVersion: 'v1', kind: 'ConfigMap' };
const NAMESPACE = { apiVersion: 'v1', kind: 'Namespace' };
const APPLICATION = { apiVersion: 'argoproj.io/v1alpha1', kind: 'Application' };

let h: Harness;
let client: KubeClusterClient;

beforeAll(async () => {
  h = await startHarness();
  client = h.client;
  for (const name of ['dev', 'labels', 'apply', 'final'])
    await client.create({ ...NAMESPACE, metadata: { name } });
});

afterAll(() => h.close());

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection');
}

describe('discovery', () => {
  it('GIVEN a kind the server does not serve THEN every call fails with KindNotServedError', async () => {
    const ref = { apiVersion: 'example.com/v1', kind: 'Widget', name: 'w', namespace: 'dev' };
    expect(await rejection(client.get(ref))).toBeInstanceOf(KindNotServedError);
    expect(await rejection(client.delete(ref))).toBeInstanceOf(KindNotServedError);
    expect(await rejection(client.list({ apiVersion: 'v1', kind: 'Widget' }))).toBeInstanceOf(
      KindNotServedError,
    );
  });

  it('GIVEN the discovery documents THEN they describe groups, resources and status subresources', async () => {
    const json = async (path: string) => (await fetch(`${h.url}${path}`)).json();
    expect(await json('/api')).toMatchObject({ kind: 'APIVersions', versions: ['v1'] });
    const groups = (await json('/apis')) as {
      kind: string;
      groups: Array<{ name: string; preferredVersion: unknown }>;
    };
    expect(groups.kind).toBe('APIGroupList');
    expect(groups.groups.map((g) => g.name)).toEqual(
      expect.arrayContaining([
        'apps',
        'tf.m.upbound.io',
        'tf.upbound.io',
        'argoproj.io',
        'coordination.k8s.io',
      ]),
    );
    const tf = (await json('/apis/tf.m.upbound.io/v1beta1')) as { resources: Array<Record<string, unknown>> };
    expect(tf).toMatchObject({
      kind: 'APIResourceList',
      apiVersion: 'v1',
      groupVersion: 'tf.m.upbound.io/v1beta1',
    });
    expect(tf.resources).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          name: 'workspaces',
          kind: 'Workspace',
          namespaced: true,
          verbs: expect.arrayContaining(['watch', 'patch']),
        }),
        expect.objectContaining({
          name: 'workspaces/status',
          kind: 'Workspace',
          verbs: ['get', 'patch', 'update'],
        }),
        expect.objectContaining({ name: 'clusterproviderconfigs', namespaced: false }),
      ]),
    );
    const core = (await json('/api/v1')) as { resources: Array<{ name: string }> };
    expect(core.resources.map((r) => r.name)).toEqual(
      expect.arrayContaining(['namespaces', 'namespaces/status', 'secrets', 'configmaps']),
    );
    expect(await json('/version')).toMatchObject({ major: '1', gitVersion: expect.stringMatching(/^v1\./) });
    const unknown = await fetch(`${h.url}/apis/example.com/v1`);
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'the server could not find the requested resource',
      reason: 'NotFound',
      details: {},
      code: 404,
    });
  });
});

describe('CRUD', () => {
  it('GIVEN a namespaced custom kind THEN create, get, list, replace and delete work', async () => {
    const created = await client.create(workspace('crud', 'dev'));
    expect(created).toMatchObject({
      ...WORKSPACE,
      metadata: { name: 'crud', namespace: 'dev', generation: 1 },
    });
    expect(created.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(created.metadata.creationTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(created.metadata.resourceVersion).toMatch(/^\d+$/);

    const ref = { ...WORKSPACE, name: 'crud', namespace: 'dev' };
    expect(await client.get(ref)).toEqual(created);
    expect((await client.list(WORKSPACE, { namespace: 'dev' })).map((w) => w.metadata.name)).toContain(
      'crud',
    );

    const replaced = await client.replace({
      ...created,
      spec: { forProvider: { source: 'Inline', module: 'x' } },
    });
    expect(replaced.metadata.generation).toBe(2);
    expect(Number(replaced.metadata.resourceVersion)).toBeGreaterThan(
      Number(created.metadata.resourceVersion),
    );
    expect(replaced.metadata.uid).toBe(created.metadata.uid);

    expect(await client.delete(ref)).toBe(true);
    expect(await client.get(ref)).toBeUndefined();
    expect(await client.delete(ref)).toBe(false);
  });

  it('GIVEN a cluster-scoped Workspace THEN it has no namespace and lists across the cluster', async () => {
    const created = await client.create({
      ...CLUSTER_WORKSPACE,
      metadata: { name: 'dev-db' },
      spec: {
        forProvider: { source: 'Inline', module: '' },
        writeConnectionSecretToRef: { name: 's', namespace: 'dev' },
      },
    });
    expect(created.metadata.namespace).toBeUndefined();
    const ref = { ...CLUSTER_WORKSPACE, name: 'dev-db' };
    expect((await client.get(ref))?.spec).toEqual(created.spec);
    expect((await client.list(CLUSTER_WORKSPACE)).map((w) => w.metadata.name)).toEqual(['dev-db']);
    // the namespaced API of the same kind name is separate storage
    expect(await client.list(WORKSPACE, { namespace: 'dev' })).toEqual([]);
    expect(await client.delete(ref)).toBe(true);
  });

  it('GIVEN a Namespace THEN the server labels it and reports it Active', async () => {
    const created = await client.create({ ...NAMESPACE, metadata: { name: 'fresh' } });
    expect(created.metadata.labels).toEqual({ 'kubernetes.io/metadata.name': 'fresh' });
    expect(created.status).toEqual({ phase: 'Active' });
    expect(created.spec).toEqual({ finalizers: ['kubernetes'] });
    const names = (await client.list(NAMESPACE)).map((n) => n.metadata.name);
    expect(names).toEqual(expect.arrayContaining(['default', 'kube-system', 'dev', 'fresh']));
  });

  it('GIVEN a Secret with base64 data THEN it round-trips, and stringData is folded into data', async () => {
    const data = { password: Buffer.from('s3cr3t-value').toString('base64') };
    const created = await client.create({ ...SECRET, metadata: { name: 'creds', namespace: 'dev' }, data });
    expect(created).toMatchObject({ data, type: 'Opaque' });
    const ref = { ...SECRET, name: 'creds', namespace: 'dev' };
    const merged = await client.mergePatch(ref, { stringData: { user: 'admin' } });
    expect(merged.data).toEqual({ ...data, user: Buffer.from('admin').toString('base64') });
    expect(merged.stringData).toBeUndefined();
    expect((await client.get(ref))?.data).toEqual(merged.data);
  });

  it('GIVEN Secret data that is not base64 THEN an InputError that does not echo the value', async () => {
    const error = await rejection(
      client.create({
        ...SECRET,
        metadata: { name: 'bad', namespace: 'dev' },
        data: { key: 'not base64 hunter2!' },
      }),
    );
    expect(error).toBeInstanceOf(InputError);
    expect(error.message).toContain('illegal base64 data');
    expect(error.message).not.toContain('hunter2');
  });

  it('GIVEN a ConfigMap THEN create, merge patch and delete work', async () => {
    await client.create({
      ...CONFIG_MAP,
      metadata: { name: 'settings', namespace: 'dev' },
      data: { a: '1', b: '2' },
    });
    const ref = { ...CONFIG_MAP, name: 'settings', namespace: 'dev' };
    const patched = await client.mergePatch(ref, {
      metadata: { labels: { tier: 'x' } },
      data: { a: null, c: '3' },
    });
    expect(patched.data).toEqual({ b: '2', c: '3' });
    expect(patched.metadata.labels).toEqual({ tier: 'x' });
    const unlabelled = await client.mergePatch(ref, { metadata: { labels: { tier: null } } });
    expect(unlabelled.metadata.labels).toEqual({});
    expect(await client.delete(ref)).toBe(true);
  });

  it('GIVEN a Lease THEN its MicroTime fields stay strings (no Date conversion)', async () => {
    const renewTime = '2024-05-01T10:00:00.123456Z';
    const lease = await client.create({
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: 'leader', namespace: 'dev' },
      spec: { holderIdentity: 'a', leaseDurationSeconds: 15, renewTime },
    });
    expect(lease.spec).toMatchObject({ renewTime });
    expect(typeof lease.metadata.creationTimestamp).toBe('string');
    const renewed = await client.replace({
      ...lease,
      spec: { ...(lease.spec as object), holderIdentity: 'b' },
    });
    expect(renewed.spec).toMatchObject({ holderIdentity: 'b', renewTime });
  });
});

describe('errors', () => {
  const missing: ObjectRef = { ...WORKSPACE, name: 'missing', namespace: 'dev' };

  it.each<[string, () => Promise<unknown>, new (...args: never[]) => Error, string]>([
    [
      'replace of a missing object',
      () => client.replace(workspace('missing', 'dev')),
      NotFoundError,
      '"missing" not found',
    ],
    [
      'merge patch of a missing object',
      () => client.mergePatch(missing, { spec: {} }),
      NotFoundError,
      'not found',
    ],
    [
      'status of a missing object',
      () => client.replaceStatus(workspace('missing', 'dev')),
      NotFoundError,
      'not found',
    ],
    [
      'create in a missing namespace',
      () => client.create(workspace('w', 'nowhere')),
      NotFoundError,
      'namespaces "nowhere" not found',
    ],
    [
      'an invalid name',
      () => client.create(workspace('Not_Valid', 'dev')),
      InputError,
      'metadata.name: Invalid value: "Not_Valid"',
    ],
    [
      'a malformed label selector',
      () => client.list(WORKSPACE, { labelSelector: 'a in (' }),
      InputError,
      'invalid label selector',
    ],
    [
      'status of a kind without the subresource',
      () => client.replaceStatus({ ...CONFIG_MAP, metadata: { name: 'x', namespace: 'dev' } }),
      NotFoundError,
      'could not find the requested resource',
    ],
  ])('GIVEN %s THEN the typed error says so', async (_name, run, type, message) => {
    const error = await rejection(run());
    expect(error).toBeInstanceOf(type);
    expect(error.message).toContain(message);
  });

  it('GIVEN an invalid object THEN the InputError has one problem per cause, with JSON pointers', async () => {
    const error = (await rejection(
      client.create({
        ...CONFIG_MAP,
        metadata: { name: 'UPPER', namespace: 'dev', labels: { 'bad key': 'v' } },
        data: { 'no spaces': 'x' },
      }),
    )) as InputError;
    expect(error).toBeInstanceOf(InputError);
    expect(error.problems.map((p) => p.path)).toEqual([
      '/metadata/name',
      '/metadata/labels',
      '/data/no spaces',
    ]);
  });

  it('GIVEN delete preconditions THEN only the object with that uid is deleted (a rollback never removes a newer one)', async () => {
    // GIVEN a Secret that was deleted and created again under the same name (another request's)
    const ref = { ...SECRET, name: 'precondition', namespace: 'dev' };
    const first = await client.create({ ...SECRET, metadata: { name: ref.name, namespace: ref.namespace } });
    await client.delete(ref);
    const second = await client.create({ ...SECRET, metadata: { name: ref.name, namespace: ref.namespace } });
    // WHEN the first one's owner deletes it by its uid
    const stale = await rejection(client.delete(ref, { preconditions: { uid: String(first.metadata.uid) } }));
    // THEN it is a conflict and the newer Secret stays; with the newer uid it goes
    expect(stale).toBeInstanceOf(ConflictError);
    expect(stale.message).toMatch(/Precondition failed: UID/);
    expect((await client.get(ref))?.metadata.uid).toBe(second.metadata.uid);
    expect(await client.delete(ref, { preconditions: { uid: String(second.metadata.uid) } })).toBe(true);
    expect(await client.get(ref)).toBeUndefined();
  });

  it('GIVEN an existing name THEN create fails with ConflictError', async () => {
    await client.create(workspace('twice', 'dev'));
    const error = await rejection(client.create(workspace('twice', 'dev')));
    expect(error).toBeInstanceOf(ConflictError);
    expect(error.message).toContain('workspaces.tf.m.upbound.io "twice" already exists');
  });

  it('GIVEN a stale resourceVersion THEN replace and replaceStatus fail with ConflictError', async () => {
    const created = await client.create(workspace('stale', 'dev'));
    await client.replace({ ...created, metadata: { ...created.metadata, labels: { touched: 'yes' } } });
    for (const attempt of [client.replace(created), client.replaceStatus({ ...created, status: { x: 1 } })]) {
      const error = await rejection(attempt);
      expect(error).toBeInstanceOf(ConflictError);
      expect(error.message).toContain('the object has been modified');
    }
  });

  it('GIVEN no server THEN calls fail with ExternalError', async () => {
    const offline = KubeClusterClient.forServer({ url: 'http://127.0.0.1:9' });
    const error = await rejection(offline.get({ ...WORKSPACE, name: 'x', namespace: 'dev' }));
    expect(error).toBeInstanceOf(ExternalError);
  });
});

describe('generation and the status subresource', () => {
  it('GIVEN changes to spec, metadata and status THEN only spec changes bump generation', async () => {
    let object = await client.create(workspace('gen', 'dev'));
    const step = async (change: (o: KubeObject) => Promise<KubeObject>) => (object = await change(object));
    await step((o) =>
      client.replace({ ...o, metadata: { ...o.metadata, labels: { a: 'b' }, annotations: { x: 'y' } } }),
    );
    expect(object.metadata.generation).toBe(1);
    await step((o) =>
      client.replaceStatus({ ...o, status: { conditions: [{ type: 'Ready', status: 'False' }] } }),
    );
    expect(object.metadata.generation).toBe(1);
    await step(() =>
      client.mergePatch(
        { ...WORKSPACE, name: 'gen', namespace: 'dev' },
        { spec: { forProvider: { module: 'changed' } } },
      ),
    );
    expect(object.metadata.generation).toBe(2);
    await step((o) => client.replace(o));
    expect(object.metadata.generation).toBe(2);
  });

  it('GIVEN a kind with the status subresource THEN the main resource ignores status and /status ignores the rest', async () => {
    const created = await client.create({
      ...workspace('iso', 'dev'),
      status: { atProvider: { fake: true } },
    });
    expect(created.status).toBeUndefined();
    const withStatus = await client.replaceStatus({
      ...created,
      spec: { forProvider: { source: 'Inline', module: 'sneaky' } },
      metadata: { ...created.metadata, labels: { sneaky: 'yes' } },
      status: { conditions: [{ type: 'Ready', status: 'True', reason: 'Available' }] },
    });
    expect(withStatus.spec).toEqual(created.spec);
    expect(withStatus.metadata.labels).toBeUndefined();
    expect(withStatus.status).toEqual({
      conditions: [{ type: 'Ready', status: 'True', reason: 'Available' }],
    });

    const replaced = await client.replace({ ...withStatus, status: { conditions: [] } });
    expect(replaced.status).toEqual(withStatus.status);
    const patched = await client.mergePatch(
      { ...WORKSPACE, name: 'iso', namespace: 'dev' },
      { status: null },
    );
    expect(patched.status).toEqual(withStatus.status);
  });

  it('GIVEN a kind without the subresource (Application) THEN status is written with the object, without a generation bump', async () => {
    const app = await client.create({
      ...APPLICATION,
      metadata: { name: 'app', namespace: 'dev' },
      spec: { project: 'default' },
    });
    const synced = await client.replace({
      ...app,
      status: { sync: { status: 'Synced' }, health: { status: 'Healthy' } },
    });
    expect(synced.status).toEqual({ sync: { status: 'Synced' }, health: { status: 'Healthy' } });
    expect(synced.metadata.generation).toBe(1);
  });
});

describe('server-side apply', () => {
  const config = (data: Record<string, string>, labels?: Record<string, string>): KubeObject => ({
    ...CONFIG_MAP,
    metadata: { name: 'applied', namespace: 'apply', ...(labels ? { labels } : {}) },
    data,
  });
  const ref = { ...CONFIG_MAP, name: 'applied', namespace: 'apply' };

  it('GIVEN successive applies THEN fields are created, updated and removed per manager', async () => {
    const created = await client.apply(config({ a: '1', b: '2' }, { team: 'x' }));
    expect(created.data).toEqual({ a: '1', b: '2' });
    expect(created.metadata.managedFields).toEqual([
      expect.objectContaining({ manager: 'envcat', operation: 'Apply', fieldsType: 'FieldsV1' }),
    ]);

    // another manager adds its own field
    await client.apply(
      { ...CONFIG_MAP, metadata: { name: 'applied', namespace: 'apply' }, data: { theirs: 't' } },
      { fieldManager: 'other' },
    );

    const updated = await client.apply(config({ a: '10' }));
    expect(updated.data).toEqual({ a: '10', theirs: 't' });
    expect(updated.metadata.labels).toBeUndefined();
    expect((await client.get(ref))?.data).toEqual({ a: '10', theirs: 't' });
  });

  it('GIVEN an unchanged re-apply THEN nothing is written', async () => {
    const before = await client.apply(config({ a: '10' }));
    const after = await client.apply(config({ a: '10' }));
    expect(after.metadata.resourceVersion).toBe(before.metadata.resourceVersion);
  });

  it('GIVEN a field another manager applied THEN applying a different value conflicts unless forced', async () => {
    const error = await rejection(client.apply(config({ a: '10', theirs: 'mine now' })));
    expect(error).toBeInstanceOf(ConflictError);
    expect(error.message).toContain('conflict with "other": .data.theirs');
    const forced = await client.apply(config({ a: '10', theirs: 'mine now' }), { force: true });
    expect(forced.data).toEqual({ a: '10', theirs: 'mine now' });
  });

  it('GIVEN a field changed by a merge patch THEN a re-apply that drops it keeps the new value', async () => {
    await client.apply(config({ a: '10', owned: 'x' }), { force: true });
    await client.mergePatch(ref, { data: { owned: 'changed by hand' } });
    const reapplied = await client.apply(config({ a: '10' }), { force: true });
    expect(reapplied.data).toMatchObject({ owned: 'changed by hand' });
  });

  it('GIVEN a kind with the status subresource THEN an apply of the main resource leaves status alone', async () => {
    await client.create(workspace('ssa', 'apply'));
    await client.replaceStatus({
      ...(await client.get({ ...WORKSPACE, name: 'ssa', namespace: 'apply' }))!,
      status: { atProvider: { outputs: { ok: true } } },
    });
    const applied = await client.apply(
      { ...workspace('ssa', 'apply'), status: { atProvider: {} } },
      { fieldManager: 'envcat' },
    );
    expect(applied.status).toEqual({ atProvider: { outputs: { ok: true } } });
  });
});

describe('finalizers and namespace deletion', () => {
  it('GIVEN finalizers THEN delete only marks the object, and emptying them removes it', async () => {
    const created = await client.create({
      ...APPLICATION,
      metadata: { name: 'held', namespace: 'final', finalizers: ['resources-finalizer.argocd.argoproj.io'] },
      spec: { project: 'default' },
    });
    const ref = { ...APPLICATION, name: 'held', namespace: 'final' };
    expect(await client.delete(ref)).toBe(true);
    const marked = await client.get(ref);
    expect(marked?.metadata.deletionTimestamp).toEqual(expect.any(String));
    expect(marked?.metadata.generation).toBe(created.metadata.generation);
    expect(await client.delete(ref)).toBe(true);

    const adding = await rejection(
      client.mergePatch(ref, {
        metadata: { finalizers: ['resources-finalizer.argocd.argoproj.io', 'new.io/f'] },
      }),
    );
    expect(adding).toBeInstanceOf(InputError);
    expect(adding.message).toContain('no new finalizers can be added');

    await client.mergePatch(ref, { metadata: { finalizers: null } });
    expect(await client.get(ref)).toBeUndefined();
  });

  it('GIVEN a namespace with content THEN deleting it deletes everything in it, waiting for finalizers', async () => {
    await client.create({ ...NAMESPACE, metadata: { name: 'doomed' } });
    await client.create(workspace('free', 'doomed'));
    await client.create({ ...SECRET, metadata: { name: 's', namespace: 'doomed' }, data: {} });
    await client.create({
      ...workspace('held', 'doomed'),
      metadata: { name: 'held', namespace: 'doomed', finalizers: ['finalizer.example.com'] },
    });

    expect(await client.delete({ ...NAMESPACE, name: 'doomed' })).toBe(true);
    const terminating = await client.get({ ...NAMESPACE, name: 'doomed' });
    expect(terminating?.status).toEqual({ phase: 'Terminating' });
    expect(await client.list(SECRET, { namespace: 'doomed' })).toEqual([]);
    const left = await client.list(WORKSPACE, { namespace: 'doomed' });
    expect(left.map((w) => [w.metadata.name, typeof w.metadata.deletionTimestamp])).toEqual([
      ['held', 'string'],
    ]);

    const blocked = await rejection(client.create(workspace('late', 'doomed')));
    expect(blocked).toBeInstanceOf(ExternalError);
    expect(blocked.message).toContain('because it is being terminated');

    await client.mergePatch(
      { ...WORKSPACE, name: 'held', namespace: 'doomed' },
      { metadata: { finalizers: [] } },
    );
    expect(await client.get({ ...WORKSPACE, name: 'held', namespace: 'doomed' })).toBeUndefined();
    expect(await client.get({ ...NAMESPACE, name: 'doomed' })).toBeUndefined();
  });
});

describe('label selectors', () => {
  beforeAll(async () => {
    const labelled: Array<[string, Record<string, string>]> = [
      ['a', { env: 'dev', tier: 'db', replicas: '1' }],
      ['b', { env: 'dev', tier: 'app', replicas: '3' }],
      ['c', { env: 'prod', tier: 'app' }],
      ['d', {}],
    ];
    for (const [name, labels] of labelled)
      await client.create({ ...CONFIG_MAP, metadata: { name, namespace: 'labels', labels } });
  });

  it.each([
    ['', ['a', 'b', 'c', 'd']],
    ['env=dev', ['a', 'b']],
    ['env==prod', ['c']],
    ['env!=dev', ['c', 'd']],
    ['tier in (db,app)', ['a', 'b', 'c']],
    ['tier notin (app)', ['a', 'd']],
    ['env', ['a', 'b', 'c']],
    ['!env', ['d']],
    ['env=dev,tier=app', ['b']],
    ['replicas>2', ['b']],
  ])('GIVEN selector %j THEN list returns %j', async (labelSelector, names) => {
    const items = await client.list(CONFIG_MAP, { namespace: 'labels', labelSelector });
    expect(items.map((i) => i.metadata.name)).toEqual(names);
    expect(items.every((i) => i.kind === 'ConfigMap' && i.apiVersion === 'v1')).toBe(true);
  });

  it('GIVEN no namespace THEN list spans all namespaces', async () => {
    const items = await client.list(CONFIG_MAP, { labelSelector: 'env' });
    expect(items.map((i) => `${i.metadata.namespace}/${i.metadata.name}`)).toEqual([
      'labels/a',
      'labels/b',
      'labels/c',
    ]);
  });
});

describe('authentication', () => {
  let secured: Harness;
  beforeAll(async () => {
    secured = await startHarness({ token: 'sekret-token' });
  });
  afterAll(() => secured.close());

  it('GIVEN a server that requires a token THEN requests without it get 401 and with it succeed', async () => {
    const anonymous = KubeClusterClient.forServer({ url: secured.url });
    const wrong = KubeClusterClient.forServer({ url: secured.url, token: 'guess' });
    for (const attempt of [anonymous.list(NAMESPACE), wrong.list(NAMESPACE)]) {
      const error = await rejection(attempt);
      expect(error).toBeInstanceOf(ExternalError);
      expect(error.message).toContain('HTTP 401');
    }
    expect((await secured.client.list(NAMESPACE)).length).toBeGreaterThan(0);
    const raw = await fetch(`${secured.url}/api/v1/namespaces`);
    expect(raw.status).toBe(401);
    expect(await raw.json()).toMatchObject({ kind: 'Status', reason: 'Unauthorized', code: 401 });
    expect((await fetch(`${secured.url}/version`)).status).toBe(200);
  });
});
