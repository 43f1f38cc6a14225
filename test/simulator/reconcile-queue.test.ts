/** A simulated controller's queue: conflicts retried at once and quietly, other errors logged and backed off. */
import { jest } from '@jest/globals';
import pino from 'pino';
import { ConflictError } from '../../src/core/errors/index.js';
import { ReconcileQueue } from '../../src/simulator/reconcile-queue.js';

function setup(reconcile: (key: string) => Promise<void>) {
  const warnings: unknown[] = [];
  const logger = pino({ level: 'warn' }, { write: (line: string) => void warnings.push(JSON.parse(line)) });
  const queue = new ReconcileQueue({ name: 'test-controller', reconcile, logger });
  return { queue, warnings };
}

describe('ReconcileQueue', () => {
  it('GIVEN a reconcile that meets a conflict THEN it runs again at once and nothing is logged', async () => {
    let calls = 0;
    const { queue, warnings } = setup(async () => {
      if (++calls <= 2) throw new ConflictError('the object has been modified');
    });
    queue.enqueue('a');
    await new Promise((resolve) => setTimeout(resolve, 20));
    await queue.idle();

    expect(calls).toBe(3);
    expect(warnings).toEqual([]);
    await queue.stop();
  });

  it('GIVEN a reconcile that keeps failing THEN each failure is logged with its retry delay, doubling from 100 ms', async () => {
    const { queue, warnings } = setup(async () => {
      throw new Error('boom');
    });
    queue.enqueue('a');
    for (const deadline = Date.now() + 5_000; warnings.length < 2 && Date.now() < deadline;)
      await new Promise((resolve) => setTimeout(resolve, 10));
    await queue.stop();

    expect(warnings.slice(0, 2)).toEqual([
      expect.objectContaining({ controller: 'test-controller', key: 'a', attempt: 1, retryInMs: 100 }),
      expect.objectContaining({
        attempt: 2,
        retryInMs: 200,
        err: expect.objectContaining({ name: 'Error', message: 'boom' }),
      }),
    ]);
  });

  it('GIVEN schedule with a delay of 0 THEN the reconcile waits for a timer, not only for the current turn', async () => {
    const reconcile = jest.fn(async () => {});
    const { queue } = setup(reconcile);
    queue.schedule('a', 0);
    await Promise.resolve();
    await Promise.resolve();
    expect(reconcile).not.toHaveBeenCalled();

    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(reconcile).toHaveBeenCalledWith('a');
    await queue.stop();
  });
});
