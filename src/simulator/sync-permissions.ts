/**
 * The tasks of a sync that the Application's project refuses, as sync results: Argo CD's
 * controller/sync.go validateSyncPermissions, which gitops-engine (gitops-engine/pkg/sync/
 * sync_context.go) runs on every task before it applies any. The tasks are the target's objects
 * (a chart's too, see helm-charts.ts) and the Namespace that CreateNamespace=true adds when the
 * destination namespace is missing (controller/sync_namespace.go). Pure.
 */
import { parseApiVersion, refOf, type KubeObject } from '../cluster/index.js';
import { resourceProblem, type AppProjectSpec, type Destination } from './appproject.js';
import type { ChartObject } from './helm-charts.js';

interface Task {
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string;
}

function taskOf(object: KubeObject | ChartObject, destination: Destination): Task {
  if ('metadata' in object) return refOf(object);
  return {
    apiVersion: object.apiVersion,
    kind: object.kind,
    name: object.name,
    ...(object.namespaced && destination.namespace ? { namespace: destination.namespace } : {}),
  };
}

export function refusedByProject(args: {
  project: { name: string; spec: AppProjectSpec };
  destination: Destination;
  /** Objects as applied (namespaced ones in their namespace), or a chart's objects. */
  objects: ReadonlyArray<KubeObject | ChartObject>;
  /** The destination namespace is missing and CreateNamespace=true: a Namespace task too. */
  createsNamespace: boolean;
}): Array<Record<string, unknown>> {
  const { project, destination } = args;
  const tasks = args.objects.map((o) => taskOf(o, destination));
  if (args.createsNamespace && destination.namespace)
    tasks.push({ apiVersion: 'v1', kind: 'Namespace', name: destination.namespace });
  const refused: Array<Record<string, unknown>> = [];
  for (const task of tasks) {
    const { group, version } = parseApiVersion(task.apiVersion);
    const message = resourceProblem(project.spec, project.name, { ...task, group }, destination);
    if (message)
      refused.push({
        group,
        version,
        kind: task.kind,
        ...(task.namespace ? { namespace: task.namespace } : {}),
        name: task.name,
        status: 'SyncFailed',
        message,
        syncPhase: 'Sync',
      });
  }
  return refused;
}
