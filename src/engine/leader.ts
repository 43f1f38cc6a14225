/**
 * Leader election on a coordination.k8s.io/v1 Lease, as client-go's leaderelection does it: the
 * holder renews `renewTime` well within `leaseDurationSeconds`; another replica takes the Lease
 * over once it has not been renewed for a whole duration. Only the leader reconciles, so one
 * environment is never worked on by two replicas at once; every replica serves reads.
 */
import type { Logger } from 'pino';
import { ConflictError } from '../core/index.js';
import type { ClusterClient, KubeObject } from '../cluster/types.js';

export interface LeaderElectorOptions {
  cluster: ClusterClient;
  namespace: string;
  name: string;
  identity: string;
  leaseDurationMs: number;
  logger: Logger;
  onStartedLeading: () => void;
  now?: () => number;
}

interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

/** What one attempt found: leading, or the Lease held by another replica, or it could not tell. */
type Attempt = 'leading' | 'held' | 'unknown';

export class LeaderElector {
  private leading = false;
  /** When this replica last acquired or renewed the Lease. */
  private renewedAt = 0;
  /** isLeader said no while leading (renewals past the deadline): work was turned away meanwhile. */
  private turnedAway = false;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly now: () => number;

  constructor(private readonly options: LeaderElectorOptions) {
    this.now = options.now ?? Date.now;
  }

  /**
   * Leading, and renewed within the renew deadline: a leader whose renewals hang (a partition)
   * stops acting by itself before another replica can take the Lease over.
   */
  get isLeader(): boolean {
    if (!this.leading) return false;
    if (this.now() - this.renewedAt < this.renewDeadlineMs) return true;
    this.turnedAway = true;
    return false;
  }

  /** Tries once right away, then keeps trying (or renewing) every third of the lease duration. */
  async start(): Promise<void> {
    this.stopped = false;
    await this.ensureNamespace();
    await this.tick();
    this.schedule();
  }

  /** Gives the Lease up so another replica need not wait for it to expire. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (!this.leading) return;
    this.leading = false;
    try {
      const lease = await this.get();
      const spec = (lease?.spec ?? {}) as LeaseSpec;
      if (lease && spec.holderIdentity === this.options.identity)
        await this.options.cluster.replace({
          ...lease,
          spec: { ...spec, holderIdentity: '', leaseDurationSeconds: 1 },
        });
    } catch (error) {
      this.options.logger.warn(
        { err: { message: (error as Error).message } },
        'could not release the leader lease',
      );
    }
  }

  /**
   * client-go's timing (leaderelection.go: LeaseDuration 15 s, RenewDeadline 10 s, RetryPeriod
   * 2 s): a leader that cannot renew keeps trying every retry period, and steps down only once it
   * has not renewed for the renew deadline, which ends before its Lease can expire for the others.
   * One failed request (a 500 or 429 from a busy API server) is not a lost leadership.
   */
  private get renewDeadlineMs(): number {
    return Math.floor((this.options.leaseDurationMs * 2) / 3);
  }

  private get retryPeriodMs(): number {
    return Math.max(50, Math.floor(this.options.leaseDurationMs / 7.5));
  }

  private schedule(): void {
    if (this.stopped) return;
    // Renewing every third of the duration while it goes well; retrying sooner while it does not.
    const overdue = this.leading && this.now() - this.renewedAt > this.options.leaseDurationMs / 3;
    this.timer = setTimeout(
      () => void this.tick().finally(() => this.schedule()),
      overdue ? this.retryPeriodMs : Math.max(50, Math.floor(this.options.leaseDurationMs / 3)),
    );
    this.timer.unref();
  }

  /** One attempt; exported to tests through the class, driven by start() otherwise. */
  async tick(): Promise<void> {
    let attempt: Attempt;
    // The time the Lease will say it was renewed at (taken before the request, as it writes it).
    const startedAt = this.now();
    try {
      attempt = await this.tryAcquireOrRenew(startedAt);
    } catch (error) {
      this.options.logger.warn({ err: { message: (error as Error).message } }, 'leader lease renewal failed');
      attempt = 'unknown';
    }
    // Renewals that lapsed past the deadline made isLeader false meanwhile, and work was turned away.
    const lapsed = this.turnedAway || (this.leading && startedAt - this.renewedAt >= this.renewDeadlineMs);
    if (attempt === 'leading') this.renewedAt = startedAt;
    // Could not tell: still the leader while within the renew deadline of the last renewal.
    const leading =
      attempt === 'leading' ||
      (attempt === 'unknown' && this.leading && this.now() - this.renewedAt < this.renewDeadlineMs);
    if (leading && !this.leading) {
      this.leading = true;
      this.turnedAway = false;
      this.options.logger.info({ identity: this.options.identity }, 'became leader');
      this.options.onStartedLeading();
    } else if (leading && lapsed && attempt === 'leading') {
      this.turnedAway = false;
      this.options.logger.info({ identity: this.options.identity }, 'leading again after renewals lapsed');
      this.options.onStartedLeading();
    } else if (!leading && this.leading) {
      this.leading = false;
      this.options.logger.warn({ identity: this.options.identity }, 'lost leadership');
    }
  }

  private get ref() {
    return {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      name: this.options.name,
      namespace: this.options.namespace,
    };
  }

  private get(): Promise<KubeObject | undefined> {
    return this.options.cluster.get(this.ref);
  }

  private async tryAcquireOrRenew(now: number): Promise<Attempt> {
    const microTime = new Date(now).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
    const durationSeconds = Math.max(1, Math.ceil(this.options.leaseDurationMs / 1000));
    const lease = await this.get();
    if (!lease) {
      try {
        await this.options.cluster.create({
          apiVersion: 'coordination.k8s.io/v1',
          kind: 'Lease',
          metadata: { name: this.options.name, namespace: this.options.namespace },
          spec: {
            holderIdentity: this.options.identity,
            leaseDurationSeconds: durationSeconds,
            acquireTime: microTime,
            renewTime: microTime,
            leaseTransitions: 0,
          },
        });
        return 'leading';
      } catch (error) {
        if (error instanceof ConflictError) return 'unknown'; // another replica created it first: read it next time
        throw error;
      }
    }
    const spec = (lease.spec ?? {}) as LeaseSpec;
    const mine = spec.holderIdentity === this.options.identity;
    const renewed = spec.renewTime ? Date.parse(spec.renewTime) : 0;
    const expired =
      !spec.holderIdentity || renewed + (spec.leaseDurationSeconds ?? durationSeconds) * 1000 < now;
    if (!mine && !expired) return 'held';
    try {
      await this.options.cluster.replace({
        ...lease,
        spec: {
          holderIdentity: this.options.identity,
          leaseDurationSeconds: durationSeconds,
          acquireTime: mine ? spec.acquireTime : microTime,
          renewTime: microTime,
          leaseTransitions: (spec.leaseTransitions ?? 0) + (mine ? 0 : 1),
        },
      });
      return 'leading';
    } catch (error) {
      // Someone else renewed or took it in between, or the server said so for another reason: the
      // next attempt reads the Lease again and sees which.
      if (error instanceof ConflictError) return 'unknown';
      throw error;
    }
  }

  private async ensureNamespace(): Promise<void> {
    const ref = { apiVersion: 'v1', kind: 'Namespace', name: this.options.namespace };
    if (await this.options.cluster.get(ref)) return;
    try {
      await this.options.cluster.create({
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name: this.options.namespace },
      });
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error;
    }
  }
}
