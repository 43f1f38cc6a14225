/**
 * The serialisation of one GitOpsRepo instance: tasks that use its shared state (a working clone,
 * the cached tree of the head) run one at a time, in the order asked; reads of objects that never
 * change run beside them, a bounded number at once.
 */
export class RepoLock {
  private queue: Promise<void> = Promise.resolve();
  private reading = 0;
  private readonly readers: Array<() => void> = [];

  constructor(private readonly options: { maxConcurrentReads: number }) {}

  /** Runs `task` once every task asked for before it has settled. */
  exclusive<T>(task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(task);
    this.queue = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  /** Runs `task` beside the exclusive ones, once fewer than maxConcurrentReads others run. */
  async concurrently<T>(task: () => Promise<T>): Promise<T> {
    while (this.reading >= this.options.maxConcurrentReads)
      await new Promise<void>((resolve) => this.readers.push(resolve));
    this.reading++;
    try {
      return await task();
    } finally {
      this.reading--;
      this.readers.shift()?.();
    }
  }
}
