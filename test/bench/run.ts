/**
 * `npm run bench`: validation throughput, plan + render time and memory of the pure core, printed as
 * a table and written to bench-results/bench.json. A missed target prints FAIL but does not fail the
 * process (benchmarks are informative); a benchmark that errors, or that validates or renders nothing,
 * does.
 *
 * ENVCAT_BENCH_SECONDS overrides the measuring time of the validation benchmark (default 3).
 *
 * Then the engine's figures (engine.ts): latency from Available to the app commit, and one engine
 * holding many environments; ENVCAT_BENCH_ENGINE=0 skips them, ENVCAT_BENCH_LATENCY_ENVS,
 * ENVCAT_BENCH_SCALE and ENVCAT_BENCH_STEADY_SECONDS size them.
 *
 * Then the REST API under a burst of creates and deletes (api-burst.ts); ENVCAT_BENCH_BURST=0
 * skips it, ENVCAT_BENCH_BURST_ENVS (default 200) sizes it.
 *
 * ENVCAT_BENCH_ONLY=core,engine,burst (any of them) runs only those sections (sections.ts).
 */
import { createHash } from 'node:crypto';
import os from 'node:os';
import { join } from 'node:path';
import {
  checkEnvironment,
  planSteps,
  renderEnvironment,
  validateEnvironment,
  type Catalog,
  type EnvironmentDocument,
  type Plan,
  type PlanInstance,
  type RenderResult,
  type ResolvedEnvironment,
  type ResolvedInstance,
} from '../../src/core/index.js';
import { builtInCatalog, REPO_ROOT, sampleOutputs, TEST_RENDER_OPTIONS } from '../support/examples.js';
import { Calibrator, machine, median, MiB, now, nsSince, type Calibration } from './measure.js';
import { figure, formatValue, table, writeJson, type Figure } from './report.js';
import { engineBenchConfig, runEngineBench, type EngineBenchResult } from './engine.js';
import { BenchError as EngineBenchError } from './engine-support.js';
import { benchBurst, burstReport, type BurstResult } from './api-burst.js';
import { burstBenchConfig } from './api-burst-support.js';
import { selectedSections } from './sections.js';
import { fiveInstanceTemplate, freshRequest, threeInstanceRequest } from './requests.js';

const VALIDATION_TARGET_RPS = 20_000;
const VALIDATION_WARMUP = 2_000;
const VALIDATION_SECONDS = Number(process.env.ENVCAT_BENCH_SECONDS ?? 3);
if (!(VALIDATION_SECONDS > 0)) throw new Error('ENVCAT_BENCH_SECONDS must be a positive number');
const VALIDATION_BATCH = 500;
const RENDER_ENVIRONMENTS = 1_000;
const RENDER_REPEATS = 3;
const RENDER_TARGET_SECONDS = 2;
const DETERMINISM_SAMPLE_EVERY = 10;
const OUTPUT = join(REPO_ROOT, 'bench-results', 'bench.json');

class BenchError extends Error {}

function fail(message: string): never {
  throw new BenchError(message);
}

// ---------------------------------------------------------------------------------------------
// 1. Validation throughput

interface ValidationRun {
  requests: number;
  validateNs: number;
  prepareNs: number;
  batchRates: number[];
}

function benchValidation(catalog: Catalog, calibrator: Calibrator): ValidationRun {
  const template = fiveInstanceTemplate();
  const stepsPerRequest = template.spec.catalogs.length; // all five entries are iac or yaml: one step each
  let counter = 0;
  let steps = 0;
  const batch = (size: number): EnvironmentDocument[] => {
    const requests: EnvironmentDocument[] = new Array(size);
    for (let k = 0; k < size; k++) requests[k] = freshRequest(template, `dev-${counter++ % 1000}`);
    return requests;
  };
  const validate = (requests: readonly EnvironmentDocument[]): void => {
    for (const request of requests) {
      const check = checkEnvironment(request, catalog);
      if (check.problems.length > 0 || !check.plan || !check.environment)
        fail(
          `validation benchmark: ${request.metadata.name} has problems:\n${check.problems
            .map((p) => `  ${p.path}: ${p.message}`)
            .join('\n')}`,
        );
      if (check.environment.instances.length !== stepsPerRequest)
        fail(`validation benchmark: ${check.environment.instances.length} instances resolved`);
      steps += check.plan.steps.length;
    }
  };

  validate(batch(VALIDATION_WARMUP));
  steps = 0;

  const run: ValidationRun = { requests: 0, validateNs: 0, prepareNs: 0, batchRates: [] };
  const budgetNs = VALIDATION_SECONDS * 1e9;
  while (run.validateNs < budgetNs) {
    let start = now();
    const requests = batch(VALIDATION_BATCH);
    run.prepareNs += nsSince(start);
    start = now();
    validate(requests);
    const ns = nsSince(start);
    run.validateNs += ns;
    run.requests += requests.length;
    run.batchRates.push(requests.length / (ns / 1e9));
    calibrator.sample(10);
  }
  if (steps !== run.requests * stepsPerRequest)
    fail(`validation benchmark: ${steps} plan steps for ${run.requests} requests`);
  return run;
}

// ---------------------------------------------------------------------------------------------
// 2. Plan + render

/** The plan input of a validated environment (what checkEnvironment hands planSteps). */
function planInput(env: ResolvedEnvironment): PlanInstance[] {
  return env.instances.map((instance) => {
    const type = instance.entry.document.spec.type;
    const consumerPart = (param: string) =>
      type === 'iac'
        ? 'infra'
        : type === 'yaml'
          ? 'apps'
          : instance.entry.terraform?.variables.has(param)
            ? 'infra'
            : 'apps';
    return {
      name: instance.name,
      infra: type !== 'yaml',
      apps: type !== 'iac',
      consumes: references(instance).map((ref) => ({
        part: consumerPart(ref.parameter),
        from: ref.from,
        pointer: ref.pointer,
      })),
    };
  });
}

function references(instance: ResolvedInstance) {
  const secretRefs = Object.values(instance.secrets).flatMap((s) =>
    s.kind === 'output' ? [s.reference] : [],
  );
  return [...Object.values(instance.references), ...secretRefs];
}

const serialize = (result: RenderResult): string => JSON.stringify(result);

interface RenderRun {
  validateNs: number;
  planNs: number;
  renderNs: number;
  files: number;
  bytes: number;
  digest: string;
}

function benchRenderOnce(catalog: Catalog, keep: { results?: RenderResult[] }): RenderRun {
  const names = Array.from({ length: RENDER_ENVIRONMENTS }, (_, n) => `dev-${String(n).padStart(4, '0')}`);
  const requests = names.map(threeInstanceRequest);

  let start = now();
  const validated = requests.map((request) => validateEnvironment(request, catalog));
  const validateNs = nsSince(start);

  start = now();
  const plans: Plan[] = validated.map(({ environment }) => {
    const result = planSteps(planInput(environment));
    if ('cycle' in result) fail(`plan benchmark: ${environment.name} has a cycle`);
    return result.plan;
  });
  const planNs = nsSince(start);

  // Provider outputs are test fixtures, not core work: synthesized outside the timed region.
  const outputs = validated.map(({ environment }) => sampleOutputs(environment));

  start = now();
  const results = validated.map(({ environment }, n) =>
    renderEnvironment({
      env: environment,
      plan: plans[n]!,
      outputs: outputs[n],
      options: TEST_RENDER_OPTIONS,
    }),
  );
  const renderNs = nsSince(start);

  // Checks (untimed): the explicit plan is the validator's, and every render produced everything.
  const hash = createHash('sha256');
  let files = 0;
  let bytes = 0;
  validated.forEach(({ environment, plan }, n) => {
    if (JSON.stringify(plans[n]) !== JSON.stringify(plan))
      fail(`plan benchmark: planSteps disagrees with checkEnvironment for ${environment.name}`);
    const result = results[n]!;
    if (result.pending.length > 0) fail(`render benchmark: ${environment.name} left steps pending`);
    const paths = result.files.map((f) => f.path);
    for (const expected of [
      `environments/${environment.name}/environment.yaml`,
      `environments/${environment.name}/namespace.yaml`,
      `environments/${environment.name}/infra/db.yaml`,
      `environments/${environment.name}/apps/monitoring.yaml`,
      `environments/${environment.name}/apps/app.yaml`,
    ]) {
      if (!paths.includes(expected)) fail(`render benchmark: ${environment.name} did not render ${expected}`);
    }
    for (const file of result.files) {
      if (file.content.trim() === '') fail(`render benchmark: ${file.path} is empty`);
      bytes += file.content.length;
    }
    files += result.files.length;
    hash.update(serialize(result));
    if (n % DETERMINISM_SAMPLE_EVERY === 0) {
      const again = renderEnvironment({
        env: environment,
        plan,
        outputs: sampleOutputs(environment),
        options: TEST_RENDER_OPTIONS,
      });
      if (serialize(again) !== serialize(result))
        fail(`render benchmark: rendering ${environment.name} twice gave different output`);
    }
  });
  keep.results = results;
  return { validateNs, planNs, renderNs, files, bytes, digest: hash.digest('hex') };
}

function benchRender(
  catalog: Catalog,
  calibrator: Calibrator,
): { runs: RenderRun[]; memory: NodeJS.MemoryUsage } {
  const runs: RenderRun[] = [];
  const keep: { results?: RenderResult[] } = {};
  for (let r = 0; r < RENDER_REPEATS; r++) {
    for (let k = 0; k < 5; k++) calibrator.sample(20);
    runs.push(benchRenderOnce(catalog, keep));
  }
  for (let k = 0; k < 5; k++) calibrator.sample(20);
  // With the last run's results still alive.
  const memory = process.memoryUsage();
  if (!keep.results || keep.results.length !== RENDER_ENVIRONMENTS) fail('render benchmark: results lost');
  const digests = new Set(runs.map((r) => r.digest));
  if (digests.size !== 1) fail('render benchmark: the same requests rendered differently across runs');
  return { runs, memory };
}

// ---------------------------------------------------------------------------------------------

interface CoreResult {
  figures: Figure[];
  calibration: { validation: Calibration; render: Calibration };
  /** Lines printed under the table. */
  notes: (spread: (c: Calibration) => string) => string[];
  json: {
    config: Record<string, number>;
    memoryUsage: NodeJS.MemoryUsage;
    memoryUsageAfterCoreSections: NodeJS.MemoryUsage;
  };
}

/** Sections 1 and 2: validation throughput, then plan + render. */
function runCore(catalog: Catalog, calibrator: Calibrator, section: (title: string) => void): CoreResult {
  section(`validation: 5-instance request, ${VALIDATION_WARMUP} warm-up, then ${VALIDATION_SECONDS} s …`);
  const validationFrom = calibrator.count;
  const validation = benchValidation(catalog, calibrator);
  const validationCalibration: Calibration = calibrator.result(validationFrom);
  const rps = validation.requests / (validation.validateNs / 1e9);
  const nsPerRequest = validation.validateNs / validation.requests;
  const rpsWithClone = validation.requests / ((validation.validateNs + validation.prepareNs) / 1e9);

  section(`plan + render: ${RENDER_ENVIRONMENTS} environments of 3 instances, ${RENDER_REPEATS} runs …`);
  const renderFrom = calibrator.count;
  const render = benchRender(catalog, calibrator);
  const renderCalibration: Calibration = calibrator.result(renderFrom);
  const calOps = (ns: number, c: Calibration) => ns / c.nsPerOp;
  const resourceUsage = process.resourceUsage();
  const memoryAfterCore = process.memoryUsage();
  const planRender = render.runs.map((r) => (r.planNs + r.renderNs) / 1e9);
  const validateSeconds = render.runs.map((r) => r.validateNs / 1e9);
  const first = render.runs[0]!;

  const figures: Figure[] = [
    figure({
      id: 'validation.throughput',
      label: 'Validation throughput (5 instances, 1 core)',
      value: rps,
      unit: 'req/s',
      target: { op: '>=', value: VALIDATION_TARGET_RPS },
      calibrationOps: calOps(nsPerRequest, validationCalibration),
      details: {
        requests: validation.requests,
        seconds: validation.validateNs / 1e9,
        microsecondsPerRequest: nsPerRequest / 1e3,
        batchSize: VALIDATION_BATCH,
        batchRateMin: Math.min(...validation.batchRates),
        batchRateMedian: median(validation.batchRates),
        batchRateMax: Math.max(...validation.batchRates),
        requestsPerSecondIncludingStructuredClone: rpsWithClone,
        calibrationOpsMeans: 'calibration ops per request',
      },
    }),
    figure({
      id: 'render.planRenderMin',
      label: `Plan + render ${RENDER_ENVIRONMENTS} envs (min of ${RENDER_REPEATS})`,
      value: Math.min(...planRender),
      unit: 's',
      target: { op: '<', value: RENDER_TARGET_SECONDS },
      calibrationOps: calOps(Math.min(...planRender) * 1e9, renderCalibration),
      details: {
        runsSeconds: planRender,
        planSeconds: render.runs.map((r) => r.planNs / 1e9),
        renderSeconds: render.runs.map((r) => r.renderNs / 1e9),
      },
    }),
    figure({
      id: 'render.planRenderMedian',
      label: `Plan + render ${RENDER_ENVIRONMENTS} envs (median)`,
      value: median(planRender),
      unit: 's',
      target: { op: '<', value: RENDER_TARGET_SECONDS },
      calibrationOps: calOps(median(planRender) * 1e9, renderCalibration),
    }),
    figure({
      id: 'render.renderPerEnvironment',
      label: '  of which render, per environment (median)',
      value: median(render.runs.map((r) => r.renderNs)) / RENDER_ENVIRONMENTS / 1e3,
      unit: 'µs',
      calibrationOps: calOps(
        median(render.runs.map((r) => r.renderNs)) / RENDER_ENVIRONMENTS,
        renderCalibration,
      ),
    }),
    figure({
      id: 'render.planPerEnvironment',
      label: '  of which plan, per environment (median)',
      value: median(render.runs.map((r) => r.planNs)) / RENDER_ENVIRONMENTS / 1e3,
      unit: 'µs',
      calibrationOps: calOps(
        median(render.runs.map((r) => r.planNs)) / RENDER_ENVIRONMENTS,
        renderCalibration,
      ),
    }),
    figure({
      id: 'render.validateMedian',
      label: `Validate ${RENDER_ENVIRONMENTS} envs (median, separate)`,
      value: median(validateSeconds),
      unit: 's',
      calibrationOps: calOps(median(validateSeconds) * 1e9, renderCalibration),
      details: { runsSeconds: validateSeconds },
    }),
    figure({
      id: 'render.output',
      label: `Rendered output per run (${first.files} files)`,
      value: first.bytes / 1024,
      unit: 'KiB',
      details: { files: first.files, bytes: first.bytes, sha256: first.digest, deterministic: true },
    }),
    figure({
      id: 'memory.rss',
      label: 'RSS after the render runs',
      value: render.memory.rss / MiB,
      unit: 'MiB',
    }),
    figure({
      id: 'memory.heapUsed',
      label: 'Heap used after the render runs',
      value: render.memory.heapUsed / MiB,
      unit: 'MiB',
      details: { heapTotal: render.memory.heapTotal, external: render.memory.external },
    }),
    figure({
      id: 'memory.maxRss',
      label: 'Peak RSS of the process',
      value: (resourceUsage.maxRSS * 1024) / MiB,
      unit: 'MiB',
    }),
  ];
  return {
    figures,
    calibration: { validation: validationCalibration, render: renderCalibration },
    notes: (spread) => [
      `Calibration, sampled between the measured stretches: validation ${spread(validationCalibration)}, ` +
        `plan + render ${spread(renderCalibration)}.`,
      `Checks: every request validated with no problems; render output non-empty, identical when rendered twice and across runs (sha256 ${first.digest.slice(0, 12)}…).`,
    ],
    json: {
      config: {
        validationWarmup: VALIDATION_WARMUP,
        validationSeconds: VALIDATION_SECONDS,
        validationBatch: VALIDATION_BATCH,
        renderEnvironments: RENDER_ENVIRONMENTS,
        renderRepeats: RENDER_REPEATS,
      },
      memoryUsage: render.memory,
      memoryUsageAfterCoreSections: memoryAfterCore,
    },
  };
}

function main(): Promise<void> {
  return (async () => {
    const started = now();
    const sections = selectedSections(process.env);
    const CORE = sections.has('core');
    const ENGINE = sections.has('engine') ? engineBenchConfig(process.env) : undefined;
    const BURST = sections.has('burst') ? burstBenchConfig(process.env) : undefined;
    const host = machine();
    console.log(
      `envcat bench — ${host.cpuModel}, ${host.cpuCount} CPUs, ${formatValue(host.totalMemoryBytes / MiB, 'MiB')} RAM, Node ${host.node}, ${host.platform} ${host.arch}`,
    );
    const loadBefore = os.loadavg();
    if (loadBefore[0]! > host.cpuCount / 2)
      console.log(
        `warning: load average ${loadBefore[0]!.toFixed(2)} on ${host.cpuCount} CPUs — other processes compete; compare calibration ops, not raw times`,
      );
    const catalog = CORE || ENGINE ? await builtInCatalog() : undefined;

    const calibrator = new Calibrator();
    for (let k = 0; k < 5; k++) calibrator.sample(20);

    const total = (CORE ? 2 : 0) + (ENGINE ? 3 : 0) + (BURST ? 1 : 0);
    let sectionNumber = 1;
    const announce = (title: string) =>
      console.log(`${sectionNumber === 1 ? '\n' : ''}[${sectionNumber++}/${total}] ${title}`);

    const core = CORE ? runCore(catalog!, calibrator, announce) : undefined;

    let engine: EngineBenchResult | undefined;
    let engineCalibration: Calibration | undefined;
    if (ENGINE) {
      const engineFrom = calibrator.count;
      for (let k = 0; k < 5; k++) calibrator.sample(20);
      engine = await runEngineBench({
        catalog: catalog!,
        config: ENGINE,
        nsPerOp: () => calibrator.result(engineFrom).nsPerOp,
        section: (title) => {
          calibrator.sample(20);
          announce(title);
        },
        log: (line) => console.log(line),
      });
      for (let k = 0; k < 5; k++) calibrator.sample(20);
      engineCalibration = calibrator.result(engineFrom);
    }

    let burst: { result: BurstResult; figures: Figure[]; notes: string[] } | undefined;
    let burstCalibration: Calibration | undefined;
    if (BURST) {
      const burstFrom = calibrator.count;
      for (let k = 0; k < 5; k++) calibrator.sample(20);
      announce(
        `REST API burst: ${BURST.environments} environments created at once, then deleted at once (a process of its own) …`,
      );
      const result = await benchBurst({ config: BURST, log: (line) => console.log(line) });
      for (let k = 0; k < 5; k++) calibrator.sample(20);
      burstCalibration = calibrator.result(burstFrom);
      burst = { result, ...burstReport(result, burstCalibration.nsPerOp) };
    }
    const loadAfter = os.loadavg();
    const calibration: Calibration = calibrator.result();

    const figures: Figure[] = [
      ...(core?.figures ?? []),
      ...(engine?.figures ?? []),
      ...(burst?.figures ?? []),
    ];

    console.log(`\n${table(figures)}`);
    console.log(
      "\nCalibration ops = the figure's time (per request, per environment or in total) divided by the time of one " +
        `${calibration.operation} (median ${calibration.nsPerOp.toFixed(0)} ns over the run).`,
    );
    const spread = (c: Calibration) =>
      `${c.nsPerOp.toFixed(0)} ns (samples ${Math.min(...c.samplesNsPerOp).toFixed(0)}–${Math.max(...c.samplesNsPerOp).toFixed(0)})`;
    for (const line of core?.notes(spread) ?? []) console.log(line);
    console.log(`Load average ${loadBefore[0]!.toFixed(2)} before, ${loadAfter[0]!.toFixed(2)} after.`);
    if (engine && engineCalibration) {
      console.log(
        `\nEngine figures (the engine in a process of its own on a kubeconfig, the simulated cluster and the repos in this one; ` +
          `calibration ${spread(engineCalibration)}; the peak RSS above is this process's before the engine sections):`,
      );
      for (const note of engine.notes) console.log(note);
    }
    if (burst && burstCalibration) {
      console.log(`\nREST API burst figures (calibration ${spread(burstCalibration)}):`);
      for (const note of burst.notes) console.log(note);
    }

    writeJson(OUTPUT, {
      timestamp: new Date().toISOString(),
      machine: host,
      sections: [...sections],
      calibration: {
        overall: calibration,
        ...(core ? core.calibration : {}),
        ...(engineCalibration ? { engine: engineCalibration } : {}),
        ...(burstCalibration ? { burst: burstCalibration } : {}),
      },
      loadAverage: { before: loadBefore, after: loadAfter },
      config: {
        ...(core ? core.json.config : {}),
        ...(ENGINE ? { engine: ENGINE } : {}),
        ...(BURST ? { burst: BURST } : {}),
      },
      figures,
      ...(core
        ? {
            memoryUsage: core.json.memoryUsage,
            memoryUsageAfterCoreSections: core.json.memoryUsageAfterCoreSections,
          }
        : {}),
      ...(engine ? { engine: engine.json } : {}),
      ...(burst ? { burst: burst.result } : {}),
      durationSeconds: nsSince(started) / 1e9,
    });
    const failed = figures.filter((f) => f.verdict === 'FAIL').length;
    console.log(
      `\n${failed === 0 ? 'All targets met' : `${failed} target(s) missed (informative; exit code stays 0)`}. ` +
        `Wrote ${OUTPUT} in ${(nsSince(started) / 1e9).toFixed(1)} s.`,
    );
  })();
}

main().catch((error: unknown) => {
  console.error(
    error instanceof BenchError || error instanceof EngineBenchError
      ? `bench failed: ${error.message}`
      : error,
  );
  process.exitCode = 1;
});
