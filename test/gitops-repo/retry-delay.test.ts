/** The wait between Git push attempts: the shared exponential backoff, with equal jitter on top. */
import { retryDelay } from '../../src/gitops/retry.js';

describe('the Git push retry: equal jitter on top', () => {
  const policy = { attempts: 8, baseDelayMs: 100, maxDelayMs: 5_000 };

  it.each([
    [1, 0, 50],
    [1, 1, 100],
    [3, 0.5, 300],
    [10, 0, 2_500],
    [10, 1, 5_000],
  ])('GIVEN attempt %i and a random draw of %d THEN it waits %i ms', (attempt, draw, delay) => {
    expect(retryDelay(policy, attempt, () => draw)).toBe(delay);
  });
});
