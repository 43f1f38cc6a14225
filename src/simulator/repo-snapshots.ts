/**
 * Read-only views of GitOps repos for the simulated controllers: fetches shared between concurrent
 * callers, and immutable snapshots (commit sha + every file) so a reconcile never mixes two commits.
 */
import type { GitOpsRepo } from '../gitops/types.js';

/**
 * Runs one async operation at a time. `fresh()` resolves with the result of a run that started no
 * earlier than the call: a run under way is not joined (it may predate what the caller wants to
 * see); callers arriving meanwhile share the one queued after it.
 */
export class Coalescer<T> {
  private running: Promise<T> | undefined;
  private queued: Promise<T> | undefined;

  constructor(private readonly operation: () => Promise<T>) {}

  fresh(): Promise<T> {
    if (!this.running) return this.start();
    this.queued ??= this.running.then(
      () => this.startQueued(),
      () => this.startQueued(),
    );
    return this.queued;
  }

  private startQueued(): Promise<T> {
    this.queued = undefined;
    return this.start();
  }

  private start(): Promise<T> {
    const run = this.operation().finally(() => {
      if (this.running === run) this.running = undefined;
    });
    this.running = run;
    return run;
  }
}

export interface RepoSnapshot {
  /** The commit the files are from. */
  sha: string;
  /** Every file of the commit, by '/'-separated path. */
  files: ReadonlyMap<string, string>;
  /** When it was fetched (ms since the epoch). */
  fetchedAt: number;
}

/** Snapshots of one repo; the tree is read again only when the head moved. */
export class RepoSnapshots {
  private readonly coalescer: Coalescer<RepoSnapshot>;
  private latest: RepoSnapshot | undefined;

  constructor(
    private readonly repo: GitOpsRepo,
    private readonly now: () => number = Date.now,
  ) {
    // sync() and readTree() run back to back inside one run, so the files belong to the sha.
    this.coalescer = new Coalescer(async () => {
      const sha = await this.repo.sync();
      const files = this.latest?.sha === sha ? this.latest.files : await this.repo.readTree('');
      this.latest = { sha, files, fetchedAt: this.now() };
      return this.latest;
    });
  }

  /** Fetches, then returns the files at the new head. */
  fetch(): Promise<RepoSnapshot> {
    return this.coalescer.fresh();
  }

  /** The last snapshot read, if any (no fetch). */
  current(): RepoSnapshot | undefined {
    return this.latest;
  }
}
