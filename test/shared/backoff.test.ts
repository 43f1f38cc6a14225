/** Bounded exponential backoff, as the informers, the work queues and the Git push retries use it. */
import { backoffDelay } from '../../src/shared/index.js';

describe('backoffDelay', () => {
  it.each([
    [1, 20],
    [2, 40],
    [4, 160],
    [5, 200],
    [100, 200],
    [0, 20],
  ])('GIVEN failure %i THEN the delay is %i ms', (failures, delay) => {
    expect(backoffDelay({ initialMs: 20, maxMs: 200 }, failures)).toBe(delay);
  });
});
