/** Push retry policy: bounded attempts, exponential backoff with jitter. */
import { backoffDelay } from '../shared/index.js';

export interface RetryPolicy {
  /** Push attempts in all, the first included (≥ 1). */
  attempts: number;
  /** Delay before the second attempt; doubles with each further attempt. */
  baseDelayMs: number;
  /** Upper bound of any delay. */
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 8, baseDelayMs: 100, maxDelayMs: 5_000 };

/**
 * The wait after failed attempt `attempt` (1-based): "equal jitter", i.e. half the exponential
 * delay plus a random share of the other half, so writers that collided spread out but none waits
 * less than half its step.
 */
export function retryDelay(policy: RetryPolicy, attempt: number, random: () => number = Math.random): number {
  const exponential = backoffDelay({ initialMs: policy.baseDelayMs, maxMs: policy.maxDelayMs }, attempt);
  return Math.round(exponential / 2 + random() * (exponential / 2));
}

export function retryProblems(
  retry: Partial<RetryPolicy> | undefined,
): Array<{ path: string; message: string }> {
  if (!retry) return [];
  const problems: Array<{ path: string; message: string }> = [];
  if (retry.attempts !== undefined && (!Number.isInteger(retry.attempts) || retry.attempts < 1)) {
    problems.push({ path: '/retry/attempts', message: 'must be an integer ≥ 1' });
  }
  for (const key of ['baseDelayMs', 'maxDelayMs'] as const) {
    const value = retry[key];
    if (value !== undefined && (!Number.isFinite(value) || value < 0)) {
      problems.push({ path: `/retry/${key}`, message: 'must be a number ≥ 0' });
    }
  }
  return problems;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
