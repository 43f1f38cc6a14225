/**
 * The informers of the in-memory cluster twin (memory-cluster-client.ts): a cache of one kind in a
 * namespace and selection, filled synchronously by start() and kept by the changes the twin
 * delivers to it while a write runs, so that every handler has run before the write resolves.
 */
import { ConflictError } from '../../src/core/errors/index.js';
import { KindNotServedError } from '../../src/cluster/errors.js';
import { apiVersionOf, storageKey, type KindSpec } from '../../src/cluster/kinds.js';
import { LabelIndex } from '../../src/cluster/label-index.js';
import { sameButResourceVersion } from '../../src/cluster/same-object.js';
import type { Informer, KubeObject, TypeRef, WatchEventType } from '../../src/cluster/types.js';
import { present } from '../../src/simulator/api-server-objects.js';

/** One stored change, as the twin records it for its informers. */
export interface Change {
  type: WatchEventType;
  storage: string;
  object: KubeObject;
}

/** A copy, with the apiVersion of the kind as the call named it (versions share storage). */
export function presented(object: KubeObject, spec: KindSpec): KubeObject {
  return present(structuredClone(object), apiVersionOf(spec));
}

export interface MemoryInformerOptions {
  type: TypeRef;
  /** Undefined when the kind is not served: start() rejects. */
  spec: KindSpec | undefined;
  description: string;
  /** Whether an object is in this informer's namespace and selection. */
  accepts: (object: KubeObject) => boolean;
  transform: (object: KubeObject) => KubeObject;
  /** InformerOptions.onlyChanges. */
  onlyChanges: boolean;
  /** InformerOptions.indexLabel. */
  indexLabel?: string | undefined;
  snapshot: (spec: KindSpec) => KubeObject[];
  attach: (informer: MemoryInformer) => void;
  detach: (informer: MemoryInformer) => void;
}

type Handlers = { [K in WatchEventType]: Array<(object: KubeObject) => void> } & {
  error: Array<(error: unknown) => void>;
};

export class MemoryInformer implements Informer {
  private readonly cache = new Map<string, KubeObject>();
  private readonly index: LabelIndex | undefined;
  private readonly handlers: Handlers = { ADDED: [], MODIFIED: [], DELETED: [], error: [] };
  private started: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly options: MemoryInformerOptions) {
    this.index = options.indexLabel === undefined ? undefined : new LabelIndex(options.indexLabel);
  }

  start(): Promise<void> {
    this.started ??= this.sync();
    return this.started;
  }

  stop(): void {
    this.stopped = true;
    this.options.detach(this);
  }

  list(): KubeObject[] {
    return [...this.cache.values()];
  }

  get(name: string, namespace?: string): KubeObject | undefined {
    return this.cache.get(`${namespace ?? ''}/${name}`);
  }

  indexed(value: string): KubeObject[] {
    if (!this.index) throw new Error(`the informer of ${this.options.description} has no index`);
    return this.index.get(value);
  }

  on(event: WatchEventType, handler: (object: KubeObject) => void): void;
  on(event: 'error', handler: (error: unknown) => void): void;
  on(
    event: WatchEventType | 'error',
    handler: ((object: KubeObject) => void) | ((error: unknown) => void),
  ): void {
    (this.handlers[event] as Array<typeof handler>).push(handler);
  }

  /**
   * One change of the informer's kind. As client-node's ListWatch, the event reported follows the
   * cache: an object the informer did not hold is ADDED (it entered the selection), one it holds
   * is MODIFIED unless its resourceVersion is the cached one, and one leaving the selection (or
   * the cluster) is DELETED if it was held.
   */
  receive(change: Change): void {
    const { spec } = this.options;
    if (this.stopped || !spec || change.storage !== storageKey(spec)) return;
    const { name, namespace } = change.object.metadata;
    const key = `${namespace ?? ''}/${name}`;
    const cached = this.cache.get(key);
    const selected = change.type !== 'DELETED' && this.options.accepts(change.object);
    if (!selected && !cached) return;
    let object: KubeObject;
    try {
      object = this.options.transform(presented(change.object, spec));
    } catch (error) {
      // the write itself succeeded: a transform that throws is the informer's failure, reported as such
      this.report(error);
      return;
    }
    let type: WatchEventType;
    if (selected) {
      if (cached?.metadata.resourceVersion === object.metadata.resourceVersion) return;
      type = cached ? 'MODIFIED' : 'ADDED';
      this.cache.set(key, object);
      this.index?.set(object);
      // as the real informer: an update of only what the transform drops is cached, not reported
      if (cached && this.options.onlyChanges && sameButResourceVersion(cached, object)) return;
    } else {
      type = 'DELETED';
      this.cache.delete(key);
      if (cached) this.index?.delete(cached);
    }
    for (const handler of this.handlers[type]) {
      try {
        handler(object);
      } catch (error) {
        // as the real informer: a throwing handler neither stops the others nor goes unnoticed
        this.report(error);
      }
    }
  }

  private async sync(): Promise<void> {
    const { spec } = this.options;
    if (this.stopped)
      throw new ConflictError(`the informer of ${this.options.description} was stopped before it synced`);
    if (!spec) throw new KindNotServedError(this.options.type);
    for (const object of this.options.snapshot(spec))
      if (this.options.accepts(object)) {
        const kept = this.options.transform(object);
        this.cache.set(`${kept.metadata.namespace ?? ''}/${kept.metadata.name}`, kept);
        this.index?.set(kept);
      }
    this.options.attach(this);
  }

  private report(error: unknown): void {
    for (const handler of this.handlers.error) {
      try {
        handler(error);
      } catch {
        // an error handler that throws has nowhere left to report to
      }
    }
  }
}
