/**
 * Deletion in the simulated API server's store: finalizers keep an object (it only gets a
 * deletionTimestamp) until the last one is removed; a Namespace is marked Terminating, its content
 * is deleted (finalizers respected), and it is removed once it is empty and has no finalizers left.
 * Synchronous: no namespace controller and no `/finalize`.
 */
import { type KindRegistry, type KindSpec, type KubeObject, storageKey } from '../cluster/index.js';
import { timestamp } from './support.js';
import { type Entry, type ObjectTables, finalizersOf, meta, present, str } from './api-server-objects.js';
import { isJsonObject } from '../core/index.js';

export const NAMESPACE_STORAGE = 'namespaces.';

export interface DeleteResult {
  object: KubeObject;
  /** True when finalizers keep the object (it only got a deletionTimestamp). */
  pending: boolean;
}

export interface DeletionsOptions {
  kinds: KindRegistry;
  objects: ObjectTables;
  now: () => Date;
}

export class Deletions {
  private readonly kinds: KindRegistry;
  private readonly objects: ObjectTables;
  private readonly now: () => Date;

  constructor(options: DeletionsOptions) {
    this.kinds = options.kinds;
    this.objects = options.objects;
    this.now = options.now;
  }

  /** Finalizers only mark the object; without any it goes at once. */
  deleteEntry(spec: KindSpec, entry: Entry): DeleteResult {
    const current = entry.object;
    const metadata = meta(current);
    const namespace = spec.namespaced ? (str(metadata.namespace) ?? '') : '';
    const name = str(metadata.name)!;
    if (finalizersOf(current).length > 0) {
      if (metadata.deletionTimestamp) return { object: current, pending: true };
      const next = structuredClone(current);
      meta(next).deletionTimestamp = timestamp(this.now().getTime());
      meta(next).deletionGracePeriodSeconds = 0;
      const revision = this.objects.nextRevision();
      meta(next).resourceVersion = String(revision);
      entry.object = next;
      this.objects.record({
        type: 'MODIFIED',
        revision,
        storage: storageKey(spec),
        object: next,
        previous: current,
      });
      return { object: next, pending: true };
    }
    const revision = this.objects.nextRevision();
    const removed = {
      ...current,
      metadata: { ...metadata, resourceVersion: String(revision) },
    } as KubeObject;
    this.objects.table(spec).get(namespace)?.delete(name);
    this.objects.record({ type: 'DELETED', revision, storage: storageKey(spec), object: removed });
    this.afterRemoval(spec, namespace);
    return { object: removed, pending: false };
  }

  /** Marks the namespace Terminating, deletes its content, and removes it once it is empty. */
  deleteNamespace(entry: Entry, apiVersion: string): DeleteResult {
    const name = str(meta(entry.object).name)!;
    if (!meta(entry.object).deletionTimestamp) {
      const current = entry.object;
      const next = structuredClone(current);
      meta(next).deletionTimestamp = timestamp(this.now().getTime());
      meta(next).deletionGracePeriodSeconds = 0;
      next.status = { ...(isJsonObject(next.status) ? next.status : {}), phase: 'Terminating' };
      const revision = this.objects.nextRevision();
      meta(next).resourceVersion = String(revision);
      entry.object = next;
      this.objects.record({
        type: 'MODIFIED',
        revision,
        storage: NAMESPACE_STORAGE,
        object: next,
        previous: current,
      });
    }
    for (const spec of this.namespacedStorages()) {
      const names = this.objects.table(spec).get(name);
      for (const child of [...(names?.values() ?? [])]) this.deleteEntry(spec, child);
    }
    // the namespace may already be gone: removing its last child finalizes it
    const removed = this.finalizeNamespace(name);
    const pending = this.objects.lookup(this.namespaceSpec(), undefined, name) !== undefined;
    return { object: present(removed ?? entry.object, apiVersion), pending };
  }

  /** One spec per namespaced storage (versions of a resource share one). */
  private namespacedStorages(): KindSpec[] {
    const seen = new Map<string, KindSpec>();
    for (const spec of this.kinds.list())
      if (spec.namespaced && !seen.has(storageKey(spec))) seen.set(storageKey(spec), spec);
    return [...seen.values()];
  }

  namespaceSpec(): KindSpec {
    const spec = this.kinds.lookupKind('v1', 'Namespace');
    if (!spec) throw new Error('the kind registry has no core v1 Namespace');
    return spec;
  }

  private isNamespaceEmpty(namespace: string): boolean {
    for (const spec of this.namespacedStorages())
      if ((this.objects.table(spec).get(namespace)?.size ?? 0) > 0) return false;
    return true;
  }

  removable(spec: KindSpec, object: KubeObject): boolean {
    if (!meta(object).deletionTimestamp || finalizersOf(object).length > 0) return false;
    return storageKey(spec) !== NAMESPACE_STORAGE || this.isNamespaceEmpty(str(meta(object).name)!);
  }

  afterRemoval(spec: KindSpec, namespace: string): void {
    if (namespace !== '' && spec.namespaced) this.finalizeNamespace(namespace);
  }

  /** Removes a Terminating namespace once it is empty and has no finalizers left; returns it if removed. */
  private finalizeNamespace(name: string): KubeObject | undefined {
    const spec = this.namespaceSpec();
    const entry = this.objects.lookup(spec, undefined, name);
    if (!entry || !this.removable(spec, entry.object)) return undefined;
    const revision = this.objects.nextRevision();
    const removed = {
      ...entry.object,
      metadata: { ...meta(entry.object), resourceVersion: String(revision) },
    } as KubeObject;
    this.objects.table(spec).get('')?.delete(name);
    this.objects.record({ type: 'DELETED', revision, storage: NAMESPACE_STORAGE, object: removed });
    return removed;
  }
}
