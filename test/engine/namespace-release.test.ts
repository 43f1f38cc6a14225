/**
 * A deleted environment keeps its namespace claim until its Namespace is gone from the cluster.
 * Released with the environment's files (as before), a new environment could take a namespace
 * still Terminating: its Namespace and Secrets would be refused, or deleted with the old ones.
 * Real bare repos, the simulated cluster over HTTP (its API server keeps a Namespace with a
 * finalizer Terminating, as kube-apiserver does), the engine and the REST API.
 */
import { jest } from '@jest/globals';
import {
  commits,
  exampleText,
  fileAt,
  parse,
  startTestEnvcat,
  waitFor,
  type TestEnvcat,
} from '../support/envcat.js';

jest.setTimeout(120_000);

const NAMESPACE = 'team-hold';
const HOLD = 'example.com/hold';

let envcat: TestEnvcat;
beforeAll(async () => {
  envcat = await startTestEnvcat();
});
afterAll(async () => {
  await envcat?.close();
});

async function app(name: string): Promise<Record<string, unknown>> {
  const document = parse(await exampleText('sample-app', 'standalone.yaml')) as {
    metadata: { name: string };
    spec: { namespace?: string };
  };
  document.metadata.name = name;
  document.spec.namespace = NAMESPACE;
  return document as unknown as Record<string, unknown>;
}

async function statusOf(name: string): Promise<{ phase: string; message: string } | undefined> {
  const response = await envcat.api<{ status: { phase: string; message: string } }>(
    'GET',
    `/api/v1/environments/${name}`,
  );
  return response.status === 200 ? response.body.status : undefined;
}

it('keeps the namespace claimed while the Namespace terminates, and releases it once it is gone', async () => {
  // GIVEN an environment in namespace team-hold, Ready
  expect((await envcat.api('POST', '/api/v1/environments', await app('hold-first'))).status).toBe(201);
  await waitFor('hold-first to be Ready', async () =>
    (await statusOf('hold-first'))?.phase === 'Ready' ? true : undefined,
  );
  // …whose Namespace something else still holds with a finalizer (a volume, a backup operator…)
  await envcat.cluster.mergePatch(
    { apiVersion: 'v1', kind: 'Namespace', name: NAMESPACE },
    { metadata: { finalizers: [HOLD] } },
  );

  // WHEN it is deleted
  expect((await envcat.api('DELETE', '/api/v1/environments/hold-first')).status).toBe(202);

  // THEN its files go, but while the Namespace terminates the status says so and the claim stays
  const waiting = await waitFor('the deletion to wait for the namespace', async () => {
    const status = await statusOf('hold-first');
    return status?.message.includes('to finish terminating') ? status : undefined;
  });
  expect(waiting.phase).toBe('Deleting');
  expect(waiting.message).toBe(
    `waiting for the namespace "${NAMESPACE}" to finish terminating before releasing its claim`,
  );
  expect(await fileAt(envcat.repoUrls.platform, 'environments/hold-first/environment.yaml')).toBeUndefined();
  expect(await fileAt(envcat.repoUrls.platform, `namespaces/${NAMESPACE}/hold-first`)).toBeDefined();
  const namespace = await envcat.cluster.get({ apiVersion: 'v1', kind: 'Namespace', name: NAMESPACE });
  expect(namespace?.metadata.deletionTimestamp).toBeDefined();
  // …and another environment cannot take the namespace yet
  const early = await envcat.api<{ errors: Array<{ path: string; message: string }> }>(
    'POST',
    '/api/v1/environments',
    await app('hold-second'),
  );
  expect(early.status).toBe(409);
  expect(early.body.errors[0]?.path).toBe('/spec/namespace');

  // WHEN the finalizer goes and the Namespace with it
  await envcat.cluster.mergePatch(
    { apiVersion: 'v1', kind: 'Namespace', name: NAMESPACE },
    { metadata: { finalizers: null } },
  );

  // THEN the environment is gone, its claim released in a commit of its own, after its files
  await waitFor('hold-first to be gone', async () =>
    (await envcat.api('GET', '/api/v1/environments/hold-first')).status === 404 ? true : undefined,
  );
  expect(await fileAt(envcat.repoUrls.platform, `namespaces/${NAMESPACE}/hold-first`)).toBeUndefined();
  // (which commit carries each change set: it may be grouped behind another, named only in the body)
  const log = await commits(envcat.repoUrls.platform);
  const carrying = (changeSet: string) => log.findIndex((c) => c.changeSets.includes(changeSet));
  const filesGone = carrying('envcat: hold-first: delete environment');
  const released = carrying(`envcat: hold-first: release namespace ${NAMESPACE}`);
  expect(filesGone).toBeGreaterThanOrEqual(0);
  expect(released).toBeGreaterThanOrEqual(0);
  expect(released).toBeGreaterThan(filesGone); // oldest first
  // …and the namespace is free for the next environment
  expect((await envcat.api('POST', '/api/v1/environments', await app('hold-second'))).status).toBe(201);
  await waitFor('hold-second to be Ready', async () =>
    (await statusOf('hold-second'))?.phase === 'Ready' ? true : undefined,
  );
});
