/**
 * Deletion in reverse wave order when Crossplane, not the engine, removes an environment. Deleting
 * the XR deletes every composed resource at once (Kubernetes garbage collection through the owner
 * references Crossplane sets), so the VPC's `terraform destroy` would race the database's, which
 * needs the VPC's subnets. A Crossplane v2 `Usage` (protection.crossplane.io/v1beta1) for each
 * infra→infra edge of the plan makes Crossplane's webhook refuse to delete the used Workspace while
 * the using one exists:
 * - `spec.of` is the Workspace that is used (the producer), `spec.by` the one that uses it
 *   (the consumer); both by `resourceRef` name (apis/protection/v1beta1/usage_types.go).
 * - A Usage composed by an XR (it carries the `crossplane.io/composite` label Crossplane puts on
 *   every composed resource) keeps its finalizer until the `by` resource is gone, so deleting it
 *   together with the XR does not lift the protection early
 *   (internal/controller/protection/usage/reconciler.go, "A Usage can be composed as part of a
 *   Composition").
 * - `replayDeletion: true`: when the Usage goes, the usage controller deletes the used resource
 *   again at once, instead of waiting for the garbage collector's next retry (same file).
 * A namespaced Usage refers to cluster-scoped resources or to resources in its own namespace only;
 * so it lives in the Workspaces' namespace, and a cluster-scoped XR with cluster-scoped Workspaces
 * composes a `ClusterUsage` instead (apis/protection/v1beta1/clusterusage_types.go).
 * Crossplane's own ClusterRole already grants every kind of protection.crossplane.io
 * (cluster/charts/crossplane/templates/clusterrole.yaml), and Usages are on by default
 * (`--enable-usages`, default true: cmd/crossplane/core/core.go).
 */
import {
  LABEL,
  qualifiedName,
  WORKSPACE_API,
  type Plan,
  type RenderOptions,
  type ResolvedEnvironment,
} from '../src/core/index.js';
import type { Obj } from './adapt.js';
import type { ComposedResource } from './compose.js';
import type { Placement } from './composite.js';

export const USAGE_API_VERSION = 'protection.crossplane.io/v1beta1';

/** Key of the Usage that keeps `of` while `by` exists (a composition-resource-name). */
export function usageKey(edge: { of: string; by: string }): string {
  return `usage-${edge.of}-by-${edge.by}`;
}

function isReady(observed: Obj | undefined): boolean {
  const status = observed?.status as { conditions?: Array<{ type?: string; status?: string }> } | undefined;
  return (status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

/**
 * The Usages for the plan's infra→infra edges whose two Workspaces are both composed in this
 * reconcile; each is ready once Crossplane's usage controller reports it `Ready=True`.
 */
export function composedUsages(args: {
  env: ResolvedEnvironment;
  plan: Plan;
  placement: Placement;
  render: Pick<RenderOptions, 'workspaceApi'>;
  /** Infra step ids whose Workspace is composed now. */
  composed: ReadonlySet<string>;
  observed: Readonly<Record<string, Obj>>;
}): Record<string, ComposedResource> {
  const { env, plan, placement, render } = args;
  const steps = new Map(plan.steps.map((s) => [s.id, s]));
  const workspaceName = (instanceName: string) => {
    const instance = env.instances.find((i) => i.name === instanceName);
    if (!instance) throw new Error(`plan instance ${instanceName} is not in the environment`);
    return qualifiedName(env, instance);
  };
  const workspace = { apiVersion: WORKSPACE_API[render.workspaceApi], kind: 'Workspace' };
  const clusterScoped = render.workspaceApi === 'cluster' && placement.scope === 'Cluster';
  const usages: Record<string, ComposedResource> = {};
  for (const by of plan.steps) {
    if (by.part !== 'infra' || !args.composed.has(by.id)) continue;
    for (const ofId of by.dependsOn) {
      const of = steps.get(ofId);
      if (of?.part !== 'infra' || !args.composed.has(of.id)) continue;
      const key = usageKey({ of: of.instance, by: by.instance });
      const ofName = workspaceName(of.instance);
      const byName = workspaceName(by.instance);
      const object: Obj = {
        apiVersion: USAGE_API_VERSION,
        kind: clusterScoped ? 'ClusterUsage' : 'Usage',
        metadata: {
          name: `${byName}-uses-${of.instance}`,
          ...(clusterScoped ? {} : { namespace: env.namespace }),
          labels: {
            [LABEL.managedBy]: 'envcat',
            [LABEL.environment]: env.name,
            [LABEL.instance]: by.instance,
          },
        },
        spec: {
          of: { ...workspace, resourceRef: { name: ofName } },
          by: { ...workspace, resourceRef: { name: byName } },
          reason: `${byName} is provisioned inside ${ofName}: destroy it first`,
          replayDeletion: true,
        },
      };
      usages[key] = { object, ready: isReady(args.observed[key]) };
    }
  }
  return usages;
}
