/**
 * The controllers' work queue (controller-runtime semantics, in-process): one reconcile per key at
 * a time, a key enqueued while it runs runs again afterwards, timers per key for "requeue after",
 * exponential backoff on errors (a conflict retries at once), and a stop that cancels every timer
 * and waits for the reconciles under way.
 */
import type { Logger } from 'pino';
import { ConflictError, describeError } from '../core/index.js';

export interface ReconcileQueueOptions {
  name: string;
  reconcile: (key: string) => Promise<void>;
  logger: Logger;
  /** First retry delay after an error; doubles up to maxBackoffMs. */
  baseBackoffMs?: number;
  maxBackoffMs?: number;
}

export class ReconcileQueue {
  private readonly running = new Map<string, Promise<void>>();
  private readonly dirty = new Set<string>();
  private readonly timers = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  private readonly failures = new Map<string, number>();
  private stopped = false;

  constructor(private readonly options: ReconcileQueueOptions) {}

  enqueue(key: string): void {
    if (this.stopped) return;
    if (this.running.has(key)) {
      this.dirty.add(key);
      return;
    }
    const run = this.run(key);
    this.running.set(key, run);
  }

  /** Reconciles `key` after `delayMs`, unless an earlier timer for it is already set. */
  schedule(key: string, delayMs: number): void {
    if (this.stopped) return;
    const at = Date.now() + Math.max(0, delayMs);
    const existing = this.timers.get(key);
    if (existing && existing.at <= at) return;
    if (existing) clearTimeout(existing.timer);
    const timer = setTimeout(() => {
      this.timers.delete(key);
      this.enqueue(key);
    }, at - Date.now());
    timer.unref?.();
    this.timers.set(key, { at, timer });
  }

  /** Forgets a key's timers and error count (its object is gone). */
  forget(key: string): void {
    const existing = this.timers.get(key);
    if (existing) clearTimeout(existing.timer);
    this.timers.delete(key);
    this.failures.delete(key);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const { timer } of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    this.dirty.clear();
    await Promise.allSettled([...this.running.values()]);
  }

  /** Resolves when no reconcile is running (for tests and orderly shutdown). */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running.values()]);
  }

  private async run(key: string): Promise<void> {
    // Let the caller finish its turn first: several events for one key coalesce into one run.
    await Promise.resolve();
    try {
      for (;;) {
        this.dirty.delete(key);
        try {
          await this.options.reconcile(key);
          this.failures.delete(key);
        } catch (error) {
          if (this.stopped) return;
          this.retryAfterError(key, error);
        }
        if (this.stopped || !this.dirty.has(key)) return;
      }
    } finally {
      this.running.delete(key);
    }
  }

  private retryAfterError(key: string, error: unknown): void {
    const failures = (this.failures.get(key) ?? 0) + 1;
    this.failures.set(key, failures);
    if (error instanceof ConflictError && failures <= 5) {
      // Someone else wrote the object since it was read: read it again and redo the work.
      this.dirty.add(key);
      return;
    }
    const base = this.options.baseBackoffMs ?? 100;
    const delay = Math.min(this.options.maxBackoffMs ?? 10_000, base * 2 ** (failures - 1));
    this.options.logger.warn(
      { controller: this.options.name, key, attempt: failures, retryInMs: delay, err: describeError(error) },
      'reconcile failed; retrying',
    );
    this.schedule(key, delay);
  }
}
