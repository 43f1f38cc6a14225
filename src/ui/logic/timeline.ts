/**
 * The phase timeline of an environment: Creating → Provisioning infrastructure → Infrastructure
 * ready → Deploying applications → Ready, each marked done, current, failed or upcoming; while it
 * is deleted, the deletion's own stages instead (src/core/status/deletion.ts), which only move
 * forward. Plus one row per step with its own phase, reason and message.
 */
import type {
  Condition,
  EnvironmentPhase,
  EnvironmentStatus,
  Part,
  StepPhase,
  StepStatus,
} from '../../api/contract.js';

export type TimelineState = 'done' | 'current' | 'failed' | 'upcoming';
export type Tone = 'ok' | 'progress' | 'error' | 'neutral';

export interface TimelineItem {
  key: string;
  label: string;
  state: TimelineState;
  /** The status message, on the current or failed item. */
  message?: string;
}

export interface StepRow {
  id: string;
  instance: string;
  part: Part;
  partLabel: string;
  phase: StepPhase;
  /** The phase as shown: a step a deletion removed reads "Removed", not "Pending". */
  phaseText: string;
  reason: string;
  message: string;
  tone: Tone;
}

export interface Timeline {
  mode: 'provisioning' | 'deleting';
  items: TimelineItem[];
  steps: StepRow[];
}

export const PROVISIONING_PHASES: ReadonlyArray<{ phase: EnvironmentPhase; label: string }> = [
  { phase: 'Creating', label: 'Creating' },
  { phase: 'ProvisioningInfrastructure', label: 'Provisioning infrastructure' },
  { phase: 'InfrastructureReady', label: 'Infrastructure ready' },
  { phase: 'DeployingApplications', label: 'Deploying applications' },
  { phase: 'Ready', label: 'Ready' },
];

export const DELETION_STAGES: ReadonlyArray<{ key: string; label: string }> = [
  { key: 'RemovingApplications', label: 'Removing applications' },
  { key: 'RemovingInfrastructure', label: 'Destroying infrastructure' },
  { key: 'RemovingFiles', label: 'Removing secrets and files' },
];

/** The reason core/status gives a step a deletion removed from Git and from the cluster. */
const REMOVED_REASON = 'Removed';

const PROVISIONING_INDEX = new Map(PROVISIONING_PHASES.map((p, i) => [p.phase, i]));

const INFRA_INDEX = 1;
const APPS_INDEX = 3;

export interface TimelineOptions {
  /**
   * The furthest deletion stage (an index of DELETION_STAGES) shown so far: a status that says less
   * (one pass of the engine can lag behind another) never takes the timeline back.
   */
  deletionFloor?: number;
}

export function timeline(
  status: Pick<EnvironmentStatus, 'phase' | 'message' | 'steps'> & { conditions?: Condition[] },
  options: TimelineOptions = {},
): Timeline {
  const deleting = status.phase === 'Deleting';
  const steps = stepRows(status.steps, { deleting });
  if (deleting) return { mode: 'deleting', items: deletionItems(status, options.deletionFloor ?? 0), steps };
  const at = (index: number, state: 'current' | 'failed'): TimelineItem[] =>
    PROVISIONING_PHASES.map((p, i) => ({
      key: p.phase,
      label: p.label,
      state: i < index ? 'done' : i === index ? state : 'upcoming',
      ...(i === index && status.message ? { message: status.message } : {}),
    }));
  if (status.phase === 'Ready')
    return {
      mode: 'provisioning',
      items: PROVISIONING_PHASES.map((p) => ({ key: p.phase, label: p.label, state: 'done' })),
      steps,
    };
  if (status.phase === 'Invalid') return { mode: 'provisioning', items: at(0, 'failed'), steps };
  if (status.phase === 'Failed')
    return { mode: 'provisioning', items: at(failedIndex(status.steps), 'failed'), steps };
  return { mode: 'provisioning', items: at(PROVISIONING_INDEX.get(status.phase) ?? 0, 'current'), steps };
}

/** Where a failure happened: at the failed step's phase, else where the steps got to. */
function failedIndex(steps: readonly StepStatus[]): number {
  const failed = steps.find((s) => s.phase === 'Failed');
  if (failed) return failed.part === 'infra' ? INFRA_INDEX : APPS_INDEX;
  const infra = steps.filter((s) => s.part === 'infra');
  if (steps.every((s) => s.phase === 'Pending')) return 0;
  return infra.every((s) => s.phase === 'Ready') ? APPS_INDEX : INFRA_INDEX;
}

/**
 * The stage a deletion is at, by the server's word: its `ApplicationsRemoved` and
 * `InfrastructureRemoved` conditions (src/core/status/deletion-status.ts). A server without them
 * is read from the steps: a part is gone once none of its steps is anything but Pending.
 */
export function deletionStage(
  status: Pick<EnvironmentStatus, 'steps'> & { conditions?: readonly Condition[] },
): number {
  const removed = (type: string) => status.conditions?.find((c) => c.type === type)?.status;
  const apps = removed('ApplicationsRemoved');
  const infra = removed('InfrastructureRemoved');
  if (apps !== undefined && infra !== undefined) return apps !== 'True' ? 0 : infra !== 'True' ? 1 : 2;
  const left = (part: Part) => status.steps.some((s) => s.part === part && s.phase !== 'Pending');
  return left('apps') ? 0 : left('infra') ? 1 : 2;
}

/** The stage to show: the server's, or the furthest one shown before, whichever is later. */
export function furthestDeletionStage(
  floor: number | undefined,
  status: Pick<EnvironmentStatus, 'steps'> & { conditions?: readonly Condition[] },
): number {
  return Math.max(floor ?? 0, deletionStage(status));
}

function deletionItems(
  status: Pick<EnvironmentStatus, 'message' | 'steps'> & { conditions?: readonly Condition[] },
  floor: number,
): TimelineItem[] {
  const said = deletionStage(status);
  const current = Math.max(floor, said);
  return DELETION_STAGES.map((stage, i) => ({
    key: stage.key,
    label: stage.label,
    state: i < current ? 'done' : i === current ? 'current' : 'upcoming',
    // A lagging status's message is about an earlier stage: it is not put on a later one.
    ...(i === current && said === current && status.message ? { message: status.message } : {}),
  }));
}

const STEP_TONE: Record<StepPhase, Tone> = {
  Pending: 'neutral',
  Progressing: 'progress',
  Deleting: 'progress',
  Ready: 'ok',
  Failed: 'error',
};

/**
 * Infrastructure steps first (phase 1), then applications, each in the server's order. While the
 * environment is deleted, a step the deletion removed reads "Removed".
 */
export function stepRows(steps: readonly StepStatus[], options: { deleting?: boolean } = {}): StepRow[] {
  const ordered = [...steps.filter((s) => s.part === 'infra'), ...steps.filter((s) => s.part === 'apps')];
  return ordered.map((s) => {
    const removed = options.deleting === true && s.phase === 'Pending' && s.reason === REMOVED_REASON;
    return {
      id: `${s.instance}/${s.part}`,
      instance: s.instance,
      part: s.part,
      partLabel: s.part === 'infra' ? 'Infrastructure' : 'Application',
      phase: s.phase,
      phaseText: removed ? 'Removed' : s.phase,
      reason: s.reason,
      message: s.message,
      tone: removed ? 'ok' : (STEP_TONE[s.phase] ?? 'neutral'),
    };
  });
}

const PHASE_LABEL: Record<EnvironmentPhase, string> = {
  Creating: 'Creating',
  ProvisioningInfrastructure: 'Provisioning infrastructure',
  InfrastructureReady: 'Infrastructure ready',
  DeployingApplications: 'Deploying applications',
  Ready: 'Ready',
  Failed: 'Failed',
  Invalid: 'Invalid',
  Deleting: 'Deleting',
};

const PHASE_TONE: Record<EnvironmentPhase, Tone> = {
  Creating: 'progress',
  ProvisioningInfrastructure: 'progress',
  InfrastructureReady: 'progress',
  DeployingApplications: 'progress',
  Ready: 'ok',
  Failed: 'error',
  Invalid: 'error',
  Deleting: 'neutral',
};

export function phaseLabel(phase: EnvironmentPhase): string {
  return PHASE_LABEL[phase] ?? phase;
}

export function phaseTone(phase: EnvironmentPhase): Tone {
  return PHASE_TONE[phase] ?? 'neutral';
}
