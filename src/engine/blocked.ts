/**
 * Steps the engine could not commit or keep (a Secret they read is missing, a render error), and
 * what of that is news for the log: a pass runs again every few seconds while a step is blocked,
 * and the log says so once per change of reason, not once per pass. Pure.
 */

/** A step that could not be committed, or is no longer what was committed, with why. */
export interface Blocked {
  reason: string;
  message: string;
}

export type BlockedChange =
  | { kind: 'blocked'; step: string; reason: string; message: string }
  | { kind: 'unblocked'; step: string; reason: string };

/** What changed from one pass's blocked steps to the next's, in step order. */
export function blockedChanges(
  previous: ReadonlyMap<string, Blocked> | undefined,
  next: ReadonlyMap<string, Blocked>,
): BlockedChange[] {
  const changes: BlockedChange[] = [];
  const steps = new Set([...(previous?.keys() ?? []), ...next.keys()]);
  for (const step of [...steps].sort()) {
    const before = previous?.get(step);
    const now = next.get(step);
    if (now && (before?.reason !== now.reason || before.message !== now.message))
      changes.push({ kind: 'blocked', step, reason: now.reason, message: now.message });
    else if (!now && before) changes.push({ kind: 'unblocked', step, reason: before.reason });
  }
  return changes;
}
