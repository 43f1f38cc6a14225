/**
 * Webhooks on changes of phase (core's notify: which changes, the text, the signature): Ready,
 * Failed, deleted, and an hour before a ttl runs out. Every replica follows the statuses it derives
 * (so a new leader knows each environment's last phase); only the leader sends. Deliveries have a
 * queue of their own, retried with bounded exponential backoff on network errors, 5xx and 429, so
 * a slow or dead receiver never holds up a reconcile. Logs name the receiver's host only: a
 * webhook URL's path often is its credential (Slack's are), and the secret is never logged.
 */
import type { Logger } from 'pino';
import {
  EXPIRY_WARNING_MS,
  SIGNATURE_HEADER,
  describeError,
  expiryWarning,
  failureMessage,
  isRecord,
  notificationBody,
  notificationSignature,
  parseDuration,
  parseYamlDocument,
  phaseNotification,
  type EnvironmentPhase,
  type Notification,
} from '../core/index.js';
import { backoffDelay, systemClock, type Backoff, type Clock, type TimerHandle } from '../shared/index.js';
import type { EnvironmentStatusView } from './status-board.js';

/** The port to the receivers: one POST, its HTTP status, or a thrown error (network, refused). */
export type WebhookPost = (url: string, body: string, headers: Record<string, string>) => Promise<number>;

/** The address a URL leads to is not one notifications may go to: never retried. */
export class WebhookRefused extends Error {
  override readonly name = 'WebhookRefused';
}

export interface NotifierOptions {
  post: WebhookPost;
  /** ENVCAT_NOTIFY_URL: told of every environment. */
  url?: string;
  /** ENVCAT_NOTIFY_SECRET: signs every body (per-environment URLs too). */
  secret?: string;
  isLeader: () => boolean;
  /** The environment's request as Git holds it (its `spec.notify` and `spec.ttl`). */
  source: (name: string) => string | undefined;
  /** That request parsed already (documents.ts), when it is a document: not parsed again here. */
  parsed?: (name: string, source: string) => unknown;
  /** When the environment's file was first committed (ISO), once known. */
  createdAt: (name: string) => string | undefined;
  logger: Logger;
  clock?: Clock;
  /** Between attempts; default 1 s doubling up to 5 min. */
  backoff?: Backoff;
  /** Attempts per delivery before it is given up; default 8. */
  maxAttempts?: number;
  /** Deliveries waiting at most; the oldest is dropped beyond it. Default 1000. */
  maxQueued?: number;
}

interface Delivery {
  url: string;
  body: string;
  environment: string;
  event: string;
  attempt: number;
}

/** When an environment's creation time is not known yet, its ttl is looked at again this soon. */
const UNKNOWN_AGE_RECHECK_MS = 30_000;
const CONCURRENCY = 4;

export class Notifier {
  private readonly phases = new Map<string, EnvironmentPhase>();
  /** Each environment's own URLs as last read (a deleted one's request is gone from Git). */
  private readonly targets = new Map<string, string[]>();
  /** The `spec` of each environment's request, parsed once per version of its file. */
  private readonly specs = new Map<string, { source: string; spec: Record<string, unknown> }>();
  /** When this process first saw each environment: a warning due before that was another's to send. */
  private readonly firstSeen = new Map<string, number>();
  /** The expiry each environment was warned of. */
  private readonly warned = new Map<string, number>();
  private readonly expiryTimers = new Map<string, TimerHandle>();
  private readonly queue: Delivery[] = [];
  private readonly retryTimers = new Set<TimerHandle>();
  private inFlight = 0;
  private stopped = false;
  private waiters: Array<() => void> = [];
  private readonly clock: Clock;
  private readonly log: Logger;

  constructor(private readonly options: NotifierOptions) {
    this.clock = options.clock ?? systemClock;
    this.log = options.logger.child({ component: 'notifier' });
  }

  /** An environment's status as the engine published it. */
  status(name: string, status: EnvironmentStatusView): void {
    const previous = this.phases.get(name);
    this.phases.set(name, status.phase);
    if (!this.firstSeen.has(name)) this.firstSeen.set(name, this.clock.now());
    this.readTargets(name);
    const event = phaseNotification(previous, status.phase);
    if (event)
      this.notify(name, {
        event,
        environment: name,
        phase: status.phase,
        ...(previous ? { previousPhase: previous } : {}),
        message: event === 'failed' ? failureMessage(status.failed, status.message) : status.message,
        time: new Date(this.clock.now()).toISOString(),
      });
    this.checkExpiry(name);
  }

  /** The engine deleted an environment: told once, then forgotten. */
  deleted(name: string): void {
    const previous = this.phases.get(name);
    this.notify(name, {
      event: 'deleted',
      environment: name,
      phase: 'Deleted',
      ...(previous ? { previousPhase: previous } : {}),
      message: 'deleted',
      time: new Date(this.clock.now()).toISOString(),
    });
    this.forget(name);
  }

  /** Resolves once nothing is queued, in flight, or waiting for a retry. */
  idle(): Promise<void> {
    if (this.busy()) return new Promise((resolve) => this.waiters.push(resolve));
    return Promise.resolve();
  }

  stop(): void {
    this.stopped = true;
    for (const timer of [...this.retryTimers, ...this.expiryTimers.values()]) this.clock.clearTimeout(timer);
    this.retryTimers.clear();
    this.expiryTimers.clear();
    this.queue.length = 0;
    this.settle();
  }

  private forget(name: string): void {
    this.phases.delete(name);
    this.targets.delete(name);
    this.specs.delete(name);
    this.firstSeen.delete(name);
    this.warned.delete(name);
    const timer = this.expiryTimers.get(name);
    if (timer) this.clock.clearTimeout(timer);
    this.expiryTimers.delete(name);
  }

  private readTargets(name: string): void {
    const spec = this.spec(name);
    if (spec === undefined) return;
    const urls = Array.isArray(spec.notify)
      ? spec.notify.flatMap((t) => (isRecord(t) && typeof t.url === 'string' ? [t.url] : []))
      : [];
    this.targets.set(name, urls);
  }

  private spec(name: string): Record<string, unknown> | undefined {
    const source = this.options.source(name);
    if (source === undefined) return undefined;
    const cached = this.specs.get(name);
    if (cached?.source === source) return cached.spec;
    let spec: Record<string, unknown> = {};
    try {
      const document = this.options.parsed?.(name, source) ?? parseYamlDocument(source);
      if (isRecord(document) && isRecord(document.spec)) spec = document.spec;
    } catch {
      // An unparsable request is Invalid: no webhooks of its own, no ttl.
    }
    this.specs.set(name, { source, spec });
    return spec;
  }

  /** Warns once per expiry time (an extended ttl is warned of again), and wakes itself up for it. */
  private checkExpiry(name: string): void {
    if (this.stopped) return;
    const pending = this.expiryTimers.get(name);
    if (pending) this.clock.clearTimeout(pending);
    this.expiryTimers.delete(name);
    const ttl = this.spec(name)?.ttl;
    const ttlSeconds = typeof ttl === 'string' ? parseDuration(ttl) : undefined;
    if (ttlSeconds === undefined) return;
    const created = this.options.createdAt(name);
    const createdAt = created === undefined ? undefined : Date.parse(created);
    const now = this.clock.now();
    const verdict = expiryWarning({ ttlSeconds, createdAt, now });
    const wake = (ms: number) =>
      this.expiryTimers.set(
        name,
        this.clock.setTimeout(() => {
          this.expiryTimers.delete(name);
          if (this.phases.has(name)) this.checkExpiry(name);
        }, ms),
      );
    if (verdict.kind === 'later') return void wake(verdict.inMs);
    if (verdict.kind === 'none') {
      if (createdAt === undefined) wake(UNKNOWN_AGE_RECHECK_MS);
      return;
    }
    if (this.warned.get(name) === verdict.expiresAt) return;
    // Due before this process knew the environment (a restart, a new leader): the one before told.
    const due = Math.max(verdict.expiresAt - EXPIRY_WARNING_MS, createdAt!);
    if (due < (this.firstSeen.get(name) ?? now) - 60_000) return;
    if (!this.options.isLeader()) return void wake(UNKNOWN_AGE_RECHECK_MS);
    this.warned.set(name, verdict.expiresAt);
    this.notify(name, {
      event: 'expiring',
      environment: name,
      phase: this.phases.get(name) ?? 'Ready',
      message: `its ttl (${String(ttl)}) runs out`,
      time: new Date(now).toISOString(),
      expiresAt: new Date(verdict.expiresAt).toISOString(),
    });
  }

  private notify(name: string, notification: Notification): void {
    if (this.stopped || !this.options.isLeader()) return;
    const urls = [
      ...new Set([...(this.options.url ? [this.options.url] : []), ...(this.targets.get(name) ?? [])]),
    ];
    if (urls.length === 0) return;
    const body = notificationBody(notification);
    for (const url of urls) {
      if (this.queue.length >= (this.options.maxQueued ?? 1000)) {
        const dropped = this.queue.shift()!;
        this.log.warn(
          { environment: dropped.environment, event: dropped.event, host: hostOf(dropped.url) },
          'notification queue full; dropped the oldest',
        );
      }
      this.queue.push({ url, body, environment: name, event: notification.event, attempt: 0 });
    }
    this.pump();
  }

  private pump(): void {
    while (!this.stopped && this.inFlight < CONCURRENCY && this.queue.length > 0) {
      const delivery = this.queue.shift()!;
      this.inFlight++;
      void this.send(delivery).finally(() => {
        this.inFlight--;
        this.pump();
        this.settle();
      });
    }
  }

  private async send(delivery: Delivery): Promise<void> {
    delivery.attempt++;
    const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': 'envcat' };
    if (this.options.secret)
      headers[SIGNATURE_HEADER] = notificationSignature(delivery.body, this.options.secret);
    const where = { environment: delivery.environment, event: delivery.event, host: hostOf(delivery.url) };
    let retry: boolean;
    try {
      const status = await this.options.post(delivery.url, delivery.body, headers);
      if (status >= 200 && status < 300) {
        this.log.info({ ...where, status, attempt: delivery.attempt }, 'notification sent');
        return;
      }
      retry = status >= 500 || status === 429;
      this.log.warn({ ...where, status, attempt: delivery.attempt }, 'notification not accepted');
    } catch (error) {
      retry = !(error instanceof WebhookRefused);
      this.log.warn(
        { ...where, attempt: delivery.attempt, err: describeError(error) },
        'notification failed',
      );
    }
    if (!retry || this.stopped) return;
    if (delivery.attempt >= (this.options.maxAttempts ?? 8)) {
      this.log.error({ ...where, attempts: delivery.attempt }, 'notification given up');
      return;
    }
    const delay = backoffDelay(
      this.options.backoff ?? { initialMs: 1_000, maxMs: 300_000 },
      delivery.attempt,
    );
    const timer = this.clock.setTimeout(() => {
      this.retryTimers.delete(timer);
      this.queue.push(delivery);
      this.pump();
      this.settle();
    }, delay);
    this.retryTimers.add(timer);
  }

  private busy(): boolean {
    return this.queue.length > 0 || this.inFlight > 0 || this.retryTimers.size > 0;
  }

  private settle(): void {
    if (this.busy()) return;
    const waiters = this.waiters;
    this.waiters = [];
    for (const resolve of waiters) resolve();
  }
}

/** The host of a URL, for logs (its path and query may be a credential). */
export function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return '(not a URL)';
  }
}
