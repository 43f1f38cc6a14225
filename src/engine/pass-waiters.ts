/**
 * Waiting for the engine's next pass over one environment: the API answers an update only once
 * the engine has planned it, so the status in the answer (and the next GET, an `--wait`'s first
 * poll) already shows the steps the change moves instead of the Ready of the request before it.
 * Between the commit of a request and the engine's pass, the committed step files still match
 * what runs, and judging them alone would say Ready.
 */
import { systemClock, type Clock, type TimerHandle } from '../shared/index.js';

interface Waiter {
  resolve: () => void;
  timer: TimerHandle;
}

export class PassWaiters {
  /** Waiting for a pass that starts after them, by environment. */
  private readonly waiting = new Map<string, Waiter[]>();
  /** Taken by the pass under way; resolved when it ends. */
  private readonly armed = new Map<string, Waiter[]>();

  constructor(private readonly clock: Clock = systemClock) {}

  /**
   * Resolves when a pass over `name` that starts after this call has ended (whatever its outcome),
   * or after `timeoutMs` (a follower, or a stopped engine, makes no such pass soon). Enqueue the
   * environment after calling this.
   */
  next(name: string, timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const waiter: Waiter = {
        resolve: () => {
          this.clock.clearTimeout(waiter.timer);
          resolve();
        },
        timer: this.clock.setTimeout(() => {
          this.drop(name, waiter);
          resolve();
        }, timeoutMs),
      };
      this.waiting.set(name, [...(this.waiting.get(name) ?? []), waiter]);
    });
  }

  /** A pass over `name` starts: it answers the waiters registered before it. */
  started(name: string): void {
    const waiters = this.waiting.get(name);
    if (!waiters) return;
    this.waiting.delete(name);
    this.armed.set(name, [...(this.armed.get(name) ?? []), ...waiters]);
  }

  /** The pass over `name` ended. */
  ended(name: string): void {
    const waiters = this.armed.get(name);
    this.armed.delete(name);
    for (const waiter of waiters ?? []) waiter.resolve();
  }

  private drop(name: string, waiter: Waiter): void {
    for (const map of [this.waiting, this.armed]) {
      const left = (map.get(name) ?? []).filter((w) => w !== waiter);
      if (left.length > 0) map.set(name, left);
      else map.delete(name);
    }
  }
}
