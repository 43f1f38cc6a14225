/**
 * What a deletion looks like from its steps: each step still in Git, on its way out of the
 * cluster, or gone; two conditions that say which stage the deletion is at (applications first,
 * then infrastructure, then the secrets and files: nextDeletionAction in deletion.ts); and a
 * message for that stage. A step removed from Git whose object is still in the cluster is being
 * removed, not "waiting for the infrastructure": the engine's observations of such a step carry
 * its live object's verdict, which is all this needs to tell the two apart.
 */
import type { Condition, StepObservation, StepState, StepStatus } from './index.js';
import type { FolderSync } from './folder-sync.js';

/** The reason of a step whose Workspace or Application is gone from Git and from the cluster. */
export const REMOVED_REASON = 'Removed';
/** The reason of a step removed from Git whose object the controllers have not deleted yet. */
export const REMOVING_REASON = 'RemovedFromGit';

/**
 * The condition types of a deleting environment. While both are False, applications are removed
 * first; once `ApplicationsRemoved` is True the infrastructure goes; once both are, the secrets,
 * the files and the namespace claim.
 */
export const DELETION_CONDITIONS = ['ApplicationsRemoved', 'InfrastructureRemoved'] as const;

/** One step of a deleting environment, from what Git and the cluster hold of it. */
export function deletingStepState(observation: StepObservation): StepState {
  const { step, committed, state } = observation;
  if (committed || state.phase === 'Deleting' || state.phase === 'Failed') return state;
  // Judged without its object (judge.ts): neither in Git nor in the cluster any more.
  if (state.reason === 'NotApplied')
    return { phase: 'Pending', reason: REMOVED_REASON, message: 'removed from Git and the cluster' };
  return {
    phase: 'Deleting',
    reason: REMOVING_REASON,
    message:
      step.part === 'apps'
        ? 'removed from Git; Argo CD deletes the Application and its resources next'
        : 'removed from Git; the Workspace is destroyed (terraform destroy) next',
  };
}

const left = (steps: readonly StepStatus[], part: StepStatus['part']) =>
  steps.filter((s) => s.part === part && !(s.phase === 'Pending' && s.reason === REMOVED_REASON));

/** The deletion conditions and the message of the stage a deletion is at. */
export function deletionSummary(steps: readonly StepStatus[]): { message: string; conditions: Condition[] } {
  const apps = left(steps, 'apps').map((s) => s.instance);
  // The plan's order is creation order; infrastructure goes the other way (the last wave first).
  const infra = left(steps, 'infra')
    .map((s) => s.instance)
    .reverse();
  const removed = (type: string, remaining: string[], waitingFor?: string): Condition =>
    remaining.length === 0
      ? { type, status: 'True', reason: REMOVED_REASON, message: '' }
      : {
          type,
          status: 'False',
          reason: waitingFor ? 'Waiting' : 'Removing',
          message: `${remaining.join(', ')}${waitingFor ? `: after ${waitingFor}` : ''}`,
        };
  const conditions = [
    removed('ApplicationsRemoved', apps),
    removed('InfrastructureRemoved', infra, apps.length > 0 ? 'the applications' : undefined),
  ];
  const message =
    apps.length > 0
      ? `removing the applications: ${apps.join(', ')}`
      : infra.length > 0
        ? `destroying the infrastructure: ${infra.join(', ')}`
        : 'removing the secrets and the environment files';
  return { message, conditions };
}

/**
 * What a deletion waiting on Argo CD says: `waiting` (nextDeletionAction's message), unless the
 * Application of the folder it waits on failed to sync for good (folder-sync.ts): then what Argo
 * CD said and what envcat does about it, not a wait for something that cannot happen yet.
 */
export function deletionWaitMessage(waiting: string, folder: FolderSync | undefined): string {
  return folder === undefined || folder.kind === 'none' ? waiting : folder.message;
}
