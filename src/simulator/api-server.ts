/**
 * A Kubernetes-API-compatible HTTP server over the ObjectStore (api-server-store.ts): discovery,
 * CRUD, the status subresource, the four patch types, lists with selectors and pagination, and
 * chunked watches, with the paths, status codes and `Status` bodies of kube-apiserver, so that
 * @kubernetes/client-node (KubernetesObjectApi, the typed APIs, Watch, ListWatch/makeInformer)
 * works against it unchanged.
 *
 * This file holds the server's lifecycle, authentication, routing and request counts. The handlers
 * per verb are in api-server-handlers.ts, request parsing in api-server-requests.ts, the discovery
 * documents in api-server-discovery.ts and the in-process `objects` in api-server-access.ts.
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
import { BUILTIN_KINDS, type KindSpec, KindRegistry } from '../cluster/index.js';
import { type ObjectAccess, objectAccess } from './api-server-access.js';
import { apiGroup, apiVersions, groupList, resourceList, versionInfo } from './api-server-discovery.js';
import { FaultInjector, type FaultCounts, type FaultPlan } from './api-server-faults.js';
import { ResourceHandlers } from './api-server-handlers.js';
import { parseBool, resourceOf, type Route, send, verbOf } from './api-server-requests.js';
import { ApiStatusError, StatusErrors } from './api-server-status.js';
import { ObjectStore } from './api-server-store.js';
import type { StorePersistence } from './store-log.js';

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

const DEFAULT_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];
const UNAUTHENTICATED_PATHS = new Set(['/version', '/healthz', '/livez', '/readyz']);

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

export class SimulatedApiServer {
  readonly kinds: KindRegistry;
  readonly objects: ObjectAccess;
  private readonly store: ObjectStore;
  private readonly token: Buffer | undefined;
  private readonly handlers: ResourceHandlers;
  private server: Server | undefined;
  private address: string | undefined;
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
    this.handlers = new ResourceHandlers({
      store: this.store,
      bookmarkIntervalMs: options.bookmarkIntervalMs ?? 60_000,
      maxBodyBytes: options.maxBodyBytes ?? 3 * 1024 * 1024,
      maxWatchBufferBytes: options.maxWatchBufferBytes ?? 16 * 1024 * 1024,
    });
    this.objects = objectAccess(this.store, this.kinds);
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
        const dropped = this.handlers.endWatches();
        this.faults?.noteWatchesDropped(dropped);
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
      openWatches: this.handlers.openWatches,
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
    this.handlers.endWatches();
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
      send(res, status.code, status);
    });
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
      return send(res, 200, versionInfo());
    }
    if (['/healthz', '/livez', '/readyz'].includes(url.pathname)) {
      this.count('nonResource');
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.end('ok');
      return;
    }
    if (segments[0] === 'api' && segments.length === 1) return this.discovery(method, res, apiVersions(req));
    if (segments[0] === 'apis' && segments.length === 1)
      return this.discovery(method, res, groupList(this.kinds));
    if (segments[0] === 'apis' && segments.length === 2)
      return this.discovery(method, res, apiGroup(this.kinds, segments[1]!));

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
    if (rest.length === 0) return this.discovery(method, res, resourceList(this.kinds, group, version));
    const route = this.resolve(group, version, rest, url.searchParams);
    this.count(verbOf(method, route), resourceOf(route));
    const fault = route.watch ? undefined : this.faults?.decide(method, resourceOf(route));
    if (fault) throw fault;
    await this.handlers.dispatch(method, route, req, res, url.searchParams);
  }

  private discovery(method: string, res: ServerResponse, body: unknown): void {
    this.count('discovery');
    if (method !== 'GET') throw StatusErrors.methodNotAllowed();
    send(res, 200, body);
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
}
