/**
 * A Kubernetes-API-compatible HTTP server over the in-memory ObjectStore: discovery, CRUD, the
 * status subresource, the four patch types, lists with selectors and pagination, and chunked
 * watches, with the paths, status codes and `Status` bodies of kube-apiserver, so that
 * @kubernetes/client-node (KubernetesObjectApi, the typed APIs, Watch, ListWatch/makeInformer)
 * works against it unchanged.
 *
 * Simplified, on purpose:
 * - Strategic merge patch is applied as a JSON merge patch (no merge keys, no `$patch`
 *   directives: lists are replaced). Server-side apply is simplified as described in
 *   api-server-apply.ts (atomic lists, only Apply entries in managedFields).
 * - `generation` ignores `.status` for every kind (a real CRD without a status subresource
 *   bumps it on status changes too); ConfigMaps and Secrets get one as well.
 * - A watch from a resourceVersion the server has not issued yet (e.g. from before a restart
 *   with a fresh store) is answered like a compacted one, 410 Expired, so the client relists.
 * - Namespace deletion is synchronous: the content goes (finalizers respected) and the
 *   Namespace is removed as soon as it is empty; `/finalize` is not served.
 * - DELETE answers a Success `Status` for built-in groups and the object for custom kinds.
 * - A resourceVersion on create is a 400 (kube-apiserver answers 500).
 * - Versions of one group and resource share storage without conversion.
 * Not simulated: authorization (an authenticated request may do anything), admission, schema
 * validation of custom resources, garbage collection by owner references, grace periods,
 * protobuf, and aggregated (v2) discovery.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { timingSafeEqual } from 'node:crypto';
import { parse as parseYaml } from 'yaml';
import { InputError } from '../core/errors/index.js';
import {
  BUILTIN_KINDS,
  type FieldSelector,
  type KindSpec,
  KindRegistry,
  type KubeObject,
  type LabelSelector,
  type ListOptions,
  type ObjectRef,
  STATUS_VERBS,
  type TypeRef,
  VERBS,
  apiVersionOf,
  errorFromStatus,
  parseApiVersion,
  parseFieldSelector,
  parseLabelSelector,
} from '../cluster/index.js';
import { FaultInjector, type FaultCounts, type FaultPlan } from './api-server-faults.js';
import { ApiStatusError, type Status, StatusErrors, successStatus } from './api-server-status.js';
import type { StorePersistence } from './store-log.js';
import {
  type ChangeType,
  type ListQuery,
  ObjectStore,
  type ObjectTarget,
  type PatchType,
  type Target,
  type WatchHandle,
} from './api-server-store.js';

export interface SimulatedApiServerOptions {
  /** Kinds served besides the built-in ones (a kind with the same group, version and plural replaces it). */
  kinds?: readonly KindSpec[];
  /** When set, every request but /version and the health checks needs `Authorization: Bearer <token>`. */
  token?: string;
  /** How many change events a watch can resume from before it gets 410 Expired (default 10,000). */
  historySize?: number;
  /** How often a watch with `allowWatchBookmarks=true` gets a BOOKMARK (default 60 s). */
  bookmarkIntervalMs?: number;
  /** Largest accepted request body (default 3 MiB, as kube-apiserver). */
  maxBodyBytes?: number;
  /** A watch whose client reads slower than this many buffered bytes is ended (default 16 MiB). */
  maxWatchBufferBytes?: number;
  /** Namespaces that exist from the start (default: default, kube-system, kube-public, kube-node-lease). */
  namespaces?: readonly string[];
  now?: () => Date;
  /**
   * Keeps the objects on disk (a FileStoreLog: a write-ahead log and snapshots) and starts from
   * what it holds; close() closes it. Default: in memory only, gone with the process.
   */
  persistence?: StorePersistence;
}

export interface StartOptions {
  /** 0 or absent: a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
}

const KUBERNETES_VERSION = { major: '1', minor: '31', gitVersion: 'v1.31.0' };
const DEFAULT_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];
const UNAUTHENTICATED_PATHS = new Set(['/version', '/healthz', '/livez', '/readyz']);
const PATCH_TYPES: Record<string, PatchType> = {
  'application/merge-patch+json': 'merge',
  // Treated as a JSON merge patch: the simulator knows no patch strategies or merge keys, so lists
  // are replaced rather than merged by key and `$patch` directives are not interpreted.
  'application/strategic-merge-patch+json': 'strategic',
  'application/json-patch+json': 'json',
  'application/apply-patch+yaml': 'apply',
  'application/apply-patch+json': 'apply',
};

/** Groups whose DELETE answers a `Status` (as built-in kinds do); custom resources answer the object. */
function returnsStatusOnDelete(spec: KindSpec): boolean {
  return (
    spec.group === '' ||
    spec.group.endsWith('.k8s.io') ||
    ['apps', 'batch', 'policy', 'autoscaling'].includes(spec.group)
  );
}

function parseBool(value: string | null): boolean | undefined {
  if (value === null) return undefined;
  if (['1', 't', 'T', 'true', 'TRUE', 'True'].includes(value)) return true;
  if (['0', 'f', 'F', 'false', 'FALSE', 'False'].includes(value)) return false;
  throw StatusErrors.badRequest(`invalid boolean value "${value}"`);
}

function selectors(query: URLSearchParams): { labelSelector: LabelSelector; fieldSelector: FieldSelector } {
  try {
    return {
      labelSelector: parseLabelSelector(query.get('labelSelector') ?? ''),
      fieldSelector: parseFieldSelector(query.get('fieldSelector') ?? ''),
    };
  } catch (error) {
    if (error instanceof InputError)
      throw StatusErrors.badRequest(error.problems[0]?.message ?? error.message);
    throw error;
  }
}

interface Route {
  target: Target;
  name?: string;
  subresource?: 'status';
  watch: boolean;
  /** A namespaced kind addressed without a namespace (lists and watches across all namespaces). */
  allNamespaces: boolean;
}

interface ActiveWatch {
  end(): void;
}

/**
 * Requests served since the server was created (a snapshot; read-only). Only authenticated
 * requests count. `byVerb` uses kube-apiserver's verbs (get, list, watch, create, update, patch,
 * delete, deletecollection) plus `discovery` and `nonResource` (/version, health checks); a request
 * for a path the server does not serve counts in `total` only.
 */
export interface ApiServerStats {
  total: number;
  byVerb: Record<string, number>;
  /** Resource requests by resource (`<plural>` in the core group, else `<group>/<plural>`; `…/status` for the subresource), then verb. */
  byResource: Record<string, Record<string, number>>;
  /** Watch streams open now. */
  openWatches: number;
}

/** Synchronous in-process access to the simulator's objects, for tests, seeding and inspection. */
export interface ObjectAccess {
  get(ref: ObjectRef): KubeObject | undefined;
  list(type: TypeRef, options?: ListOptions): KubeObject[];
  create(object: KubeObject): KubeObject;
  replace(object: KubeObject): KubeObject;
  /** False when there was nothing to delete. */
  delete(ref: ObjectRef): boolean;
  /** The current (latest) resourceVersion. */
  readonly resourceVersion: string;
  readonly watchCount: number;
  readonly objectCount: number;
  /** Ends every open watch, as an API server restart would; clients resume from their resourceVersion. */
  closeWatches(): void;
  /**
   * Calls `listener` synchronously as each change of this type is stored, from now on (the
   * moment watchers are sent it); returns a function that stops it. closeWatches ends it too.
   */
  watch(type: TypeRef, listener: (type: ChangeType, object: KubeObject) => void): () => void;
}

export class SimulatedApiServer {
  readonly kinds: KindRegistry;
  readonly objects: ObjectAccess;
  private readonly store: ObjectStore;
  private readonly token: Buffer | undefined;
  private readonly bookmarkIntervalMs: number;
  private readonly maxBodyBytes: number;
  private readonly maxWatchBufferBytes: number;
  private server: Server | undefined;
  private address: string | undefined;
  private readonly watches = new Set<ActiveWatch>();
  private readonly sockets = new Set<Socket>();
  private readonly counts = {
    total: 0,
    byVerb: new Map<string, number>(),
    byResource: new Map<string, Map<string, number>>(),
  };

  private faults: FaultInjector | undefined;
  private faultTimer: NodeJS.Timeout | undefined;

  constructor(options: SimulatedApiServerOptions = {}) {
    this.kinds = new KindRegistry([...BUILTIN_KINDS, ...(options.kinds ?? [])]);
    this.store = new ObjectStore({
      kinds: this.kinds,
      ...(options.historySize !== undefined ? { historySize: options.historySize } : {}),
      ...(options.now ? { now: options.now } : {}),
      ...(options.persistence ? { persistence: options.persistence } : {}),
    });
    this.token = options.token ? Buffer.from(`Bearer ${options.token}`) : undefined;
    this.bookmarkIntervalMs = options.bookmarkIntervalMs ?? 60_000;
    this.maxBodyBytes = options.maxBodyBytes ?? 3 * 1024 * 1024;
    this.maxWatchBufferBytes = options.maxWatchBufferBytes ?? 16 * 1024 * 1024;
    this.objects = this.objectAccess();
    for (const name of options.namespaces ?? DEFAULT_NAMESPACES)
      if (!this.objects.get({ apiVersion: 'v1', kind: 'Namespace', name }))
        this.objects.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  }

  /**
   * From now on, answers a share of requests with injected errors and ends open watches now and
   * then (see api-server-faults.ts); undefined stops that. Returns what was injected so far.
   */
  injectFaults(plan: FaultPlan | undefined): FaultCounts | undefined {
    const counts = this.faults?.counts;
    clearInterval(this.faultTimer);
    this.faultTimer = undefined;
    this.faults = plan ? new FaultInjector(plan) : undefined;
    const every = plan?.dropWatchesEveryMs;
    if (every) {
      this.faultTimer = setInterval(() => {
        const open = [...this.watches];
        for (const watch of open) watch.end();
        this.faults?.noteWatchesDropped(open.length);
      }, every);
      this.faultTimer.unref();
    }
    return counts;
  }

  /** True when the objects were loaded from the persistence (a restart), not created empty. */
  get restored(): boolean {
    return this.store.restored;
  }

  /** Stops, then closes the persistence (if any): the last writes are flushed and its lock released. */
  async close(): Promise<void> {
    await this.stop();
    await this.store.close();
  }

  /** The base URL while started. */
  get url(): string | undefined {
    return this.address;
  }

  /** How many requests the server has served, by verb and resource (see ApiServerStats). */
  stats(): ApiServerStats {
    return {
      total: this.counts.total,
      byVerb: Object.fromEntries(this.counts.byVerb),
      byResource: Object.fromEntries(
        [...this.counts.byResource].map(([resource, verbs]) => [resource, Object.fromEntries(verbs)]),
      ),
      openWatches: this.watches.size,
    };
  }

  /** Listens (again, after stop(): the objects are kept). */
  async start(options: StartOptions = {}): Promise<{ url: string }> {
    if (this.server) throw new Error('the simulated API server is already started');
    const host = options.host ?? '127.0.0.1';
    const server = createServer((req, res) => this.handle(req, res));
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    const { port } = server.address() as AddressInfo;
    this.address = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
    return { url: this.address };
  }

  /** Ends all watches and connections and stops listening. */
  async stop(): Promise<void> {
    this.injectFaults(undefined);
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    this.address = undefined;
    for (const watch of [...this.watches]) watch.end();
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }

  // ---- HTTP

  private handle(req: IncomingMessage, res: ServerResponse): void {
    this.route(req, res).catch((error: unknown) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      const status =
        error instanceof ApiStatusError
          ? error.status
          : StatusErrors.internal('the request could not be served').status;
      this.send(res, status.code, status);
    });
  }

  private send(res: ServerResponse, code: number, body: unknown): void {
    const text = JSON.stringify(body);
    res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
    res.end(text);
  }

  private authenticated(req: IncomingMessage, path: string): boolean {
    if (!this.token || UNAUTHENTICATED_PATHS.has(path)) return true;
    const given = Buffer.from(req.headers.authorization ?? '');
    return given.length === this.token.length && timingSafeEqual(given, this.token);
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://simulator.invalid');
    if (!this.authenticated(req, url.pathname)) throw StatusErrors.unauthorized();
    this.counts.total += 1;
    const segments = url.pathname
      .split('/')
      .filter((s) => s !== '')
      .map((s) => decodeURIComponent(s));
    const method = req.method ?? 'GET';

    if (url.pathname === '/version') {
      this.count('nonResource');
      return this.send(res, 200, this.version());
    }
    if (['/healthz', '/livez', '/readyz'].includes(url.pathname)) {
      this.count('nonResource');
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.end('ok');
      return;
    }
    if (segments[0] === 'api' && segments.length === 1)
      return this.discovery(method, res, this.apiVersions(req));
    if (segments[0] === 'apis' && segments.length === 1) return this.discovery(method, res, this.groupList());
    if (segments[0] === 'apis' && segments.length === 2)
      return this.discovery(method, res, this.group(segments[1]!));

    let group: string;
    let version: string;
    let rest: string[];
    if (segments[0] === 'api' && segments[1] === 'v1') {
      [group, version, rest] = ['', 'v1', segments.slice(2)];
    } else if (segments[0] === 'apis' && segments.length >= 3) {
      [group, version, rest] = [segments[1]!, segments[2]!, segments.slice(3)];
    } else {
      throw StatusErrors.noRoute();
    }
    if (rest.length === 0) return this.discovery(method, res, this.resourceList(group, version));
    const route = this.resolve(group, version, rest, url.searchParams);
    this.count(verbOf(method, route), resourceOf(route));
    const fault = route.watch ? undefined : this.faults?.decide(method, resourceOf(route));
    if (fault) throw fault;
    await this.dispatch(method, route, req, res, url.searchParams);
  }

  private discovery(method: string, res: ServerResponse, body: unknown): void {
    this.count('discovery');
    if (method !== 'GET') throw StatusErrors.methodNotAllowed();
    this.send(res, 200, body);
  }

  private resolve(group: string, version: string, rest: string[], query: URLSearchParams): Route {
    let watch = parseBool(query.get('watch')) === true;
    if (rest[0] === 'watch') {
      // the deprecated /watch/ path prefix
      watch = true;
      rest = rest.slice(1);
    }
    let spec: KindSpec | undefined;
    let namespace: string | undefined;
    let tail: string[];
    const namespacedKind =
      rest[0] === 'namespaces' && rest.length >= 3
        ? this.kinds.lookupResource(group, version, rest[2]!)
        : undefined;
    if (namespacedKind?.namespaced) {
      spec = namespacedKind;
      namespace = rest[1]!;
      tail = rest.slice(3);
    } else {
      spec = this.kinds.lookupResource(group, version, rest[0]!);
      tail = rest.slice(1);
    }
    if (!spec || tail.length > 2) throw StatusErrors.noRoute();
    const [name, sub] = tail;
    if (sub !== undefined && !(sub === 'status' && spec.statusSubresource)) throw StatusErrors.noRoute();
    const allNamespaces = spec.namespaced && namespace === undefined;
    if (allNamespaces && name !== undefined) throw StatusErrors.noRoute();
    return {
      target: { spec, version, ...(namespace !== undefined ? { namespace } : {}) },
      ...(name !== undefined ? { name } : {}),
      ...(sub === 'status' ? { subresource: 'status' as const } : {}),
      watch,
      allNamespaces,
    };
  }

  private count(verb: string, resource?: string): void {
    this.counts.byVerb.set(verb, (this.counts.byVerb.get(verb) ?? 0) + 1);
    if (resource === undefined) return;
    let verbs = this.counts.byResource.get(resource);
    if (!verbs) this.counts.byResource.set(resource, (verbs = new Map()));
    verbs.set(verb, (verbs.get(verb) ?? 0) + 1);
  }

  private async dispatch(
    method: string,
    route: Route,
    req: IncomingMessage,
    res: ServerResponse,
    query: URLSearchParams,
  ): Promise<void> {
    const { target } = route;
    const dryRun = query.getAll('dryRun').includes('All');
    if (route.name === undefined) {
      if (method === 'GET') {
        return route.watch
          ? this.watch(route, req, res, query)
          : this.send(res, 200, this.list(target, query));
      }
      if (method === 'POST' && !route.allNamespaces) {
        const body = await this.readObject(req);
        return this.send(res, 201, this.store.create(target, body, { dryRun }));
      }
      if (method === 'DELETE' && !route.allNamespaces) {
        await this.readBody(req);
        const items = this.store.deleteCollection(target, selectors(query), { dryRun });
        const spec = target.spec;
        return this.send(res, 200, {
          kind: `${spec.kind}List`,
          apiVersion: apiVersionOf(spec),
          metadata: { resourceVersion: this.store.resourceVersion },
          items,
        });
      }
      throw StatusErrors.methodNotAllowed();
    }
    const objectTarget: ObjectTarget = { ...target, name: route.name };
    const subresource = route.subresource;
    switch (method) {
      case 'GET':
        return this.send(res, 200, this.store.get(objectTarget));
      case 'PUT': {
        const body = await this.readObject(req);
        return this.send(
          res,
          200,
          this.store.replace(objectTarget, body, { dryRun, ...(subresource ? { subresource } : {}) }),
        );
      }
      case 'PATCH': {
        const contentType = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
        const type = PATCH_TYPES[contentType];
        if (!type) throw StatusErrors.unsupportedMediaType(contentType, Object.keys(PATCH_TYPES));
        const text = await this.readBody(req);
        const body = type === 'apply' ? parseDocument(text, 'yaml') : parseDocument(text, 'json');
        const existed = this.store.has(objectTarget);
        const force = parseBool(query.get('force'));
        if (force !== undefined && type !== 'apply')
          throw StatusErrors.badRequest('force is only allowed for apply patches');
        const fieldManager = query.get('fieldManager') ?? undefined;
        const result = this.store.patch(objectTarget, type, body, {
          dryRun,
          ...(subresource ? { subresource } : {}),
          ...(fieldManager !== undefined ? { fieldManager } : {}),
          ...(force !== undefined ? { force } : {}),
        });
        return this.send(res, existed ? 200 : 201, result);
      }
      case 'DELETE': {
        if (subresource) throw StatusErrors.methodNotAllowed();
        const text = await this.readBody(req);
        const options = text.trim() === '' ? {} : parseDocument(text, 'json');
        const preconditions = (options as { preconditions?: { uid?: string; resourceVersion?: string } })
          .preconditions;
        const bodyDryRun = Array.isArray((options as { dryRun?: unknown }).dryRun)
          ? ((options as { dryRun: unknown[] }).dryRun.includes('All') as boolean)
          : false;
        const result = this.store.delete(objectTarget, {
          dryRun: dryRun || bodyDryRun,
          ...(preconditions ? { preconditions } : {}),
        });
        if (result.pending || !returnsStatusOnDelete(target.spec)) return this.send(res, 200, result.object);
        return this.send(
          res,
          200,
          successStatus({
            name: route.name,
            ...(target.spec.group ? { group: target.spec.group } : {}),
            kind: target.spec.plural,
            uid: String(result.object.metadata.uid),
          }),
        );
      }
      default:
        throw StatusErrors.methodNotAllowed();
    }
  }

  private list(target: Target, query: URLSearchParams): unknown {
    const limit = query.get('limit');
    const listQuery: ListQuery = {
      ...selectors(query),
      ...(limit !== null && /^\d+$/.test(limit) ? { limit: Number(limit) } : {}),
      ...(query.get('continue') ? { continueToken: query.get('continue')! } : {}),
    };
    const result = this.store.list(target, listQuery);
    const spec = target.spec;
    return {
      kind: `${spec.kind}List`,
      apiVersion: apiVersionOf(spec),
      metadata: {
        resourceVersion: result.resourceVersion,
        ...(result.continueToken ? { continue: result.continueToken } : {}),
        ...(result.remainingItemCount !== undefined ? { remainingItemCount: result.remainingItemCount } : {}),
      },
      items: result.items,
    };
  }

  private watch(route: Route, req: IncomingMessage, res: ServerResponse, query: URLSearchParams): void {
    const { labelSelector, fieldSelector } = selectors(query);
    const resourceVersion = query.get('resourceVersion') ?? undefined;
    if (resourceVersion !== undefined && resourceVersion !== '' && !/^\d+$/.test(resourceVersion))
      throw StatusErrors.badRequest(`invalid resource version "${resourceVersion}"`);
    const timeoutSeconds = Number(query.get('timeoutSeconds') ?? '0');
    const bookmarks = parseBool(query.get('allowWatchBookmarks')) === true;
    const sendInitialEvents = parseBool(query.get('sendInitialEvents')) === true;
    const spec = route.target.spec;
    const apiVersion = apiVersionOf(spec);

    res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private' });
    res.flushHeaders();
    let handle: WatchHandle | undefined;
    const timers: NodeJS.Timeout[] = [];
    let ended = false;
    const active: ActiveWatch = {
      end: () => {
        if (ended) return;
        ended = true;
        for (const timer of timers) clearTimeout(timer);
        handle?.close();
        this.watches.delete(active);
        res.end();
      },
    };
    const write = (line: { type: ChangeType | 'BOOKMARK' | 'ERROR'; object: unknown }) => {
      if (ended) return;
      if (res.destroyed || res.writableEnded) {
        active.end();
        return;
      }
      res.write(`${JSON.stringify(line)}\n`);
      // a client that does not keep up is dropped; it resumes from its last resourceVersion
      if (res.writableLength > this.maxWatchBufferBytes) active.end();
    };
    const bookmark = (annotations?: Record<string, string>) =>
      write({
        type: 'BOOKMARK',
        object: {
          kind: spec.kind,
          apiVersion,
          metadata: { resourceVersion: this.store.resourceVersion, ...(annotations ? { annotations } : {}) },
        },
      });
    this.watches.add(active);
    res.on('close', () => active.end());
    res.on('error', () => active.end());
    req.on('close', () => active.end());
    try {
      handle = this.store.watch(
        {
          ...route.target,
          labelSelector,
          fieldSelector,
          ...(resourceVersion !== undefined ? { resourceVersion } : {}),
          sendInitialEvents,
        },
        { event: (type, object) => write({ type, object }), close: () => active.end() },
      );
    } catch (error) {
      if (!(error instanceof ApiStatusError)) throw error;
      // as kube-apiserver: the failure arrives as an ERROR event in a 200 stream
      write({ type: 'ERROR', object: error.status satisfies Status });
      active.end();
      return;
    }
    if (ended) {
      handle.close();
      return;
    }
    if (sendInitialEvents && bookmarks) bookmark({ 'k8s.io/initial-events-end': 'true' });
    if (bookmarks) {
      const interval = setInterval(() => bookmark(), this.bookmarkIntervalMs);
      interval.unref();
      timers.push(interval);
    }
    if (Number.isFinite(timeoutSeconds) && timeoutSeconds > 0) {
      const timeout = setTimeout(() => active.end(), timeoutSeconds * 1000);
      timeout.unref();
      timers.push(timeout);
    }
  }

  private readBody(req: IncomingMessage): Promise<string> {
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      let failed = false;
      req.on('data', (chunk: Buffer) => {
        if (failed) return;
        size += chunk.length;
        if (size > this.maxBodyBytes) {
          failed = true;
          reject(StatusErrors.tooLarge(this.maxBodyBytes));
          return;
        }
        chunks.push(chunk);
      });
      req.on('end', () => {
        if (!failed) resolve(Buffer.concat(chunks).toString('utf8'));
      });
      req.on('error', (error) => {
        if (!failed) reject(error);
      });
    });
  }

  private async readObject(req: IncomingMessage): Promise<unknown> {
    const contentType = (req.headers['content-type'] ?? 'application/json')
      .split(';')[0]!
      .trim()
      .toLowerCase();
    const format =
      contentType === 'application/yaml' ? 'yaml' : contentType === 'application/json' ? 'json' : undefined;
    if (!format)
      throw StatusErrors.unsupportedMediaType(contentType, ['application/json', 'application/yaml']);
    return parseDocument(await this.readBody(req), format);
  }

  // ---- discovery documents

  private version(): unknown {
    return {
      ...KUBERNETES_VERSION,
      gitCommit: '0000000000000000000000000000000000000000',
      gitTreeState: 'clean',
      buildDate: '2024-08-13T07:28:49Z',
      goVersion: 'go1.22.5',
      compiler: 'gc',
      platform: 'linux/amd64',
      emulated: 'envcat-simulator',
    };
  }

  private apiVersions(req: IncomingMessage): unknown {
    return {
      kind: 'APIVersions',
      versions: ['v1'],
      serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: req.headers.host ?? '' }],
    };
  }

  private groupDocument(group: string, versions: string[]): unknown {
    const entries = versions.map((version) => ({ groupVersion: `${group}/${version}`, version }));
    return { name: group, versions: entries, preferredVersion: entries[0] };
  }

  private groupList(): unknown {
    return {
      kind: 'APIGroupList',
      apiVersion: 'v1',
      groups: this.kinds.groups().map(({ group, versions }) => this.groupDocument(group, versions)),
    };
  }

  private group(name: string): unknown {
    const found = this.kinds.groups().find((g) => g.group === name);
    if (!found) throw StatusErrors.noRoute();
    return {
      kind: 'APIGroup',
      apiVersion: 'v1',
      ...(this.groupDocument(found.group, found.versions) as object),
    };
  }

  private resourceList(group: string, version: string): unknown {
    const specs = this.kinds.inGroupVersion(group, version);
    if (specs.length === 0) throw StatusErrors.noRoute();
    const resources = specs.flatMap((spec) => {
      const main = {
        name: spec.plural,
        singularName: spec.kind.toLowerCase(),
        namespaced: spec.namespaced,
        kind: spec.kind,
        verbs: [...VERBS],
        ...(spec.shortNames ? { shortNames: [...spec.shortNames] } : {}),
      };
      const status = {
        name: `${spec.plural}/status`,
        singularName: '',
        namespaced: spec.namespaced,
        kind: spec.kind,
        verbs: [...STATUS_VERBS],
      };
      return spec.statusSubresource ? [main, status] : [main];
    });
    return {
      kind: 'APIResourceList',
      ...(group === '' ? {} : { apiVersion: 'v1' }),
      groupVersion: group === '' ? version : `${group}/${version}`,
      resources,
    };
  }

  // ---- in-process access

  private objectAccess(): ObjectAccess {
    const store = this.store;
    const typeTarget = (type: TypeRef, namespace?: string): Target => {
      const spec = this.kinds.lookupKind(type.apiVersion, type.kind);
      if (!spec) throw errorFromStatus(StatusErrors.noRoute().status, { ref: type });
      return {
        spec,
        version: parseApiVersion(type.apiVersion).version,
        ...(spec.namespaced && namespace !== undefined ? { namespace } : {}),
      };
    };
    const objectTarget = (ref: ObjectRef): ObjectTarget => {
      const target = typeTarget(ref, ref.namespace);
      if (target.spec.namespaced && target.namespace === undefined)
        throw new InputError([
          { path: '/metadata/namespace', message: `${ref.kind} is namespaced: a namespace is required` },
        ]);
      return { ...target, name: ref.name };
    };
    const typed = <T>(ref: TypeRef, run: () => T): T => {
      try {
        return run();
      } catch (error) {
        if (error instanceof ApiStatusError) throw errorFromStatus(error.status, { ref });
        throw error;
      }
    };
    return {
      get: (ref) =>
        typed(ref, () => {
          try {
            return structuredClone(store.get(objectTarget(ref)));
          } catch (error) {
            if (error instanceof ApiStatusError && error.status.code === 404) return undefined;
            throw error;
          }
        }),
      list: (type, options = {}) =>
        typed(type, () =>
          structuredClone(
            store.list(typeTarget(type, options.namespace), {
              labelSelector: parseLabelSelector(options.labelSelector ?? ''),
            }).items,
          ),
        ),
      create: (object) =>
        typed(object, () =>
          structuredClone(
            store.create(typeTarget(object, object.metadata.namespace), structuredClone(object)),
          ),
        ),
      replace: (object) =>
        typed(object, () =>
          structuredClone(
            store.replace(
              objectTarget({
                ...object,
                name: object.metadata.name,
                ...(object.metadata.namespace !== undefined ? { namespace: object.metadata.namespace } : {}),
              }),
              structuredClone(object),
            ),
          ),
        ),
      delete: (ref) =>
        typed(ref, () => {
          try {
            store.delete(objectTarget(ref));
            return true;
          } catch (error) {
            if (error instanceof ApiStatusError && error.status.code === 404) return false;
            throw error;
          }
        }),
      get resourceVersion() {
        return store.resourceVersion;
      },
      get watchCount() {
        return store.watchCount;
      },
      get objectCount() {
        return store.objectCount;
      },
      closeWatches: () => store.closeWatches(),
      watch: (type, listener) =>
        typed(type, () => {
          const handle = store.watch(
            { ...typeTarget(type), resourceVersion: store.resourceVersion },
            { event: (change, object) => listener(change, structuredClone(object)), close: () => undefined },
          );
          return () => handle.close();
        }),
    };
  }
}

/** kube-apiserver's name for what a request does (as in its audit log and request metrics). */
function verbOf(method: string, route: Route): string {
  if (route.name === undefined) {
    if (method === 'GET') return route.watch ? 'watch' : 'list';
    if (method === 'POST') return 'create';
    if (method === 'DELETE') return 'deletecollection';
  } else {
    if (method === 'GET') return 'get'; // this server answers a watch of one name with the object
    if (method === 'PUT') return 'update';
    if (method === 'PATCH') return 'patch';
    if (method === 'DELETE') return 'delete';
  }
  return method.toLowerCase();
}

function resourceOf(route: Route): string {
  const { spec } = route.target;
  const resource = spec.group === '' ? spec.plural : `${spec.group}/${spec.plural}`;
  return route.subresource ? `${resource}/${route.subresource}` : resource;
}

function parseDocument(text: string, format: 'json' | 'yaml'): unknown {
  try {
    if (format === 'json') return JSON.parse(text) as unknown;
    return parseYaml(text) as unknown;
  } catch (error) {
    // only where parsing failed: the messages of JSON.parse quote the input, which may hold secret values
    const text = error instanceof Error ? error.message : '';
    const position = /position (\d+)/.exec(text)?.[1];
    const line = /line (\d+), column (\d+)/.exec(text);
    const detail = position
      ? `at position ${position}`
      : line
        ? `at line ${line[1]}, column ${line[2]}`
        : 'malformed';
    throw StatusErrors.badRequest(`the request body is not valid ${format.toUpperCase()}: ${detail}`);
  }
}
