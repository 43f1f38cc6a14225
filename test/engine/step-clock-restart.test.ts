/**
 * Timeouts count from Git, not from a process's memory: after a restart, a step that
 * timed out is still Failed from the first status the new engine serves, and one still converging
 * keeps the time it has already spent. Two envcat processes in turn on one simulated cluster and
 * one pair of repos, as a pod and its replacement.
 */
import { jest } from '@jest/globals';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { startSimulatedCluster, type SimulatedCluster } from '../../src/simulator/index.js';
import { ensureBareRepo } from '../../src/gitops/index.js';
import { kubeconfigFor } from '../../src/server/kubeconfig.js';
import { builtInCatalog } from '../support/examples.js';
import { exampleText, parse, startTestEnvcat, waitFor, type TestEnvcat } from '../support/envcat.js';

jest.setTimeout(90_000);

let dir: string;
let cluster: SimulatedCluster;
let env: Record<string, string>;
const running: TestEnvcat[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'envcat-clock-'));
  const platform = join(dir, 'platform.git');
  const apps = join(dir, 'apps.git');
  await ensureBareRepo(platform);
  await ensureBareRepo(apps);
  cluster = await startSimulatedCluster({
    platformRepoUrl: platform,
    appsRepoUrl: apps,
    workdir: join(dir, 'simulator'),
    catalog: await builtInCatalog(),
    defaultDelayMs: 150,
    logger: pino({ level: 'silent' }),
  });
  const kubeconfig = join(dir, 'kubeconfig');
  await writeFile(kubeconfig, kubeconfigFor({ url: cluster.url }));
  env = {
    KUBECONFIG: kubeconfig,
    ENVCAT_PLATFORM_REPO: platform,
    ENVCAT_APPS_REPO: apps,
    ENVCAT_LEASE_DURATION: '2s',
  };
});

afterAll(async () => {
  for (const envcat of running) await envcat.close().catch(() => undefined);
  await cluster?.stop();
  await rm(dir, { recursive: true, force: true });
});

async function start(identity: string): Promise<TestEnvcat> {
  const envcat = await startTestEnvcat({ env: { ...env, ENVCAT_IDENTITY: identity } });
  running.push(envcat);
  return envcat;
}

it('a step that timed out is Failed from the first status after a restart; one converging keeps its time', async () => {
  // GIVEN two environments whose app never becomes ready: one with a 2 s timeout, one with 12 s
  const first = await start('first');
  const create = async (name: string, timeout: string) => {
    const document = parse(await exampleText('sample-app', 'standalone.yaml'));
    (document.metadata as Record<string, unknown>).name = name;
    (document.metadata as Record<string, unknown>).annotations = {
      'simulator.envcat.io/web': '{"neverReady": true}',
    };
    (document.spec as Record<string, unknown>).namespace = name;
    (document.spec as Record<string, unknown>).timeouts = { apps: timeout };
    const response = await first.api('POST', '/api/v1/environments', document);
    expect(response.status).toBe(201);
  };
  // (clock-long first, and converging before clock-short is created: each environment's apps wait
  // for its AppProject, which Argo CD creates on its own time)
  await create('clock-long', '12s');
  const createdLong = Date.now();
  await waitFor(
    'clock-long to deploy its app',
    () => (first.engine.status('clock-long')?.phase === 'DeployingApplications' ? true : undefined),
    { timeoutMs: 15_000 },
  );
  await create('clock-short', '2s');
  const failed = await waitFor(
    'clock-short to time out',
    () =>
      first.engine.status('clock-short')?.phase === 'Failed' ? first.engine.status('clock-short') : undefined,
    { timeoutMs: 30_000 },
  );
  expect(failed.steps[0]).toMatchObject({ reason: 'Timeout' });
  expect(first.engine.status('clock-long')?.phase).toBe('DeployingApplications');

  // WHEN the process is replaced
  await first.close();
  running.splice(running.indexOf(first), 1);
  const second = await start('second');
  const restartedAt = Date.now();

  // THEN the first status it derives is Failed, not converging again
  const phases = second
    .logs()
    .split('\n')
    .filter((line) => line.includes('"environment":"clock-short"') && line.includes('"phase"'))
    .map((line) => (JSON.parse(line) as { phase: string }).phase);
  expect(phases[0]).toBe('Failed');
  const after = second.engine.status('clock-short');
  expect(after?.phase).toBe('Failed');
  expect(after?.steps[0]).toMatchObject({ phase: 'Failed', reason: 'Timeout' });
  // …and the other times out 12 s after its commit, not 12 s after the restart (Git dates the
  // commit to the second: up to 1 s before `createdLong`)
  const long = await waitFor(
    'clock-long to time out',
    () =>
      second.engine.status('clock-long')?.phase === 'Failed' ? second.engine.status('clock-long') : undefined,
    { timeoutMs: 30_000 },
  );
  expect(long.steps[0]).toMatchObject({ reason: 'Timeout' });
  expect(Date.now() - createdLong).toBeGreaterThanOrEqual(11_000);
  expect(Date.now() - restartedAt).toBeLessThan(11_000);
});
