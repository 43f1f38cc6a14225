/** Time as timers see it, injected so that a test can drive it (test/engine/fake-clock.ts). */
export interface Clock {
  now(): number;
  /** Runs `callback` once after `ms`; a pending timer does not keep the process alive. */
  setTimeout(callback: () => void, ms: number): TimerHandle;
  clearTimeout(timer: TimerHandle): void;
}

/** A timer of a Clock: only the clock that made it knows what it is. */
export type TimerHandle = { readonly timer: unknown };

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => {
    const timer = setTimeout(callback, ms);
    timer.unref();
    return { timer };
  },
  clearTimeout: (handle) => clearTimeout(handle.timer as NodeJS.Timeout),
};
