/**
 * What the engine benchmarks share: timing decorators of the engine's two ports (GitOps repo and
 * cluster), the simulated cluster put together as startSimulatedCluster does but with the
 * simulator controls injectable, a gate that makes many Workspaces turn Available at one moment,
 * and small Git and waiting helpers.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { pino, type Logger } from 'pino';
import { workspaceState, type Catalog } from '../../src/core/index.js';
import { KubeClusterClient } from '../../src/cluster/client.js';
import type {
  ClusterClient,
  Informer,
  KubeObject,
  ListOptions,
  ObjectRef,
  TypeRef,
} from '../../src/cluster/types.js';
import {
  DEFAULT_BOOTSTRAP_DIR,
  RepoControlSource,
  SimulatedApiServer,
  SimulatedArgoCD,
  SimulatedProviderTerraform,
  loadBootstrap,
  type ControlSource,
  type InstanceRef,
  type SimulatedCluster,
  type SimulatorControls,
} from '../../src/simulator/index.js';
import { GitRepo } from '../../src/gitops/index.js';
import type { CommitInfo, CommitResult, FileChange, GitOpsRepo, RepoName } from '../../src/gitops/types.js';

const run = promisify(execFile);

/**
 * Milliseconds since the epoch with sub-millisecond resolution (the monotonic clock from this
 * process's time origin), so that timestamps taken in the engine's process and in this one can be
 * compared (after EngineProcess.clockOffset()).
 */
export const clock = (): number => performance.timeOrigin + performance.now();

export class BenchError extends Error {}

export function fail(message: string): never {
  throw new BenchError(message);
}

/** A logger that formats every line as production does and throws it away (logging costs what it costs). */
export function discardingLogger(level = 'info'): Logger {
  return pino({ level }, pino.destination({ dest: '/dev/null', sync: true }));
}

/** Polls `probe` until it returns something other than undefined; fails naming `what` after `timeoutMs`. */
export async function waitUntil<T>(
  what: string,
  probe: () => T | undefined | Promise<T | undefined>,
  options: { timeoutMs: number; intervalMs?: number },
): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) fail(`timed out after ${options.timeoutMs / 1000} s waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 50));
  }
}

/** Number of commits on a bare repo's branch (0 before the first). */
export async function commitCount(bareRepo: string, branch = 'main'): Promise<number> {
  try {
    const { stdout } = await run('git', ['--git-dir', bareRepo, 'rev-list', '--count', branch]);
    return Number(stdout.trim());
  } catch {
    return 0; // an unborn branch
  }
}

// ---------------------------------------------------------------------------------------------
// Timing decorators of the ports

export interface GitCall {
  repo: RepoName;
  op: 'sync' | 'readTree' | 'commit' | 'isAncestor' | 'objectIds' | 'log' | 'readFileBefore';
  /** The commit message (commits only). */
  message?: string;
  changed?: boolean;
  /** The commit that holds the change (commits only): change sets committed together share it. */
  sha?: string;
  calledAt: number;
  /** When it got the working clone's lock: see assignLockSlots (reads do not take it). */
  startedAt: number;
  endedAt: number;
  failed?: boolean;
}

/** Calls that hold the clone's lock; the rest (log, isAncestor, objectIds) read beside it. */
const LOCKING: ReadonlySet<GitCall['op']> = new Set(['sync', 'readTree', 'commit']);

/**
 * Sets `startedAt` of the calls that take a repo's lock. GitRepo runs them one slot at a time: a
 * sync, a readTree, or one grouped commit (the change sets that waited together, which end at the
 * same moment with the same sha). A slot starts when the slot before it ended, or when its last
 * call arrived if the lock was free.
 */
export function assignLockSlots(calls: GitCall[]): void {
  const slots: GitCall[][] = [];
  for (const call of calls.filter((c) => LOCKING.has(c.op)).sort((a, b) => a.endedAt - b.endedAt)) {
    const last = slots.at(-1)?.[0];
    const sameCommit =
      last !== undefined &&
      call.op === 'commit' &&
      last.op === 'commit' &&
      call.sha !== undefined &&
      call.sha === last.sha &&
      call.endedAt - last.endedAt < 2;
    if (sameCommit) slots.at(-1)!.push(call);
    else slots.push([call]);
  }
  let free = 0;
  for (const slot of slots) {
    const start = Math.max(free, ...slot.map((c) => c.calledAt));
    for (const call of slot) call.startedAt = Math.min(start, call.endedAt);
    free = Math.max(...slot.map((c) => c.endedAt));
  }
}

/**
 * A GitOpsRepo that records when each call was made and when it ended (assignLockSlots then
 * tells the wait for the working clone's lock from the work). Every call must go through it.
 */
export class TimedGitRepo implements GitOpsRepo {
  readonly calls: GitCall[] = [];
  private previousEnd: Promise<number> = Promise.resolve(0);

  constructor(private readonly inner: GitOpsRepo) {}

  get name(): RepoName {
    return this.inner.name;
  }

  get displayUrl(): string {
    return this.inner.displayUrl;
  }

  sync(): Promise<string> {
    return this.timed({ op: 'sync' }, () => this.inner.sync());
  }

  readTree(prefix: string): Promise<Map<string, string>> {
    return this.timed({ op: 'readTree' }, () => this.inner.readTree(prefix));
  }

  commit(change: FileChange): Promise<CommitResult> {
    return this.timed(
      { op: 'commit', message: change.message },
      () => this.inner.commit(change),
      (result, call) => {
        call.changed = result.changed;
        call.sha = result.sha;
      },
    );
  }

  isAncestor(ancestor: string, descendant: string): Promise<boolean> {
    return this.timed({ op: 'isAncestor' }, () => this.inner.isAncestor(ancestor, descendant));
  }

  objectIds(specs: readonly string[]): Promise<Array<string | undefined>> {
    return this.timed({ op: 'objectIds' }, () => this.inner.objectIds(specs));
  }

  readFileBefore(commit: string, path: string): Promise<string | undefined> {
    return this.timed({ op: 'readFileBefore' }, () => this.inner.readFileBefore(commit, path));
  }

  log(prefix: string, options?: { limit?: number }): Promise<CommitInfo[]> {
    return this.timed({ op: 'log' }, () => this.inner.log(prefix, options));
  }

  private async timed<T>(
    what: Pick<GitCall, 'op' | 'message'>,
    operation: () => Promise<T>,
    annotate?: (result: T, call: GitCall) => void,
  ): Promise<T> {
    const calledAt = clock();
    const call: GitCall = {
      repo: this.inner.name,
      ...what,
      calledAt,
      startedAt: calledAt,
      endedAt: calledAt,
    };
    try {
      const result = await operation();
      annotate?.(result, call);
      return result;
    } catch (error) {
      call.failed = true;
      throw error;
    } finally {
      call.endedAt = clock();
      this.calls.push(call);
    }
  }
}

export interface ClusterCall {
  method: string;
  kind: string;
  namespace?: string;
  name?: string;
  calledAt: number;
  endedAt: number;
}

/** When this process's informer first had an instance's Workspace as Available (`<environment>/<instance>` → clock()). */
export type WorkspacesSeenAvailable = Record<string, number>;

/**
 * A ClusterClient that records the duration of every request-response call, and when a Workspace
 * informer first delivers a Workspace as Available (informers otherwise pass through).
 */
export class TimedCluster implements ClusterClient {
  readonly calls: ClusterCall[] = [];
  readonly seenAvailable: WorkspacesSeenAvailable = {};

  constructor(private readonly inner: ClusterClient) {}

  apply(object: KubeObject, options?: { fieldManager?: string; force?: boolean }): Promise<KubeObject> {
    return this.timed('apply', object, () => this.inner.apply(object, options));
  }

  create(object: KubeObject): Promise<KubeObject> {
    return this.timed('create', object, () => this.inner.create(object));
  }

  replace(object: KubeObject): Promise<KubeObject> {
    return this.timed('replace', object, () => this.inner.replace(object));
  }

  mergePatch(ref: ObjectRef, patch: Record<string, unknown>): Promise<KubeObject> {
    return this.timed('mergePatch', ref, () => this.inner.mergePatch(ref, patch));
  }

  replaceStatus(object: KubeObject): Promise<KubeObject> {
    return this.timed('replaceStatus', object, () => this.inner.replaceStatus(object));
  }

  get(ref: ObjectRef): Promise<KubeObject | undefined> {
    return this.timed('get', ref, () => this.inner.get(ref));
  }

  list(type: TypeRef, options?: ListOptions): Promise<KubeObject[]> {
    return this.timed(
      'list',
      { ...type, ...(options?.namespace ? { namespace: options.namespace } : {}) },
      () => this.inner.list(type, options),
    );
  }

  delete(ref: ObjectRef): Promise<boolean> {
    return this.timed('delete', ref, () => this.inner.delete(ref));
  }

  informer(type: TypeRef, options?: ListOptions): Informer {
    const informer = this.inner.informer(type, options);
    if (type.kind === 'Workspace') {
      // Registered before the engine's own handlers, so it runs first: the moment the event arrived.
      const note = (workspace: KubeObject) => {
        const labels = workspace.metadata.labels ?? {};
        const key = `${labels['envcat.io/environment']}/${labels['envcat.io/instance']}`;
        if (this.seenAvailable[key] === undefined && workspaceState(workspace).phase === 'Ready')
          this.seenAvailable[key] = clock();
      };
      informer.on('ADDED', note);
      informer.on('MODIFIED', note);
    }
    return informer;
  }

  private async timed<T>(
    method: string,
    target: {
      kind: string;
      name?: string;
      namespace?: string;
      metadata?: { name?: string; namespace?: string };
    },
    operation: () => Promise<T>,
  ): Promise<T> {
    const calledAt = clock();
    try {
      return await operation();
    } finally {
      const namespace = target.namespace ?? target.metadata?.namespace;
      const name = target.name ?? target.metadata?.name;
      this.calls.push({
        method,
        kind: target.kind,
        ...(namespace ? { namespace } : {}),
        ...(name ? { name } : {}),
        calledAt,
        endedAt: clock(),
      });
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The simulated cluster

/**
 * Makes the Workspaces of the gated instances turn Available at one chosen moment: until
 * `release()` they are never ready; afterwards each gets the delay that ends its apply at the
 * release moment. The provider asks for an instance's controls when its apply starts (the moment
 * the delay counts from) and again when the gate tells it of the release (onChange). It used to
 * ask every 250 ms while held: 100 Workspaces then kept the simulated cluster's CPU busy (a GET
 * and a reconcile each, 400 a second) through the very moments the benchmark measures.
 */
export class GatedControls implements ControlSource {
  private readonly firstAsked = new Map<string, number>();
  private readonly listeners = new Set<() => void>();
  private releaseAt: number | undefined;

  constructor(
    private readonly inner: ControlSource,
    private readonly gated: (ref: InstanceRef) => boolean,
  ) {}

  async forInstance(ref: InstanceRef): Promise<SimulatorControls> {
    if (!this.gated(ref)) return this.inner.forInstance(ref);
    const key = `${ref.environment}/${ref.instance}`;
    const now = Date.now();
    if (!this.firstAsked.has(key)) this.firstAsked.set(key, now);
    if (this.releaseAt === undefined) return { neverReady: true };
    return { delayMs: Math.max(0, this.releaseAt - this.firstAsked.get(key)!) };
  }

  /** How many gated instances have started their apply. */
  get waiting(): number {
    return this.firstAsked.size;
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Every gated apply ends at `at` (ms since the epoch); the provider is told at once. */
  release(at: number): void {
    this.releaseAt = at;
    for (const listener of this.listeners) listener();
  }
}

/**
 * The simulated provider-terraform's --max-reconcile-rate in the bench: no limit. The bench measures
 * the engine, and its gates release every database at one chosen moment (GatedControls), which a
 * provider applying 10 at a time (gitops/provider-terraform's setting, the simulator's default)
 * would never reach; at that rate 3,000 Workspaces of 3 s would also take 15 minutes to converge.
 */
export const BENCH_MAX_RECONCILE_RATE = Number.POSITIVE_INFINITY;

export interface BenchClusterOptions {
  platformRepoUrl: string;
  appsRepoUrl: string;
  workdir: string;
  catalog: Catalog;
  /** How long a simulated apply, destroy or app rollout takes without a `delay` control. */
  defaultDelayMs: number;
  logger: Logger;
  /** How often the provider re-reads the controls of a never-ready Workspace (default 60 s). */
  retryMs?: number;
  /** Wraps the controls read from the Environment annotations (simulator.envcat.io/<instance>). */
  controls?: (fromAnnotations: ControlSource) => ControlSource;
}

/** The simulated API server of the bench, with the namespaces a cluster starts with. */
export async function startBenchApiServer(): Promise<{ server: SimulatedApiServer; url: string }> {
  const server = new SimulatedApiServer({
    namespaces: ['default', 'kube-system', 'kube-public', 'kube-node-lease', 'argocd', 'crossplane-system'],
  });
  const { url } = await server.start();
  return { server, url };
}

export interface BenchControllers {
  client: KubeClusterClient;
  terraform: SimulatedProviderTerraform;
  argocd: SimulatedArgoCD;
  stop(): Promise<void>;
}

/**
 * The simulated provider-terraform and Argo CD, as startSimulatedCluster puts them together, on
 * the API server at `url` (reached over HTTP, as a real cluster's controllers reach theirs).
 */
export async function startBenchControllers(
  options: Omit<BenchClusterOptions, 'logger'> & { url: string; logger: Logger },
): Promise<BenchControllers> {
  const { logger, url } = options;
  const client = KubeClusterClient.forServer({ url });
  const repo = (name: RepoName, owner: string) =>
    new GitRepo({
      name,
      url: name === 'platform' ? options.platformRepoUrl : options.appsRepoUrl,
      workdir: join(options.workdir, owner, name),
      logger: logger.child({ component: `simulated-${owner}-git` }),
    });
  const annotations = new RepoControlSource({ repo: repo('platform', 'controls'), logger });
  const controls = options.controls ? options.controls(annotations) : annotations;
  const argoRepos = new Map<string, GitOpsRepo>([
    [options.platformRepoUrl, repo('platform', 'argocd')],
    [options.appsRepoUrl, repo('apps', 'argocd')],
  ]);
  const terraform = new SimulatedProviderTerraform({
    cluster: client,
    apis: ['namespaced', 'cluster'],
    controls,
    defaultDelayMs: options.defaultDelayMs,
    catalog: options.catalog,
    ...(options.retryMs !== undefined ? { retryMs: options.retryMs } : {}),
    maxReconcileRate: BENCH_MAX_RECONCILE_RATE,
    logger,
  });
  const argocd = new SimulatedArgoCD({
    cluster: client,
    repos: (repoUrl) => argoRepos.get(repoUrl),
    namespace: 'argocd',
    controls,
    defaultDelayMs: options.defaultDelayMs,
    logger,
  });
  await terraform.start();
  try {
    await argocd.start();
  } catch (error) {
    await terraform.stop();
    throw error;
  }
  return {
    client,
    terraform,
    argocd,
    async stop() {
      await argocd.stop();
      await terraform.stop();
    },
  };
}

/** What a cluster has before envcat is installed on it: Argo CD's projects and the bootstrap Applications. */
export async function applyBootstrap(
  client: ClusterClient,
  repos: { platformRepoUrl: string; appsRepoUrl: string },
): Promise<void> {
  const bootstrap = await loadBootstrap({ dir: DEFAULT_BOOTSTRAP_DIR, ...repos });
  for (const doc of bootstrap) await client.apply(doc, { fieldManager: 'envcat-bootstrap', force: true });
}

/**
 * The embedded simulated cluster, put together as startSimulatedCluster does (same server, the
 * same bootstrap, the same controllers with their own clones of the repos, all in this process),
 * with the controls the controllers read replaceable.
 */
export async function startBenchCluster(options: BenchClusterOptions): Promise<SimulatedCluster> {
  const { server, url } = await startBenchApiServer();
  const stops: Array<() => Promise<void>> = [() => server.stop()];
  const stopAll = async () => {
    for (let stop = stops.pop(); stop; stop = stops.pop()) await stop();
  };
  try {
    const { client, terraform, argocd, stop } = await startBenchControllers({ ...options, url });
    stops.push(stop);
    await applyBootstrap(client, options);
    return { url, client, server, terraform, argocd, stop: stopAll };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
