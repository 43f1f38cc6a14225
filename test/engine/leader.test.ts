/**
 * Leader election timing as client-go's (LeaseDuration, RenewDeadline, RetryPeriod): a leader
 * that cannot renew for a moment keeps leading; one that cannot renew for the renew deadline
 * steps down before its Lease can expire for the other replicas.
 */
import { pino } from 'pino';
import { ConflictError, ExternalError } from '../../src/core/index.js';
import type { ClusterClient, KubeObject } from '../../src/cluster/types.js';
import { LeaderElector } from '../../src/engine/leader.js';

const LEASE_MS = 15_000;

/** A Lease store with the API server's compare-and-swap, failing the calls it is told to. */
function leaseCluster() {
  let lease: KubeObject | undefined;
  let version = 0;
  const failures: Array<'500' | '409'> = [];
  const fail = () => {
    const next = failures.shift();
    if (next === '500') throw new ExternalError('Internal error occurred: etcdserver: leader changed');
    if (next === '409') throw new ConflictError('the object has been modified');
  };
  const cluster = {
    get: async () => {
      fail();
      return lease && structuredClone(lease);
    },
    create: async (object: KubeObject) => {
      fail();
      if (lease) throw new ConflictError('already exists');
      lease = {
        ...structuredClone(object),
        metadata: { ...object.metadata, resourceVersion: String(++version) },
      };
      return lease;
    },
    replace: async (object: KubeObject) => {
      fail();
      if (object.metadata.resourceVersion !== lease?.metadata.resourceVersion)
        throw new ConflictError('the object has been modified');
      lease = {
        ...structuredClone(object),
        metadata: { ...object.metadata, resourceVersion: String(++version) },
      };
      return lease;
    },
  } as unknown as ClusterClient;
  return {
    cluster,
    failures,
    holder: () => (lease?.spec as { holderIdentity?: string } | undefined)?.holderIdentity,
    takeOver: (identity: string, at: number) => {
      lease = {
        ...lease!,
        spec: { ...(lease!.spec as object), holderIdentity: identity, renewTime: new Date(at).toISOString() },
        metadata: { ...lease!.metadata, resourceVersion: String(++version) },
      };
    },
  };
}

function elector(cluster: ClusterClient, clock: { now: number }, identity = 'me') {
  const started: string[] = [];
  const leader = new LeaderElector({
    cluster,
    namespace: 'envcat-system',
    name: 'envcat-engine',
    identity,
    leaseDurationMs: LEASE_MS,
    logger: pino({ level: 'silent' }),
    onStartedLeading: () => started.push(identity),
    now: () => clock.now,
  });
  return { leader, started };
}

describe('leader election', () => {
  it.each([
    { name: 'one failed renewal (500)', failures: ['500', '500'] as const, after: 3_000, leads: true },
    { name: 'a conflict answered for a renewal', failures: ['409'] as const, after: 3_000, leads: true },
    {
      name: 'renewals failing past the renew deadline',
      failures: ['500', '500'] as const,
      after: 11_000,
      leads: false,
    },
  ])('GIVEN a leader WHEN $name THEN it leads: $leads', async ({ failures, after, leads }) => {
    // GIVEN a replica that holds the Lease
    const { cluster, failures: script } = leaseCluster();
    const clock = { now: 1_000_000 };
    const { leader } = elector(cluster, clock);
    await leader.tick();
    expect(leader.isLeader).toBe(true);
    // WHEN time passes and the next attempt's calls fail as given (the get, then maybe the replace)
    clock.now += after;
    script.push(...failures);
    await leader.tick();
    // THEN
    expect(leader.isLeader).toBe(leads);
  });

  it('GIVEN a leader whose renewal hangs THEN it stops acting at the renew deadline, before its Lease expires for others', async () => {
    const { cluster } = leaseCluster();
    const clock = { now: 1_000_000 };
    const { leader, started } = elector(cluster, clock);
    await leader.tick();
    // no attempt returns (a partition): only time passes
    clock.now += 9_000;
    expect(leader.isLeader).toBe(true);
    clock.now += 2_000;
    expect(leader.isLeader).toBe(false);
    // …and when a renewal goes through again, it leads again and starts over (work turned away meanwhile)
    await leader.tick();
    expect(leader.isLeader).toBe(true);
    expect(started).toEqual(['me', 'me']);
  });

  it('GIVEN a leader whose renewals failed for a while THEN one success keeps it leading without a new start', async () => {
    const { cluster, failures } = leaseCluster();
    const clock = { now: 1_000_000 };
    const { leader, started } = elector(cluster, clock);
    await leader.tick();
    failures.push('500', '500');
    clock.now += 5_000;
    await leader.tick();
    clock.now += 2_000;
    await leader.tick();
    expect(leader.isLeader).toBe(true);
    expect(started).toEqual(['me']);
  });

  it('GIVEN the Lease held and renewed by another replica THEN this one does not lead, and takes over only once it expired', async () => {
    const lease = leaseCluster();
    const clock = { now: 1_000_000 };
    const other = elector(lease.cluster, clock, 'other');
    await other.leader.tick();
    const { leader } = elector(lease.cluster, clock, 'me');
    await leader.tick();
    expect(leader.isLeader).toBe(false);
    clock.now += LEASE_MS + 1_000;
    await leader.tick();
    expect(leader.isLeader).toBe(true);
    expect(lease.holder()).toBe('me');
  });

  it('GIVEN a leader whose Lease another replica holds now THEN it steps down at once', async () => {
    const lease = leaseCluster();
    const clock = { now: 1_000_000 };
    const { leader } = elector(lease.cluster, clock);
    await leader.tick();
    lease.takeOver('other', clock.now + 1_000);
    clock.now += 2_000;
    await leader.tick();
    expect(leader.isLeader).toBe(false);
  });
});
