/**
 * What an observed Workspace or Application says about its step, with time:
 * nothing waits forever. Given the object, when the step's current attempt began (its last commit,
 * or the last retry) and `now`, each verdict is Ready, Progressing (with the moment the verdict may
 * change by time alone, so the caller can look again then) or Failed with the controller's message
 * and, where one is known, a remedy. Pure: the engine supplies the times from Git.
 */
import { createHash } from 'node:crypto';
import { ANNOTATION } from '../layout/index.js';
import type { ObservedObject, StepState } from './index.js';

/** When the step's current attempt began, and the limits that apply to it. */
export interface StepClock {
  /**
   * When the current attempt began (ms since the epoch): the step's last commit, or the last retry
   * if later. Undefined while not known (a Git lookup under way): no time-based verdict then.
   */
  since?: number;
  /**
   * When the last retry was asked for, when it is what `since` counts from. A failure observed
   * before it is the previous attempt's; without a retry, every failure is this attempt's.
   */
  retriedAt?: number;
  now: number;
  /** Not Ready this long after `since`: Failed, reason Timeout (`spec.timeouts`). */
  timeoutMs: number;
  /**
   * How long a transient error may last before it fails the step: an Application's
   * ComparisonError, a Workspace's connect/observe error, a failure seen before the last retry.
   */
  graceMs: number;
}

export interface Verdict {
  state: StepState;
  /** When the verdict may change by time alone (a grace or a timeout runs out), ms since the epoch. */
  recheckAt?: number;
  /**
   * When the step entered the state reported (ms since the epoch), as the controller's own times
   * say (a condition's `lastTransitionTime`, a sync's `finishedAt`), or the step's commit for one
   * still converging, or the deadline that failed it; undefined when nothing says. Derived, as
   * Crossplane and Argo CD derive `lastTransitionTime`: a restart computes the same.
   */
  since?: number;
}

/** How long a transient controller error may last, by default. */
export const DEFAULT_ERROR_GRACE_MS = 60_000;

interface ObservedCondition {
  type?: string;
  status?: string;
  reason?: string;
  message?: string;
  observedGeneration?: number;
  lastTransitionTime?: string;
}

function conditionsOf(object: ObservedObject): ObservedCondition[] {
  const status = object.status as { conditions?: unknown } | undefined;
  return Array.isArray(status?.conditions) ? (status.conditions as ObservedCondition[]) : [];
}

function conditionOf(object: ObservedObject, type: string): ObservedCondition | undefined {
  return conditionsOf(object).find((c) => c.type === type);
}

/**
 * A condition counts only if it speaks of the current generation. crossplane-runtime sets
 * `observedGeneration` on every condition it marks (pkg/reconciler/managed/reconciler.go,
 * `status.MarkConditions`), so a condition without one, on an object with a generation, is not
 * about the current spec.
 */
function current(object: ObservedObject, c: ObservedCondition | undefined): c is ObservedCondition {
  if (!c) return false;
  const generation = object.metadata.generation;
  return generation === undefined || c.observedGeneration === generation;
}

function time(text: unknown): number | undefined {
  if (typeof text !== 'string') return undefined;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : ms;
}

/** Seconds or minutes, for messages. */
export function formatDuration(ms: number): string {
  const seconds = Math.round(ms / 1000);
  if (seconds % 3600 === 0 && seconds >= 3600) return `${seconds / 3600}h`;
  if (seconds % 60 === 0 && seconds >= 60) return `${seconds / 60}m`;
  return `${seconds}s`;
}

/**
 * True for a failure observed before the last retry (the previous attempt's). Only a retry makes a
 * failure old: right after a commit, a failure within the same second (Kubernetes and Git times
 * have one-second resolution) is this attempt's, and fails the step at once.
 */
function before(at: number | undefined, clock: StepClock | undefined): boolean {
  // Within the second of the retry it is taken as older (it then gets the grace, and fails again if it persists).
  const retriedAt = clock?.retriedAt;
  return at !== undefined && retriedAt !== undefined && at < Math.floor(retriedAt / 1000) * 1000 + 1000;
}

/**
 * An error that fails the step only once it has lasted `graceMs`: counted from when it appeared,
 * or from the start of the attempt if later.
 */
function transient(
  failed: StepState,
  appearedAt: number | undefined,
  clock: StepClock | undefined,
  retrying: string,
): Verdict {
  const starts = [appearedAt, clock?.since].filter((t): t is number => t !== undefined);
  const start = starts.length > 0 ? Math.max(...starts) : undefined;
  if (clock && start !== undefined) {
    const deadline = start + clock.graceMs;
    if (clock.now >= deadline)
      return {
        // A stable message (not "for 73s"): the status does not change at every look.
        state: { ...failed, message: `${failed.message} (for more than ${formatDuration(clock.graceMs)})` },
        since: deadline,
      };
    return {
      state: { phase: 'Progressing', reason: failed.reason, message: `${failed.message} (${retrying})` },
      recheckAt: deadline,
      ...sinceOf(clock.since),
    };
  }
  return {
    state: { phase: 'Progressing', reason: failed.reason, message: `${failed.message} (${retrying})` },
    ...sinceOf(clock?.since),
  };
}

/**
 * A step still converging fails once `timeoutMs` has passed since its attempt began; until then it
 * has been Progressing since that attempt began (its commit or retry).
 */
function withTimeout(verdict: Verdict, clock: StepClock | undefined, part: 'infra' | 'apps'): Verdict {
  if (verdict.state.phase !== 'Progressing' || clock?.since === undefined) return verdict;
  const deadline = clock.since + clock.timeoutMs;
  if (clock.now >= deadline) {
    const last = verdict.state.message ? `; last: ${verdict.state.reason}: ${verdict.state.message}` : '';
    return {
      state: {
        phase: 'Failed',
        reason: 'Timeout',
        message:
          `not Ready ${formatDuration(clock.timeoutMs)} after its commit or last retry${last}` +
          ` (to fix: see the message; if it only needs longer, raise spec.timeouts.${part})`,
      },
      since: deadline,
    };
  }
  const recheckAt = verdict.recheckAt === undefined ? deadline : Math.min(verdict.recheckAt, deadline);
  return { since: clock.since, ...verdict, recheckAt };
}

function sinceOf(at: number | undefined): { since?: number } {
  return at === undefined ? {} : { since: at };
}

/** The latest of the times given that are known. */
function latest(...times: Array<number | undefined>): number | undefined {
  const known = times.filter((t): t is number => t !== undefined);
  return known.length > 0 ? Math.max(...known) : undefined;
}

// ---- remedies ----

const REMEDIES: Array<[RegExp, (m: RegExpExecArray) => string]> = [
  // argo-cd util/argo/argo.go ValidatePermissions
  [
    /application repo (\S+) is not permitted in project '([^']+)'/,
    (m) => `add ${m[1]} to spec.sourceRepos of the AppProject ${m[2]}, then retry`,
  ],
  [
    /application destination .*do not match any of the allowed destinations in project '([^']+)'/,
    (m) => `add the environment's namespace to spec.destinations of the AppProject ${m[1]}, then retry`,
  ],
  [
    /Application referencing project (\S+) which does not exist/,
    (m) => `create the AppProject ${m[1]} (gitops/bootstrap), then retry`,
  ],
  [
    /chart .*(not found|no chart version|version .* not found)|(unknown|invalid) revision|not found in repository/i,
    () =>
      'publish a version of the entry whose chart and targetRevision exist in the chart repository, then upgrade or retry',
  ],
  [
    /cannot get (Cluster)?ProviderConfig|ProviderConfig.* not found/,
    () => 'create the (Cluster)ProviderConfig the Workspace names (gitops/bootstrap), then retry',
  ],
];

/** The controller's message with a remedy, where one is known. */
export function withRemedy(message: string): string {
  for (const [pattern, remedy] of REMEDIES) {
    const match = pattern.exec(message);
    if (match) return `${message} (to fix: ${remedy(match)})`;
  }
  return message;
}

// ---- Workspace ----

/**
 * crossplane-runtime wraps each external-client error with the step that failed
 * (pkg/reconciler/managed/reconciler.go: `errReconcileConnect = "connect failed"`,
 * `errReconcileObserve`, `errReconcileCreate = "create failed"`, `errReconcileUpdate`). For
 * provider-terraform (internal/controller/namespaced/workspace/workspace.go) connect and observe
 * errors are transient (`cannot get ProviderConfig`, `cannot initialize Terraform configuration`,
 * `cannot diff (i.e. plan) Terraform configuration`: retried on the next poll), while a create or
 * update failure is `terraform apply` failing (`cannot apply Terraform configuration`): the same
 * module and inputs fail the same way, so it is terminal until something changes.
 */
export function isTerminalWorkspaceError(message: string): boolean {
  return /^(create|update) failed\b/.test(message);
}

/**
 * A provider-terraform Workspace: Ready means `Ready=True` (reason `Available`) and `Synced=True`,
 * both for the current generation; `Synced=False` fails the step at once for a create/update
 * failure, after the grace for any other error.
 */
export function judgeWorkspace(
  workspace: ObservedObject | undefined,
  clock?: StepClock,
  /** The spec digest of the Workspace file in Git (ANNOTATION.specDigest), when it carries one. */
  specDigest?: string,
): Verdict {
  if (!workspace)
    return withTimeout(
      { state: { phase: 'Progressing', reason: 'NotApplied', message: 'committed; not in the cluster yet' } },
      clock,
      'infra',
    );
  if (
    specDigest !== undefined &&
    !workspace.metadata.deletionTimestamp &&
    workspace.metadata.annotations?.[ANNOTATION.specDigest] !== specDigest
  )
    // Argo CD has not applied the version in Git: whatever the conditions say is of an older spec.
    return withTimeout(
      {
        state: {
          phase: 'Progressing',
          reason: 'NotApplied',
          message: 'committed; Argo CD has not applied this version to the cluster yet',
        },
      },
      clock,
      'infra',
    );
  if (workspace.metadata.deletionTimestamp) {
    const ready = conditionOf(workspace, 'Ready');
    return {
      state: {
        phase: 'Deleting',
        reason: ready?.reason ?? 'Deleting',
        message: ready?.message ?? 'being destroyed',
      },
      ...sinceOf(time(workspace.metadata.deletionTimestamp)),
    };
  }
  const synced = conditionOf(workspace, 'Synced');
  const ready = conditionOf(workspace, 'Ready');
  if (synced?.status === 'False' && current(workspace, synced)) {
    const message = synced.message ?? '';
    const failed: StepState = {
      phase: 'Failed',
      reason: synced.reason ?? 'ReconcileError',
      message: withRemedy(message),
    };
    const appeared = time(synced.lastTransitionTime);
    if (isTerminalWorkspaceError(message) && !before(appeared, clock))
      return { state: failed, ...sinceOf(appeared) };
    return withTimeout(
      transient(failed, appeared, clock, 'provider-terraform retries on its poll'),
      clock,
      'infra',
    );
  }
  if (
    ready?.status === 'True' &&
    ready.reason === 'Available' &&
    synced?.status === 'True' &&
    current(workspace, ready) &&
    current(workspace, synced)
  )
    return {
      state: { phase: 'Ready', reason: 'Available', message: ready.message ?? '' },
      // Both conditions are of this generation, and crossplane-runtime gives a condition a new
      // lastTransitionTime when its observedGeneration changes (apis/common/v1/condition.go:
      // Condition.Equal compares it, SetConditions keeps only an equal one's time): the later of
      // the two is when it became Ready at this spec.
      ...sinceOf(latest(time(ready.lastTransitionTime), time(synced.lastTransitionTime))),
    };
  let state: StepState;
  if (!ready && !synced)
    state = { phase: 'Progressing', reason: 'Pending', message: 'waiting for provider-terraform' };
  else if ((ready && !current(workspace, ready)) || (synced && !current(workspace, synced)))
    state = {
      phase: 'Progressing',
      reason: 'Reconciling',
      message: 'the provider has not seen the latest change yet',
    };
  else
    state = {
      phase: 'Progressing',
      reason: ready?.reason ?? 'Creating',
      message: ready?.message ?? synced?.message ?? '',
    };
  return withTimeout({ state }, clock, 'infra');
}

// ---- Application ----

interface ApplicationStatus {
  sync?: {
    status?: string;
    revision?: string;
    comparedTo?: { source?: unknown; sources?: unknown };
    /** What the engine's cache keeps of comparedTo (see sourceDigest). */
    comparedToDigest?: string;
  };
  health?: { status?: string; message?: string; lastTransitionTime?: string };
  operationState?: {
    phase?: string;
    message?: string;
    finishedAt?: string;
    startedAt?: string;
    retryCount?: number;
    operation?: { sync?: { revision?: string }; retry?: { limit?: number } };
    syncResult?: { revision?: string };
  };
  conditions?: ObservedCondition[];
}

/** An Application's last sync operation, as its status reports it (the fields envcat reads). */
export type SyncOperationState = NonNullable<ApplicationStatus['operationState']>;

/** Drops what Go's `omitempty` leaves out (null, "", {} and []), so both sides compare alike. */
function pruneEmpty(value: unknown): unknown {
  if (Array.isArray(value)) {
    const items = value.map(pruneEmpty).filter((v) => v !== undefined);
    return items.length === 0 ? undefined : items;
  }
  if (value === null || value === '') return undefined;
  if (typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) {
    const member = pruneEmpty((value as Record<string, unknown>)[key]);
    if (member !== undefined) out[key] = member;
  }
  return Object.keys(out).length === 0 ? undefined : out;
}

/**
 * A digest of an Application source (or the list of sources): what envcat rendered
 * (`spec.source`) against what Argo CD compared (`status.sync.comparedTo.source`/`sources`),
 * Helm values included. Key order and empty members do not count.
 */
export function sourceDigest(source: unknown): string {
  const canonical = JSON.stringify(pruneEmpty(source) ?? null);
  return `sha256:${createHash('sha256').update(canonical).digest('base64')}`;
}

/** The digest of what Argo CD last compared (argo-cd controller/state.go CompareAppState sets comparedTo). */
export function comparedDigest(application: ObservedObject): string | undefined {
  const sync = (application.status as ApplicationStatus | undefined)?.sync;
  if (typeof sync?.comparedToDigest === 'string') return sync.comparedToDigest;
  const compared = sync?.comparedTo;
  if (!compared || typeof compared !== 'object') return undefined;
  return sourceDigest(compared.sources ?? compared.source);
}

/**
 * Whether a failed sync operation is final. Argo CD keeps the operation `Running` between retries
 * ("… Retrying attempt #N at …") while `retryCount < retry.limit` or the limit is negative
 * (argo-cd controller/appcontroller.go processRequestedAppOperation): a `Failed`/`Error` phase is
 * then final, and so is any failure without a retry policy (limit 0).
 */
export function retriesExhausted(operation: SyncOperationState): boolean {
  const limit = operation.operation?.retry?.limit ?? 0;
  return limit >= 0 && (operation.retryCount ?? 0) >= limit;
}

/** A sync operation that failed and that Argo CD will not retry (see retriesExhausted). */
export function syncFailedForGood(
  operation: SyncOperationState | undefined,
): operation is SyncOperationState & { phase: 'Failed' | 'Error' } {
  return (operation?.phase === 'Failed' || operation?.phase === 'Error') && retriesExhausted(operation);
}

/**
 * An Argo CD Application: Ready means `Synced` and `Healthy` at a revision that holds what we
 * committed, and (given `sourceDigest`) having compared the source we rendered. `InvalidSpecError`
 * fails at once, a final failed sync or `Degraded` health fails, a `ComparisonError` after the grace.
 */
export function judgeApplication(
  application: ObservedObject | undefined,
  options: {
    revisionAccepted: (revision: string) => boolean;
    /** The digest of the source envcat rendered (sourceDigest); undefined: not compared. */
    sourceDigest?: string;
    /**
     * The environment's own last commit of the step's files. The repo is shared, so the revision
     * Argo CD synced may be a later commit made for another environment: the message names this one.
     */
    commit?: string;
    clock?: StepClock;
  },
): Verdict {
  const { clock } = options;
  if (!application)
    return withTimeout(
      {
        state: {
          phase: 'Progressing',
          reason: 'NotApplied',
          message: 'committed; no Application in the cluster yet',
        },
      },
      clock,
      'apps',
    );
  if (application.metadata.deletionTimestamp)
    return {
      state: { phase: 'Deleting', reason: 'Deleting', message: 'Argo CD is deleting the resources' },
      ...sinceOf(time(application.metadata.deletionTimestamp)),
    };
  const status = (application.status ?? {}) as ApplicationStatus;
  const conditions = Array.isArray(status.conditions) ? status.conditions : [];

  const invalid = conditions.find((c) => c.type === 'InvalidSpecError');
  if (invalid) {
    const failed: StepState = {
      phase: 'Failed',
      reason: 'InvalidSpecError',
      message: withRemedy(invalid.message ?? ''),
    };
    // At once, unless it was there before the last retry: Argo CD may not have looked again yet.
    const appeared = time(invalid.lastTransitionTime);
    if (!before(appeared, clock)) return { state: failed, ...sinceOf(appeared) };
    return withTimeout(transient(failed, undefined, clock, 'Argo CD was asked to look again'), clock, 'apps');
  }

  const operation = status.operationState;
  if (syncFailedForGood(operation)) {
    const failed: StepState = {
      phase: 'Failed',
      reason: `Sync${operation.phase}`,
      message: withRemedy(operation.message ?? ''),
    };
    const finished = time(operation.finishedAt);
    if (!before(finished, clock)) return { state: failed, ...sinceOf(finished) };
    return withTimeout(transient(failed, undefined, clock, 'a new sync was asked for'), clock, 'apps');
  }
  if (status.health?.status === 'Degraded') {
    const failed: StepState = {
      phase: 'Failed',
      reason: 'Degraded',
      message: withRemedy(status.health.message ?? operation?.message ?? ''),
    };
    const degraded = time(status.health.lastTransitionTime);
    if (!before(degraded, clock)) return { state: failed, ...sinceOf(degraded) };
    return withTimeout(transient(failed, undefined, clock, 'a new sync was asked for'), clock, 'apps');
  }
  const comparison = conditions.find((c) => c.type === 'ComparisonError');
  if (comparison) {
    const failed: StepState = {
      phase: 'Failed',
      reason: 'ComparisonError',
      message: withRemedy(comparison.message ?? ''),
    };
    return withTimeout(
      transient(failed, time(comparison.lastTransitionTime), clock, 'Argo CD compares again on its poll'),
      clock,
      'apps',
    );
  }

  const sync = status.sync?.status ?? 'Unknown';
  const health = status.health?.status ?? 'Unknown';
  const revision = status.sync?.revision;
  const sourceCurrent =
    options.sourceDigest === undefined || comparedDigest(application) === options.sourceDigest;
  let state: StepState;
  if (sync === 'Synced' && health === 'Healthy' && !sourceCurrent)
    state = {
      phase: 'Progressing',
      reason: 'OutdatedSource',
      message: 'Argo CD has not compared the current source yet',
    };
  else if (
    sync === 'Synced' &&
    health === 'Healthy' &&
    revision !== undefined &&
    options.revisionAccepted(revision)
  )
    return {
      state: {
        phase: 'Ready',
        reason: 'Healthy',
        message: options.commit ? `synced at ${options.commit.slice(0, 12)}` : 'synced and healthy',
      },
      // Healthy since its health's last transition, synced since its last sync finished
      // (argo-cd persistAppStatus keeps health.lastTransitionTime while the status holds): Ready
      // since the later of the two.
      ...sinceOf(latest(time(status.health?.lastTransitionTime), time(operation?.finishedAt))),
    };
  else if (sync === 'Synced' && health === 'Healthy')
    state = { phase: 'Progressing', reason: 'OutdatedRevision', message: 'synced to an older revision' };
  else if (operation?.phase === 'Running' && /Retrying attempt #\d+/.test(operation.message ?? ''))
    state = { phase: 'Progressing', reason: 'SyncRetrying', message: operation.message ?? '' };
  else {
    const error = conditions.find((c) => c.type?.endsWith('Error'));
    state = {
      phase: 'Progressing',
      reason: health === 'Unknown' && sync === 'Unknown' ? 'Pending' : `${sync}/${health}`,
      message: error?.message ?? status.health?.message ?? operation?.message ?? '',
    };
  }
  return withTimeout({ state }, clock, 'apps');
}
