/**
 * Faults the simulated API server can be told to inject, for tests of how envcat (and the simulated
 * controllers) ride them out: a share of requests answered with the errors a real API server gives
 * under load or during an etcd leader change (500 InternalError, 409 Conflict on writes, 429
 * TooManyRequests), and every open watch ended now and then (an API server restart, a load
 * balancer's idle timeout). Deterministic for a given seed.
 */
import { ApiStatusError, type Status } from './api-server-status.js';

export interface FaultPlan {
  /** The share of requests (0–1) answered with an injected error instead of being served. Watches are not. */
  errorRate: number;
  /**
   * Which errors (default all three). A 409 only answers a PUT, as a real API server's update
   * conflict does (a stale resourceVersion), and is half of a PUT's faults; other requests get one
   * of the others.
   */
  statuses?: ReadonlyArray<409 | 429 | 500>;
  /**
   * Only requests with one of these methods (`DELETE`, …) to one of these resources
   * (`<group>/<plural>`, or `<plural>` for the core group: `tf.m.upbound.io/workspaces`, `secrets`);
   * every request when absent. An outage of one kind of write, as a webhook or an etcd range can make one.
   */
  only?: { methods?: readonly string[]; resources?: readonly string[] };
  /** End every open watch this often (ms); clients resume from their last resourceVersion. */
  dropWatchesEveryMs?: number;
  seed?: number;
}

export interface FaultCounts {
  injected: Record<string, number>;
  watchesDropped: number;
}

export class FaultInjector {
  readonly counts: FaultCounts = { injected: {}, watchesDropped: 0 };
  private state: number;

  constructor(readonly plan: FaultPlan) {
    if (!(plan.errorRate >= 0 && plan.errorRate <= 1)) throw new Error('errorRate must be between 0 and 1');
    this.state = (plan.seed ?? 1) >>> 0 || 1;
  }

  /** The error to answer this request with, or undefined to serve it. */
  decide(method: string, resource: string): ApiStatusError | undefined {
    const { only } = this.plan;
    if (only?.methods && !only.methods.includes(method)) return undefined;
    if (only?.resources && !only.resources.includes(resource)) return undefined;
    if (this.random() >= this.plan.errorRate) return undefined;
    const allowed = (this.plan.statuses ?? [500, 409, 429]).filter((s) => s !== 409 || method === 'PUT');
    if (allowed.length === 0) return undefined;
    // A PUT's fault is a conflict half the time: PUTs are few beside the patches and GETs, and at a
    // third a run of ~100 faults sometimes had no 409 at all.
    const others = allowed.filter((s) => s !== 409);
    const code =
      allowed.includes(409) && (others.length === 0 || this.random() < 0.5)
        ? 409
        : others[Math.floor(this.random() * others.length)]!;
    this.counts.injected[code] = (this.counts.injected[code] ?? 0) + 1;
    return new ApiStatusError(statusOf(code, resource));
  }

  noteWatchesDropped(count: number): void {
    this.counts.watchesDropped += count;
  }

  /** xorshift32: cheap, and the same sequence for the same seed. */
  private random(): number {
    let x = this.state;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.state = x >>> 0;
    return this.state / 4294967296;
  }
}

/** The Status bodies kube-apiserver sends for these (apimachinery pkg/api/errors). */
function statusOf(code: 409 | 429 | 500, resource: string): Status {
  const base = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure' } as const;
  switch (code) {
    case 409:
      return {
        ...base,
        code,
        reason: 'Conflict',
        message: `Operation cannot be fulfilled on ${resource}: the object has been modified; please apply your changes to the latest version and try again`,
        details: { kind: resource },
      };
    case 429:
      return {
        ...base,
        code,
        reason: 'TooManyRequests',
        message: 'the server has received too many requests and has asked us to try again later',
        details: { retryAfterSeconds: 1 },
      };
    case 500:
      return {
        ...base,
        code,
        reason: 'InternalError',
        message: 'Internal error occurred: etcdserver: leader changed',
        details: { causes: [{ message: 'etcdserver: leader changed' }] },
      };
  }
}
