/**
 * Status derivation (DESIGN §4): what the observed Workspaces and Applications say about each step,
 * what that makes of the environment, and what the reconciler should do next. Pure: the engine and
 * the composition function feed it what they observed and act on what it returns.
 */
import type { JsonValue } from '../catalog/types.js';
import type { Part, Plan, Step } from '../plan/index.js';

export type EnvironmentPhase =
  | 'Creating'
  | 'ProvisioningInfrastructure'
  | 'InfrastructureReady'
  | 'DeployingApplications'
  | 'Ready'
  | 'Failed'
  | 'Invalid'
  | 'Deleting';

export const ENVIRONMENT_PHASES: readonly EnvironmentPhase[] = [
  'Creating',
  'ProvisioningInfrastructure',
  'InfrastructureReady',
  'DeployingApplications',
  'Ready',
  'Failed',
  'Invalid',
  'Deleting',
];

/** A step: not yet in Git, in Git and converging, converged, failed, or on its way out. */
export type StepPhase = 'Pending' | 'Progressing' | 'Ready' | 'Failed' | 'Deleting';

export interface StepState {
  phase: StepPhase;
  reason: string;
  message: string;
}

export interface StepStatus extends StepState {
  instance: string;
  part: Part;
}

export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
}

/** The fields of a Kubernetes object that status derivation reads. */
export interface ObservedObject {
  metadata: { generation?: number; deletionTimestamp?: string };
  status?: unknown;
}

interface ObservedCondition {
  type?: string;
  status?: string;
  reason?: string;
  message?: string;
  observedGeneration?: number;
}

function conditions(object: ObservedObject): ObservedCondition[] {
  const status = object.status as { conditions?: unknown } | undefined;
  return Array.isArray(status?.conditions) ? (status.conditions as ObservedCondition[]) : [];
}

function condition(object: ObservedObject, type: string): ObservedCondition | undefined {
  return conditions(object).find((c) => c.type === type);
}

/** A condition counts only if it speaks of the current generation (when the controller says which). */
function current(object: ObservedObject, c: ObservedCondition | undefined): boolean {
  if (!c) return false;
  const generation = object.metadata.generation;
  return (
    c.observedGeneration === undefined || generation === undefined || c.observedGeneration === generation
  );
}

/**
 * A provider-terraform Workspace: Ready means `Ready=True` (reason `Available`) and
 * `Synced=True`, both for the current generation; `Synced=False` (`ReconcileError`) is a failure.
 */
export function workspaceState(workspace: ObservedObject | undefined): StepState {
  if (!workspace)
    return { phase: 'Progressing', reason: 'NotApplied', message: 'committed; not in the cluster yet' };
  if (workspace.metadata.deletionTimestamp) {
    const ready = condition(workspace, 'Ready');
    return {
      phase: 'Deleting',
      reason: ready?.reason ?? 'Deleting',
      message: ready?.message ?? 'being destroyed',
    };
  }
  const synced = condition(workspace, 'Synced');
  const ready = condition(workspace, 'Ready');
  if (synced?.status === 'False' && current(workspace, synced))
    return { phase: 'Failed', reason: synced.reason ?? 'ReconcileError', message: synced.message ?? '' };
  if (
    ready?.status === 'True' &&
    ready.reason === 'Available' &&
    synced?.status === 'True' &&
    current(workspace, ready) &&
    current(workspace, synced)
  )
    return { phase: 'Ready', reason: 'Available', message: ready.message ?? '' };
  if (!ready && !synced)
    return { phase: 'Progressing', reason: 'Pending', message: 'waiting for provider-terraform' };
  if (ready && !current(workspace, ready))
    return {
      phase: 'Progressing',
      reason: 'Reconciling',
      message: 'the provider has not seen the latest change yet',
    };
  return {
    phase: 'Progressing',
    reason: ready?.reason ?? 'Creating',
    message: ready?.message ?? synced?.message ?? '',
  };
}

/** The non-sensitive outputs a Workspace reports (`status.atProvider.outputs`). */
export function workspaceOutputs(workspace: ObservedObject | undefined): Record<string, JsonValue> {
  const status = workspace?.status as { atProvider?: { outputs?: unknown } } | undefined;
  const outputs = status?.atProvider?.outputs;
  return outputs && typeof outputs === 'object' && !Array.isArray(outputs)
    ? (outputs as Record<string, JsonValue>)
    : {};
}

interface ApplicationStatus {
  sync?: { status?: string; revision?: string };
  health?: { status?: string; message?: string };
  operationState?: { phase?: string; message?: string };
  conditions?: Array<{ type?: string; message?: string }>;
}

/**
 * An Argo CD Application: Ready means `Synced` and `Healthy` at a revision that holds what we
 * committed; `Degraded` health or a `Failed`/`Error` operation is a failure.
 */
export function applicationState(
  application: ObservedObject | undefined,
  options: { revisionAccepted: (revision: string) => boolean },
): StepState {
  if (!application)
    return {
      phase: 'Progressing',
      reason: 'NotApplied',
      message: 'committed; no Application in the cluster yet',
    };
  if (application.metadata.deletionTimestamp)
    return { phase: 'Deleting', reason: 'Deleting', message: 'Argo CD is deleting the resources' };
  const status = (application.status ?? {}) as ApplicationStatus;
  const operation = status.operationState;
  if (operation?.phase === 'Failed' || operation?.phase === 'Error')
    return { phase: 'Failed', reason: `Sync${operation.phase}`, message: operation.message ?? '' };
  if (status.health?.status === 'Degraded')
    return {
      phase: 'Failed',
      reason: 'Degraded',
      message: status.health.message ?? operation?.message ?? '',
    };
  const sync = status.sync?.status ?? 'Unknown';
  const health = status.health?.status ?? 'Unknown';
  const revision = status.sync?.revision;
  if (
    sync === 'Synced' &&
    health === 'Healthy' &&
    revision !== undefined &&
    options.revisionAccepted(revision)
  )
    return { phase: 'Ready', reason: 'Healthy', message: `synced at ${revision.slice(0, 12)}` };
  if (sync === 'Synced' && health === 'Healthy')
    return { phase: 'Progressing', reason: 'OutdatedRevision', message: 'synced to an older revision' };
  const error = status.conditions?.find((c) => c.type?.endsWith('Error'));
  return {
    phase: 'Progressing',
    reason: health === 'Unknown' && sync === 'Unknown' ? 'Pending' : `${sync}/${health}`,
    message: error?.message ?? status.health?.message ?? operation?.message ?? '',
  };
}

export interface StepObservation {
  step: Step;
  /** Its files are in Git. */
  committed: boolean;
  state: StepState;
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
  const steps: StepStatus[] = args.steps.map(({ step, committed, state }) => ({
    instance: step.instance,
    part: step.part,
    ...(committed || state.phase === 'Deleting' || state.phase === 'Failed'
      ? state
      : { phase: 'Pending', reason: 'Waiting', message: waitingMessage(step) }),
  }));
  const infra = steps.filter((s) => s.part === 'infra');
  const apps = steps.filter((s) => s.part === 'apps');
  const allReady = (list: StepStatus[]) => list.every((s) => s.phase === 'Ready');
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

  if (args.deleting) {
    const left = steps.filter((s) => s.phase !== 'Pending').length;
    return summary(
      'Deleting',
      left === 0 ? 'removing the environment files' : `${left} step(s) still to remove`,
    );
  }
  const failed = steps.find((s) => s.phase === 'Failed');
  if (failed)
    return summary('Failed', `${failed.instance}/${failed.part}: ${failed.message || failed.reason}`, failed);
  if (steps.every((s) => s.phase === 'Pending')) return summary('Creating', 'nothing provisioned yet');
  if (!allReady(infra)) {
    const waiting = infra.filter((s) => s.phase !== 'Ready').map((s) => s.instance);
    return summary('ProvisioningInfrastructure', `waiting for ${waiting.join(', ')}`);
  }
  if (apps.length === 0) return summary('Ready', 'all infrastructure is available');
  if (apps.every((s) => s.phase === 'Pending'))
    return summary('InfrastructureReady', 'infrastructure available; applications next');
  if (!allReady(apps)) {
    const waiting = apps.filter((s) => s.phase !== 'Ready').map((s) => s.instance);
    return summary('DeployingApplications', `waiting for ${waiting.join(', ')}`);
  }
  return summary('Ready', 'all steps are ready');
}

function waitingMessage(step: Step): string {
  if (step.dependsOn.length > 0) return `waiting for ${step.dependsOn.join(', ')}`;
  return step.part === 'apps' ? 'waiting for the infrastructure' : 'not committed yet';
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
  const failed = args.steps.find((s) => s.committed && s.state.phase === 'Failed');
  if (failed) return { kind: 'wait', reason: `${failed.step.id} failed` };
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

export { nextDeletionAction, type DeletionAction, type DeletionState } from './deletion.js';
