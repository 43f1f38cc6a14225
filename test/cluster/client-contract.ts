/**
 * What every ClusterClient promises (src/cluster/types.ts), as one suite run against each
 * implementation (client-contract.test.ts: KubeClusterClient over HTTP against the simulated API
 * server, and the in-memory twin the engine's tests use). Everything is observed through the port.
 *
 * Errors are compared whole: the same class, `code`, `path` and message, as the real client builds
 * them from the server's Status. Informers promise that every change after start() is reported
 * once, in the order of the writes, transformed, with the cache already holding the change when
 * its handler runs; the real client reports it some time after the write resolves, the twin before
 * (`synchronousInformers`: then the suite checks the events without waiting for them).
 */
import {
  ConflictError,
  type EnvcatError,
  ExternalError,
  InputError,
  NotFoundError,
} from '../../src/core/errors/index.js';
import { KindNotServedError } from '../../src/cluster/index.js';
import type { ClusterClient, Informer, KubeObject, ObjectRef } from '../../src/cluster/types.js';

export interface ClusterContractSubject {
  /** A client on a cluster for this suite, with the namespace `default` and no objects of ours. */
  start(): Promise<ClusterClient>;
  /** Ends what start() started. */
  stop(): Promise<void>;
  /** True when a write's events reach the informers before the write's promise resolves. */
  synchronousInformers: boolean;
}

const WORKSPACE = { apiVersion: 'tf.m.upbound.io/v1beta1', kind: 'Workspace' };
const CLUSTER_WORKSPACE = { apiVersion: 'tf.upbound.io/v1beta1', kind: 'Workspace' };
const SECRET = { apiVersion: 'v1', kind: 'Secret' };
const CONFIG_MAP = { apiVersion: 'v1', kind: 'ConfigMap' };
const NAMESPACE = { apiVersion: 'v1', kind: 'Namespace' };
const APPLICATION = { apiVersion: 'argoproj.io/v1alpha1', kind: 'Application' };
const STALE = 'the object has been modified; please apply your changes to the latest version and try again';

function workspace(name: string, namespace: string, module = 'resource "null_resource" "x" {}'): KubeObject {
  return { ...WORKSPACE, metadata: { name, namespace }, spec: { forProvider: { source: 'Inline', module } } };
}

function configMap(
  name: string,
  namespace: string,
  data: Record<string, string>,
  labels?: Record<string, string>,
): KubeObject {
  return { ...CONFIG_MAP, metadata: { name, namespace, ...(labels ? { labels } : {}) }, data };
}

async function rejection(promise: Promise<unknown>): Promise<EnvcatError> {
  try {
    await promise;
  } catch (error) {
    return error as EnvcatError;
  }
  throw new Error('expected a rejection');
}

/** The error is of `type` with exactly this code, path and message. */
function expectError(
  error: unknown,
  type: new (...args: never[]) => EnvcatError,
  expected: { code: string; message: string; path?: string },
): void {
  expect(error).toBeInstanceOf(type);
  const { code, message, path } = error as EnvcatError;
  expect({ code, message, path }).toEqual({ path: undefined, ...expected });
}

interface Recorded {
  /** `TYPE namespace/name` per event, in delivery order. */
  events: string[];
  /** The objects the handlers were given, in the same order. */
  objects: KubeObject[];
  /** Whether the informer's cache held (or, for DELETED, no longer held) the object when its handler ran. */
  cacheAgreed: boolean[];
}

function record(informer: Informer): Recorded {
  const recorded: Recorded = { events: [], objects: [], cacheAgreed: [] };
  for (const type of ['ADDED', 'MODIFIED', 'DELETED'] as const)
    informer.on(type, (object: KubeObject) => {
      const { name, namespace } = object.metadata;
      recorded.events.push(`${type} ${namespace ? `${namespace}/` : ''}${name}`);
      recorded.objects.push(object);
      const cached = informer.get(name, namespace);
      recorded.cacheAgreed.push(type === 'DELETED' ? cached === undefined : cached !== undefined);
    });
  return recorded;
}

export function describeClusterClientContract(subject: ClusterContractSubject): void {
  let client: ClusterClient;
  let namespaces = 0;
  const informers: Informer[] = [];

  beforeAll(async () => {
    client = await subject.start();
  });
  afterEach(() => {
    for (const informer of informers.splice(0)) informer.stop();
  });
  afterAll(() => subject.stop());

  /** A namespace of this test's own. */
  async function freshNamespace(): Promise<string> {
    const name = `contract-${++namespaces}`;
    await client.create({ ...NAMESPACE, metadata: { name } });
    return name;
  }

  function informerOf(...args: Parameters<ClusterClient['informer']>): Informer {
    const informer = client.informer(...args);
    informers.push(informer);
    return informer;
  }

  /**
   * The events `recorded` holds once `count` have arrived (or 5 s passed: the caller's expectation
   * then shows what did). A synchronous subject is not waited for: they must be there already.
   */
  async function delivered(recorded: Recorded, count: number): Promise<string[]> {
    const deadline = Date.now() + 5_000;
    while (!subject.synchronousInformers && recorded.events.length < count && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 5));
    return recorded.events;
  }

  describe('create, read back, replace, delete', () => {
    it('GIVEN a new namespaced object THEN the server assigns uid, resourceVersion, creationTimestamp and generation 1, and get and list return it', async () => {
      const ns = await freshNamespace();
      const created = await client.create(workspace('crud', ns));
      expect(created).toMatchObject({
        ...WORKSPACE,
        metadata: { name: 'crud', namespace: ns, generation: 1 },
      });
      expect(created.spec).toEqual(workspace('crud', ns).spec);
      expect(created.metadata.uid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      expect(created.metadata.resourceVersion).toMatch(/^\d+$/);
      expect(created.metadata.creationTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      const ref = { ...WORKSPACE, name: 'crud', namespace: ns };
      expect(await client.get(ref)).toEqual(created);
      expect(await client.list(WORKSPACE, { namespace: ns })).toEqual([created]);
    });

    it('GIVEN a replace that changes the spec THEN resourceVersion grows, uid stays and generation is bumped; metadata changes do not bump it', async () => {
      const ns = await freshNamespace();
      const created = await client.create(workspace('gen', ns));
      const relabelled = await client.replace({
        ...created,
        metadata: { ...created.metadata, labels: { a: 'b' }, annotations: { x: 'y' } },
      });
      expect(relabelled.metadata.generation).toBe(1);
      expect(Number(relabelled.metadata.resourceVersion)).toBeGreaterThan(
        Number(created.metadata.resourceVersion),
      );
      const changed = await client.replace({ ...relabelled, spec: { forProvider: { module: 'changed' } } });
      expect(changed.metadata).toMatchObject({
        uid: created.metadata.uid,
        generation: 2,
        labels: { a: 'b' },
      });
      expect(changed.spec).toEqual({ forProvider: { module: 'changed' } });
      expect(await client.get({ ...WORKSPACE, name: 'gen', namespace: ns })).toEqual(changed);
    });

    it('GIVEN a replace or merge patch that changes nothing THEN nothing is written (the resourceVersion stays)', async () => {
      const ns = await freshNamespace();
      const created = await client.create(configMap('same', ns, { a: '1' }));
      expect((await client.replace(created)).metadata.resourceVersion).toBe(created.metadata.resourceVersion);
      const patched = await client.mergePatch(
        { ...CONFIG_MAP, name: 'same', namespace: ns },
        { data: { a: '1' } },
      );
      expect(patched).toEqual(created);
    });

    it('GIVEN an object THEN delete removes it once: true, then false', async () => {
      const ns = await freshNamespace();
      await client.create(workspace('gone', ns));
      const ref = { ...WORKSPACE, name: 'gone', namespace: ns };
      expect(await client.delete(ref)).toBe(true);
      expect(await client.get(ref)).toBeUndefined();
      expect(await client.list(WORKSPACE, { namespace: ns })).toEqual([]);
      expect(await client.delete(ref)).toBe(false);
    });

    it('GIVEN a cluster-scoped kind THEN its objects have no namespace, and the namespaced kind of the same name is other storage', async () => {
      const ns = await freshNamespace();
      const name = `${ns}-db`;
      const created = await client.create({
        ...CLUSTER_WORKSPACE,
        metadata: { name },
        spec: { forProvider: { source: 'Inline', module: '' } },
      });
      expect(created.metadata.namespace).toBeUndefined();
      expect(await client.get({ ...CLUSTER_WORKSPACE, name })).toEqual(created);
      expect((await client.list(CLUSTER_WORKSPACE)).map((w) => w.metadata.name)).toContain(name);
      expect(await client.list(WORKSPACE, { namespace: ns })).toEqual([]);
      expect(await client.delete({ ...CLUSTER_WORKSPACE, name })).toBe(true);
    });

    it('GIVEN objects returned by the client THEN changing them changes nothing in the cluster', async () => {
      const ns = await freshNamespace();
      const sent = configMap('copy', ns, { a: '1' });
      const created = await client.create(sent);
      (sent.data as Record<string, string>).a = 'sent changed';
      (created.data as Record<string, string>).a = 'created changed';
      const ref = { ...CONFIG_MAP, name: 'copy', namespace: ns };
      const read = await client.get(ref);
      expect(read?.data).toEqual({ a: '1' });
      (read!.data as Record<string, string>).a = 'read changed';
      expect((await client.list(CONFIG_MAP, { namespace: ns }))[0]?.data).toEqual({ a: '1' });
    });

    it('GIVEN a Namespace THEN it is labelled with its name and Active; a Secret gets type Opaque and its stringData folded into data', async () => {
      const ns = await freshNamespace();
      const namespace = await client.get({ ...NAMESPACE, name: ns });
      expect(namespace).toMatchObject({
        metadata: { labels: { 'kubernetes.io/metadata.name': ns } },
        status: { phase: 'Active' },
      });
      expect(await client.get({ ...NAMESPACE, name: 'default' })).toBeDefined();
      const secret = await client.create({
        ...SECRET,
        metadata: { name: 's', namespace: ns },
        stringData: { user: 'admin' },
      });
      expect(secret).toMatchObject({
        type: 'Opaque',
        data: { user: Buffer.from('admin').toString('base64') },
      });
      expect(secret.stringData).toBeUndefined();
    });
  });

  describe('typed errors', () => {
    it('GIVEN an existing name THEN create fails with ConflictError (AlreadyExists)', async () => {
      const ns = await freshNamespace();
      await client.create(workspace('twice', ns));
      expectError(await rejection(client.create(workspace('twice', ns))), ConflictError, {
        code: 'CONFLICT',
        message: `tf.m.upbound.io/v1beta1 Workspace ${ns}/twice: workspaces.tf.m.upbound.io "twice" already exists`,
      });
    });

    it('GIVEN a missing object THEN get is undefined, delete false, and replace, merge patch and replaceStatus fail with NotFoundError', async () => {
      const ns = await freshNamespace();
      const ref: ObjectRef = { ...WORKSPACE, name: 'missing', namespace: ns };
      const notFound = {
        code: 'NOT_FOUND',
        message: `tf.m.upbound.io/v1beta1 Workspace ${ns}/missing: workspaces.tf.m.upbound.io "missing" not found`,
      };
      expect(await client.get(ref)).toBeUndefined();
      expect(await client.delete(ref)).toBe(false);
      expectError(await rejection(client.replace(workspace('missing', ns))), NotFoundError, notFound);
      expectError(await rejection(client.mergePatch(ref, { spec: {} })), NotFoundError, notFound);
      expectError(await rejection(client.replaceStatus(workspace('missing', ns))), NotFoundError, notFound);
    });

    it('GIVEN a namespace that does not exist THEN create in it fails with NotFoundError naming the namespace', async () => {
      expectError(await rejection(client.create(workspace('w', 'nowhere'))), NotFoundError, {
        code: 'NOT_FOUND',
        message: 'tf.m.upbound.io/v1beta1 Workspace nowhere/w: namespaces "nowhere" not found',
      });
    });

    it('GIVEN a kind the cluster does not serve THEN every call fails with KindNotServedError, an informer when it starts', async () => {
      const type = { apiVersion: 'example.com/v1', kind: 'Widget' };
      const ref = { ...type, name: 'w', namespace: 'default' };
      const notServed = { code: 'NOT_FOUND', message: 'the cluster does not serve example.com/v1 Widget' };
      for (const call of [
        client.get(ref),
        client.list(type),
        client.delete(ref),
        client.create({ ...type, metadata: { name: 'w', namespace: 'default' } }),
        client.mergePatch(ref, {}),
        informerOf(type).start(),
      ])
        expectError(await rejection(call), KindNotServedError, notServed);
    });

    it('GIVEN an invalid name or label THEN an InputError with one problem per field, as JSON pointers', async () => {
      const ns = await freshNamespace();
      const error = (await rejection(
        client.create(configMap('UPPER', ns, { 'no spaces': 'x' }, { 'bad key': 'v' })),
      )) as InputError;
      expect(error).toBeInstanceOf(InputError);
      expect(error.code).toBe('INVALID_INPUT');
      expect(error.path).toBe('/metadata/name');
      expect(error.problems.map((p) => p.path)).toEqual([
        '/metadata/name',
        '/metadata/labels',
        '/data/no spaces',
      ]);
      expect(error.message).toMatch(
        new RegExp(
          `^v1 ConfigMap ${ns}/UPPER: ConfigMap "UPPER" is invalid: \\[metadata.name: Invalid value: "UPPER": `,
        ),
      );
    });

    it('GIVEN Secret data that is not base64 THEN an InputError that does not echo the value', async () => {
      const ns = await freshNamespace();
      const error = await rejection(
        client.create({
          ...SECRET,
          metadata: { name: 'bad', namespace: ns },
          data: { key: 'not base64 hunter2!' },
        }),
      );
      expectError(error, InputError, {
        code: 'INVALID_INPUT',
        path: '',
        message: `v1 Secret ${ns}/bad: illegal base64 data in data["key"]`,
      });
    });

    it('GIVEN a malformed label selector THEN list and informer() fail with InputError', async () => {
      const error = await rejection(client.list(CONFIG_MAP, { labelSelector: 'a in (' }));
      expect(error).toBeInstanceOf(InputError);
      expect(error.message).toContain('invalid label selector "a in ("');
      expect(() => client.informer(CONFIG_MAP, { labelSelector: 'a in (' })).toThrow(InputError);
    });
  });

  describe('optimistic concurrency (resourceVersion)', () => {
    it('GIVEN two replaces from the same read THEN exactly one wins and the other is a ConflictError', async () => {
      const ns = await freshNamespace();
      const read = await client.create(workspace('cas', ns));
      const outcomes = await Promise.allSettled([
        client.replace({ ...read, spec: { forProvider: { module: 'first' } } }),
        client.replace({ ...read, spec: { forProvider: { module: 'second' } } }),
      ]);
      const won = outcomes.filter((o): o is PromiseFulfilledResult<KubeObject> => o.status === 'fulfilled');
      const lost = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
      expect([won.length, lost.length]).toEqual([1, 1]);
      expectError(lost[0]!.reason, ConflictError, {
        code: 'CONFLICT',
        message: `tf.m.upbound.io/v1beta1 Workspace ${ns}/cas: Operation cannot be fulfilled on workspaces.tf.m.upbound.io "cas": ${STALE}`,
      });
      expect(await client.get({ ...WORKSPACE, name: 'cas', namespace: ns })).toEqual(won[0]!.value);
    });

    it('GIVEN a stale resourceVersion THEN replaceStatus and a merge patch carrying it fail; without one, replace and patch apply to the latest', async () => {
      const ns = await freshNamespace();
      const stale = await client.create(workspace('stale', ns));
      const ref = { ...WORKSPACE, name: 'stale', namespace: ns };
      const latest = await client.mergePatch(ref, { metadata: { labels: { touched: 'yes' } } });
      const conflict = {
        code: 'CONFLICT',
        message: `tf.m.upbound.io/v1beta1 Workspace ${ns}/stale: Operation cannot be fulfilled on workspaces.tf.m.upbound.io "stale": ${STALE}`,
      };
      expectError(
        await rejection(client.replaceStatus({ ...stale, status: { x: 1 } })),
        ConflictError,
        conflict,
      );
      expectError(
        await rejection(
          client.mergePatch(ref, {
            metadata: { resourceVersion: stale.metadata.resourceVersion, labels: { b: 'c' } },
          }),
        ),
        ConflictError,
        conflict,
      );
      const { resourceVersion: _rv, ...unversioned } = stale.metadata;
      const replaced = await client.replace({ ...stale, metadata: unversioned });
      expect(Number(replaced.metadata.resourceVersion)).toBeGreaterThan(
        Number(latest.metadata.resourceVersion),
      );
      expect(replaced.metadata.labels).toBeUndefined();
    });
  });

  describe('delete preconditions', () => {
    it('GIVEN an object deleted and created again under its name THEN a delete by the old uid is a ConflictError and the newer one stays', async () => {
      const ns = await freshNamespace();
      const ref = { ...SECRET, name: 'p', namespace: ns };
      const first = await client.create({ ...SECRET, metadata: { name: 'p', namespace: ns } });
      await client.delete(ref);
      const second = await client.create({ ...SECRET, metadata: { name: 'p', namespace: ns } });
      expectError(
        await rejection(client.delete(ref, { preconditions: { uid: first.metadata.uid! } })),
        ConflictError,
        {
          code: 'CONFLICT',
          message: `v1 Secret ${ns}/p: Operation cannot be fulfilled on secrets "p": Precondition failed: UID in precondition: ${first.metadata.uid}, UID in object meta: ${second.metadata.uid}`,
        },
      );
      expect((await client.get(ref))?.metadata.uid).toBe(second.metadata.uid);
      expect(await client.delete(ref, { preconditions: { uid: second.metadata.uid! } })).toBe(true);
      expect(await client.get(ref)).toBeUndefined();
    });

    it('GIVEN a resourceVersion precondition THEN only that version is deleted', async () => {
      const ns = await freshNamespace();
      const ref = { ...CONFIG_MAP, name: 'v', namespace: ns };
      const created = await client.create(configMap('v', ns, { a: '1' }));
      const changed = await client.mergePatch(ref, { data: { a: '2' } });
      const error = await rejection(
        client.delete(ref, { preconditions: { resourceVersion: created.metadata.resourceVersion! } }),
      );
      expectError(error, ConflictError, {
        code: 'CONFLICT',
        message: `v1 ConfigMap ${ns}/v: Operation cannot be fulfilled on configmaps "v": Precondition failed: ResourceVersion in precondition: ${created.metadata.resourceVersion}, ResourceVersion in object meta: ${changed.metadata.resourceVersion}`,
      });
      expect(
        await client.delete(ref, { preconditions: { resourceVersion: changed.metadata.resourceVersion! } }),
      ).toBe(true);
    });
  });

  describe('finalizers and namespaces', () => {
    it('GIVEN finalizers THEN delete only marks the object, none can be added, and removing the last one removes it', async () => {
      const ns = await freshNamespace();
      const ref = { ...APPLICATION, name: 'held', namespace: ns };
      const created = await client.create({
        ...APPLICATION,
        metadata: { name: 'held', namespace: ns, finalizers: ['resources-finalizer.argocd.argoproj.io'] },
        spec: { project: 'default' },
      });
      expect(await client.delete(ref)).toBe(true);
      const marked = await client.get(ref);
      expect(marked?.metadata.deletionTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      expect(marked?.metadata.generation).toBe(created.metadata.generation);
      expect(await client.delete(ref)).toBe(true);
      expect((await client.get(ref))?.metadata.resourceVersion).toBe(marked?.metadata.resourceVersion);

      const adding = await rejection(
        client.mergePatch(ref, {
          metadata: { finalizers: ['resources-finalizer.argocd.argoproj.io', 'new.io/f'] },
        }),
      );
      expect(adding).toBeInstanceOf(InputError);
      expect(adding.path).toBe('/metadata/finalizers');
      expect(adding.message).toContain('no new finalizers can be added if the object is being deleted');

      await client.mergePatch(ref, { metadata: { finalizers: null } });
      expect(await client.get(ref)).toBeUndefined();
    });

    it('GIVEN a Namespace with finalizers THEN deleting it deletes its content, and it stays Terminating, closed to new content, until they are removed', async () => {
      const ns = `contract-ns-${++namespaces}`;
      await client.create({ ...NAMESPACE, metadata: { name: ns, finalizers: ['envcat.io/test'] } });
      await client.create(workspace('free', ns));
      await client.create({ ...SECRET, metadata: { name: 's', namespace: ns } });

      expect(await client.delete({ ...NAMESPACE, name: ns })).toBe(true);
      const terminating = await client.get({ ...NAMESPACE, name: ns });
      expect(terminating?.metadata.deletionTimestamp).toEqual(expect.any(String));
      expect(terminating?.status).toEqual({ phase: 'Terminating' });
      expect(await client.list(WORKSPACE, { namespace: ns })).toEqual([]);
      expect(await client.list(SECRET, { namespace: ns })).toEqual([]);
      const blocked = await rejection(client.create(workspace('late', ns)));
      expect(blocked).toBeInstanceOf(ExternalError);
      expect(blocked.message).toBe(
        `tf.m.upbound.io/v1beta1 Workspace ${ns}/late: workspaces.tf.m.upbound.io "late" is forbidden: unable to create new content in namespace ${ns} because it is being terminated (HTTP 403)`,
      );

      await client.mergePatch({ ...NAMESPACE, name: ns }, { metadata: { finalizers: null } });
      expect(await client.get({ ...NAMESPACE, name: ns })).toBeUndefined();
    });

    it('GIVEN a Namespace holding an object with finalizers THEN it goes only with that object', async () => {
      const ns = await freshNamespace();
      await client.create({
        ...workspace('held', ns),
        metadata: { name: 'held', namespace: ns, finalizers: ['x.io/f'] },
      });
      await client.delete({ ...NAMESPACE, name: ns });
      expect(
        (await client.list(WORKSPACE, { namespace: ns })).map((w) => w.metadata.deletionTimestamp),
      ).toEqual([expect.any(String)]);
      expect(await client.get({ ...NAMESPACE, name: ns })).toBeDefined();
      await client.mergePatch(
        { ...WORKSPACE, name: 'held', namespace: ns },
        { metadata: { finalizers: [] } },
      );
      expect(await client.get({ ...WORKSPACE, name: 'held', namespace: ns })).toBeUndefined();
      expect(await client.get({ ...NAMESPACE, name: ns })).toBeUndefined();
    });
  });

  describe('the status subresource', () => {
    it('GIVEN a kind with it THEN create and writes to the object leave status alone, and replaceStatus changes status only', async () => {
      const ns = await freshNamespace();
      const ref = { ...WORKSPACE, name: 'iso', namespace: ns };
      const created = await client.create({
        ...workspace('iso', ns),
        status: { atProvider: { fake: true } },
      });
      expect(created.status).toBeUndefined();
      const conditions = [{ type: 'Ready', status: 'True', reason: 'Available' }];
      const withStatus = await client.replaceStatus({
        ...created,
        spec: { forProvider: { module: 'sneaky' } },
        metadata: { ...created.metadata, labels: { sneaky: 'yes' } },
        status: { conditions },
      });
      expect(withStatus.spec).toEqual(created.spec);
      expect(withStatus.metadata.labels).toBeUndefined();
      expect(withStatus.metadata.generation).toBe(1);
      expect(withStatus.status).toEqual({ conditions });

      const replaced = await client.replace({
        ...withStatus,
        spec: { forProvider: { module: 'new' } },
        status: {},
      });
      expect(replaced.status).toEqual({ conditions });
      expect(replaced.metadata.generation).toBe(2);
      expect((await client.mergePatch(ref, { status: null })).status).toEqual({ conditions });
      expect((await client.get(ref))?.status).toEqual({ conditions });
    });

    it('GIVEN a kind without it THEN status is written with the object, and replaceStatus finds no such resource', async () => {
      const ns = await freshNamespace();
      const app = await client.create({
        ...APPLICATION,
        metadata: { name: 'app', namespace: ns },
        spec: { project: 'default' },
      });
      const synced = await client.replace({ ...app, status: { sync: { status: 'Synced' } } });
      expect(synced.status).toEqual({ sync: { status: 'Synced' } });
      expect(synced.metadata.generation).toBe(1);
      const patched = await client.mergePatch(
        { ...APPLICATION, name: 'app', namespace: ns },
        { status: { sync: null, health: { status: 'Healthy' } } },
      );
      expect(patched.status).toEqual({ health: { status: 'Healthy' } });

      await client.create(configMap('x', ns, {}));
      expectError(
        await rejection(client.replaceStatus({ ...configMap('x', ns, {}), status: {} })),
        NotFoundError,
        {
          code: 'NOT_FOUND',
          message: `v1 ConfigMap ${ns}/x: the server could not find the requested resource`,
        },
      );
    });
  });

  describe('merge patch (RFC 7386)', () => {
    it('GIVEN a nested patch THEN maps merge, null removes a key, and lists are replaced whole', async () => {
      const ns = await freshNamespace();
      const ref = { ...APPLICATION, name: 'm', namespace: ns };
      await client.create({
        ...APPLICATION,
        metadata: { name: 'm', namespace: ns, labels: { keep: 'k', drop: 'd' }, annotations: { a: '1' } },
        spec: {
          project: 'default',
          syncPolicy: { syncOptions: ['A=true', 'B=true'], automated: { prune: true } },
        },
      });
      const patched = await client.mergePatch(ref, {
        metadata: { labels: { drop: null, add: 'x' }, annotations: null },
        spec: { syncPolicy: { syncOptions: ['C=true'], automated: null, retry: { limit: 2 } } },
      });
      expect(patched.metadata.labels).toEqual({ keep: 'k', add: 'x' });
      expect(patched.metadata.annotations).toBeUndefined();
      expect(patched.spec).toEqual({
        project: 'default',
        syncPolicy: { syncOptions: ['C=true'], retry: { limit: 2 } },
      });
      expect(await client.get(ref)).toEqual(patched);
    });

    it('GIVEN a patch naming another object THEN it still patches the object of the ref', async () => {
      const ns = await freshNamespace();
      await client.create(configMap('target', ns, { a: '1' }));
      const patched = await client.mergePatch(
        { ...CONFIG_MAP, name: 'target', namespace: ns },
        { metadata: { name: 'elsewhere' }, data: { b: '2' } },
      );
      expect(patched.metadata.name).toBe('target');
      expect(patched.data).toEqual({ a: '1', b: '2' });
      expect(await client.get({ ...CONFIG_MAP, name: 'elsewhere', namespace: ns })).toBeUndefined();
    });
  });

  describe('server-side apply', () => {
    it('GIVEN successive applies THEN the object is created, then fields are updated and those no longer applied removed', async () => {
      const ns = await freshNamespace();
      const ref = { ...CONFIG_MAP, name: 'applied', namespace: ns };
      const created = await client.apply(configMap('applied', ns, { a: '1', b: '2' }, { team: 'x' }));
      expect(created).toMatchObject({
        metadata: { labels: { team: 'x' }, generation: 1 },
        data: { a: '1', b: '2' },
      });
      expect(await client.get(ref)).toEqual(created);

      const updated = await client.apply(configMap('applied', ns, { a: '10' }));
      expect(updated.data).toEqual({ a: '10' });
      expect(updated.metadata.labels).toBeUndefined();
      expect(updated.metadata.uid).toBe(created.metadata.uid);
      expect(await client.get(ref)).toEqual(updated);

      const again = await client.apply(configMap('applied', ns, { a: '10' }));
      expect(again.metadata.resourceVersion).toBe(updated.metadata.resourceVersion);
    });

    it('GIVEN fields of another manager THEN an apply keeps them, conflicts on a different value, and takes them over when forced', async () => {
      const ns = await freshNamespace();
      await client.apply(configMap('shared', ns, { mine: '1' }));
      await client.apply(configMap('shared', ns, { theirs: 't' }), { fieldManager: 'other' });
      const kept = await client.apply(configMap('shared', ns, { mine: '2' }));
      expect(kept.data).toEqual({ mine: '2', theirs: 't' });

      expectError(
        await rejection(client.apply(configMap('shared', ns, { mine: '2', theirs: 'x' }))),
        ConflictError,
        {
          code: 'CONFLICT',
          message: `v1 ConfigMap ${ns}/shared: Apply failed with 1 conflict: conflict with "other": .data.theirs`,
        },
      );
      const forced = await client.apply(configMap('shared', ns, { mine: '2', theirs: 'x' }), { force: true });
      expect(forced.data).toEqual({ mine: '2', theirs: 'x' });
    });

    it('GIVEN a field changed by a merge patch THEN a re-apply that drops it keeps the new value', async () => {
      const ns = await freshNamespace();
      await client.apply(configMap('hand', ns, { a: '1', owned: 'x' }));
      await client.mergePatch({ ...CONFIG_MAP, name: 'hand', namespace: ns }, { data: { owned: 'by hand' } });
      const reapplied = await client.apply(configMap('hand', ns, { a: '1' }));
      expect(reapplied.data).toEqual({ a: '1', owned: 'by hand' });
    });

    it('GIVEN a kind with the status subresource THEN an apply leaves status alone', async () => {
      const ns = await freshNamespace();
      const created = await client.apply(workspace('ssa', ns));
      await client.replaceStatus({ ...created, status: { atProvider: { outputs: { ok: true } } } });
      const applied = await client.apply({ ...workspace('ssa', ns, 'changed'), status: { atProvider: {} } });
      expect(applied.status).toEqual({ atProvider: { outputs: { ok: true } } });
      expect(applied.spec).toEqual(workspace('ssa', ns, 'changed').spec);
      expect(applied.metadata.generation).toBe(2);
    });
  });

  describe('label selectors', () => {
    let ns: string;
    let other: string;
    beforeAll(async () => {
      ns = await freshNamespace();
      other = await freshNamespace();
      const labelled: Array<[string, Record<string, string>]> = [
        ['a', { env: 'dev', tier: 'db', replicas: '1' }],
        ['b', { env: 'dev', tier: 'app', replicas: '3' }],
        ['c', { env: 'prod', tier: 'app' }],
        ['d', {}],
      ];
      for (const [name, labels] of labelled) await client.create(configMap(name, ns, {}, labels));
      await client.create(configMap('e', other, {}, { env: 'dev', suite: other }));
      await client.create(configMap('f', ns, {}, { suite: other }));
    });

    it.each([
      ['', ['a', 'b', 'c', 'd', 'f']],
      ['env=dev', ['a', 'b']],
      ['env==prod', ['c']],
      ['env!=dev', ['c', 'd', 'f']],
      ['tier in (db,app)', ['a', 'b', 'c']],
      ['tier notin (app)', ['a', 'd', 'f']],
      ['env', ['a', 'b', 'c']],
      ['!env', ['d', 'f']],
      ['env=dev,tier=app', ['b']],
      ['replicas>2', ['b']],
    ])('GIVEN selector %j THEN list in the namespace returns %j', async (labelSelector, names) => {
      const items = await client.list(CONFIG_MAP, { namespace: ns, labelSelector });
      expect(items.map((i) => i.metadata.name)).toEqual(names);
      expect(items.every((i) => i.kind === 'ConfigMap' && i.apiVersion === 'v1')).toBe(true);
    });

    it('GIVEN no namespace THEN list spans all namespaces, in namespace then name order', async () => {
      const items = await client.list(CONFIG_MAP, { labelSelector: `suite=${other}` });
      expect(items.map((i) => `${i.metadata.namespace}/${i.metadata.name}`)).toEqual(
        [`${other}/e`, `${ns}/f`].sort(),
      );
    });
  });

  describe('informers', () => {
    /** Keeps identity, labels, deletion mark and status; drops the spec, and marks what it kept. */
    const slim = (object: KubeObject): KubeObject => ({
      apiVersion: object.apiVersion,
      kind: object.kind,
      metadata: {
        name: object.metadata.name,
        ...(object.metadata.namespace ? { namespace: object.metadata.namespace } : {}),
        resourceVersion: object.metadata.resourceVersion,
        ...(object.metadata.labels ? { labels: object.metadata.labels } : {}),
        ...(object.metadata.deletionTimestamp
          ? { deletionTimestamp: object.metadata.deletionTimestamp }
          : {}),
      },
      ...(object.status === undefined ? {} : { status: object.status }),
      slim: true,
    });

    it('GIVEN a started informer THEN it holds the initial list, transformed, and reports each later change once, in order, transformed', async () => {
      const ns = await freshNamespace();
      await client.create(workspace('before', ns));
      const informer = informerOf(WORKSPACE, { namespace: ns, transform: slim });
      const recorded = record(informer);
      await informer.start();
      expect(informer.list()).toEqual([
        slim((await client.get({ ...WORKSPACE, name: 'before', namespace: ns }))!),
      ]);
      expect(recorded.events).toEqual([]);

      const created = await client.create(workspace('after', ns));
      const patched = await client.mergePatch(
        { ...WORKSPACE, name: 'before', namespace: ns },
        { metadata: { labels: { x: 'y' } } },
      );
      const status = await client.replaceStatus({ ...created, status: { atProvider: { ok: true } } });
      await client.delete({ ...WORKSPACE, name: 'after', namespace: ns });
      expect(await delivered(recorded, 4)).toEqual([
        `ADDED ${ns}/after`,
        `MODIFIED ${ns}/before`,
        `MODIFIED ${ns}/after`,
        `DELETED ${ns}/after`,
      ]);
      expect(recorded.objects.slice(0, 3)).toEqual([slim(created), slim(patched), slim(status)]);
      expect(recorded.objects[3]).toMatchObject({ slim: true, metadata: { name: 'after', namespace: ns } });
      expect(recorded.cacheAgreed).toEqual([true, true, true, true]);
      expect(informer.list()).toEqual([slim(patched)]);
      expect(informer.get('before', ns)).toEqual(slim(patched));
      expect(informer.get('after', ns)).toBeUndefined();
    });

    it('GIVEN onlyChanges THEN an update of only what the transform drops is cached but not reported; without, it is', async () => {
      const ns = await freshNamespace();
      await client.create(workspace('w', ns));
      const ref = { ...WORKSPACE, name: 'w', namespace: ns };
      // keeps the labels, drops the annotations (as the engine's caches drop Argo CD's status details)
      const withoutAnnotations = (object: KubeObject): KubeObject => {
        const { annotations: _dropped, ...metadata } = object.metadata;
        return { ...object, metadata };
      };
      const informer = informerOf(WORKSPACE, {
        namespace: ns,
        transform: withoutAnnotations,
        onlyChanges: true,
      });
      const every = informerOf(WORKSPACE, { namespace: ns, transform: withoutAnnotations });
      const everyRecorded = record(every);
      await every.start();
      const recorded = record(informer);
      await informer.start();
      await client.mergePatch(ref, { metadata: { annotations: { seen: 'now' } } });
      const kept = await client.mergePatch(ref, { metadata: { labels: { kept: 'yes' } } });
      // events come in order: once the second is there, the first was cached before it
      expect(await delivered(recorded, 1)).toEqual([`MODIFIED ${ns}/w`]);
      expect(recorded.objects).toEqual([withoutAnnotations(kept)]);
      expect(informer.get('w', ns)).toEqual(withoutAnnotations(kept));
      expect(await delivered(everyRecorded, 2)).toEqual([`MODIFIED ${ns}/w`, `MODIFIED ${ns}/w`]);
    });

    it('GIVEN an index label THEN indexed() holds the objects by its value, from the list and every change after', async () => {
      const ns = await freshNamespace();
      const labelled = (name: string, env: string) => ({
        ...workspace(name, ns),
        metadata: { name, namespace: ns, labels: { env } },
      });
      await client.create(labelled('listed', 'dev'));
      const informer = informerOf(WORKSPACE, { namespace: ns, indexLabel: 'env' });
      const recorded = record(informer);
      await informer.start();
      const names = (value: string) =>
        informer
          .indexed(value)
          .map((o) => o.metadata.name)
          .sort();
      expect(names('dev')).toEqual(['listed']);

      await client.create(labelled('a', 'dev'));
      await client.create(labelled('b', 'qa'));
      await client.mergePatch(
        { ...WORKSPACE, name: 'listed', namespace: ns },
        { metadata: { labels: { env: 'qa' } } },
      );
      await client.delete({ ...WORKSPACE, name: 'b', namespace: ns });
      await delivered(recorded, 4);
      expect(names('dev')).toEqual(['a']);
      expect(names('qa')).toEqual(['listed']);
      expect(names('prod')).toEqual([]);
      expect(informer.indexed('dev')).toEqual([informer.get('a', ns)]);
      expect(() => informerOf(WORKSPACE, { namespace: ns }).indexed('dev')).toThrow(/has no index/);
    });

    it('GIVEN a label selector THEN objects entering the selection are ADDED and those leaving it DELETED', async () => {
      const ns = await freshNamespace();
      const informer = informerOf(WORKSPACE, { labelSelector: `watched=${ns}` });
      const recorded = record(informer);
      await informer.start();
      const ref = { ...WORKSPACE, name: 'w', namespace: ns };
      await client.create(workspace('w', ns));
      await client.mergePatch(ref, { metadata: { labels: { watched: ns } } });
      await client.mergePatch(ref, { spec: { forProvider: { module: 'changed' } } });
      await client.mergePatch(ref, { metadata: { labels: null } });
      expect(await delivered(recorded, 3)).toEqual([`ADDED ${ns}/w`, `MODIFIED ${ns}/w`, `DELETED ${ns}/w`]);
      expect(informer.list()).toEqual([]);
    });

    it('GIVEN finalizers THEN the informer sees an applied object ADDED, its deletion mark MODIFIED and its removal DELETED', async () => {
      const ns = await freshNamespace();
      const informer = informerOf(APPLICATION, { namespace: ns });
      const recorded = record(informer);
      await informer.start();
      const ref = { ...APPLICATION, name: 'app', namespace: ns };
      await client.apply({
        ...APPLICATION,
        metadata: { name: 'app', namespace: ns, finalizers: ['f.io/x'] },
        spec: {},
      });
      await client.delete(ref);
      expect(await delivered(recorded, 2)).toEqual([`ADDED ${ns}/app`, `MODIFIED ${ns}/app`]);
      expect(informer.get('app', ns)?.metadata.deletionTimestamp).toEqual(expect.any(String));
      await client.mergePatch(ref, { metadata: { finalizers: null } });
      expect(await delivered(recorded, 3)).toEqual([
        `ADDED ${ns}/app`,
        `MODIFIED ${ns}/app`,
        `DELETED ${ns}/app`,
      ]);
    });

    it('GIVEN a namespace option THEN changes elsewhere are not reported; a stopped informer reports nothing more', async () => {
      const ns = await freshNamespace();
      const elsewhere = await freshNamespace();
      const scoped = informerOf(CONFIG_MAP, { namespace: ns });
      const everywhere = informerOf(CONFIG_MAP, { labelSelector: `probe=${ns}` });
      const stopped = informerOf(CONFIG_MAP, { namespace: ns });
      const [inScope, all, afterStop] = [record(scoped), record(everywhere), record(stopped)];
      await Promise.all([scoped.start(), everywhere.start(), stopped.start()]);
      stopped.stop();
      await client.create(configMap('out', elsewhere, {}, { probe: ns }));
      await client.create(configMap('in', ns, {}, { probe: ns }));
      // the informer over all namespaces has seen both writes: the others have had their chance
      expect(await delivered(all, 2)).toEqual([`ADDED ${elsewhere}/out`, `ADDED ${ns}/in`]);
      expect(await delivered(inScope, 1)).toEqual([`ADDED ${ns}/in`]);
      expect(afterStop.events).toEqual([]);
    });

    it('GIVEN a handler that throws THEN the error is reported and the other handlers and later events still run', async () => {
      const ns = await freshNamespace();
      const informer = informerOf(CONFIG_MAP, { namespace: ns });
      const errors: unknown[] = [];
      informer.on('ADDED', () => {
        throw new Error('handler failed');
      });
      informer.on('error', (error) => errors.push(error));
      const recorded = record(informer);
      await informer.start();
      await client.create(configMap('one', ns, {}));
      await client.create(configMap('two', ns, {}));
      expect(await delivered(recorded, 2)).toEqual([`ADDED ${ns}/one`, `ADDED ${ns}/two`]);
      expect(errors.map((e) => (e as Error).message)).toEqual(['handler failed', 'handler failed']);
    });
  });
}
