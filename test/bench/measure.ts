/** Timers, the calibration loop, statistics and the machine description. */
import os from 'node:os';

/** Monotonic nanoseconds. */
export const now = (): bigint => process.hrtime.bigint();
export const nsSince = (start: bigint): number => Number(now() - start);

export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error('median of nothing');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export interface Machine {
  cpuModel: string;
  cpuCount: number;
  node: string;
  platform: string;
  arch: string;
  totalMemoryBytes: number;
}

export function machine(): Machine {
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    cpuCount: cpus.length,
    node: process.version,
    platform: `${os.type()} ${os.release()}`,
    arch: process.arch,
    totalMemoryBytes: os.totalmem(),
  };
}

// A fixed object of about the size and shape of an Environment request.
const CALIBRATION_OBJECT = {
  apiVersion: 'envcat.io/v1alpha1',
  kind: 'Environment',
  metadata: { name: 'calibration', labels: { team: 'platform', tier: 'dev' } },
  spec: {
    type: 'pre-release',
    ttl: '24h',
    catalogs: [
      { name: 'db', entry: 'rds-postgres@^1', parameters: { databaseName: 'orders', allocatedStorage: 20 } },
      { name: 'app', entry: 'sample-app@^1', parameters: { replicas: 2, ports: [80, 443, 9898] } },
    ],
  },
};

export interface Calibration {
  /** What one calibration operation is. */
  operation: string;
  /** Nanoseconds per operation: the median of the samples. */
  nsPerOp: number;
  samplesNsPerOp: number[];
}

const OPERATION = `JSON.stringify of a fixed ${JSON.stringify(CALIBRATION_OBJECT).length}-byte object`;
let sink = 0;

/** Nanoseconds per JSON.stringify of the calibration object, measured over about `ms` milliseconds. */
function sample(ms: number): number {
  const budget = ms * 1e6;
  let ops = 0;
  const start = now();
  let elapsed = 0;
  while (elapsed < budget) {
    for (let k = 0; k < 64; k++) sink += JSON.stringify(CALIBRATION_OBJECT).length;
    ops += 64;
    elapsed = nsSince(start);
  }
  if (sink === 0) throw new Error('calibration loop produced nothing');
  return elapsed / ops;
}

/**
 * Nanoseconds per JSON.stringify of a fixed object. A benchmark time divided by it is a ratio that
 * stays comparable across machines of different speed. Samples are taken between the measured
 * stretches (`sample()`), so that a machine slowed down by other processes slows both sides of the
 * ratio alike.
 */
export class Calibrator {
  private readonly all: number[] = [];

  constructor() {
    sample(100); // warm-up
  }

  /** Takes one sample; returns its ns per operation. */
  sample(ms = 20): number {
    const ns = sample(ms);
    this.all.push(ns);
    return ns;
  }

  /** The calibration over the samples taken since `from` (an index from `count`), or all of them. */
  result(from = 0): Calibration {
    const samples = this.all.slice(from);
    return { operation: OPERATION, nsPerOp: median(samples), samplesNsPerOp: samples };
  }

  get count(): number {
    return this.all.length;
  }
}

export const MiB = 1024 * 1024;

/** The p-th percentile (0 < p ≤ 100) by the nearest-rank method: a value that was measured. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) throw new Error('percentile of nothing');
  if (!(p > 0 && p <= 100)) throw new Error(`percentile ${p} is not in (0, 100]`);
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.ceil((p / 100) * sorted.length) - 1]!;
}

export interface Distribution {
  p50: number;
  p95: number;
  max: number;
  mean: number;
}

/** p50, p95 (nearest rank), max and mean of `values` (at least one). */
export function distribution(values: readonly number[]): Distribution {
  return {
    p50: percentile(values, 50),
    p95: percentile(values, 95),
    max: Math.max(...values),
    mean: values.reduce((a, b) => a + b, 0) / values.length,
  };
}
