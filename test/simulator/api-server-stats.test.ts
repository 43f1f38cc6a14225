/**
 * The simulated API server's request counter: every request it serves, by kube-apiserver verb and
 * by resource, and the watches open now (what the engine benchmark reads as API requests per minute).
 */
import { get as httpGet, type ClientRequest } from 'node:http';
import { SimulatedApiServer } from '../../src/simulator/api-server.js';
import { waitFor } from '../cluster/support.js';

let server: SimulatedApiServer;
let url: string;

beforeEach(async () => {
  server = new SimulatedApiServer({ token: 'stats-token' });
  ({ url } = await server.start());
});

afterEach(() => server.stop());

async function call(method: string, path: string, body?: unknown, contentType = 'application/json') {
  const response = await fetch(`${url}${path}`, {
    method,
    headers: { authorization: 'Bearer stats-token', 'content-type': contentType },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  await response.arrayBuffer();
  return response.status;
}

function openWatch(path: string): Promise<ClientRequest> {
  return new Promise((resolve, reject) => {
    const request = httpGet(`${url}${path}`, { headers: { authorization: 'Bearer stats-token' } }, () =>
      resolve(request),
    );
    request.on('error', reject);
  });
}

const configMap = (name: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name } });
const workspace = {
  apiVersion: 'tf.m.upbound.io/v1beta1',
  kind: 'Workspace',
  metadata: { name: 'db' },
  spec: { forProvider: { source: 'Inline', module: '' } },
};

it('starts at zero', () => {
  // GIVEN a fresh server THEN nothing is counted
  expect(server.stats()).toEqual({ total: 0, byVerb: {}, byResource: {}, openWatches: 0 });
});

it('counts each request by verb and by resource, with the status subresource apart', async () => {
  // GIVEN requests of every verb
  const cm = '/api/v1/namespaces/default/configmaps';
  const ws = '/apis/tf.m.upbound.io/v1beta1/namespaces/default/workspaces';
  expect(await call('GET', '/version')).toBe(200);
  expect(await call('GET', '/apis')).toBe(200);
  expect(await call('POST', cm, configMap('a'))).toBe(201);
  expect(await call('POST', cm, configMap('b'))).toBe(201);
  expect(await call('GET', `${cm}/a`)).toBe(200);
  expect(await call('GET', `${cm}/missing`)).toBe(404);
  expect(await call('GET', cm)).toBe(200);
  expect(await call('PUT', `${cm}/a`, { ...configMap('a'), data: { k: 'v' } })).toBe(200);
  expect(await call('PATCH', `${cm}/b`, { data: { k: 'v' } }, 'application/merge-patch+json')).toBe(200);
  expect(await call('DELETE', `${cm}/a`)).toBe(200);
  expect(await call('DELETE', cm)).toBe(200);
  expect(await call('POST', ws, workspace)).toBe(201);
  expect(await call('PUT', `${ws}/db/status`, { ...workspace, status: { conditions: [] } })).toBe(200);

  // THEN each is counted once, under the verb kube-apiserver would log
  const stats = server.stats();
  expect(stats.byVerb).toEqual({
    nonResource: 1,
    discovery: 1,
    create: 3,
    get: 2,
    list: 1,
    update: 2,
    patch: 1,
    delete: 1,
    deletecollection: 1,
  });
  expect(stats.byResource).toEqual({
    configmaps: { create: 2, get: 2, list: 1, update: 1, patch: 1, delete: 1, deletecollection: 1 },
    'tf.m.upbound.io/workspaces': { create: 1 },
    'tf.m.upbound.io/workspaces/status': { update: 1 },
  });
  expect(stats.total).toBe(13);
});

it('counts a watch when it opens and tells how many are open', async () => {
  // GIVEN two watches, one of them ended by the client
  const first = await openWatch('/api/v1/namespaces/default/configmaps?watch=true');
  const second = await openWatch('/api/v1/configmaps?watch=1');
  expect(server.stats().openWatches).toBe(2);
  first.destroy();

  // THEN both were counted as watches, and only the other one is still open
  await waitFor(() => server.stats().openWatches === 1, 'the closed watch to end');
  expect(server.stats().byVerb).toEqual({ watch: 2 });
  expect(server.stats().byResource).toEqual({ configmaps: { watch: 2 } });
  second.destroy();
  await waitFor(() => server.stats().openWatches === 0, 'both watches to end');
});

it('leaves out unauthenticated requests and counts unroutable ones in the total only', async () => {
  // GIVEN a request without the token and one for a path the server does not serve
  const response = await fetch(`${url}/api/v1/namespaces`);
  await response.arrayBuffer();
  expect(response.status).toBe(401);
  expect(await call('GET', '/api/v1/nothings')).toBe(404);

  // THEN
  expect(server.stats()).toEqual({ total: 1, byVerb: {}, byResource: {}, openWatches: 0 });
});

it('returns a snapshot that later requests do not change', async () => {
  const before = server.stats();
  await call('GET', '/api/v1/namespaces');
  expect(before.total).toBe(0);
  expect(server.stats().byResource).toEqual({ namespaces: { list: 1 } });
});

it('tells an in-process watch of each change of its type as it is stored, until it is stopped', async () => {
  // GIVEN an in-process watch of ConfigMaps, started after one already exists
  server.objects.create({ ...configMap('before'), metadata: { name: 'before', namespace: 'default' } });
  const seen: string[] = [];
  const stop = server.objects.watch({ apiVersion: 'v1', kind: 'ConfigMap' }, (change, object) =>
    seen.push(`${change} ${object.metadata.name}`),
  );
  // WHEN ConfigMaps change over HTTP (and a Workspace too)
  const cm = '/api/v1/namespaces/default/configmaps';
  expect(await call('POST', cm, configMap('a'))).toBe(201);
  // THEN each change was told by the time the request was answered, and only ConfigMaps
  expect(seen).toEqual(['ADDED a']);
  expect(await call('POST', '/apis/tf.m.upbound.io/v1beta1/namespaces/default/workspaces', workspace)).toBe(
    201,
  );
  expect(await call('PATCH', `${cm}/a`, { data: { k: 'v' } }, 'application/merge-patch+json')).toBe(200);
  expect(await call('DELETE', `${cm}/a`)).toBe(200);
  expect(seen).toEqual(['ADDED a', 'MODIFIED a', 'DELETED a']);
  // AND nothing once stopped; it is not an HTTP request
  stop();
  expect(await call('POST', cm, configMap('b'))).toBe(201);
  expect(seen).toHaveLength(3);
  expect(server.stats().openWatches).toBe(0);
});
