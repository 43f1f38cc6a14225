/**
 * A controller's workers, for work that lasts longer than one reconcile call here. controller-runtime
 * runs at most `MaxConcurrentReconciles` reconciles of a controller at once (its workqueue hands an
 * item to one of that many goroutines); provider-terraform's reconcile runs `terraform apply` or
 * `destroy` to the end inside that call, so a Workspace being applied holds a worker for the whole
 * apply, and the others wait in the queue untouched. The simulated provider plays an apply as a
 * timer instead, so it holds a slot here from the start of the apply to its end.
 *
 * Waiters are woken in the order they first asked; one woken but beaten to the free slot by another
 * keeps its place.
 */
export class WorkerSlots {
  private readonly holders = new Set<string>();
  /** Insertion-ordered: the first to ask is the first woken. */
  private readonly waiting = new Set<string>();

  /**
   * @param size how many keys may hold a slot at once (a positive integer, or Infinity)
   * @param wake called with a waiting key when a slot frees for it (enqueue its reconcile)
   */
  constructor(
    private readonly size: number,
    private readonly wake: (key: string) => void,
  ) {}

  /** True when `key` holds a slot (already, or from now on); false: it waits and is woken later. */
  acquire(key: string): boolean {
    if (this.holders.has(key)) return true;
    if (this.holders.size < this.size) {
      this.holders.add(key);
      this.waiting.delete(key);
      return true;
    }
    this.waiting.add(key);
    return false;
  }

  /** The work of `key` ended (or its object is gone): its slot goes to the next waiter. */
  release(key: string): void {
    this.waiting.delete(key);
    if (!this.holders.delete(key)) return;
    let free = this.size - this.holders.size;
    for (const next of this.waiting) {
      if (free-- <= 0) break;
      this.wake(next);
    }
  }

  /** How many keys hold a slot now. */
  get busy(): number {
    return this.holders.size;
  }

  /** How many keys wait for one. */
  get queued(): number {
    return this.waiting.size;
  }
}
