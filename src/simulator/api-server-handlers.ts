/**
 * The simulated API server's handlers per verb for a resolved resource path: get, list, create,
 * update (PUT), the four patch types, delete and deletecollection, and chunked watches with
 * bookmarks, timeouts and a bound on what a slow client may leave buffered.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type KindSpec, apiVersionOf } from '../cluster/index.js';
import { ApiStatusError, type Status, StatusErrors, successStatus } from './api-server-status.js';
import type { ChangeType, ListQuery, ObjectTarget, Target } from './api-server-objects.js';
import type { ObjectStore } from './api-server-store.js';
import type { WatchHandle } from './api-server-watch.js';
import {
  PATCH_TYPES,
  parseBool,
  parseDocument,
  readBody,
  readObject,
  type Route,
  selectors,
  send,
} from './api-server-requests.js';

export interface ResourceHandlersOptions {
  store: ObjectStore;
  /** How often a watch with `allowWatchBookmarks=true` gets a BOOKMARK. */
  bookmarkIntervalMs: number;
  /** Largest accepted request body. */
  maxBodyBytes: number;
  /** A watch whose client reads slower than this many buffered bytes is ended. */
  maxWatchBufferBytes: number;
}

/** Groups whose DELETE answers a `Status` (as built-in kinds do); custom resources answer the object. */
function returnsStatusOnDelete(spec: KindSpec): boolean {
  return (
    spec.group === '' ||
    spec.group.endsWith('.k8s.io') ||
    ['apps', 'batch', 'policy', 'autoscaling'].includes(spec.group)
  );
}

interface ActiveWatch {
  end(): void;
}

export class ResourceHandlers {
  private readonly store: ObjectStore;
  private readonly bookmarkIntervalMs: number;
  private readonly maxBodyBytes: number;
  private readonly maxWatchBufferBytes: number;
  private readonly watches = new Set<ActiveWatch>();

  constructor(options: ResourceHandlersOptions) {
    this.store = options.store;
    this.bookmarkIntervalMs = options.bookmarkIntervalMs;
    this.maxBodyBytes = options.maxBodyBytes;
    this.maxWatchBufferBytes = options.maxWatchBufferBytes;
  }

  /** Watch streams open now. */
  get openWatches(): number {
    return this.watches.size;
  }

  /** Ends every open watch stream; returns how many there were. */
  endWatches(): number {
    const open = [...this.watches];
    for (const watch of open) watch.end();
    return open.length;
  }

  async dispatch(
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
        return route.watch ? this.watch(route, req, res, query) : send(res, 200, this.list(target, query));
      }
      if (method === 'POST' && !route.allNamespaces) {
        const body = await readObject(req, this.maxBodyBytes);
        return send(res, 201, this.store.create(target, body, { dryRun }));
      }
      if (method === 'DELETE' && !route.allNamespaces) {
        await readBody(req, this.maxBodyBytes);
        const items = this.store.deleteCollection(target, selectors(query), { dryRun });
        const spec = target.spec;
        return send(res, 200, {
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
        return send(res, 200, this.store.get(objectTarget));
      case 'PUT': {
        const body = await readObject(req, this.maxBodyBytes);
        return send(
          res,
          200,
          this.store.replace(objectTarget, body, { dryRun, ...(subresource ? { subresource } : {}) }),
        );
      }
      case 'PATCH': {
        const contentType = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
        const type = PATCH_TYPES[contentType];
        if (!type) throw StatusErrors.unsupportedMediaType(contentType, Object.keys(PATCH_TYPES));
        const text = await readBody(req, this.maxBodyBytes);
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
        return send(res, existed ? 200 : 201, result);
      }
      case 'DELETE': {
        if (subresource) throw StatusErrors.methodNotAllowed();
        const text = await readBody(req, this.maxBodyBytes);
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
        if (result.pending || !returnsStatusOnDelete(target.spec)) return send(res, 200, result.object);
        return send(
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
}
