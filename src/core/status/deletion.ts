/**
 * What the reconciler does next for an environment being deleted: everything in the
 * reverse of the order it was created in. Applications first; then the infrastructure one wave at
 * a time, the LAST wave first (a database is destroyed before the VPC it lives in: its
 * `terraform destroy` needs the VPC's subnets and security groups still there); then the Secrets;
 * then the environment's files (Argo CD then deletes its Namespace); last, once that Namespace is
 * gone, the namespace claim. Releasing the claim earlier would let a new environment take a
 * namespace that is still Terminating, and its Namespace and Secrets would be refused or deleted
 * with the old one. Pure: the engine feeds it what Git and the cluster hold.
 */
import { environmentPrefix } from '../layout/index.js';
import type { Plan } from '../plan/index.js';

export type DeletionAction =
  | { kind: 'removeApps' }
  | { kind: 'waitForApps'; remaining: string[] }
  /**
   * Remove these instances' infra files. `wave` is the plan's wave number; without a valid plan it
   * is absent and every infra file goes at once (`message` says so).
   */
  | { kind: 'removeInfra'; instances: string[]; wave?: number; message: string }
  /** Wait until these Workspaces are gone (terraform destroy) before the next wave down. */
  | { kind: 'waitForInfra'; remaining: string[]; message: string }
  | { kind: 'deleteSecrets' }
  /** Remove the environment's own files (environment.yaml, namespace.yaml); the claim stays. */
  | { kind: 'removeEnvironmentFiles' }
  /** Wait until the environment's Namespace is gone before releasing its claim. */
  | { kind: 'waitForNamespace'; namespace: string; message: string }
  /** Wait until Argo CD has deleted the Applications of the environment's folders (their finalizers ran). */
  | { kind: 'waitForFolderApplications'; remaining: string[]; message: string }
  /** Release the namespace claim (if any) and forget the environment. */
  | { kind: 'removeEnvironment' };

export interface DeletionState {
  /** Instances whose app files are still in Git. */
  committedApps: readonly string[];
  /** Instances whose infra file is still in Git. */
  committedInfra: readonly string[];
  /** Instances whose Application / Workspace is still in the cluster. */
  liveApplications: readonly string[];
  liveWorkspaces: readonly string[];
  secretsLeft: boolean;
  /** Files of the environment's own folder (environment.yaml, namespace.yaml) still in Git. */
  environmentFilesLeft: boolean;
  /**
   * The environment's Namespace while it still exists in the cluster (Terminating or not); only
   * one labelled as this environment's counts: a namespace it never created is not its to wait for.
   */
  namespaceLeft?: { name: string; terminating: boolean };
  /**
   * The Applications the bootstrap ApplicationSets generated for the environment's folders
   * (`envcat-<repo>-<env>`), still in the cluster: Argo CD deletes them once the folders are gone,
   * and their finalizer prunes what they synced (the Namespace among it) first, so they can
   * outlive the Namespace by a moment.
   */
  folderApplicationsLeft?: readonly string[];
  /** The environment's plan; undefined when its request is gone or invalid. */
  plan?: Plan;
}

/**
 * The infra waves of a plan, last first, as instance names. An instance in Git or the cluster that
 * the plan does not know (its request changed since) depends on nothing the plan can see, but may
 * depend on planned instances: it goes in a wave of its own, before every planned wave.
 */
function infraWavesLastFirst(
  plan: Plan,
  known: readonly string[],
): Array<{ number?: number; instances: string[] }> {
  const instanceOf = new Map(plan.steps.map((s) => [s.id, s.instance]));
  const waves = plan.waves
    .filter((w) => w.part === 'infra')
    .sort((a, b) => b.number - a.number)
    .map((w) => ({ number: w.number, instances: w.steps.map((id) => instanceOf.get(id) ?? id) }));
  const planned = new Set(waves.flatMap((w) => w.instances));
  const unplanned = [...new Set(known.filter((i) => !planned.has(i)))];
  return unplanned.length > 0 ? [{ instances: unplanned }, ...waves] : waves;
}

const sorted = (list: Iterable<string>) => [...new Set(list)].sort();

export function nextDeletionAction(state: DeletionState): DeletionAction {
  if (state.committedApps.length > 0) return { kind: 'removeApps' };
  if (state.liveApplications.length > 0)
    return { kind: 'waitForApps', remaining: sorted(state.liveApplications) };
  const infra = nextInfraDeletion(state);
  if (infra) return infra;
  if (state.secretsLeft) return { kind: 'deleteSecrets' };
  if (state.environmentFilesLeft) return { kind: 'removeEnvironmentFiles' };
  if (state.namespaceLeft) {
    const { name, terminating } = state.namespaceLeft;
    return {
      kind: 'waitForNamespace',
      namespace: name,
      message: terminating
        ? `waiting for the namespace "${name}" to finish terminating before releasing its claim`
        : `waiting for Argo CD to delete the namespace "${name}" before releasing its claim`,
    };
  }
  if (state.folderApplicationsLeft && state.folderApplicationsLeft.length > 0) {
    const remaining = sorted(state.folderApplicationsLeft);
    return {
      kind: 'waitForFolderApplications',
      remaining,
      message: `waiting for Argo CD to delete ${remaining.join(', ')} before releasing the namespace claim`,
    };
  }
  return { kind: 'removeEnvironment' };
}

function nextInfraDeletion(state: DeletionState): DeletionAction | undefined {
  if (state.committedInfra.length === 0 && state.liveWorkspaces.length === 0) return undefined;
  if (!state.plan) {
    // No plan says which instance needs which: nothing to order by. Both messages say so, the
    // waiting one too, since that is the one the status shows for as long as the destroys take.
    const why = 'the environment has no valid plan, so all infrastructure is removed at once';
    if (state.committedInfra.length > 0) {
      const instances = sorted(state.committedInfra);
      return { kind: 'removeInfra', instances, message: `${why}: ${instances.join(', ')}` };
    }
    const remaining = sorted(state.liveWorkspaces);
    return {
      kind: 'waitForInfra',
      remaining,
      message: `${why}; waiting for terraform destroy of ${remaining.join(', ')}`,
    };
  }
  const committed = new Set(state.committedInfra);
  const live = new Set(state.liveWorkspaces);
  const waves = infraWavesLastFirst(state.plan, [...committed, ...live]);
  for (const [index, wave] of waves.entries()) {
    const below = waves
      .slice(index + 1)
      .flatMap((w) => w.instances)
      .filter((i) => committed.has(i) || live.has(i));
    const then = below.length > 0 ? `; then ${sorted(below).join(', ')}` : '';
    const label = wave.number === undefined ? 'no longer planned' : `wave ${wave.number}`;
    const toRemove = sorted(wave.instances.filter((i) => committed.has(i)));
    if (toRemove.length > 0)
      return {
        kind: 'removeInfra',
        instances: toRemove,
        ...(wave.number === undefined ? {} : { wave: wave.number }),
        message: `removing the infrastructure of ${label}: ${toRemove.join(', ')}${then}`,
      };
    const remaining = sorted(wave.instances.filter((i) => live.has(i)));
    if (remaining.length > 0)
      return {
        kind: 'waitForInfra',
        remaining,
        message: `waiting for terraform destroy of ${remaining.join(', ')} (${label})${then}`,
      };
  }
  return undefined;
}

/**
 * Said while an environment whose folder was removed whole, in one commit outside envcat, is
 * deleted: Argo CD prunes everything the folder held at once, Workspaces included, so the reverse
 * order could not be kept. `commit` is the commit that removed it.
 */
export function orderNotKept(environment: string, commit: string): string {
  return (
    `${environmentPrefix(environment)} was removed whole in commit ${commit.slice(0, 12)}, outside envcat: ` +
    'Argo CD deletes its infrastructure at once, so the order of a deletion (applications first, ' +
    'then the infrastructure, last wave first) could not be kept'
  );
}
