/** The metrics' reading of status events (src/engine/environment-metrics.ts). */
import type { EnvironmentPhase, StepStatus } from '../../src/core/index.js';
import {
  EnvironmentMetrics,
  statusTransition,
  type TrackedEnvironment,
} from '../../src/engine/environment-metrics.js';

const step = (
  instance: string,
  part: 'infra' | 'apps',
  phase: StepStatus['phase'],
  reason: string = phase,
): StepStatus => ({
  instance,
  part,
  phase,
  reason,
  message: '',
});
const status = (phase: EnvironmentPhase, steps: StepStatus[]) => ({ phase, steps });
const tracked = (over: Partial<TrackedEnvironment>): TrackedEnvironment => ({
  phase: 'Creating',
  failed: new Set(),
  creating: true,
  firstSeenAt: 100,
  ...over,
});

describe('statusTransition', () => {
  it.each([
    {
      name: 'a first status counts nothing, and is a creation when no step is Ready',
      previous: undefined,
      next: status('Creating', [step('db', 'infra', 'Pending')]),
      failed: [],
      ready: false,
      creating: true,
    },
    {
      name: 'a first status that is Ready (a restart) is not a creation',
      previous: undefined,
      next: status('Ready', [step('db', 'infra', 'Ready')]),
      failed: [],
      ready: false,
      creating: false,
    },
    {
      name: 'a first status partly Ready (an update seen after a restart) is not a creation',
      previous: undefined,
      next: status('DeployingApplications', [
        step('db', 'infra', 'Ready'),
        step('web', 'apps', 'Progressing'),
      ]),
      failed: [],
      ready: false,
      creating: false,
    },
    {
      name: 'a first status already Failed counts no failure (it may be counted before the restart)',
      previous: undefined,
      next: status('Failed', [step('db', 'infra', 'Failed', 'ReconcileError')]),
      failed: [],
      ready: false,
      creating: true,
    },
    {
      name: 'a creation reaching Ready is counted',
      previous: tracked({ phase: 'ProvisioningInfrastructure' }),
      next: status('Ready', [step('db', 'infra', 'Ready')]),
      failed: [],
      ready: true,
      creating: false,
    },
    {
      name: 'Ready again after an update is not a creation',
      previous: tracked({ phase: 'ProvisioningInfrastructure', creating: false }),
      next: status('Ready', [step('db', 'infra', 'Ready')]),
      failed: [],
      ready: false,
      creating: false,
    },
    {
      name: 'a step becoming Failed is counted with its part and reason',
      previous: tracked({ phase: 'ProvisioningInfrastructure' }),
      next: status('Failed', [
        step('db', 'infra', 'Failed', 'ReconcileError'),
        step('web', 'apps', 'Pending'),
      ]),
      failed: ['db/infra:ReconcileError'],
      ready: false,
      creating: true,
    },
    {
      name: 'a step still Failed is not counted again',
      previous: tracked({ phase: 'Failed', failed: new Set(['db/infra']) }),
      next: status('Failed', [step('db', 'infra', 'Failed', 'ReconcileError')]),
      failed: [],
      ready: false,
      creating: true,
    },
    {
      name: 'a second step failing beside the first is counted alone',
      previous: tracked({ phase: 'Failed', failed: new Set(['db/infra']) }),
      next: status('Failed', [step('db', 'infra', 'Failed'), step('web', 'apps', 'Failed', 'Degraded')]),
      failed: ['web/apps:Degraded'],
      ready: false,
      creating: true,
    },
    {
      name: 'a retried creation reaching Ready is still counted',
      previous: tracked({ phase: 'ProvisioningInfrastructure', failed: new Set() }),
      next: status('Ready', [step('db', 'infra', 'Ready')]),
      failed: [],
      ready: true,
      creating: false,
    },
    {
      name: 'a creation deleted before Ready is no longer one',
      previous: tracked({ phase: 'ProvisioningInfrastructure' }),
      next: status('Deleting', [step('db', 'infra', 'Deleting')]),
      failed: [],
      ready: false,
      creating: false,
    },
  ])('$name', ({ previous, next, failed, ready, creating }) => {
    // GIVEN what was kept, WHEN a status arrives
    const transition = statusTransition({ previous, status: next, now: 500 });
    // THEN
    expect(transition.failedSteps.map((s) => `${s.instance}/${s.part}:${s.reason}`)).toEqual(failed);
    expect(transition.becameReady).toBe(ready);
    expect(transition.next.creating).toBe(creating);
    expect(transition.next.phase).toBe(next.phase);
    expect(transition.next.firstSeenAt).toBe(previous?.firstSeenAt ?? 500);
  });
});

describe('EnvironmentMetrics', () => {
  const source = `apiVersion: envcat.io/v1alpha1
kind: Environment
metadata: { name: e1 }
spec:
  catalogs:
    - { name: db, entry: rds-postgres@^1 }
    - { name: replica, entry: rds-postgres }
    - { name: web, entry: sample-app@1.0.0 }
`;

  function harness(options: { leader: boolean; createdAt?: number }) {
    const ready: Array<[string, number]> = [];
    const failed: Array<[string, string]> = [];
    let now = 10_000;
    let leader = options.leader;
    const metrics = new EnvironmentMetrics({
      sink: {
        readyAfter: (entry, seconds) => ready.push([entry, seconds]),
        stepFailed: (part, reason) => failed.push([part, reason]),
      },
      isLeader: () => leader,
      createdAt: () => options.createdAt,
      source: (name) => (name === 'e1' ? source : undefined),
      now: () => now,
    });
    return {
      metrics,
      ready,
      failed,
      at: (ms: number) => (now = ms),
      lead: () => (leader = true),
    };
  }

  it('observes Ready once per distinct entry, timed from the creation commit', () => {
    const h = harness({ leader: true, createdAt: 4_000 });
    h.metrics.status('e1', status('Creating', [step('db', 'infra', 'Pending')]));
    h.at(34_000);
    h.metrics.status('e1', status('Ready', [step('db', 'infra', 'Ready')]));
    h.metrics.status('e1', status('Ready', [step('db', 'infra', 'Ready')]));
    expect(h.ready).toEqual([
      ['rds-postgres', 30],
      ['sample-app', 30],
    ]);
  });

  it('times from when it first saw the environment while the creation date is not known', () => {
    const h = harness({ leader: true });
    h.metrics.status('e1', status('Creating', []));
    h.at(12_500);
    h.metrics.status('e1', status('Ready', []));
    expect(h.ready.map(([, s]) => s)).toEqual([2.5, 2.5]);
  });

  it('records nothing on a follower, but a follower that takes over knows what changed', () => {
    const h = harness({ leader: false, createdAt: 0 });
    h.metrics.status('e1', status('ProvisioningInfrastructure', [step('db', 'infra', 'Progressing')]));
    h.metrics.status('e1', status('Failed', [step('db', 'infra', 'Failed', 'ReconcileError')]));
    expect(h.failed).toEqual([]);
    h.lead();
    h.metrics.status('e1', status('Failed', [step('db', 'infra', 'Failed', 'ReconcileError')]));
    expect(h.failed).toEqual([]);
    h.metrics.status('e1', status('ProvisioningInfrastructure', [step('db', 'infra', 'Progressing')]));
    h.metrics.status('e1', status('Failed', [step('db', 'infra', 'Failed', 'Timeout')]));
    expect(h.failed).toEqual([['infra', 'Timeout']]);
  });

  it('forgets a deleted environment: one created again with its name is a new creation', () => {
    const h = harness({ leader: true, createdAt: 10_000 });
    h.metrics.status('e1', status('Creating', []));
    h.metrics.status('e1', status('Ready', []));
    h.metrics.deleted('e1');
    h.metrics.status('e1', status('Creating', []));
    h.metrics.status('e1', status('Ready', []));
    expect(h.ready).toHaveLength(4);
  });
});
