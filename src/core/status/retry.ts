/**
 * Retry: `envcat env retry` records when it was asked in the committed request
 * (`envcat.io/retry-at`), so graces and timeouts count from it after a restart too, and the engine
 * asks each controller to try again once per retry, marking the object it asked
 * (`envcat.io/retried-at`). What to ask is decided here, from the observed object.
 */
import type { StepState } from './index.js';
import type { Part } from '../plan/index.js';
import { ANNOTATION } from '../layout/index.js';

/** On the Environment (environment.yaml): when a retry was last asked for (an ISO time). */
export const RETRY_AT_ANNOTATION = ANNOTATION.retryAt;
/** On a Workspace or Application: the retry it has been asked to run (the value of retry-at). */
export const RETRIED_AT_ANNOTATION = ANNOTATION.retriedAt;

/** The retry time of an annotation value, or undefined when absent or not a time. */
export function retryTime(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}

export type RetryNudge =
  /** Nothing to ask (no retry, already asked, nothing failed). */
  | { kind: 'none' }
  /**
   * Mark the object: for a Workspace, a changed annotation makes provider-terraform reconcile now
   * (crossplane-runtime pkg/resource/predicates.go DesiredStateChanged: AnnotationChangedPredicate);
   * for an Application, with a refresh (`argocd.argoproj.io/refresh`).
   */
  | { kind: 'annotate' }
  /**
   * Start a new sync operation as `argocd app sync` does (argo-cd server/application/application.go
   * Sync → util/argo/argo.go SetAppOperation: `operation` set, `status.operationState` cleared),
   * and mark and refresh the Application.
   */
  | { kind: 'sync' };

/**
 * What to ask of a step's object for the environment's last retry. Only a step that has not been
 * asked for this retry yet, whose object is there and is not Ready, is asked; an Application whose
 * last sync failed (or whose workload is Degraded) gets a new sync, unless an operation is under
 * way (Argo CD refuses a second one: ErrAnotherOperationInProgress).
 */
export function retryNudge(args: {
  part: Part;
  /** The Environment's retry-at annotation. */
  retryAt: string | undefined;
  /** The object's retried-at annotation; undefined when there is no object. */
  retried: string | undefined;
  exists: boolean;
  /** The step as judged without a clock. */
  state: StepState;
  /** An Application's `operation` is set (an operation is requested or running). */
  operationInProgress?: boolean;
}): RetryNudge {
  if (args.retryAt === undefined || !args.exists || args.retried === args.retryAt) return { kind: 'none' };
  if (args.state.phase === 'Ready' || args.state.phase === 'Deleting') return { kind: 'none' };
  if (args.part === 'infra') return { kind: 'annotate' };
  const syncFailed = /^Sync(Failed|Error)$|^Degraded$|^SyncRetrying$/.test(args.state.reason);
  return syncFailed && !args.operationInProgress ? { kind: 'sync' } : { kind: 'annotate' };
}

/** Who envcat's sync operations are initiated by (`operation.initiatedBy.username`). */
export const SYNC_INITIATOR = 'envcat';

/**
 * The merge patch that starts a new sync operation of an Application, as `argocd app sync` does
 * (argo-cd server/application/application.go Sync → util/argo/argo.go SetAppOperation): `operation`
 * set to sync the Application's target revision with its automated policy's prune, its sync options
 * and its retry policy, and `status.operationState` cleared. Argo CD refuses it while another
 * operation is set (ErrAnotherOperationInProgress): the caller checks that first.
 */
export function newSyncOperation(spec: unknown): {
  operation: Record<string, unknown>;
  status: { operationState: null };
} {
  const { source, syncPolicy } = (spec ?? {}) as {
    source?: { targetRevision?: string };
    syncPolicy?: { retry?: unknown; automated?: { prune?: boolean }; syncOptions?: string[] };
  };
  return {
    operation: {
      sync: {
        revision: source?.targetRevision ?? 'HEAD',
        ...(syncPolicy?.automated?.prune ? { prune: true } : {}),
        ...(syncPolicy?.syncOptions ? { syncOptions: syncPolicy.syncOptions } : {}),
      },
      initiatedBy: { username: SYNC_INITIATOR },
      ...(syncPolicy?.retry ? { retry: syncPolicy.retry } : {}),
    },
    status: { operationState: null },
  };
}
