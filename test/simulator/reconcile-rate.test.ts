/**
 * provider-terraform's `--max-reconcile-rate` in the simulated provider: controller-runtime runs at
 * most that many reconciles of a controller at once, and provider-terraform's reconcile runs
 * terraform to the end (cmd/provider/main.go: MaxConcurrentReconciles = --max-reconcile-rate, one
 * controller per Workspace API). The test watches the Workspaces the way anyone would and reads
 * the order of what happened from the watch: the moment an apply starts is the moment the
 * provider puts its finalizer on (crossplane-runtime's managed reconciler does that first).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { jest } from '@jest/globals';
import {
  DEFAULT_BOOTSTRAP_DIR,
  DEFAULT_MAX_RECONCILE_RATE,
  loadBootstrap,
  MANAGED_RESOURCE_FINALIZER,
  SimulatedProviderTerraform,
  type ControlSource,
} from '../../src/simulator/index.js';
import type { Informer, KubeObject, ObjectRef } from '../../src/cluster/types.js';
import { InputError, parseYamlDocuments, WORKSPACE_API, type WorkspaceApi } from '../../src/core/index.js';
import { REPO_ROOT } from '../support/examples.js';
import { conditionOf, recordingLogger, startTestCluster, waitFor, type TestCluster } from './support.js';

jest.setTimeout(60_000);

const NO_CONTROLS: ControlSource = { forInstance: async () => ({}) };
const DELAY_MS = 400;

let cluster: TestCluster;
let counter = 0;
const stops: Array<() => Promise<void> | void> = [];

beforeAll(async () => {
  cluster = await startTestCluster();
  const bootstrap = await loadBootstrap({
    dir: DEFAULT_BOOTSTRAP_DIR,
    platformRepoUrl: 'file:///platform.git',
    appsRepoUrl: 'file:///apps.git',
  });
  for (const doc of bootstrap.filter((d) => d.kind.endsWith('ProviderConfig')))
    await cluster.client.apply(doc, { fieldManager: 'test-bootstrap' });
});
afterEach(async () => {
  for (let stop = stops.pop(); stop; stop = stops.pop()) await stop();
});
afterAll(async () => {
  await cluster.stop();
});

async function startProvider(maxReconcileRate: number): Promise<SimulatedProviderTerraform> {
  const provider = new SimulatedProviderTerraform({
    cluster: cluster.client,
    apis: ['namespaced', 'cluster'],
    controls: NO_CONTROLS,
    defaultDelayMs: DELAY_MS,
    maxReconcileRate,
    logger: recordingLogger().logger,
  });
  await provider.start();
  stops.push(() => provider.stop());
  return provider;
}

/** A namespace of its own and `count` Workspaces of `api` in it (or cluster-scoped), not created yet. */
async function workspaces(count: number, api: WorkspaceApi = 'namespaced'): Promise<KubeObject[]> {
  const namespace = `rate-${++counter}`;
  await cluster.client.apply(
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } },
    { fieldManager: 'test' },
  );
  return Array.from({ length: count }, (_, i) => ({
    apiVersion: WORKSPACE_API[api],
    kind: 'Workspace',
    metadata: {
      name: `${namespace}-ws${i}`,
      ...(api === 'namespaced' ? { namespace } : {}),
    },
    spec: {
      forProvider: { source: 'Inline', module: 'output "id" {\n  value = "x"\n}\n' },
      writeConnectionSecretToRef: {
        name: `${namespace}-ws${i}-outputs`,
        ...(api === 'cluster' ? { namespace } : {}),
      },
    },
  }));
}

const refOf = (o: KubeObject): ObjectRef => ({
  apiVersion: o.apiVersion,
  kind: o.kind,
  name: o.metadata.name,
  ...(o.metadata.namespace ? { namespace: o.metadata.namespace } : {}),
});

/**
 * What the watches see, in order, per Workspace: `start` (the provider's finalizer appears),
 * `available`, `deleting`, `gone`.
 */
async function timeline(objects: KubeObject[]): Promise<{ events: string[]; stop(): void }> {
  const events: string[] = [];
  const seen = new Map<string, Set<string>>();
  const note = (name: string, what: string) => {
    const done = seen.get(name) ?? new Set<string>();
    seen.set(name, done);
    if (done.has(what)) return;
    done.add(what);
    events.push(`${name} ${what}`);
  };
  const names = new Set(objects.map((o) => o.metadata.name));
  const informers: Informer[] = [];
  for (const apiVersion of new Set(objects.map((o) => o.apiVersion))) {
    const informer = cluster.client.informer({ apiVersion, kind: 'Workspace' });
    const observe = (ws: KubeObject) => {
      if (!names.has(ws.metadata.name)) return;
      if (ws.metadata.finalizers?.includes(MANAGED_RESOURCE_FINALIZER)) note(ws.metadata.name, 'start');
      const ready = conditionOf(ws, 'Ready');
      if (ready?.status === 'True') note(ws.metadata.name, 'available');
      if (ready?.reason === 'Deleting') note(ws.metadata.name, 'deleting');
    };
    informer.on('ADDED', observe);
    informer.on('MODIFIED', observe);
    informer.on('DELETED', (ws) => names.has(ws.metadata.name) && note(ws.metadata.name, 'gone'));
    await informer.start();
    informers.push(informer);
  }
  const stop = () => informers.forEach((i) => i.stop());
  stops.push(stop);
  return { events, stop };
}

const isAvailable = async (o: KubeObject) =>
  conditionOf(await cluster.client.get(refOf(o)), 'Ready')?.status === 'True';

describe('--max-reconcile-rate', () => {
  it('is, by default, what gitops/provider-terraform/provider.yaml runs the provider with', () => {
    const documents = parseYamlDocuments(
      readFileSync(join(REPO_ROOT, 'gitops/provider-terraform/provider.yaml'), 'utf8'),
    ) as Array<Record<string, unknown>>;
    const args = JSON.stringify(documents.find((d) => d.kind === 'DeploymentRuntimeConfig'));
    const rate = /--max-reconcile-rate=(\d+)/.exec(args)?.[1];
    expect(Number(rate)).toBe(DEFAULT_MAX_RECONCILE_RATE);
  });

  it('at 1, applies one Workspace at a time: the other waits untouched (no finalizer, no status) until the first is Available; destroys likewise', async () => {
    // GIVEN a provider with one worker, and two new Workspaces
    const provider = await startProvider(1);
    const [a, b] = await workspaces(2);
    const watched = await timeline([a!, b!]);

    // WHEN both are created at once
    await Promise.all([cluster.client.create(a!), cluster.client.create(b!)]);

    // THEN one is applied while the other waits, untouched, then the other
    const first = await waitFor(
      'an apply under way',
      () => watched.events.find((e) => e.endsWith(' start'))?.split(' ')[0],
    );
    const [applying, waiting] = first === a!.metadata.name ? [a!, b!] : [b!, a!];
    const untouched = await cluster.client.get(refOf(waiting));
    expect(untouched?.metadata.finalizers).toBeUndefined();
    expect(untouched?.status).toBeUndefined();
    expect(provider.workload()[a!.apiVersion]).toEqual({ busy: 1, queued: 1 });
    await waitFor('both Available', async () => (await isAvailable(a!)) && (await isAvailable(b!)));
    expect(watched.events).toEqual([
      `${applying.metadata.name} start`,
      `${applying.metadata.name} available`,
      `${waiting.metadata.name} start`,
      `${waiting.metadata.name} available`,
    ]);

    // WHEN both are deleted at once THEN they are destroyed one after the other
    watched.events.length = 0;
    await Promise.all([cluster.client.delete(refOf(a!)), cluster.client.delete(refOf(b!))]);
    await waitFor('both gone', async () => watched.events.filter((e) => e.endsWith(' gone')).length === 2);
    const [x, y] = watched.events.filter((e) => e.endsWith(' deleting')).map((e) => e.split(' ')[0]);
    expect(watched.events).toEqual([`${x} deleting`, `${x} gone`, `${y} deleting`, `${y} gone`]);
    expect(provider.workload()[a!.apiVersion]).toEqual({ busy: 0, queued: 0 });
  });

  it('at 2, applies two Workspaces at once', async () => {
    // GIVEN a provider with two workers, and two new Workspaces
    await startProvider(2);
    const [a, b] = await workspaces(2);
    const watched = await timeline([a!, b!]);

    // WHEN both are created at once
    await Promise.all([cluster.client.create(a!), cluster.client.create(b!)]);

    // THEN both applies started before either ended
    await waitFor('both Available', async () => (await isAvailable(a!)) && (await isAvailable(b!)));
    expect(watched.events.slice(0, 2).sort()).toEqual([
      `${a!.metadata.name} start`,
      `${b!.metadata.name} start`,
    ]);
  });

  it('counts per Workspace API, as provider-terraform runs one controller for each: at 1, a namespaced and a cluster-scoped Workspace apply at once', async () => {
    // GIVEN a provider with one worker per controller
    await startProvider(1);
    const [namespaced] = await workspaces(1, 'namespaced');
    const [clusterScoped] = await workspaces(1, 'cluster');
    const watched = await timeline([namespaced!, clusterScoped!]);

    // WHEN one of each is created
    await Promise.all([cluster.client.create(namespaced!), cluster.client.create(clusterScoped!)]);

    // THEN both applies started before either ended
    await waitFor(
      'both Available',
      async () => (await isAvailable(namespaced!)) && (await isAvailable(clusterScoped!)),
    );
    expect(watched.events.slice(0, 2).sort()).toEqual(
      [`${namespaced!.metadata.name} start`, `${clusterScoped!.metadata.name} start`].sort(),
    );
  });

  it.each([0, -1, 1.5, Number.NaN])('refuses a rate of %p', (rate) => {
    expect(
      () =>
        new SimulatedProviderTerraform({
          cluster: cluster.client,
          apis: ['namespaced'],
          controls: NO_CONTROLS,
          defaultDelayMs: DELAY_MS,
          maxReconcileRate: rate,
          logger: recordingLogger().logger,
        }),
    ).toThrow(InputError);
  });
});
