/**
 * The cluster port: what the engine, the simulated controllers and the API need from Kubernetes.
 * The production implementation is the client-node adapter; end-to-end tests drive that same
 * adapter over HTTP against the simulator's API server. Unit tests use the in-memory twin
 * (test/support/memory-cluster-client.ts), held to the same promises by one contract suite
 * (test/cluster/client-contract.ts) run against both.
 */

export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
  ownerReferences?: Array<Record<string, unknown>>;
  [key: string]: unknown;
}

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  [key: string]: unknown;
}

/** A kind of object, as `apiVersion` + `kind` (e.g. `tf.m.upbound.io/v1beta1`, `Workspace`). */
export interface TypeRef {
  apiVersion: string;
  kind: string;
}

/** One object: its kind, name and, for namespaced kinds, namespace. */
export interface ObjectRef extends TypeRef {
  name: string;
  namespace?: string;
}

/** The reference of an object (an empty namespace is none). */
export function refOf(object: KubeObject): ObjectRef {
  return {
    apiVersion: object.apiVersion,
    kind: object.kind,
    name: object.metadata.name,
    ...(object.metadata.namespace ? { namespace: object.metadata.namespace } : {}),
  };
}

export interface ListOptions {
  /** Only this namespace; all namespaces when absent (ignored for cluster-scoped kinds). */
  namespace?: string;
  /** A Kubernetes label selector, e.g. `envcat.io/environment=dev,envcat.io/part in (infra)`. */
  labelSelector?: string;
}

export interface InformerOptions extends ListOptions {
  /**
   * What the cache keeps of each object (client-go's SetTransform): a cache of thousands of
   * objects need not hold the parts nobody reads. It must keep metadata.name, namespace and
   * resourceVersion. metadata.managedFields is always dropped.
   */
  transform?: (object: KubeObject) => KubeObject;
  /**
   * Report an update only when the cached (transformed) object changed beyond its resourceVersion:
   * for a cache whose handlers act on what it keeps (a controller writing status fields the
   * transform drops, Argo CD's reconciledAt say, then wakes nobody). Not for one whose handlers
   * fetch what the transform drops (a Secret's values).
   */
  onlyChanges?: boolean;
  /** A label whose value the cache is also indexed by (client-go's Indexers): read with Informer.indexed. */
  indexLabel?: string;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

/**
 * A list-then-watch cache of one kind (client-node informer semantics: initial list, then a watch
 * from its resourceVersion; relist on 410 Gone; restart with backoff on error).
 */
export interface Informer {
  /** Resolves once the initial list is in the cache. */
  start(): Promise<void>;
  stop(): void;
  /** The cached objects. */
  list(): KubeObject[];
  get(name: string, namespace?: string): KubeObject | undefined;
  /** The cached objects whose `indexLabel` has this value (an informer made without one throws). */
  indexed(value: string): KubeObject[];
  /** Called for every change after the initial list; 'error' when the watch failed (it restarts by itself). */
  on(event: WatchEventType, handler: (object: KubeObject) => void): void;
  on(event: 'error', handler: (error: unknown) => void): void;
}

/** The field manager `apply` names when neither the call nor the client's options give one. */
export const DEFAULT_FIELD_MANAGER = 'envcat';

export interface ClusterClient {
  /** Server-side apply (`fieldManager` required by the server; `force` takes over conflicting fields). */
  apply(object: KubeObject, options?: { fieldManager?: string; force?: boolean }): Promise<KubeObject>;
  create(object: KubeObject): Promise<KubeObject>;
  /** PUT; the object's resourceVersion, when set, must match or a ConflictError is thrown. */
  replace(object: KubeObject): Promise<KubeObject>;
  /** JSON merge patch (RFC 7386). */
  mergePatch(ref: ObjectRef, patch: Record<string, unknown>): Promise<KubeObject>;
  /** PUT to the status subresource (the resourceVersion must match when set). */
  replaceStatus(object: KubeObject): Promise<KubeObject>;
  /** Undefined when the object does not exist. */
  get(ref: ObjectRef): Promise<KubeObject | undefined>;
  list(type: TypeRef, options?: ListOptions): Promise<KubeObject[]>;
  /**
   * False when there was nothing to delete. An object with finalizers only gets a deletionTimestamp.
   * With `preconditions`, deletes only that very object (a ConflictError when its uid or
   * resourceVersion differs): how a rollback removes only what its own request created.
   */
  delete(
    ref: ObjectRef,
    options?: { preconditions?: { uid?: string; resourceVersion?: string } },
  ): Promise<boolean>;
  informer(type: TypeRef, options?: InformerOptions): Informer;
}
