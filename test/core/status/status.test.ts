import {
  applicationState,
  environmentStatus,
  nextProvisionAction,
  planSteps,
  workspaceOutputs,
  workspaceState,
  type ObservedObject,
  type Plan,
  type StepObservation,
  type StepState,
} from '../../../src/core/index.js';

const cond = (type: string, status: string, reason: string, extra: Record<string, unknown> = {}) => ({
  type,
  status,
  reason,
  lastTransitionTime: '2026-01-01T00:00:00Z',
  ...extra,
});

const workspace = (conditions: unknown[], meta: Record<string, unknown> = {}): ObservedObject => ({
  metadata: { generation: 2, ...meta },
  status: { conditions, atProvider: { outputs: { endpoint: 'db.example', port: 5432 } } },
});

describe('workspaceState', () => {
  it.each<[string, ObservedObject | undefined, Partial<StepState>]>([
    ['not in the cluster', undefined, { phase: 'Progressing', reason: 'NotApplied' }],
    ['no conditions yet', workspace([]), { phase: 'Progressing', reason: 'Pending' }],
    [
      'creating',
      workspace([
        cond('Ready', 'False', 'Creating', { observedGeneration: 2 }),
        cond('Synced', 'True', 'ReconcileSuccess', { observedGeneration: 2 }),
      ]),
      { phase: 'Progressing', reason: 'Creating' },
    ],
    [
      'available and synced',
      workspace([
        cond('Ready', 'True', 'Available', { observedGeneration: 2 }),
        cond('Synced', 'True', 'ReconcileSuccess', { observedGeneration: 2 }),
      ]),
      { phase: 'Ready', reason: 'Available' },
    ],
    [
      'available but for an older generation',
      workspace([
        cond('Ready', 'True', 'Available', { observedGeneration: 1 }),
        cond('Synced', 'True', 'ReconcileSuccess', { observedGeneration: 1 }),
      ]),
      { phase: 'Progressing', reason: 'Reconciling' },
    ],
    [
      'available but not synced yet',
      workspace([cond('Ready', 'True', 'Available', { observedGeneration: 2 })]),
      { phase: 'Progressing', reason: 'Available' },
    ],
    [
      'ready with another reason',
      workspace([cond('Ready', 'True', 'Whatever'), cond('Synced', 'True', 'ReconcileSuccess')]),
      { phase: 'Progressing' },
    ],
    [
      // GIVEN conditions without observedGeneration (crossplane-runtime always sets it): not about generation 2
      'conditions that do not say which generation they are about',
      workspace([cond('Ready', 'True', 'Available'), cond('Synced', 'True', 'ReconcileSuccess')]),
      { phase: 'Progressing', reason: 'Reconciling' },
    ],
    [
      'a create failure (terraform apply failed)',
      workspace([
        cond('Ready', 'False', 'Creating', { observedGeneration: 2 }),
        cond('Synced', 'False', 'ReconcileError', {
          observedGeneration: 2,
          message: 'create failed: cannot apply Terraform configuration: quota exceeded',
        }),
      ]),
      {
        phase: 'Failed',
        reason: 'ReconcileError',
        message: 'create failed: cannot apply Terraform configuration: quota exceeded',
      },
    ],
    [
      'a connect error, without a clock: transient',
      workspace([
        cond('Synced', 'False', 'ReconcileError', { observedGeneration: 2, message: 'connect failed: x' }),
      ]),
      { phase: 'Progressing', reason: 'ReconcileError' },
    ],
    [
      'being deleted',
      workspace([cond('Ready', 'False', 'Deleting')], { deletionTimestamp: '2026-01-01T00:00:00Z' }),
      { phase: 'Deleting', reason: 'Deleting' },
    ],
  ])('%s', (_name, object, expected) => {
    expect(workspaceState(object)).toMatchObject(expected);
  });

  it('reads the non-sensitive outputs from status.atProvider.outputs', () => {
    expect(workspaceOutputs(workspace([]))).toEqual({ endpoint: 'db.example', port: 5432 });
    expect(workspaceOutputs(undefined)).toEqual({});
    expect(workspaceOutputs({ metadata: {}, status: { atProvider: { outputs: ['x'] } } })).toEqual({});
  });
});

describe('applicationState', () => {
  const app = (status: Record<string, unknown>, meta: Record<string, unknown> = {}): ObservedObject => ({
    metadata: { ...meta },
    status,
  });
  const accepted = { revisionAccepted: (rev: string) => rev === 'abc123' };
  it.each<[string, ObservedObject | undefined, Partial<StepState>]>([
    ['not in the cluster', undefined, { phase: 'Progressing', reason: 'NotApplied' }],
    ['no status', app({}), { phase: 'Progressing', reason: 'Pending' }],
    [
      'synced and healthy at our revision',
      app({ sync: { status: 'Synced', revision: 'abc123' }, health: { status: 'Healthy' } }),
      { phase: 'Ready', reason: 'Healthy' },
    ],
    [
      'synced and healthy at an older revision',
      app({ sync: { status: 'Synced', revision: 'old' }, health: { status: 'Healthy' } }),
      { phase: 'Progressing', reason: 'OutdatedRevision' },
    ],
    [
      'progressing',
      app({ sync: { status: 'Synced', revision: 'abc123' }, health: { status: 'Progressing' } }),
      { phase: 'Progressing', reason: 'Synced/Progressing' },
    ],
    [
      'out of sync',
      app({ sync: { status: 'OutOfSync' }, health: { status: 'Missing' } }),
      { phase: 'Progressing', reason: 'OutOfSync/Missing' },
    ],
    [
      'degraded',
      app({ sync: { status: 'Synced' }, health: { status: 'Degraded', message: 'CrashLoopBackOff' } }),
      { phase: 'Failed', reason: 'Degraded', message: 'CrashLoopBackOff' },
    ],
    [
      'sync failed',
      app({ operationState: { phase: 'Failed', message: 'one or more objects failed to apply' } }),
      { phase: 'Failed', reason: 'SyncFailed', message: 'one or more objects failed to apply' },
    ],
    [
      'sync error',
      app({ operationState: { phase: 'Error', message: 'boom' } }),
      { phase: 'Failed', reason: 'SyncError' },
    ],
    ['being deleted', app({}, { deletionTimestamp: '2026-01-01T00:00:00Z' }), { phase: 'Deleting' }],
  ])('%s', (_name, object, expected) => {
    expect(applicationState(object, accepted)).toMatchObject(expected);
  });
});

// vpc → db (infra, wave 1 → 2), app (apps) consumes db; hybrid pg has infra + apps.
function examplePlan(): Plan {
  const result = planSteps([
    { name: 'vpc', infra: true, apps: false, consumes: [] },
    {
      name: 'db',
      infra: true,
      apps: false,
      consumes: [{ part: 'infra', from: 'vpc', pointer: '/spec/catalogs/1' }],
    },
    {
      name: 'app',
      infra: false,
      apps: true,
      consumes: [{ part: 'apps', from: 'db', pointer: '/spec/catalogs/2' }],
    },
  ]);
  if (!('plan' in result)) throw new Error('expected a plan');
  return result.plan;
}

const READY: StepState = { phase: 'Ready', reason: 'Available', message: '' };
const PROGRESSING: StepState = { phase: 'Progressing', reason: 'Creating', message: 'creating' };
const FAILED: StepState = { phase: 'Failed', reason: 'ReconcileError', message: 'quota exceeded' };
const NONE: StepState = { phase: 'Progressing', reason: 'NotApplied', message: '' };

type StepSetup = Record<string, [committed: boolean, state: StepState]>;

function observe(plan: Plan, setup: StepSetup): StepObservation[] {
  return plan.steps.map((step) => {
    const [committed, state] = setup[step.id] ?? [false, NONE];
    return { step, committed, state };
  });
}

describe('environmentStatus and nextProvisionAction', () => {
  const plan = examplePlan();
  it.each<[string, StepSetup, string, string]>([
    ['nothing committed', {}, 'Creating', 'commit 1'],
    ['vpc committed, creating', { 'vpc/infra': [true, PROGRESSING] }, 'ProvisioningInfrastructure', 'wait'],
    ['vpc ready', { 'vpc/infra': [true, READY] }, 'ProvisioningInfrastructure', 'commit 2'],
    [
      'db creating',
      { 'vpc/infra': [true, READY], 'db/infra': [true, PROGRESSING] },
      'ProvisioningInfrastructure',
      'wait',
    ],
    [
      'infrastructure ready',
      { 'vpc/infra': [true, READY], 'db/infra': [true, READY] },
      'InfrastructureReady',
      'commit 3',
    ],
    [
      'apps deploying',
      { 'vpc/infra': [true, READY], 'db/infra': [true, READY], 'app/apps': [true, PROGRESSING] },
      'DeployingApplications',
      'wait',
    ],
    [
      'all ready',
      { 'vpc/infra': [true, READY], 'db/infra': [true, READY], 'app/apps': [true, READY] },
      'Ready',
      'wait',
    ],
    [
      'db failed',
      { 'vpc/infra': [true, READY], 'db/infra': [true, FAILED] },
      'Failed',
      'blocked: db/infra failed',
    ],
    // A Ready object without its file in Git does not count: the step is still Pending.
    ['observed but not committed', { 'vpc/infra': [false, READY] }, 'Creating', 'commit 1'],
  ])('%s', (_name, setup, phase, action) => {
    const steps = observe(plan, setup);
    const status = environmentStatus({ steps, deleting: false });
    expect(status.phase).toBe(phase);
    expect(status.conditions[0]).toMatchObject({
      type: 'Ready',
      status: phase === 'Ready' ? 'True' : 'False',
    });
    const next = nextProvisionAction({ plan, steps });
    expect(
      next.kind === 'commit'
        ? `commit ${next.wave}`
        : next.reason.startsWith('blocked')
          ? next.reason
          : 'wait',
    ).toBe(action);
  });

  it('names the failed step, its reason and the provider message', () => {
    const steps = observe(plan, { 'vpc/infra': [true, READY], 'db/infra': [true, FAILED] });
    const status = environmentStatus({ steps, deleting: false });
    expect(status.failed).toMatchObject({ instance: 'db', part: 'infra', reason: 'ReconcileError' });
    expect(status.message).toBe('db/infra: quota exceeded');
    expect(status.conditions.find((c) => c.type === 'InfrastructureReady')).toMatchObject({
      status: 'False',
      reason: 'Failed',
    });
  });

  it('is Ready without apps once the infrastructure is', () => {
    const result = planSteps([{ name: 'bucket', infra: true, apps: false, consumes: [] }]);
    if (!('plan' in result)) throw new Error('expected a plan');
    const steps = observe(result.plan, { 'bucket/infra': [true, READY] });
    expect(environmentStatus({ steps, deleting: false }).phase).toBe('Ready');
  });

  it('runs a hybrid entry infra first, then its apps', () => {
    const result = planSteps([{ name: 'pg', infra: true, apps: true, consumes: [] }]);
    if (!('plan' in result)) throw new Error('expected a plan');
    const hybrid = result.plan;
    expect(nextProvisionAction({ plan: hybrid, steps: observe(hybrid, {}) })).toEqual({
      kind: 'commit',
      wave: 1,
    });
    expect(
      nextProvisionAction({ plan: hybrid, steps: observe(hybrid, { 'pg/infra': [true, PROGRESSING] }) }),
    ).toMatchObject({ kind: 'wait', reason: 'waiting for pg/infra' });
    expect(
      nextProvisionAction({ plan: hybrid, steps: observe(hybrid, { 'pg/infra': [true, READY] }) }),
    ).toEqual({
      kind: 'commit',
      wave: 2,
    });
  });

  const DELETING: StepState = { phase: 'Deleting', reason: 'Deleting', message: 'being destroyed' };
  type Row = [string, StepSetup, Record<string, string>, [apps: string, infra: string], string];
  // The example plan: vpc (wave 1), db (wave 2), app (apps).
  it.each<Row>([
    [
      'everything still in Git',
      { 'vpc/infra': [true, READY], 'db/infra': [true, READY], 'app/apps': [true, READY] },
      { 'vpc/infra': 'Ready', 'db/infra': 'Ready', 'app/apps': 'Ready' },
      ['False Removing', 'False Waiting'],
      'removing the applications: app',
    ],
    [
      // The Application is still there: its step is being removed, not "waiting for the infrastructure".
      'the apps removed from Git, the Application still live',
      { 'vpc/infra': [true, READY], 'db/infra': [true, READY], 'app/apps': [false, READY] },
      { 'vpc/infra': 'Ready', 'db/infra': 'Ready', 'app/apps': 'Deleting RemovedFromGit' },
      ['False Removing', 'False Waiting'],
      'removing the applications: app',
    ],
    [
      'the Application being deleted',
      { 'vpc/infra': [true, READY], 'db/infra': [true, READY], 'app/apps': [false, DELETING] },
      { 'vpc/infra': 'Ready', 'db/infra': 'Ready', 'app/apps': 'Deleting Deleting' },
      ['False Removing', 'False Waiting'],
      'removing the applications: app',
    ],
    [
      // The Workspace's file is gone but terraform destroy has not run: not yet "removing files".
      'the Application gone, db removed from Git and still live',
      { 'vpc/infra': [true, READY], 'db/infra': [false, READY] },
      { 'vpc/infra': 'Ready', 'db/infra': 'Deleting RemovedFromGit', 'app/apps': 'Pending Removed' },
      ['True Removed', 'False Removing'],
      'destroying the infrastructure: db, vpc',
    ],
    [
      'db destroyed, vpc being destroyed',
      { 'vpc/infra': [false, DELETING] },
      { 'vpc/infra': 'Deleting Deleting', 'db/infra': 'Pending Removed', 'app/apps': 'Pending Removed' },
      ['True Removed', 'False Removing'],
      'destroying the infrastructure: vpc',
    ],
    [
      'every step gone',
      {},
      { 'vpc/infra': 'Pending Removed', 'db/infra': 'Pending Removed', 'app/apps': 'Pending Removed' },
      ['True Removed', 'True Removed'],
      'removing the secrets and the environment files',
    ],
  ])('while deleting, %s', (_name, setup, stepStates, [apps, infra], message) => {
    // GIVEN what Git and the cluster hold of each step WHEN the deleting status is derived
    const status = environmentStatus({ steps: observe(plan, setup), deleting: true });
    // THEN each step, the two deletion conditions and the message say which stage it is at
    expect(status.phase).toBe('Deleting');
    expect(status.message).toBe(message);
    expect(Object.fromEntries(status.steps.map((s) => [`${s.instance}/${s.part}`, s.phase]))).toEqual(
      Object.fromEntries(Object.entries(stepStates).map(([id, text]) => [id, text.split(' ')[0]])),
    );
    for (const s of status.steps) {
      const [, reason] = stepStates[`${s.instance}/${s.part}`]!.split(' ');
      if (reason) expect(s.reason).toBe(reason);
    }
    const condition = (type: string) => {
      const c = status.conditions.find((x) => x.type === type);
      return `${c?.status} ${c?.reason}`;
    };
    expect([condition('ApplicationsRemoved'), condition('InfrastructureRemoved')]).toEqual([apps, infra]);
    expect(status.conditions[0]).toMatchObject({ type: 'Ready', status: 'False', reason: 'Deleting' });
    expect(status.conditions.map((c) => c.type)).not.toContain('InfrastructureReady');
  });
});
