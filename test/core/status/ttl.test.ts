/** An environment's time to live (core status/ttl.ts). */
import { durationText, expiresAt, extendedTtl, parseDuration, ttlVerdict } from '../../../src/core/index.js';

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

describe('expiresAt', () => {
  it.each([
    ['no ttl', { ttlSeconds: undefined, createdAt: CREATED }, undefined],
    ['creation not known', { ttlSeconds: 60, createdAt: undefined }, undefined],
    ['a day', { ttlSeconds: 86_400, createdAt: CREATED }, Date.parse('2026-03-02T10:00:00Z')],
  ])('%s', (_name, args, expected) => {
    expect(expiresAt(args)).toBe(expected);
  });
});

describe('extendedTtl: the ttl that ends a duration from now', () => {
  const H = 3_600_000;
  it.each([
    ['just created', { createdAt: CREATED, now: CREATED, forSeconds: 48 * 3600 }, '2d'],
    ['5h old, 48h more', { createdAt: CREATED, now: CREATED + 5 * H, forSeconds: 48 * 3600 }, '2d5h'],
    [
      'an age in seconds rounds up to the minute',
      { createdAt: CREATED, now: CREATED + H + 1_000, forSeconds: 3600 },
      '2h1m',
    ],
    ['already expired', { createdAt: CREATED, now: CREATED + 30 * H, forSeconds: 1800 }, '1d6h30m'],
    [
      'created "in the future" (clocks apart) counts as age 0',
      { createdAt: CREATED + 60_000, now: CREATED, forSeconds: 600 },
      '10m',
    ],
  ])('%s', (_name, args, expected) => {
    const ttl = extendedTtl(args);
    expect(ttl).toBe(expected);
    // THEN it ends no earlier than asked, and less than a minute later.
    const end = expiresAt({ ttlSeconds: parseDuration(ttl), createdAt: args.createdAt }) as number;
    const wanted = Math.max(args.now, args.createdAt) + args.forSeconds * 1000;
    expect(end).toBeGreaterThanOrEqual(wanted);
    expect(end - wanted).toBeLessThan(60_000);
  });
});

describe('durationText', () => {
  it.each([
    [0, '0s'],
    [59, '59s'],
    [90, '1m30s'],
    [3600, '1h'],
    [50 * 3600, '2d2h'],
    [90 * 86_400, '90d'],
    [86_400 + 61, '1d1m1s'],
  ])('%i seconds is %s, and reads back', (seconds, text) => {
    expect(durationText(seconds)).toBe(text);
    expect(parseDuration(text)).toBe(seconds);
  });
});
