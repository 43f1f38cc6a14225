/** What of a pass's blocked steps is news for the log, and each environment's blocked steps (src/engine/blocked.ts). */
import { BlockedSteps, type Blocked, blockedChanges } from '../../src/engine/blocked.js';

const gone: Blocked = { reason: 'SecretNotFound', message: 'Secret shop/shop-db-params is gone' };
const render: Blocked = { reason: 'RenderFailed', message: 'no such output' };
const map = (entries: Array<[string, Blocked]>) => new Map(entries);

describe('blockedChanges', () => {
  it.each([
    ['nothing blocked, before or now', undefined, map([]), []],
    ['first blocked', undefined, map([['db-infra', gone]]), [{ kind: 'blocked', step: 'db-infra', ...gone }]],
    [
      'still blocked, same reason (the 5 s re-pass)',
      map([['db-infra', gone]]),
      map([['db-infra', gone]]),
      [],
    ],
    [
      'blocked for another reason',
      map([['db-infra', gone]]),
      map([['db-infra', render]]),
      [{ kind: 'blocked', step: 'db-infra', ...render }],
    ],
    [
      'no longer blocked',
      map([['db-infra', gone]]),
      map([]),
      [{ kind: 'unblocked', step: 'db-infra', reason: 'SecretNotFound' }],
    ],
  ])('%s', (_case, previous, next, expected) => {
    // GIVEN the blocked steps of the last pass and of this one WHEN compared THEN these are news
    expect(blockedChanges(previous, next)).toEqual(expected);
  });
});

describe('BlockedSteps', () => {
  it('starts each pass empty, keeps what it found, and tells the news of each pass once', () => {
    const steps = new BlockedSteps();
    // GIVEN a first pass that blocks db
    steps.begin('dev').set('db-infra', gone);
    expect(steps.of('dev')).toEqual(map([['db-infra', gone]]));
    expect(steps.changes('dev')).toEqual([{ kind: 'blocked', step: 'db-infra', ...gone }]);
    expect(steps.changes('dev')).toEqual([]);
    // WHEN the next pass finds it blocked for the same reason THEN nothing is news
    steps.begin('dev').set('db-infra', gone);
    expect(steps.changes('dev')).toEqual([]);
    // WHEN a pass finds nothing THEN it is unblocked, and the status sees no blocked step
    steps.begin('dev');
    expect(steps.of('dev')).toEqual(map([]));
    expect(steps.changes('dev')).toEqual([{ kind: 'unblocked', step: 'db-infra', reason: 'SecretNotFound' }]);
  });

  it('compares with the last pass that began, even one that failed before its news was taken', () => {
    const steps = new BlockedSteps();
    steps.begin('dev').set('db-infra', gone);
    steps.begin('dev').set('db-infra', render);
    expect(steps.changes('dev')).toEqual([{ kind: 'blocked', step: 'db-infra', ...render }]);
  });

  it('keeps environments apart, and forgets a deleted one', () => {
    const steps = new BlockedSteps();
    steps.begin('a').set('db-infra', gone);
    steps.begin('b');
    expect(steps.of('b')).toEqual(map([]));
    steps.forget('a');
    expect(steps.of('a')).toBeUndefined();
    expect(steps.changes('a')).toEqual([]);
  });
});
