/**
 * The ClusterClient port on @kubernetes/client-node 2.x. KubernetesObjectApi does the work (its
 * discovery turns apiVersion + kind into resource paths, for built-in and custom kinds alike); a
 * small subclass makes it return objects as plain JSON (client-node would turn the timestamps of
 * built-in kinds into Date objects), adds the status subresource, and raises typed errors.
 */
import {
  type Cluster,
  type Context,
  HttpMethod,
  type KubernetesListObject,
  type KubernetesObject,
  KubeConfig,
  KubernetesObjectApi,
  PatchStrategy,
  type ResponseContext,
  type User,
  type V1APIResource,
} from '@kubernetes/client-node';
import type { AgentOptions } from 'node:https';
import { EnvcatError, ExternalError, NotFoundError } from '../core/errors/index.js';
import { describeRef, errorFromStatus, KindNotServedError, type StatusLike } from './errors.js';
import type { Backoff } from '../shared/index.js';
import { DEFAULT_BACKOFF, KubeInformer } from './informer.js';
import { parseLabelSelector } from './label-selector.js';
import { PlainHttpLibrary } from './plain-http.js';
import {
  DEFAULT_FIELD_MANAGER,
  refOf,
  type ClusterClient,
  type Informer,
  type InformerOptions,
  type KubeObject,
  type ListOptions,
  type ObjectRef,
  type TypeRef,
} from './types.js';

/** What crosses the wire: our plain-JSON objects, typed for client-node's generic methods. */
type Wire = KubeObject & KubernetesObject;

/** A non-2xx answer, with the `Status` the server sent (when it sent one). */
class StatusResponseError extends Error {
  constructor(
    readonly httpCode: number,
    readonly status: StatusLike | undefined,
  ) {
    super(status?.message ?? `HTTP ${httpCode}`);
    this.name = 'StatusResponseError';
  }
}

/** KubernetesObjectApi answering plain JSON, with a status-subresource PUT and a discovery lookup. */
class PlainObjectApi extends KubernetesObjectApi {
  static fromConfig(kubeConfig: KubeConfig): PlainObjectApi {
    const made = kubeConfig.makeApiClient(PlainObjectApi);
    const configuration = made.configuration;
    const api = new PlainObjectApi({
      ...configuration,
      httpApi: new PlainHttpLibrary(configuration.httpApi),
    });
    api.setDefaultNamespace(kubeConfig);
    return api;
  }

  /** The discovery entry of a kind, or undefined when the server does not serve it. */
  async lookup(type: TypeRef): Promise<V1APIResource | undefined> {
    try {
      return await this.resource(type.apiVersion, type.kind);
    } catch (error) {
      // a group/version the server does not serve at all answers 404 to discovery
      if (error instanceof StatusResponseError && error.httpCode === 404) return undefined;
      throw error;
    }
  }

  /** The collection path of a kind, as the informer watches it. */
  async collectionPath(type: TypeRef, namespace: string | undefined): Promise<string> {
    const resource = await this.lookup(type);
    if (!resource) throw notServed(type);
    const base = this.apiVersionPath(type.apiVersion);
    const ns = resource.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : '';
    return `${base}${ns}/${resource.name}`;
  }

  async replaceStatus<T extends KubernetesObject>(spec: T): Promise<T> {
    const path = `${await this.specUriPath(spec, 'replace')}/status`;
    const context = this.configuration.baseServer.makeRequestContext(path, HttpMethod.PUT);
    context.setHeaderParam('Accept', 'application/json, */*;q=0.8');
    context.setHeaderParam('Content-Type', 'application/json');
    context.setBody(JSON.stringify(spec));
    return this.requestPromise<T>(context);
  }

  protected override async processResponse<T extends KubernetesObject>(
    response: ResponseContext,
  ): Promise<T> {
    const text = await response.body.text();
    if (response.httpStatusCode >= 200 && response.httpStatusCode <= 299) return JSON.parse(text) as T;
    let status: StatusLike | undefined;
    try {
      const parsed = JSON.parse(text) as { kind?: unknown };
      if (parsed && parsed.kind === 'Status') status = parsed as StatusLike;
    } catch {
      // not a Status (a proxy's error page, say): the HTTP code is all there is
    }
    throw new StatusResponseError(response.httpStatusCode, status);
  }
}

/**
 * A KubeConfig that talks to plain-HTTP endpoints (the simulator, `kubectl proxy`) without TLS
 * settings: client-node otherwise refuses http:// unless skipTLSVerify is set, and then builds a
 * new connection pool per request.
 */
class PlainHttpAwareKubeConfig extends KubeConfig {
  override createDispatcherOptions(cluster: Cluster | null, agentOptions: AgentOptions) {
    if (cluster?.server.startsWith('http:') && !cluster.proxyUrl) return { type: 'none' as const };
    return super.createDispatcherOptions(cluster, agentOptions);
  }
}

function notServed(type: TypeRef): KindNotServedError {
  return new KindNotServedError(type);
}

export interface KubeClusterClientOptions {
  kubeConfig: KubeConfig;
  /** The field manager of apply() when the call names none (default `envcat`). */
  fieldManager?: string;
  /** Restart delays of informers after a failure. */
  informerBackoff?: Partial<Backoff>;
}

/** Objects per page of a list (client-go's pager default). */
const LIST_PAGE_SIZE = 500;

export class KubeClusterClient implements ClusterClient {
  readonly kubeConfig: KubeConfig;
  private readonly api: PlainObjectApi;
  private readonly fieldManager: string;
  private readonly backoff: Backoff;

  constructor(options: KubeClusterClientOptions) {
    this.kubeConfig = options.kubeConfig;
    this.api = PlainObjectApi.fromConfig(options.kubeConfig);
    this.fieldManager = options.fieldManager ?? DEFAULT_FIELD_MANAGER;
    this.backoff = { ...DEFAULT_BACKOFF, ...options.informerBackoff };
  }

  /** From a kubeconfig file, or the default one (KUBECONFIG, ~/.kube/config, in-cluster). */
  static fromKubeconfig(
    path?: string,
    options: Omit<KubeClusterClientOptions, 'kubeConfig'> = {},
  ): KubeClusterClient {
    const kubeConfig = new PlainHttpAwareKubeConfig();
    try {
      if (path) kubeConfig.loadFromFile(path);
      else kubeConfig.loadFromDefault();
    } catch (error) {
      throw new ExternalError(
        `cannot load the kubeconfig${path ? ` ${path}` : ''}: ${(error as Error).message}`,
        {
          cause: error,
        },
      );
    }
    if (!kubeConfig.getCurrentCluster())
      throw new NotFoundError(`the kubeconfig${path ? ` ${path}` : ''} has no current cluster`);
    return new KubeClusterClient({ ...options, kubeConfig });
  }

  /** From the pod's service account (KUBERNETES_SERVICE_HOST and the mounted token). */
  static inCluster(options: Omit<KubeClusterClientOptions, 'kubeConfig'> = {}): KubeClusterClient {
    const kubeConfig = new PlainHttpAwareKubeConfig();
    kubeConfig.loadFromCluster();
    if (!kubeConfig.getCurrentCluster()?.server.match(/^https?:\/\/[^/]/))
      throw new NotFoundError('not running in a Kubernetes pod (KUBERNETES_SERVICE_HOST is not set)');
    return new KubeClusterClient({ ...options, kubeConfig });
  }

  /** For one API server by URL, e.g. the simulator's, with an optional bearer token. */
  static forServer(
    server: { url: string; token?: string },
    options: Omit<KubeClusterClientOptions, 'kubeConfig'> = {},
  ): KubeClusterClient {
    const cluster: Cluster = { name: 'envcat', server: server.url, skipTLSVerify: false };
    const user: User = { name: 'envcat', ...(server.token ? { token: server.token } : {}) };
    const context: Context = { name: 'envcat', cluster: 'envcat', user: 'envcat', namespace: 'default' };
    const kubeConfig = new PlainHttpAwareKubeConfig();
    kubeConfig.loadFromOptions({
      clusters: [cluster],
      users: [user],
      contexts: [context],
      currentContext: 'envcat',
    });
    return new KubeClusterClient({ ...options, kubeConfig });
  }

  apply(object: KubeObject, options: { fieldManager?: string; force?: boolean } = {}): Promise<KubeObject> {
    return this.call(refOf(object), async () => {
      const { managedFields: _managedFields, ...metadata } = object.metadata;
      const body = { ...object, metadata } as unknown as Wire;
      return this.api.patch(
        body,
        undefined,
        undefined,
        options.fieldManager ?? this.fieldManager,
        options.force ?? false,
        PatchStrategy.ServerSideApply,
      );
    });
  }

  create(object: KubeObject): Promise<KubeObject> {
    return this.call(refOf(object), () => this.api.create(copy(object)));
  }

  replace(object: KubeObject): Promise<KubeObject> {
    return this.call(refOf(object), () => this.api.replace(copy(object)));
  }

  mergePatch(ref: ObjectRef, patch: Record<string, unknown>): Promise<KubeObject> {
    return this.call(ref, () => {
      const patchMetadata = (patch.metadata ?? {}) as Record<string, unknown>;
      const body = {
        ...patch,
        apiVersion: ref.apiVersion,
        kind: ref.kind,
        metadata: { ...patchMetadata, ...identity(ref) },
      } as unknown as Wire;
      return this.api.patch(body, undefined, undefined, undefined, undefined, PatchStrategy.MergePatch);
    });
  }

  replaceStatus(object: KubeObject): Promise<KubeObject> {
    return this.call(refOf(object), () => this.api.replaceStatus(copy(object)));
  }

  async get(ref: ObjectRef): Promise<KubeObject | undefined> {
    try {
      return await this.call(ref, () =>
        this.api.read<Wire>({ apiVersion: ref.apiVersion, kind: ref.kind, metadata: identity(ref) }),
      );
    } catch (error) {
      if (error instanceof NotFoundError && !(error instanceof KindNotServedError)) return undefined;
      throw error;
    }
  }

  async list(type: TypeRef, options: ListOptions = {}): Promise<KubeObject[]> {
    const list = await this.listObjects(type, options);
    return list.items as Wire[];
  }

  async delete(
    ref: ObjectRef,
    options: { preconditions?: { uid?: string; resourceVersion?: string } } = {},
  ): Promise<boolean> {
    const body = options.preconditions ? { preconditions: options.preconditions } : undefined;
    try {
      await this.call(ref, () =>
        this.api.delete(
          { apiVersion: ref.apiVersion, kind: ref.kind, metadata: identity(ref) },
          undefined,
          undefined,
          undefined,
          undefined,
          undefined,
          body,
        ),
      );
      return true;
    } catch (error) {
      if (error instanceof NotFoundError && !(error instanceof KindNotServedError)) return false;
      throw error;
    }
  }

  informer(type: TypeRef, options: InformerOptions = {}): Informer {
    if (options.labelSelector) parseLabelSelector(options.labelSelector);
    const transform = cacheTransform(options.transform);
    return new KubeInformer({
      kubeConfig: this.kubeConfig,
      resolvePath: () => this.call(type, () => this.api.collectionPath(type, options.namespace)),
      list: () => this.listObjects(type, options, transform),
      transform,
      ...(options.onlyChanges ? { onlyChanges: true } : {}),
      ...(options.indexLabel ? { indexLabel: options.indexLabel } : {}),
      ...(options.labelSelector ? { labelSelector: options.labelSelector } : {}),
      backoff: this.backoff,
      description: `${type.apiVersion} ${type.kind}${options.namespace ? ` in ${options.namespace}` : ''}`,
    });
  }

  /**
   * Lists in pages of LIST_PAGE_SIZE (limit and continue, as client-go's pager does), so a list
   * of thousands of objects never sits in memory whole as JSON and as objects; `keep` (an
   * informer's transform) is applied page by page. The pages are one consistent snapshot: the
   * server keeps the first page's resourceVersion for the rest.
   */
  private listObjects(
    type: TypeRef,
    options: ListOptions,
    keep: (object: KubeObject) => KubeObject = (object) => object,
  ): Promise<KubernetesListObject<KubernetesObject>> {
    if (options.labelSelector) parseLabelSelector(options.labelSelector);
    return this.call(type, async () => {
      const items: KubernetesObject[] = [];
      let first: KubernetesListObject<KubernetesObject> | undefined;
      let token: string | undefined;
      do {
        const page = (await this.api.list(
          type.apiVersion,
          type.kind,
          options.namespace,
          undefined,
          undefined,
          undefined,
          undefined,
          options.labelSelector,
          LIST_PAGE_SIZE,
          token,
        )) as KubernetesListObject<KubernetesObject>;
        first ??= page;
        // items of built-in kinds come without apiVersion and kind from a real API server
        for (const item of page.items ?? [])
          items.push(
            keep({ apiVersion: type.apiVersion, kind: type.kind, ...item } as KubeObject) as KubernetesObject,
          );
        // the wire name is `continue`; client-node's model calls it `_continue`
        const meta = page.metadata as { continue?: string; _continue?: string } | undefined;
        token = meta?.continue || meta?._continue || undefined;
      } while (token);
      const {
        _continue: _last,
        continue: _wire,
        remainingItemCount: _none,
        ...metadata
      } = (first?.metadata ?? {}) as Record<string, unknown>;
      return { ...first, metadata, items } as KubernetesListObject<KubernetesObject>;
    });
  }

  /** Checks that the kind is served (so a 404 means a missing object), runs the request, types its errors. */
  private async call<T>(ref: TypeRef | ObjectRef, run: () => Promise<T>): Promise<T> {
    try {
      if (!(await this.api.lookup(ref))) throw notServed(ref);
      return await run();
    } catch (error) {
      throw this.typed(error, ref);
    }
  }

  private typed(error: unknown, ref: TypeRef | ObjectRef): EnvcatError {
    if (error instanceof EnvcatError) return error;
    if (error instanceof StatusResponseError)
      return errorFromStatus(error.status ?? { code: error.httpCode }, { ref, httpCode: error.httpCode });
    const message = error instanceof Error ? error.message : String(error);
    const reason = (error as { cause?: { code?: unknown } } | undefined)?.cause?.code;
    return new ExternalError(
      `${describeRef(ref)}: ${message}${typeof reason === 'string' ? ` (${reason})` : ''}`,
      {
        cause: error,
      },
    );
  }
}

/** client-node fills in apiVersion and namespace on the object it is given: hand it a copy. */
function copy(object: KubeObject): Wire {
  return { ...object, metadata: { ...object.metadata } } as unknown as Wire;
}

function identity(ref: ObjectRef): { name: string; namespace?: string } {
  return { name: ref.name, ...(ref.namespace !== undefined ? { namespace: ref.namespace } : {}) };
}

/** The informer's cache transform: the caller's, after dropping managedFields (never read here). */
function cacheTransform(transform: ((object: KubeObject) => KubeObject) | undefined) {
  return (object: KubeObject): KubeObject => {
    let kept = object;
    if (object.metadata?.managedFields !== undefined) {
      const { managedFields: _dropped, ...metadata } = object.metadata;
      kept = { ...object, metadata };
    }
    return transform ? transform(kept) : kept;
  };
}
