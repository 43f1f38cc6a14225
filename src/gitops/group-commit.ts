/**
 * Group commit: change sets that arrive while the repository is busy (another commit being
 * published) wait together and go into the next commit, in the order they were asked for, up to
 * MAX_BATCH. Each is whole in exactly one commit, and its caller learns its own outcome: a change
 * set that is refused fails alone, the others still land.
 *
 * The callers of a batch learn their outcomes only once the next batch has been handed to git
 * (setImmediate runs after the lock's hand-over and the next batch's synchronous part): what they
 * do next (a hundred reconcile passes resuming at once, in the engine bench's 100 databases
 * turning Available together) then runs while git writes the next commit, instead of before it
 * can start.
 */
import type { Outcome } from './plan.js';
import type { CommitResult, FileChange } from './types.js';

/** Most change sets one commit carries. */
export const MAX_BATCH = 200;

interface PendingCommit {
  change: FileChange;
  resolve: (result: CommitResult) => void;
  reject: (error: unknown) => void;
}

export class GroupCommit {
  private pending: PendingCommit[] = [];

  constructor(
    private readonly options: {
      /** Runs a batch when the repository is free (the instance's lock). */
      exclusive: (task: () => Promise<void>) => Promise<void>;
      /** Commits a batch: one outcome per change set, in order. */
      commit: (changes: FileChange[]) => Promise<Outcome[]>;
      /** The error each caller of a batch gets when `commit` throws (nothing of it landed). */
      failed: (error: unknown) => unknown;
      /**
       * Runs after each batch, still holding the repository, once its callers are on their way
       * (maintenance: they need not wait for it).
       */
      afterBatch?: () => Promise<void>;
      /** Only reached by a bug: a batch task that threw although commit's errors are caught. */
      unexpected: (error: unknown) => void;
      maxBatch?: number;
    },
  ) {}

  /** Change sets waiting for the next commit. */
  get waiting(): number {
    return this.pending.length;
  }

  /** Queues an already checked change set; settles once the commit that holds it is published. */
  submit(change: FileChange): Promise<CommitResult> {
    return new Promise<CommitResult>((resolve, reject) => {
      this.pending.push({ change, resolve, reject });
      if (this.pending.length === 1) this.scheduleFlush();
    });
  }

  private scheduleFlush(): void {
    void this.options
      .exclusive(async () => {
        const batch = this.pending.splice(0, this.options.maxBatch ?? MAX_BATCH);
        if (this.pending.length > 0) this.scheduleFlush();
        await this.commitBatch(batch);
        await this.options.afterBatch?.();
      })
      .catch((error: unknown) => this.options.unexpected(error));
  }

  private async commitBatch(batch: PendingCommit[]): Promise<void> {
    let outcomes: Outcome[];
    try {
      outcomes = await this.options.commit(batch.map((pending) => pending.change));
    } catch (error) {
      // failed() runs now: it marks the clone for a re-check before the next batch takes the lock.
      const failures = batch.map(() => this.options.failed(error));
      setImmediate(() => batch.forEach((pending, index) => pending.reject(failures[index])));
      return;
    }
    setImmediate(() =>
      outcomes.forEach((outcome, index) => {
        if ('error' in outcome) batch[index]!.reject(outcome.error);
        else batch[index]!.resolve(outcome.result);
      }),
    );
  }
}
