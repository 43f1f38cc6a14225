/**
 * Deletion in reverse wave order for infrastructure (src/core/status/deletion.ts), end to end: real
 * bare repos, the simulated cluster over HTTP (its provider-terraform plays `terraform destroy`
 * when a Workspace is deleted), the engine and the REST API. The VPC Workspace must not even be
 * marked for deletion until the database Workspace inside it is gone.
 */
import { jest } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubeObject } from '../../src/cluster/types.js';
import { ANNOTATION, toYaml } from '../../src/core/index.js';
import { GitRepo } from '../../src/gitops/index.js';
import { commits, exampleText, parse, startTestEnvcat, waitFor, type TestEnvcat } from '../support/envcat.js';

jest.setTimeout(120_000);

const WORKSPACE = { apiVersion: 'tf.m.upbound.io/v1beta1', kind: 'Workspace' };
const NAME = 'dev-orders-db';

interface StatusBody {
  phase: string;
  message: string;
}

let envcat: TestEnvcat;
beforeAll(async () => {
  envcat = await startTestEnvcat();
});
afterAll(async () => {
  await envcat?.close();
});

async function statusOf(name: string): Promise<StatusBody | undefined> {
  const response = await envcat.api<{ status: StatusBody }>('GET', `/api/v1/environments/${name}`);
  return response.status === 200 ? response.body.status : undefined;
}

it('destroys the database Workspace, and only once it is gone the VPC Workspace it lives in', async () => {
  // GIVEN the rds-postgres example with its own VPC (two infra waves: network, then db), whose
  // database takes a while to destroy, Ready
  const document = parse(await exampleText('rds-postgres', 'with-vpc.yaml')) as {
    metadata: { annotations?: Record<string, string> };
  };
  document.metadata.annotations = { 'simulator.envcat.io/db': JSON.stringify({ delay: '1500ms' }) };
  expect((await envcat.api('POST', '/api/v1/environments', document)).status).toBe(201);
  await waitFor(
    `${NAME} to be Ready`,
    async () => ((await statusOf(NAME))?.phase === 'Ready' ? true : undefined),
    {
      timeoutMs: 60_000,
    },
  );

  // …and a watch on its Workspaces through the cluster API, in the order the API server sends events
  const events: string[] = [];
  const deletionTimestamps = new Map<string, string>();
  const messages = new Set<string>();
  const informer = envcat.cluster.informer(WORKSPACE, { namespace: NAME });
  const note = (what: string, ws: KubeObject) => {
    const instance = ws.metadata.name.slice(`${NAME}-`.length);
    if (what === 'gone') events.push(`gone ${instance}`);
    else if (ws.metadata.deletionTimestamp && !deletionTimestamps.has(instance)) {
      deletionTimestamps.set(instance, ws.metadata.deletionTimestamp);
      events.push(`deleting ${instance}`);
    }
  };
  informer.on('MODIFIED', (ws) => note('modified', ws));
  informer.on('DELETED', (ws) => note('gone', ws));
  await informer.start();
  const poll = setInterval(() => {
    void statusOf(NAME).then((s) => s?.phase === 'Deleting' && messages.add(s.message));
  }, 100);

  // WHEN it is deleted
  try {
    expect((await envcat.api('DELETE', `/api/v1/environments/${NAME}`)).status).toBe(202);
    await waitFor(
      `${NAME} to be gone`,
      async () =>
        (await envcat.api('GET', `/api/v1/environments/${NAME}`)).status === 404 ? true : undefined,
      { timeoutMs: 60_000 },
    );
  } finally {
    clearInterval(poll);
    informer.stop();
  }

  // THEN the database was marked for deletion and destroyed before the VPC was even marked
  expect(events).toEqual(['deleting db', 'gone db', 'deleting network', 'gone network']);
  expect(Date.parse(deletionTimestamps.get('network')!)).toBeGreaterThanOrEqual(
    Date.parse(deletionTimestamps.get('db')!),
  );
  // …the platform repo removed db's file in one commit and network's in a later one
  const platform = await commits(envcat.repoUrls.platform);
  const removals = platform
    .filter((c) => c.message.includes(`${NAME}: delete infrastructure of`))
    .map((c) => c.message);
  expect(removals).toEqual([
    `envcat: ${NAME}: delete infrastructure of db`,
    `envcat: ${NAME}: delete infrastructure of network`,
  ]);
  // …and the status said what it was waiting for
  expect([...messages]).toContain('waiting for terraform destroy of db (wave 2); then network');
});

it('removes every infra file at once when the request to delete is invalid, and says so', async () => {
  // GIVEN the same two waves, Ready, under another name
  const name = 'dev-orders-fallback';
  const document = parse(await exampleText('rds-postgres', 'with-vpc.yaml')) as {
    metadata: { name: string; annotations?: Record<string, string> };
    spec: { namespace: string; catalogs: Array<{ entry: string }> };
  };
  document.metadata.name = name;
  document.spec.namespace = name;
  // (a slow destroy, so that the status is seen while it waits)
  const slow = { 'simulator.envcat.io/network': JSON.stringify({ delay: '1500ms' }) };
  document.metadata.annotations = slow;
  expect((await envcat.api('POST', '/api/v1/environments', document)).status).toBe(201);
  await waitFor(
    `${name} to be Ready`,
    async () => ((await statusOf(name))?.phase === 'Ready' ? true : undefined),
    {
      timeoutMs: 60_000,
    },
  );
  const scratch = await mkdtemp(join(tmpdir(), 'envcat-person-'));
  const messages = new Set<string>();
  const poll = setInterval(() => {
    void statusOf(name).then((s) => s?.phase === 'Deleting' && messages.add(s.message));
  }, 100);
  try {
    // WHEN a person commits a request to delete it that is no longer valid (no plan can be made)
    const person = new GitRepo({
      name: 'platform',
      url: envcat.repoUrls.platform,
      workdir: join(scratch, 'clone'),
      author: { name: 'A Person', email: 'person@example.test' },
    });
    await person.sync();
    document.metadata.annotations = { ...slow, [ANNOTATION.deletionRequested]: 'by hand' };
    (document.spec.catalogs[1] as { entry: string }).entry = 'no-such-entry@^1';
    await person.commit({
      write: [{ path: `environments/${name}/environment.yaml`, content: toYaml(document) }],
      remove: [],
      message: 'delete it, with a broken entry',
    });
    await waitFor(
      `${name} to be gone`,
      async () =>
        (await envcat.api('GET', `/api/v1/environments/${name}`)).status === 404 ? true : undefined,
      { timeoutMs: 60_000 },
    );
  } finally {
    clearInterval(poll);
    await rm(scratch, { recursive: true, force: true });
  }
  // THEN both infra files went in one commit, and the status said why
  const removals = (await commits(envcat.repoUrls.platform)).filter(
    (c) => c.files.some((f) => f.startsWith(`environments/${name}/infra/`)) && c.message.includes('delete'),
  );
  expect(removals.map((c) => [c.message, [...c.files].sort()])).toEqual([
    [
      `envcat: ${name}: delete infrastructure of db, network`,
      [`environments/${name}/infra/db.yaml`, `environments/${name}/infra/network.yaml`],
    ],
  ]);
  expect([...messages]).toContain(
    'the environment has no valid plan, so all infrastructure is removed at once; waiting for terraform destroy of db, network',
  );
});
