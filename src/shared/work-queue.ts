/**
 * A keyed work queue in the style of client-go's: a key is never processed by two workers at
 * once, adding a key that is queued is a no-op, adding one that is being processed runs it again
 * afterwards, and `addAfter` schedules a key (the earliest schedule wins). A run that throws is
 * retried after a backoff. The engine runs one pass per environment through it; the simulated
 * controllers, one reconcile per object (src/simulator/reconcile-queue.ts).
 */
import { backoffDelay } from './backoff.js';
import { systemClock, type Clock, type TimerHandle } from './clock.js';

export interface WorkQueueOptions {
  /** How many keys run at once (Infinity: every key that is not running already). */
  concurrency: number;
  process: (key: string) => Promise<void>;
  /**
   * Called when `process` throws. `retryInMs` is when the key runs again (0: as soon as this run
   * ends), or undefined when the queue was stopped and it will not.
   */
  onError: (key: string, error: unknown, attempt: number, retryInMs: number | undefined) => void;
  /** The delay before retry number `attempt` (1 for the first failure); default 250 ms doubling to 30 s. */
  retryDelayMs?: (attempt: number, error: unknown) => number;
  /**
   * Start a key's run once the caller's turn is over rather than inside `add`: every add of one
   * turn (the events of one watch chunk, say) then makes one run, not one run and a rerun.
   */
  startAfterTurn?: boolean;
  /** The timers of addAfter and of retries (default: the system's). */
  clock?: Clock;
}

const DEFAULT_RETRY = { initialMs: 250, maxMs: 30_000 };

export class WorkQueue {
  private readonly queue: string[] = [];
  private readonly queued = new Set<string>();
  private readonly active = new Set<string>();
  private readonly dirty = new Set<string>();
  private readonly timers = new Map<string, { at: number; timer: TimerHandle }>();
  private readonly attempts = new Map<string, number>();
  private readonly idleWaiters: Array<() => void> = [];
  private running = 0;
  /** The lower limits on concurrency in force now (yieldTo), one per holder. */
  private readonly yields: number[] = [];
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

  /** Drops a key's schedule and its failure count (its object is gone); a run under way ends as it would. */
  forget(key: string): void {
    const existing = this.timers.get(key);
    if (existing) this.clock.clearTimeout(existing.timer);
    this.timers.delete(key);
    this.attempts.delete(key);
  }

  get length(): number {
    return this.queue.length + this.running;
  }

  /**
   * Until the returned release is called, at most `concurrency` keys start running at once; runs
   * under way go on, and a key added meanwhile waits its turn. Another kind of work gets the
   * seats: the engine's passes give way to API requests under way, as the Kubernetes API server's
   * priority levels share its seats (a lower level gets fewer, never none).
   */
  yieldTo(concurrency: number): () => void {
    this.yields.push(Math.max(1, concurrency));
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.yields.splice(this.yields.indexOf(Math.max(1, concurrency)), 1);
      this.pump();
    };
  }

  /** Resolves when nothing is queued or running (scheduled keys do not count). */
  idle(): Promise<void> {
    if (this.queue.length === 0 && this.running === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Runs nothing more and drops every schedule; resolves once the runs under way have ended. */
  stop(): Promise<void> {
    this.stopped = true;
    for (const { timer } of this.timers.values()) this.clock.clearTimeout(timer);
    this.timers.clear();
    this.queue.length = 0;
    this.queued.clear();
    this.dirty.clear();
    return this.idle();
  }

  private pump(): void {
    const concurrency = Math.min(this.options.concurrency, ...this.yields);
    while (!this.stopped && this.running < concurrency) {
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
      if (this.options.startAfterTurn) {
        await Promise.resolve();
        // What was added meanwhile is seen by this run.
        this.dirty.delete(key);
      }
      await this.options.process(key);
      this.attempts.delete(key);
    } catch (error) {
      const attempt = (this.attempts.get(key) ?? 0) + 1;
      this.attempts.set(key, attempt);
      const retryInMs = this.stopped
        ? undefined
        : (this.options.retryDelayMs?.(attempt, error) ?? backoffDelay(DEFAULT_RETRY, attempt));
      this.options.onError(key, error, attempt, retryInMs);
      if (retryInMs !== undefined) this.addAfter(key, retryInMs);
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
