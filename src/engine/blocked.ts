/**
 * Steps the engine could not commit or keep (a Secret they read is missing, a render error), and
 * what of that is news for the log: a pass runs again every few seconds while a step is blocked,
 * and the log says so once per change of reason, not once per pass. No I/O: the engine logs.
 */

/** A step that could not be committed, or is no longer what was committed, with why. */
export interface Blocked {
  reason: string;
  message: string;
  /**
   * Progressing: the step waits for something under way rather than for someone to fix it (new
   * secret values an update writes once its commit landed). Failed when absent.
   */
  phase?: 'Progressing';
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

/**
 * The blocked steps of each environment as its last pass found them (transient: each pass
 * recomputes them; the status shows them as Failed meanwhile).
 */
export class BlockedSteps {
  private readonly current = new Map<string, Map<string, Blocked>>();
  /** What the pass before the one under way found, until its changes are taken. */
  private readonly before = new Map<string, ReadonlyMap<string, Blocked> | undefined>();

  /** A pass over the environment begins: nothing blocked yet; the pass fills the map it gets. */
  begin(environment: string): Map<string, Blocked> {
    this.before.set(environment, this.current.get(environment));
    const blocked = new Map<string, Blocked>();
    this.current.set(environment, blocked);
    return blocked;
  }

  /** What changed from the pass before to the one under way (once: a second call says nothing new). */
  changes(environment: string): BlockedChange[] {
    const before = this.before.get(environment);
    this.before.set(environment, this.current.get(environment));
    return blockedChanges(before, this.current.get(environment) ?? new Map());
  }

  /** The steps the last pass found blocked, by step id. */
  of(environment: string): ReadonlyMap<string, Blocked> | undefined {
    return this.current.get(environment);
  }

  /** Forget an environment (deleted). */
  forget(environment: string): void {
    this.current.delete(environment);
    this.before.delete(environment);
  }
}
