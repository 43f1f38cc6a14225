/**
 * An environment's time to live (`spec.ttl`): it expires that long after its file was first
 * committed, and is deleted then like one whose deletion was asked for. Pure: the engine looks the
 * creation time up in Git and looks at the environment again when `recheckInMs` has passed.
 * Extending it (`envcat env extend`, the portal's button) rewrites `spec.ttl` so that it ends a
 * given duration from now; the ttl still counts from creation, so nothing else needs storing.
 */
import { durationText } from '../environment/duration.js';

export type TtlVerdict =
  /** No ttl: it never expires. */
  | { kind: 'none' }
  /** When it was created is not known yet. */
  | { kind: 'unknown' }
  | { kind: 'expired' }
  /** Not yet: look again after `recheckInMs` (a second after it expires, within what a timer can wait). */
  | { kind: 'alive'; recheckInMs: number };

/** The longest delay a Node.js timer takes (2^31 - 1 ms, about 24.8 days). */
const MAX_TIMER_MS = 2 ** 31 - 1;

export function ttlVerdict(args: {
  ttlSeconds: number | undefined;
  createdAt: number | undefined;
  now: number;
}): TtlVerdict {
  if (args.ttlSeconds === undefined) return { kind: 'none' };
  const end = expiresAt({ ttlSeconds: args.ttlSeconds, createdAt: args.createdAt });
  if (end === undefined) return { kind: 'unknown' };
  const left = end - args.now;
  if (left <= 0) return { kind: 'expired' };
  return { kind: 'alive', recheckInMs: Math.min(left + 1_000, MAX_TIMER_MS) };
}

/** When the environment expires (ms since the epoch); undefined without a ttl or a known creation time. */
export function expiresAt(args: {
  ttlSeconds: number | undefined;
  createdAt: number | undefined;
}): number | undefined {
  if (args.ttlSeconds === undefined || args.createdAt === undefined) return undefined;
  return args.createdAt + args.ttlSeconds * 1000;
}

/**
 * The `spec.ttl` that makes an environment created at `createdAt` live `forSeconds` more from
 * `now`: its age, rounded up to a whole minute (so it is never shorter, and reads as `2d0h17m`
 * rather than to the second), plus `forSeconds`. A creation time in the future (clocks apart)
 * counts as age 0.
 */
export function extendedTtl(args: { createdAt: number; now: number; forSeconds: number }): string {
  const ageMinutes = Math.max(0, Math.ceil((args.now - args.createdAt) / 60_000));
  return durationText(ageMinutes * 60 + Math.max(0, Math.floor(args.forSeconds)));
}
