/** An environment's time to live (core status/ttl.ts). */
import { ttlVerdict } from '../../../src/core/index.js';

const CREATED = Date.parse('2026-03-01T10:00:00Z');

describe('ttlVerdict', () => {
  it.each([
    ['no ttl', { ttlSeconds: undefined, createdAt: CREATED, now: CREATED + 1e12 }, { kind: 'none' }],
    ['creation not known yet', { ttlSeconds: 60, createdAt: undefined, now: CREATED }, { kind: 'unknown' }],
    [
      'a minute left',
      { ttlSeconds: 3600, createdAt: CREATED, now: CREATED + 3_540_000 },
      { kind: 'alive', recheckInMs: 61_000 },
    ],
    [
      'exactly at its end',
      { ttlSeconds: 3600, createdAt: CREATED, now: CREATED + 3_600_000 },
      { kind: 'expired' },
    ],
    ['past its end', { ttlSeconds: 60, createdAt: CREATED, now: CREATED + 120_000 }, { kind: 'expired' }],
    [
      'a year left: a timer waits at most 2^31-1 ms',
      { ttlSeconds: 365 * 86_400, createdAt: CREATED, now: CREATED },
      { kind: 'alive', recheckInMs: 2 ** 31 - 1 },
    ],
  ])('%s', (_name, args, expected) => {
    expect(ttlVerdict(args)).toEqual(expected);
  });
});
