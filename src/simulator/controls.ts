/**
 * Simulator controls (CONTROLLERS.md, Controls): the Environment annotation
 * `simulator.envcat.io/<instance>` holds JSON `{"delay": "3s", "failApply": "<message>",
 * "failDestroy": "<message>", "neverReady": true, "syncError": "<message>", "comparisonError":
 * "<message>", "degraded": "<message>"}` (any subset) and makes the simulated controllers delay,
 * fail or never become ready for that instance. The simulated controllers read it the way they read
 * everything else: from Git, through a read-only clone of the platform repo
 * (`environments/<env>/environment.yaml`).
 */
import type { Logger } from 'pino';
import { parseDuration, parseYamlDocument } from '../core/index.js';
import type { GitOpsRepo } from '../gitops/types.js';
import { Coalescer } from './repo-snapshots.js';

export const CONTROL_ANNOTATION_PREFIX = 'simulator.envcat.io/';

export interface SimulatorControls {
  /** Replaces the controller's default delay for this instance. */
  delayMs?: number;
  /** Apply (terraform apply / Argo CD sync) fails with this message. */
  failApply?: string;
  /** Destroy (Workspace deletion) fails with this message; the finalizer stays. */
  failDestroy?: string;
  /** The instance never becomes ready (Workspace stays Creating, Application stays Progressing). */
  neverReady?: boolean;
  /** Every sync attempt of the instance's Application fails with this message (Argo CD retries apply). */
  syncError?: string;
  /** The instance's Application reports a ComparisonError with this message (sync Unknown). */
  comparisonError?: string;
  /** The workload never becomes available: Progressing, then Degraded with this message at its progress deadline. */
  degraded?: string;
}

export interface ControlProblem {
  instance: string;
  message: string;
}

export interface ParsedControls {
  byInstance: Map<string, SimulatorControls>;
  /** Annotations that were ignored, and why. */
  problems: ControlProblem[];
}

const MILLISECONDS = /^(\d+)ms$/;

/** `3s`, `1m30s` (parseDuration) or `250ms`; undefined when it is neither. */
export function parseDelay(text: string): number | undefined {
  const ms = MILLISECONDS.exec(text);
  if (ms) return Number(ms[1]);
  const seconds = parseDuration(text);
  return seconds === undefined ? undefined : seconds * 1000;
}

const KNOWN = new Set([
  'delay',
  'failApply',
  'failDestroy',
  'neverReady',
  'syncError',
  'comparisonError',
  'degraded',
]);

/** One annotation value; a problem (and no controls) when it is not valid. */
export function parseControlValue(text: string): SimulatorControls | { problem: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { problem: 'is not valid JSON' };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    return { problem: 'must be a JSON object' };
  const record = value as Record<string, unknown>;
  const unknown = Object.keys(record).filter((k) => !KNOWN.has(k));
  if (unknown.length > 0) return { problem: `unknown field(s): ${unknown.sort().join(', ')}` };
  const controls: SimulatorControls = {};
  if (record.delay !== undefined) {
    const delay = typeof record.delay === 'string' ? parseDelay(record.delay) : undefined;
    if (delay === undefined) return { problem: 'delay must be a duration such as "3s", "1m30s" or "250ms"' };
    controls.delayMs = delay;
  }
  for (const key of ['failApply', 'failDestroy', 'syncError', 'comparisonError', 'degraded'] as const) {
    const message = record[key];
    if (message === undefined) continue;
    if (typeof message !== 'string' || message.trim() === '')
      return { problem: `${key} must be a non-empty message` };
    controls[key] = message;
  }
  if (record.neverReady !== undefined) {
    if (typeof record.neverReady !== 'boolean') return { problem: 'neverReady must be true or false' };
    if (record.neverReady) controls.neverReady = true;
  }
  return controls;
}

/** Every `simulator.envcat.io/<instance>` annotation of an Environment's metadata. */
export function parseControls(annotations: Readonly<Record<string, unknown>> | undefined): ParsedControls {
  const result: ParsedControls = { byInstance: new Map(), problems: [] };
  for (const [key, text] of Object.entries(annotations ?? {})) {
    if (!key.startsWith(CONTROL_ANNOTATION_PREFIX)) continue;
    const instance = key.slice(CONTROL_ANNOTATION_PREFIX.length);
    if (instance === '') continue;
    const parsed = typeof text === 'string' ? parseControlValue(text) : { problem: 'must be a string' };
    if ('problem' in parsed) result.problems.push({ instance, message: `${key} ${parsed.problem}` });
    else result.byInstance.set(instance, parsed);
  }
  return result;
}

/** The controls of an environment.yaml document (a YAML text); an unreadable document has none. */
export function parseEnvironmentControls(text: string): ParsedControls {
  let document: unknown;
  try {
    document = parseYamlDocument(text);
  } catch (error) {
    return {
      byInstance: new Map(),
      problems: [
        { instance: '', message: `environment.yaml is not valid YAML: ${(error as Error).message}` },
      ],
    };
  }
  const metadata = (document as { metadata?: { annotations?: unknown } } | null)?.metadata;
  const annotations = metadata?.annotations;
  return parseControls(
    annotations && typeof annotations === 'object' && !Array.isArray(annotations)
      ? (annotations as Record<string, unknown>)
      : undefined,
  );
}

export interface InstanceRef {
  environment: string;
  instance: string;
}

/** Where the simulated controllers look up the controls of an instance. */
export interface ControlSource {
  forInstance(ref: InstanceRef): Promise<SimulatorControls>;
  /**
   * Calls `listener` whenever controls may have changed, for a source that knows (runs held back
   * by neverReady then read them again at once, instead of at their next retry); returns the
   * unsubscribe.
   */
  onChange?(listener: () => void): () => void;
}

/**
 * Controls read from the platform repo. Every lookup fetches first (concurrent lookups share one
 * fetch), so an annotation committed before the object it controls is always seen. When an
 * environment.yaml has gone (deletion removes it last), the last controls seen stay in force.
 */
export class RepoControlSource implements ControlSource {
  private readonly sync: Coalescer<string>;
  private readonly lastSeen = new Map<string, Map<string, SimulatorControls>>();
  private readonly warned = new Set<string>();

  constructor(private readonly options: { repo: GitOpsRepo; logger: Logger }) {
    this.sync = new Coalescer(() => options.repo.sync());
  }

  async forInstance(ref: InstanceRef): Promise<SimulatorControls> {
    await this.sync.fresh();
    const path = `environments/${ref.environment}/environment.yaml`;
    const text = (await this.options.repo.readTree(path)).get(path);
    if (text !== undefined) {
      const parsed = parseEnvironmentControls(text);
      for (const problem of parsed.problems) {
        const key = `${ref.environment}\u0000${problem.message}`;
        if (this.warned.has(key)) continue;
        this.warned.add(key);
        this.options.logger.warn(
          { environment: ref.environment, instance: problem.instance || undefined },
          `simulator control ignored: ${problem.message}`,
        );
      }
      this.lastSeen.set(ref.environment, parsed.byInstance);
    }
    return this.lastSeen.get(ref.environment)?.get(ref.instance) ?? {};
  }
}
