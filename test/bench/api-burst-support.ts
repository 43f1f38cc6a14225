/**
 * The pure part of the REST API burst (api-burst.ts): its configuration, what the requests
 * answered, how many change sets the commits carried, and what the repos still hold.
 */
import type { LoopReport } from './engine-host.js';
import { distribution, type Distribution } from './measure.js';
import { fail } from './engine-support.js';
import { integerSetting } from './sections.js';

export interface BurstBenchConfig {
  /** Environments created at once, then deleted at once (ENVCAT_BENCH_BURST_ENVS, default 200). */
  environments: number;
  /** How long they get to be Ready, and then to be gone (ENVCAT_BENCH_BURST_TIMEOUT_SECONDS, default 600 each). */
  timeoutSeconds: number;
  /** How long a simulated apply or rollout takes (ENVCAT_BENCH_BURST_SIMULATOR_DELAY, default `npm start`'s 3s). */
  simulatorDelay: string;
}

/** The burst section's configuration from the environment, or undefined when ENVCAT_BENCH_BURST=0 skips it. */
export function burstBenchConfig(env: NodeJS.ProcessEnv): BurstBenchConfig | undefined {
  if (env.ENVCAT_BENCH_BURST === '0') return undefined;
  const simulatorDelay = env.ENVCAT_BENCH_BURST_SIMULATOR_DELAY || '3s';
  if (!/^\d+(ms|s|m)$/.test(simulatorDelay))
    fail('ENVCAT_BENCH_BURST_SIMULATOR_DELAY must be a duration such as 500ms, 3s or 1m');
  return {
    environments: integerSetting(env, 'ENVCAT_BENCH_BURST_ENVS', { fallback: 200, min: 1 }),
    timeoutSeconds: integerSetting(env, 'ENVCAT_BENCH_BURST_TIMEOUT_SECONDS', { fallback: 600, min: 10 }),
    simulatorDelay,
  };
}

/** One HTTP request: its status, or `error` when no response came (refused, reset, timed out). */
export interface RequestSample {
  ms: number;
  status: number | 'error';
}

export interface RequestSummary {
  count: number;
  /** How many got the status expected of them. */
  answered: number;
  /** Requests by status (`error`: no response). */
  byStatus: Record<string, number>;
  /** Latency of every request that got a response, whatever its status; undefined when none did. */
  latencyMs?: Distribution;
}

export function summarizeRequests(samples: readonly RequestSample[], expected: number): RequestSummary {
  const byStatus: Record<string, number> = {};
  for (const { status } of samples) byStatus[String(status)] = (byStatus[String(status)] ?? 0) + 1;
  const responded = samples.filter((s) => s.status !== 'error').map((s) => s.ms);
  return {
    count: samples.length,
    answered: byStatus[String(expected)] ?? 0,
    byStatus,
    ...(responded.length > 0 ? { latencyMs: distribution(responded) } : {}),
  };
}

/**
 * How many change sets a commit carries, from its subject: a group commit's subject is the first
 * change set's with ` (and N more)` appended (src/gitops batchMessage).
 */
export function changeSetsOf(subject: string): number {
  const more = / \(and (\d+) more\)$/.exec(subject);
  return more ? Number(more[1]) + 1 : 1;
}

export interface CommitSummary {
  commits: number;
  changeSets: number;
  /** The most change sets one commit carried (0 without commits). */
  maxPerCommit: number;
}

export function summarizeCommits(subjects: readonly string[]): CommitSummary {
  const sets = subjects.map(changeSetsOf);
  return {
    commits: subjects.length,
    changeSets: sets.reduce((a, b) => a + b, 0),
    maxPerCommit: sets.length > 0 ? Math.max(...sets) : 0,
  };
}

/** The names of the folders right under `dir/` that hold at least one of `paths`. */
export function foldersUnder(paths: Iterable<string>, dir: string): Set<string> {
  const names = new Set<string>();
  for (const path of paths) {
    const [top, name, ...rest] = path.split('/');
    if (top === dir && name && rest.length > 0) names.add(name);
  }
  return names;
}

/** What the repos still hold of environments after every one was deleted: none of it may be left. */
export function repoLeftovers(trees: { platform: Iterable<string>; apps: Iterable<string> }): string[] {
  const left: string[] = [];
  for (const path of trees.platform)
    if (path.startsWith('environments/') || path.startsWith('namespaces/')) left.push(`platform: ${path}`);
  for (const path of trees.apps) if (path.startsWith('environments/')) left.push(`apps: ${path}`);
  return left;
}

/** Names in `expected` missing from `found`, and names in `found` not in `expected`. */
export function compareNames(
  expected: Iterable<string>,
  found: Iterable<string>,
): { missing: string[]; extra: string[] } {
  const want = new Set(expected);
  const have = new Set(found);
  return {
    missing: [...want].filter((n) => !have.has(n)).sort(),
    extra: [...have].filter((n) => !want.has(n)).sort(),
  };
}

export interface LoopSummary {
  /** Share of the time the event loop was busy between the two reports. */
  utilization: number;
  /** Event-loop delay since the first report (the process resets it at each report). */
  delayP99Ms: number;
  delayMaxMs: number;
}

/** The server's event loop between two `loop` reports (utilization is cumulative in each report). */
export function loopBetween(before: LoopReport, after: LoopReport): LoopSummary {
  const active = after.utilization.active - before.utilization.active;
  const idle = after.utilization.idle - before.utilization.idle;
  return {
    utilization: active + idle > 0 ? active / (active + idle) : 0,
    delayP99Ms: after.delayP99Ms,
    delayMaxMs: after.delayMaxMs,
  };
}
