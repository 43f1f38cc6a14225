/**
 * kill -9 at every step boundary of an update and an upgrade (issue "Faults"; crash-points.test.ts
 * does a create and a delete). `npm start`'s compiled server kills itself with SIGKILL exactly at
 * one boundary (ENVCAT_CRASH_AT, src/server/crash-hook.ts) and starts again on the same data
 * directory. One PUT changes a parameter of a running Workspace, adds an instance with a secret
 * parameter and removes two (one Application, one Workspace): it is cut off after its commit, the
 * engine after its changed step, after the removed apps, after the removed infrastructure, after
 * the removed instances' Secrets, and the client's retry (the same request, without the
 * resourceVersion it read before) after the Secrets, then the new wave. An upgrade is cut off after
 * its commit and after its changed steps, and sent again. Then a delete. In the end: no commit
 * twice, each step file touched as expected, the new instance's Secret with the value sent, the
 * removed instances' Secrets gone, nothing left in the cluster or the repos.
 */
import { jest } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { commits, exampleText, parse, waitFor } from '../support/envcat.js';
import { duplicates } from '../support/change-sets.js';
import { crashLifecycle, leftInCluster, lsTree, touches } from '../support/crash-lifecycle.js';
import { rdsPostgresFiles } from '../support/examples.js';
import {
  buildServer,
  freePort,
  kill9,
  removeServerBuild,
  type ServerProcess,
} from '../support/server-process.js';

jest.setTimeout(600_000);

const TOKEN = 'crash-update-token-0123456789';
const NAME = 'crash-u';
const API_KEY = 'fedcba9876543210fedcba9876543210';
const PASSWORD = 'db2-password-0123456789';

let dir: string;
let port: number;
const { running, start, crashedAt, api, phaseOf, cluster, repo } = crashLifecycle({
  dir: () => dir,
  port: () => port,
  token: TOKEN,
});

beforeAll(async () => {
  await buildServer();
  dir = await mkdtemp(join(tmpdir(), 'envcat-crash-update-'));
  port = await freePort();
});
afterAll(async () => {
  const server = running();
  if (server) await kill9(server);
  await rm(dir, { recursive: true, force: true });
  await removeServerBuild();
});

interface Request {
  metadata: { name: string; resourceVersion?: string };
  spec: {
    namespace: string;
    ttl?: string;
    catalogs: Array<{ name: string; entry: string; version?: string; parameters: Record<string, unknown> }>;
  };
  status?: unknown;
}

/** The README's hybrid example (db, then monitoring and app) with a bucket beside the database. */
async function environment(): Promise<Request> {
  const document = parse(await exampleText('sample-app', 'dev-feature-auth.yaml')) as unknown as Request;
  document.metadata.name = NAME;
  document.spec.namespace = NAME;
  delete document.spec.ttl;
  const monitoring = document.spec.catalogs.find((c) => c.name === 'monitoring')!;
  monitoring.parameters.clusterName = NAME;
  monitoring.parameters.apiKey = API_KEY;
  document.spec.catalogs.push({
    name: 'bucket',
    entry: 's3-bucket',
    parameters: { bucketName: 'crash-u-b' },
  });
  return document;
}

const ready = (timeoutMs = 180_000) =>
  waitFor(`${NAME} Ready`, async () => ((await phaseOf(NAME)) === 'Ready' ? true : undefined), {
    timeoutMs,
    intervalMs: 200,
  });

/** Sends `send` again after each start until it is answered; meanwhile waits for `until`, restarting after each crash at `boundary`. */
async function convergeThrough(args: {
  server: ServerProcess;
  boundary: 'wave:committed';
  send: () => Promise<number>;
  until: () => Promise<true | undefined>;
}): Promise<{ answer: number; crashes: number }> {
  let { server } = args;
  let answer = 0;
  let crashes = 0;
  for (;;) {
    if (answer === 0) answer = await args.send();
    const outcome = await Promise.race([
      server.exited.then(() => 'crashed' as const),
      waitFor('convergence', args.until, { timeoutMs: 180_000, intervalMs: 200 }).then(() => 'done' as const),
    ]);
    if (outcome === 'done' && answer !== 0) return { answer, crashes };
    if (outcome === 'done') continue;
    await crashedAt(server, args.boundary);
    crashes++;
    server = await start(args.boundary);
  }
}

it('converges after a kill -9 at every step boundary of an update and an upgrade', async () => {
  // GIVEN a Ready environment, and envcat that dies right after an update's commit
  let server = await start('update:committed');
  expect((await api('POST', '/api/v1/environments', await environment())).status).toBe(201);
  await ready();
  const { status: _status, ...read } = (await api('GET', `/api/v1/environments/${NAME}`)).body as Request;
  expect(read.metadata.resourceVersion).toMatch(/^[0-9a-f]{40}$/);
  // …and a PUT (from that read) that changes db's storage, adds db2 with a secret parameter, and
  // removes monitoring (an Application) and bucket (a Workspace)
  const sent = structuredClone(read);
  sent.spec.catalogs = sent.spec.catalogs.filter((c) => c.name !== 'monitoring' && c.name !== 'bucket');
  sent.spec.catalogs.find((c) => c.name === 'db')!.parameters.allocatedStorage = 30;
  sent.spec.catalogs.push({
    name: 'db2',
    entry: 'rds-postgres@^1',
    parameters: { databaseName: 'crash_u_db2', masterPassword: PASSWORD },
  });
  const put = async () => (await api('PUT', `/api/v1/environments/${NAME}`, sent)).status;

  // WHEN the PUT is cut off after its commit, and the engine after each step of applying it
  expect(await put()).toBe(0);
  await crashedAt(server, 'update:committed');
  // The client got no answer. Its resourceVersion is stale now (its own update landed), so it sends
  // the request again as `envcat env apply` sends a file: without one (with it, a 409).
  delete sent.metadata.resourceVersion;
  for (const boundary of [
    'update:steps-committed',
    'update:apps-removed',
    'update:infra-removed',
    'update:secrets-deleted',
  ] as const) {
    server = await start(boundary);
    await crashedAt(server, boundary);
  }
  // …and the client's retry is cut off after the Secret it brings is written
  server = await start('update:secrets-written');
  expect(await put()).toBe(0);
  await crashedAt(server, 'update:secrets-written');
  // …and the engine after the new instance's wave, while the client sends it again until answered
  const update = await convergeThrough({
    server: await start('wave:committed'),
    boundary: 'wave:committed',
    send: put,
    until: async () => ((await phaseOf(NAME)) === 'Ready' ? true : undefined),
  });

  // THEN the retry is answered 200, the update committed once
  expect(update).toEqual({ answer: 200, crashes: 1 });
  const changeSets = async (prefix: string) =>
    (await commits(repo('platform'))).flatMap((c) => c.changeSets).filter((m) => m.startsWith(prefix));
  expect(await changeSets(`envcat: update environment ${NAME} `)).toEqual([
    expect.stringContaining('(add db2; remove monitoring, bucket)'),
  ]);
  // …db2's Secret holds the value sent, and the removed instances are gone from the cluster, their
  // Secrets too (monitoring's held its apiKey)
  const secret = await cluster().get({
    apiVersion: 'v1',
    kind: 'Secret',
    name: `${NAME}-db2-params`,
    namespace: NAME,
  });
  const stored = (secret?.data as Record<string, string> | undefined)?.masterPassword;
  expect(Buffer.from(stored ?? '', 'base64').toString()).toBe(PASSWORD);
  await waitFor('the removed Application and Workspace, and their Secrets, to be gone', async () => {
    const left = (await leftInCluster(cluster(), NAME)).filter((o) => /monitoring|bucket/.test(o));
    return left.length === 0 ? true : undefined;
  });

  // GIVEN rds-postgres 1.1.0 published, and envcat that dies right after an upgrade's commit
  expect((await api('POST', '/api/v1/catalogs', { files: rdsPostgresFiles('1.1.0') })).status).toBe(201);
  await kill9(running()!);
  server = await start('update:committed');
  // WHEN the upgrade of db and db2 is cut off after its commit, then the engine after the changed steps
  expect((await api('POST', `/api/v1/environments/${NAME}/upgrade`, {})).status).toBe(0);
  await crashedAt(server, 'update:committed');
  server = await start('update:steps-committed');
  await crashedAt(server, 'update:steps-committed');
  // …and the client sends the upgrade again
  await start();
  const upgrade = await api('POST', `/api/v1/environments/${NAME}/upgrade`, {});
  // THEN the retry is a no-op success: both pinned to 1.1.0, one upgrade commit, and it converges
  expect(upgrade.status).toBe(200);
  expect((upgrade.body as Request).spec.catalogs.filter((c) => c.entry.startsWith('rds-postgres'))).toEqual([
    expect.objectContaining({ name: 'db', version: '1.1.0' }),
    expect.objectContaining({ name: 'db2', version: '1.1.0' }),
  ]);
  await ready();
  expect(await changeSets(`envcat: upgrade environment ${NAME}:`)).toHaveLength(1);

  // WHEN it is deleted
  expect((await api('DELETE', `/api/v1/environments/${NAME}`)).status).toBe(202);
  await waitFor(
    `${NAME} to be gone`,
    async () => ((await api('GET', `/api/v1/environments/${NAME}`)).status === 404 ? true : undefined),
    { timeoutMs: 120_000 },
  );
  // THEN nothing of it is left in the cluster or the repos, and no change set was committed twice
  expect(await leftInCluster(cluster(), NAME)).toEqual([]);
  const [platformLog, appsLog] = [await commits(repo('platform')), await commits(repo('apps'))];
  expect([...duplicates(platformLog, NAME), ...duplicates(appsLog, NAME)]).toEqual([]);
  // …each step file added once and removed once, db's changed once by the update and once by the
  // upgrade, db2's (added by the update) once by the upgrade
  const expected: Record<string, number> = {
    [`environments/${NAME}/infra/db.yaml`]: 4,
    [`environments/${NAME}/infra/db2.yaml`]: 3,
  };
  for (const [file, count] of [...touches(platformLog, NAME), ...touches(appsLog, NAME)])
    if (/\/(infra|apps)\//.test(file)) expect({ file, count }).toEqual({ file, count: expected[file] ?? 2 });
  expect(touches(platformLog, NAME).get(`environments/${NAME}/infra/bucket.yaml`)).toBe(2);
  expect(touches(appsLog, NAME).get(`environments/${NAME}/apps/monitoring.yaml`)).toBe(2);
  expect(
    (await lsTree(repo('platform'))).filter(
      (p) => p.startsWith('environments/') || p.startsWith('namespaces/'),
    ),
  ).toEqual([]);
  expect((await lsTree(repo('apps'))).filter((p) => p.startsWith('environments/'))).toEqual([]);
});
