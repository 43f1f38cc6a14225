/**
 * The in-memory twin of KubeClusterClient: a ClusterClient keeping objects in maps, with the
 * semantics of kube-apiserver the port promises, for engine tests that must not start an API
 * server. test/cluster/client-contract.ts holds what the twin and the real client (over HTTP
 * against the simulated API server) both promise; errors are the very typed errors the real
 * client raises, built by the same errorFromStatus from the same Status messages.
 *
 * What it models: kinds from the same KindRegistry as the simulator (a kind it does not know is
 * KindNotServedError), uid, resourceVersion (one counter, as etcd's revision), creationTimestamp
 * and generation (bumped when anything but metadata and status changes); create → AlreadyExists;
 * replace, replaceStatus, mergePatch (RFC 7386) and apply compare a resourceVersion they carry;
 * the status subresource (writes to the object leave status alone, replaceStatus touches only
 * status, a kind without it writes status with the object); delete with uid/resourceVersion
 * preconditions; finalizers (delete only sets deletionTimestamp; the object goes when the last
 * finalizer is removed; none may be added meanwhile); Namespaces (must exist and not be
 * terminating for content to be created in them; deleting one deletes its content and it goes
 * once empty and without metadata.finalizers; the defaults of a real server); the Secret defaults
 * (stringData folded into data, type Opaque); name, label and data-key validation; label
 * selectors through src/cluster's parser; server-side apply as src/simulator/api-server-apply.ts
 * describes it; an unchanged write stores nothing (no new resourceVersion, no event).
 *
 * Informers are synchronous: a write delivers its ADDED / MODIFIED / DELETED events (with each
 * informer's namespace, selector and transform; an object entering or leaving a selection is
 * ADDED or DELETED) to every started informer before its promise resolves, in write order even
 * when a handler writes in turn; list() and get() of the client and of the informers reflect the
 * write at once.
 *
 * Not modelled: metadata.managedFields (and so field ownership is not visible), the `kubernetes`
 * finalizer in a Namespace's spec (a Namespace goes as soon as it is empty), watch failures and
 * relists (an informer never reports 'error' unless a handler throws), 410 Gone, pagination,
 * field selectors, dry runs, strategic merge and JSON patches, immutable ConfigMaps and Secrets,
 * schema validation of custom resources, admission, authorization, garbage collection by owner
 * references, and conversion between versions of a kind (versions share storage, as in the
 * simulator). Generation counts for every kind, as the simulator does it.
 *
 * Test controls: failNext() makes the next call of a verb (optionally on one object) fail with a
 * given error, before it changes anything or after; calls() / callCount() / writes() show what was
 * called, so a test can assert that no write happened.
 */
import { randomUUID } from 'node:crypto';
import { isJsonObject, jsonEqual, type JsonObject } from '../../src/core/index.js';
// Not through src/cluster/index.js, which loads the client-node adapter (~0.4 s in each test file).
import { KindNotServedError, errorFromStatus } from '../../src/cluster/errors.js';
import {
  BUILTIN_KINDS,
  KindRegistry,
  apiVersionOf,
  storageKey,
  type KindSpec,
} from '../../src/cluster/kinds.js';
import { matchesLabels, parseLabelSelector, type LabelSelector } from '../../src/cluster/label-selector.js';
import {
  DEFAULT_FIELD_MANAGER,
  type ClusterClient,
  type Informer,
  type InformerOptions,
  type KubeObject,
  type ListOptions,
  type ObjectRef,
  type TypeRef,
} from '../../src/cluster/types.js';
import {
  KEPT_METADATA,
  canonical,
  finalizersOf,
  meta,
  specPart,
  type Entry,
  type ManagerRecord,
} from '../../src/simulator/api-server-objects.js';
import {
  SERVER_METADATA,
  applyAsOwner,
  releaseOwners,
} from '../../src/simulator/api-server-managed-fields.js';
import { mergePatch } from '../../src/simulator/api-server-patch.js';
import { ApiStatusError, StatusErrors } from '../../src/simulator/api-server-status.js';
import { applyDefaults, generateName, validate } from '../../src/simulator/api-server-validation.js';
import { timestamp } from '../../src/simulator/support.js';
import { MemoryInformer, presented, type Change } from './memory-informer.js';

export type ClusterVerb =
  'get' | 'list' | 'create' | 'replace' | 'replaceStatus' | 'mergePatch' | 'apply' | 'delete' | 'informer';

/** The verbs that can change the cluster. */
export const WRITE_VERBS: readonly ClusterVerb[] = [
  'create',
  'replace',
  'replaceStatus',
  'mergePatch',
  'apply',
  'delete',
];

export interface ClusterCall {
  verb: ClusterVerb;
  /** The object (or, for list and informer, the kind) the call named. */
  ref: ObjectRef | TypeRef;
}

export interface FailNextOptions {
  /** Only a call on an object matching these fields (kind, name, namespace, ...) fails. */
  where?: Partial<ObjectRef>;
  /** 'after': the call takes effect, then fails (a reply lost on the way back). Default 'before'. */
  when?: 'before' | 'after';
}

export interface MemoryClusterClientOptions {
  /** Kinds served besides the built-in ones (src/cluster/kinds.ts), as SimulatedApiServerOptions.kinds. */
  kinds?: readonly KindSpec[];
  /** Namespaces that exist from the start (default: default, kube-system, kube-public, kube-node-lease). */
  namespaces?: readonly string[];
  /** The namespace of a namespaced object or ref that names none (default `default`, as KubeClusterClient.forServer). */
  defaultNamespace?: string;
  /** The field manager of apply() when the call names none (default `envcat`). */
  fieldManager?: string;
  now?: () => Date;
}

interface Fault {
  verb: ClusterVerb;
  error: unknown;
  where: Partial<ObjectRef> | undefined;
  when: 'before' | 'after';
}

const DEFAULT_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];
const NAMESPACE_STORAGE = 'namespaces.';

// ---- helpers

function withoutResourceVersion(object: KubeObject): KubeObject {
  const { resourceVersion: _rv, ...metadata } = object.metadata;
  return { ...object, metadata: metadata as KubeObject['metadata'] };
}

/** The ref KubeClusterClient names an object by in its error messages. */
function refOf(object: KubeObject): ObjectRef {
  return {
    apiVersion: object.apiVersion,
    kind: object.kind,
    name: object.metadata?.name,
    ...(object.metadata?.namespace !== undefined ? { namespace: object.metadata.namespace } : {}),
  };
}

function matchesWhere(ref: ObjectRef | TypeRef, where: Partial<ObjectRef> | undefined): boolean {
  if (!where) return true;
  return Object.entries(where).every(
    ([field, value]) => (ref as unknown as Record<string, unknown>)[field] === value,
  );
}

// ---- the client

export class MemoryClusterClient implements ClusterClient {
  private readonly kinds: KindRegistry;
  private readonly defaultNamespace: string;
  private readonly fieldManager: string;
  private readonly now: () => Date;
  /** Objects by storage (group and plural: versions share it), namespace ('' when cluster-scoped), name. */
  private readonly tables = new Map<string, Map<string, Map<string, Entry>>>();
  private revision = 0;
  private readonly informers = new Set<MemoryInformer>();
  private readonly undelivered: Change[] = [];
  private delivering = false;
  private readonly faults: Fault[] = [];
  private readonly recorded: ClusterCall[] = [];

  constructor(options: MemoryClusterClientOptions = {}) {
    this.kinds = new KindRegistry([...BUILTIN_KINDS, ...(options.kinds ?? [])]);
    this.defaultNamespace = options.defaultNamespace ?? 'default';
    this.fieldManager = options.fieldManager ?? DEFAULT_FIELD_MANAGER;
    this.now = options.now ?? (() => new Date());
    const namespaceSpec = this.namespaceSpec();
    for (const name of options.namespaces ?? DEFAULT_NAMESPACES)
      this.insert(namespaceSpec, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } }, new Map());
  }

  // ---- test controls

  /**
   * The next call of `verb` (matching `where`, when given) rejects with `error`: before it changes
   * anything, or with `when: 'after'` once it took effect. Faults queue up in the order given.
   */
  failNext(verb: Exclude<ClusterVerb, 'informer'>, error: unknown, options: FailNextOptions = {}): void {
    this.faults.push({ verb, error, where: options.where, when: options.when ?? 'before' });
  }

  /** Every call so far (failed ones included), oldest first; only those of `verb` when given. */
  calls(verb?: ClusterVerb): ClusterCall[] {
    return this.recorded.filter((call) => verb === undefined || call.verb === verb);
  }

  callCount(verb: ClusterVerb): number {
    return this.calls(verb).length;
  }

  /** The calls that could have changed the cluster (create, replace, replaceStatus, mergePatch, apply, delete). */
  writes(): ClusterCall[] {
    return this.recorded.filter((call) => WRITE_VERBS.includes(call.verb));
  }

  /** Forgets the calls so far (not the objects, nor the faults still queued). */
  clearCalls(): void {
    this.recorded.length = 0;
  }

  // ---- the port

  apply(object: KubeObject, options: { fieldManager?: string; force?: boolean } = {}): Promise<KubeObject> {
    return this.call('apply', refOf(object), (spec) =>
      this.applyObject(spec, object, options.fieldManager ?? this.fieldManager, options.force ?? false),
    );
  }

  create(object: KubeObject): Promise<KubeObject> {
    return this.call('create', refOf(object), (spec) => {
      const body = this.decodeBody(spec, object);
      const metadata = meta(body);
      if (typeof metadata.name !== 'string' && typeof metadata.generateName === 'string')
        metadata.name = generateName(metadata.generateName);
      if (metadata.resourceVersion)
        throw StatusErrors.badRequest('resourceVersion should not be set on objects to be created');
      return this.insert(spec, body, new Map());
    });
  }

  replace(object: KubeObject): Promise<KubeObject> {
    return this.call('replace', refOf(object), (spec) => {
      const body = this.decodeBody(spec, object);
      const entry = this.require(spec, body.metadata.namespace, body.metadata.name);
      this.checkResourceVersion(spec, entry, body.metadata.resourceVersion);
      return this.update(spec, entry, body, 'object', releaseOwners(entry, body));
    });
  }

  mergePatch(ref: ObjectRef, patch: Record<string, unknown>): Promise<KubeObject> {
    return this.call('mergePatch', ref, (spec) => {
      const namespace = this.namespaceOf(spec, ref.namespace);
      const entry = this.require(spec, namespace, ref.name);
      // as KubeClusterClient sends it: the name and namespace of the ref, whatever the patch says
      const metadata = isJsonObject(patch.metadata) ? patch.metadata : {};
      const identity = { name: ref.name, ...(spec.namespaced ? { namespace } : {}) };
      const body = { ...patch, metadata: { ...metadata, ...identity } } as JsonObject;
      const patched = mergePatch(entry.object as unknown as JsonObject, body);
      const next = patched as unknown as KubeObject;
      this.checkResourceVersion(spec, entry, next.metadata.resourceVersion);
      return this.update(spec, entry, next, 'object', releaseOwners(entry, next));
    });
  }

  replaceStatus(object: KubeObject): Promise<KubeObject> {
    return this.call('replaceStatus', refOf(object), (spec) => {
      // a kind without the subresource has no /status path at all
      if (!spec.statusSubresource) throw StatusErrors.noRoute();
      const namespace = this.namespaceOf(spec, object.metadata.namespace);
      const entry = this.require(spec, namespace, object.metadata.name);
      this.checkResourceVersion(spec, entry, object.metadata.resourceVersion);
      return this.update(spec, entry, object, 'status', entry.owners);
    });
  }

  get(ref: ObjectRef): Promise<KubeObject | undefined> {
    return this.call('get', ref, (spec) => {
      const entry = this.lookup(spec, this.namespaceOf(spec, ref.namespace), ref.name);
      return entry ? presented(entry.object, spec) : undefined;
    });
  }

  list(type: TypeRef, options: ListOptions = {}): Promise<KubeObject[]> {
    return this.call('list', type, (spec) =>
      this.select(spec, options.namespace, parseLabelSelector(options.labelSelector ?? '')),
    );
  }

  delete(
    ref: ObjectRef,
    options: { preconditions?: { uid?: string; resourceVersion?: string } } = {},
  ): Promise<boolean> {
    return this.call('delete', ref, (spec) => {
      const entry = this.lookup(spec, this.namespaceOf(spec, ref.namespace), ref.name);
      if (!entry) return false;
      const { uid, resourceVersion } = options.preconditions ?? {};
      const metadata = entry.object.metadata;
      if (uid !== undefined && uid !== metadata.uid)
        throw StatusErrors.conflict(
          spec,
          ref.name,
          `Precondition failed: UID in precondition: ${uid}, UID in object meta: ${String(metadata.uid)}`,
        );
      if (resourceVersion !== undefined && resourceVersion !== metadata.resourceVersion)
        throw StatusErrors.conflict(
          spec,
          ref.name,
          `Precondition failed: ResourceVersion in precondition: ${resourceVersion}, ResourceVersion in object meta: ${String(metadata.resourceVersion)}`,
        );
      if (storageKey(spec) === NAMESPACE_STORAGE) this.deleteNamespace(entry);
      else this.deleteEntry(spec, entry);
      return true;
    });
  }

  informer(type: TypeRef, options: InformerOptions = {}): Informer {
    this.recorded.push({ verb: 'informer', ref: type });
    const selector = parseLabelSelector(options.labelSelector ?? '');
    const spec = this.kinds.lookupKind(type.apiVersion, type.kind);
    const namespace = spec?.namespaced && options.namespace ? options.namespace : undefined;
    return new MemoryInformer({
      type,
      spec,
      description: `${type.apiVersion} ${type.kind}${options.namespace ? ` in ${options.namespace}` : ''}`,
      accepts: (object) =>
        (namespace === undefined || object.metadata.namespace === namespace) &&
        matchesLabels(selector, object.metadata.labels),
      transform: (object) => {
        const { managedFields: _dropped, ...metadata } = object.metadata;
        const kept = { ...object, metadata: metadata as KubeObject['metadata'] };
        return options.transform ? options.transform(kept) : kept;
      },
      onlyChanges: options.onlyChanges === true,
      indexLabel: options.indexLabel,
      snapshot: (known) => this.select(known, namespace, selector),
      attach: (informer) => this.informers.add(informer),
      detach: (informer) => this.informers.delete(informer),
    });
  }

  // ---- calls: recording, faults, typed errors

  /** Runs one call of the port: records it, injects a queued fault, and types a Status failure as the real client does. */
  private call<T>(verb: ClusterVerb, ref: ObjectRef | TypeRef, run: (spec: KindSpec) => T): Promise<T> {
    this.recorded.push({ verb, ref });
    const index = this.faults.findIndex((f) => f.verb === verb && matchesWhere(ref, f.where));
    const fault = index >= 0 ? this.faults.splice(index, 1)[0] : undefined;
    try {
      if (fault?.when === 'before') throw fault.error;
      const spec = this.kinds.lookupKind(ref.apiVersion, ref.kind);
      if (!spec) throw new KindNotServedError(ref);
      const result = run(spec);
      if (fault) throw fault.error;
      return Promise.resolve(result);
    } catch (error) {
      return Promise.reject(this.typed(error, ref));
    }
  }

  private typed(error: unknown, ref: ObjectRef | TypeRef): unknown {
    if (error instanceof ApiStatusError)
      return errorFromStatus(error.status, { ref, httpCode: error.status.code });
    return error;
  }

  // ---- reads

  private table(spec: KindSpec): Map<string, Map<string, Entry>> {
    const key = storageKey(spec);
    let table = this.tables.get(key);
    if (!table) this.tables.set(key, (table = new Map()));
    return table;
  }

  /** The namespace a namespaced kind's ref means ('' for a cluster-scoped kind, whatever the ref says). */
  private namespaceOf(spec: KindSpec, namespace: string | undefined): string {
    return spec.namespaced ? namespace || this.defaultNamespace : '';
  }

  private lookup(spec: KindSpec, namespace: string | undefined, name: string): Entry | undefined {
    return this.table(spec)
      .get(spec.namespaced ? (namespace ?? '') : '')
      ?.get(name);
  }

  private require(spec: KindSpec, namespace: string | undefined, name: string): Entry {
    const entry = this.lookup(spec, this.namespaceOf(spec, namespace), name);
    if (!entry) throw StatusErrors.notFound(spec, name);
    return entry;
  }

  /** Copies of the objects of a kind in a namespace (all when none is named) that the selector matches, by namespace and name. */
  private select(spec: KindSpec, namespace: string | undefined, selector: LabelSelector): KubeObject[] {
    const table = this.table(spec);
    const namespaces = spec.namespaced && namespace ? [namespace] : [...table.keys()];
    const matched: Array<[string, KubeObject]> = [];
    for (const ns of namespaces)
      for (const [name, entry] of table.get(ns) ?? [])
        if (matchesLabels(selector, entry.object.metadata.labels))
          matched.push([`${ns}/${name}`, entry.object]);
    matched.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return matched.map(([, object]) => presented(object, spec));
  }

  // ---- writes

  /** A copy of a request body, of the call's kind and version, in the namespace the call means. */
  private decodeBody(spec: KindSpec, object: KubeObject): KubeObject {
    if (!isJsonObject(object.metadata))
      throw StatusErrors.badRequest(
        'json: cannot unmarshal into Go struct field .metadata of type v1.ObjectMeta',
      );
    const body = structuredClone(object);
    body.apiVersion = apiVersionOf(spec);
    body.kind = spec.kind;
    if (spec.namespaced) body.metadata.namespace = this.namespaceOf(spec, body.metadata.namespace);
    else delete body.metadata.namespace;
    return body;
  }

  private checkResourceVersion(spec: KindSpec, entry: Entry, resourceVersion: string | undefined): void {
    if (resourceVersion && resourceVersion !== entry.object.metadata.resourceVersion)
      throw StatusErrors.staleResourceVersion(spec, entry.object.metadata.name);
  }

  /** Stores a new object (create, or an apply that creates). `object` is the twin's own copy. */
  private insert(spec: KindSpec, object: KubeObject, owners: Map<string, ManagerRecord>): KubeObject {
    const metadata = meta(object);
    const name = typeof metadata.name === 'string' ? metadata.name : '';
    const causes = validate(spec, object);
    if (causes.length > 0) throw StatusErrors.invalid(spec, name, causes);
    const namespace = spec.namespaced ? String(metadata.namespace) : '';
    if (spec.namespaced) {
      const home = this.lookup(this.namespaceSpec(), '', namespace);
      if (!home) throw StatusErrors.notFound({ group: '', plural: 'namespaces' }, namespace);
      if (home.object.metadata.deletionTimestamp)
        throw StatusErrors.forbidden(
          spec,
          name,
          `unable to create new content in namespace ${namespace} because it is being terminated`,
        );
    }
    if (this.lookup(spec, namespace, name)) throw StatusErrors.alreadyExists(spec, name);
    for (const key of SERVER_METADATA) delete metadata[key];
    if (spec.statusSubresource) delete object.status;
    applyDefaults(spec, object, 'create');
    metadata.uid = randomUUID();
    metadata.creationTimestamp = timestamp(this.now().getTime());
    metadata.generation = 1;
    metadata.resourceVersion = String(this.nextRevision());
    const stored = canonical(object);
    const table = this.table(spec);
    let names = table.get(namespace);
    if (!names) table.set(namespace, (names = new Map()));
    names.set(name, { object: stored, owners });
    this.record({ type: 'ADDED', storage: storageKey(spec), object: stored });
    return presented(stored, spec);
  }

  /**
   * The write path of replace, mergePatch, replaceStatus and apply on an existing object.
   * `candidate` is not modified; `part` says which part of it counts (all but status, or status).
   */
  private update(
    spec: KindSpec,
    entry: Entry,
    candidate: KubeObject,
    part: 'object' | 'status',
    owners: Map<string, ManagerRecord>,
  ): KubeObject {
    const current = entry.object;
    let next: KubeObject;
    if (part === 'status') {
      next = structuredClone(current);
      if (candidate.status === undefined) delete next.status;
      else next.status = structuredClone(candidate.status);
    } else {
      next = structuredClone(candidate);
      // a Namespace's spec (its finalizers) changes only through /finalize
      if (storageKey(spec) === NAMESPACE_STORAGE) next.spec = structuredClone(current.spec);
      if (spec.statusSubresource) {
        if ('status' in current) next.status = structuredClone(current.status);
        else delete next.status;
      }
    }
    next.apiVersion = apiVersionOf(spec);
    next.kind = spec.kind;
    const metadata = meta(next);
    const currentMetadata = meta(current);
    for (const key of KEPT_METADATA) {
      if (currentMetadata[key] === undefined) delete metadata[key];
      else metadata[key] = currentMetadata[key]!;
    }
    delete metadata.managedFields;
    applyDefaults(spec, next, 'update');
    const causes = validate(spec, next);
    if (current.metadata.deletionTimestamp) {
      const before = new Set(finalizersOf(current));
      if (finalizersOf(next).some((f) => !before.has(f)))
        causes.push({
          reason: 'FieldValueForbidden',
          message: 'Forbidden: no new finalizers can be added if the object is being deleted',
          field: 'metadata.finalizers',
        });
    }
    if (causes.length > 0) throw StatusErrors.invalid(spec, current.metadata.name, causes);
    metadata.generation = jsonEqual(specPart(current), specPart(next))
      ? (current.metadata.generation ?? 1)
      : (current.metadata.generation ?? 1) + 1;
    metadata.resourceVersion = current.metadata.resourceVersion!;
    next = canonical(next);
    entry.owners = owners;
    if (jsonEqual(withoutResourceVersion(current), withoutResourceVersion(next)))
      return presented(current, spec);

    metadata.resourceVersion = String(this.nextRevision());
    if (this.removable(spec, next)) {
      this.remove(spec, next);
      return presented(next, spec);
    }
    entry.object = next;
    this.record({ type: 'MODIFIED', storage: storageKey(spec), object: next });
    return presented(next, spec);
  }

  private applyObject(spec: KindSpec, object: KubeObject, manager: string, force: boolean): KubeObject {
    const applied = this.decodeBody(spec, object);
    const { name } = applied.metadata;
    const entry = this.lookup(spec, String(applied.metadata.namespace ?? ''), name);
    if (entry) this.checkResourceVersion(spec, entry, applied.metadata.resourceVersion);
    const { object: next, owners } = applyAsOwner({
      target: { spec, name },
      entry,
      applied,
      manager,
      force,
      now: this.now,
    });
    if (!entry) {
      next.apiVersion = apiVersionOf(spec);
      next.kind = spec.kind;
      next.metadata = {
        ...next.metadata,
        name,
        ...(spec.namespaced ? { namespace: applied.metadata.namespace } : {}),
      };
      return this.insert(spec, next, owners);
    }
    return this.update(spec, entry, next, 'object', owners);
  }

  /** Finalizers only mark the object (once); without any it goes at once. */
  private deleteEntry(spec: KindSpec, entry: Entry): void {
    const current = entry.object;
    if (finalizersOf(current).length === 0) {
      this.remove(spec, {
        ...current,
        metadata: { ...current.metadata, resourceVersion: String(this.nextRevision()) },
      });
      return;
    }
    if (current.metadata.deletionTimestamp) return;
    entry.object = this.marked(current);
    this.record({ type: 'MODIFIED', storage: storageKey(spec), object: entry.object });
  }

  /** Marks the Namespace Terminating, deletes its content, and removes it once it is empty. */
  private deleteNamespace(entry: Entry): void {
    const current = entry.object;
    const name = current.metadata.name;
    if (!current.metadata.deletionTimestamp) {
      const next = this.marked(current);
      next.status = { ...(isJsonObject(next.status) ? next.status : {}), phase: 'Terminating' };
      entry.object = next;
      this.record({ type: 'MODIFIED', storage: NAMESPACE_STORAGE, object: next });
    }
    for (const namespaced of this.namespacedKinds())
      for (const child of [...(this.table(namespaced).get(name)?.values() ?? [])])
        this.deleteEntry(namespaced, child);
    this.finalizeNamespace(name);
  }

  private marked(object: KubeObject): KubeObject {
    const next = structuredClone(object);
    next.metadata.deletionTimestamp = timestamp(this.now().getTime());
    next.metadata.deletionGracePeriodSeconds = 0;
    next.metadata.resourceVersion = String(this.nextRevision());
    return next;
  }

  /** Takes an object out of storage, reports it DELETED, and finishes its Namespace if that was waiting for it. */
  private remove(spec: KindSpec, object: KubeObject): void {
    const namespace = spec.namespaced ? String(object.metadata.namespace) : '';
    this.table(spec).get(namespace)?.delete(object.metadata.name);
    this.record({ type: 'DELETED', storage: storageKey(spec), object });
    if (spec.namespaced) this.finalizeNamespace(namespace);
  }

  /** A Terminating Namespace goes once it is empty and has no finalizers left. */
  private finalizeNamespace(name: string): void {
    const spec = this.namespaceSpec();
    const entry = this.lookup(spec, '', name);
    if (!entry || !this.removable(spec, entry.object)) return;
    this.remove(spec, {
      ...entry.object,
      metadata: { ...entry.object.metadata, resourceVersion: String(this.nextRevision()) },
    });
  }

  private removable(spec: KindSpec, object: KubeObject): boolean {
    if (!object.metadata.deletionTimestamp || finalizersOf(object).length > 0) return false;
    if (storageKey(spec) !== NAMESPACE_STORAGE) return true;
    return this.namespacedKinds().every(
      (kind) => (this.table(kind).get(object.metadata.name)?.size ?? 0) === 0,
    );
  }

  /** One kind per namespaced storage (versions of a resource share one). */
  private namespacedKinds(): KindSpec[] {
    const seen = new Map<string, KindSpec>();
    for (const spec of this.kinds.list())
      if (spec.namespaced && !seen.has(storageKey(spec))) seen.set(storageKey(spec), spec);
    return [...seen.values()];
  }

  private namespaceSpec(): KindSpec {
    return this.kinds.lookupKind('v1', 'Namespace')!;
  }

  private nextRevision(): number {
    this.revision += 1;
    return this.revision;
  }

  // ---- informers

  /**
   * Delivers a change to every started informer before the write returns. A change made by a
   * handler meanwhile waits until this one reached every informer, so all see changes in order.
   */
  private record(change: Change): void {
    this.undelivered.push(change);
    if (this.delivering) return;
    this.delivering = true;
    try {
      for (let next = this.undelivered.shift(); next; next = this.undelivered.shift())
        for (const informer of [...this.informers]) informer.receive(next);
    } finally {
      this.delivering = false;
    }
  }
}
