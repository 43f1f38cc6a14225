/**
 * The simulated API server's stored objects: one table per storage (a group's resource, all
 * versions) by namespace and name, each object with its apply owners; the global revision counter
 * (etcd's revision, which each write's resourceVersion takes); lists with selectors, limits and
 * continue tokens; and the persistence each change is written to before anyone is told of it, and
 * the state is restored from.
 *
 * Stored objects are never modified in place: each write stores a new object, so the watch history
 * and watchers can share them.
 */
import type { JsonObject, JsonValue } from '../core/index.js';
import { type KindSpec, apiVersionOf, storageKey } from '../cluster/kinds.js';
import {
  type FieldSelector,
  type LabelSelector,
  matchesFields,
  matchesLabels,
} from '../cluster/label-selector.js';
import type { KubeObject } from '../cluster/types.js';
import type { FieldPath } from './api-server-apply.js';
import { StatusErrors } from './api-server-status.js';
import type { LoadedState, StorePersistence } from './store-log.js';

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

export type ChangeType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface StoredEvent {
  type: ChangeType;
  revision: number;
  storage: string;
  object: KubeObject;
  /** The object before a MODIFIED change, to tell a watcher when it enters or leaves its selector. */
  previous?: KubeObject;
}

/** An apply manager's fields, as stored and shown in managedFields. */
export interface ManagerRecord {
  manager: string;
  subresource?: 'status';
  apiVersion: string;
  time: string;
  paths: FieldPath[];
}

export interface Entry {
  object: KubeObject;
  /** Apply owners, by manager name (plus `/status` for applies to the status subresource). */
  owners: Map<string, ManagerRecord>;
}

/** Objects of one storage (a group's resource, all versions), by namespace ('' when cluster-scoped) then name. */
export type Table = Map<string, Map<string, Entry>>;

export interface ObjectTablesOptions {
  /** Where every change is written before it is acknowledged, and the state is loaded from (default: memory only). */
  persistence?: StorePersistence;
  /** Told of each change once it is persisted (the watch cache). */
  onChange(event: StoredEvent): void;
}

export class ObjectTables {
  private revision = 0;
  private readonly tables = new Map<string, Table>();
  private restoredRevision = 0;

  constructor(private readonly options: ObjectTablesOptions) {}

  /** The revision of the last change. */
  get current(): number {
    return this.revision;
  }

  /** Whether the tables started from a persisted state (a restart) rather than empty. */
  get restored(): boolean {
    return this.restoredRevision > 0;
  }

  get objectCount(): number {
    let count = 0;
    for (const table of this.tables.values()) for (const names of table.values()) count += names.size;
    return count;
  }

  /** The objects and revision a persistence loaded (the store's restart). */
  restore(state: LoadedState): void {
    this.revision = state.revision;
    this.restoredRevision = state.revision;
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
    const persistence = this.options.persistence;
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

  /** The objects of a kind (in one namespace, or all) that the selectors match, a page at a time, by namespace and name. */
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
        if (selects(entry.object, query.labelSelector, query.fieldSelector))
          matched.push({ key, object: entry.object });
      }
    }
    matched.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    const limit = query.limit && query.limit > 0 ? query.limit : undefined;
    const page = limit !== undefined ? matched.slice(0, limit) : matched;
    const result: ListResult = {
      items: page.map((m) => present(m.object, apiVersion)),
      resourceVersion: String(this.revision),
    };
    if (limit !== undefined && matched.length > limit) {
      result.continueToken = encodeContinue(page[page.length - 1]!.key);
      result.remainingItemCount = matched.length - limit;
    }
    return result;
  }

  table(spec: KindSpec): Table {
    const key = storageKey(spec);
    let table = this.tables.get(key);
    if (!table) this.tables.set(key, (table = new Map()));
    return table;
  }

  lookup(spec: KindSpec, namespace: string | undefined, name: string): Entry | undefined {
    return this.table(spec)
      .get(spec.namespaced ? (namespace ?? '') : '')
      ?.get(name);
  }

  nextRevision(): number {
    this.revision += 1;
    return this.revision;
  }

  /** Persists a change, then tells the watch cache. */
  record(event: StoredEvent): void {
    this.persist(event);
    this.options.onChange(event);
  }
}

export function meta(object: KubeObject | JsonObject): JsonObject {
  return (object.metadata ?? {}) as JsonObject;
}

export function str(value: JsonValue | unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

export function finalizersOf(object: KubeObject): string[] {
  const finalizers = meta(object).finalizers;
  return Array.isArray(finalizers) ? (finalizers.filter((f) => typeof f === 'string') as string[]) : [];
}

/** The object with `apiVersion` as the client asked for it (versions share storage; no conversion). */
export function present(object: KubeObject, apiVersion: string): KubeObject {
  return object.apiVersion === apiVersion ? object : { ...object, apiVersion };
}

/** Metadata a write cannot change: kept from the stored object. */
export const KEPT_METADATA: readonly string[] = [
  'name',
  'namespace',
  'uid',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
];

/** What `generation` tracks: everything but metadata and status. */
export function specPart(object: KubeObject): JsonObject {
  const { metadata: _metadata, status: _status, ...rest } = object as JsonObject;
  return rest;
}

/** `apiVersion`, `kind` and `metadata` first, as the real server writes objects. */
export function canonical(object: KubeObject): KubeObject {
  const { apiVersion, kind, metadata, ...rest } = object;
  return { apiVersion, kind, metadata, ...rest };
}

/** Whether the selectors (none: everything) match the object. */
export function selects(object: KubeObject, labels?: LabelSelector, fields?: FieldSelector): boolean {
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
