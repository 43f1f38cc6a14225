/** The phase timeline and the step rows of the environment detail view. */
import type { Condition, EnvironmentPhase, StepStatus } from '../../src/api/contract.js';
import {
  deletionStage,
  furthestDeletionStage,
  phaseLabel,
  phaseTone,
  stepRows,
  timeline,
  type TimelineState,
} from '../../src/ui/logic/timeline.js';

const step = (
  instance: string,
  part: 'infra' | 'apps',
  phase: StepStatus['phase'],
  message = '',
): StepStatus => ({
  instance,
  part,
  phase,
  reason: phase,
  message,
});

const states = (phase: EnvironmentPhase, steps: StepStatus[] = []) =>
  timeline({ phase, message: 'msg', steps }).items.map((i) => i.state);

describe('timeline', () => {
  it.each<[EnvironmentPhase, StepStatus[], TimelineState[]]>([
    ['Creating', [], ['current', 'upcoming', 'upcoming', 'upcoming', 'upcoming']],
    ['ProvisioningInfrastructure', [], ['done', 'current', 'upcoming', 'upcoming', 'upcoming']],
    ['InfrastructureReady', [], ['done', 'done', 'current', 'upcoming', 'upcoming']],
    ['DeployingApplications', [], ['done', 'done', 'done', 'current', 'upcoming']],
    ['Ready', [], ['done', 'done', 'done', 'done', 'done']],
    ['Invalid', [], ['failed', 'upcoming', 'upcoming', 'upcoming', 'upcoming']],
    [
      'Failed',
      [step('db', 'infra', 'Failed'), step('app', 'apps', 'Pending')],
      ['done', 'failed', 'upcoming', 'upcoming', 'upcoming'],
    ],
    [
      'Failed',
      [step('db', 'infra', 'Ready'), step('app', 'apps', 'Failed')],
      ['done', 'done', 'done', 'failed', 'upcoming'],
    ],
  ])('%s with %j', (phase, steps, expected) => {
    // GIVEN a status WHEN its timeline is drawn THEN each of the five phases is marked so
    expect(states(phase, steps)).toEqual(expected);
  });

  it('labels the five phases in order and puts the message on the current one only', () => {
    const { mode, items } = timeline({
      phase: 'ProvisioningInfrastructure',
      message: 'waiting for db',
      steps: [],
    });
    expect(mode).toBe('provisioning');
    expect(items.map((i) => i.label)).toEqual([
      'Creating',
      'Provisioning infrastructure',
      'Infrastructure ready',
      'Deploying applications',
      'Ready',
    ]);
    expect(items.map((i) => i.message)).toEqual([
      undefined,
      'waiting for db',
      undefined,
      undefined,
      undefined,
    ]);
  });

  it('puts the failure message on the failed phase', () => {
    const { items } = timeline({
      phase: 'Failed',
      message: 'db/infra: quota exceeded',
      steps: [step('db', 'infra', 'Failed')],
    });
    expect(items.find((i) => i.state === 'failed')).toMatchObject({
      key: 'ProvisioningInfrastructure',
      message: 'db/infra: quota exceeded',
    });
  });

  const removed = (instance: string, part: 'infra' | 'apps'): StepStatus => ({
    instance,
    part,
    phase: 'Pending',
    reason: 'Removed',
    message: 'removed from Git and the cluster',
  });
  const conditions = (apps: boolean, infra: boolean): Condition[] => [
    { type: 'Ready', status: 'False', reason: 'Deleting', message: '' },
    { type: 'ApplicationsRemoved', status: apps ? 'True' : 'False', reason: '', message: '' },
    { type: 'InfrastructureRemoved', status: infra ? 'True' : 'False', reason: '', message: '' },
  ];

  it.each<[string, StepStatus[], Condition[] | undefined, TimelineState[]]>([
    [
      'the server says applications are left',
      [step('db', 'infra', 'Ready'), step('app', 'apps', 'Deleting')],
      conditions(false, false),
      ['current', 'upcoming', 'upcoming'],
    ],
    [
      'the server says only infrastructure is left',
      [step('db', 'infra', 'Deleting'), removed('app', 'apps')],
      conditions(true, false),
      ['done', 'current', 'upcoming'],
    ],
    [
      'the server says both are gone',
      [removed('db', 'infra'), removed('app', 'apps')],
      conditions(true, true),
      ['done', 'done', 'current'],
    ],
    [
      // The conditions are the server's word: a Pending step is not taken for a removed one.
      'the conditions say infrastructure is left though its step reads Pending',
      [step('db', 'infra', 'Pending'), removed('app', 'apps')],
      conditions(true, false),
      ['done', 'current', 'upcoming'],
    ],
    [
      'an older server (no conditions): applications still there',
      [step('db', 'infra', 'Ready'), step('app', 'apps', 'Deleting')],
      undefined,
      ['current', 'upcoming', 'upcoming'],
    ],
    [
      'an older server (no conditions): every step gone',
      [step('db', 'infra', 'Pending'), step('app', 'apps', 'Pending')],
      undefined,
      ['done', 'done', 'current'],
    ],
  ])('while deleting and %s, shows its own stages', (_case, steps, given, expected) => {
    // GIVEN a deleting status WHEN its timeline is drawn THEN the deletion's stages are marked so
    const result = timeline({
      phase: 'Deleting',
      message: 'm',
      steps,
      ...(given ? { conditions: given } : {}),
    });
    expect(result.mode).toBe('deleting');
    expect(result.items.map((i) => i.label)).toEqual([
      'Removing applications',
      'Destroying infrastructure',
      'Removing secrets and files',
    ]);
    expect(result.items.map((i) => i.state)).toEqual(expected);
  });

  it.each<[string, number | undefined, Condition[], number, string | undefined]>([
    ['nothing shown before', undefined, conditions(false, false), 0, 'removing the applications: app'],
    ['the same stage again', 1, conditions(true, false), 1, 'removing the applications: app'],
    ['a later stage', 1, conditions(true, true), 2, 'removing the applications: app'],
    // One engine pass lagging behind another: the earlier stage is not shown again, nor its message.
    ['a lagging status after a later stage', 2, conditions(false, false), 2, undefined],
    ['a lagging status after the infrastructure stage', 1, conditions(false, false), 1, undefined],
  ])('after %s, the stage only moves forward', (_case, floor, given, stage, message) => {
    const status = {
      phase: 'Deleting' as const,
      message: 'removing the applications: app',
      steps: [],
      conditions: given,
    };
    // GIVEN the furthest stage shown so far WHEN a status arrives
    expect(furthestDeletionStage(floor, status)).toBe(stage);
    const items = timeline(status, { deletionFloor: floor ?? 0 }).items;
    // THEN the current stage is never before it, and a message from an earlier stage is not shown
    expect(items.findIndex((i) => i.state === 'current')).toBe(stage);
    expect(items[stage]?.message).toBe(message);
  });

  it('a recorded deletion never goes back, whatever order the statuses come in', () => {
    // The order the issue reported: apps gone, then apps again, then files, then infrastructure.
    const seen = [
      conditions(true, false),
      conditions(false, false),
      conditions(true, true),
      conditions(true, false),
    ];
    let floor: number | undefined;
    const shown = seen.map((c) => (floor = furthestDeletionStage(floor, { steps: [], conditions: c })));
    expect(shown).toEqual([1, 1, 2, 2]);
    expect(deletionStage({ steps: [], conditions: conditions(false, false) })).toBe(0);
  });
});

describe('stepRows', () => {
  it('while deleting, shows a step the deletion removed as Removed, and others as they are', () => {
    const rows = stepRows(
      [
        { instance: 'app', part: 'apps', phase: 'Pending', reason: 'Removed', message: 'gone' },
        step('db', 'infra', 'Deleting'),
      ],
      { deleting: true },
    );
    expect(rows.map((r) => [r.id, r.phaseText, r.tone])).toEqual([
      ['db/infra', 'Deleting', 'progress'],
      ['app/apps', 'Removed', 'ok'],
    ]);
    expect(stepRows([step('app', 'apps', 'Pending')], { deleting: true })[0]?.phaseText).toBe('Pending');
  });

  it('lists infrastructure steps first, each with its live phase, reason, message and tone', () => {
    const rows = stepRows([
      step('app', 'apps', 'Pending', 'waiting for the infrastructure'),
      step('db', 'infra', 'Progressing', 'creating'),
      step('admin', 'infra', 'Ready'),
      step('admin', 'apps', 'Failed', 'Degraded'),
    ]);
    expect(rows.map((r) => [r.id, r.partLabel, r.phase, r.message, r.tone])).toEqual([
      ['db/infra', 'Infrastructure', 'Progressing', 'creating', 'progress'],
      ['admin/infra', 'Infrastructure', 'Ready', '', 'ok'],
      ['app/apps', 'Application', 'Pending', 'waiting for the infrastructure', 'neutral'],
      ['admin/apps', 'Application', 'Failed', 'Degraded', 'error'],
    ]);
  });
});

describe('phase badges', () => {
  it.each<[EnvironmentPhase, string, string]>([
    ['ProvisioningInfrastructure', 'Provisioning infrastructure', 'progress'],
    ['Ready', 'Ready', 'ok'],
    ['Failed', 'Failed', 'error'],
    ['Invalid', 'Invalid', 'error'],
    ['Deleting', 'Deleting', 'neutral'],
  ])('%s reads "%s" in %s tone', (phase, label, tone) => {
    expect(phaseLabel(phase)).toBe(label);
    expect(phaseTone(phase)).toBe(tone);
  });
});
