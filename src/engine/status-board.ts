/**
 * The statuses the engine derived, one per environment, and their publication: a status that
 * changed is emitted (the API streams it), and a change of phase is logged with its message.
 * Deriving a status is the engine's (from Git and the cluster, by core's environmentStatus); this
 * keeps the last one and the shapes that are not derived from steps.
 */
import type { Logger } from 'pino';
import type {
  EnvironmentPhase,
  EnvironmentStatusSummary,
  JsonValue,
  OutputValues,
  Problem,
  ResolvedEnvironment,
  StepObservation,
} from '../core/index.js';
import { environmentStatus } from '../core/index.js';

export interface EnvironmentStatusView extends EnvironmentStatusSummary {
  /** Non-sensitive outputs of the infrastructure steps, by instance. */
  outputs: Record<string, Record<string, JsonValue>>;
  /** Validation problems of an Invalid environment. */
  problems?: Problem[];
  observedAt: string;
}

export interface StatusBoardOptions {
  now: () => number;
  logger: Logger;
  /** A status changed (besides its time). */
  onChange: (name: string, status: EnvironmentStatusView) => void;
}

export class StatusBoard {
  private readonly statuses = new Map<string, EnvironmentStatusView>();
  /**
   * What a deletion is doing now, as the deletion pass last said it. A status derived between its
   * passes (a watch event) says the same, instead of core's summary of the steps: the two took
   * turns, and the status flipped back and forth between them many times a second.
   */
  private readonly deletionMessages = new Map<string, string>();
  /** While set, statuses are derived but neither kept nor published (the engine's start primes its clocks). */
  priming = false;

  constructor(private readonly options: StatusBoardOptions) {}

  has(name: string): boolean {
    return this.statuses.has(name);
  }

  get(name: string): EnvironmentStatusView | undefined {
    return this.statuses.get(name);
  }

  /** Keeps the status; emits it unless it is the last one again; logs a change of phase. */
  publish(name: string, status: EnvironmentStatusView): void {
    if (this.priming) return;
    const previous = this.statuses.get(name);
    this.statuses.set(name, status);
    if (previous && sameStatus(previous, status)) return;
    if (previous?.phase !== status.phase)
      this.options.logger.info(
        { environment: name, phase: status.phase, from: previous?.phase },
        status.message,
      );
    this.options.onChange(name, status);
  }

  /** The status of an environment from its observed steps, with the outputs a user may see. */
  publishObserved(
    name: string,
    args: {
      env: ResolvedEnvironment;
      steps: readonly StepObservation[];
      outputs: OutputValues;
      deleting: boolean;
    },
  ): void {
    const doing = args.deleting ? this.deletionMessages.get(name) : undefined;
    if (!args.deleting) this.deletionMessages.delete(name);
    this.publish(name, {
      ...environmentStatus({ steps: args.steps, deleting: args.deleting }),
      ...(doing === undefined ? {} : { message: doing }),
      // A deletion shows no outputs, as publishDeleting does: they would come and go between passes.
      outputs: args.deleting ? {} : publicOutputs(args.env, args.outputs),
      observedAt: this.timestamp(),
    });
  }

  /** The status of an environment being deleted: the steps still there, and what is done now (else core's message). */
  publishDeleting(name: string, steps: readonly StepObservation[], message?: string): void {
    if (message !== undefined) this.deletionMessages.set(name, message);
    const doing = message ?? this.deletionMessages.get(name);
    this.publish(name, {
      ...environmentStatus({ steps, deleting: true }),
      ...(doing === undefined ? {} : { message: doing }),
      outputs: {},
      observedAt: this.timestamp(),
    });
  }

  /** The status of an environment whose request has problems (nothing is done for it). */
  publishInvalid(name: string, problems: Problem[]): void {
    const phase: EnvironmentPhase = 'Invalid';
    const message = `${problems.length} problem(s) in the request`;
    this.publish(name, {
      phase,
      message,
      conditions: [{ type: 'Ready', status: 'False', reason: 'Invalid', message }],
      steps: [],
      outputs: {},
      problems,
      observedAt: this.timestamp(),
    });
  }

  /** Forget an environment (deleted). */
  forget(name: string): void {
    this.statuses.delete(name);
    this.deletionMessages.delete(name);
  }

  timestamp(): string {
    return new Date(this.options.now()).toISOString();
  }
}

/** Equal but for the time they were observed. */
export function sameStatus(a: EnvironmentStatusView, b: EnvironmentStatusView): boolean {
  const { observedAt: _a, ...restA } = a;
  const { observedAt: _b, ...restB } = b;
  return JSON.stringify(restA) === JSON.stringify(restB);
}

/** Outputs a user may see: the ones the entry does not declare sensitive. */
export function publicOutputs(
  env: ResolvedEnvironment,
  outputs: OutputValues,
): Record<string, Record<string, JsonValue>> {
  const result: Record<string, Record<string, JsonValue>> = {};
  for (const instance of env.instances) {
    const values = outputs[instance.name];
    if (!values) continue;
    const visible: Record<string, JsonValue> = {};
    for (const declared of instance.entry.document.spec.outputs ?? []) {
      const value = values[declared.name];
      if (!declared.sensitive && value !== undefined) visible[declared.name] = value;
    }
    result[instance.name] = visible;
  }
  return result;
}

/** The problem of an environment whose namespace another environment holds (only possible by hand). */
export function namespaceTaken(
  name: string,
  env: ResolvedEnvironment,
  owner: string | undefined,
): Problem | undefined {
  if (owner === undefined || owner === name) return undefined;
  return {
    path: '/spec/namespace',
    message: `the namespace "${env.namespace}" is already taken by another environment`,
  };
}
