/**
 * The engine's speed and scale figures of `npm run bench` (issue 3):
 * - added latency from the last Workspace of an environment turning Available to its app commit
 *   pushed, p50/p95/max over many environments provisioned at once (target p95 < 100 ms), with
 *   the Available moments spread out and all at one moment (engine-latency.ts);
 * - one engine holding many environments of three instances: resident memory (target < 300 MB)
 *   and Kubernetes API requests per minute at steady state (engine-scale.ts).
 *
 * ENVCAT_BENCH_ENGINE=0 skips them; ENVCAT_BENCH_LATENCY_ENVS (default 100), ENVCAT_BENCH_SCALE
 * (default 1000), ENVCAT_BENCH_STEADY_SECONDS (default 60) and ENVCAT_BENCH_CONVERGE_SECONDS (how
 * long the engine gets to make them all Ready, default 300) size them;
 * ENVCAT_BENCH_ENGINE_NODE_FLAGS passes flags to the engine's processes (e.g. `--cpu-prof`).
 */
import type { Catalog } from '../../src/core/index.js';
import {
  benchLatency,
  describeBreakdown,
  type LatencyResult,
  type LatencyScenario,
} from './engine-latency.js';
import { compile } from '../../src/server/build.js';
import { ENGINE_SOURCE } from './engine-host.js';
import { benchScale, type ScaleResult } from './engine-scale.js';
import { BENCH_MAX_RECONCILE_RATE } from './engine-support.js';
import { DEFAULT_MAX_RECONCILE_RATE } from '../../src/simulator/index.js';
import { figure, formatValue, type Figure } from './report.js';
import { integerSetting } from './sections.js';

const LATENCY_TARGET_MS = 100;
const RSS_TARGET_MB = 300;
const MB = 1_000_000;
const MiB = 1024 * 1024;

export interface EngineBenchConfig {
  latencyEnvironments: number;
  scaleEnvironments: number;
  steadySeconds: number;
  convergeSeconds: number;
}

/** The engine sections' configuration from the environment, or undefined when they are skipped. */
export function engineBenchConfig(env: NodeJS.ProcessEnv): EngineBenchConfig | undefined {
  if (env.ENVCAT_BENCH_ENGINE === '0') return undefined;
  const count = (variable: string, fallback: number, min: number): number =>
    integerSetting(env, variable, { fallback, min });
  return {
    latencyEnvironments: count('ENVCAT_BENCH_LATENCY_ENVS', 100, 2),
    scaleEnvironments: count('ENVCAT_BENCH_SCALE', 1_000, 1),
    steadySeconds: count('ENVCAT_BENCH_STEADY_SECONDS', 60, 5),
    convergeSeconds: count('ENVCAT_BENCH_CONVERGE_SECONDS', 300, 10),
  };
}

export interface EngineBenchResult {
  figures: Figure[];
  /** Lines printed under the table: where the time goes, what was counted. */
  notes: string[];
  json: { latency: LatencyResult[]; scale: ScaleResult };
}

/**
 * Runs both sections. `nsPerOp` (one calibration operation) turns the latencies into calibration
 * ops; `section(n, title)` announces a section.
 */
export async function runEngineBench(args: {
  catalog: Catalog;
  config: EngineBenchConfig;
  nsPerOp: () => number;
  section: (title: string) => void;
  log: (line: string) => void;
}): Promise<EngineBenchResult> {
  const { config } = args;
  // The engine's processes run compiled, as `npm start` runs the server (see engine-host.ts).
  await compile({ entries: [ENGINE_SOURCE] });
  const latency: LatencyResult[] = [];
  const scenarios: Array<{ scenario: LatencyScenario; title: string }> = [
    { scenario: 'spread', title: 'databases Available at spread-out moments (2–12 s provisioning each)' },
    { scenario: 'simultaneous', title: 'every database Available at the same moment' },
  ];
  for (const { scenario, title } of scenarios) {
    args.section(`engine latency: ${config.latencyEnvironments} environments at once, ${title} …`);
    latency.push(
      await benchLatency({
        scenario,
        environments: config.latencyEnvironments,
        log: args.log,
      }),
    );
  }
  args.section(
    `engine scale: ${config.scaleEnvironments} environments of 3 instances, then ${config.steadySeconds} s of steady state …`,
  );
  const scale = await benchScale({
    environments: config.scaleEnvironments,
    steadySeconds: config.steadySeconds,
    convergeSeconds: config.convergeSeconds,
    catalog: args.catalog,
    log: args.log,
  });

  const figures: Figure[] = [];
  const notes: string[] = [
    `Simulated cluster: provider-terraform --max-reconcile-rate ${BENCH_MAX_RECONCILE_RATE === Infinity ? 'unlimited' : BENCH_MAX_RECONCILE_RATE} ` +
      `(envcat installs it with ${DEFAULT_MAX_RECONCILE_RATE}, the simulator's default; the figures are the engine's, not the provider's queue).`,
  ];
  for (const result of latency) {
    const what = result.scenario === 'spread' ? 'spread out' : 'all at once';
    const ops = (ms: number) => (ms * 1e6) / args.nsPerOp();
    const details = {
      environments: result.environments,
      availableSpreadMs: result.availableSpreadMs,
      breakdownMs: result.breakdown,
      ready: result.ready,
    };
    figures.push(
      figure({
        id: `engine.latency.${result.scenario}.p50`,
        label: `Available → app commit in Git, ${what}, p50`,
        value: result.latency.p50,
        unit: 'ms',
        calibrationOps: ops(result.latency.p50),
        details,
      }),
      figure({
        id: `engine.latency.${result.scenario}.p95`,
        label: `Available → app commit in Git, ${what}, p95`,
        value: result.latency.p95,
        unit: 'ms',
        target: { op: '<', value: LATENCY_TARGET_MS },
        calibrationOps: ops(result.latency.p95),
      }),
      figure({
        id: `engine.latency.${result.scenario}.max`,
        label: `Available → app commit in Git, ${what}, max`,
        value: result.latency.max,
        unit: 'ms',
        calibrationOps: ops(result.latency.max),
      }),
      figure({
        id: `engine.latency.${result.scenario}.told.p95`,
        label: `  Available → the engine told of it, ${what}, p95`,
        value: result.told.p95,
        unit: 'ms',
        calibrationOps: ops(result.told.p95),
      }),
      figure({
        id: `engine.latency.${result.scenario}.stalled`,
        label: `  environments stalled before their app commit`,
        value: result.stalled,
        unit: 'envs',
        target: { op: '<', value: 1 },
        details: { sample: result.stalledSample },
      }),
    );
    notes.push(
      `Latency, ${what} (${result.environments - result.stalled} of ${result.environments} environments measured; Available moments spread over ${(result.availableSpreadMs / 1000).toFixed(1)} s; ` +
        `created in ${result.createSeconds.toFixed(1)} s, ${result.ready}/${result.environments} Ready after ${result.totalSeconds.toFixed(1)} s; clock ±${result.clockUncertaintyMs.toFixed(2)} ms). ` +
        (result.cpus
          ? `The engine and its git processes on CPU ${result.cpus.engine}, the simulated cluster and this process on CPU ${result.cpus.cluster} (taskset). `
          : 'The engine, its git processes and the simulated cluster sharing every CPU. ') +
        'Where the time goes, p50 / p95 / max per environment:',
      ...describeBreakdown(result),
    );
    for (const waiting of result.stalledSample)
      notes.push(
        `    stalled (left out of the figures): ${waiting.name} ${waiting.phase}: ${waiting.steps.join('; ')}`,
      );
    for (const waiting of result.notReady.filter(() => result.ready < result.environments))
      notes.push(`    not Ready: ${waiting.name} ${waiting.phase}: ${waiting.steps.join('; ')}`);
  }

  const steady = scale.steady;
  const perEnvironmentKiB = ((steady.rssMiB.median - scale.baselineRssMiB) * 1024) / scale.environments;
  figures.push(
    figure({
      id: 'engine.scale.rss',
      label: `Engine RSS, ${scale.environments} envs × 3 instances (steady, median)`,
      value: (steady.rssMiB.median * MiB) / MB,
      unit: 'MB',
      target: { op: '<', value: RSS_TARGET_MB },
      details: { ...steady.rssMiB, unit: 'MiB' },
    }),
    figure({
      id: 'engine.scale.rssBaseline',
      label: '  engine RSS with no environment',
      value: (scale.baselineRssMiB * MiB) / MB,
      unit: 'MB',
    }),
    figure({
      id: 'engine.scale.rssPerEnvironment',
      label: '  RSS per environment above that',
      value: perEnvironmentKiB,
      unit: 'KiB',
    }),
    figure({
      id: 'engine.scale.heapUsed',
      label: '  of which V8 heap used',
      value: (steady.heapUsedMiB * MiB) / MB,
      unit: 'MB',
      details: { heapTotalMiB: steady.heapTotalMiB, externalMiB: steady.externalMiB },
    }),
    figure({
      id: 'engine.scale.requestsPerMinute',
      label: 'Kubernetes API requests per minute (steady)',
      value: steady.requestsPerMinute,
      unit: 'req/min',
      details: { byVerb: steady.byVerb, byResource: steady.byResource, openWatches: steady.openWatches },
    }),
    figure({
      id: 'engine.scale.perEnvironmentPolling',
      label: '  requests made once or more per environment',
      value: steady.perEnvironment.length,
      unit: 'kinds',
      target: { op: '<', value: 1 },
      details: { polled: steady.perEnvironment },
    }),
    figure({
      id: 'engine.scale.cpu',
      label: '  engine CPU at steady state',
      value: steady.cpuSecondsPerMinute,
      unit: 's/min',
      details: { eventLoopUtilization: steady.eventLoopUtilization },
    }),
    figure({
      id: 'engine.scale.ready',
      label: `Environments Ready within ${scale.convergence.capSeconds} s of the engine's start`,
      value: scale.convergence.ready,
      unit: 'envs',
      target: { op: '>=', value: scale.environments },
    }),
    figure({
      id: 'engine.scale.convergence',
      label:
        scale.convergence.ready === scale.environments
          ? `  engine start → ${scale.environments} envs Ready`
          : `  engine start → cap (${scale.convergence.ready} Ready)`,
      value: scale.convergence.seconds,
      unit: 's',
      details: { ...scale.convergence, seedSeconds: scale.seedSeconds, objects: scale.objects },
    }),
    figure({
      id: 'engine.scale.newCommits',
      label: '  commits made while converging and at steady state',
      value: scale.convergence.newCommits + steady.newCommits,
      unit: 'commits',
      target: { op: '<', value: 1 },
    }),
  );
  const perMinute = (counts: Record<string, number>) =>
    Object.entries(counts)
      .sort((a, b) => b[1] - a[1])
      .map(([key, n]) => `${key} ${n.toFixed(1)}`)
      .join(', ') || 'none';
  const git = (list: ScaleResult['steady']['git']) =>
    list
      .slice(0, 6)
      .map((g) => `${g.owner} ${g.command} ×${g.count} (${(g.totalMs / 1000).toFixed(1)} s)`)
      .join(', ') || 'none';
  const c = scale.convergence;
  notes.push(
    `Scale (${scale.environments} environments, ${scale.objects} objects in the cluster, seeded in ${scale.seedSeconds.toFixed(0)} s with ` +
      `${scale.commits.platform} platform + ${scale.commits.apps} apps commits): ${c.ready}/${scale.environments} Ready ${c.seconds.toFixed(1)} s after the engine's start ` +
      `(${c.afterLeadingSeconds.toFixed(1)} s after it led; cap ${c.capSeconds} s), ${c.readyAfterSteadyState} at the end; ${c.requests} API requests (${perMinute(c.byVerb)}); ${c.newCommits} commits; ` +
      `${c.quiet ? `quiet ${c.quietAfterSeconds.toFixed(0)} s later` : `still busy ${c.quietAfterSeconds.toFixed(0)} s later (the steady-state window started anyway)`}; ` +
      `RSS ${c.rssAtQuietMiB.toFixed(0)} MiB then, its memory ${c.memorySettled ? 'settled' : 'still moving'} ${c.memorySettleSeconds.toFixed(0)} s after that.`,
    `    git processes of the engine until then (clone, command, count, time in git): ${git(c.git)}`,
    `    steady state, ${steady.seconds.toFixed(0)} s: ${steady.requestsPerMinute.toFixed(1)} requests/min by verb: ${perMinute(steady.byVerb)}; ` +
      `${steady.openWatches} watches open; per-environment polling: ${steady.perEnvironment.length === 0 ? 'none' : steady.perEnvironment.join(', ')}.`,
    `    by resource: ${Object.entries(steady.byResource)
      .map(([resource, verbs]) => `${resource} (${perMinute(verbs)})`)
      .join('; ')}`,
    `    git processes of the engine in the window: ${git(steady.git)}`,
    `    memory: RSS median ${formatValue(steady.rssMiB.median, 'MiB')}, max ${formatValue(steady.rssMiB.max, 'MiB')}, peak since start ${formatValue(steady.rssMiB.peak, 'MiB')}; ` +
      `heap used ${formatValue(steady.heapUsedMiB, 'MiB')} of ${formatValue(steady.heapTotalMiB, 'MiB')}, external ${formatValue(steady.externalMiB, 'MiB')}; ` +
      `no environment: ${formatValue(scale.baselineRssMiB, 'MiB')}. CPU ${steady.cpuSecondsPerMinute.toFixed(1)} s/min, event loop ${(steady.eventLoopUtilization * 100).toFixed(0)}% busy.`,
  );
  return { figures, notes, json: { latency, scale } };
}
