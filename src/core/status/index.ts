/**
 * Status derivation (ARCHITECTURE.md, The state model): what the observed Workspaces and
 * Applications say about each step, what that makes of the environment, and what the reconciler
 * should do next. Pure: the engine and the composition function feed it what they observed and act
 * on what it returns.
 */
import type { JsonValue } from '../catalog/types.js';
import type { Part, Plan, Step } from '../plan/index.js';
import { deletingStepState, deletionSummary } from './deletion-status.js';
import { judgeApplication, judgeWorkspace, type StepClock } from './judge.js';
import { phaseOfSteps, type EnvironmentPhase, type StepPhase } from './phase.js';
import { FOLDER_SYNC_FAILED_REASON } from './folder-sync.js';

export * from './judge.js';
export * from './retry.js';
export * from './refresh.js';
export * from './folder-sync.js';
export * from './ttl.js';
export * from './dropped.js';
export {
  DELETION_CONDITIONS,
  REMOVED_REASON,
  REMOVING_REASON,
  deletionWaitMessage,
} from './deletion-status.js';

export { ENVIRONMENT_PHASES, phaseOfSteps, type EnvironmentPhase, type StepPhase } from './phase.js';

export interface StepState {
  phase: StepPhase;
  reason: string;
  message: string;
}

export interface StepStatus extends StepState {
  instance: string;
  part: Part;
  /**
   * When the step entered its phase (ISO 8601), as the controller's conditions, its sync or the
   * step's commit say (judge.ts Verdict.since); absent when nothing says.
   */
  lastTransitionTime?: string;
}

export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
}

/** The fields of a Kubernetes object that status derivation reads. */
export interface ObservedObject {
  metadata: { generation?: number; deletionTimestamp?: string; annotations?: Record<string, string> };
  status?: unknown;
}

/**
 * A provider-terraform Workspace: Ready means `Ready=True` (reason `Available`) and
 * `Synced=True`, both for the current generation; `Synced=False` (`ReconcileError`) is a failure
 * (at once for a create/update failure; with a clock, after the grace for any other: see judge.ts).
 */
export function workspaceState(workspace: ObservedObject | undefined, clock?: StepClock): StepState {
  return judgeWorkspace(workspace, clock).state;
}

/** The non-sensitive outputs a Workspace reports (`status.atProvider.outputs`). */
export function workspaceOutputs(workspace: ObservedObject | undefined): Record<string, JsonValue> {
  const status = workspace?.status as { atProvider?: { outputs?: unknown } } | undefined;
  const outputs = status?.atProvider?.outputs;
  return outputs && typeof outputs === 'object' && !Array.isArray(outputs)
    ? (outputs as Record<string, JsonValue>)
    : {};
}

/**
 * An Argo CD Application: Ready means `Synced` and `Healthy` at a revision that holds what we
 * committed (and the source we rendered, given its digest); see judge.ts for the failures.
 */
export function applicationState(
  application: ObservedObject | undefined,
  options: { revisionAccepted: (revision: string) => boolean; sourceDigest?: string; clock?: StepClock },
): StepState {
  return judgeApplication(application, options).state;
}

export interface StepObservation {
  step: Step;
  /** Its files are in Git. */
  committed: boolean;
  state: StepState;
  /** When it entered that state, ms since the epoch, when known (judge.ts Verdict.since). */
  since?: number;
}

export interface EnvironmentStatusSummary {
  phase: EnvironmentPhase;
  message: string;
  conditions: Condition[];
  steps: StepStatus[];
  /** The step that failed, when the phase is Failed. */
  failed?: StepStatus;
}

/** The environment's phase from its steps (phase 1 before phase 2), or Deleting. */
export function environmentStatus(args: {
  steps: readonly StepObservation[];
  deleting: boolean;
}): EnvironmentStatusSummary {
  if (args.deleting) {
    const steps = args.steps.map((o) => ({
      instance: o.step.instance,
      part: o.step.part,
      ...deletingStepState(o),
    }));
    const { message, conditions } = deletionSummary(steps);
    return {
      phase: 'Deleting',
      message,
      conditions: [{ type: 'Ready', status: 'False', reason: 'Deleting', message }, ...conditions],
      steps,
    };
  }
  const failedIds = args.steps.filter((s) => s.state.phase === 'Failed').map((s) => s.step.id);
  const infraIds = args.steps.filter((s) => s.step.part === 'infra').map((s) => s.step.id);
  const steps: StepStatus[] = args.steps.map(({ step, committed, state, since }) =>
    committed || state.phase === 'Deleting' || state.phase === 'Failed'
      ? {
          instance: step.instance,
          part: step.part,
          ...state,
          ...(since === undefined ? {} : { lastTransitionTime: new Date(since).toISOString() }),
        }
      : { instance: step.instance, part: step.part, ...waiting(step, infraIds, failedIds) },
  );
  const infra = steps.filter((s) => s.part === 'infra');
  const apps = steps.filter((s) => s.part === 'apps');
  const conditions = [partCondition('InfrastructureReady', infra), partCondition('ApplicationsReady', apps)];
  const summary = (
    phase: EnvironmentPhase,
    message: string,
    failed?: StepStatus,
  ): EnvironmentStatusSummary => ({
    phase,
    message,
    conditions: [
      {
        type: 'Ready',
        status: phase === 'Ready' ? 'True' : 'False',
        reason: phase,
        message,
      },
      ...conditions,
    ],
    steps,
    ...(failed ? { failed } : {}),
  });

  const phase = phaseOfSteps(steps);
  switch (phase) {
    case 'Failed': {
      const failed = steps.find((s) => s.phase === 'Failed')!;
      return summary(phase, `${failed.instance}/${failed.part}: ${failed.message || failed.reason}`, failed);
    }
    case 'Creating':
      return summary(phase, 'nothing provisioned yet');
    case 'ProvisioningInfrastructure':
      return summary(phase, waitingFor(infra));
    case 'InfrastructureReady':
      return summary(phase, 'infrastructure available; applications next');
    case 'DeployingApplications':
      return summary(phase, waitingFor(apps));
    default:
      return summary('Ready', apps.length === 0 ? 'all infrastructure is available' : 'all steps are ready');
  }
}

/** The steps of a part that are not Ready; and why, when it is their folder's failed sync (folder-sync.ts). */
function waitingFor(steps: readonly StepStatus[]): string {
  const waiting = steps.filter((s) => s.phase !== 'Ready');
  const folder = waiting.find((s) => s.reason === FOLDER_SYNC_FAILED_REASON);
  return `waiting for ${waiting.map((s) => s.instance).join(', ')}${folder ? `: ${folder.message}` : ''}`;
}

/** An uncommitted step: blocked by a failed step it waits for (and names it), or waiting. */
function waiting(step: Step, infraIds: readonly string[], failedIds: readonly string[]): StepState {
  const deps = step.part === 'apps' ? [...new Set([...step.dependsOn, ...infraIds])] : step.dependsOn;
  const failed = deps.filter((id) => failedIds.includes(id));
  if (failed.length > 0)
    return { phase: 'Pending', reason: 'Blocked', message: `blocked: ${failed.join(', ')} failed` };
  if (step.dependsOn.length > 0)
    return { phase: 'Pending', reason: 'Waiting', message: `waiting for ${step.dependsOn.join(', ')}` };
  return {
    phase: 'Pending',
    reason: 'Waiting',
    message: step.part === 'apps' ? 'waiting for the infrastructure' : 'not committed yet',
  };
}

function partCondition(type: string, steps: StepStatus[]): Condition {
  if (steps.length === 0) return { type, status: 'True', reason: 'NothingToDo', message: '' };
  const failed = steps.find((s) => s.phase === 'Failed');
  if (failed)
    return { type, status: 'False', reason: 'Failed', message: `${failed.instance}: ${failed.message}` };
  const notReady = steps.filter((s) => s.phase !== 'Ready');
  if (notReady.length === 0) return { type, status: 'True', reason: 'Ready', message: '' };
  return {
    type,
    status: 'False',
    reason: notReady.some((s) => s.phase === 'Progressing') ? 'Progressing' : 'Pending',
    message: `${notReady.length} of ${steps.length} not ready`,
  };
}

/** What the reconciler does next for an environment that is not being deleted. */
export type ProvisionAction =
  /** Commit this wave (one commit per repo). */
  | { kind: 'commit'; wave: number }
  /** Nothing to commit now: wait for the cluster (or for a fix, after a failure). */
  | { kind: 'wait'; reason: string };

/**
 * The next wave to commit: the first one not fully committed, once every step its steps depend on
 * (an apps step depends on every infra step) is committed and Ready. Waves are topological layers,
 * so each one depends on the one before it and they go one at a time.
 */
export function nextProvisionAction(args: {
  plan: Plan;
  steps: readonly StepObservation[];
}): ProvisionAction {
  const byId = new Map(args.steps.map((s) => [s.step.id, s]));
  const infraIds = args.plan.steps.filter((s) => s.part === 'infra').map((s) => s.id);
  const ready = (id: string) => byId.get(id)?.committed === true && byId.get(id)?.state.phase === 'Ready';
  const failed = args.steps.filter((s) => s.committed && s.state.phase === 'Failed');
  if (failed.length > 0)
    return { kind: 'wait', reason: `blocked: ${failed.map((s) => s.step.id).join(', ')} failed` };
  for (const wave of args.plan.waves) {
    if (wave.steps.every((id) => byId.get(id)?.committed)) continue;
    const blockedOn = new Set<string>();
    for (const id of wave.steps) {
      const step = byId.get(id)?.step;
      if (!step) continue;
      const deps = step.part === 'apps' ? [...step.dependsOn, ...infraIds] : step.dependsOn;
      for (const dep of deps) if (!ready(dep)) blockedOn.add(dep);
    }
    if (blockedOn.size > 0) return { kind: 'wait', reason: `waiting for ${[...blockedOn].join(', ')}` };
    return { kind: 'commit', wave: wave.number };
  }
  return { kind: 'wait', reason: 'every wave is committed' };
}

export { nextDeletionAction, orderNotKept, type DeletionAction, type DeletionState } from './deletion.js';
export { updatableSteps, type UpdateDecision } from './update.js';
