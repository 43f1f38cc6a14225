/**
 * Two engine replicas on one cluster and one pair of repos: only the Lease holder reconciles,
 * either replica serves the API, and when the leader goes the other takes over. The cluster is a
 * simulator both reach through a kubeconfig, as two pods would reach a real API server.
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
import { commits, exampleText, parse, startTestEnvcat, waitFor, type TestEnvcat } from '../support/envcat.js';

jest.setTimeout(90_000);

let dir: string;
let cluster: SimulatedCluster;
const replicas: TestEnvcat[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'envcat-replicas-'));
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
  for (const identity of ['replica-a', 'replica-b'])
    replicas.push(
      await startTestEnvcat({
        env: {
          KUBECONFIG: kubeconfig,
          ENVCAT_PLATFORM_REPO: platform,
          ENVCAT_APPS_REPO: apps,
          ENVCAT_IDENTITY: identity,
          ENVCAT_LEASE_DURATION: '2s',
        },
      }),
    );
});

afterAll(async () => {
  for (const replica of replicas) await replica.close().catch(() => undefined);
  await cluster?.stop();
  await rm(dir, { recursive: true, force: true });
});

async function bucket(name: string): Promise<Record<string, unknown>> {
  const document = parse(await exampleText('s3-bucket', 'basic.yaml'));
  (document.metadata as { name: string }).name = name;
  (document.spec as { namespace: string }).namespace = name;
  return document;
}

function ready(replica: TestEnvcat, name: string) {
  return waitFor(
    `${name} to be Ready`,
    async () => {
      const response = await replica.api<{ status: { phase: string } }>(
        'GET',
        `/api/v1/environments/${name}`,
      );
      return response.body?.status?.phase === 'Ready' ? true : undefined;
    },
    { timeoutMs: 45_000 },
  );
}

it('lets one replica lead, serves from both, and fails over when the leader stops', async () => {
  // GIVEN two replicas: exactly one holds the Lease
  await waitFor('a leader', () => (replicas.some((r) => r.engine.isLeader) ? true : undefined));
  const leader = replicas.find((r) => r.engine.isLeader)!;
  const follower = replicas.find((r) => r !== leader)!;
  const followerIdentity = follower === replicas[0] ? 'replica-a' : 'replica-b';
  expect(follower.engine.isLeader).toBe(false);
  expect(follower.cluster).not.toBe(leader.cluster);

  // WHEN an environment is created through the follower, the leader provisions it
  const created = await follower.api('POST', '/api/v1/environments', await bucket('via-follower'));
  expect(created.status).toBe(201);
  await ready(follower, 'via-follower');
  const wave = (await commits(leader.repoUrls.platform)).filter((c) =>
    c.files.includes('environments/via-follower/infra/uploads.yaml'),
  );
  expect(wave).toHaveLength(1);

  // WHEN the leader goes away, the follower takes the Lease and carries on
  await leader.close();
  replicas.splice(replicas.indexOf(leader), 1);
  await waitFor('the follower to lead', () => (follower.engine.isLeader ? true : undefined), {
    timeoutMs: 15_000,
  });
  const lease = await follower.cluster.get({
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    name: 'envcat-engine',
    namespace: 'envcat-system',
  });
  expect((lease?.spec as { holderIdentity: string }).holderIdentity).toBe(followerIdentity);
  expect((lease?.spec as { leaseTransitions: number }).leaseTransitions).toBeGreaterThanOrEqual(1);
  expect((await follower.api('POST', '/api/v1/environments', await bucket('after-failover'))).status).toBe(
    201,
  );
  await ready(follower, 'after-failover');
});
