/**
 * The simulated API server's watch cache: a bounded history of change events (as kube-apiserver's
 * watch cache, from which a watch resumes at a resourceVersion or gets 410 Expired) and the
 * watchers of each storage, each sent the changes its namespace and selectors match.
 */
import type { FieldSelector, KubeObject, LabelSelector } from '../cluster/index.js';
import { type ChangeType, type StoredEvent, meta, present, selects } from './api-server-objects.js';
import { StatusErrors } from './api-server-status.js';

export interface WatchSink {
  event(type: ChangeType, object: KubeObject): void;
  /** The store ends the watch (closeWatches): the sink must end its stream. */
  close(): void;
}

export interface WatchHandle {
  /** The revision the watch is current with after its replay (for an initial-events bookmark). */
  readonly startRevision: number;
  close(): void;
}

/** A fixed-capacity queue of the newest change events; their revisions are consecutive. */
class History {
  private readonly items: Array<StoredEvent | undefined>;
  private start = 0;
  private size = 0;
  /** Every event with a revision above this one is still held. */
  compactedRevision = 0;

  constructor(private readonly capacity: number) {
    this.items = new Array<StoredEvent | undefined>(capacity);
  }

  push(event: StoredEvent): void {
    if (this.size === this.capacity) {
      this.compactedRevision = this.items[this.start]!.revision;
      this.items[this.start] = event;
      this.start = (this.start + 1) % this.capacity;
    } else {
      this.items[(this.start + this.size) % this.capacity] = event;
      this.size += 1;
    }
  }

  /** Events with a revision above `revision` (which must be ≥ compactedRevision), oldest first. */
  *after(revision: number): Generator<StoredEvent> {
    for (let i = revision - this.compactedRevision; i < this.size; i += 1) {
      yield this.items[(this.start + i) % this.capacity]!;
    }
  }
}

/** A watch of one storage: what it selects, and where its events go. */
export interface Watcher {
  storage: string;
  apiVersion: string;
  namespace: string | undefined;
  labels: LabelSelector;
  fields: FieldSelector;
  sink: WatchSink;
}

export class WatchCache {
  private readonly history: History;
  private readonly watchers = new Map<string, Set<Watcher>>();

  /** `historySize`: how many change events a watch can resume from. */
  constructor(historySize: number) {
    if (!Number.isInteger(historySize) || historySize < 1)
      throw new Error('historySize must be a positive integer');
    this.history = new History(historySize);
  }

  /** Every event with a revision above this one is still held. */
  get compactedRevision(): number {
    return this.history.compactedRevision;
  }

  /** After a restore: no event up to `revision` is held, so a watch from before it gets 410. */
  compactTo(revision: number): void {
    this.history.compactedRevision = revision;
  }

  get watchCount(): number {
    let count = 0;
    for (const set of this.watchers.values()) count += set.size;
    return count;
  }

  /**
   * Sends `watcher` the held events of its storage after `revision`; a 410 Expired ApiStatusError
   * when they are not all held. `current` is the store's revision now.
   */
  replay(watcher: Watcher, revision: number, current: number): void {
    // a revision this server never issued (e.g. from before a restart with a fresh store) is as unusable as a compacted one
    if (revision < this.history.compactedRevision || revision > current)
      throw StatusErrors.expired(
        `too old resource version: ${revision} (${this.history.compactedRevision + 1})`,
      );
    for (const event of this.history.after(revision))
      if (event.storage === watcher.storage) this.deliver(watcher, event);
  }

  /** Sends `watcher` every change of its storage from now on; returns what stops it. */
  add(watcher: Watcher): () => void {
    let set = this.watchers.get(watcher.storage);
    if (!set) this.watchers.set(watcher.storage, (set = new Set()));
    set.add(watcher);
    return () => {
      this.watchers.get(watcher.storage)?.delete(watcher);
    };
  }

  /** A stored change: held for the watches that resume later, and sent to the watchers now. */
  publish(event: StoredEvent): void {
    this.history.push(event);
    const watchers = this.watchers.get(event.storage);
    if (!watchers) return;
    for (const watcher of [...watchers]) this.deliver(watcher, event);
  }

  /** Ends every watch (as a restarting API server would); clients resume from their resourceVersion. */
  closeAll(): void {
    const all = [...this.watchers.values()].flatMap((set) => [...set]);
    this.watchers.clear();
    for (const watcher of all) watcher.sink.close();
  }

  private deliver(watcher: Watcher, event: StoredEvent): void {
    if (watcher.namespace !== undefined && meta(event.object).namespace !== watcher.namespace) return;
    const now = selects(event.object, watcher.labels, watcher.fields);
    let type: ChangeType | undefined = now ? event.type : undefined;
    if (event.type === 'MODIFIED' && event.previous) {
      const before = selects(event.previous, watcher.labels, watcher.fields);
      // an object entering or leaving the selection is added or deleted for this watcher
      type = now && before ? 'MODIFIED' : now ? 'ADDED' : before ? 'DELETED' : undefined;
    }
    if (type) watcher.sink.event(type, present(event.object, watcher.apiVersion));
  }
}
