/**
 * What the engine's status events mean for the metrics: how long an environment took from its
 * creation to Ready, by catalog entry, and which steps failed, by part and reason. Statuses are
 * derived on every replica (any of them may serve the API), so each replica follows every
 * environment's transitions; only the leader records them, so that summing over replicas counts
 * each transition once and a replica that takes over knows what changed before it led.
 */
import { parseEntryReference, type EnvironmentPhase, type Part, type StepStatus } from '../core/index.js';
import { parseDocument } from './documents.js';

/** Where the observations go (prom-client in the API; a fake in tests). */
export interface EnvironmentMetricsSink {
  readyAfter(entry: string, seconds: number): void;
  stepFailed(part: Part, reason: string): void;
}

/** What is kept about an environment between its statuses. */
export interface TrackedEnvironment {
  phase: EnvironmentPhase;
  /** The steps Failed in the last status, as `instance/part`. */
  failed: ReadonlySet<string>;
  /**
   * First seen with no step Ready: a creation under way, whose Ready is counted once. An
   * environment first seen Ready, or partly Ready (after a restart), is not one this process saw
   * being created: its creation time would be counted into the wrong bucket.
   */
  creating: boolean;
  firstSeenAt: number;
}

export interface StatusTransition {
  next: TrackedEnvironment;
  /** Steps that became Failed with this status. */
  failedSteps: StepStatus[];
  /** The creation this process saw has reached Ready. */
  becameReady: boolean;
}

/** The transition from what was kept to a new status (pure). */
export function statusTransition(args: {
  previous: TrackedEnvironment | undefined;
  status: { phase: EnvironmentPhase; steps: readonly StepStatus[] };
  now: number;
}): StatusTransition {
  const { previous, status } = args;
  const failedNow = status.steps.filter((s) => s.phase === 'Failed');
  const failed = new Set(failedNow.map(stepKey));
  if (!previous) {
    // Nothing is known of what came before: nothing is counted, only remembered.
    return {
      next: {
        phase: status.phase,
        failed,
        creating: status.phase !== 'Ready' && !status.steps.some((s) => s.phase === 'Ready'),
        firstSeenAt: args.now,
      },
      failedSteps: [],
      becameReady: false,
    };
  }
  const becameReady = previous.creating && status.phase === 'Ready';
  return {
    next: {
      phase: status.phase,
      failed,
      creating: previous.creating && !becameReady && status.phase !== 'Deleting',
      firstSeenAt: previous.firstSeenAt,
    },
    failedSteps: failedNow.filter((s) => !previous.failed.has(stepKey(s))),
    becameReady,
  };
}

function stepKey(step: StepStatus): string {
  return `${step.instance}/${step.part}`;
}

export interface EnvironmentMetricsOptions {
  sink: EnvironmentMetricsSink;
  isLeader: () => boolean;
  /** When the environment's file was first committed (ms), when known. */
  createdAt: (name: string) => number | undefined;
  /** The environment file as committed, for its instances' entries. */
  source: (name: string) => string | undefined;
  now: () => number;
}

export class EnvironmentMetrics {
  private readonly tracked = new Map<string, TrackedEnvironment>();

  constructor(private readonly options: EnvironmentMetricsOptions) {}

  status(name: string, status: { phase: EnvironmentPhase; steps: readonly StepStatus[] }): void {
    const now = this.options.now();
    const transition = statusTransition({ previous: this.tracked.get(name), status, now });
    this.tracked.set(name, transition.next);
    if (!this.options.isLeader()) return;
    for (const step of transition.failedSteps) this.options.sink.stepFailed(step.part, step.reason);
    if (transition.becameReady) {
      // The creation time is Git's (the first commit of the file), so a creation that a restart
      // or a change of leader interrupted is timed from its start; unknown yet, from when this
      // process first saw it.
      const since = this.options.createdAt(name) ?? transition.next.firstSeenAt;
      const seconds = Math.max(0, (now - since) / 1000);
      for (const entry of this.entries(name)) this.options.sink.readyAfter(entry, seconds);
    }
  }

  deleted(name: string): void {
    this.tracked.delete(name);
  }

  /**
   * The distinct catalog entries of the environment's instances, without their version ranges
   * (`s3-bucket@^1` is `s3-bucket`): one observation per entry.
   */
  private entries(name: string): string[] {
    const spec = parseDocument(this.options.source(name))?.spec as { catalogs?: unknown } | undefined;
    const catalogs = Array.isArray(spec?.catalogs) ? (spec.catalogs as Array<{ entry?: unknown }>) : [];
    const names = new Set<string>();
    for (const { entry } of catalogs) {
      const reference = typeof entry === 'string' ? parseEntryReference(entry) : undefined;
      if (reference && 'name' in reference) names.add(reference.name);
    }
    return [...names];
  }
}
