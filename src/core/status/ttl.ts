/**
 * An environment's time to live (`spec.ttl`): it expires that long after its file was first
 * committed, and is deleted then like one whose deletion was asked for. Pure: the engine looks the
 * creation time up in Git and looks at the environment again when `recheckInMs` has passed.
 */
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
  if (args.createdAt === undefined) return { kind: 'unknown' };
  const left = args.createdAt + args.ttlSeconds * 1000 - args.now;
  if (left <= 0) return { kind: 'expired' };
  return { kind: 'alive', recheckInMs: Math.min(left + 1_000, MAX_TIMER_MS) };
}
