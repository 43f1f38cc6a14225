/** What of a pass's blocked steps is news for the log (src/engine/blocked.ts). */
import { type Blocked, blockedChanges } from '../../src/engine/blocked.js';

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
