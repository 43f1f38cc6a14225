/**
 * kill -9 at every step boundary of a create and a delete (issue "Safe under concurrent users,
 * restarts and hostile input", Faults). `npm start`'s compiled server runs on the embedded default
 * with ENVCAT_CRASH_AT set to one boundary (src/engine/boundaries.ts); it kills itself with SIGKILL
 * exactly there (src/server/crash-hook.ts), not after a sleep. The next start, on the same data
 * directory, goes on; the client does what a client does when its request got no answer: it sends
 * the same request again. In the end every environment converges, with no duplicate commit, no
 * orphaned Workspace, Application, Secret or namespace, and no lost Secret.
 */
import { jest } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { commits, exampleText, parse, waitFor } from '../support/envcat.js';
import { duplicates } from '../support/change-sets.js';
import { crashLifecycle, leftInCluster, lsTree, touches } from '../support/crash-lifecycle.js';
import { buildServer, freePort, kill9, removeServerBuild } from '../support/server-process.js';

jest.setTimeout(600_000);

const TOKEN = 'crash-points-token-0123456789';
const API_KEY = 'fedcba9876543210fedcba9876543210';

let dir: string;
let port: number;
const { running, start, crashedAt, api, phaseOf, cluster, repo } = crashLifecycle({
  dir: () => dir,
  port: () => port,
  token: TOKEN,
});

beforeAll(async () => {
  await buildServer();
  dir = await mkdtemp(join(tmpdir(), 'envcat-crash-'));
  port = await freePort();
});
afterAll(async () => {
  const server = running();
  if (server) await kill9(server);
  await rm(dir, { recursive: true, force: true });
  await removeServerBuild();
});

/** The README's hybrid example under another name: db (a Workspace), then monitoring and app. */
async function environment(name: string): Promise<Record<string, unknown>> {
  const document = parse(await exampleText('sample-app', 'dev-feature-auth.yaml')) as {
    metadata: { name: string };
    spec: {
      namespace: string;
      ttl?: string;
      catalogs: Array<{ name: string; parameters: Record<string, unknown> }>;
    };
  };
  document.metadata.name = name;
  document.spec.namespace = name;
  delete document.spec.ttl;
  const monitoring = document.spec.catalogs.find((c) => c.name === 'monitoring')!;
  monitoring.parameters.clusterName = name;
  monitoring.parameters.apiKey = API_KEY;
  return document as unknown as Record<string, unknown>;
}

it('converges after a kill -9 at every step boundary of a create and a delete', async () => {
  // GIVEN envcat that dies right after the create commit, before the Secrets
  let server = await start('create:committed');
  const first = await api('POST', '/api/v1/environments', await environment('crash-a'));
  expect(first.status).toBe(0); // no answer
  await crashedAt(server, 'create:committed');

  // WHEN it starts again and the client sends the same request again
  server = await start('create:secrets-written');
  // THEN the cut-off create is completed (its Secrets written), without a second commit
  expect((await api('POST', '/api/v1/environments', await environment('crash-a'))).status).toBe(201);
  // …and a create that dies after its Secrets, before answering, is complete: the retry is a 409
  expect((await api('POST', '/api/v1/environments', await environment('crash-b'))).status).toBe(0);
  await crashedAt(server, 'create:secrets-written');
  // (the retry goes out again after each restart until it gets an answer: a wave commit may kill
  // the server first)
  let retryOfB = 0;
  server = await start('wave:committed');

  // WHEN it dies right after each wave commit, until both are Ready
  let waveCrashes = 0;
  for (;;) {
    if (retryOfB === 0)
      retryOfB = (await api('POST', '/api/v1/environments', await environment('crash-b'))).status;
    const outcome = await Promise.race([
      server.exited.then(() => 'crashed' as const),
      waitFor(
        'both Ready',
        async () =>
          (await phaseOf('crash-a')) === 'Ready' && (await phaseOf('crash-b')) === 'Ready'
            ? ('ready' as const)
            : undefined,
        { timeoutMs: 180_000, intervalMs: 200 },
      ),
    ]);
    if (outcome === 'ready') break;
    await crashedAt(server, 'wave:committed');
    waveCrashes++;
    server = await start('wave:committed');
  }
  // THEN at least one wave commit was interrupted, and both environments are Ready with their Secrets
  expect(waveCrashes).toBeGreaterThanOrEqual(1);
  expect(retryOfB).toBe(409);
  for (const name of ['crash-a', 'crash-b']) {
    const secret = await cluster().get({
      apiVersion: 'v1',
      kind: 'Secret',
      name: `${name}-monitoring-params`,
      namespace: name,
    });
    const apiKey = (secret?.data as Record<string, string> | undefined)?.['api-key'];
    expect(Buffer.from(apiKey ?? '', 'base64').toString()).toBe(API_KEY);
  }
  await kill9(running()!);

  // WHEN the deletion of crash-a is cut off at each of its boundaries in turn
  server = await start('delete:requested');
  expect((await api('DELETE', '/api/v1/environments/crash-a')).status).toBe(0);
  await crashedAt(server, 'delete:requested');
  for (const boundary of [
    'deletion:apps-removed',
    'deletion:infra-removed',
    'deletion:secrets-deleted',
    'deletion:files-removed',
    'deletion:claim-released',
  ] as const) {
    server = await start(boundary);
    // (the client, which got no answer the first time, asks again; once the files are gone it is a 404)
    expect([0, 202, 404]).toContain((await api('DELETE', '/api/v1/environments/crash-a')).status);
    await crashedAt(server, boundary);
  }

  // THEN after a last start it is gone, and nothing of it is left anywhere
  await start();
  await waitFor('crash-a to be gone', async () =>
    (await api('GET', '/api/v1/environments/crash-a')).status === 404 ? true : undefined,
  );
  expect(await leftInCluster(cluster(), 'crash-a')).toEqual([]);
  const [platform, apps] = [await commits(repo('platform')), await commits(repo('apps'))];
  // …no change set was committed twice (grouped with others or not), and each step file was added
  // once and removed once
  expect([...duplicates(platform, 'crash-'), ...duplicates(apps, 'crash-')]).toEqual([]);
  for (const [file, count] of [...touches(platform, 'crash-a'), ...touches(apps, 'crash-a')])
    if (/\/(infra|apps)\//.test(file)) expect({ file, count }).toEqual({ file, count: 2 });
  expect(
    platform.flatMap((c) => c.changeSets).filter((m) => m.startsWith('envcat: create environment crash-a:')),
  ).toHaveLength(1);
  // …while crash-b, untouched by all this, is still Ready with its Secret
  expect(await phaseOf('crash-b')).toBe('Ready');

  // AND crash-b deleted without a crash leaves both repos and the cluster clean
  expect((await api('DELETE', '/api/v1/environments/crash-b')).status).toBe(202);
  await waitFor(
    'crash-b to be gone',
    async () => ((await api('GET', '/api/v1/environments/crash-b')).status === 404 ? true : undefined),
    { timeoutMs: 120_000 },
  );
  expect(await leftInCluster(cluster(), 'crash-b')).toEqual([]);
  const tree = async (name: 'platform' | 'apps') =>
    (await commits(repo(name))).length > 0 ? await lsTree(repo(name)) : [];
  expect(
    (await tree('platform')).filter((p) => p.startsWith('environments/') || p.startsWith('namespaces/')),
  ).toEqual([]);
  expect((await tree('apps')).filter((p) => p.startsWith('environments/'))).toEqual([]);
});
