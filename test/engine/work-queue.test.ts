/** The keyed work queue, on a fake clock: dedup, one worker per key, schedules, retries, stop. */
import { WorkQueue, type WorkQueueOptions } from '../../src/engine/work-queue.js';
import { FakeClock } from './fake-clock.js';

/** A process function whose runs the test finishes by hand. */
function manualProcess() {
  const runs: Array<{ key: string; finish: () => void; fail: (error: Error) => void }> = [];
  const process = (key: string) =>
    new Promise<void>((resolve, reject) => runs.push({ key, finish: resolve, fail: reject }));
  return { runs, process };
}

const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

function setup(options: Partial<WorkQueueOptions> = {}) {
  const clock = new FakeClock();
  const { runs, process } = manualProcess();
  const errors: Array<{ key: string; attempt: number }> = [];
  const queue = new WorkQueue({
    concurrency: 2,
    process,
    onError: (key, _error, attempt) => errors.push({ key, attempt }),
    clock,
    ...options,
  });
  return { clock, queue, runs, errors };
}

describe('WorkQueue', () => {
  it('runs a key added twice while queued once', async () => {
    const { queue, runs } = setup({ concurrency: 1 });
    // GIVEN a busy worker
    queue.add('a');
    // WHEN b is added twice while it waits
    queue.add('b');
    queue.add('b');
    runs[0]!.finish();
    await settle();
    // THEN b runs once
    expect(runs.map((r) => r.key)).toEqual(['a', 'b']);
    runs[1]!.finish();
    await queue.idle();
    expect(runs).toHaveLength(2);
  });

  it('never gives a key to two workers, and runs it again after when added meanwhile', async () => {
    const { queue, runs } = setup({ concurrency: 2 });
    queue.add('a');
    // WHEN a is added while it runs (twice)
    queue.add('a');
    queue.add('a');
    await settle();
    // THEN the second worker does not take it
    expect(runs.map((r) => r.key)).toEqual(['a']);
    // THEN it runs once more after the first run
    runs[0]!.finish();
    await settle();
    expect(runs.map((r) => r.key)).toEqual(['a', 'a']);
    runs[1]!.finish();
    await queue.idle();
    expect(runs).toHaveLength(2);
  });

  it('keeps at most `concurrency` keys running', async () => {
    const { queue, runs } = setup({ concurrency: 2 });
    for (const key of ['a', 'b', 'c']) queue.add(key);
    expect(queue.length).toBe(3);
    expect(runs.map((r) => r.key)).toEqual(['a', 'b']);
    runs[1]!.finish();
    await settle();
    expect(runs.map((r) => r.key)).toEqual(['a', 'b', 'c']);
  });

  it.each([
    ['the earlier of two schedules wins', [5_000, 1_000], 1_000],
    ['a later schedule does not delay an earlier one', [1_000, 5_000], 1_000],
    ['a delay of zero adds now', [0], 0],
    ['a negative delay adds now', [-10], 0],
  ])('%s', async (_name, delays, firesAfter) => {
    const { clock, queue, runs } = setup();
    // WHEN the key is scheduled with these delays
    for (const delay of delays) queue.addAfter('a', delay);
    // THEN it is not run a moment before the earliest one
    if (firesAfter > 0) {
      clock.advance(firesAfter - 1);
      expect(runs).toHaveLength(0);
      clock.advance(1);
    }
    expect(runs.map((r) => r.key)).toEqual(['a']);
    // THEN only one timer was left behind for it, and none remains
    expect(clock.pending()).toEqual([]);
  });

  it.each([
    [1, 250],
    [2, 500],
    [3, 1_000],
    [8, 30_000],
  ])('retries a failed key; after failure %i it waits %i ms', async (failures, lastDelay) => {
    const { clock, queue, runs, errors } = setup();
    queue.add('a');
    for (let attempt = 1; attempt <= failures; attempt++) {
      // WHEN the run fails
      runs.at(-1)!.fail(new Error('boom'));
      await settle();
      expect(errors.at(-1)).toEqual({ key: 'a', attempt });
      if (attempt < failures) clock.advance(clock.pending()[0]!);
    }
    // THEN the retry waits the backoff of the last attempt (capped at 30 s)
    expect(clock.pending()).toEqual([lastDelay]);
    clock.advance(lastDelay);
    expect(runs).toHaveLength(failures + 1);
    // THEN a success resets the count: the next failure is attempt 1 again
    runs.at(-1)!.finish();
    await settle();
    queue.add('a');
    runs.at(-1)!.fail(new Error('again'));
    await settle();
    expect(errors.at(-1)).toEqual({ key: 'a', attempt: 1 });
  });

  it('takes the retry delay it is given', async () => {
    const { clock, queue, runs } = setup({ retryDelayMs: (attempt) => attempt * 7 });
    queue.add('a');
    runs[0]!.fail(new Error('boom'));
    await settle();
    expect(clock.pending()).toEqual([7]);
  });

  it('resolves idle when nothing is queued or running, whatever is scheduled', async () => {
    const { queue, runs } = setup();
    queue.addAfter('later', 60_000);
    await queue.idle();
    queue.add('a');
    let idle = false;
    void queue.idle().then(() => (idle = true));
    await settle();
    expect(idle).toBe(false);
    runs[0]!.finish();
    await settle();
    expect(idle).toBe(true);
  });

  it('after stop, runs nothing more and drops its schedules', async () => {
    const { clock, queue, runs } = setup({ concurrency: 1 });
    queue.add('a');
    queue.add('b');
    queue.addAfter('c', 1_000);
    queue.stop();
    expect(clock.pending()).toEqual([]);
    queue.add('d');
    queue.addAfter('e', 10);
    runs[0]!.finish();
    await queue.idle();
    clock.advance(5_000);
    expect(runs.map((r) => r.key)).toEqual(['a']);
  });
});
