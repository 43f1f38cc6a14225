/** PassWaiters: an update's answer waits for the engine's next pass over its environment, never forever. */
import { PassWaiters } from '../../src/engine/pass-waiters.js';
import { FakeClock } from './fake-clock.js';

/** Whether the promise has settled, after the microtasks now queued have run. */
async function settled(promise: Promise<void>): Promise<boolean> {
  let done = false;
  void promise.then(() => (done = true));
  await new Promise((resolve) => setImmediate(resolve));
  return done;
}

describe('PassWaiters', () => {
  it('resolves when a pass that started after the call ends, not with the pass already under way', async () => {
    const clock = new FakeClock();
    const passes = new PassWaiters(clock);
    passes.started('dev'); // a pass under way before the call
    const waiting = passes.next('dev', 10_000);
    passes.ended('dev');
    expect(await settled(waiting)).toBe(false);
    passes.started('other');
    passes.ended('other');
    expect(await settled(waiting)).toBe(false);
    passes.started('dev');
    expect(await settled(waiting)).toBe(false);
    passes.ended('dev');
    expect(await settled(waiting)).toBe(true);
    expect(clock.pending()).toEqual([]);
  });

  it('gives up after the timeout when no pass comes (a follower, a stopped engine)', async () => {
    const clock = new FakeClock();
    const passes = new PassWaiters(clock);
    const waiting = passes.next('dev', 5_000);
    clock.advance(4_999);
    expect(await settled(waiting)).toBe(false);
    clock.advance(1);
    expect(await settled(waiting)).toBe(true);
    // A later pass finds nothing left to answer
    passes.started('dev');
    passes.ended('dev');
  });
});
