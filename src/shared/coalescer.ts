/**
 * Runs a task per key, one at a time: asked for a key whose task is under way, it runs once more
 * after it, however many times it was asked meanwhile. For requests whose effect is idempotent and
 * must follow the latest ask (ask Argo CD to look at Git after a commit).
 */
export class Coalescer {
  private readonly under = new Map<string, { again: boolean }>();
  private readonly running = new Set<Promise<void>>();
  private stopped = false;

  /** `task` must not throw: it reports its own failures. */
  run(key: string, task: () => Promise<void>): void {
    const under = this.under.get(key);
    if (under) {
      under.again = true;
      return;
    }
    const state = { again: false };
    this.under.set(key, state);
    const run = (async () => {
      try {
        do {
          state.again = false;
          await task();
        } while (state.again && !this.stopped);
      } finally {
        this.under.delete(key);
      }
    })();
    this.running.add(run);
    // A task that throws anyway is a bug; it must not become an unhandled rejection here too.
    run.then(
      () => this.running.delete(run),
      () => this.running.delete(run),
    );
  }

  /** Resolves when no task is under way (tasks asked for meanwhile included). */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.all(this.running);
  }

  /** Lets the tasks under way finish without running them again (for a shutdown); usable again afterwards. */
  async stop(): Promise<void> {
    this.stopped = true;
    try {
      await this.idle();
    } finally {
      this.stopped = false;
    }
  }
}
