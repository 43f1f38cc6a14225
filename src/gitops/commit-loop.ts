/**
 * The compare-and-swap loop of a commit, apart from how commits are written. The change sets are
 * planned on the head the target last saw (see plan.ts); the target writes the commit and moves
 * the branch only if it still points at that head (a push, or fast-import under the ref lock). A
 * branch that moved means another writer got there first: the change sets are planned again on
 * its new head (our files are desired state, so they win over what the other writer put there;
 * its commit stays in history) and published again, with backoff, up to `retry.attempts`.
 * GitRepo and the in-memory twin of the tests both run this loop.
 */
import type { EnvcatError } from '../core/index.js';
import type { GitOpsLogger } from './options.js';
import {
  outcomesOf,
  planChanges,
  plannedTree,
  type ObjectFormat,
  type Outcome,
  type Plan,
  type Tree,
} from './plan.js';
import { retryDelay, sleep, type RetryPolicy } from './retry.js';
import type { CommitInfo, FileChange, RepoName } from './types.js';

export type PushOutcome = { ok: true } | { ok: false; reason: string };

export interface CommitTarget {
  readonly repo: RepoName;
  readonly retry: RetryPolicy;
  readonly logger: GitOpsLogger;
  /** Fields naming the repository in every log record. */
  readonly logFields: Record<string, unknown>;
  /** How blob ids are computed; asked at each plan (known once the repository is open). */
  objectFormat(): ObjectFormat;
  /** The tree of the head as of the last fetch or publish, when it may be the base without fetching. */
  cachedBase(): Tree | undefined;
  /** Fetches, and loads the tree of the branch head. */
  refresh(): Promise<Tree>;
  /**
   * Writes the commit of `plan` on `base` and moves the branch to it unless the branch moved since
   * `base`; once moved, the commit as `log` lists it, if the target can tell.
   */
  publish(base: Tree, plan: Plan): Promise<{ sha: string; pushed: PushOutcome; commit?: CommitInfo }>;
  /** The branch now points at `tree.head`, which holds `changes` change sets. */
  published(options: { tree: Tree; attempts: number; changes: number }): Promise<void>;
  /** After a rejection, before waiting to try again. */
  beforeRetry?(reason: string): Promise<void>;
  /** The error once the last attempt was rejected too. */
  gaveUp(options: { attempts: number; reason: string }): EnvcatError;
}

/** Commits `changes` (one batch) on the target's branch: one outcome per change set, in order. */
export async function commitWithRetry(
  changes: readonly FileChange[],
  target: CommitTarget,
): Promise<Outcome[]> {
  const { logger, logFields } = target;
  const plan = (base: Tree) =>
    planChanges({ changes, base, repo: target.repo, objectFormat: target.objectFormat() });
  const cached = target.cachedBase();
  let base = cached ?? (await target.refresh());
  let current = plan(base);
  if (current.changed.size === 0 && cached) {
    // Nothing changed against what we last saw; the remote may have moved, so check against it.
    base = await target.refresh();
    current = plan(base);
  }
  const finish = (attempts: number, sha: string, commit?: CommitInfo) =>
    outcomesOf({ plan: current, base, sha, attempts, ...(commit ? { commit } : {}) });
  if (current.changed.size === 0) {
    logger.debug({ ...logFields, sha: base.head }, 'nothing to commit');
    return finish(0, base.head);
  }
  let { sha, pushed, commit } = await target.publish(base, current);
  for (let attempt = 1; ; attempt++) {
    if (pushed.ok) {
      await target.published({
        tree: plannedTree(current, sha),
        attempts: attempt,
        changes: current.effective.filter(Boolean).length,
      });
      return finish(attempt, sha, commit);
    }
    if (attempt >= target.retry.attempts) {
      logger.error(
        { ...logFields, sha, attempts: attempt, reason: pushed.reason },
        'commit not published after the last attempt',
      );
      throw target.gaveUp({ attempts: attempt, reason: pushed.reason });
    }
    await target.beforeRetry?.(pushed.reason);
    const delayMs = retryDelay(target.retry, attempt);
    logger.warn(
      { ...logFields, sha, attempt, reason: pushed.reason, delayMs },
      'commit rejected, applying the change sets again on the remote head and retrying',
    );
    await sleep(delayMs);
    base = await target.refresh();
    current = plan(base);
    if (current.changed.size === 0) {
      logger.info(
        { ...logFields, sha: base.head, attempts: attempt },
        'the remote head already holds the change',
      );
      return finish(attempt, base.head);
    }
    ({ sha, pushed, commit } = await target.publish(base, current));
  }
}
