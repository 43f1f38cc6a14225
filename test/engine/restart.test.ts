/**
 * Issue 3, required test 5: the engine process is killed (SIGKILL) in the middle of phase 1 and
 * started again; it converges to Ready with no duplicate commits. The simulated cluster and the
 * repos live in this test process, so they outlive the engine, as a real cluster and Git would;
 * the engine runs as a child process on a kubeconfig, exactly as it would against a real cluster
 * (compiled, as `npm start` runs it: through tsx every start would compile the server again).
 */
import { jest } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { startSimulatedCluster, type SimulatedCluster } from '../../src/simulator/index.js';
import { ensureBareRepo } from '../../src/gitops/index.js';
import { kubeconfigFor } from '../../src/server/kubeconfig.js';
import { CATALOGS, REPO_ROOT, builtInCatalog } from '../support/examples.js';
import { commits, exampleText, parse, waitFor } from '../support/envcat.js';
import { SERVER_MAIN, buildServer, freePort, removeServerBuild } from '../support/server-process.js';
import { EXIT_WITH_PARENT } from '../support/exit-with-parent.js';

jest.setTimeout(120_000);

const TOKEN = 'restart-test-token-0123456789';

let dir: string;
let cluster: SimulatedCluster;
let platformRepo: string;
let appsRepo: string;
const children: ChildProcess[] = [];

beforeAll(async () => {
  await buildServer();
  dir = await mkdtemp(join(tmpdir(), 'envcat-restart-'));
  platformRepo = join(dir, 'platform.git');
  appsRepo = join(dir, 'apps.git');
  await ensureBareRepo(platformRepo, { initialBranch: 'main' });
  await ensureBareRepo(appsRepo, { initialBranch: 'main' });
  cluster = await startSimulatedCluster({
    platformRepoUrl: platformRepo,
    appsRepoUrl: appsRepo,
    workdir: join(dir, 'simulator'),
    catalog: await builtInCatalog(),
    defaultDelayMs: 150,
    logger: pino({ level: 'silent' }),
    pollMs: 500,
  });
  await writeFile(join(dir, 'kubeconfig'), kubeconfigFor({ url: cluster.url }));
});

afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  await cluster?.stop();
  await rm(dir, { recursive: true, force: true });
  await removeServerBuild();
});

async function startEngine(port: number): Promise<{ child: ChildProcess; output: () => string }> {
  const args = [...EXIT_WITH_PARENT, SERVER_MAIN, '--kubeconfig', join(dir, 'kubeconfig')];
  const child = spawn(process.execPath, args, {
    detached: true,
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      ENVCAT_DATA_DIR: join(dir, 'engine'),
      ENVCAT_CATALOGS: CATALOGS,
      ENVCAT_PLATFORM_REPO: platformRepo,
      ENVCAT_APPS_REPO: appsRepo,
      ENVCAT_ADMIN_TOKEN: TOKEN,
      ENVCAT_GIT_POLL: '200ms',
      ENVCAT_RESYNC: '1s',
      // A short lease: the restarted process must not wait long for its dead predecessor's.
      ENVCAT_LEASE_DURATION: '3s',
      ENVCAT_LOG_LEVEL: 'info',
      ENVCAT_IDENTITY: `engine-${children.length}`,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  await waitFor(
    'the engine to serve',
    async () => {
      if (child.exitCode !== null) throw new Error(`engine exited ${child.exitCode}:\n${output}`);
      const response = await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined);
      return response?.ok ? true : undefined;
    },
    { timeoutMs: 60_000, intervalMs: 200 },
  );
  return { child, output: () => output };
}

async function api(port: number, method: string, path: string, body?: unknown) {
  const response = await fetch(`http://127.0.0.1:${port}${path}`, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return {
    status: response.status,
    body: (await response.json()) as { status?: { phase: string; message: string } },
  };
}

it('5. converges to Ready without duplicate commits after a SIGKILL in phase 1', async () => {
  // GIVEN an engine provisioning the domain example, with a database that takes a while
  const port = await freePort();
  const first = await startEngine(port);
  const document = parse(await exampleText('sample-app', 'dev-feature-auth.yaml'));
  (document.metadata as Record<string, unknown>).annotations = {
    'simulator.envcat.io/db': '{"delay": "3s"}',
  };
  expect((await api(port, 'POST', '/api/v1/environments', document)).status).toBe(201);

  // WHEN the database's Workspace is committed (phase 1 under way) the engine is killed
  await waitFor('the infra commit', async () =>
    (await commits(platformRepo)).some((c) => c.files.includes('environments/dev-feature-auth/infra/db.yaml'))
      ? true
      : undefined,
  );
  first.child.kill('SIGKILL');
  await new Promise((resolve) => first.child.once('exit', resolve));
  expect((await commits(appsRepo)).length).toBe(0);

  // THEN a new engine process picks up from Git and the cluster and finishes the job
  const second = await startEngine(port);
  const status = await waitFor(
    'Ready after the restart',
    async () => {
      const response = await api(port, 'GET', '/api/v1/environments/dev-feature-auth');
      if (response.body.status?.phase === 'Failed') throw new Error(response.body.status.message);
      return response.body.status?.phase === 'Ready' ? response.body.status : undefined;
    },
    { timeoutMs: 60_000, intervalMs: 200 },
  );
  expect(status.phase).toBe('Ready');

  // …with every commit made once: one create, one namespace, one infra wave, one apps wave (counted
  // as change sets: one grouped behind another in a commit is named only in that commit's body).
  const platform = (await commits(platformRepo)).flatMap((c) => c.changeSets);
  const apps = (await commits(appsRepo)).flatMap((c) => c.changeSets);
  expect(platform.filter((m) => m.startsWith('envcat: create environment dev-feature-auth'))).toHaveLength(1);
  expect(platform.filter((m) => m.includes('wave 1'))).toHaveLength(1);
  expect(apps.filter((m) => m.includes('wave 2'))).toHaveLength(1);
  expect(new Set(platform).size).toBe(platform.length);
  expect(new Set(apps).size).toBe(apps.length);
  second.child.kill('SIGTERM');
  await new Promise((resolve) => second.child.once('exit', resolve));
});
