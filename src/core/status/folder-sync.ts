/**
 * The Application of an environment's folder (`envcat-<repo>-<env>`, which the bootstrap
 * ApplicationSets generate) whose automated sync failed for good. Argo CD does not sync a revision
 * again by itself after a failed automated sync to it, and a refresh does not change that (argo-cd
 * controller/appcontroller.go autoSync, alreadyAttemptedSync: "Failed last sync attempt to …");
 * only a new revision or a requested operation does. An environment waiting for that folder (a
 * Workspace to appear or to be pruned, a child Application to go) would wait forever, as after an
 * API server outage longer than Argo CD's retries. Decided here, from the Application as the
 * engine's cache has it: whether envcat asks for a new sync now (as `argocd app sync` does), with a
 * bounded backoff between its asks, and what the status says meanwhile. Pure: the engine keeps the
 * asks and sends the request.
 */
import { environmentDir, type Repo } from '../layout/index.js';
import { formatDuration, syncFailedForGood, type SyncOperationState } from './judge.js';
import type { ObservedObject, StepState } from './index.js';

/** The reason of a committed step that waits on a folder Application whose sync failed for good. */
export const FOLDER_SYNC_FAILED_REASON = 'FolderSyncFailed';

/** The delays between envcat's asks for a new sync of one folder Application: 30 s, doubling, at most 5 min. */
export const FOLDER_RESYNC_BACKOFF = { initialMs: 30_000, maxMs: 300_000 } as const;

/** envcat's asks for a new sync of one folder Application since it last synced (the engine keeps them). */
export interface FolderResyncAsks {
  /** How many (the last one is attempt `count`). */
  count: number;
  /** When the last one was sent (ms since the epoch). */
  lastAt: number;
  /** What Argo CD said of the sync that failed before the last ask. */
  failure: string;
}

export type FolderSync =
  /**
   * Nothing to ask: no final failure at a revision that holds what the environment waits for.
   * `synced`: the last operation succeeded (the asks can be forgotten).
   */
  | { kind: 'none'; synced: boolean }
  /** The last sync failed for good at a revision that holds what the environment waits for. */
  | {
      kind: 'failed';
      /** Argo CD's message, with the folder it is about. */
      failure: string;
      /** The number of the ask that is due next. */
      attempt: number;
      /** Whether to ask now; else at `nextAt`. */
      due: boolean;
      nextAt: number;
      message: string;
    }
  /** envcat asked for a new sync and an operation is requested or running. */
  | { kind: 'resyncing'; attempt: number; message: string };

interface FolderApplication extends ObservedObject {
  /** Set while an operation is requested (argocd app sync, or Argo CD's automated sync starting one). */
  operation?: unknown;
}

/** The revision an operation synced (its result), or was asked to sync. */
function revisionOf(operation: SyncOperationState): string | undefined {
  return operation.syncResult?.revision || operation.operation?.sync?.revision || undefined;
}

/**
 * What the folder Application of `repo` for `environment` says, and whether envcat asks for a new
 * sync now. Asked only when its last sync failed for good at a revision that `holds` the
 * environment's commit being waited for (at an older one, Argo CD syncs the newer revision by
 * itself once it reads Git), never while an operation is requested or running (Argo CD refuses a
 * second: ErrAnotherOperationInProgress), the first time at once, then `delayAfter(n)` after the
 * n-th ask (FOLDER_RESYNC_BACKOFF through src/shared's backoff).
 */
export function folderSync(args: {
  environment: string;
  repo: Repo;
  /** The folder Application as the engine's cache has it. */
  application: FolderApplication | undefined;
  holds: (revision: string) => boolean;
  asks: FolderResyncAsks | undefined;
  now: number;
  delayAfter: (asks: number) => number;
}): FolderSync {
  const { application, asks } = args;
  // Being deleted (its folder left Git): its finalizer prunes, no sync does.
  if (!application || application.metadata.deletionTimestamp) return { kind: 'none', synced: false };
  const operation = (application.status as { operationState?: SyncOperationState } | undefined)
    ?.operationState;
  const folder = `${environmentDir(args.environment)} in the ${args.repo} repo`;
  const requested = application.operation !== undefined && application.operation !== null;
  if (requested || operation?.phase === 'Running' || operation?.phase === 'Terminating') {
    if (!asks) return { kind: 'none', synced: false };
    return {
      kind: 'resyncing',
      attempt: asks.count,
      message: `${asks.failure}; envcat asked for a new sync (attempt ${asks.count}, under way)`,
    };
  }
  if (operation?.phase === 'Succeeded') return { kind: 'none', synced: true };
  if (!syncFailedForGood(operation)) return { kind: 'none', synced: false };
  const revision = revisionOf(operation);
  if (revision === undefined || !args.holds(revision)) return { kind: 'none', synced: false };
  // Argo CD's messages end in a full stop ("… (retried 5 times)."); this one goes on.
  const failure = `Argo CD's sync of ${folder} failed: ${(operation.message || operation.phase).replace(/\.$/, '')}`;
  const nextAt = asks ? asks.lastAt + args.delayAfter(asks.count) : args.now;
  return {
    kind: 'failed',
    failure,
    attempt: (asks?.count ?? 0) + 1,
    due: args.now >= nextAt,
    nextAt,
    message: asks
      ? `${failure}; envcat asked for a new sync (attempt ${asks.count}, next in ${formatDuration(args.delayAfter(asks.count))})`
      : `${failure}; envcat asks for a new sync`,
  };
}

/** Reasons of a committed step Argo CD has not caught up with: not applied, or at an older revision or source. */
export const NOT_CAUGHT_UP_REASONS: ReadonlySet<string> = new Set([
  'NotApplied',
  'OutdatedRevision',
  'OutdatedSource',
]);

/**
 * A committed step that waits for Argo CD to apply its folder, while the folder's sync failed for
 * good: it says so, and what envcat does about it, instead of "not in the cluster yet". Still
 * Progressing (envcat asks for a new sync); the step's timeout still applies (a timed-out step is
 * Failed already, and stays so).
 */
export function waitingOnFolder(state: StepState, folder: FolderSync | undefined): StepState {
  if (!folder || folder.kind === 'none' || !NOT_CAUGHT_UP_REASONS.has(state.reason)) return state;
  return { phase: 'Progressing', reason: FOLDER_SYNC_FAILED_REASON, message: folder.message };
}
