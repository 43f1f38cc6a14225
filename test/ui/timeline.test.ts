/** The phase timeline and the step rows of the environment detail view. */
import type { EnvironmentPhase, StepStatus } from '../../src/api/contract.js';
import {
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

  it.each<[string, StepStatus[], TimelineState[]]>([
    [
      'applications are still there',
      [step('db', 'infra', 'Ready'), step('app', 'apps', 'Deleting')],
      ['current', 'upcoming', 'upcoming'],
    ],
    [
      'only infrastructure is left',
      [step('db', 'infra', 'Deleting'), step('app', 'apps', 'Pending')],
      ['done', 'current', 'upcoming'],
    ],
    [
      'every step is gone',
      [step('db', 'infra', 'Pending'), step('app', 'apps', 'Pending')],
      ['done', 'done', 'current'],
    ],
    ['there were no applications', [step('db', 'infra', 'Ready')], ['done', 'current', 'upcoming']],
  ])(
    'while deleting and %s, goes backwards through apps, infrastructure, files',
    (_case, steps, expected) => {
      const result = timeline({ phase: 'Deleting', message: 'm', steps });
      expect(result.mode).toBe('deleting');
      expect(result.items.map((i) => i.label)).toEqual([
        'Removing applications',
        'Removing infrastructure',
        'Removing environment files',
      ]);
      expect(result.items.map((i) => i.state)).toEqual(expected);
    },
  );
});

describe('stepRows', () => {
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
