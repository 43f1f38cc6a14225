/**
 * The Informer port on client-node's ListWatch: list, then watch from the list's resourceVersion,
 * relist on 410 Gone (ListWatch does that). What this adds: ListWatch stops for good on any other
 * error (a refused connection, a failed list), so it is restarted here with bounded exponential
 * backoff; its reconnect delays end on stop() so that no timer or request is left behind;
 * and the ADDED events of the initial list are not reported (the port reports changes only), nor,
 * if asked, updates that change only what the transform drops.
 */
import {
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
  ListWatch,
  Watch,
} from '@kubernetes/client-node';
import { ConflictError, EnvcatError, ExternalError } from '../core/errors/index.js';
import { backoffDelay, type Backoff } from '../shared/index.js';
import { errorFromStatus } from './errors.js';
import { LabelIndex } from './label-index.js';
import { sameButResourceVersion } from './same-object.js';
import type { Informer, KubeObject, WatchEventType } from './types.js';

/** The delays before restarts: 500 ms, doubling per consecutive failure, at most 30 s. */
export const DEFAULT_BACKOFF: Backoff = { initialMs: 500, maxMs: 30_000 };

export interface KubeInformerOptions {
  kubeConfig: KubeConfig;
  /** The collection path (`/apis/<group>/<version>[/namespaces/<ns>]/<plural>`), from discovery. */
  resolvePath: () => Promise<string>;
  /** Lists the collection (with the same namespace and selector); rejects with a typed error. */
  list: () => Promise<KubernetesListObject<KubernetesObject>>;
  labelSelector?: string;
  backoff?: Backoff;
  /** Names the watched collection in error messages. */
  description: string;
  /** Applied to every watched object before it is cached (the list is transformed by `list`). */
  transform?: (object: KubeObject) => KubeObject;
  /** Updates that change only what the transform drops are cached, not reported (InformerOptions). */
  onlyChanges?: boolean;
  /** InformerOptions.indexLabel. */
  indexLabel?: string;
}

interface Hooks {
  /** Called when ListWatch is about to open a watch; false stops it (the informer was stopped). */
  beforeWatch(): boolean;
  onEvent(): void;
  /** An ADDED or MODIFIED object, transformed, while ListWatch caches it (see KubeInformer.unchanged). */
  caching(object: KubeObject, cache: () => void): void;
  isStopped(): boolean;
  transform?: ((object: KubeObject) => KubeObject) | undefined;
}

/** client-node's Watch, told by the informer when a watch starts and when events arrive. */
class HookedWatch extends Watch {
  constructor(
    config: KubeConfig,
    private readonly hooks: Hooks,
  ) {
    super(config);
  }

  override async watch(
    path: string,
    queryParams: Record<string, string | number | boolean | undefined>,
    callback: (phase: string, apiObj: unknown, watchObj?: unknown) => void,
    done: (err: unknown) => void,
  ): Promise<AbortController> {
    if (!this.hooks.beforeWatch()) return new AbortController();
    const controller = await super.watch(
      path,
      queryParams,
      (phase, object, raw) => {
        this.hooks.onEvent();
        const transform = this.hooks.transform;
        const cached =
          transform && phase !== 'BOOKMARK' && phase !== 'ERROR' && isObject(object)
            ? transform(object)
            : object;
        if ((phase === 'MODIFIED' || phase === 'ADDED') && isObject(cached))
          this.hooks.caching(cached, () => callback(phase, cached, raw));
        else callback(phase, cached, raw);
      },
      done,
    );
    // stop() while the request was connecting found nothing to abort in ListWatch
    if (this.hooks.isStopped()) controller.abort();
    return controller;
  }
}

type Handlers = {
  [K in WatchEventType]: Array<(object: KubeObject) => void>;
} & { error: Array<(error: unknown) => void> };

export class KubeInformer implements Informer {
  private readonly options: KubeInformerOptions;
  private readonly backoff: Backoff;
  private readonly handlers: Handlers = { ADDED: [], MODIFIED: [], DELETED: [], error: [] };
  private readonly abort = new AbortController();
  private listWatch: ListWatch<KubernetesObject> | undefined;
  private started: Promise<void> | undefined;
  private settleSync: { resolve: () => void; reject: (error: unknown) => void } | undefined;
  private synced = false;
  private stopped = false;
  private failures = 0;
  private retry: NodeJS.Timeout | undefined;
  /**
   * With onlyChanges: the update ListWatch is caching changes nothing the cache keeps but the
   * resourceVersion. It is cached but not reported (controller-runtime controllers filter such
   * updates with predicates).
   */
  private unchanged = false;
  private readonly index: LabelIndex | undefined;

  constructor(options: KubeInformerOptions) {
    this.options = options;
    this.backoff = options.backoff ?? DEFAULT_BACKOFF;
    this.index = options.indexLabel === undefined ? undefined : new LabelIndex(options.indexLabel);
  }

  /** Resolves once the initial list is cached; retries connection failures meanwhile (reporting them as 'error'). */
  start(): Promise<void> {
    this.started ??= this.run();
    return this.started;
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    if (this.retry) clearTimeout(this.retry);
    this.abort.abort();
    void this.listWatch?.stop();
    this.settleSync?.reject(this.stoppedError());
  }

  list(): KubeObject[] {
    return (this.listWatch?.list() ?? []) as KubeObject[];
  }

  get(name: string, namespace?: string): KubeObject | undefined {
    return this.listWatch?.get(name, namespace) as KubeObject | undefined;
  }

  indexed(value: string): KubeObject[] {
    if (!this.index) throw new Error(`the informer of ${this.options.description} has no index`);
    return this.index.get(value);
  }

  on(event: WatchEventType, handler: (object: KubeObject) => void): void;
  on(event: 'error', handler: (error: unknown) => void): void;
  on(
    event: WatchEventType | 'error',
    handler: ((object: KubeObject) => void) | ((error: unknown) => void),
  ): void {
    (this.handlers[event] as Array<typeof handler>).push(handler);
  }

  private async run(): Promise<void> {
    const path = await this.resolvePath();
    const sync = new Promise<void>((resolve, reject) => {
      this.settleSync = { resolve, reject };
    });
    const watch = new HookedWatch(this.options.kubeConfig, {
      beforeWatch: () => {
        if (this.stopped) return false;
        // ListWatch opens its first watch right after applying the first list
        if (!this.synced) {
          this.synced = true;
          this.settleSync?.resolve();
          this.settleSync = undefined;
        }
        return true;
      },
      onEvent: () => {
        this.failures = 0;
      },
      caching: (object, cache) => {
        const { name, namespace } = object.metadata;
        const cached = this.listWatch?.get(name, namespace) as KubeObject | undefined;
        this.unchanged = this.options.onlyChanges === true && sameButResourceVersion(cached, object);
        try {
          cache();
        } finally {
          this.unchanged = false;
        }
      },
      isStopped: () => this.stopped,
      transform: this.options.transform,
    });
    const listWatch = new ListWatch<KubernetesObject>(
      path,
      watch,
      async () => {
        const list = await this.options.list();
        this.failures = 0;
        return list;
      },
      false,
      this.options.labelSelector,
      undefined,
      // ListWatch's own reconnect delays end early on stop(); HookedWatch then opens nothing
      { delayFn: (ms) => this.pause(ms) },
    );
    this.listWatch = listWatch;
    // ListWatch calls these for every change of its cache, the lists' included: the index follows it
    listWatch.on('add', (object) => {
      this.index?.set(object as KubeObject);
      if (this.synced) this.emit('ADDED', object as KubeObject);
    });
    listWatch.on('update', (object) => {
      this.index?.set(object as KubeObject);
      if (!this.unchanged) this.emit('MODIFIED', object as KubeObject);
    });
    listWatch.on('delete', (object) => {
      this.index?.delete(object as KubeObject);
      this.emit('DELETED', object as KubeObject);
    });
    listWatch.on('error', (error) => this.failed(error));
    if (this.stopped) throw this.stoppedError();
    this.connect();
    await sync;
  }

  /** Discovery, retried while the server is unreachable; an unserved kind or bad input fails start() at once. */
  private async resolvePath(): Promise<string> {
    for (;;) {
      if (this.stopped) throw this.stoppedError();
      try {
        return await this.options.resolvePath();
      } catch (error) {
        if (!(error instanceof ExternalError) || this.stopped) throw error;
        this.report(error);
        await this.pause(backoffDelay(this.backoff, this.failures + 1));
        this.failures += 1;
      }
    }
  }

  private stoppedError(): ConflictError {
    return new ConflictError(`the informer of ${this.options.description} was stopped before it synced`);
  }

  /** Waits `ms`, or less if the informer is stopped meanwhile. */
  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      if (this.abort.signal.aborted) return resolve();
      const timer = setTimeout(resolve, ms);
      timer.unref();
      this.abort.signal.addEventListener(
        'abort',
        () => {
          clearTimeout(timer);
          resolve();
        },
        { once: true },
      );
    });
  }

  private connect(): void {
    if (this.stopped || !this.listWatch) return;
    // start() lists when it has no resourceVersion (first time, after a 410), else resumes the watch
    this.listWatch.start().catch((error: unknown) => this.failed(error));
  }

  /** ListWatch gave up: report, then restart it after a backoff delay. */
  private failed(error: unknown): void {
    if (this.stopped) return;
    this.report(this.typed(error));
    const delay = backoffDelay(this.backoff, this.failures + 1);
    this.failures += 1;
    if (this.retry) clearTimeout(this.retry);
    this.retry = setTimeout(() => {
      this.retry = undefined;
      this.connect();
    }, delay);
    this.retry.unref();
  }

  private emit(event: WatchEventType, object: KubeObject): void {
    if (this.stopped) return;
    for (const handler of this.handlers[event]) {
      try {
        handler(object);
      } catch (error) {
        // a throwing handler must neither break the watch nor go unnoticed
        this.report(error);
      }
    }
  }

  private report(error: unknown): void {
    for (const handler of this.handlers.error) {
      try {
        handler(error);
      } catch {
        // an error handler that throws has nowhere left to report to
      }
    }
  }

  private typed(error: unknown): EnvcatError {
    if (error instanceof EnvcatError) return error; // a failed list, already typed
    const statusCode = (error as { statusCode?: unknown } | undefined)?.statusCode;
    const message = error instanceof Error ? error.message : String(error);
    if (typeof statusCode === 'number')
      return errorFromStatus(
        { code: statusCode, message: `watch of ${this.options.description} failed: ${message}` },
        { cause: error },
      );
    const reason = (error as { cause?: { code?: unknown } } | undefined)?.cause?.code;
    return new ExternalError(
      `watch of ${this.options.description} failed: ${message}${typeof reason === 'string' ? ` (${reason})` : ''}`,
      { cause: error },
    );
  }
}

function isObject(value: unknown): value is KubeObject {
  return typeof value === 'object' && value !== null && 'metadata' in value;
}
