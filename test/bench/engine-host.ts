/**
 * Processes of the engine benchmarks, driven over the IPC channel: the engine in a process of its
 * own, compiled as it runs in production (`npm run build`, then `node dist/test/bench/engine-process.js` on a kubeconfig
 * for the simulated API server of this process; its memory read from /proc, not from inside).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { readFile, writeFile } from 'node:fs/promises';
import type { EventLoopUtilization } from 'node:perf_hooks';
import { join } from 'node:path';
import type { EnvironmentDocument } from '../../src/core/index.js';
import type { RepoName } from '../../src/gitops/types.js';
import { MALLOC_ENV } from '../../src/server/malloc-env.js';
import { packageRoot } from '../../src/install/index.js';

const REPO_ROOT = packageRoot();
const runFile = promisify(execFile);
import {
  clock,
  fail,
  type ClusterCall,
  type GitCall,
  type WorkspacesSeenAvailable,
} from './engine-support.js';

/**
 * `service`: startEnvcat as `npm start` runs it (REST API, engine, service), without the web UI
 * build. `instrumented`: the engine and the service put together as startEnvcat does, with their
 * Git and cluster ports wrapped in timing decorators (no HTTP layer). `embedded`: `service` on
 * `npm start`'s embedded default instead of a kubeconfig (local bare repos under ENVCAT_DATA_DIR
 * and the simulated cluster in the same process).
 */
export type EngineMode = 'service' | 'instrumented' | 'embedded';

export type EngineRequest =
  | { op: 'clock' }
  | { op: 'create'; documents: EnvironmentDocument[] }
  | { op: 'phases'; names: string[] }
  /** With `gc`, after a full garbage collection (the process must run with --expose-gc). */
  | { op: 'memory'; gc?: boolean }
  | { op: 'timings' }
  /** Event-loop utilization since the start, and the loop delay since the last `loop` request. */
  | { op: 'loop' }
  /** A CPU profile of the event loop's thread (node:inspector), started, or stopped and written to `path`. */
  | { op: 'profile'; action: 'start' }
  | { op: 'profile'; action: 'stop'; path: string };

/** What the simulated controllers' process (controllers-process.ts) answers. */
export type ControllersRequest =
  /** How many gated Workspaces have started their apply. */
  | { op: 'gate-waiting' }
  /** Every gated apply ends at `at` (ms since the epoch). */
  | { op: 'gate-release'; at: number };

export interface PhaseSummary {
  /** Environments by phase (`Unknown` when the engine has no status yet). */
  counts: Record<string, number>;
  /** A few environments that Failed or are Invalid, with why. */
  problems: Array<{ name: string; phase: string; message: string }>;
  /** A few environments that are not Ready yet, with what their steps wait for. */
  waiting: Array<{ name: string; phase: string; steps: string[] }>;
}

export interface MemoryReport {
  memoryUsage: NodeJS.MemoryUsage;
  cpuUsage: NodeJS.CpuUsage;
  heap: { used_heap_size: number; total_heap_size: number; heap_size_limit: number } & Record<string, number>;
  eventLoopUtilization: EventLoopUtilization;
}

export interface LoopReport {
  utilization: EventLoopUtilization;
  delayP99Ms: number;
  delayMaxMs: number;
}

export interface Timings {
  git: GitCall[];
  cluster: ClusterCall[];
  /** When the engine's Workspace informer first delivered each Workspace as Available. */
  seenAvailable: WorkspacesSeenAvailable;
}

/** Where a ready process serves: its REST API, and the simulated API server of `embedded`. */
export interface ServedUrls {
  url?: string;
  clusterUrl?: string;
}

/** What the processes send: lifecycle, replies to requests, and their own events. */
export type ChildMessage =
  | ({ type: 'ready' } & ServedUrls)
  | { type: 'reply'; id: number; ok: true; value: unknown }
  | { type: 'reply'; id: number; ok: false; error: string }
  | { type: 'fatal'; error: string }
  | { type: 'committed'; environment: string; repo: RepoName; sha: string; message: string; at: number }
  | { type: 'available'; environment: string; instance: string; at: number };

export type EventMessage = Extract<ChildMessage, { type: 'committed' | 'available' }>;

export interface RequestMessage<R = EngineRequest> {
  type: 'request';
  id: number;
  request: R;
}

/** Sends a child's message to its parent (no-op without an IPC channel). */
export function sendToParent(message: ChildMessage): void {
  process.send?.(message);
}

/** The engine processes' source, compiled by runEngineBench (engine.ts) and benchBurst (api-burst.ts): the engine runs as production runs it, compiled, not through tsx. */
export const ENGINE_SOURCE = 'test/bench/engine-process.ts';
export const ENGINE_ENTRY = join(REPO_ROOT, 'dist', 'test', 'bench', 'engine-process.js');

/** The simulated controllers' process of the latency benchmark, run from source (tsx): it is not part of envcat. */
export const CONTROLLERS_ENTRY = join(REPO_ROOT, 'test', 'bench', 'controllers-process.ts');

/** Node flags for the engine's processes, from ENVCAT_BENCH_ENGINE_NODE_FLAGS (e.g. `--cpu-prof --cpu-prof-dir=/tmp/p`). */
export function engineNodeFlags(env: NodeJS.ProcessEnv = process.env): string[] {
  return (env.ENVCAT_BENCH_ENGINE_NODE_FLAGS ?? '').split(/\s+/).filter(Boolean);
}

/** Node flags for the simulated controllers' process, from ENVCAT_BENCH_CONTROLLERS_NODE_FLAGS. */
export function controllersNodeFlags(env: NodeJS.ProcessEnv = process.env): string[] {
  return (env.ENVCAT_BENCH_CONTROLLERS_NODE_FLAGS ?? '').split(/\s+/).filter(Boolean);
}

/**
 * How the latency benchmark splits the CPUs it may use (ENVCAT_BENCH_PIN_CPUS=0 turns it off): the
 * engine's process and the git processes it starts get the first half of them, the simulated
 * cluster (API server, controllers) and the benchmark's own process the rest, as an engine pod
 * with CPUs of its own and a cluster on other machines would have them. Undefined on one CPU.
 */
export function cpuSplit(
  cpus: readonly number[],
  env: NodeJS.ProcessEnv = process.env,
): { engine: string; cluster: string } | undefined {
  if (cpus.length < 2 || env.ENVCAT_BENCH_PIN_CPUS === '0') return undefined;
  const half = Math.floor(cpus.length / 2);
  return { engine: cpus.slice(0, half).join(','), cluster: cpus.slice(half).join(',') };
}

/**
 * The split of the CPUs this process may use (cpuSplit), or undefined when it is turned off, there
 * is one CPU, or there is no taskset (util-linux) to pin with.
 */
export async function latencyCpuSplit(
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ engine: string; cluster: string; all: string } | undefined> {
  if (env.ENVCAT_BENCH_PIN_CPUS === '0') return undefined;
  let allowed: number[];
  try {
    allowed = await cpuAffinity(process.pid);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const split = cpuSplit(allowed, env);
  return split && { ...split, all: allowed.join(',') };
}

/** The CPUs `pid` may run on (taskset's list, expanded). */
export async function cpuAffinity(pid: number): Promise<number[]> {
  const { stdout } = await runFile('taskset', ['--cpu-list', '--pid', String(pid)]);
  return parseCpuList(stdout.slice(stdout.lastIndexOf(':') + 1));
}

/** `0,2-4` → [0, 2, 3, 4]. */
export function parseCpuList(list: string): number[] {
  const cpus: number[] = [];
  for (const part of list.trim().split(',').filter(Boolean)) {
    const [from, to = from] = part.split('-').map(Number);
    if (!Number.isInteger(from) || !Number.isInteger(to)) fail(`not a CPU list: ${list}`);
    for (let cpu = from!; cpu <= to!; cpu++) cpus.push(cpu);
  }
  return cpus;
}

/**
 * Pins every thread of `pid` to `cpus` (a taskset list); the processes and threads it starts
 * afterwards inherit it.
 */
export async function pinToCpus(pid: number, cpus: string): Promise<void> {
  await runFile('taskset', ['--all-tasks', '--cpu-list', '--pid', cpus, String(pid)]);
}

const OUTPUT_TAIL = 16 * 1024;

export class BenchProcess {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private tail = '';
  private exited: Promise<void>;
  private exitCode: number | null | undefined;
  private served: ServedUrls = {};

  private constructor(
    private readonly child: ChildProcess,
    readonly startedAt: number,
    onEvent: ((event: EventMessage) => void) | undefined,
    onReady: () => void,
    onFatal: (error: string) => void,
  ) {
    const keep = (chunk: Buffer) => (this.tail = (this.tail + chunk.toString('utf8')).slice(-OUTPUT_TAIL));
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    child.on('message', (message: ChildMessage) => {
      if (message.type === 'committed' || message.type === 'available') onEvent?.(message);
      else if (message.type === 'ready') {
        this.served = { url: message.url, clusterUrl: message.clusterUrl };
        onReady();
      } else if (message.type === 'fatal') onFatal(message.error);
      else {
        const waiter = this.pending.get(message.id);
        this.pending.delete(message.id);
        if (message.ok) waiter?.resolve(message.value);
        else waiter?.reject(new Error(message.error));
      }
    });
    this.exited = new Promise((resolve) =>
      child.once('exit', (code) => {
        this.exitCode = code;
        for (const waiter of this.pending.values())
          waiter.reject(new Error(`the process exited (${code}):\n${this.tail}`));
        this.pending.clear();
        resolve();
      }),
    );
  }

  /**
   * Starts `entry` (under tsx when it is TypeScript) and resolves once it says it is ready (the engine: once it leads, as
   * it reconciles only then).
   */
  static async start(args: {
    entry: string;
    args: string[];
    env?: Record<string, string>;
    /** Extra flags for node (e.g. `--cpu-prof --cpu-prof-dir=<dir>`). */
    nodeFlags?: readonly string[];
    /** The CPUs it runs on, from its start (a taskset list): the processes it starts inherit them. */
    cpus?: string;
    onEvent?: (event: EventMessage) => void;
    timeoutMs?: number;
  }): Promise<BenchProcess> {
    // taskset sets the affinity and execs node: the process keeps its pid.
    const child = spawn(
      args.cpus === undefined ? process.execPath : 'taskset',
      [
        ...(args.cpus === undefined ? [] : ['--cpu-list', args.cpus, process.execPath]),
        ...(args.nodeFlags ?? []),
        ...(args.entry.endsWith('.ts') ? ['--import', 'tsx'] : []),
        args.entry,
        ...args.args,
      ],
      {
        cwd: REPO_ROOT,
        // as `npm start` runs the server (see src/server/malloc-env.ts)
        env: { ...process.env, ...MALLOC_ENV, ...args.env },
        stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      },
    );
    let ready!: () => void;
    let failed!: (error: Error) => void;
    const readyOrFailed = new Promise<void>((resolve, reject) => {
      ready = resolve;
      failed = reject;
    });
    const host = new BenchProcess(
      child,
      clock(),
      args.onEvent,
      () => ready(),
      (error) => failed(new Error(`${args.entry} failed: ${error}`)),
    );
    void host.exited.then(() => failed(new Error(`${args.entry} exited (${host.exitCode})`)));
    const timeoutMs = args.timeoutMs ?? 120_000;
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        readyOrFailed,
        new Promise((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`${args.entry} was not ready after ${timeoutMs / 1000} s`)),
            timeoutMs,
          );
        }),
      ]);
    } catch (error) {
      await host.stop();
      fail(`${(error as Error).message}\n${host.tail}`);
    } finally {
      clearTimeout(timer);
    }
    return host;
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** Where it serves, as its ready message said (`service` and `embedded` only). */
  get urls(): ServedUrls {
    return this.served;
  }

  /** The last lines the process wrote (its logs). */
  get output(): string {
    return this.tail;
  }

  request<T>(request: EngineRequest | ControllersRequest, timeoutMs = 120_000): Promise<T> {
    if (this.exitCode !== undefined) return Promise.reject(new Error('the process has exited'));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`the process did not answer ${request.op} within ${timeoutMs / 1000} s`));
      }, timeoutMs);
      this.pending.set(id, {
        resolve: (value) => {
          clearTimeout(timer);
          resolve(value as T);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
      this.child.send({ type: 'request', id, request } satisfies RequestMessage<unknown>);
    });
  }

  /**
   * The process's clock minus this one's (ms), from the round trip with the smallest
   * delay; the uncertainty is half that round trip.
   */
  async clockOffset(samples = 7): Promise<{ offsetMs: number; uncertaintyMs: number }> {
    let best = { offsetMs: 0, uncertaintyMs: Number.POSITIVE_INFINITY };
    for (let i = 0; i < samples; i++) {
      const sent = clock();
      const theirs = await this.request<number>({ op: 'clock' });
      const received = clock();
      const half = (received - sent) / 2;
      if (half < best.uncertaintyMs) best = { offsetMs: theirs - (sent + half), uncertaintyMs: half };
    }
    return best;
  }

  /** Resident set size now and its peak, from /proc/<pid>/status (what the kernel charges the process). */
  async residentMemory(): Promise<{ rss: number; peak: number }> {
    const status = await readFile(`/proc/${this.pid}/status`, 'utf8');
    const field = (name: string) => {
      const match = new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status);
      if (!match) fail(`no ${name} in /proc/${this.pid}/status`);
      return Number(match[1]) * 1024;
    };
    return { rss: field('VmRSS'), peak: field('VmHWM') };
  }

  /**
   * CPU seconds from /proc/<pid>/stat: the process's own (every thread: the event loop, GC, libuv's
   * pool) and its children's that it has waited for (the git processes it ran), in clock ticks of
   * 1/100 s (USER_HZ, 100 on Linux).
   */
  async cpuSeconds(): Promise<{ own: number; children: number }> {
    const stat = await readFile(`/proc/${this.pid}/stat`, 'utf8');
    // The fields after the command name, which is in parentheses and may hold spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = (index: number) => Number(fields[index - 3]);
    const [utime, stime, cutime, cstime] = [ticks(14), ticks(15), ticks(16), ticks(17)];
    if (![utime, stime, cutime, cstime].every(Number.isFinite))
      fail(`unexpected /proc/${this.pid}/stat: ${stat}`);
    return { own: (utime + stime) / 100, children: (cutime + cstime) / 100 };
  }

  /**
   * CPU seconds of the process's main thread alone (the event loop: /proc/<pid>/task/<pid>/stat),
   * beside cpuSeconds()'s: what the service's own loop spent, without the simulated cluster's
   * worker thread, the garbage collector's helpers or libuv's pool.
   */
  async mainThreadCpuSeconds(): Promise<number> {
    const stat = await readFile(`/proc/${this.pid}/task/${this.pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const seconds = (Number(fields[14 - 3]) + Number(fields[15 - 3])) / 100;
    if (!Number.isFinite(seconds)) fail(`unexpected /proc/${this.pid}/task/${this.pid}/stat: ${stat}`);
    return seconds;
  }

  /**
   * Makes the peak of residentMemory() count from now: writing 5 to /proc/<pid>/clear_refs sets
   * VmHWM to the current RSS (Linux ≥ 4.0). False when the kernel refuses (the peak then counts
   * from the process's start).
   */
  async resetPeakMemory(): Promise<boolean> {
    try {
      await writeFile(`/proc/${this.pid}/clear_refs`, '5');
      return true;
    } catch {
      return false;
    }
  }

  /** SIGTERM (the engine stops cleanly), SIGKILL if the process has not exited after 15 s. */
  async stop(): Promise<void> {
    if (this.exitCode !== undefined) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 15_000);
    await this.exited;
    clearTimeout(timer);
  }
}
