/**
 * `npm start` killed with SIGKILL and started again on the same data directory (issue "Safe under
 * concurrent users, restarts and hostile input", item 4): the simulated cluster's objects are on
 * disk under .envcat/cluster, so a Ready environment keeps its `-params` Secret and stays Ready,
 * and environments that were mid-create (a Workspace mid-apply, an Application mid-sync, kept so by
 * the simulator's delay control) carry on to Ready. Nothing is committed twice.
 */
import { jest } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeClusterClient } from '../../src/cluster/client.js';
import { commits, exampleText, parse, waitFor } from '../support/envcat.js';
import { buildServer, freePort, kill9, removeServerBuild, startServer } from '../support/server-process.js';

jest.setTimeout(240_000);

const TOKEN = 'restart-test-token-0123456789';
const PASSWORD = 'Restart-pw-0123456789';

interface Spec {
  namespace: string;
  catalogs: Array<{ name: string; parameters: Record<string, unknown> }>;
}

interface EnvironmentDocument {
  metadata: { name: string; annotations?: Record<string, string> };
  spec: Spec;
}

interface StatusBody {
  phase: string;
}

/** The compiled server on `dir`, as `npm start` runs it. */
const start = (dir: string, port: number) => startServer({ dir, port, token: TOKEN });

async function api(port: number, method: string, path: string, body?: unknown) {
  const response = await fetch(`http://127.0.0.1:${port}${path}`, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return {
    status: response.status,
    text,
    body: (text ? JSON.parse(text) : undefined) as { status?: StatusBody } | undefined,
  };
}

function phase(port: number, name: string, wanted: string | ((phase: string) => boolean)) {
  const ok = typeof wanted === 'string' ? (p: string) => p === wanted : wanted;
  return waitFor(
    `${name} to be ${String(wanted)}`,
    async () => {
      const { status, body } = await api(port, 'GET', `/api/v1/environments/${name}`);
      const current = status === 200 ? body?.status?.phase : undefined;
      if (current === 'Failed') throw new Error(`${name} failed: ${JSON.stringify(body?.status)}`);
      return current !== undefined && ok(current) ? body?.status : undefined;
    },
    { timeoutMs: 90_000, intervalMs: 200 },
  );
}

async function request(
  example: readonly [string, string],
  name: string,
  edit: (spec: Spec) => void,
  delay?: string,
) {
  const document = parse(await exampleText(...example)) as unknown as EnvironmentDocument;
  document.metadata.name = name;
  document.spec.namespace = name;
  const instance = document.spec.catalogs[0]!.name;
  if (delay)
    document.metadata.annotations = { [`simulator.envcat.io/${instance}`]: JSON.stringify({ delay }) };
  edit(document.spec);
  return document;
}

it('keeps the simulated cluster across a kill -9: Secrets stay, Ready stays Ready, mid-create carries on', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'envcat-restart-'));
  await buildServer();
  const port = await freePort();
  let running = await start(dir, port);
  try {
    // GIVEN a Ready environment whose database password came through the API
    const ready = 'restart-ready';
    const withPassword = (spec: Spec) => {
      spec.catalogs[0]!.parameters.masterPassword = PASSWORD;
    };
    expect(
      (
        await api(
          port,
          'POST',
          '/api/v1/environments',
          await request(['rds-postgres', 'minimal.yaml'], ready, withPassword),
        )
      ).status,
    ).toBe(201);
    await phase(port, ready, 'Ready');
    const secretRef = { apiVersion: 'v1', kind: 'Secret', name: `${ready}-db-params`, namespace: ready };
    const secretBefore = await KubeClusterClient.forServer({ url: running.clusterUrl }).get(secretRef);
    expect(secretBefore).toBeDefined();

    // AND two environments mid-create: a Workspace mid-apply and an Application mid-sync
    const infra = 'restart-mid-infra';
    const apps = 'restart-mid-apps';
    for (const [example, name] of [
      [['rds-postgres', 'minimal.yaml'], infra],
      [['sample-app', 'standalone.yaml'], apps],
    ] as const)
      expect(
        (
          await api(
            port,
            'POST',
            '/api/v1/environments',
            await request(example, name, name === infra ? withPassword : () => undefined, '20s'),
          )
        ).status,
      ).toBe(201);
    await phase(port, infra, 'ProvisioningInfrastructure');
    await phase(port, apps, 'DeployingApplications');
    // (so the cluster says right before the kill: the Workspace applying, the Application progressing)
    const cluster = KubeClusterClient.forServer({ url: running.clusterUrl });
    await waitFor(
      'the Workspace to be applying',
      async () => {
        const workspace = await cluster.get({
          apiVersion: 'tf.m.upbound.io/v1beta1',
          kind: 'Workspace',
          name: `${infra}-db`,
          namespace: infra,
        });
        const conditions = (workspace?.status as { conditions?: Array<Record<string, unknown>> } | undefined)
          ?.conditions;
        // provider-terraform sets no condition until its first apply returns (see CONTROLLERS.md)
        const ready = conditions?.find((c) => c.type === 'Ready');
        const applying = workspace !== undefined && ready === undefined;
        return applying || (ready?.status === 'False' && ready.reason === 'Creating') ? true : undefined;
      },
      { timeoutMs: 15_000 },
    );
    await waitFor(
      'the Application to be Progressing',
      async () => {
        const application = await cluster.get({
          apiVersion: 'argoproj.io/v1alpha1',
          kind: 'Application',
          name: `${apps}-web`,
          namespace: 'argocd',
        });
        const health = (application?.status as { health?: { status?: string } } | undefined)?.health;
        return health?.status === 'Progressing' ? true : undefined;
      },
      { timeoutMs: 15_000 },
    );
    const platformBefore = await commits(join(dir, 'repos', 'platform.git'));
    const appsBefore = await commits(join(dir, 'repos', 'apps.git'));

    // WHEN the server is killed with SIGKILL and started again on the same data directory
    await kill9(running);
    running = await start(dir, port);
    // the same engine identity (one process per data dir): it leads at once, not after its old Lease expires
    expect(running.output()).toContain('"msg":"became leader"');

    // THEN the Ready environment's parameter Secret is there, the same object (uid), and it is still Ready
    const secretAfter = await KubeClusterClient.forServer({ url: running.clusterUrl }).get(secretRef);
    expect(secretAfter?.metadata.uid).toBe(secretBefore!.metadata.uid);
    expect(secretAfter?.data).toEqual(secretBefore!.data);
    expect(running.output()).toMatch(/simulated cluster state loaded from disk/);
    const afterRestart = await phase(port, ready, () => true);
    expect(afterRestart.phase).toBe('Ready');
    // AND the environments that were mid-create carry on to Ready
    await phase(port, infra, 'Ready');
    await phase(port, apps, 'Ready');
    const stillReady = await phase(port, ready, () => true);
    expect(stillReady.phase).toBe('Ready');

    // AND nothing was committed twice: the commits before the kill are all there, and every
    // environment's files went to Git once per wave
    const platform = await commits(join(dir, 'repos', 'platform.git'));
    const appsRepo = await commits(join(dir, 'repos', 'apps.git'));
    expect(platform.slice(0, platformBefore.length)).toEqual(platformBefore);
    expect(appsRepo.slice(0, appsBefore.length)).toEqual(appsBefore);
    for (const name of [ready, infra, apps]) {
      const touching = (list: typeof platform, part: string) =>
        list.filter((c) => c.files.some((f) => f.startsWith(`environments/${name}/${part}`)));
      expect(touching(platform, 'environment.yaml')).toHaveLength(1);
      expect(touching(platform, 'infra/').length).toBeLessThanOrEqual(1);
      expect(touching(appsRepo, 'apps/').length).toBeLessThanOrEqual(1);
    }
    expect(platform.filter((c) => c.files.includes(`environments/${infra}/infra/db.yaml`))).toHaveLength(1);
    expect(appsRepo.filter((c) => c.files.includes(`environments/${apps}/apps/web.yaml`))).toHaveLength(1);
    expect(running.output()).not.toContain(PASSWORD);
  } finally {
    await kill9(running).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
    await removeServerBuild();
  }
});
