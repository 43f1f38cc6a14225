/**
 * The simulated API server's state and the write semantics of kube-apiserver: generation,
 * optimistic concurrency, the status subresource, the four patch types, server-side apply with its
 * managed fields, lists with selectors and pagination, and watches. Synchronous: every operation
 * runs to completion on the event loop, so concurrent HTTP requests see a consistent store.
 *
 * The objects and their resourceVersions are kept in api-server-objects.ts, the watch history in
 * api-server-watch.ts, deletion with finalizers and the namespace lifecycle in
 * api-server-deletion.ts, and what a write is checked against in api-server-validation.ts.
 */
import { randomUUID } from 'node:crypto';
import { jsonEqual, isJsonObject, type JsonObject, type JsonValue } from '../core/index.js';
import { InputError } from '../core/errors/index.js';
import {
  type FieldSelector,
  type KindRegistry,
  type KubeObject,
  type LabelSelector,
  apiVersionOf,
  storageKey,
} from '../cluster/index.js';
import { type DeleteResult, Deletions, NAMESPACE_STORAGE } from './api-server-deletion.js';
import { timestamp } from './support.js';
import {
  type Entry,
  type ListQuery,
  type ListResult,
  type ObjectTarget,
  type Target,
  type ManagerRecord,
  KEPT_METADATA,
  ObjectTables,
  canonical,
  finalizersOf,
  meta,
  present,
  specPart,
  str,
} from './api-server-objects.js';
import {
  SERVER_METADATA,
  applyAsOwner,
  releaseOwners,
  setManagedFields,
} from './api-server-managed-fields.js';
import { jsonPatch, mergePatch } from './api-server-patch.js';
import { StatusErrors } from './api-server-status.js';
import {
  applyDefaults,
  causesOf,
  checkIdentity,
  checkNamespace,
  decodeBody,
  generateName,
  immutabilityCauses,
  validate,
} from './api-server-validation.js';
import { type WatchHandle, type WatchSink, type Watcher, WatchCache } from './api-server-watch.js';
import type { LoadedState, StorePersistence } from './store-log.js';

export interface WriteOptions {
  subresource?: 'status';
  /** `dryRun=All`: everything but the commit. */
  dryRun?: boolean;
}

export type PatchType = 'merge' | 'strategic' | 'json' | 'apply';

export interface PatchOptions extends WriteOptions {
  fieldManager?: string;
  force?: boolean;
}

export interface DeleteOptions {
  dryRun?: boolean;
  preconditions?: { uid?: string; resourceVersion?: string };
}

export interface WatchQuery extends Target {
  labelSelector?: LabelSelector;
  fieldSelector?: FieldSelector;
  /** Events after this one; unset, '' or '0': the current objects as ADDED first. */
  resourceVersion?: string;
  sendInitialEvents?: boolean;
}

export interface ObjectStoreOptions {
  kinds: KindRegistry;
  /** How many change events a watch can resume from (default 10,000). */
  historySize?: number;
  now?: () => Date;
  /** Where every change is written before it is acknowledged, and the state is loaded from (default: memory only). */
  persistence?: StorePersistence;
}

function withoutVolatileMetadata(object: KubeObject): JsonObject {
  const { resourceVersion: _rv, managedFields: _mf, generation: _g, ...metadata } = meta(object);
  return { ...(object as JsonObject), metadata };
}

export class ObjectStore {
  readonly kinds: KindRegistry;
  private readonly objects: ObjectTables;
  private readonly watches: WatchCache;
  private readonly deletions: Deletions;
  private readonly now: () => Date;
  private readonly persistence: StorePersistence | undefined;

  constructor(options: ObjectStoreOptions) {
    this.kinds = options.kinds;
    this.watches = new WatchCache(options.historySize ?? 10_000);
    this.now = options.now ?? (() => new Date());
    this.persistence = options.persistence;
    this.objects = new ObjectTables({
      ...(this.persistence ? { persistence: this.persistence } : {}),
      onChange: (event) => this.watches.publish(event),
    });
    this.deletions = new Deletions({ kinds: this.kinds, objects: this.objects, now: this.now });
    if (this.persistence) this.restore(this.persistence.load());
  }

  /** Whether the store started from a persisted state (a restart) rather than empty. */
  get restored(): boolean {
    return this.objects.restored;
  }

  /** Closes the persistence (after a snapshot under way); the store is not to be written after. */
  async close(): Promise<void> {
    await this.persistence?.close();
  }

  get resourceVersion(): string {
    return String(this.objects.current);
  }

  /** The oldest resourceVersion a watch may still start from. */
  get compactedResourceVersion(): string {
    return String(this.watches.compactedRevision);
  }

  get watchCount(): number {
    return this.watches.watchCount;
  }

  get objectCount(): number {
    return this.objects.objectCount;
  }

  // ---- reads

  has(target: ObjectTarget): boolean {
    return this.objects.lookup(target.spec, target.namespace, target.name) !== undefined;
  }

  get(target: ObjectTarget): KubeObject {
    return present(this.require(target).object, apiVersionOf(target.spec));
  }

  list(target: Target, query: ListQuery = {}): ListResult {
    return this.objects.list(target, query);
  }

  // ---- writes

  create(target: Target, body: unknown, options: WriteOptions = {}): KubeObject {
    if (options.subresource) throw StatusErrors.methodNotAllowed();
    const object = decodeBody(target.spec, body);
    const metadata = meta(object);
    if (target.spec.namespaced) {
      checkNamespace(target, metadata);
      metadata.namespace = target.namespace!;
    } else {
      delete metadata.namespace;
    }
    if (!str(metadata.name) && str(metadata.generateName))
      metadata.name = generateName(str(metadata.generateName)!);
    if (str(metadata.resourceVersion))
      throw StatusErrors.badRequest('resourceVersion should not be set on objects to be created');
    return this.insert(target, object, new Map(), options);
  }

  replace(target: ObjectTarget, body: unknown, options: WriteOptions = {}): KubeObject {
    const entry = this.require(target);
    const next = decodeBody(target.spec, body);
    checkIdentity(target, next);
    this.checkPrecondition(target, entry, str(meta(next).resourceVersion));
    return this.update(target, entry, next, options, releaseOwners(entry, next));
  }

  patch(target: ObjectTarget, type: PatchType, body: unknown, options: PatchOptions = {}): KubeObject {
    if (type === 'apply') return this.apply(target, body, options);
    const entry = this.require(target);
    const current = { ...entry.object, apiVersion: apiVersionOf(target.spec) } as JsonObject;
    let patched: JsonValue;
    try {
      if (type === 'json') patched = jsonPatch(current, body);
      else {
        if (!isJsonObject(body)) throw StatusErrors.badRequest('a merge patch must be a JSON object');
        patched = mergePatch(current, body);
      }
    } catch (error) {
      if (error instanceof InputError) {
        throw StatusErrors.invalid(target.spec, target.name, causesOf(error));
      }
      throw error;
    }
    if (!isJsonObject(patched) || !isJsonObject(patched.metadata))
      throw StatusErrors.badRequest('the patch must leave an object with metadata');
    const next = patched as KubeObject;
    checkIdentity(target, next);
    this.checkPrecondition(target, entry, str(meta(next).resourceVersion));
    return this.update(target, entry, next, options, releaseOwners(entry, next));
  }

  delete(target: ObjectTarget, options: DeleteOptions = {}): DeleteResult {
    const entry = this.require(target);
    const apiVersion = apiVersionOf(target.spec);
    const { uid, resourceVersion } = options.preconditions ?? {};
    const metadata = meta(entry.object);
    if (uid !== undefined && uid !== metadata.uid)
      throw StatusErrors.conflict(
        target.spec,
        target.name,
        `Precondition failed: UID in precondition: ${uid}, UID in object meta: ${String(metadata.uid)}`,
      );
    if (resourceVersion !== undefined && resourceVersion !== metadata.resourceVersion)
      throw StatusErrors.conflict(
        target.spec,
        target.name,
        `Precondition failed: ResourceVersion in precondition: ${resourceVersion}, ResourceVersion in object meta: ${String(metadata.resourceVersion)}`,
      );
    if (options.dryRun) {
      const pending = finalizersOf(entry.object).length > 0 || target.spec.kind === 'Namespace';
      return { object: present(entry.object, apiVersion), pending };
    }
    if (storageKey(target.spec) === NAMESPACE_STORAGE)
      return this.deletions.deleteNamespace(entry, apiVersion);
    const result = this.deletions.deleteEntry(target.spec, entry);
    return { object: present(result.object, apiVersion), pending: result.pending };
  }

  /** Deletes every object of the target's kind (in its namespace) that the selectors match. */
  deleteCollection(target: Target, query: ListQuery, options: DeleteOptions = {}): KubeObject[] {
    const { items } = this.list(target, {
      labelSelector: query.labelSelector,
      fieldSelector: query.fieldSelector,
    });
    return items.map(
      (item) =>
        this.delete(
          {
            ...target,
            name: str(meta(item).name)!,
            namespace: str(meta(item).namespace) ?? target.namespace,
          },
          options,
        ).object,
    );
  }

  // ---- watches

  /** Throws a 410 Expired ApiStatusError when `resourceVersion` is outside the history window. */
  watch(query: WatchQuery, sink: WatchSink): WatchHandle {
    const watcher: Watcher = {
      storage: storageKey(query.spec),
      apiVersion: apiVersionOf(query.spec),
      namespace: query.spec.namespaced ? query.namespace : undefined,
      labels: query.labelSelector ?? [],
      fields: query.fieldSelector ?? [],
      sink,
    };
    const since = query.resourceVersion;
    const initial = since === undefined || since === '' || since === '0' || query.sendInitialEvents === true;
    if (initial) {
      const { items } = this.list(query, { labelSelector: watcher.labels, fieldSelector: watcher.fields });
      for (const item of items) sink.event('ADDED', item);
    } else {
      if (!/^\d+$/.test(since)) throw StatusErrors.badRequest(`invalid resource version "${since}"`);
      this.watches.replay(watcher, Number(since), this.objects.current);
    }
    return { startRevision: this.objects.current, close: this.watches.add(watcher) };
  }

  /** Ends every watch (as a restarting API server would); clients resume from their resourceVersion. */
  closeWatches(): void {
    this.watches.closeAll();
  }

  // ---- internals

  /**
   * The state a persistence loaded. Its change history is not kept: a watch from before the
   * restart gets 410 Gone (as from a compacted etcd revision) and its client lists again.
   */
  private restore(state: LoadedState): void {
    this.objects.restore(state);
    this.watches.compactTo(state.revision);
  }

  private require(target: ObjectTarget): Entry {
    const entry = this.objects.lookup(target.spec, target.namespace, target.name);
    if (!entry) throw StatusErrors.notFound(target.spec, target.name);
    return entry;
  }

  private checkPrecondition(target: ObjectTarget, entry: Entry, resourceVersion: string | undefined): void {
    if (resourceVersion && resourceVersion !== meta(entry.object).resourceVersion)
      throw StatusErrors.staleResourceVersion(target.spec, target.name);
  }

  private apply(target: ObjectTarget, body: unknown, options: PatchOptions): KubeObject {
    const manager = options.fieldManager;
    if (!manager)
      throw StatusErrors.invalid({ group: 'meta.k8s.io', kind: 'PatchOptions' }, '', [
        {
          reason: 'FieldValueRequired',
          message: 'Required value: is required for apply patch',
          field: 'fieldManager',
        },
      ]);
    const applied = decodeBody(target.spec, body);
    checkIdentity(target, applied);
    const entry = this.objects.lookup(target.spec, target.namespace, target.name);
    if (entry) this.checkPrecondition(target, entry, str(meta(applied).resourceVersion));
    else if (options.subresource) throw StatusErrors.notFound(target.spec, target.name);
    const { object: next, owners: records } = applyAsOwner({
      target,
      entry,
      applied,
      manager,
      ...(options.subresource ? { subresource: options.subresource } : {}),
      force: options.force === true,
      now: this.now,
    });
    if (!entry) {
      const metadata = meta(next);
      metadata.name = target.name;
      if (target.spec.namespaced) metadata.namespace = target.namespace!;
      next.apiVersion = apiVersionOf(target.spec);
      next.kind = target.spec.kind;
      return this.insert(target, next, records, options);
    }
    return this.update(target, entry, next, options, records);
  }

  /** Stores a new object (create, or an apply that creates). */
  private insert(
    target: Target,
    input: KubeObject,
    owners: Map<string, ManagerRecord>,
    options: WriteOptions,
  ): KubeObject {
    const { spec } = target;
    let object = input;
    const metadata = meta(object);
    const name = str(metadata.name) ?? '';
    const causes = validate(spec, object);
    if (causes.length > 0) throw StatusErrors.invalid(spec, name, causes);
    const namespace = spec.namespaced ? target.namespace! : '';
    if (spec.namespaced) {
      const ns = this.objects.lookup(this.deletions.namespaceSpec(), undefined, namespace);
      if (!ns) throw StatusErrors.notFound({ group: '', plural: 'namespaces' }, namespace);
      if (meta(ns.object).deletionTimestamp)
        throw StatusErrors.forbidden(
          spec,
          name,
          `unable to create new content in namespace ${namespace} because it is being terminated`,
          [
            {
              reason: 'NamespaceTerminating',
              message: `namespace ${namespace} is being terminated`,
              field: 'metadata.namespace',
            },
          ],
        );
    }
    if (this.objects.lookup(spec, namespace, name)) throw StatusErrors.alreadyExists(spec, name);
    for (const key of SERVER_METADATA) delete metadata[key];
    if (spec.statusSubresource) delete (object as JsonObject).status;
    applyDefaults(spec, object, 'create');
    metadata.uid = randomUUID();
    metadata.creationTimestamp = timestamp(this.now().getTime());
    metadata.generation = 1;
    setManagedFields(object, owners);
    object = canonical(object);
    if (options.dryRun) return present(object, apiVersionOf(spec));
    const revision = this.objects.nextRevision();
    metadata.resourceVersion = String(revision);
    const entry: Entry = { object, owners };
    const table = this.objects.table(spec);
    let names = table.get(namespace);
    if (!names) table.set(namespace, (names = new Map()));
    names.set(name, entry);
    this.objects.record({ type: 'ADDED', revision, storage: storageKey(spec), object });
    return present(object, apiVersionOf(spec));
  }

  /** The write path of PUT, patch and apply on an existing object. */
  private update(
    target: ObjectTarget,
    entry: Entry,
    candidate: KubeObject,
    options: WriteOptions,
    owners: Map<string, ManagerRecord>,
  ): KubeObject {
    const { spec } = target;
    const current = entry.object;
    const currentMeta = meta(current);
    let next: KubeObject;
    if (options.subresource === 'status') {
      next = structuredClone(current);
      const status = (candidate as JsonObject).status;
      if (status === undefined) delete (next as JsonObject).status;
      else next.status = structuredClone(status);
    } else {
      next = structuredClone(candidate);
      // a Namespace's spec (its finalizers) only changes through /finalize, which is not simulated
      if (storageKey(spec) === NAMESPACE_STORAGE) next.spec = structuredClone(current.spec);
      if (spec.statusSubresource) {
        if ('status' in current) next.status = structuredClone(current.status);
        else delete (next as JsonObject).status;
      }
    }
    next.apiVersion = apiVersionOf(spec);
    next.kind = spec.kind;
    const metadata = meta(next);
    for (const key of KEPT_METADATA) {
      if (currentMeta[key] === undefined) delete metadata[key];
      else metadata[key] = currentMeta[key]!;
    }
    applyDefaults(spec, next, 'update');
    const causes = validate(spec, next);
    if (currentMeta.deletionTimestamp) {
      const before = new Set(finalizersOf(current));
      if (finalizersOf(next).some((f) => !before.has(f)))
        causes.push({
          reason: 'FieldValueForbidden',
          message: 'Forbidden: no new finalizers can be added if the object is being deleted',
          field: 'metadata.finalizers',
        });
    }
    if (spec.kind === 'Secret' || spec.kind === 'ConfigMap')
      causes.push(...immutabilityCauses(current, next));
    if (causes.length > 0) throw StatusErrors.invalid(spec, target.name, causes);

    metadata.generation = jsonEqual(specPart(current), specPart(next))
      ? (currentMeta.generation ?? 1)
      : Number(currentMeta.generation ?? 1) + 1;
    setManagedFields(next, owners);
    metadata.resourceVersion = currentMeta.resourceVersion!;
    next = canonical(next);
    const apiVersion = apiVersionOf(spec);
    if (
      jsonEqual(withoutVolatileMetadata(current), withoutVolatileMetadata(next)) &&
      jsonEqual(meta(current).managedFields, metadata.managedFields)
    )
      return present(current, apiVersion);
    if (options.dryRun) return present(next, apiVersion);

    const revision = this.objects.nextRevision();
    metadata.resourceVersion = String(revision);
    const namespace = spec.namespaced ? target.namespace! : '';
    if (this.deletions.removable(spec, next)) {
      this.objects.table(spec).get(namespace)?.delete(target.name);
      this.objects.record({ type: 'DELETED', revision, storage: storageKey(spec), object: next });
      this.deletions.afterRemoval(spec, namespace);
      return present(next, apiVersion);
    }
    entry.object = next;
    entry.owners = owners;
    this.objects.record({
      type: 'MODIFIED',
      revision,
      storage: storageKey(spec),
      object: next,
      previous: current,
    });
    return present(next, apiVersion);
  }
}
