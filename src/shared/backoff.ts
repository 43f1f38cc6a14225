/** Bounded exponential backoff: the delay doubles with each consecutive failure, up to a bound. */
export interface Backoff {
  /** The delay after the first failure. */
  initialMs: number;
  /** Upper bound of any delay. */
  maxMs: number;
}

/** The delay after `failures` consecutive failures (1 for the first): initialMs · 2^(failures − 1), at most maxMs. */
export function backoffDelay(backoff: Backoff, failures: number): number {
  const doublings = Math.min(Math.max(0, failures - 1), 30);
  return Math.min(backoff.maxMs, backoff.initialMs * 2 ** doublings);
}
