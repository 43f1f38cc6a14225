/**
 * Which status of an environment the detail view shows when it has two: the one the engine observed
 * later (`observedAt`). The event stream, the answers to Retry and Upgrade and a reload each bring
 * one, over connections of their own, in any order: the answer to Retry (the status as the retry
 * was committed) can arrive after the event that said Ready, and nothing after it would take the
 * page forward again.
 */
import type { EnvironmentStatus } from '../../api/contract.js';

/** `incoming`, unless `shown` was observed later; at the same time, or when a time is unreadable, `incoming`. */
export function newerStatus(
  shown: EnvironmentStatus | undefined,
  incoming: EnvironmentStatus,
): EnvironmentStatus {
  if (shown === undefined) return incoming;
  return Date.parse(incoming.observedAt) < Date.parse(shown.observedAt) ? shown : incoming;
}
