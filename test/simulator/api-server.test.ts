/**
 * The simulated API server on the wire: Status bodies, patch types, collections and watch streams
 * as kube-apiserver sends them, and client-node's own typed APIs and informer used unchanged.
 */
import { get as httpGet, type IncomingMessage } from 'node:http';
import {
  CoordinationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  type V1Secret,
  makeInformer,
} from '@kubernetes/client-node';
import { ConflictError, InputError, NotFoundError } from '../../src/core/errors/index.js';
import { KubeClusterClient } from '../../src/cluster/client.js';
import { SimulatedApiServer } from '../../src/simulator/api-server.js';
import { type Harness, startHarness, waitFor, workspace } from '../cluster/support.js';

interface WatchLine {
  type: string;
  object: { kind?: string; code?: number; reason?: string; metadata?: Record<string, unknown> } & Record<
    string,
    unknown
  >;
}

interface WatchStream {
  response: IncomingMessage;
  lines: WatchLine[];
  ended: Promise<void>;
  close(): void;
}

function openWatch(base: string, path: string): Promise<WatchStream> {
  return new Promise((resolve, reject) => {
    const request = httpGet(`${base}${path}`, (response) => {
      const lines: WatchLine[] = [];
      let buffer = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        buffer += chunk;
        let newline;
        while ((newline = buffer.indexOf('\n')) >= 0) {
          lines.push(JSON.parse(buffer.slice(0, newline)) as WatchLine);
          buffer = buffer.slice(newline + 1);
        }
      });
      const ended = new Promise<void>((done) => response.on('close', () => done()));
      resolve({ response, lines, ended, close: () => request.destroy() });
    });
    request.on('error', reject);
  });
}

const names = (stream: WatchStream) =>
  stream.lines.map((l) => `${l.type} ${String(l.object.metadata?.name ?? '')}`);

let h: Harness;

async function call(method: string, path: string, body?: unknown, contentType = 'application/json') {
  const response = await fetch(`${h.url}${path}`, {
    method,
    headers: { 'Content-Type': contentType },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

beforeAll(async () => {
  h = await startHarness({ bookmarkIntervalMs: 50 });
  await h.client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'dev' } });
});

afterAll(() => h.close());

describe('Status bodies', () => {
  const failure = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure' };
  beforeAll(async () => {
    await call('POST', '/api/v1/namespaces/dev/secrets', {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'exists' },
    });
  });

  it.each<[string, () => ReturnType<typeof call>, number, Record<string, unknown>]>([
    [
      'a missing object',
      () => call('GET', '/api/v1/namespaces/dev/secrets/nope'),
      404,
      {
        ...failure,
        message: 'secrets "nope" not found',
        reason: 'NotFound',
        details: { name: 'nope', kind: 'secrets' },
        code: 404,
      },
    ],
    [
      'a missing custom object',
      () => call('GET', '/apis/tf.m.upbound.io/v1beta1/namespaces/dev/workspaces/nope'),
      404,
      {
        ...failure,
        message: 'workspaces.tf.m.upbound.io "nope" not found',
        reason: 'NotFound',
        details: { name: 'nope', group: 'tf.m.upbound.io', kind: 'workspaces' },
        code: 404,
      },
    ],
    [
      'a duplicate name',
      () =>
        call('POST', '/api/v1/namespaces/dev/secrets', {
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: { name: 'exists' },
        }),
      409,
      {
        ...failure,
        message: 'secrets "exists" already exists',
        reason: 'AlreadyExists',
        details: { name: 'exists', kind: 'secrets' },
        code: 409,
      },
    ],
    [
      'a stale resourceVersion',
      () =>
        call('PUT', '/api/v1/namespaces/dev/secrets/exists', {
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: { name: 'exists', resourceVersion: '1' },
        }),
      409,
      {
        ...failure,
        message:
          'Operation cannot be fulfilled on secrets "exists": the object has been modified; please apply your changes to the latest version and try again',
        reason: 'Conflict',
        details: { name: 'exists', kind: 'secrets' },
        code: 409,
      },
    ],
    [
      'an invalid object',
      () =>
        call('POST', '/api/v1/namespaces/dev/configmaps', {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: {},
        }),
      422,
      {
        ...failure,
        message: 'ConfigMap "" is invalid: metadata.name: Required value: name or generateName is required',
        reason: 'Invalid',
        details: {
          name: '',
          kind: 'ConfigMap',
          causes: [
            {
              reason: 'FieldValueRequired',
              message: 'Required value: name or generateName is required',
              field: 'metadata.name',
            },
          ],
        },
        code: 422,
      },
    ],
    [
      'a verb the path does not have',
      () => call('POST', '/api/v1/namespaces/dev/secrets/exists', {}),
      405,
      {
        ...failure,
        message: 'the server does not allow this method on the requested resource',
        reason: 'MethodNotAllowed',
        details: {},
        code: 405,
      },
    ],
    [
      'an item path without its namespace',
      () => call('GET', '/api/v1/secrets/exists'),
      404,
      {
        ...failure,
        message: 'the server could not find the requested resource',
        reason: 'NotFound',
        details: {},
        code: 404,
      },
    ],
    [
      'an apply without fieldManager',
      () => call('PATCH', '/api/v1/namespaces/dev/secrets/exists', {}, 'application/apply-patch+yaml'),
      422,
      expect.objectContaining({
        reason: 'Invalid',
        code: 422,
        message: expect.stringContaining('fieldManager: Required value'),
      }),
    ],
    [
      'an unknown patch type',
      () => call('PATCH', '/api/v1/namespaces/dev/secrets/exists', {}, 'text/plain'),
      415,
      expect.objectContaining({ reason: 'UnsupportedMediaType', code: 415 }),
    ],
    [
      'a malformed label selector',
      () => call('GET', '/api/v1/secrets?labelSelector=a%20in%20('),
      400,
      expect.objectContaining({
        reason: 'BadRequest',
        code: 400,
        message: expect.stringContaining('unable to parse requirement'),
      }),
    ],
  ])('GIVEN %s THEN the Status is what kube-apiserver sends', async (_name, run, code, body) => {
    const response = await run();
    expect(response.status).toBe(code);
    expect(response.body).toEqual(body);
  });

  it('GIVEN a body that is not JSON THEN 400, without echoing the body', async () => {
    const response = await call('POST', '/api/v1/namespaces/dev/secrets', '{"data": {"k": hunter2}}');
    expect(response.status).toBe(400);
    expect(response.body.reason).toBe('BadRequest');
    expect(JSON.stringify(response.body)).not.toContain('hunter2');
  });

  it.each([
    ['JSON', '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"json"},"data":{"k":"json"}}', 'json'],
    ['YAML', 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: yaml}\ndata: {k: yaml}\n', 'yaml'],
    [
      'YAML that starts like JSON',
      '{apiVersion: v1, kind: ConfigMap, metadata: {name: flow}, data: {k: flow}}',
      'flow',
    ],
  ])('GIVEN an apply body in %s THEN it is read', async (_format, body, value) => {
    const path = `/api/v1/namespaces/dev/configmaps/${value}?fieldManager=test`;
    const response = await call('PATCH', path, body, 'application/apply-patch+yaml');
    expect(response.status).toBe(201);
    expect(response.body.data).toEqual({ k: value });
  });

  it('GIVEN an apply body that is neither JSON nor YAML THEN 400 at its line, without echoing it', async () => {
    const path = '/api/v1/namespaces/dev/configmaps/applied?fieldManager=test';
    const response = await call('PATCH', path, '{"data": {"k": [hunter2}}', 'application/apply-patch+yaml');
    expect(response.status).toBe(400);
    expect(response.body.message).toMatch(/not valid YAML: at line 1, column \d+/);
    expect(JSON.stringify(response.body)).not.toContain('hunter2');
  });

  it('GIVEN a DELETE THEN a built-in kind answers a Success Status and a custom kind the object', async () => {
    await call('POST', '/api/v1/namespaces/dev/configmaps', { metadata: { name: 'del' } });
    const status = await call('DELETE', '/api/v1/namespaces/dev/configmaps/del');
    expect(status.body).toMatchObject({
      kind: 'Status',
      status: 'Success',
      details: { name: 'del', kind: 'configmaps' },
    });
    await h.client.create(workspace('del', 'dev'));
    const object = await call('DELETE', '/apis/tf.m.upbound.io/v1beta1/namespaces/dev/workspaces/del');
    expect(object.body).toMatchObject({ kind: 'Workspace', metadata: { name: 'del' } });
  });
});

describe('patches and collections', () => {
  it('GIVEN a JSON patch THEN its operations apply, and a failed test rejects the whole patch', async () => {
    await h.client.create({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'jp', namespace: 'dev' },
      data: { a: '1' },
    });
    const path = '/api/v1/namespaces/dev/configmaps/jp';
    const ok = await call(
      'PATCH',
      path,
      [
        { op: 'test', path: '/data/a', value: '1' },
        { op: 'add', path: '/data/b', value: '2' },
        { op: 'remove', path: '/data/a' },
      ],
      'application/json-patch+json',
    );
    expect(ok.body.data).toEqual({ b: '2' });
    const failed = await call(
      'PATCH',
      path,
      [
        { op: 'test', path: '/data/b', value: 'x' },
        { op: 'remove', path: '/data/b' },
      ],
      'application/json-patch+json',
    );
    expect(failed.status).toBe(422);
    expect((await call('GET', path)).body.data).toEqual({ b: '2' });
  });

  it('GIVEN a strategic merge patch THEN it is applied as a JSON merge patch (lists replaced)', async () => {
    await h.client.create({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'smp', namespace: 'dev', finalizers: ['a.io/x'] },
    });
    const response = await call(
      'PATCH',
      '/api/v1/namespaces/dev/configmaps/smp',
      { metadata: { finalizers: ['b.io/y'], labels: { l: 'v' } } },
      'application/strategic-merge-patch+json',
    );
    expect(response.body.metadata).toMatchObject({ finalizers: ['b.io/y'], labels: { l: 'v' } });
  });

  it('GIVEN limit and continue THEN a list is paged in name order', async () => {
    for (const name of ['p3', 'p1', 'p2'])
      await h.client.create({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name, namespace: 'dev', labels: { page: 'yes' } },
      });
    const first = await call('GET', '/api/v1/namespaces/dev/configmaps?labelSelector=page&limit=2');
    const meta = first.body.metadata as { continue: string; remainingItemCount: number };
    expect((first.body.items as Array<{ metadata: { name: string } }>).map((i) => i.metadata.name)).toEqual([
      'p1',
      'p2',
    ]);
    expect(meta.remainingItemCount).toBe(1);
    const second = await call(
      'GET',
      `/api/v1/namespaces/dev/configmaps?labelSelector=page&limit=2&continue=${meta.continue}`,
    );
    expect((second.body.items as Array<{ metadata: { name: string } }>).map((i) => i.metadata.name)).toEqual([
      'p3',
    ]);
    expect((second.body.metadata as { continue?: string }).continue).toBeUndefined();
  });

  it('GIVEN a field selector or a collection DELETE THEN they select by name and labels', async () => {
    const byName = await call(
      'GET',
      '/api/v1/configmaps?fieldSelector=metadata.name%3Dp2,metadata.namespace%3Ddev',
    );
    expect((byName.body.items as unknown[]).length).toBe(1);
    const deleted = await call('DELETE', '/api/v1/namespaces/dev/configmaps?labelSelector=page%3Dyes');
    expect(deleted.body).toMatchObject({ kind: 'ConfigMapList' });
    expect(await h.client.list({ apiVersion: 'v1', kind: 'ConfigMap' }, { labelSelector: 'page' })).toEqual(
      [],
    );
  });
});

describe('watch streams', () => {
  const base = '/apis/tf.m.upbound.io/v1beta1/namespaces/dev/workspaces';

  it('GIVEN resourceVersion 0 THEN existing objects arrive as ADDED, then changes, as chunked JSON lines', async () => {
    await h.client.create(workspace('w0', 'dev'));
    const stream = await openWatch(h.url, `${base}?watch=1&resourceVersion=0`);
    try {
      expect(stream.response.statusCode).toBe(200);
      expect(stream.response.headers['transfer-encoding']).toBe('chunked');
      expect(stream.response.headers['content-type']).toBe('application/json');
      await waitFor(() => stream.lines.length === 1, 'the initial event');
      await h.client.mergePatch(
        { apiVersion: 'tf.m.upbound.io/v1beta1', kind: 'Workspace', name: 'w0', namespace: 'dev' },
        { spec: { x: 1 } },
      );
      await h.client.delete({
        apiVersion: 'tf.m.upbound.io/v1beta1',
        kind: 'Workspace',
        name: 'w0',
        namespace: 'dev',
      });
      await waitFor(() => stream.lines.length === 3, 'the changes');
      expect(names(stream)).toEqual(['ADDED w0', 'MODIFIED w0', 'DELETED w0']);
      const [added, modified, deleted] = stream.lines.map((l) => Number(l.object.metadata?.resourceVersion));
      expect(added! < modified! && modified! < deleted!).toBe(true);
    } finally {
      stream.close();
    }
  });

  it('GIVEN a resourceVersion THEN only later events are replayed', async () => {
    const first = await h.client.create(workspace('r1', 'dev'));
    await h.client.create(workspace('r2', 'dev'));
    const stream = await openWatch(
      h.url,
      `${base}?watch=true&resourceVersion=${first.metadata.resourceVersion}`,
    );
    try {
      await waitFor(() => stream.lines.length === 1, 'the replay');
      expect(names(stream)).toEqual(['ADDED r2']);
    } finally {
      stream.close();
    }
  });

  it('GIVEN a resourceVersion older than the history THEN one ERROR event carries a 410 Expired Status', async () => {
    const server = new SimulatedApiServer({ historySize: 2 });
    const { url } = await server.start();
    try {
      for (const name of ['a', 'b', 'c', 'd'])
        server.objects.create({
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name, namespace: 'default' },
        });
      const stream = await openWatch(
        url,
        '/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=2',
      );
      await stream.ended;
      expect(stream.lines).toEqual([
        {
          type: 'ERROR',
          object: expect.objectContaining({
            kind: 'Status',
            status: 'Failure',
            reason: 'Expired',
            code: 410,
            message: expect.stringMatching(/^too old resource version: 2 \(\d+\)$/),
          }),
        },
      ]);
    } finally {
      await server.stop();
    }
  });

  it('GIVEN allowWatchBookmarks THEN BOOKMARK events carry the current resourceVersion, and initial events end with one', async () => {
    await h.client.create(workspace('b1', 'dev'));
    const stream = await openWatch(
      h.url,
      `${base}?watch=true&allowWatchBookmarks=true&sendInitialEvents=true&labelSelector=none`,
    );
    try {
      await waitFor(() => stream.lines.filter((l) => l.type === 'BOOKMARK').length >= 2, 'bookmarks');
      const [initialEnd] = stream.lines;
      expect(initialEnd).toEqual({
        type: 'BOOKMARK',
        object: {
          kind: 'Workspace',
          apiVersion: 'tf.m.upbound.io/v1beta1',
          metadata: {
            resourceVersion: expect.any(String),
            annotations: { 'k8s.io/initial-events-end': 'true' },
          },
        },
      });
      expect(stream.lines[1]?.object.metadata?.resourceVersion).toBe(h.server.objects.resourceVersion);
    } finally {
      stream.close();
    }
  });

  it('GIVEN timeoutSeconds THEN the server ends the watch', async () => {
    const now = h.server.objects.resourceVersion;
    const stream = await openWatch(h.url, `${base}?watch=true&timeoutSeconds=1&resourceVersion=${now}`);
    await stream.ended;
    expect(stream.lines).toEqual([]);
  });

  it('GIVEN the server stops THEN open watches end', async () => {
    const server = new SimulatedApiServer();
    const { url } = await server.start();
    const stream = await openWatch(url, '/api/v1/namespaces?watch=true');
    await waitFor(() => server.objects.watchCount === 1, 'the watch');
    await server.stop();
    await stream.ended;
    expect(server.objects.watchCount).toBe(0);
  });
});

describe('client-node APIs, unchanged', () => {
  it('GIVEN the typed core, coordination and custom-object APIs THEN they work against the simulator', async () => {
    const kc = h.client.kubeConfig;
    const core = kc.makeApiClient(CoreV1Api);
    const namespaces = await core.listNamespace();
    expect(namespaces.items.map((n) => n.metadata?.name)).toContain('dev');
    const secret: V1Secret = { metadata: { name: 'typed', namespace: 'dev' }, stringData: { k: 'v' } };
    await core.createNamespacedSecret({ namespace: 'dev', body: secret });
    const read = await core.readNamespacedSecret({ name: 'typed', namespace: 'dev' });
    expect(read.data).toEqual({ k: Buffer.from('v').toString('base64') });
    expect(read.metadata?.creationTimestamp).toBeInstanceOf(Date);

    const coordination = kc.makeApiClient(CoordinationV1Api);
    await coordination.createNamespacedLease({
      namespace: 'dev',
      body: { metadata: { name: 'typed-lease' }, spec: { holderIdentity: 'me', leaseDurationSeconds: 10 } },
    });
    const lease = await coordination.readNamespacedLease({ name: 'typed-lease', namespace: 'dev' });
    expect(lease.spec?.holderIdentity).toBe('me');

    const custom = kc.makeApiClient(CustomObjectsApi);
    await h.client.create(workspace('custom', 'dev'));
    const listed = (await custom.listNamespacedCustomObject({
      group: 'tf.m.upbound.io',
      version: 'v1beta1',
      namespace: 'dev',
      plural: 'workspaces',
    })) as { items: Array<{ metadata: { name: string } }> };
    expect(listed.items.map((i) => i.metadata.name)).toContain('custom');
    const patched = (await custom.patchNamespacedCustomObjectStatus({
      group: 'tf.m.upbound.io',
      version: 'v1beta1',
      namespace: 'dev',
      plural: 'workspaces',
      name: 'custom',
      // client-node 2.x sends the first media type it knows for this call: a JSON patch
      body: [{ op: 'add', path: '/status', value: { conditions: [{ type: 'Ready', status: 'True' }] } }],
    })) as { status: unknown };
    expect(patched.status).toEqual({ conditions: [{ type: 'Ready', status: 'True' }] });
  });

  it('GIVEN makeInformer THEN client-node’s own informer lists and watches', async () => {
    const kc = h.client.kubeConfig;
    const core = kc.makeApiClient(CoreV1Api);
    const informer = makeInformer(kc, '/api/v1/namespaces/dev/configmaps', () =>
      core.listNamespacedConfigMap({ namespace: 'dev' }),
    );
    const added: string[] = [];
    informer.on('add', (cm) => added.push(cm.metadata?.name ?? ''));
    await informer.start();
    try {
      await h.client.create({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'seen-by-client-node', namespace: 'dev' },
      });
      await waitFor(() => added.includes('seen-by-client-node'), 'the add event');
    } finally {
      await informer.stop();
    }
  });
});

describe('extra kinds and in-process access', () => {
  it('GIVEN an extra kind THEN it is discovered and served like the built-in ones', async () => {
    const server = new SimulatedApiServer({
      kinds: [
        {
          group: 'example.com',
          version: 'v1',
          kind: 'Widget',
          plural: 'widgets',
          namespaced: true,
          statusSubresource: true,
        },
      ],
    });
    const { url } = await server.start();
    try {
      const client = KubeClusterClient.forServer({ url });
      const widget = {
        apiVersion: 'example.com/v1',
        kind: 'Widget',
        metadata: { name: 'w', namespace: 'default' },
        spec: { size: 1 },
      };
      await client.create(widget);
      const updated = await client.replaceStatus({
        ...(await client.get({ ...widget, name: 'w', namespace: 'default' }))!,
        status: { ok: true },
      });
      expect(updated).toMatchObject({ spec: { size: 1 }, status: { ok: true } });
      const discovery = (await (await fetch(`${url}/apis/example.com/v1`)).json()) as {
        resources: Array<{ name: string }>;
      };
      expect(discovery.resources.map((r) => r.name)).toEqual(['widgets', 'widgets/status']);
    } finally {
      await server.stop();
    }
  });

  it('GIVEN the in-process object API THEN it reads and writes synchronously with typed errors', () => {
    const server = new SimulatedApiServer({ namespaces: ['only'] });
    const cm = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'c', namespace: 'only' },
      data: { a: '1' },
    };
    const created = server.objects.create(cm);
    expect(created.metadata.resourceVersion).toBe(server.objects.resourceVersion);
    expect(server.objects.get({ ...cm, name: 'c', namespace: 'only' })?.data).toEqual({ a: '1' });
    expect(server.objects.list({ apiVersion: 'v1', kind: 'Namespace' }).map((n) => n.metadata.name)).toEqual([
      'only',
    ]);
    expect(() => server.objects.create(cm)).toThrow(ConflictError);
    expect(() => server.objects.create({ ...cm, metadata: { name: 'c', namespace: 'missing' } })).toThrow(
      NotFoundError,
    );
    expect(() => server.objects.create({ ...cm, metadata: { name: 'Bad Name', namespace: 'only' } })).toThrow(
      InputError,
    );
    expect(() => server.objects.get({ apiVersion: 'example.com/v1', kind: 'Widget', name: 'x' })).toThrow(
      NotFoundError,
    );
    expect(() => server.objects.get({ apiVersion: 'v1', kind: 'ConfigMap', name: 'c' })).toThrow(InputError);
    expect(server.objects.delete({ ...cm, name: 'c', namespace: 'only' })).toBe(true);
    expect(server.objects.delete({ ...cm, name: 'c', namespace: 'only' })).toBe(false);
    expect(server.objects.objectCount).toBe(1);
  });
});
