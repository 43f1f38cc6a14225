/**
 * A simulated controller's work queue: src/shared's WorkQueue with controller-runtime's habits. Every
 * key runs at once (no worker limit: provider-terraform's is worker-slots.ts), the events of one turn
 * make one reconcile, a conflict is retried at once (someone wrote the object since it was read:
 * read it again and redo the work) up to five times, other errors back off from 100 ms to 10 s and
 * are logged, and `schedule` always goes through a timer, even for a delay of 0, so a controller
 * that asks for itself again at once still lets I/O in between.
 */
import type { Logger } from 'pino';
import { ConflictError, describeError } from '../core/index.js';
import { backoffDelay, WorkQueue } from '../shared/index.js';

export interface ReconcileQueueOptions {
  name: string;
  reconcile: (key: string) => Promise<void>;
  logger: Logger;
}

const CONFLICT_RETRIES_AT_ONCE = 5;
const ERROR_BACKOFF = { initialMs: 100, maxMs: 10_000 };

export class ReconcileQueue {
  private readonly queue: WorkQueue;

  constructor(options: ReconcileQueueOptions) {
    this.queue = new WorkQueue({
      concurrency: Infinity,
      startAfterTurn: true,
      process: options.reconcile,
      retryDelayMs: (failures, error) =>
        error instanceof ConflictError && failures <= CONFLICT_RETRIES_AT_ONCE
          ? 0
          : backoffDelay(ERROR_BACKOFF, failures),
      onError: (key, error, attempt, retryInMs) => {
        if (retryInMs === undefined || retryInMs === 0) return;
        options.logger.warn(
          { controller: options.name, key, attempt, retryInMs, err: describeError(error) },
          'reconcile failed; retrying',
        );
      },
    });
  }

  enqueue(key: string): void {
    this.queue.add(key);
  }

  /** Reconciles `key` after `delayMs`, unless an earlier timer for it is already set. */
  schedule(key: string, delayMs: number): void {
    // Node waits at least 1 ms for any timer; asking for that keeps a zero delay on a timer.
    this.queue.addAfter(key, Math.max(1, delayMs));
  }

  /** Forgets a key's timers and error count (its object is gone). */
  forget(key: string): void {
    this.queue.forget(key);
  }

  stop(): Promise<void> {
    return this.queue.stop();
  }

  /** Resolves when no reconcile is running (for tests and orderly shutdown). */
  idle(): Promise<void> {
    return this.queue.idle();
  }
}
