/**
 * Added latency of the engine: from the moment the last Workspace of an environment turns
 * Available to the moment the engine has pushed that environment's app commit.
 *
 * Real bare repos and the simulated API server live in this process; the simulated
 * provider-terraform and Argo CD in a process of their own (controllers-process.ts), as a real
 * cluster's controllers are apart from its API server; the engine and the service in a third, on a
 * kubeconfig, as in production, put together as src/server/compose.ts does (without the HTTP
 * layer, which is not on this path) with their Git and cluster ports wrapped in timing decorators.
 * The engine must have a process of its own: every git process it starts blocks its event loop for
 * a time that grows with the process's memory (fork), so sharing a process with the simulator
 * would charge the engine for the simulator's memory. All three share the machine's CPUs. Each
 * environment is rds-postgres `db` + sample-app `app` fed by `db.endpoint`, all created at once
 * through the service.
 *
 * - t_available: when the API server (in this process) stores the environment's last Workspace
 *   with Ready=True/Available: the moment every watcher, the engine's included, is sent it. (A
 *   watcher in a process of its own was used before; once a commit took a few milliseconds, the
 *   engine sometimes saw the change before that watcher did.)
 * - t_in_git: when the apps repo's branch moved to the environment's app commit (or past it): the
 *   commit is in Git, where Argo CD reads it. The earlier of two moments that both come after it:
 *   this process seeing the bare repository's refs change (branch-watch.ts), and t_pushed. The
 *   figure with the target.
 * - t_pushed: the engine's `committed` event for the environment's app commit, timestamped in the
 *   engine's process and mapped onto this process's clock (IPC round trips give the offset): when
 *   the engine itself has heard back (git's answer waits for a turn of the engine's event
 *   loop). Reported beside it.
 *
 * Scenarios: `spread` gives each database a pseudo-random provisioning delay of 2–12 s through
 * the simulator annotation; `simultaneous` holds every database back until all have started and
 * then lets them turn Available at one moment (a delay annotation cannot do that: the
 * environments are created one after another through Git, so their applies start seconds apart).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, sep } from 'node:path';
import type { EventLoopUtilization } from 'node:perf_hooks';
import { WORKSPACE_API, workspaceState, type EnvironmentDocument } from '../../src/core/index.js';
import { DEFAULT_RECONCILE_WORKERS } from '../../src/engine/engine-options.js';
import { ensureBareRepo } from '../../src/gitops/index.js';
import { kubeconfigFor } from '../../src/server/kubeconfig.js';
import { KubeClusterClient } from '../../src/cluster/index.js';
import { CATALOGS } from '../support/examples.js';
import type { ControllersConfig } from './controllers-process.js';
import {
  BenchProcess,
  CONTROLLERS_ENTRY,
  latencyCpuSplit,
  pinToCpus,
  controllersNodeFlags,
  ENGINE_ENTRY,
  engineNodeFlags,
  type LoopReport,
  type MemoryReport,
  type PhaseSummary,
  type Timings,
} from './engine-host.js';
import { distribution, MiB, type Distribution } from './measure.js';
import {
  assignLockSlots,
  clock,
  commitCount,
  fail,
  applyBootstrap,
  startBenchApiServer,
  waitUntil,
} from './engine-support.js';
import { branchOrder, firstSeenAt, watchBranch } from './branch-watch.js';
import { startGitTrace, type GitCommandTimes } from './git-trace.js';

export type LatencyScenario = 'spread' | 'simultaneous';

/** How long an Application stays Progressing after it synced (the simulator's default delay). */
const APP_DELAY_MS = 500;
const MIN_DB_DELAY_MS = 2_000;
const MAX_DB_DELAY_MS = 12_000;
/** The gate releases every database this long after the last one started its apply. */
const RELEASE_AFTER_MS = 1_500;
/** No new app commit for this long while some are missing: the missing ones are stalled. */
const STALL_MS = 45_000;
/** How long, after the last app commit, every environment gets to become Ready (the sanity check). */
const READY_GRACE_MS = 30_000;

export interface LatencyResult {
  scenario: LatencyScenario;
  environments: number;
  /** t_in_git − t_available per environment, ms. */
  latency: Distribution;
  /** t_pushed − t_available per environment, ms: until the engine has heard back. */
  told: Distribution;
  /**
   * Where the time goes, per environment (ms): `delivery` is t_available → the engine's Workspace
   * informer has it as Available (the simulated API server's watch stream, in this process, and the
   * engine's event loop); `reaction` from there to the engine calling commit on the apps repo (work
   * queue, reconcile: parse, render, Secret checks);
   * `clusterCalls` the API calls it made for that environment meanwhile (part of reaction);
   * `lockWait` waiting for the apps clone (the commit under way, a fetch); `git` the commit and push
   * of its group (the change sets that waited together go in one commit)
   * itself; `afterPush` from the push to the committed event; `inGitToTold` from the branch
   * moving to the committed event.
   */
  breakdown: Record<
    'delivery' | 'reaction' | 'clusterCalls' | 'lockWait' | 'git' | 'afterPush' | 'inGitToTold',
    Distribution
  >;
  /**
   * Git calls of the engine (both clones) under way or waiting for their clone at t_available: the
   * engine's work queue has 64 workers, and a worker waiting for a clone cannot take the next
   * environment.
   */
  gitQueuedAtAvailable: Distribution;
  /** Spread of the t_available moments (ms from the first to the last). */
  availableSpreadMs: number;
  /** Seconds to create every environment through the service (each a platform commit). */
  createSeconds: number;
  /** Seconds from the first create to every environment Ready (or to giving up on the rest). */
  totalSeconds: number;
  /** Environments Ready within READY_GRACE_MS of the last app commit, and what a few others wait for. */
  ready: number;
  notReady: PhaseSummary['waiting'];
  /** Environments with no app commit when the others' had stopped coming for STALL_MS (left out of the figures). */
  stalled: number;
  stalledSample: PhaseSummary['waiting'];
  appCommits: number;
  platformCommits: number;
  /** What the apps repo's lock was busy with while the app commits waited. */
  appsRepoCalls: Record<string, { count: number; totalMs: number }>;
  /** The engine's process from the first create to the last app commit. */
  engine: {
    eventLoopUtilization: number;
    eventLoopDelayP99Ms: number;
    eventLoopDelayMaxMs: number;
    cpuSeconds: number;
    rssMiB: number;
  };
  /** The CPUs the engine (with its git processes) and the simulated cluster were pinned to (cpuSplit), if they were. */
  cpus?: { engine: string; cluster: string };
  /** How precisely the engine's timestamps map onto this process's clock (ms, ±). */
  clockUncertaintyMs: number;
  /** git processes of the engine's clones while the app commits were made (from git trace2). */
  gitProcesses: GitCommandTimes[];
}

/** A deterministic delay in [2 s, 12 s] for environment number `n` (the same on every run). */
export function databaseDelayMs(n: number): number {
  // mulberry32 on the environment number: spread out, reproducible
  let t = (n + 0x6d2b79f5) >>> 0;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  const unit = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  return Math.round(MIN_DB_DELAY_MS + unit * (MAX_DB_DELAY_MS - MIN_DB_DELAY_MS));
}

export function latencyRequest(name: string, delayMs?: number): EnvironmentDocument {
  return {
    apiVersion: 'envcat.io/v1alpha1',
    kind: 'Environment',
    metadata: {
      name,
      ...(delayMs !== undefined
        ? { annotations: { 'simulator.envcat.io/db': JSON.stringify({ delay: `${delayMs}ms` }) } }
        : {}),
    },
    spec: {
      namespace: name,
      type: 'pre-release',
      description: 'Engine latency benchmark',
      ttl: '24h',
      catalogs: [
        { name: 'db', entry: 'rds-postgres@^1', parameters: { databaseName: 'app_db' } },
        {
          name: 'app',
          entry: 'sample-app@^1',
          parameters: { replicas: 1, databaseEndpoint: { fromOutput: 'db.endpoint' } },
        },
      ],
    },
  };
}

export async function benchLatency(args: {
  scenario: LatencyScenario;
  environments: number;
  log: (line: string) => void;
}): Promise<LatencyResult> {
  const { scenario, environments } = args;
  const dir = await mkdtemp(join(tmpdir(), `envcat-bench-latency-${scenario}-`));
  // Before anything starts git: the engine's process inherits the tracing configuration.
  const trace = await startGitTrace(join(dir, 'git-trace'));
  const stops: Array<() => Promise<void> | void> = [() => trace.stop()];
  try {
    const repoUrls = { platform: join(dir, 'repos', 'platform.git'), apps: join(dir, 'repos', 'apps.git') };
    const repoUrlsOf = (urls: typeof repoUrls) => ({
      platformRepoUrl: urls.platform,
      appsRepoUrl: urls.apps,
    });
    for (const url of Object.values(repoUrls)) await ensureBareRepo(url, { initialBranch: 'main' });
    const appsBranch = watchBranch(repoUrls.apps);
    stops.push(() => appsBranch.stop());
    // Each process on its CPUs from its start, so that the git processes the engine starts at once
    // (its first sync) are the engine's too.
    const cpus = await latencyCpuSplit();
    if (cpus) {
      await pinToCpus(process.pid, cpus.cluster);
      stops.push(() => pinToCpus(process.pid, cpus.all));
    }
    const { server, url } = await startBenchApiServer();
    stops.push(() => server.stop());
    const controllers = await BenchProcess.start({
      entry: CONTROLLERS_ENTRY,
      ...(cpus ? { cpus: cpus.cluster } : {}),
      nodeFlags: controllersNodeFlags(),
      args: [
        JSON.stringify({
          url,
          ...repoUrlsOf(repoUrls),
          workdir: join(dir, 'simulator'),
          defaultDelayMs: APP_DELAY_MS,
          ...(scenario === 'simultaneous' ? { gatedInstance: 'db' } : {}),
        } satisfies ControllersConfig),
      ],
    });
    stops.push(() => controllers.stop());
    await applyBootstrap(KubeClusterClient.forServer({ url }), repoUrlsOf(repoUrls));

    // t_available: the API server storing the Workspace as Available.
    const names = Array.from({ length: environments }, (_, n) => `lat-${String(n).padStart(3, '0')}`);
    const infraInstances = ['db'];
    const readyAt = new Map<string, Map<string, number>>();
    const stopWatching = server.objects.watch(
      { apiVersion: WORKSPACE_API.namespaced, kind: 'Workspace' },
      (_change, workspace) => {
        const at = clock();
        const environment = workspace.metadata.labels?.['envcat.io/environment'];
        const instance = workspace.metadata.labels?.['envcat.io/instance'];
        if (!environment || !instance || workspaceState(workspace).phase !== 'Ready') return;
        const seen = readyAt.get(environment) ?? new Map<string, number>();
        if (!seen.has(instance)) seen.set(instance, at);
        readyAt.set(environment, seen);
      },
    );
    stops.push(async () => stopWatching());
    const available = (env: string): number | undefined => {
      const seen = readyAt.get(env);
      if (!seen || !infraInstances.every((i) => seen.has(i))) return undefined;
      return Math.max(...infraInstances.map((i) => seen.get(i)!));
    };

    // t_pushed: the engine's committed event, in the engine's clock.
    const pushed = new Map<string, { at: number; sha: string; message: string }>();
    const kubeconfig = join(dir, 'kubeconfig');
    await writeFile(kubeconfig, kubeconfigFor({ url }));
    const engine = await BenchProcess.start({
      entry: ENGINE_ENTRY,
      ...(cpus ? { cpus: cpus.engine } : {}),
      nodeFlags: engineNodeFlags(),
      args: ['instrumented', kubeconfig],
      env: engineEnvironment(dir, repoUrls),
      onEvent: (event) => {
        if (event.type === 'committed' && event.repo === 'apps' && !pushed.has(event.environment))
          pushed.set(event.environment, { at: event.at, sha: event.sha, message: event.message });
      },
    });
    stops.push(() => engine.stop());
    const skews = [await engine.clockOffset()];
    const checkPhases = async () => {
      const summary = await engine.request<PhaseSummary>({ op: 'phases', names });
      const problem = summary.problems[0];
      if (problem) fail(`latency benchmark: ${problem.name} is ${problem.phase}: ${problem.message}`);
      return summary;
    };

    await engine.request<LoopReport>({ op: 'loop' });
    const memoryBefore = await engine.request<MemoryReport>({ op: 'memory' });
    const started = clock();
    const requests = names.map((name, n) =>
      latencyRequest(name, scenario === 'spread' ? databaseDelayMs(n) : undefined),
    );
    await engine.request({ op: 'create', documents: requests });
    const createSeconds = (clock() - started) / 1000;
    args.log(
      `      created ${environments} environments through the service in ${createSeconds.toFixed(1)} s`,
    );
    const deadline = 60_000 + environments * 1_000;
    if (scenario === 'simultaneous') {
      await waitUntil(
        'every database apply to start',
        async () =>
          (await checkPhases()) &&
          ((await controllers.request<number>({ op: 'gate-waiting' })) === environments || undefined),
        { timeoutMs: deadline, intervalMs: 200 },
      );
      await controllers.request({ op: 'gate-release', at: Date.now() + RELEASE_AFTER_MS });
    }
    // Every app commit, unless the pipeline stalls: an environment whose app commit does not come
    // while the others' have stopped coming is reported, not waited for (Argo CD's next poll is
    // minutes away).
    let lastProgress = clock();
    let seen = pushed.size;
    const giveUp = clock() + deadline;
    while (pushed.size < environments && clock() < giveUp && clock() - lastProgress < STALL_MS) {
      await checkPhases();
      await new Promise((resolve) => setTimeout(resolve, 200));
      if (pushed.size > seen) [seen, lastProgress] = [pushed.size, clock()];
    }
    const stalledNames = names.filter((name) => !pushed.has(name));
    const stalled =
      stalledNames.length > 0
        ? (await engine.request<PhaseSummary>({ op: 'phases', names: stalledNames })).waiting
        : [];
    if (stalledNames.length === environments)
      fail(`latency benchmark: no app commit at all: ${JSON.stringify(stalled)}`);
    const loop = await engine.request<LoopReport>({ op: 'loop' });
    const memoryAfter = await engine.request<MemoryReport>({ op: 'memory' });
    // Not part of the figure, but a check that the run did the whole job: every environment goes
    // Ready, or is reported with what it still waits for.
    const readyBy = clock() + READY_GRACE_MS;
    let final = await checkPhases();
    while ((final.counts.Ready ?? 0) < environments && clock() < readyBy) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      final = await checkPhases();
    }
    const totalSeconds = (clock() - started) / 1000;
    skews.push(await engine.clockOffset());
    const engineOffset = (skews[0]!.offsetMs + skews[1]!.offsetMs) / 2;
    const clockUncertaintyMs = Math.max(...skews.map((s) => s.uncertaintyMs));
    // Every timestamp on this process's clock.
    const local = (engineTime: number) => engineTime - engineOffset;
    const timings = await engine.request<Timings>({ op: 'timings' });
    for (const repo of ['platform', 'apps'] as const)
      assignLockSlots(timings.git.filter((c) => c.repo === repo));
    const appCommits = timings.git.filter((c) => c.repo === 'apps');

    const parts = {
      delivery: [],
      reaction: [],
      clusterCalls: [],
      lockWait: [],
      git: [],
      afterPush: [],
      inGitToTold: [],
    } as Record<keyof LatencyResult['breakdown'], number[]>;
    const appsOrder = await branchOrder(repoUrls.apps);
    const latencies: number[] = [];
    const told: number[] = [];
    const availableAt: number[] = [];
    const gitQueued: number[] = [];
    for (const name of names.filter((n) => pushed.has(n))) {
      const from = available(name);
      const push = pushed.get(name)!;
      if (from === undefined) fail(`latency benchmark: no Available Workspace was seen for ${name}`);
      const commit = appCommits.find((c) => c.op === 'commit' && c.message === push.message && c.changed);
      if (!commit) fail(`latency benchmark: the app commit of ${name} was not seen on the apps repo`);
      const branchSeen = firstSeenAt(appsBranch.samples, appsOrder, push.sha);
      if (branchSeen === undefined)
        fail(`latency benchmark: the apps branch was never seen at ${name}'s app commit ${push.sha}`);
      // Both moments come after the branch moved (this process's loop and the engine's each take
      // their time to notice): the commit was in Git by the earlier of the two.
      const inGit = Math.min(branchSeen, local(push.at));
      const latency = inGit - from;
      if (latency < 0)
        fail(
          `latency benchmark: ${name}'s app commit was in Git ${-latency} ms before its database was Available`,
        );
      latencies.push(latency);
      told.push(local(push.at) - from);
      parts.inGitToTold.push(local(push.at) - branchSeen);
      availableAt.push(from);
      // The engine had the event when its informer delivered the last of the environment's Workspaces.
      const seen = Math.max(
        ...infraInstances.map((instance) => {
          const at = timings.seenAvailable[`${name}/${instance}`];
          if (at === undefined)
            fail(`latency benchmark: the engine never saw ${name}'s ${instance} Available`);
          return local(at);
        }),
      );
      parts.delivery.push(seen - from);
      parts.reaction.push(local(commit.calledAt) - seen);
      parts.clusterCalls.push(
        timings.cluster
          .filter((c) => c.namespace === name && local(c.calledAt) >= from && c.endedAt <= commit.calledAt)
          .reduce((sum, c) => sum + (c.endedAt - c.calledAt), 0),
      );
      parts.lockWait.push(commit.startedAt - commit.calledAt);
      parts.git.push(commit.endedAt - commit.startedAt);
      parts.afterPush.push(push.at - commit.endedAt);
      gitQueued.push(timings.git.filter((c) => local(c.calledAt) <= from && local(c.endedAt) > from).length);
    }
    const firstAvailable = Math.min(...availableAt);
    const lastPushed = Math.max(...[...pushed.values()].map((p) => local(p.at)));
    const busy: LatencyResult['appsRepoCalls'] = {};
    for (const call of appCommits) {
      if (local(call.endedAt) < firstAvailable || local(call.startedAt) > lastPushed) continue;
      const key = call.op === 'commit' ? (call.changed ? 'commit' : 'commit (no change)') : call.op;
      const entry = (busy[key] ??= { count: 0, totalMs: 0 });
      entry.count += 1;
      entry.totalMs += call.endedAt - call.startedAt;
    }
    const engineClones = join(dir, 'engine', 'work') + sep;
    const gitProcesses = await trace.summary({
      from: firstAvailable,
      to: lastPushed,
      owner: (worktree) =>
        worktree.startsWith(engineClones) ? `engine ${worktree.slice(engineClones.length)}` : undefined,
    });
    const cpuMs =
      (memoryAfter.cpuUsage.user -
        memoryBefore.cpuUsage.user +
        memoryAfter.cpuUsage.system -
        memoryBefore.cpuUsage.system) /
      1000;
    const elu = performanceDelta(memoryBefore.eventLoopUtilization, memoryAfter.eventLoopUtilization);
    return {
      scenario,
      environments,
      latency: distribution(latencies),
      told: distribution(told),
      breakdown: {
        delivery: distribution(parts.delivery),
        reaction: distribution(parts.reaction),
        clusterCalls: distribution(parts.clusterCalls),
        lockWait: distribution(parts.lockWait),
        git: distribution(parts.git),
        afterPush: distribution(parts.afterPush),
        inGitToTold: distribution(parts.inGitToTold),
      },
      gitQueuedAtAvailable: distribution(gitQueued),
      availableSpreadMs: Math.max(...availableAt) - firstAvailable,
      createSeconds,
      totalSeconds,
      ready: final.counts.Ready ?? 0,
      notReady: final.waiting,
      stalled: stalledNames.length,
      stalledSample: stalled,
      appCommits: await commitCount(repoUrls.apps),
      platformCommits: await commitCount(repoUrls.platform),
      appsRepoCalls: busy,
      engine: {
        eventLoopUtilization: elu,
        eventLoopDelayP99Ms: loop.delayP99Ms,
        eventLoopDelayMaxMs: loop.delayMaxMs,
        cpuSeconds: cpuMs / 1000,
        rssMiB: memoryAfter.memoryUsage.rss / MiB,
      },
      clockUncertaintyMs,
      ...(cpus ? { cpus: { engine: cpus.engine, cluster: cpus.cluster } } : {}),
      gitProcesses,
    };
  } finally {
    for (let stop = stops.pop(); stop; stop = stops.pop()) await stop();
    await rm(dir, { recursive: true, force: true });
  }
}

/** The utilization of the event loop between two cumulative readings. */
function performanceDelta(before: EventLoopUtilization, after: EventLoopUtilization): number {
  const active = after.active - before.active;
  const idle = after.idle - before.idle;
  return active + idle > 0 ? active / (active + idle) : 0;
}

/** What the engine's process is configured with (ENVCAT_* as for npm start; production defaults otherwise). */
export function engineEnvironment(
  dir: string,
  repoUrls: { platform: string; apps: string },
): Record<string, string> {
  return {
    ENVCAT_DATA_DIR: join(dir, 'engine'),
    ENVCAT_CATALOGS: CATALOGS,
    ENVCAT_PLATFORM_REPO: repoUrls.platform,
    ENVCAT_APPS_REPO: repoUrls.apps,
    ENVCAT_ADMIN_TOKEN: 'bench-admin-token-0123456789',
    ENVCAT_IDENTITY: 'bench-engine',
    ENVCAT_LOG_LEVEL: 'info',
    PORT: '0',
    HOST: '127.0.0.1',
  };
}

/** One line per part: `name p50 / p95 / max`. */
export function describeBreakdown(result: LatencyResult): string[] {
  const f = (d: Distribution) => `${d.p50.toFixed(1)} / ${d.p95.toFixed(1)} / ${d.max.toFixed(1)} ms`;
  const labels: Record<keyof LatencyResult['breakdown'], string> = {
    delivery: 'Available → the engine has the watch event (simulated API server, engine loop)',
    reaction: 'engine has it → calls commit (work queue, reconcile, render, Secret checks)',
    clusterCalls: '  of which Kubernetes API calls for the environment',
    lockWait: 'waiting for the apps clone (the commit under way, fetches)',
    git: 'git commit + push (of the group it went in)',
    afterPush: 'push → committed event',
    inGitToTold: 'the branch moved, as seen here → the engine told (committed event)',
  };
  const lines = (Object.keys(labels) as Array<keyof LatencyResult['breakdown']>).map(
    (key) => `    ${labels[key].padEnd(78)} ${f(result.breakdown[key])}`,
  );
  const queued = result.gitQueuedAtAvailable;
  lines.push(
    `    git calls of the engine queued or running when the database turned Available (${DEFAULT_RECONCILE_WORKERS} reconcile workers)   ${queued.p50} / ${queued.p95} / ${queued.max}`,
  );
  const busy = Object.entries(result.appsRepoCalls)
    .map(([op, c]) => `${op} ×${c.count} (${(c.totalMs / 1000).toFixed(2)} s)`)
    .join(', ');
  lines.push(`    apps clone busy meanwhile with: ${busy}`);
  const git = result.gitProcesses
    .filter((g) => g.owner === 'engine apps')
    .map((g) => `${g.command} ×${g.count} ${g.medianMs.toFixed(1)} ms`)
    .join(', ');
  if (git) lines.push(`    git processes on the apps clone (count, median): ${git}`);
  lines.push(
    `    engine process: event loop ${(result.engine.eventLoopUtilization * 100).toFixed(0)}% busy, loop delay p99 ${result.engine.eventLoopDelayP99Ms.toFixed(1)} ms / max ${result.engine.eventLoopDelayMaxMs.toFixed(1)} ms, ${result.engine.cpuSeconds.toFixed(1)} s CPU, RSS ${result.engine.rssMiB.toFixed(0)} MiB`,
  );
  return lines;
}
