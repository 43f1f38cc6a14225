/**
 * The `Synced` and `Ready` conditions of a Workspace as crossplane-runtime writes them, and the
 * wording of its failures, for the simulated provider-terraform (terraform-run.ts).
 */
import type { KubeObject } from '../cluster/index.js';
import { isRecord } from '../core/index.js';
import { timestamp } from './support.js';

export interface WorkspaceCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message?: string;
  lastTransitionTime: string;
  observedGeneration: number;
}

export type Conditions = Record<string, unknown>[];

export function conditionsOf(object: KubeObject): Conditions {
  const status = isRecord(object.status) ? object.status : {};
  return Array.isArray(status.conditions) ? (status.conditions as Conditions) : [];
}

export function findCondition(conditions: Conditions, type: string): Record<string, unknown> | undefined {
  return conditions.find((c) => c.type === type);
}

function sameCondition(
  a: Record<string, unknown> | undefined,
  b: Omit<WorkspaceCondition, 'lastTransitionTime'>,
): boolean {
  return (
    a !== undefined &&
    a.status === b.status &&
    a.reason === b.reason &&
    (a.message ?? '') === (b.message ?? '') &&
    a.observedGeneration === b.observedGeneration
  );
}

/** Crossplane's SetConditions: an unchanged condition keeps its lastTransitionTime. */
export function setConditions(
  existing: Conditions,
  updates: Array<Omit<WorkspaceCondition, 'lastTransitionTime'>>,
  now: number,
): Conditions {
  const result = existing.map((c) => ({ ...c }));
  for (const update of updates) {
    const index = result.findIndex((c) => c.type === update.type);
    const current = index < 0 ? undefined : result[index];
    if (sameCondition(current, update)) continue;
    const next: Record<string, unknown> = {
      type: update.type,
      status: update.status,
      reason: update.reason,
      ...(update.message ? { message: update.message } : {}),
      lastTransitionTime: timestamp(now),
      observedGeneration: update.observedGeneration,
    };
    if (index < 0) result.push(next);
    else result[index] = next;
  }
  return result;
}

/**
 * crossplane-runtime reconciles a managed resource again at once when its annotations change
 * (pkg/resource/predicates.go DesiredStateChanged → AnnotationChangedPredicate), except for the
 * ones the managed reconciler itself writes.
 */
export function desiredAnnotations(workspace: KubeObject): string {
  const annotations = { ...workspace.metadata.annotations };
  delete annotations['crossplane.io/external-create-pending'];
  delete annotations['crossplane.io/external-create-failed'];
  return JSON.stringify(annotations);
}

/**
 * How crossplane-runtime reports a failed apply (pkg/reconciler/managed/reconciler.go:
 * `errReconcileCreate = "create failed"`, `errReconcileUpdate = "update failed"`) of provider-terraform
 * (internal/controller/namespaced/workspace/workspace.go: `errApply = "cannot apply Terraform
 * configuration"`): an update once the workspace exists (it has reported outputs), a create before.
 */
export function applyFailure(workspace: KubeObject, message: string): string {
  const status = isRecord(workspace.status) ? workspace.status : {};
  const step = isRecord(status.atProvider) ? 'update' : 'create';
  return `${step} failed: cannot apply Terraform configuration: ${message}`;
}
