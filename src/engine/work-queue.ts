/**
 * A keyed work queue in the style of client-go's: a key is never processed by two workers at
 * once, adding a key that is queued is a no-op, adding one that is being processed runs it again
 * afterwards, and `addAfter` schedules a key (the earliest schedule wins).
 */
import { systemClock, type Clock, type TimerHandle } from './clock.js';

export interface WorkQueueOptions {
  concurrency: number;
  process: (key: string) => Promise<void>;
  /** Called when `process` throws; the key is retried after `retryDelayMs(attempt)`. */
  onError: (key: string, error: unknown, attempt: number) => void;
  retryDelayMs?: (attempt: number) => number;
  /** The timers of addAfter and of retries (default: the system's). */
  clock?: Clock;
}

export class WorkQueue {
  private readonly queue: string[] = [];
  private readonly queued = new Set<string>();
  private readonly active = new Set<string>();
  private readonly dirty = new Set<string>();
  private readonly timers = new Map<string, { at: number; timer: TimerHandle }>();
  private readonly attempts = new Map<string, number>();
  private readonly idleWaiters: Array<() => void> = [];
  private running = 0;
  private stopped = false;
  private readonly clock: Clock;

  constructor(private readonly options: WorkQueueOptions) {
    this.clock = options.clock ?? systemClock;
  }

  add(key: string): void {
    if (this.stopped) return;
    if (this.active.has(key)) {
      this.dirty.add(key);
      return;
    }
    if (this.queued.has(key)) return;
    this.queued.add(key);
    this.queue.push(key);
    this.pump();
  }

  addAfter(key: string, delayMs: number): void {
    if (this.stopped) return;
    if (delayMs <= 0) return this.add(key);
    const at = this.clock.now() + delayMs;
    const existing = this.timers.get(key);
    if (existing && existing.at <= at) return;
    if (existing) this.clock.clearTimeout(existing.timer);
    const timer = this.clock.setTimeout(() => {
      this.timers.delete(key);
      this.add(key);
    }, delayMs);
    this.timers.set(key, { at, timer });
  }

  get length(): number {
    return this.queue.length + this.running;
  }

  /** Resolves when nothing is queued or running (scheduled keys do not count). */
  idle(): Promise<void> {
    if (this.queue.length === 0 && this.running === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  stop(): void {
    this.stopped = true;
    for (const { timer } of this.timers.values()) this.clock.clearTimeout(timer);
    this.timers.clear();
    this.queue.length = 0;
    this.queued.clear();
  }

  private pump(): void {
    while (!this.stopped && this.running < this.options.concurrency) {
      const index = this.queue.findIndex((k) => !this.active.has(k));
      if (index < 0) break;
      const [key] = this.queue.splice(index, 1) as [string];
      this.queued.delete(key);
      this.active.add(key);
      this.running++;
      void this.run(key);
    }
    if (this.queue.length === 0 && this.running === 0) {
      for (const resolve of this.idleWaiters.splice(0)) resolve();
    }
  }

  private async run(key: string): Promise<void> {
    try {
      await this.options.process(key);
      this.attempts.delete(key);
    } catch (error) {
      const attempt = (this.attempts.get(key) ?? 0) + 1;
      this.attempts.set(key, attempt);
      this.options.onError(key, error, attempt);
      const delay = this.options.retryDelayMs?.(attempt) ?? Math.min(30_000, 250 * 2 ** (attempt - 1));
      this.addAfter(key, delay);
    } finally {
      this.active.delete(key);
      this.running--;
      if (this.dirty.delete(key)) this.add(key);
      this.pump();
    }
  }
}

/** What a piece of the engine may ask of the queue: look at a key again, now or later. */
export type Requeue = Pick<WorkQueue, 'add' | 'addAfter'>;
