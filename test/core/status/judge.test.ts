/**
 * Nothing waits forever (the README's "How the engine works"): the time-aware verdicts on
 * Workspaces and Applications, and what a step blocked by a failed one says. Each row: the observed
 * object, when the step's attempt began (its commit or last retry), now, and the verdict.
 */
import {
  environmentStatus,
  isTerminalWorkspaceError,
  judgeApplication,
  ANNOTATION,
  judgeWorkspace,
  planSteps,
  sourceDigest,
  withRemedy,
  type ObservedObject,
  type StepClock,
  type StepState,
} from '../../../src/core/index.js';

const T0 = Date.parse('2026-03-01T10:00:00Z');
const at = (seconds: number) => new Date(T0 + seconds * 1000).toISOString();
/** A clock whose attempt began at T0, `seconds` later; grace 60 s, timeout 10 min. */
const clock = (seconds: number, since: number | null = T0): StepClock => ({
  ...(since === null ? {} : { since }),
  now: T0 + seconds * 1000,
  timeoutMs: 600_000,
  graceMs: 60_000,
});
/** The same, the attempt begun by a retry at `retriedAt` (ms). */
const afterRetry = (seconds: number, retriedAt: number): StepClock => ({
  ...clock(seconds, retriedAt),
  retriedAt,
});

const ws = (conditions: Array<Record<string, unknown>>): ObservedObject => ({
  metadata: { generation: 3 },
  status: { conditions: conditions.map((c) => ({ observedGeneration: 3, ...c })) },
});
const synced = (status: string, message: string, since: number) => ({
  type: 'Synced',
  status,
  reason: status === 'True' ? 'ReconcileSuccess' : 'ReconcileError',
  message,
  lastTransitionTime: at(since),
});
const creating = { type: 'Ready', status: 'False', reason: 'Creating', lastTransitionTime: at(0) };

describe('judgeWorkspace', () => {
  it.each<
    [string, ObservedObject | undefined, StepClock | undefined, Partial<StepState>, number | undefined]
  >([
    [
      'create failure: Failed at once',
      ws([creating, synced('False', 'create failed: cannot apply Terraform configuration: quota', 5)]),
      clock(6),
      {
        phase: 'Failed',
        reason: 'ReconcileError',
        message: 'create failed: cannot apply Terraform configuration: quota',
      },
      undefined,
    ],
    [
      'update failure: Failed at once',
      ws([creating, synced('False', 'update failed: cannot apply Terraform configuration: x', 5)]),
      clock(6),
      { phase: 'Failed' },
      undefined,
    ],
    [
      'connect error within the grace: Progressing, look again when it runs out',
      ws([synced('False', 'connect failed: cannot get ClusterProviderConfig: not found', 10)]),
      clock(30),
      { phase: 'Progressing', reason: 'ReconcileError' },
      T0 + 70_000,
    ],
    [
      'connect error past the grace: Failed with a remedy',
      ws([synced('False', 'connect failed: cannot get ClusterProviderConfig: not found', 10)]),
      clock(71),
      {
        phase: 'Failed',
        reason: 'ReconcileError',
        message: expect.stringContaining('to fix: create the (Cluster)ProviderConfig') as unknown as string,
      },
      undefined,
    ],
    [
      'observe error past the grace: Failed, with a message that does not change as time goes by',
      ws([synced('False', 'observe failed: cannot diff (i.e. plan) Terraform configuration', 0)]),
      clock(61),
      {
        phase: 'Failed',
        message: 'observe failed: cannot diff (i.e. plan) Terraform configuration (for more than 1m)',
      },
      undefined,
    ],
    [
      'a create failure from before the last retry: grace from the retry',
      ws([creating, synced('False', 'create failed: boom', 5)]),
      afterRetry(40, T0 + 20_000),
      { phase: 'Progressing', reason: 'ReconcileError' },
      T0 + 80_000,
    ],
    [
      'a create failure within the second of the commit (no retry): Failed at once, not taken as old',
      ws([creating, synced('False', 'create failed: boom', 20)]),
      clock(21, T0 + 20_400),
      { phase: 'Failed', reason: 'ReconcileError' },
      undefined,
    ],
    [
      'the same failure past the grace after the retry: Failed again',
      ws([creating, synced('False', 'create failed: boom', 5)]),
      afterRetry(81, T0 + 20_000),
      { phase: 'Failed', reason: 'ReconcileError' },
      undefined,
    ],
    [
      'transient error and no clock (the composition function): Progressing',
      ws([synced('False', 'connect failed: x', 0)]),
      undefined,
      { phase: 'Progressing' },
      undefined,
    ],
    [
      'creating within the timeout: look again at the timeout',
      ws([creating, synced('True', '', 0)]),
      clock(120),
      { phase: 'Progressing', reason: 'Creating' },
      T0 + 600_000,
    ],
    [
      'creating past the timeout: Failed, reason Timeout',
      ws([creating, synced('True', '', 0)]),
      clock(600),
      {
        phase: 'Failed',
        reason: 'Timeout',
        message: expect.stringContaining('not Ready 10m after') as unknown as string,
      },
      undefined,
    ],
    [
      'not in the cluster past the timeout: Timeout',
      undefined,
      clock(601),
      { phase: 'Failed', reason: 'Timeout' },
      undefined,
    ],
    [
      'creating, commit time not known yet: no time verdict',
      ws([creating]),
      clock(10_000, null),
      { phase: 'Progressing' },
      undefined,
    ],
    [
      'Ready and Synced for the current generation: Ready even past the timeout',
      ws([
        { type: 'Ready', status: 'True', reason: 'Available' },
        { type: 'Synced', status: 'True', reason: 'ReconcileSuccess' },
      ]),
      clock(10_000),
      { phase: 'Ready' },
      undefined,
    ],
    [
      'Ready for the previous generation: not Ready',
      {
        metadata: { generation: 4 },
        status: {
          conditions: [
            { type: 'Ready', status: 'True', reason: 'Available', observedGeneration: 3 },
            { type: 'Synced', status: 'True', reason: 'ReconcileSuccess', observedGeneration: 4 },
          ],
        },
      },
      clock(5),
      { phase: 'Progressing', reason: 'Reconciling' },
      T0 + 600_000,
    ],
  ])('%s', (_name, object, time, expected, recheckAt) => {
    // WHEN the Workspace is judged at that time
    const verdict = judgeWorkspace(object, time);
    // THEN the step's state and when to look again
    expect(verdict.state).toMatchObject(expected);
    expect(verdict.recheckAt).toBe(recheckAt);
  });

  describe('at the version in Git (the spec digest Argo CD applied)', () => {
    const available = [
      { type: 'Ready', status: 'True', reason: 'Available', lastTransitionTime: at(0) },
      synced('True', '', 0),
    ];
    const carrying = (digest: string | undefined): ObservedObject => ({
      ...ws(available),
      metadata: { generation: 3, ...(digest ? { annotations: { [ANNOTATION.specDigest]: digest } } : {}) },
    });
    it.each<[string, ObservedObject, string | undefined, Partial<StepState>]>([
      ['the same digest: Ready', carrying('sha256:new'), 'sha256:new', { phase: 'Ready' }],
      [
        'an older digest, though Available: not applied yet',
        carrying('sha256:old'),
        'sha256:new',
        { phase: 'Progressing', reason: 'NotApplied' },
      ],
      [
        'none live (applied before digests): not applied yet',
        carrying(undefined),
        'sha256:new',
        { phase: 'Progressing', reason: 'NotApplied' },
      ],
      [
        'a file in Git without one (written by hand): conditions decide',
        carrying('sha256:old'),
        undefined,
        { phase: 'Ready' },
      ],
    ])('%s', (_name, object, digest, expected) => {
      expect(judgeWorkspace(object, clock(5), digest).state).toMatchObject(expected);
    });

    it('times out like any step that is not there', () => {
      expect(judgeWorkspace(carrying('sha256:old'), clock(601), 'sha256:new').state).toMatchObject({
        phase: 'Failed',
        reason: 'Timeout',
      });
    });
  });

  it.each([
    ['create failed: cannot apply Terraform configuration: x', true],
    ['update failed: cannot apply Terraform configuration: x', true],
    ['connect failed: cannot get ProviderConfig', false],
    ['observe failed: cannot initialize Terraform configuration', false],
    ['delete failed: x', false],
  ])('%s is terminal: %s', (message, terminal) => {
    expect(isTerminalWorkspaceError(message)).toBe(terminal);
  });
});

const source = {
  repoURL: 'https://charts.example.com',
  chart: 'sample',
  targetRevision: '1.2.0',
  helm: { valuesObject: { replicas: 2 } },
};
const app = (status: Record<string, unknown>): ObservedObject => ({ metadata: { generation: 1 }, status });
const healthy = {
  sync: { status: 'Synced', revision: 'r1', comparedTo: { source } },
  health: { status: 'Healthy' },
};
const retry = { limit: 2 };
const failedOp = (extra: Record<string, unknown>) => ({
  phase: 'Failed',
  message: 'one or more objects failed to apply, reason: quota',
  finishedAt: at(30),
  operation: { retry },
  ...extra,
});

describe('judgeApplication', () => {
  const options = (time: StepClock | undefined, digest: string | undefined = sourceDigest(source)) => ({
    revisionAccepted: (r: string) => r === 'r1',
    ...(digest === undefined ? {} : { sourceDigest: digest }),
    ...(time ? { clock: time } : {}),
  });
  it.each<
    [string, ObservedObject | undefined, StepClock | undefined, Partial<StepState>, number | undefined]
  >([
    [
      'InvalidSpecError: Failed at once, with the remedy',
      app({
        conditions: [
          {
            type: 'InvalidSpecError',
            message: "application repo https://charts.example.com is not permitted in project 'envcat'",
          },
        ],
        sync: { status: 'Unknown' },
      }),
      clock(1),
      {
        phase: 'Failed',
        reason: 'InvalidSpecError',
        message:
          "application repo https://charts.example.com is not permitted in project 'envcat' (to fix: add https://charts.example.com to spec.sourceRepos of the AppProject envcat, then retry)",
      },
      undefined,
    ],
    [
      'InvalidSpecError from before the last retry: Progressing for the grace',
      app({ conditions: [{ type: 'InvalidSpecError', message: 'x', lastTransitionTime: at(5) }] }),
      afterRetry(12, T0 + 10_000),
      { phase: 'Progressing', reason: 'InvalidSpecError' },
      T0 + 70_000,
    ],
    [
      'ComparisonError within the grace: Progressing until the grace runs out',
      app({
        conditions: [
          { type: 'ComparisonError', message: 'chart version 9.9.9 not found', lastTransitionTime: at(10) },
        ],
      }),
      clock(20),
      { phase: 'Progressing', reason: 'ComparisonError' },
      T0 + 70_000,
    ],
    [
      'ComparisonError past the grace: Failed',
      app({
        conditions: [
          { type: 'ComparisonError', message: 'chart version 9.9.9 not found', lastTransitionTime: at(10) },
        ],
      }),
      clock(70),
      {
        phase: 'Failed',
        reason: 'ComparisonError',
        message: expect.stringContaining('publish a version of the entry') as unknown as string,
      },
      undefined,
    ],
    [
      'ComparisonError older than the commit: the grace counts from the commit',
      app({ conditions: [{ type: 'ComparisonError', message: 'x', lastTransitionTime: at(-500) }] }),
      clock(59),
      { phase: 'Progressing' },
      T0 + 60_000,
    ],
    [
      'sync Running between retries ("Retrying attempt #1"): Progressing',
      app({
        sync: { status: 'OutOfSync' },
        health: { status: 'Progressing' },
        operationState: failedOp({
          phase: 'Running',
          retryCount: 1,
          message: 'quota. Retrying attempt #1 at 10:01AM.',
        }),
      }),
      clock(40),
      { phase: 'Progressing', reason: 'SyncRetrying', message: 'quota. Retrying attempt #1 at 10:01AM.' },
      T0 + 600_000,
    ],
    [
      'sync Failed with retries left: Progressing (the controller retries)',
      app({ operationState: failedOp({ retryCount: 1 }) }),
      clock(40),
      { phase: 'Progressing' },
      T0 + 600_000,
    ],
    [
      'sync Failed, retries exhausted: Failed',
      app({ operationState: failedOp({ retryCount: 2 }) }),
      clock(40),
      {
        phase: 'Failed',
        reason: 'SyncFailed',
        message: 'one or more objects failed to apply, reason: quota',
      },
      undefined,
    ],
    [
      'sync Error without a retry policy: Failed',
      app({ operationState: { phase: 'Error', message: 'boom', finishedAt: at(30) } }),
      clock(40),
      { phase: 'Failed', reason: 'SyncError' },
      undefined,
    ],
    [
      'a negative limit retries forever: Progressing',
      app({ operationState: failedOp({ retryCount: 50, operation: { retry: { limit: -1 } } }) }),
      clock(40),
      { phase: 'Progressing' },
      T0 + 600_000,
    ],
    [
      'a final sync failure from before the last retry: Progressing for the grace',
      app({ operationState: failedOp({ retryCount: 2 }) }),
      afterRetry(50, T0 + 40_000),
      { phase: 'Progressing', reason: 'SyncFailed' },
      T0 + 100_000,
    ],
    [
      'Degraded: Failed at once',
      app({
        sync: { status: 'Synced' },
        health: { status: 'Degraded', message: 'progress deadline exceeded', lastTransitionTime: at(30) },
      }),
      clock(31),
      { phase: 'Failed', reason: 'Degraded', message: 'progress deadline exceeded' },
      undefined,
    ],
    [
      'Degraded since before the last retry: Progressing for the grace',
      app({
        sync: { status: 'Synced' },
        health: { status: 'Degraded', message: 'x', lastTransitionTime: at(30) },
      }),
      afterRetry(45, T0 + 40_000),
      { phase: 'Progressing', reason: 'Degraded' },
      T0 + 100_000,
    ],
    [
      'Synced, Healthy, our revision and our source: Ready',
      app(healthy),
      clock(9_999),
      { phase: 'Ready' },
      undefined,
    ],
    [
      'Synced and Healthy on the previous values: not Ready',
      app({
        ...healthy,
        sync: {
          ...healthy.sync,
          comparedTo: { source: { ...source, helm: { valuesObject: { replicas: 1 } } } },
        },
      }),
      clock(5),
      { phase: 'Progressing', reason: 'OutdatedSource' },
      T0 + 600_000,
    ],
    [
      'the digest the engine cache keeps stands for comparedTo',
      app({ ...healthy, sync: { status: 'Synced', revision: 'r1', comparedToDigest: sourceDigest(source) } }),
      clock(5),
      { phase: 'Ready' },
      undefined,
    ],
    [
      'Progressing past the timeout: Timeout',
      app({ sync: { status: 'Synced', revision: 'r1' }, health: { status: 'Progressing' } }),
      clock(600),
      {
        phase: 'Failed',
        reason: 'Timeout',
        message: expect.stringContaining('spec.timeouts.apps') as unknown as string,
      },
      undefined,
    ],
  ])('%s', (_name, object, time, expected, recheckAt) => {
    // WHEN the Application is judged at that time
    const verdict = judgeApplication(object, options(time));
    // THEN the step's state and when to look again
    expect(verdict.state).toMatchObject(expected);
    expect(verdict.recheckAt).toBe(recheckAt);
  });

  it('compares sources by content: key order and empty members do not count, values do', () => {
    expect(sourceDigest({ b: 1, a: { c: [1, 2] }, d: '', e: {} })).toBe(
      sourceDigest({ a: { c: [1, 2] }, b: 1 }),
    );
    expect(sourceDigest({ helm: { valuesObject: { r: 1 } } })).not.toBe(
      sourceDigest({ helm: { valuesObject: { r: 2 } } }),
    );
  });

  it('leaves a message without a known remedy as it is', () => {
    expect(withRemedy('something else')).toBe('something else');
  });
});

describe('when a step entered its state (Verdict.since), from the controller’s own times', () => {
  const ready = (readySince: number, syncedSince: number) =>
    ws([
      { type: 'Ready', status: 'True', reason: 'Available', lastTransitionTime: at(readySince) },
      synced('True', '', syncedSince),
    ]);
  const options = { revisionAccepted: (r: string) => r === 'r1' };
  it.each<[string, () => { since?: number }, number | undefined]>([
    [
      'a Ready Workspace: the later of its Ready and Synced transitions',
      () => judgeWorkspace(ready(40, 35)),
      40,
    ],
    [
      'a Ready Workspace whose Synced moved last (a new generation applied)',
      () => judgeWorkspace(ready(10, 52)),
      52,
    ],
    [
      'a Workspace that failed to apply: when Synced turned False',
      () => judgeWorkspace(ws([creating, synced('False', 'create failed: x', 5)]), clock(6)),
      5,
    ],
    [
      'a Workspace with a transient error past its grace: when the grace ran out',
      () => judgeWorkspace(ws([creating, synced('False', 'connect failed: x', 5)]), clock(70)),
      65,
    ],
    ['a Workspace still converging: its commit', () => judgeWorkspace(ws([creating]), clock(30)), 0],
    ['a Workspace past its timeout: the deadline', () => judgeWorkspace(ws([creating]), clock(601)), 600],
    ['a Workspace converging, no clock yet: nothing says', () => judgeWorkspace(ws([creating])), undefined],
    [
      'a Ready Application: the later of its health’s transition and its last sync',
      () =>
        judgeApplication(
          app({
            ...healthy,
            health: { status: 'Healthy', lastTransitionTime: at(20) },
            operationState: { phase: 'Succeeded', finishedAt: at(25) },
          }),
          options,
        ),
      25,
    ],
    [
      'a Degraded Application: when its health turned Degraded',
      () =>
        judgeApplication(
          app({
            sync: { status: 'Synced', revision: 'r1' },
            health: { status: 'Degraded', message: 'x', lastTransitionTime: at(44) },
          }),
          { ...options, clock: clock(50) },
        ),
      44,
    ],
    [
      'an Application whose sync failed for good: when it finished',
      () =>
        judgeApplication(app({ operationState: failedOp({ retryCount: 2 }) }), {
          ...options,
          clock: clock(40),
        }),
      30,
    ],
  ])('%s', (_case, verdict, seconds) => {
    expect(verdict().since).toBe(seconds === undefined ? undefined : T0 + seconds * 1000);
  });
});

describe('a step that waits on a failed step', () => {
  it('says it is blocked, not waiting', () => {
    // GIVEN db (infra) failed and app (apps) consumes it
    const result = planSteps([
      { name: 'db', infra: true, apps: false, consumes: [] },
      {
        name: 'app',
        infra: false,
        apps: true,
        consumes: [{ part: 'apps', from: 'db', pointer: '/spec/catalogs/1' }],
      },
      { name: 'web', infra: false, apps: true, consumes: [] },
    ]);
    if (!('plan' in result)) throw new Error('expected a plan');
    const failed: StepState = { phase: 'Failed', reason: 'ReconcileError', message: 'create failed: x' };
    const steps = result.plan.steps.map((step) => ({
      step,
      committed: step.part === 'infra',
      state:
        step.part === 'infra' ? failed : { phase: 'Progressing' as const, reason: 'NotApplied', message: '' },
    }));
    // WHEN the status is derived
    const status = environmentStatus({ steps, deleting: false });
    // THEN both apps steps (the phase rule makes every apps step wait for every infra step) say so
    expect(status.steps.filter((s) => s.part === 'apps')).toEqual([
      {
        instance: 'app',
        part: 'apps',
        phase: 'Pending',
        reason: 'Blocked',
        message: 'blocked: db/infra failed',
      },
      {
        instance: 'web',
        part: 'apps',
        phase: 'Pending',
        reason: 'Blocked',
        message: 'blocked: db/infra failed',
      },
    ]);
  });
});
