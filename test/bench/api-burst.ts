/**
 * The REST API under a burst (issue 12): envcat on `npm start`'s embedded default (local bare repos,
 * the simulated cluster in the same process; compiled, with npm start's malloc settings, without
 * the web UI build) in a process of its own with a fresh data directory. N environments of three
 * instances in two waves, a secret parameter in each instance, are POSTed at the same moment while
 * one client GETs an environment after another and the list once a second; then all N are DELETEd
 * at once.
 *
 * Figures: POST and DELETE latency, GET latency during the burst, time to all Ready and to all
 * gone, the server's RSS (from /proc), and the commits each repo received. Checks (a failure is a
 * BenchError; one not Ready in time is a missed target): every environment created (201) exists,
 * the platform repo holds exactly their folders, no secret value is in Git; after the deletes every
 * one is 404, neither repo holds anything of them, and the cluster holds no object labelled with them.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { KubeClusterClient } from '../../src/cluster/client.js';
import { WORKSPACE_API } from '../../src/core/index.js';
import { compile } from '../../src/server/build.js';
import { CATALOGS } from '../support/examples.js';
import {
  compareNames,
  foldersUnder,
  loopBetween,
  repoLeftovers,
  summarizeCommits,
  summarizeRequests,
  type BurstBenchConfig,
  type CommitSummary,
  type LoopSummary,
  type RequestSample,
  type RequestSummary,
} from './api-burst-support.js';
import {
  BenchProcess,
  ENGINE_ENTRY,
  ENGINE_SOURCE,
  engineNodeFlags,
  type LoopReport,
  type MemoryReport,
} from './engine-host.js';
import { AvailableToAppCommit, watchWorkspaces, type BurstLatency } from './burst-latency.js';
import { clock, commitCount, fail } from './engine-support.js';
import { distribution, MiB, type Distribution } from './measure.js';
import { figure, formatValue, type Figure } from './report.js';
import { FAKE_API_KEY, FAKE_PASSWORD, threeInstanceRequestWithSecrets } from './requests.js';

const POST_P95_TARGET_MS = 2_000;
const GET_P95_TARGET_MS = 100;
/** The engine's latency target (engine-latency.ts), kept with the burst running. */
const ENGINE_LATENCY_P95_TARGET_MS = 100;
/** A request with no answer after this long counts as unanswered (`error`). */
const REQUEST_TIMEOUT_MS = 120_000;
/** The poller lists environments this often, and GETs one environment after another in between. */
const LIST_EVERY_MS = 1_000;
/** After the last environment is 404, how long the cluster gets to drop what was labelled with them. */
const CLUSTER_CLEAN_GRACE_MS = 60_000;
const PROGRESS_EVERY_MS = 15_000;
const MANAGED = 'app.kubernetes.io/managed-by=envcat';
const ENVIRONMENT_LABEL = 'envcat.io/environment';
/** What envcat creates per environment in the cluster (directly, or through Git and Argo CD). */
const LABELLED_KINDS = [
  { apiVersion: 'v1', kind: 'Namespace' },
  { apiVersion: 'v1', kind: 'Secret' },
  { apiVersion: WORKSPACE_API.namespaced, kind: 'Workspace' },
  { apiVersion: WORKSPACE_API.cluster, kind: 'Workspace' },
  { apiVersion: 'argoproj.io/v1alpha1', kind: 'Application' },
  { apiVersion: 'argoproj.io/v1alpha1', kind: 'AppProject' },
] as const;
const TERMINAL = new Set(['Ready', 'Failed', 'Invalid']);

const run = promisify(execFile);

interface ListItem {
  name: string;
  phase: string;
  message?: string;
}

interface Phase {
  /** The requests' latencies (ms) and statuses. */
  requests: RequestSummary;
  /** Seconds from sending them to the last answer. */
  answeredSeconds: number;
  /** GETs of one environment that answered 200 (404 before its POST is answered, or after it is gone). */
  gets: RequestSummary;
  getStatuses: Record<string, number>;
  lists: RequestSummary;
  /** Seconds from sending the requests to the poller's list showing every one done (or to the timeout). */
  doneSeconds: number;
  done: number;
  timedOut: boolean;
  commits: { platform: CommitSummary; apps: CommitSummary };
  /** The server's event loop over the phase. */
  loop: LoopSummary;
  /** CPU seconds over the phase: the server's own, and the git processes it ran. */
  cpu: { server: number; git: number };
}

export interface BurstResult {
  environments: number;
  simulatorDelay: string;
  timeoutSeconds: number;
  create: Phase & {
    /** CPU seconds from sending the POSTs to the last answer: the server's main thread (its event loop), the whole server, its git processes. */
    postsCpu: { main: number; server: number; git: number };
    /** Seconds from sending the POSTs to each environment first listed Ready (list resolution ~1 s). */
    readySeconds?: Distribution;
    /** A few environments that did not get Ready, with their phase and message. */
    notReady: ListItem[];
    /** Objects labelled with the environments in the cluster when they were Ready, by kind. */
    objects: Record<string, number>;
    /** Workspace Available → the engine's app commit, per environment, during the burst (burst-latency.ts). */
    appCommitLatency: BurstLatency & { clockUncertaintyMs: number };
  };
  delete: Phase & {
    /** From the last environment 404 to the cluster holding nothing labelled with them. */
    clusterCleanSeconds: number;
  };
  memory: {
    /** RSS when the server was up and leading, before the burst. */
    idleMiB: number;
    /** Where the peaks count from: the POSTs, unless the kernel refused to reset the peak. */
    peakFrom: 'the POSTs' | 'the process start';
    /** The most RSS until every environment was Ready … */
    peakAtReadyMiB: number;
    /** … and until every one was gone. */
    peakMiB: number;
    readyMiB: number;
    finalMiB: number;
    /** V8's heap in use and the memory outside it (Buffers), idle, when Ready and at the end: what of the RSS is JavaScript's. */
    heapUsedMiB: { idle: number; ready: number; final: number };
    externalMiB: { idle: number; ready: number; final: number };
    /**
     * At the end after a full collection: what the server still holds with every environment gone
     * (compare heapUsedMiB.idle, also after one).
     */
    collected: { rssMiB: number; heapUsedMiB: number; externalMiB: number };
  };
  /** A few answers with an unexpected status (method, path, status, body). */
  unexpected: string[];
}

/** The REST API as a user calls it: bearer token, JSON, every call timed. */
class Api {
  readonly unexpected: string[] = [];

  constructor(
    private readonly base: string,
    private readonly token: string,
  ) {}

  async call(
    method: string,
    path: string,
    options: { body?: string; expect: number[] },
  ): Promise<{ sample: RequestSample; json?: unknown }> {
    const started = clock();
    try {
      const response = await fetch(`${this.base}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${this.token}`,
          ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        ...(options.body !== undefined ? { body: options.body } : {}),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
      const text = await response.text();
      const sample = { ms: clock() - started, status: response.status };
      if (!options.expect.includes(response.status))
        this.note(`${method} ${path} → ${response.status}: ${text.slice(0, 300)}`);
      let json: unknown;
      try {
        json = text ? JSON.parse(text) : undefined;
      } catch {
        json = undefined;
      }
      return { sample, json };
    } catch (error) {
      this.note(`${method} ${path} → no answer: ${(error as Error).message}`);
      return { sample: { ms: clock() - started, status: 'error' } };
    }
  }

  private note(line: string): void {
    if (this.unexpected.length < 20) this.unexpected.push(line);
  }
}

/**
 * One client polling as a user interface would: GET one environment after another, and the list
 * once every LIST_EVERY_MS, one request at a time. `onList` gets every list answered 200.
 */
function startPoller(args: {
  api: Api;
  names: readonly string[];
  expect: number[];
  onList: (items: ListItem[], sentAt: number) => void;
}): { stop(): Promise<{ gets: RequestSample[]; lists: RequestSample[] }> } {
  const gets: RequestSample[] = [];
  const lists: RequestSample[] = [];
  let stopped = false;
  const loop = (async () => {
    let lastList = 0;
    for (let n = 0; !stopped; n++) {
      if (clock() - lastList >= LIST_EVERY_MS) {
        lastList = clock();
        const { sample, json } = await args.api.call('GET', '/api/v1/environments', { expect: [200] });
        lists.push(sample);
        const items = (json as { items?: unknown } | undefined)?.items;
        if (sample.status === 200 && Array.isArray(items)) args.onList(items as ListItem[], lastList);
      } else {
        const name = args.names[n % args.names.length]!;
        const { sample } = await args.api.call('GET', `/api/v1/environments/${name}`, {
          expect: args.expect,
        });
        gets.push(sample);
      }
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      return { gets, lists };
    },
  };
}

async function git(bare: string, args: string[]): Promise<string> {
  const { stdout } = await run('git', ['--git-dir', bare, ...args], { maxBuffer: 64 * MiB });
  return stdout;
}

async function tree(bare: string): Promise<string[]> {
  if ((await commitCount(bare)) === 0) return [];
  return (await git(bare, ['ls-tree', '-r', '--name-only', 'main'])).split('\n').filter(Boolean);
}

/** The subjects of main's commits, oldest first (one writer appends to a linear history). */
async function subjects(bare: string): Promise<string[]> {
  if ((await commitCount(bare)) === 0) return [];
  return (await git(bare, ['log', '--reverse', '--format=%s', 'main'])).split('\n').filter(Boolean);
}

/** Commits anywhere in main's history that added or removed `text`. */
async function commitsWith(bare: string, text: string): Promise<string[]> {
  return (await git(bare, ['log', '--format=%H', '-F', `-S${text}`, 'main'])).split('\n').filter(Boolean);
}

function cpuBetween(
  before: { own: number; children: number },
  after: { own: number; children: number },
): Phase['cpu'] {
  return { server: after.own - before.own, git: after.children - before.children };
}

async function sleep(ms: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms));
}

/** Objects in the cluster labelled with one of `names`, by `apiVersion kind`. */
async function labelledObjects(
  cluster: KubeClusterClient,
  names: ReadonlySet<string>,
): Promise<{ counts: Record<string, number>; sample: string[] }> {
  const counts: Record<string, number> = {};
  const sample: string[] = [];
  for (const type of LABELLED_KINDS) {
    const objects = await cluster.list(type, { labelSelector: MANAGED });
    const ours = objects.filter((o) => names.has(o.metadata.labels?.[ENVIRONMENT_LABEL] ?? ''));
    counts[`${type.apiVersion} ${type.kind}`] = ours.length;
    for (const o of ours.slice(0, 3))
      sample.push(`${type.kind} ${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`);
  }
  return { counts, sample };
}

export async function benchBurst(args: {
  config: BurstBenchConfig;
  log: (line: string) => void;
}): Promise<BurstResult> {
  const { config, log } = args;
  const n = config.environments;
  const names = Array.from({ length: n }, (_, k) => `burst-${String(k).padStart(4, '0')}`);
  await compile({ entries: [ENGINE_SOURCE] });
  const dir = await mkdtemp(join(tmpdir(), 'envcat-bench-burst-'));
  const token = randomBytes(24).toString('hex');
  const bare = {
    platform: join(dir, 'data', 'repos', 'platform.git'),
    apps: join(dir, 'data', 'repos', 'apps.git'),
  };
  let server: BenchProcess | undefined;
  // The engine latency target inside the burst (burst-latency.ts): the engine's committed events.
  let appCommits: AvailableToAppCommit | undefined;
  let stopWatching: (() => void) | undefined;
  try {
    server = await BenchProcess.start({
      onEvent: (event) => appCommits?.onEvent(event),
      entry: ENGINE_ENTRY,
      // only so that the end can tell live memory from garbage not collected yet (memory op `gc`)
      nodeFlags: ['--expose-gc', ...engineNodeFlags()],
      args: ['embedded'],
      env: {
        ENVCAT_DATA_DIR: join(dir, 'data'),
        ENVCAT_CATALOGS: CATALOGS,
        ENVCAT_ADMIN_TOKEN: token,
        ENVCAT_SIMULATOR_STATE: 'memory',
        ENVCAT_SIMULATOR_DELAY: config.simulatorDelay,
        ENVCAT_LOG_LEVEL: 'info',
        PORT: '0',
        HOST: '127.0.0.1',
        // the embedded default whatever this shell points at
        KUBECONFIG: '',
        ENVCAT_KUBECONFIG: '',
        ENVCAT_IN_CLUSTER: '',
        ENVCAT_PLATFORM_REPO: '',
        ENVCAT_APPS_REPO: '',
      },
    });
    const { url, clusterUrl } = server.urls;
    if (!url || !clusterUrl)
      fail(`burst benchmark: the server did not say where it serves: ${server.output}`);
    const api = new Api(url, token);
    const cluster = KubeClusterClient.forServer({ url: clusterUrl });
    const skew = await server.clockOffset();
    const watching = new AvailableToAppCommit({
      infraInstances: ['db'],
      clock,
      offsetMs: () => skew.offsetMs,
    });
    appCommits = watching;
    stopWatching = await watchWorkspaces(cluster, (workspace) => watching.onWorkspace(workspace));
    const host = server;
    const failWith = (what: string): never =>
      fail(`burst benchmark: ${what}\n--- the server's last output:\n${host.output.slice(-4_000)}`);

    const usage = async (gc = false) => (await host.request<MemoryReport>({ op: 'memory', gc })).memoryUsage;
    // the idle figures after a full collection, so that they hold only what the server keeps
    const idleUsage = await usage(true);
    const idle = await server.residentMemory();
    const bodies = names.map((name) => JSON.stringify(threeInstanceRequestWithSecrets(name)));
    const peakReset = await server.resetPeakMemory();

    // ---- N creates at once, the poller alongside
    // The latest list the poller got, and when it was sent.
    const latest = new Map<string, ListItem>();
    const readyAt = new Map<string, number>();
    let listedAt = 0;
    const onList = (items: ListItem[], sentAt: number) => {
      latest.clear();
      for (const item of items) {
        latest.set(item.name, item);
        if (item.phase === 'Ready' && !readyAt.has(item.name)) readyAt.set(item.name, sentAt);
      }
      listedAt = sentAt;
    };
    const commitsBefore = { platform: await commitCount(bare.platform), apps: await commitCount(bare.apps) };
    const createLoopStart = await server.request<LoopReport>({ op: 'loop' });
    const createCpuStart = await server.cpuSeconds();
    // ENVCAT_BENCH_BURST_PROFILE=<file>: a CPU profile of the server's event loop over the POSTs.
    const profilePath = process.env.ENVCAT_BENCH_BURST_PROFILE;
    if (profilePath) await server.request({ op: 'profile', action: 'start' });
    const postCpuStart = { ...(await server.cpuSeconds()), main: await server.mainThreadCpuSeconds() };
    log(`      ${n} POSTs at once …`);
    let poller = startPoller({ api, names, expect: [200, 404], onList });
    const createSent = clock();
    const posts = await Promise.all(
      bodies.map((body) => api.call('POST', '/api/v1/environments', { body, expect: [201] })),
    );
    const postsSeconds = (clock() - createSent) / 1000;
    const postCpuEnd = { ...(await server.cpuSeconds()), main: await server.mainThreadCpuSeconds() };
    if (profilePath)
      log(
        `      profile of the POSTs: ${await server.request({ op: 'profile', action: 'stop', path: profilePath })}`,
      );
    const created = names.filter((_, k) => posts[k]!.sample.status === 201);
    log(`      ${created.length}/${n} created (201) in ${postsSeconds.toFixed(1)} s; waiting for Ready …`);
    const createDeadline = createSent + config.timeoutSeconds * 1000;
    let lastProgress = clock();
    const allDone = () =>
      listedAt > 0 && created.every((name) => TERMINAL.has(latest.get(name)?.phase ?? ''));
    while (!allDone() && clock() < createDeadline) {
      await sleep(100);
      if (clock() - lastProgress > PROGRESS_EVERY_MS) {
        lastProgress = clock();
        const byPhase: Record<string, number> = {};
        for (const name of created) {
          const phase = latest.get(name)?.phase ?? 'not listed';
          byPhase[phase] = (byPhase[phase] ?? 0) + 1;
        }
        log(`      ${((clock() - createSent) / 1000).toFixed(0)} s: ${JSON.stringify(byPhase)}`);
      }
    }
    const createDone = clock();
    const createTimedOut = !allDone();
    const appCommitLatency = { ...watching.result(), clockUncertaintyMs: skew.uncertaintyMs };
    const readySeconds = [...readyAt.values()].map((at) => (at - createSent) / 1000);
    const createPolls = await poller.stop();
    const createLoop = await server.request<LoopReport>({ op: 'loop' });
    const createCpu = await server.cpuSeconds();
    const atReady = await server.residentMemory();
    const readyUsage = await usage();
    const commitsAtReady = { platform: await commitCount(bare.platform), apps: await commitCount(bare.apps) };

    // Checks: every created environment exists (the ones not Ready are reported), and the platform
    // repo holds exactly their folders.
    const lost: string[] = [];
    const notReady: ListItem[] = [];
    for (const name of created) {
      const { sample, json } = await api.call('GET', `/api/v1/environments/${name}`, { expect: [200] });
      const status = (json as { status?: { phase?: string; message?: string } } | undefined)?.status;
      if (sample.status === 404) lost.push(name);
      else if (status?.phase !== 'Ready')
        notReady.push({
          name,
          phase: status?.phase ?? `HTTP ${sample.status}`,
          message: status?.message ?? '',
        });
    }
    if (lost.length > 0)
      failWith(`${lost.length} environment(s) created (201) are not found: ${lost.join(', ')}`);
    const folders = compareNames(created, foldersUnder(await tree(bare.platform), 'environments'));
    if (folders.missing.length > 0 || folders.extra.length > 0)
      failWith(
        `the platform repo's environments/ does not hold exactly the ${created.length} created: ` +
          `missing ${folders.missing.join(', ') || 'none'}; extra ${folders.extra.join(', ') || 'none'}`,
      );
    const objects = await labelledObjects(cluster, new Set(created));
    log(
      `      ${created.length - notReady.length}/${created.length} Ready after ${((createDone - createSent) / 1000).toFixed(1)} s; ` +
        `RSS ${formatValue(atReady.rss / MiB, 'MiB')}, peak ${formatValue(atReady.peak / MiB, 'MiB')}; ` +
        `commits: platform ${commitsAtReady.platform - commitsBefore.platform}, apps ${commitsAtReady.apps - commitsBefore.apps}`,
    );

    // ---- N deletes at once
    log(`      ${created.length} DELETEs at once …`);
    const deleteLoopStart = await server.request<LoopReport>({ op: 'loop' });
    const deleteCpuStart = await server.cpuSeconds();
    listedAt = 0;
    poller = startPoller({ api, names: created, expect: [200, 404], onList });
    const deleteSent = clock();
    const deletes = await Promise.all(
      created.map((name) => api.call('DELETE', `/api/v1/environments/${name}`, { expect: [202] })),
    );
    const deletesSeconds = (clock() - deleteSent) / 1000;
    const deletesAnswered = clock();
    const deleteDeadline = deleteSent + config.timeoutSeconds * 1000;
    lastProgress = clock();
    // Gone: absent from a list that was sent after every DELETE was answered.
    const allGone = () => listedAt > deletesAnswered && created.every((name) => !latest.has(name));
    while (!allGone() && clock() < deleteDeadline) {
      await sleep(100);
      if (clock() - lastProgress > PROGRESS_EVERY_MS) {
        lastProgress = clock();
        const left = created.filter((name) => latest.has(name));
        log(`      ${((clock() - deleteSent) / 1000).toFixed(0)} s: ${left.length} not gone yet`);
      }
    }
    const goneDone = clock();
    const deleteTimedOut = !allGone();
    const deletePolls = await poller.stop();
    const deleteLoop = await server.request<LoopReport>({ op: 'loop' });
    const deleteCpu = await server.cpuSeconds();
    const commitsAtEnd = { platform: await commitCount(bare.platform), apps: await commitCount(bare.apps) };

    const notGone: string[] = [];
    for (const name of created) {
      const { sample, json } = await api.call('GET', `/api/v1/environments/${name}`, { expect: [404] });
      const status = (json as { status?: { phase?: string; message?: string } } | undefined)?.status;
      if (sample.status !== 404)
        notGone.push(`${name} (${sample.status}${status ? ` ${status.phase}: ${status.message}` : ''})`);
    }
    if (notGone.length > 0)
      failWith(
        `${notGone.length} environment(s) not gone ${config.timeoutSeconds} s after their DELETE: ${notGone.slice(0, 10).join('; ')}`,
      );
    const leftovers = repoLeftovers({ platform: await tree(bare.platform), apps: await tree(bare.apps) });
    if (leftovers.length > 0)
      failWith(
        `the repos still hold ${leftovers.length} path(s) after the deletes: ${leftovers.slice(0, 10).join(', ')}`,
      );
    const cleanBy = clock() + CLUSTER_CLEAN_GRACE_MS;
    let left = await labelledObjects(cluster, new Set(created));
    while (left.sample.length > 0 && clock() < cleanBy) {
      await sleep(500);
      left = await labelledObjects(cluster, new Set(created));
    }
    if (left.sample.length > 0)
      failWith(
        `the cluster still holds objects labelled with deleted environments ${CLUSTER_CLEAN_GRACE_MS / 1000} s after the last was gone: ` +
          `${JSON.stringify(Object.fromEntries(Object.entries(left.counts).filter(([, c]) => c > 0)))}, e.g. ${left.sample.join(', ')}`,
      );
    const clusterCleanSeconds = (clock() - goneDone) / 1000;
    const leaks: string[] = [];
    for (const [repo, path] of Object.entries(bare))
      for (const secret of [FAKE_PASSWORD, FAKE_API_KEY])
        for (const sha of await commitsWith(path, secret)) leaks.push(`${repo} ${sha.slice(0, 12)}`);
    if (leaks.length > 0) failWith(`a secret parameter's value is in Git: ${leaks.slice(0, 10).join(', ')}`);
    const final = await server.residentMemory();
    const finalUsage = await usage();
    const collectedUsage = await usage(true);
    const collected = await server.residentMemory();

    const history = { platform: await subjects(bare.platform), apps: await subjects(bare.apps) };
    const commitsIn = (from: typeof commitsBefore, to: typeof commitsBefore) => ({
      platform: summarizeCommits(history.platform.slice(from.platform, to.platform)),
      apps: summarizeCommits(history.apps.slice(from.apps, to.apps)),
    });
    const getStatuses = (samples: RequestSample[]) => summarizeRequests(samples, 200).byStatus;
    const ok = (samples: RequestSample[]) =>
      summarizeRequests(
        samples.filter((s) => s.status === 200),
        200,
      );
    return {
      environments: n,
      simulatorDelay: config.simulatorDelay,
      timeoutSeconds: config.timeoutSeconds,
      create: {
        requests: summarizeRequests(
          posts.map((p) => p.sample),
          201,
        ),
        answeredSeconds: postsSeconds,
        postsCpu: {
          main: postCpuEnd.main - postCpuStart.main,
          ...cpuBetween(postCpuStart, postCpuEnd),
        },
        gets: ok(createPolls.gets),
        getStatuses: getStatuses(createPolls.gets),
        lists: summarizeRequests(createPolls.lists, 200),
        doneSeconds: (createDone - createSent) / 1000,
        appCommitLatency,
        done: created.length - notReady.length,
        timedOut: createTimedOut,
        commits: commitsIn(commitsBefore, commitsAtReady),
        loop: loopBetween(createLoopStart, createLoop),
        cpu: cpuBetween(createCpuStart, createCpu),
        ...(readySeconds.length > 0 ? { readySeconds: distribution(readySeconds) } : {}),
        notReady: notReady.slice(0, 5),
        objects: objects.counts,
      },
      delete: {
        requests: summarizeRequests(
          deletes.map((d) => d.sample),
          202,
        ),
        answeredSeconds: deletesSeconds,
        gets: ok(deletePolls.gets),
        getStatuses: getStatuses(deletePolls.gets),
        lists: summarizeRequests(deletePolls.lists, 200),
        doneSeconds: (goneDone - deleteSent) / 1000,
        done: created.length - notGone.length,
        timedOut: deleteTimedOut,
        commits: commitsIn(commitsAtReady, commitsAtEnd),
        loop: loopBetween(deleteLoopStart, deleteLoop),
        cpu: cpuBetween(deleteCpuStart, deleteCpu),
        clusterCleanSeconds,
      },
      memory: {
        idleMiB: idle.rss / MiB,
        peakFrom: peakReset ? 'the POSTs' : 'the process start',
        peakAtReadyMiB: atReady.peak / MiB,
        peakMiB: final.peak / MiB,
        readyMiB: atReady.rss / MiB,
        finalMiB: final.rss / MiB,
        heapUsedMiB: {
          idle: idleUsage.heapUsed / MiB,
          ready: readyUsage.heapUsed / MiB,
          final: finalUsage.heapUsed / MiB,
        },
        externalMiB: {
          idle: idleUsage.external / MiB,
          ready: readyUsage.external / MiB,
          final: finalUsage.external / MiB,
        },
        collected: {
          rssMiB: collected.rss / MiB,
          heapUsedMiB: collectedUsage.heapUsed / MiB,
          externalMiB: collectedUsage.external / MiB,
        },
      },
      unexpected: api.unexpected,
    };
  } finally {
    stopWatching?.();
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

/** The figures (with their targets) and the lines printed under the table. */
export function burstReport(result: BurstResult, nsPerOp: number): { figures: Figure[]; notes: string[] } {
  const { create, environments: n } = result;
  const removal = result.delete;
  const ops = (ms: number) => (ms * 1e6) / nsPerOp;
  const latencyFigures = (args: {
    id: string;
    label: string;
    summary: RequestSummary;
    target?: number;
    which: Array<'p50' | 'p95' | 'max'>;
    details?: Record<string, unknown>;
  }): Figure[] =>
    args.which.map((p) => {
      // No response at all: the figure is the request timeout (a missed target, not a crash).
      const value = args.summary.latencyMs?.[p] ?? REQUEST_TIMEOUT_MS;
      return figure({
        id: `${args.id}.${p}`,
        label: `${args.label}, ${p}`,
        value,
        unit: 'ms',
        ...(args.target !== undefined && p === 'p95' ? { target: { op: '<', value: args.target } } : {}),
        calibrationOps: ops(value),
        ...(p === args.which[0] ? { details: { ...args.summary, ...args.details } } : {}),
      });
    });
  const created = create.requests.answered;
  const figures: Figure[] = [
    figure({
      id: 'api.burst.post.answered',
      label: `POSTs answered 201, ${n} sent at once`,
      value: created,
      unit: 'reqs',
      target: { op: '>=', value: n },
      details: { byStatus: create.requests.byStatus, allAnsweredSeconds: create.answeredSeconds },
    }),
    ...latencyFigures({
      id: 'api.burst.post',
      label: '  POST latency',
      summary: create.requests,
      target: POST_P95_TARGET_MS,
      which: ['p50', 'p95', 'max'],
    }),
    figure({
      id: 'api.burst.post.cpu',
      label: '  server CPU, POSTs sent → all answered: event-loop thread',
      value: create.postsCpu.main,
      unit: 's',
      details: { ...create.postsCpu },
    }),
    ...latencyFigures({
      id: 'api.burst.get',
      label: 'GET of one environment during the burst',
      summary: create.gets,
      target: GET_P95_TARGET_MS,
      which: ['p95', 'max'],
      details: { statuses: create.getStatuses },
    }),
    ...(['p50', 'p95', 'max'] as const).map((p) => {
      const { latency, measured, negative, clockUncertaintyMs } = create.appCommitLatency;
      const value = latency?.[p] ?? Number.NaN;
      return figure({
        id: `api.burst.engine.available-to-app-commit.${p}`,
        label: `Workspace Available → app commit, during the burst, ${p}`,
        value,
        unit: 'ms',
        ...(p === 'p95' ? { target: { op: '<', value: ENGINE_LATENCY_P95_TARGET_MS } } : {}),
        calibrationOps: ops(value),
        ...(p === 'p50' ? { details: { measured, negative, clockUncertaintyMs } } : {}),
      });
    }),
    ...latencyFigures({
      id: 'api.burst.list',
      label: `GET of the list (${n}) during the burst`,
      summary: create.lists,
      which: ['p95'],
    }),
    figure({
      id: 'api.burst.ready',
      label: `Environments Ready within ${result.timeoutSeconds} s`,
      value: create.done,
      unit: 'envs',
      target: { op: '>=', value: n },
      details: { notReady: create.notReady, objectsWhenReady: create.objects },
    }),
    figure({
      id: 'api.burst.readySeconds',
      label: create.timedOut
        ? `  POSTs sent → timeout (${create.done} Ready)`
        : `  POSTs sent → all ${created} Ready`,
      value: create.doneSeconds,
      unit: 's',
      details: { perEnvironmentSeconds: create.readySeconds, resolutionSeconds: LIST_EVERY_MS / 1000 },
    }),
    figure({
      id: 'api.burst.rss.peak',
      label: `Server peak RSS, from ${result.memory.peakFrom} to all gone`,
      value: result.memory.peakMiB,
      unit: 'MiB',
      details: result.memory,
    }),
    figure({
      id: 'api.burst.rss.ready',
      label: `  server RSS with ${created} environments Ready`,
      value: result.memory.readyMiB,
      unit: 'MiB',
    }),
    figure({
      id: 'api.burst.rss.final',
      label: '  server RSS after the deletes',
      value: result.memory.finalMiB,
      unit: 'MiB',
    }),
    figure({
      id: 'api.burst.heapLive',
      label: `  V8 heap live after the deletes (idle: ${result.memory.heapUsedMiB.idle.toFixed(0)} MiB)`,
      value: result.memory.collected.heapUsedMiB,
      unit: 'MiB',
      details: { afterFullCollection: result.memory.collected },
    }),
    figure({
      id: 'api.burst.commits.platform',
      label: `Platform repo commits, POSTs → all Ready`,
      value: create.commits.platform.commits,
      unit: 'commits',
      details: { ...create.commits.platform },
    }),
    figure({
      id: 'api.burst.commits.apps',
      label: `Apps repo commits, POSTs → all Ready`,
      value: create.commits.apps.commits,
      unit: 'commits',
      details: { ...create.commits.apps },
    }),
    figure({
      id: 'api.burst.delete.answered',
      label: `DELETEs answered 202, ${removal.requests.count} sent at once`,
      value: removal.requests.answered,
      unit: 'reqs',
      target: { op: '>=', value: removal.requests.count },
      details: { byStatus: removal.requests.byStatus, allAnsweredSeconds: removal.answeredSeconds },
    }),
    ...latencyFigures({
      id: 'api.burst.delete',
      label: '  DELETE latency',
      summary: removal.requests,
      which: ['p95'],
    }),
    figure({
      id: 'api.burst.goneSeconds',
      label: `  DELETEs sent → all ${removal.done} gone (404)`,
      value: removal.doneSeconds,
      unit: 's',
      details: { commits: removal.commits, clusterCleanSeconds: removal.clusterCleanSeconds },
    }),
  ];
  const d = (x: Distribution | undefined, unit: string, digits = 0) =>
    x ? `${x.p50.toFixed(digits)} / ${x.p95.toFixed(digits)} / ${x.max.toFixed(digits)} ${unit}` : 'none';
  const statuses = (byStatus: Record<string, number>) =>
    Object.entries(byStatus)
      .map(([status, count]) => `${status} ×${count}`)
      .join(', ');
  const commits = (c: Phase['commits']) =>
    (['platform', 'apps'] as const)
      .map(
        (repo) =>
          `${repo} ${c[repo].commits} (${c[repo].changeSets} change sets, up to ${c[repo].maxPerCommit} in one)`,
      )
      .join(', ');
  const heapLine = (m: { idle: number; ready: number; final: number }) =>
    `${m.idle.toFixed(0)} / ${m.ready.toFixed(0)} / ${m.final.toFixed(0)} MiB`;
  const loop = (l: LoopSummary) =>
    `event loop ${(l.utilization * 100).toFixed(0)}% busy, delay p99 ${l.delayP99Ms.toFixed(0)} ms, max ${l.delayMaxMs.toFixed(0)} ms`;
  const cpu = (c: Phase['cpu']) => `CPU ${c.server.toFixed(1)} s, its git processes ${c.git.toFixed(1)} s`;
  const notes = [
    `Burst: ${n} environments of 3 instances in 2 waves with a secret parameter each, POSTed at once to envcat on the embedded ` +
      `default (its own process; simulator delay ${result.simulatorDelay}, cluster in memory). All POSTs answered after ${create.answeredSeconds.toFixed(1)} s ` +
      `(${statuses(create.requests.byStatus)}); ${create.done}/${created} Ready after ${create.doneSeconds.toFixed(1)} s ` +
      `(per environment, POST → first listed Ready, p50 / p95 / max: ${d(create.readySeconds, 's', 1)}).`,
    `    CPU from sending the POSTs to the last answer: the server's event-loop thread ${create.postsCpu.main.toFixed(2)} s, the whole server ${create.postsCpu.server.toFixed(2)} s, its git processes ${create.postsCpu.git.toFixed(2)} s.`,
    `    poller meanwhile: ${create.gets.count} GETs answered 200 (all statuses: ${statuses(create.getStatuses)}), p50 / p95 / max ${d(create.gets.latencyMs, 'ms', 1)}; ` +
      `${create.lists.count} lists, ${d(create.lists.latencyMs, 'ms', 1)}.`,
    `    server: ${loop(create.loop)}; ${cpu(create.cpu)}; commits ${commits(create.commits)}; objects labelled with them when Ready: ` +
      `${Object.entries(create.objects)
        .filter(([, count]) => count > 0)
        .map(([kind, count]) => `${kind.split(' ')[1]} ${count}`)
        .join(', ')}.`,
    `    deletes: all answered after ${removal.answeredSeconds.toFixed(1)} s (${statuses(removal.requests.byStatus)}), p50 / p95 / max ${d(removal.requests.latencyMs, 'ms')}; ` +
      `all gone after ${removal.doneSeconds.toFixed(1)} s, the cluster clean ${removal.clusterCleanSeconds.toFixed(1)} s later; ${loop(removal.loop)}; ${cpu(removal.cpu)}; commits ${commits(removal.commits)}; ` +
      `GETs meanwhile ${d(removal.gets.latencyMs, 'ms', 1)} (${statuses(removal.getStatuses)}).`,
    `    server RSS: ${formatValue(result.memory.idleMiB, 'MiB')} idle, peak ${formatValue(result.memory.peakAtReadyMiB, 'MiB')} until all Ready ` +
      `and ${formatValue(result.memory.peakMiB, 'MiB')} until all gone (from ${result.memory.peakFrom}), ${formatValue(result.memory.readyMiB, 'MiB')} when Ready, ` +
      `${formatValue(result.memory.finalMiB, 'MiB')} at the end; of which V8 heap used ${heapLine(result.memory.heapUsedMiB)}, ` +
      `external ${heapLine(result.memory.externalMiB)} (idle / Ready / end; idle after a full collection). After a full collection at the end: ` +
      `RSS ${formatValue(result.memory.collected.rssMiB, 'MiB')}, heap used ${formatValue(result.memory.collected.heapUsedMiB, 'MiB')}, ` +
      `external ${formatValue(result.memory.collected.externalMiB, 'MiB')}.`,
    `    checks passed: every environment answered 201 exists ` +
      'and has its folder in the platform repo (no other folder there), no secret value in either repo, after the deletes ' +
      'every one is 404 and neither the repos nor the cluster hold anything of them.',
    ...result.unexpected.map((line) => `    unexpected answer: ${line}`),
  ];
  return { figures, notes };
}
