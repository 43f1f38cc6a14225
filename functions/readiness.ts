/**
 * Readiness of what the function composes, from observed state only. Workspaces and Applications
 * are judged by the same rules as the engine's (src/core/status/judge.ts). The environment's own
 * objects have no conditions: a Namespace is ready when Active, a ResourceQuota once the quota
 * controller has written its status, a NetworkPolicy or LimitRange once it exists.
 */
import {
  applicationState,
  sourceDigest,
  workspaceState,
  type ObservedObject,
  type StepState,
  isRecord,
} from '../src/core/index.js';
import type { Obj } from './adapt.js';

function asObserved(object: Obj): ObservedObject {
  const metadata = isRecord(object.metadata) ? object.metadata : {};
  return {
    metadata: {
      ...(typeof metadata.generation === 'number' ? { generation: metadata.generation } : {}),
      ...(typeof metadata.deletionTimestamp === 'string'
        ? { deletionTimestamp: metadata.deletionTimestamp }
        : {}),
    },
    status: object.status,
  };
}

/** Whether an environment object (Namespace, NetworkPolicy, ResourceQuota, LimitRange) is ready. */
export function environmentObjectReady(observed: Obj | undefined): boolean {
  if (!observed) return false;
  const metadata = isRecord(observed.metadata) ? observed.metadata : {};
  if (metadata.deletionTimestamp !== undefined) return false;
  const status = isRecord(observed.status) ? observed.status : {};
  switch (observed.kind) {
    case 'Namespace':
      return status.phase === 'Active';
    case 'ResourceQuota':
      return isRecord(status.hard);
    default:
      return true;
  }
}

/** The state of an infra step from its observed Workspace (undefined: not created yet). */
export function workspaceStepState(observed: Obj | undefined): StepState {
  const state = workspaceState(observed ? asObserved(observed) : undefined);
  return observed ? state : { ...state, message: 'composed; not observed in the cluster yet' };
}

/**
 * The state of an apps step from its observed Application. There is no commit to wait for here:
 * a Synced and Healthy status counts once Argo CD has compared the whole source this function
 * composes, Helm values included (`status.sync.comparedTo.source`, which argo-cd
 * controller/state.go CompareAppState sets from the spec it compared), not one from before a change.
 */
export function applicationStepState(observed: Obj | undefined, desired: Obj): StepState {
  const spec = isRecord(desired.spec) ? desired.spec : {};
  const status = observed && isRecord(observed.status) ? observed.status : {};
  const sync = isRecord(status.sync) ? status.sync : {};
  // Before Argo CD compared anything there is nothing to hold against it (nor to call Ready).
  const compared = isRecord(sync.comparedTo);
  const state = applicationState(observed ? asObserved(observed) : undefined, {
    revisionAccepted: () => true,
    ...(compared ? { sourceDigest: sourceDigest(spec.sources ?? spec.source) } : {}),
  });
  if (!observed) return { ...state, message: 'composed; not observed in the cluster yet' };
  return state;
}
