/**
 * The simulated API server's state: objects by kind, namespace and name, one global
 * resourceVersion counter (as etcd's revision), a bounded history of change events for watches,
 * and the write semantics of kube-apiserver (generation, optimistic concurrency, status
 * subresource, finalizers, namespace cascade, server-side apply). Synchronous: every operation
 * runs to completion on the event loop, so concurrent HTTP requests see a consistent store.
 *
 * Stored objects are never modified in place: each write stores a new object, so the history and
 * watchers can share them.
 */
import { randomUUID } from 'node:crypto';
import type { JsonObject, JsonValue } from '../core/index.js';
import { InputError } from '../core/errors/index.js';
import {
  type FieldSelector,
  type KindRegistry,
  type KindSpec,
  type KubeObject,
  type LabelSelector,
  apiVersionOf,
  labelKeyProblem,
  labelValueProblem,
  matchesFields,
  matchesLabels,
  storageKey,
} from '../cluster/index.js';
import {
  ApplyConflictError,
  type FieldPath,
  applyConfiguration,
  describePath,
  releaseChangedFields,
  toFieldsV1,
} from './api-server-apply.js';
import { deepEqual, isJsonObject, jsonPatch, mergePatch } from './api-server-patch.js';
import { type StatusCause, StatusErrors } from './api-server-status.js';
import type { LoadedState, StorePersistence } from './store-log.js';

export type ChangeType = 'ADDED' | 'MODIFIED' | 'DELETED';

interface StoredEvent {
  type: ChangeType;
  revision: number;
  storage: string;
  object: KubeObject;
  /** The object before a MODIFIED change, to tell a watcher when it enters or leaves its selector. */
  previous?: KubeObject;
}

interface ManagerRecord {
  manager: string;
  subresource?: 'status';
  apiVersion: string;
  time: string;
  paths: FieldPath[];
}

interface Entry {
  object: KubeObject;
  /** Apply owners, by manager name (plus `/status` for applies to the status subresource). */
  owners: Map<string, ManagerRecord>;
}

/** Objects of one storage (a group's resource, all versions), by namespace ('' when cluster-scoped) then name. */
type Table = Map<string, Map<string, Entry>>;

/** Which objects a request addresses. */
export interface Target {
  spec: KindSpec;
  /** The version the client used: objects are presented with it. */
  version: string;
  namespace?: string;
}

export interface ObjectTarget extends Target {
  name: string;
}

export interface ListQuery {
  labelSelector?: LabelSelector;
  fieldSelector?: FieldSelector;
  limit?: number;
  continueToken?: string;
}

export interface ListResult {
  items: KubeObject[];
  resourceVersion: string;
  continueToken?: string;
  remainingItemCount?: number;
}

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

export interface DeleteResult {
  object: KubeObject;
  /** True when finalizers keep the object (it only got a deletionTimestamp). */
  pending: boolean;
}

export interface WatchQuery extends Target {
  labelSelector?: LabelSelector;
  fieldSelector?: FieldSelector;
  /** Events after this one; unset, '' or '0': the current objects as ADDED first. */
  resourceVersion?: string;
  sendInitialEvents?: boolean;
}

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

export interface ObjectStoreOptions {
  kinds: KindRegistry;
  /** How many change events a watch can resume from (default 10,000). */
  historySize?: number;
  now?: () => Date;
  /** Where every change is written before it is acknowledged, and the state is loaded from (default: memory only). */
  persistence?: StorePersistence;
}

const NAMESPACE_STORAGE = 'namespaces.';
const SERVER_METADATA = [
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'managedFields',
  'selfLink',
];
const DATA_KEY = /^[-._a-zA-Z0-9]+$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const GENERATE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

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

interface Watcher {
  storage: string;
  apiVersion: string;
  namespace: string | undefined;
  labels: LabelSelector;
  fields: FieldSelector;
  sink: WatchSink;
}

function meta(object: KubeObject | JsonObject): JsonObject {
  return (object.metadata ?? {}) as JsonObject;
}

function str(value: JsonValue | unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function finalizersOf(object: KubeObject): string[] {
  const finalizers = meta(object).finalizers;
  return Array.isArray(finalizers) ? (finalizers.filter((f) => typeof f === 'string') as string[]) : [];
}

/** The object with `apiVersion` as the client asked for it (versions share storage; no conversion). */
function present(object: KubeObject, apiVersion: string): KubeObject {
  return object.apiVersion === apiVersion ? object : { ...object, apiVersion };
}

/** What `generation` tracks: everything but metadata and status. */
function specPart(object: KubeObject): JsonObject {
  const { metadata: _metadata, status: _status, ...rest } = object as JsonObject;
  return rest;
}

function withoutVolatileMetadata(object: KubeObject): JsonObject {
  const { resourceVersion: _rv, managedFields: _mf, generation: _g, ...metadata } = meta(object);
  return { ...(object as JsonObject), metadata };
}

export class ObjectStore {
  readonly kinds: KindRegistry;
  private revision = 0;
  private readonly tables = new Map<string, Table>();
  private readonly history: History;
  private readonly watchers = new Map<string, Set<Watcher>>();
  private readonly now: () => Date;
  private readonly persistence: StorePersistence | undefined;
  private restoredRevision = 0;

  constructor(options: ObjectStoreOptions) {
    this.kinds = options.kinds;
    const historySize = options.historySize ?? 10_000;
    if (!Number.isInteger(historySize) || historySize < 1)
      throw new Error('historySize must be a positive integer');
    this.history = new History(historySize);
    this.now = options.now ?? (() => new Date());
    this.persistence = options.persistence;
    if (this.persistence) this.restore(this.persistence.load());
  }

  /** Whether the store started from a persisted state (a restart) rather than empty. */
  get restored(): boolean {
    return this.restoredRevision > 0;
  }

  /** Closes the persistence (after a snapshot under way); the store is not to be written after. */
  async close(): Promise<void> {
    await this.persistence?.close();
  }

  get resourceVersion(): string {
    return String(this.revision);
  }

  /** The oldest resourceVersion a watch may still start from. */
  get compactedResourceVersion(): string {
    return String(this.history.compactedRevision);
  }

  get watchCount(): number {
    let count = 0;
    for (const set of this.watchers.values()) count += set.size;
    return count;
  }

  get objectCount(): number {
    let count = 0;
    for (const table of this.tables.values()) for (const names of table.values()) count += names.size;
    return count;
  }

  // ---- reads

  has(target: ObjectTarget): boolean {
    return this.lookup(target.spec, target.namespace, target.name) !== undefined;
  }

  get(target: ObjectTarget): KubeObject {
    return present(this.require(target).object, apiVersionOf(target.spec));
  }

  list(target: Target, query: ListQuery = {}): ListResult {
    const apiVersion = apiVersionOf(target.spec);
    const table = this.table(target.spec);
    let start: string | undefined;
    if (query.continueToken) {
      start = decodeContinue(query.continueToken);
    }
    const matched: Array<{ key: string; object: KubeObject }> = [];
    const namespaces = target.namespace !== undefined ? [target.namespace] : [...table.keys()];
    for (const namespace of namespaces) {
      for (const [name, entry] of table.get(namespace) ?? []) {
        const key = `${namespace}/${name}`;
        if (start !== undefined && key <= start) continue;
        if (this.selects(entry.object, query.labelSelector, query.fieldSelector))
          matched.push({ key, object: entry.object });
      }
    }
    matched.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    const limit = query.limit && query.limit > 0 ? query.limit : undefined;
    const page = limit !== undefined ? matched.slice(0, limit) : matched;
    const result: ListResult = {
      items: page.map((m) => present(m.object, apiVersion)),
      resourceVersion: this.resourceVersion,
    };
    if (limit !== undefined && matched.length > limit) {
      result.continueToken = encodeContinue(page[page.length - 1]!.key);
      result.remainingItemCount = matched.length - limit;
    }
    return result;
  }

  // ---- writes

  create(target: Target, body: unknown, options: WriteOptions = {}): KubeObject {
    if (options.subresource) throw StatusErrors.methodNotAllowed();
    const object = this.decodeBody(target.spec, body);
    const metadata = meta(object);
    if (target.spec.namespaced) {
      if (
        metadata.namespace !== undefined &&
        metadata.namespace !== '' &&
        metadata.namespace !== target.namespace
      )
        throw StatusErrors.badRequest(
          'the namespace of the provided object does not match the namespace sent on the request',
        );
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
    const next = this.decodeBody(target.spec, body);
    this.checkIdentity(target, next);
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
    this.checkIdentity(target, next);
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
    if (storageKey(target.spec) === NAMESPACE_STORAGE) return this.deleteNamespace(entry, apiVersion);
    const result = this.deleteEntry(target.spec, entry);
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
    const storage = storageKey(query.spec);
    const watcher: Watcher = {
      storage,
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
      const revision = Number(since);
      // a revision this server never issued (e.g. from before a restart with a fresh store) is as unusable as a compacted one
      if (revision < this.history.compactedRevision || revision > this.revision)
        throw StatusErrors.expired(
          `too old resource version: ${revision} (${this.history.compactedRevision + 1})`,
        );
      for (const event of this.history.after(revision))
        if (event.storage === storage) this.deliver(watcher, event);
    }
    let set = this.watchers.get(storage);
    if (!set) this.watchers.set(storage, (set = new Set()));
    set.add(watcher);
    return {
      startRevision: this.revision,
      close: () => {
        this.watchers.get(storage)?.delete(watcher);
      },
    };
  }

  /** Ends every watch (as a restarting API server would); clients resume from their resourceVersion. */
  closeWatches(): void {
    const all = [...this.watchers.values()].flatMap((set) => [...set]);
    this.watchers.clear();
    for (const watcher of all) watcher.sink.close();
  }

  // ---- internals

  /**
   * The state a persistence loaded. Its change history is not kept: a watch from before the
   * restart gets 410 Gone (as from a compacted etcd revision) and its client lists again.
   */
  private restore(state: LoadedState): void {
    this.revision = state.revision;
    this.restoredRevision = state.revision;
    this.history.compactedRevision = state.revision;
    for (const item of state.entries) {
      let table = this.tables.get(item.storage);
      if (!table) this.tables.set(item.storage, (table = new Map()));
      let names = table.get(item.namespace);
      if (!names) table.set(item.namespace, (names = new Map()));
      names.set(item.name, {
        object: item.object,
        owners: new Map(item.owners as Array<[string, ManagerRecord]>),
      });
    }
  }

  /** Every object with its owners at the current revision (shared, not copied: stored objects never change). */
  private state(): LoadedState {
    const entries: LoadedState['entries'] = [];
    for (const [storage, table] of this.tables)
      for (const [namespace, names] of table)
        for (const [name, entry] of names)
          entries.push({ storage, namespace, name, object: entry.object, owners: [...entry.owners] });
    return { revision: this.revision, entries };
  }

  /** Writes a change to the persistence before anyone is told of it (the API answers after this). */
  private persist(event: StoredEvent): void {
    const persistence = this.persistence;
    if (!persistence) return;
    const metadata = meta(event.object);
    const namespace = str(metadata.namespace) ?? '';
    const name = str(metadata.name)!;
    const owners = this.tables.get(event.storage)?.get(namespace)?.get(name)?.owners;
    persistence.append({
      revision: event.revision,
      storage: event.storage,
      namespace,
      name,
      ...(event.type === 'DELETED' ? {} : { object: event.object, owners: [...(owners ?? [])] }),
    });
    persistence.maybeCompact(() => this.state());
  }

  private table(spec: KindSpec): Table {
    const key = storageKey(spec);
    let table = this.tables.get(key);
    if (!table) this.tables.set(key, (table = new Map()));
    return table;
  }

  private lookup(spec: KindSpec, namespace: string | undefined, name: string): Entry | undefined {
    return this.table(spec)
      .get(spec.namespaced ? (namespace ?? '') : '')
      ?.get(name);
  }

  private require(target: ObjectTarget): Entry {
    const entry = this.lookup(target.spec, target.namespace, target.name);
    if (!entry) throw StatusErrors.notFound(target.spec, target.name);
    return entry;
  }

  private selects(object: KubeObject, labels?: LabelSelector, fields?: FieldSelector): boolean {
    const metadata = meta(object);
    if (
      labels &&
      labels.length > 0 &&
      !matchesLabels(labels, metadata.labels as Record<string, string> | undefined)
    )
      return false;
    if (fields && fields.length > 0) {
      return matchesFields(fields, (field) =>
        field === 'metadata.name'
          ? str(metadata.name)
          : field === 'metadata.namespace'
            ? str(metadata.namespace)
            : undefined,
      );
    }
    return true;
  }

  /** A POST/PUT/apply body: an object of the target's kind and version; returns a copy. */
  private decodeBody(spec: KindSpec, body: unknown): KubeObject {
    if (!isJsonObject(body)) throw StatusErrors.badRequest('the request body must be a JSON object');
    const apiVersion = apiVersionOf(spec);
    if (body.apiVersion !== undefined && body.apiVersion !== apiVersion)
      throw StatusErrors.badRequest(
        `the API version in the data (${String(body.apiVersion)}) does not match the expected API version (${apiVersion})`,
      );
    if (body.kind !== undefined && body.kind !== spec.kind)
      throw StatusErrors.badRequest(
        `the kind in the data (${String(body.kind)}) does not match the expected kind (${spec.kind})`,
      );
    if (body.metadata !== undefined && !isJsonObject(body.metadata))
      throw StatusErrors.badRequest(
        'json: cannot unmarshal into Go struct field .metadata of type v1.ObjectMeta',
      );
    const object = structuredClone(body) as JsonObject;
    object.apiVersion = apiVersion;
    object.kind = spec.kind;
    object.metadata = isJsonObject(object.metadata) ? object.metadata : {};
    return object as KubeObject;
  }

  /** PUT/patch: the name and namespace in the data must be those of the URL. */
  private checkIdentity(target: ObjectTarget, next: KubeObject): void {
    const metadata = meta(next);
    if (metadata.name !== undefined && metadata.name !== target.name)
      throw StatusErrors.badRequest(
        `the name of the object (${String(metadata.name)}) does not match the name on the URL (${target.name})`,
      );
    if (
      target.spec.namespaced &&
      metadata.namespace !== undefined &&
      metadata.namespace !== '' &&
      metadata.namespace !== target.namespace
    )
      throw StatusErrors.badRequest(
        'the namespace of the provided object does not match the namespace sent on the request',
      );
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
    const applied = this.decodeBody(target.spec, body);
    this.checkIdentity(target, applied);
    const subresource = options.subresource;
    const ownerKey = subresource ? `${manager}/${subresource}` : manager;
    const isManaged = (path: FieldPath): boolean => {
      const [first, second] = path;
      if (first === 'f:apiVersion' || first === 'f:kind') return false;
      if (first === 'f:metadata' && path.length === 2)
        return !['f:name', 'f:namespace', 'f:generateName', ...SERVER_METADATA.map((k) => `f:${k}`)].includes(
          second!,
        );
      if (subresource === 'status') return first === 'f:status';
      return !(target.spec.statusSubresource && first === 'f:status');
    };
    const entry = this.lookup(target.spec, target.namespace, target.name);
    if (entry) this.checkPrecondition(target, entry, str(meta(applied).resourceVersion));
    else if (subresource) throw StatusErrors.notFound(target.spec, target.name);

    const owners = new Map<string, FieldPath[]>();
    for (const [key, record] of entry?.owners ?? []) owners.set(key, record.paths);
    let result;
    try {
      result = applyConfiguration({
        live: entry?.object as JsonObject | undefined,
        applied: applied as JsonObject,
        owner: ownerKey,
        force: options.force === true,
        owners,
        isManaged,
        describeOwner: (key) => entry?.owners.get(key)?.manager ?? key,
      });
    } catch (error) {
      if (error instanceof ApplyConflictError) {
        throw StatusErrors.applyConflict(
          target.spec,
          target.name,
          error.message,
          error.conflicts.map((c) => ({
            reason: 'FieldManagerConflict',
            message: `conflict with "${entry?.owners.get(c.owner)?.manager ?? c.owner}"`,
            field: describePath(c.path),
          })),
        );
      }
      throw error;
    }
    const records = new Map<string, ManagerRecord>();
    for (const [key, paths] of result.owners) {
      const previous = entry?.owners.get(key);
      records.set(
        key,
        key === ownerKey
          ? {
              manager,
              ...(subresource ? { subresource } : {}),
              apiVersion: apiVersionOf(target.spec),
              // an unchanged field set keeps its time, so a no-op apply stays a no-op
              time: previous && deepEqual(previous.paths, paths) ? previous.time : timestamp(this.now()),
              paths,
            }
          : { ...previous!, paths },
      );
    }
    const next = result.object as KubeObject;
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
      const ns = this.lookup(this.namespaceSpec(), undefined, namespace);
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
    if (this.lookup(spec, namespace, name)) throw StatusErrors.alreadyExists(spec, name);
    for (const key of SERVER_METADATA) delete metadata[key];
    if (spec.statusSubresource) delete (object as JsonObject).status;
    applyDefaults(spec, object, 'create');
    metadata.uid = randomUUID();
    metadata.creationTimestamp = timestamp(this.now());
    metadata.generation = 1;
    setManagedFields(object, owners);
    object = canonical(object);
    if (options.dryRun) return present(object, apiVersionOf(spec));
    const revision = this.nextRevision();
    metadata.resourceVersion = String(revision);
    const entry: Entry = { object, owners };
    const table = this.table(spec);
    let names = table.get(namespace);
    if (!names) table.set(namespace, (names = new Map()));
    names.set(name, entry);
    this.record({ type: 'ADDED', revision, storage: storageKey(spec), object });
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
    for (const key of [
      'name',
      'namespace',
      'uid',
      'creationTimestamp',
      'deletionTimestamp',
      'deletionGracePeriodSeconds',
    ]) {
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

    metadata.generation = deepEqual(specPart(current), specPart(next))
      ? (currentMeta.generation ?? 1)
      : Number(currentMeta.generation ?? 1) + 1;
    setManagedFields(next, owners);
    metadata.resourceVersion = currentMeta.resourceVersion!;
    next = canonical(next);
    const apiVersion = apiVersionOf(spec);
    if (
      deepEqual(withoutVolatileMetadata(current), withoutVolatileMetadata(next)) &&
      deepEqual(meta(current).managedFields, metadata.managedFields)
    )
      return present(current, apiVersion);
    if (options.dryRun) return present(next, apiVersion);

    const revision = this.nextRevision();
    metadata.resourceVersion = String(revision);
    const namespace = spec.namespaced ? target.namespace! : '';
    if (this.removable(spec, next)) {
      this.table(spec).get(namespace)?.delete(target.name);
      this.record({ type: 'DELETED', revision, storage: storageKey(spec), object: next });
      this.afterRemoval(spec, namespace);
      return present(next, apiVersion);
    }
    entry.object = next;
    entry.owners = owners;
    this.record({ type: 'MODIFIED', revision, storage: storageKey(spec), object: next, previous: current });
    return present(next, apiVersion);
  }

  /** Finalizers only mark the object; without any it goes at once. */
  private deleteEntry(spec: KindSpec, entry: Entry): DeleteResult {
    const current = entry.object;
    const metadata = meta(current);
    const namespace = spec.namespaced ? (str(metadata.namespace) ?? '') : '';
    const name = str(metadata.name)!;
    if (finalizersOf(current).length > 0) {
      if (metadata.deletionTimestamp) return { object: current, pending: true };
      const next = structuredClone(current);
      meta(next).deletionTimestamp = timestamp(this.now());
      meta(next).deletionGracePeriodSeconds = 0;
      const revision = this.nextRevision();
      meta(next).resourceVersion = String(revision);
      entry.object = next;
      this.record({ type: 'MODIFIED', revision, storage: storageKey(spec), object: next, previous: current });
      return { object: next, pending: true };
    }
    const revision = this.nextRevision();
    const removed = {
      ...current,
      metadata: { ...metadata, resourceVersion: String(revision) },
    } as KubeObject;
    this.table(spec).get(namespace)?.delete(name);
    this.record({ type: 'DELETED', revision, storage: storageKey(spec), object: removed });
    this.afterRemoval(spec, namespace);
    return { object: removed, pending: false };
  }

  /** Marks the namespace Terminating, deletes its content, and removes it once it is empty. */
  private deleteNamespace(entry: Entry, apiVersion: string): DeleteResult {
    const name = str(meta(entry.object).name)!;
    if (!meta(entry.object).deletionTimestamp) {
      const current = entry.object;
      const next = structuredClone(current);
      meta(next).deletionTimestamp = timestamp(this.now());
      meta(next).deletionGracePeriodSeconds = 0;
      next.status = { ...(isJsonObject(next.status) ? next.status : {}), phase: 'Terminating' };
      const revision = this.nextRevision();
      meta(next).resourceVersion = String(revision);
      entry.object = next;
      this.record({
        type: 'MODIFIED',
        revision,
        storage: NAMESPACE_STORAGE,
        object: next,
        previous: current,
      });
    }
    for (const spec of this.namespacedStorages()) {
      const names = this.table(spec).get(name);
      for (const child of [...(names?.values() ?? [])]) this.deleteEntry(spec, child);
    }
    // the namespace may already be gone: removing its last child finalizes it
    const removed = this.finalizeNamespace(name);
    const pending = this.lookup(this.namespaceSpec(), undefined, name) !== undefined;
    return { object: present(removed ?? entry.object, apiVersion), pending };
  }

  /** One spec per namespaced storage (versions of a resource share one). */
  private namespacedStorages(): KindSpec[] {
    const seen = new Map<string, KindSpec>();
    for (const spec of this.kinds.list())
      if (spec.namespaced && !seen.has(storageKey(spec))) seen.set(storageKey(spec), spec);
    return [...seen.values()];
  }

  private namespaceSpec(): KindSpec {
    const spec = this.kinds.lookupKind('v1', 'Namespace');
    if (!spec) throw new Error('the kind registry has no core v1 Namespace');
    return spec;
  }

  private isNamespaceEmpty(namespace: string): boolean {
    for (const spec of this.namespacedStorages())
      if ((this.table(spec).get(namespace)?.size ?? 0) > 0) return false;
    return true;
  }

  private removable(spec: KindSpec, object: KubeObject): boolean {
    if (!meta(object).deletionTimestamp || finalizersOf(object).length > 0) return false;
    return storageKey(spec) !== NAMESPACE_STORAGE || this.isNamespaceEmpty(str(meta(object).name)!);
  }

  private afterRemoval(spec: KindSpec, namespace: string): void {
    if (namespace !== '' && spec.namespaced) this.finalizeNamespace(namespace);
  }

  /** Removes a Terminating namespace once it is empty and has no finalizers left; returns it if removed. */
  private finalizeNamespace(name: string): KubeObject | undefined {
    const spec = this.namespaceSpec();
    const entry = this.lookup(spec, undefined, name);
    if (!entry || !this.removable(spec, entry.object)) return undefined;
    const revision = this.nextRevision();
    const removed = {
      ...entry.object,
      metadata: { ...meta(entry.object), resourceVersion: String(revision) },
    } as KubeObject;
    this.table(spec).get('')?.delete(name);
    this.record({ type: 'DELETED', revision, storage: NAMESPACE_STORAGE, object: removed });
    return removed;
  }

  private nextRevision(): number {
    this.revision += 1;
    return this.revision;
  }

  private record(event: StoredEvent): void {
    this.persist(event);
    this.history.push(event);
    const watchers = this.watchers.get(event.storage);
    if (!watchers) return;
    for (const watcher of [...watchers]) this.deliver(watcher, event);
  }

  private deliver(watcher: Watcher, event: StoredEvent): void {
    if (watcher.namespace !== undefined && meta(event.object).namespace !== watcher.namespace) return;
    const now = this.selects(event.object, watcher.labels, watcher.fields);
    let type: ChangeType | undefined = now ? event.type : undefined;
    if (event.type === 'MODIFIED' && event.previous) {
      const before = this.selects(event.previous, watcher.labels, watcher.fields);
      // an object entering or leaving the selection is added or deleted for this watcher
      type = now && before ? 'MODIFIED' : now ? 'ADDED' : before ? 'DELETED' : undefined;
    }
    if (type) watcher.sink.event(type, present(event.object, watcher.apiVersion));
  }
}

/** `apiVersion`, `kind` and `metadata` first, as the real server writes objects. */
function canonical(object: KubeObject): KubeObject {
  const { apiVersion, kind, metadata, ...rest } = object;
  return { apiVersion, kind, metadata, ...rest };
}

function releaseOwners(entry: Entry, next: KubeObject): Map<string, ManagerRecord> {
  const paths = new Map<string, FieldPath[]>();
  for (const [key, record] of entry.owners) paths.set(key, record.paths);
  const kept = releaseChangedFields(paths, entry.object as JsonObject, next as JsonObject);
  const owners = new Map<string, ManagerRecord>();
  for (const [key, keptPaths] of kept) owners.set(key, { ...entry.owners.get(key)!, paths: keptPaths });
  return owners;
}

function setManagedFields(object: KubeObject, owners: Map<string, ManagerRecord>): void {
  const metadata = meta(object);
  if (owners.size === 0) {
    delete metadata.managedFields;
    return;
  }
  metadata.managedFields = [...owners.values()]
    .sort((a, b) => (a.manager === b.manager ? 0 : a.manager < b.manager ? -1 : 1))
    .map((record) => ({
      manager: record.manager,
      operation: 'Apply',
      apiVersion: record.apiVersion,
      time: record.time,
      fieldsType: 'FieldsV1',
      fieldsV1: toFieldsV1(record.paths),
      ...(record.subresource ? { subresource: record.subresource } : {}),
    }));
}

/** RFC 3339 with second precision, as Kubernetes writes timestamps. */
function timestamp(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function generateName(prefix: string): string {
  let suffix = '';
  for (let i = 0; i < 5; i += 1)
    suffix += GENERATE_ALPHABET[Math.floor(Math.random() * GENERATE_ALPHABET.length)];
  return `${prefix}${suffix}`;
}

function encodeContinue(key: string): string {
  return Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', start: key })).toString('base64url');
}

function decodeContinue(token: string): string {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { start?: unknown };
    if (typeof parsed.start === 'string') return parsed.start;
  } catch {
    // fall through to the error below
  }
  throw StatusErrors.badRequest('continue key is not valid');
}

function causesOf(error: InputError): StatusCause[] {
  return error.problems.map((p) => ({ reason: 'FieldValueInvalid', message: p.message, field: p.path }));
}

/** Server-side defaults, as the real API server sets them. */
function applyDefaults(spec: KindSpec, object: KubeObject, operation: 'create' | 'update'): void {
  const body = object as JsonObject;
  if (spec.group === '' && spec.kind === 'Secret') {
    if (isJsonObject(body.stringData)) {
      const data: JsonObject = isJsonObject(body.data) ? { ...body.data } : {};
      for (const [key, value] of Object.entries(body.stringData))
        if (typeof value === 'string') data[key] = Buffer.from(value, 'utf8').toString('base64');
      body.data = data;
      delete body.stringData;
    }
    if (body.type === undefined || body.type === '') body.type = 'Opaque';
  }
  if (spec.group === '' && spec.kind === 'Namespace') {
    const metadata = meta(object);
    const name = str(metadata.name);
    if (name)
      metadata.labels = {
        ...(isJsonObject(metadata.labels) ? metadata.labels : {}),
        'kubernetes.io/metadata.name': name,
      };
    if (operation === 'create') {
      const specField = isJsonObject(body.spec) ? body.spec : {};
      body.spec = {
        ...specField,
        finalizers: Array.isArray(specField.finalizers) ? specField.finalizers : ['kubernetes'],
      };
      body.status = { phase: 'Active' };
    }
  }
}

function invalidValue(field: string, shown: string, why: string): StatusCause {
  return { reason: 'FieldValueInvalid', message: `Invalid value: "${shown}": ${why}`, field };
}

function nameProblem(spec: KindSpec, name: string): string | undefined {
  switch (spec.nameRule ?? 'subdomain') {
    case 'label':
      return name.length <= 63 && DNS1123_LABEL.test(name)
        ? undefined
        : "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character";
    case 'subdomain':
      return name.length <= 253 && DNS1123_SUBDOMAIN.test(name)
        ? undefined
        : "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character";
    case 'path-segment':
      return name === '.' || name === '..' || /[/%]/.test(name)
        ? 'may not be "." or "..", or contain "/" or "%"'
        : undefined;
  }
}

/** Field validation common to all kinds, plus the data maps of Secrets and ConfigMaps. Never echoes a Secret value. */
function validate(spec: KindSpec, object: KubeObject): StatusCause[] {
  const causes: StatusCause[] = [];
  const metadata = meta(object);
  const name = metadata.name;
  if (typeof name !== 'string' || name === '') {
    causes.push({
      reason: 'FieldValueRequired',
      message: 'Required value: name or generateName is required',
      field: 'metadata.name',
    });
  } else {
    const problem = nameProblem(spec, name);
    if (problem) causes.push(invalidValue('metadata.name', name, problem));
  }
  for (const field of ['labels', 'annotations'] as const) {
    const map = metadata[field];
    if (map === undefined || map === null) continue;
    if (!isJsonObject(map))
      throw StatusErrors.badRequest(`json: cannot unmarshal metadata.${field} into map[string]string`);
    for (const [key, value] of Object.entries(map)) {
      if (typeof value !== 'string')
        throw StatusErrors.badRequest(`json: cannot unmarshal metadata.${field}["${key}"] into string`);
      const keyProblem = labelKeyProblem(key);
      if (keyProblem) causes.push(invalidValue(`metadata.${field}`, key, keyProblem));
      if (field === 'labels') {
        const valueProblem = labelValueProblem(value);
        if (valueProblem) causes.push(invalidValue('metadata.labels', value, valueProblem));
      }
    }
  }
  const finalizers = metadata.finalizers;
  if (finalizers !== undefined && finalizers !== null) {
    if (!Array.isArray(finalizers) || finalizers.some((f) => typeof f !== 'string'))
      throw StatusErrors.badRequest('json: cannot unmarshal metadata.finalizers into []string');
  }
  if (spec.group === '' && (spec.kind === 'Secret' || spec.kind === 'ConfigMap')) {
    const body = object as JsonObject;
    const maps = spec.kind === 'Secret' ? ['data'] : ['data', 'binaryData'];
    for (const field of maps) {
      const map = body[field];
      if (map === undefined || map === null) continue;
      if (!isJsonObject(map)) throw StatusErrors.badRequest(`json: cannot unmarshal ${field} into a map`);
      for (const [key, value] of Object.entries(map)) {
        if (typeof value !== 'string')
          throw StatusErrors.badRequest(`json: cannot unmarshal ${field}["${key}"] into a string`);
        if (!DATA_KEY.test(key) || key.length > 253)
          causes.push(
            invalidValue(
              `${field}[${key}]`,
              key,
              "a valid config key must consist of alphanumeric characters, '-', '_' or '.'",
            ),
          );
        const base64 = spec.kind === 'Secret' || field === 'binaryData';
        // the real server fails decoding such a value; the value itself is never echoed
        if (base64 && !BASE64.test(value))
          throw StatusErrors.badRequest(`illegal base64 data in ${field}["${key}"]`);
      }
    }
  }
  return causes;
}

function immutabilityCauses(current: KubeObject, next: KubeObject): StatusCause[] {
  const before = current as JsonObject;
  const after = next as JsonObject;
  if (before.immutable !== true) return [];
  const causes: StatusCause[] = [];
  if (after.immutable !== true)
    causes.push({
      reason: 'FieldValueForbidden',
      message: 'Forbidden: field is immutable when `immutable` is set',
      field: 'immutable',
    });
  for (const field of ['data', 'binaryData'])
    if (!deepEqual(before[field], after[field]))
      causes.push({
        reason: 'FieldValueForbidden',
        message: 'Forbidden: field is immutable when `immutable` is set',
        field,
      });
  return causes;
}
