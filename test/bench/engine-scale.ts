/**
 * One engine holding many environments of three instances each (vpc `network` → rds-postgres `db`
 * in that VPC → sample-app `app` fed by `db.endpoint`), all Ready: its resident memory and the
 * Kubernetes API requests it makes per minute at steady state.
 *
 * Getting there through the engine would take five commits per environment. Instead the state the
 * engine would have produced is seeded: the files rendered by src/core exactly as the engine renders
 * them, with the outputs the simulated provider really reported, committed in a few large commits;
 * the simulated Argo CD and provider-terraform (delay 0) then create and report every object as
 * they would for the engine's commits. The simulated controllers are stopped before the engine
 * starts, so that every request the API server counts afterwards is the engine's. The engine then
 * runs in a process of its own on a kubeconfig (startEnvcat, as `npm start` runs it, without the
 * web UI build) and must reach Ready for every environment without committing anything.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, sep } from 'node:path';
import type { Logger } from 'pino';
import {
  applicationState,
  checkEnvironment,
  namespaceClaim,
  renderEnvironmentFiles,
  renderOptions,
  renderStep,
  workspaceOutputs,
  workspaceState,
  WORKSPACE_API,
  type Catalog,
  type EnvironmentDocument,
  type JsonValue,
  type Plan,
  type RenderedFile,
  type ResolvedEnvironment,
} from '../../src/core/index.js';
import type { ApiServerStats, ControlSource, SimulatedCluster } from '../../src/simulator/index.js';
import type { KubeObject } from '../../src/cluster/types.js';
import { GitRepo, ensureBareRepo } from '../../src/gitops/index.js';
import { loadConfig } from '../../src/server/config.js';
import { kubeconfigFor } from '../../src/server/kubeconfig.js';
import {
  BenchProcess,
  ENGINE_ENTRY,
  engineNodeFlags,
  type MemoryReport,
  type PhaseSummary,
} from './engine-host.js';
import { engineEnvironment } from './engine-latency.js';
import { MiB, median } from './measure.js';
import {
  clock,
  commitCount,
  discardingLogger,
  fail,
  startBenchCluster,
  waitUntil,
} from './engine-support.js';
import { startGitTrace, type GitCommandTimes } from './git-trace.js';

/** Environments per seeding commit ("a few large commits"). */
const ENVIRONMENTS_PER_COMMIT = 250;
const MANAGED = 'app.kubernetes.io/managed-by=envcat';
const REFRESH_CONCURRENCY = 16;
const NO_CONTROLS: ControlSource = { forInstance: () => Promise.resolve({}) };
/** Steady state begins when the engine's event loop was less busy than this … */
const QUIET_UTILIZATION = 0.3;
/** … for this many intervals in a row … */
const QUIET_INTERVALS = 2;
const QUIET_INTERVAL_MS = 2_000;
/** … or after this long, whichever comes first (the figures then say it was still busy). */
const MAX_SETTLE_MS = 30_000;
/**
 * Then its memory settles: V8 and the C library hand back what the start's burst used over a
 * minute or so (it can stay flat for a while first). Settled when the RSS moved less than MEMORY_SETTLED_FRACTION over the last
 * MEMORY_SETTLE_WINDOW_MS, or after MAX_MEMORY_SETTLE_MS (the figures then say so).
 */
const MEMORY_SETTLED_FRACTION = 0.03;
const MEMORY_SETTLE_WINDOW_MS = 45_000;
const MAX_MEMORY_SETTLE_MS = 240_000;
/** The baseline engine (no environment) is measured this long after it started. */
const SETTLE_MS = 5_000;

export interface ScaleResult {
  environments: number;
  seedSeconds: number;
  /** Objects in the simulated cluster after seeding. */
  objects: number;
  commits: { platform: number; apps: number };
  /** The engine with no environment: same process, same cluster API, empty repos. */
  baselineRssMiB: number;
  convergence: {
    /** Environments Ready when every one was, or at the cap. */
    ready: number;
    /** … and at the end of the steady-state window. */
    readyAfterSteadyState: number;
    capSeconds: number;
    /** From starting the engine's process to every environment Ready (or to the cap). */
    seconds: number;
    /** From the engine leading to every environment Ready. */
    afterLeadingSeconds: number;
    requests: number;
    byVerb: Record<string, number>;
    /** Commits the engine made while converging (must be 0: it had nothing to do). */
    newCommits: number;
    /** From every environment Ready to the engine's event loop going quiet (steady state). */
    quietAfterSeconds: number;
    /** False when it was still busy after MAX_SETTLE_MS (the steady-state window started anyway). */
    quiet: boolean;
    /** From quiet to the RSS settling (see MEMORY_SETTLED_FRACTION); false when it had not after MAX_MEMORY_SETTLE_MS. */
    memorySettleSeconds: number;
    memorySettled: boolean;
    /** The RSS when the engine went quiet (the start's burst not yet handed back). */
    rssAtQuietMiB: number;
    /** git processes of the engine from its start to steady state, by clone and command. */
    git: GitCommandTimes[];
  };
  steady: {
    seconds: number;
    requestsPerMinute: number;
    /** Per minute, by verb, then by resource and verb. */
    byVerb: Record<string, number>;
    byResource: Record<string, Record<string, number>>;
    openWatches: number;
    /** Resource/verb pairs requested at least once per environment in the window (polling). */
    perEnvironment: string[];
    rssMiB: { median: number; max: number; peak: number };
    heapUsedMiB: number;
    heapTotalMiB: number;
    externalMiB: number;
    cpuSecondsPerMinute: number;
    eventLoopUtilization: number;
    newCommits: number;
    /** git processes of the engine in the window. */
    git: GitCommandTimes[];
  };
}

export function scaleRequest(name: string): EnvironmentDocument {
  return {
    apiVersion: 'envcat.io/v1alpha1',
    kind: 'Environment',
    metadata: { name },
    spec: {
      namespace: name,
      type: 'pre-release',
      description: 'Engine scale benchmark',
      ttl: '168h',
      catalogs: [
        { name: 'network', entry: 'vpc@^1', parameters: { cidrBlock: '10.20.0.0/16' } },
        {
          name: 'db',
          entry: 'rds-postgres@^1',
          parameters: {
            databaseName: 'app_db',
            vpcId: { fromOutput: 'network.vpcId' },
            subnetIds: { fromOutput: 'network.privateSubnetIds' },
          },
        },
        {
          name: 'app',
          entry: 'sample-app@^1',
          parameters: { replicas: 1, databaseEndpoint: { fromOutput: 'db.endpoint' } },
        },
      ],
    },
  };
}

interface Seeded {
  env: ResolvedEnvironment;
  plan: Plan;
}

export async function benchScale(args: {
  environments: number;
  steadySeconds: number;
  /** How long the engine gets to make every environment Ready before the steady state is measured anyway. */
  convergeSeconds: number;
  catalog: Catalog;
  log: (line: string) => void;
}): Promise<ScaleResult> {
  const { environments, catalog, log } = args;
  const dir = await mkdtemp(join(tmpdir(), 'envcat-bench-scale-'));
  const stops: Array<() => Promise<void> | void> = [];
  try {
    log(`      baseline: the engine with no environments …`);
    const baselineRssMiB = await baselineRss(join(dir, 'baseline'), catalog);

    const repoUrls = { platform: join(dir, 'repos', 'platform.git'), apps: join(dir, 'repos', 'apps.git') };
    for (const url of Object.values(repoUrls)) await ensureBareRepo(url, { initialBranch: 'main' });
    const logger = discardingLogger('warn');
    const cluster = await startBenchCluster({
      platformRepoUrl: repoUrls.platform,
      appsRepoUrl: repoUrls.apps,
      workdir: join(dir, 'simulator'),
      catalog,
      defaultDelayMs: 0,
      logger,
      // No simulator annotations here: spare the controllers a Git read per object.
      controls: () => NO_CONTROLS,
    });
    stops.push(() => cluster.stop());

    const seedStart = clock();
    log(`      seeding ${environments} environments of 3 instances through the simulated controllers …`);
    const seeded = await seed({ dir, environments, catalog, cluster, repoUrls, logger, log });
    const seedSeconds = (clock() - seedStart) / 1000;
    // From here on, every request the API server counts is the engine's.
    await cluster.argocd.stop();
    await cluster.terraform.stop();
    const objects = cluster.server.objects.objectCount;
    const before = { platform: await commitCount(repoUrls.platform), apps: await commitCount(repoUrls.apps) };
    const names = seeded.map((s) => s.env.name);

    const kubeconfig = join(dir, 'kubeconfig');
    await writeFile(kubeconfig, kubeconfigFor({ url: cluster.url }));
    // The engine's process inherits the tracing configuration: what its git processes cost.
    const trace = await startGitTrace(join(dir, 'git-trace'));
    stops.push(() => trace.stop());
    const engineClones = join(dir, 'engine', 'work') + sep;
    const gitIn = (from: number, to: number) =>
      trace.summary({
        from,
        to,
        owner: (worktree) =>
          worktree.startsWith(engineClones) ? worktree.slice(engineClones.length) : undefined,
      });
    const s0 = cluster.server.stats();
    const spawned = clock();
    log(`      starting the engine's process on ${environments} Ready environments …`);
    const engine = await BenchProcess.start({
      entry: ENGINE_ENTRY,
      nodeFlags: engineNodeFlags(),
      args: ['service', kubeconfig],
      env: engineEnvironment(dir, repoUrls),
      timeoutMs: 300_000,
    });
    stops.push(() => engine.stop());
    const leading = clock();
    // Every environment Ready, or the cap: a slow convergence is a figure, not a reason to stop.
    let last = await engine.request<PhaseSummary>({ op: 'phases', names });
    while ((last.counts.Ready ?? 0) < environments && clock() - spawned < args.convergeSeconds * 1000) {
      if (last.problems[0]) fail(`scale benchmark: ${JSON.stringify(last.problems)}\n${engine.output}`);
      await new Promise((resolve) => setTimeout(resolve, 500));
      last = await engine.request<PhaseSummary>({ op: 'phases', names });
    }
    const converged = clock();
    const readyAtConvergence = last.counts.Ready ?? 0;
    const s1 = cluster.server.stats();
    const afterConvergence = {
      platform: await commitCount(repoUrls.platform),
      apps: await commitCount(repoUrls.apps),
    };
    const convergenceCommits =
      afterConvergence.platform - before.platform + (afterConvergence.apps - before.apps);
    log(
      `      ${readyAtConvergence}/${environments} environments Ready ${((converged - spawned) / 1000).toFixed(1)} s after the start (${convergenceCommits} new commits); waiting for the engine to go quiet …`,
    );

    // Steady state: the engine has finished what its start set off (its event loop is mostly idle).
    let memoryStart = await engine.request<MemoryReport>({ op: 'memory' });
    let quietIntervals = 0;
    while (quietIntervals < QUIET_INTERVALS && clock() - converged < MAX_SETTLE_MS) {
      await new Promise((resolve) => setTimeout(resolve, QUIET_INTERVAL_MS));
      const now = await engine.request<MemoryReport>({ op: 'memory' });
      const busy = utilization(memoryStart, now);
      quietIntervals = busy < QUIET_UTILIZATION ? quietIntervals + 1 : 0;
      memoryStart = now;
    }
    const settled = clock();
    const settledQuietly = quietIntervals >= QUIET_INTERVALS;
    log(
      `      ${settledQuietly ? 'quiet' : 'still busy'} ${((settled - converged) / 1000).toFixed(0)} s after that; waiting for its memory to settle, then steady state for ${args.steadySeconds} s …`,
    );
    const memorySettleStart = clock();
    const recent: Array<{ at: number; rss: number }> = [];
    const startRss = (await engine.residentMemory()).rss;
    let memorySettled = false;
    while (clock() - memorySettleStart < MAX_MEMORY_SETTLE_MS) {
      recent.push({ at: clock(), rss: (await engine.residentMemory()).rss });
      while (recent[0]!.at < clock() - MEMORY_SETTLE_WINDOW_MS) recent.shift();
      const values = recent.map((r) => r.rss);
      const spanned = clock() - memorySettleStart >= MEMORY_SETTLE_WINDOW_MS;
      if (spanned && Math.max(...values) - Math.min(...values) < MEMORY_SETTLED_FRACTION * values.at(-1)!) {
        memorySettled = true;
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 2_000));
    }
    const memorySettleSeconds = (clock() - memorySettleStart) / 1000;
    log(
      `      memory ${memorySettled ? 'settled' : 'still moving'} ${memorySettleSeconds.toFixed(0)} s later (RSS ${(startRss / MiB).toFixed(0)} → ${(recent.at(-1)!.rss / MiB).toFixed(0)} MiB); measuring …`,
    );
    const s2 = cluster.server.stats();
    const windowStart = clock();
    const rss: number[] = [];
    while (clock() - windowStart < args.steadySeconds * 1000) {
      rss.push((await engine.residentMemory()).rss);
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
    const s3 = cluster.server.stats();
    const windowEnd = clock();
    const windowSeconds = (windowEnd - windowStart) / 1000;
    const memoryEnd = await engine.request<MemoryReport>({ op: 'memory' });
    const { peak } = await engine.residentMemory();
    const phases = await engine.request<PhaseSummary>({ op: 'phases', names });
    if (phases.problems[0]) fail(`scale benchmark: ${JSON.stringify(phases.problems)}`);
    if (readyAtConvergence === environments && phases.counts.Ready !== environments)
      fail(`scale benchmark: not every environment stayed Ready: ${JSON.stringify(phases.counts)}`);
    const after = { platform: await commitCount(repoUrls.platform), apps: await commitCount(repoUrls.apps) };
    const steadyCommits = after.platform - afterConvergence.platform + (after.apps - afterConvergence.apps);

    const perMinute = (n: number) => (n * 60) / windowSeconds;
    const window = difference(s2, s3);
    const byResource: Record<string, Record<string, number>> = {};
    const perEnvironment: string[] = [];
    for (const [resource, verbs] of Object.entries(window.byResource))
      for (const [verb, count] of Object.entries(verbs)) {
        (byResource[resource] ??= {})[verb] = perMinute(count);
        if (verb !== 'watch' && count >= environments) perEnvironment.push(`${verb} ${resource} ×${count}`);
      }
    const cpu = (m: MemoryReport) => (m.cpuUsage.user + m.cpuUsage.system) / 1e6;
    const convergence = difference(s0, s1);
    return {
      environments,
      seedSeconds,
      objects,
      commits: before,
      baselineRssMiB,
      convergence: {
        ready: readyAtConvergence,
        readyAfterSteadyState: phases.counts.Ready ?? 0,
        capSeconds: args.convergeSeconds,
        seconds: (converged - spawned) / 1000,
        afterLeadingSeconds: (converged - leading) / 1000,
        quietAfterSeconds: (settled - converged) / 1000,
        quiet: settledQuietly,
        memorySettleSeconds,
        memorySettled,
        rssAtQuietMiB: startRss / MiB,
        git: await gitIn(spawned, settled),
        requests: convergence.total,
        byVerb: convergence.byVerb,
        newCommits: convergenceCommits,
      },
      steady: {
        seconds: windowSeconds,
        requestsPerMinute: perMinute(window.total),
        byVerb: Object.fromEntries(Object.entries(window.byVerb).map(([verb, n]) => [verb, perMinute(n)])),
        byResource,
        openWatches: s3.openWatches,
        perEnvironment,
        rssMiB: { median: median(rss) / MiB, max: Math.max(...rss) / MiB, peak: peak / MiB },
        heapUsedMiB: memoryEnd.memoryUsage.heapUsed / MiB,
        heapTotalMiB: memoryEnd.memoryUsage.heapTotal / MiB,
        externalMiB: memoryEnd.memoryUsage.external / MiB,
        cpuSecondsPerMinute: ((cpu(memoryEnd) - cpu(memoryStart)) * 60) / windowSeconds,
        eventLoopUtilization: utilization(memoryStart, memoryEnd),
        newCommits: steadyCommits,
        git: await gitIn(windowStart, windowEnd),
      },
    };
  } finally {
    for (let stop = stops.pop(); stop; stop = stops.pop()) await stop();
    await rm(dir, { recursive: true, force: true });
  }
}

/** How busy the engine's event loop was between two reports (0–1). */
function utilization(from: MemoryReport, to: MemoryReport): number {
  const active = to.eventLoopUtilization.active - from.eventLoopUtilization.active;
  const idle = to.eventLoopUtilization.idle - from.eventLoopUtilization.idle;
  return active + idle > 0 ? active / (active + idle) : 0;
}

/** Requests between two snapshots of the server's counter. */
function difference(from: ApiServerStats, to: ApiServerStats): Omit<ApiServerStats, 'openWatches'> {
  const byVerb: Record<string, number> = {};
  for (const [verb, n] of Object.entries(to.byVerb)) {
    const delta = n - (from.byVerb[verb] ?? 0);
    if (delta > 0) byVerb[verb] = delta;
  }
  const byResource: Record<string, Record<string, number>> = {};
  for (const [resource, verbs] of Object.entries(to.byResource))
    for (const [verb, n] of Object.entries(verbs)) {
      const delta = n - (from.byResource[resource]?.[verb] ?? 0);
      if (delta > 0) (byResource[resource] ??= {})[verb] = delta;
    }
  return { total: to.total - from.total, byVerb, byResource };
}

/** RSS of the engine's process with no environment at all, after it settled. */
async function baselineRss(dir: string, catalog: Catalog): Promise<number> {
  const repoUrls = { platform: join(dir, 'platform.git'), apps: join(dir, 'apps.git') };
  for (const url of Object.values(repoUrls)) await ensureBareRepo(url, { initialBranch: 'main' });
  const cluster = await startBenchCluster({
    platformRepoUrl: repoUrls.platform,
    appsRepoUrl: repoUrls.apps,
    workdir: join(dir, 'simulator'),
    catalog,
    defaultDelayMs: 0,
    logger: discardingLogger('warn'),
  });
  try {
    await writeFile(join(dir, 'kubeconfig'), kubeconfigFor({ url: cluster.url }));
    const engine = await BenchProcess.start({
      entry: ENGINE_ENTRY,
      nodeFlags: engineNodeFlags(),
      args: ['service', join(dir, 'kubeconfig')],
      env: engineEnvironment(dir, repoUrls),
    });
    try {
      await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
      return (await engine.residentMemory()).rss / MiB;
    } finally {
      await engine.stop();
    }
  } finally {
    await cluster.stop();
  }
}

/**
 * Commits what the engine would have committed for `environments` environments and waits until the
 * simulated controllers have made all of it Ready, one wave at a time (each wave is rendered with
 * the outputs the previous one really produced).
 */
async function seed(args: {
  dir: string;
  environments: number;
  catalog: Catalog;
  cluster: SimulatedCluster;
  repoUrls: { platform: string; apps: string };
  logger: Logger;
  log: (line: string) => void;
}): Promise<Seeded[]> {
  const { cluster, repoUrls } = args;
  const config = loadConfig({ ENVCAT_PLATFORM_REPO: repoUrls.platform, ENVCAT_APPS_REPO: repoUrls.apps });
  // What the engine's process renders with (engineEnvironment: the defaults, the apps repo as is).
  const render = renderOptions({
    workspaceApi: config.workspaceApi,
    providerConfig: config.providerConfig,
    argocd: { namespace: config.argocdNamespace, project: config.argocdProject },
    appsRepo: { url: repoUrls.apps, revision: config.apps.branch },
  });
  const seeded: Seeded[] = [];
  for (let n = 0; n < args.environments; n++) {
    const check = checkEnvironment(scaleRequest(`env-${String(n).padStart(4, '0')}`), args.catalog);
    if (!check.environment || !check.plan)
      fail(`scale benchmark: the request is invalid: ${JSON.stringify(check.problems)}`);
    seeded.push({ env: check.environment, plan: check.plan });
  }
  const writers = {
    platform: new GitRepo({
      name: 'platform',
      url: repoUrls.platform,
      workdir: join(args.dir, 'seed', 'platform'),
    }),
    apps: new GitRepo({ name: 'apps', url: repoUrls.apps, workdir: join(args.dir, 'seed', 'apps') }),
  };
  const workspaces = () =>
    cluster.server.objects.list(
      { apiVersion: WORKSPACE_API[config.workspaceApi], kind: 'Workspace' },
      { labelSelector: MANAGED },
    );
  const byEnvironment = (objects: KubeObject[], instance: string) =>
    new Map(
      objects
        .filter((o) => o.metadata.labels?.['envcat.io/instance'] === instance)
        .map((o) => [o.metadata.labels?.['envcat.io/environment'] ?? '', o]),
    );

  const outputs = new Map<string, Record<string, Record<string, JsonValue>>>(
    seeded.map((s) => [s.env.name, {}]),
  );
  const steps = (instance: string) => (s: Seeded) => {
    const step = s.plan.steps.find((candidate) => candidate.instance === instance);
    if (!step) fail(`scale benchmark: no step for ${instance}`);
    const rendered = renderStep({ env: s.env, step, outputs: outputs.get(s.env.name)!, options: render });
    if (rendered.secrets.length > 0)
      fail(`scale benchmark: ${step.id} needs Secrets, which seeding does not create`);
    return rendered.files;
  };
  const commitAll = async (repo: 'platform' | 'apps', what: string, files: (s: Seeded) => RenderedFile[]) => {
    for (let from = 0; from < seeded.length; from += ENVIRONMENTS_PER_COMMIT) {
      const chunk = seeded.slice(from, from + ENVIRONMENTS_PER_COMMIT);
      await writers[repo].commit({
        write: chunk.flatMap(files).map((f) => ({ path: f.path, content: f.content })),
        remove: [],
        message: `bench: seed ${what} of ${chunk[0]!.env.name}…${chunk.at(-1)!.env.name}`,
      });
    }
  };
  const waitForWorkspaces = async (instance: string) => {
    const ready = await waitUntil(
      `${args.environments} ${instance} Workspaces Available`,
      () => {
        const found = byEnvironment(workspaces(), instance);
        const failed = [...found.values()].find((w) => workspaceState(w).phase === 'Failed');
        if (failed)
          fail(`scale benchmark: ${failed.metadata.name} failed: ${workspaceState(failed).message}`);
        const ok = [...found.values()].filter((w) => workspaceState(w).phase === 'Ready');
        return ok.length === args.environments ? found : undefined;
      },
      { timeoutMs: 120_000 + args.environments * 200, intervalMs: 1_000 },
    );
    for (const [env, workspace] of ready) outputs.get(env)![instance] = workspaceOutputs(workspace);
  };
  const refresh = async (
    names: string[],
    kind: 'Application' | 'ApplicationSet',
    annotation: Record<string, string>,
  ) => {
    let next = 0;
    const worker = async () => {
      while (next < names.length) {
        const name = names[next++]!;
        await cluster.client.mergePatch(
          { apiVersion: 'argoproj.io/v1alpha1', kind, name, namespace: config.argocdNamespace },
          { metadata: { annotations: annotation } },
        );
      }
    };
    await Promise.all(Array.from({ length: REFRESH_CONCURRENCY }, worker));
  };
  const appsetRefresh = { 'argocd.argoproj.io/application-set-refresh': 'true' };
  const started = clock();
  const since = () => `${((clock() - started) / 1000).toFixed(0)} s`;

  // Wave 1: the environment files (request, Namespace, the namespace's claim) and the VPC.
  await commitAll('platform', 'environments and network', (s) => [
    ...renderEnvironmentFiles(s.env, render),
    {
      repo: 'platform',
      path: namespaceClaim(s.env.namespace, s.env.name).path,
      content: namespaceClaim(s.env.namespace, s.env.name).content,
    },
    ...steps('network')(s),
  ]);
  await refresh(['envcat-platform'], 'ApplicationSet', appsetRefresh);
  await waitForWorkspaces('network');
  args.log(`        wave 1: ${args.environments} network Workspaces Available after ${since()}`);

  // Wave 2: the databases, in the VPC the network reported.
  await commitAll('platform', 'databases', steps('db'));
  await refresh(
    seeded.map((s) => `envcat-platform-${s.env.name}`),
    'Application',
    { 'argocd.argoproj.io/refresh': 'normal' },
  );
  await waitForWorkspaces('db');
  args.log(`        wave 2: ${args.environments} db Workspaces Available after ${since()}`);

  // Wave 3: the apps, with the endpoint the databases reported.
  await commitAll('apps', 'applications', steps('app'));
  await refresh(['envcat-apps'], 'ApplicationSet', appsetRefresh);
  const appsHead = await writers.apps.sync();
  await waitUntil(
    `${args.environments} Applications Synced and Healthy`,
    () => {
      const apps = cluster.server.objects
        .list(
          { apiVersion: 'argoproj.io/v1alpha1', kind: 'Application' },
          { namespace: config.argocdNamespace },
        )
        .filter((a) => a.metadata.labels?.['envcat.io/instance'] === 'app');
      const ready = apps.filter(
        (a) =>
          applicationState(a, { revisionAccepted: (revision) => revision === appsHead }).phase === 'Ready',
      );
      return ready.length === args.environments || undefined;
    },
    { timeoutMs: 120_000 + args.environments * 300, intervalMs: 1_000 },
  );
  args.log(`        wave 3: ${args.environments} Applications Synced and Healthy after ${since()}`);
  return seeded;
}
