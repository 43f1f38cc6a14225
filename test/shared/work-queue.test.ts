/** The keyed work queue, on a fake clock: dedup, one worker per key, schedules, retries, stop. */
import { WorkQueue, type WorkQueueOptions } from '../../src/shared/index.js';
import { FakeClock } from '../engine/fake-clock.js';

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
  const retries: Array<number | undefined> = [];
  const queue = new WorkQueue({
    concurrency: 2,
    process,
    onError: (key, _error, attempt, retryInMs) => {
      errors.push({ key, attempt });
      retries.push(retryInMs);
    },
    clock,
    ...options,
  });
  return { clock, queue, runs, errors, retries };
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

  describe('low priority', () => {
    it('runs at once when no normal key is queued or running', async () => {
      const { queue, runs, clock } = setup({ concurrency: 4 });
      queue.add('app', 'low');
      expect(runs.map((r) => r.key)).toEqual(['app']);
      runs[0]!.finish();
      await queue.idle();
      expect(clock.pending()).toEqual([]);
    });

    it('waits while normal keys run, its adds meanwhile making one run, then runs when they end', async () => {
      const { queue, runs } = setup({ concurrency: 4, lowMaxWaitMs: 250 });
      // GIVEN a normal key running
      queue.add('ws');
      // WHEN a key is added at low priority three times, and another normal one comes
      queue.add('app', 'low');
      queue.add('app', 'low');
      queue.add('ws2');
      queue.add('app', 'low');
      // THEN the normal ones run first, though there are free workers
      expect(runs.map((r) => r.key)).toEqual(['ws', 'ws2']);
      runs[0]!.finish();
      await settle();
      expect(runs.map((r) => r.key)).toEqual(['ws', 'ws2']);
      // THEN the low one runs once when no normal key is left
      runs[1]!.finish();
      await settle();
      expect(runs.map((r) => r.key)).toEqual(['ws', 'ws2', 'app']);
      runs[2]!.finish();
      await queue.idle();
      expect(runs).toHaveLength(3);
    });

    it('waits at most lowMaxWaitMs, however long normal keys keep it busy', async () => {
      const { queue, runs, clock } = setup({ concurrency: 4, lowMaxWaitMs: 250 });
      queue.add('ws');
      queue.add('app', 'low');
      clock.advance(249);
      await settle();
      expect(runs.map((r) => r.key)).toEqual(['ws']);
      clock.advance(1);
      await settle();
      expect(runs.map((r) => r.key)).toEqual(['ws', 'app']);
    });

    it('is raised by a normal add while it waits, and keeps a normal add made while it runs', async () => {
      const { queue, runs } = setup({ concurrency: 4 });
      queue.add('ws');
      queue.add('app', 'low');
      queue.add('app');
      expect(runs.map((r) => r.key)).toEqual(['ws', 'app']);
      // added low then normal while it runs: it runs again at normal priority, beside ws
      queue.add('app', 'low');
      queue.add('app');
      runs[1]!.finish();
      await settle();
      expect(runs.map((r) => r.key)).toEqual(['ws', 'app', 'app']);
    });

    it('counts as running for idle, and a stop drops it with its timer', async () => {
      const { queue, runs, clock } = setup({ concurrency: 4 });
      queue.add('ws');
      queue.add('app', 'low');
      let idle = false;
      void queue.idle().then(() => (idle = true));
      runs[0]!.finish();
      await settle();
      expect(idle).toBe(false);
      expect(runs.map((r) => r.key)).toEqual(['ws', 'app']);
      queue.add('ws');
      queue.add('app2', 'low');
      expect(clock.pending()).not.toEqual([]);
      const stopped = queue.stop();
      runs[1]!.finish();
      runs[2]!.finish();
      await stopped;
      expect(clock.pending()).toEqual([]);
      expect(runs.map((r) => r.key)).toEqual(['ws', 'app', 'ws']);
    });
  });

  it('yields its workers while another kind of work holds it: fewer runs start, none is cut short', async () => {
    const { queue, runs } = setup({ concurrency: 3 });
    queue.add('a');
    queue.add('b');
    // GIVEN two runs under way WHEN the queue yields to one seat, twice (two holders)
    const releaseFirst = queue.yieldTo(1);
    const releaseSecond = queue.yieldTo(1);
    for (const key of ['c', 'd', 'e']) queue.add(key);
    await settle();
    // THEN the runs under way go on, and nothing more starts while two are running
    expect(runs.map((r) => r.key)).toEqual(['a', 'b']);
    runs[0]!.finish();
    await settle();
    expect(runs.map((r) => r.key)).toEqual(['a', 'b']);
    // …then one at a time
    runs[1]!.finish();
    await settle();
    expect(runs.map((r) => r.key)).toEqual(['a', 'b', 'c']);
    // WHEN one holder releases (twice: a second call changes nothing) THEN the other still holds
    releaseFirst();
    releaseFirst();
    await settle();
    expect(runs.map((r) => r.key)).toEqual(['a', 'b', 'c']);
    // WHEN the last one releases THEN the queue is back to its own concurrency at once
    releaseSecond();
    await settle();
    expect(runs.map((r) => r.key)).toEqual(['a', 'b', 'c', 'd', 'e']);
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

  it('forgets a key: its schedule is dropped and its next failure is attempt 1 again', async () => {
    const { clock, queue, runs, errors } = setup();
    queue.add('a');
    runs[0]!.fail(new Error('boom'));
    await settle();
    expect(clock.pending()).toEqual([250]);
    // WHEN the key is forgotten
    queue.forget('a');
    // THEN its retry is gone
    expect(clock.pending()).toEqual([]);
    // THEN a later failure starts the count again
    queue.add('a');
    runs[1]!.fail(new Error('again'));
    await settle();
    expect(errors.map((e) => e.attempt)).toEqual([1, 1]);
  });

  it('tells onError when the key runs again: the retry delay, 0 for at once, undefined once stopped', async () => {
    const { queue, runs, retries } = setup({ retryDelayMs: (attempt) => (attempt === 1 ? 0 : 40) });
    queue.add('a');
    // WHEN the first run fails and its delay is 0
    runs[0]!.fail(new Error('conflict'));
    await settle();
    // THEN it runs again at once
    expect(runs).toHaveLength(2);
    // WHEN the queue is stopped while the second run fails
    const stopped = queue.stop();
    runs[1]!.fail(new Error('late'));
    await stopped;
    // THEN it is not retried
    expect(retries).toEqual([0, undefined]);
    expect(runs).toHaveLength(2);
  });

  it('stop resolves once the runs under way have ended', async () => {
    const { queue, runs } = setup();
    queue.add('a');
    let stopped = false;
    void queue.stop().then(() => (stopped = true));
    await settle();
    expect(stopped).toBe(false);
    runs[0]!.finish();
    await settle();
    expect(stopped).toBe(true);
  });

  it('with startAfterTurn, the adds of one turn make one run, and an add during the run one more', async () => {
    const { queue, runs } = setup({ startAfterTurn: true });
    // WHEN a key is added three times in one turn
    queue.add('a');
    queue.add('a');
    queue.add('a');
    // THEN nothing runs inside add, and one run starts after the turn
    expect(runs).toHaveLength(0);
    await settle();
    expect(runs.map((r) => r.key)).toEqual(['a']);
    // WHEN it is added while it runs
    queue.add('a');
    runs[0]!.finish();
    await settle();
    // THEN it runs once more
    expect(runs.map((r) => r.key)).toEqual(['a', 'a']);
    runs[1]!.finish();
    await queue.idle();
    expect(runs).toHaveLength(2);
  });
});
