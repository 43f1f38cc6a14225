/**
 * A keyed work queue in the style of client-go's: a key is never processed by two workers at
 * once, adding a key that is queued is a no-op, adding one that is being processed runs it again
 * afterwards, and `addAfter` schedules a key (the earliest schedule wins). A run that throws is
 * retried after a backoff. The engine runs one pass per environment through it; the simulated
 * controllers, one reconcile per object (src/simulator/reconcile-queue.ts).
 *
 * A key added at `low` priority waits while keys added at normal priority are queued or running,
 * up to `lowMaxWaitMs`, as controller-runtime's priority queue lets the events that matter go
 * first. The adds it gets while it waits make one run, not one each: the engine gives an
 * environment's Argo CD Application updates (many, and rarely a reason to act) low priority, so a
 * burst of them waits while environments whose Workspaces turned Available commit.
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
  /** The longest a low-priority key waits for normal ones (default LOW_MAX_WAIT_MS). */
  lowMaxWaitMs?: number;
}

export type Priority = 'normal' | 'low';

/** See the file's comment. */
export const LOW_MAX_WAIT_MS = 250;

const DEFAULT_RETRY = { initialMs: 250, maxMs: 30_000 };

export class WorkQueue {
  private readonly queue: string[] = [];
  private readonly queued = new Set<string>();
  private readonly active = new Set<string>();
  /** Keys to run again after their run, with the highest priority they were added at meanwhile. */
  private readonly dirty = new Map<string, Priority>();
  /** Queued keys whose adds were all low priority, and since when they wait. */
  private readonly low = new Map<string, number>();
  /** Running keys that were started at low priority. */
  private readonly runningLow = new Set<string>();
  /** The timer that lets a waiting low-priority key start once it has waited long enough. */
  private lowTimer: TimerHandle | undefined;
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

  add(key: string, priority: Priority = 'normal'): void {
    if (this.stopped) return;
    if (this.active.has(key)) {
      if (this.dirty.get(key) !== 'normal') this.dirty.set(key, priority);
      return;
    }
    if (this.queued.has(key)) {
      if (priority === 'normal' && this.low.delete(key)) this.pump();
      return;
    }
    this.queued.add(key);
    this.queue.push(key);
    if (priority === 'low') this.low.set(key, this.clock.now());
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
    this.low.clear();
    if (this.lowTimer) this.clock.clearTimeout(this.lowTimer);
    this.lowTimer = undefined;
    return this.idle();
  }

  private pump(): void {
    const concurrency = Math.min(this.options.concurrency, ...this.yields);
    const maxWait = this.options.lowMaxWaitMs ?? LOW_MAX_WAIT_MS;
    while (!this.stopped && this.running < concurrency) {
      // Normal keys queued or running hold the low ones back, each up to maxWait.
      const normalBusy = this.running > this.runningLow.size || this.queue.length > this.low.size;
      const now = this.clock.now();
      const index = this.queue.findIndex(
        (k) => !this.active.has(k) && (!normalBusy || !this.low.has(k) || now - this.low.get(k)! >= maxWait),
      );
      if (index < 0) break;
      const [key] = this.queue.splice(index, 1) as [string];
      this.queued.delete(key);
      if (this.low.delete(key)) this.runningLow.add(key);
      this.active.add(key);
      this.running++;
      void this.run(key);
    }
    this.scheduleLowWake(maxWait);
    if (this.queue.length === 0 && this.running === 0) {
      for (const resolve of this.idleWaiters.splice(0)) resolve();
    }
  }

  /** While low keys wait, a timer for the first of them (the oldest: kept in the order added) to have waited maxWait. */
  private scheduleLowWake(maxWait: number): void {
    if (this.lowTimer || this.stopped) return;
    const oldest = this.low.values().next();
    if (oldest.done) return;
    this.lowTimer = this.clock.setTimeout(
      () => {
        this.lowTimer = undefined;
        this.pump();
      },
      Math.max(0, oldest.value + maxWait - this.clock.now()),
    );
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
      this.runningLow.delete(key);
      this.running--;
      const again = this.dirty.get(key);
      this.dirty.delete(key);
      if (again) this.add(key, again);
      this.pump();
    }
  }
}

/** What a piece of the engine may ask of the queue: look at a key again, now or later. */
export type Requeue = Pick<WorkQueue, 'add' | 'addAfter'>;
