/**
 * The Environment composite resource (XR) as an envcat Environment request: the XR's name is the
 * environment's name and its spec is an Environment request's spec (src/core/environment/types.ts),
 * checked by the same validation as every other request, plus two rules of this mode:
 * - a namespaced XR composes into its own namespace only (Crossplane v2 allows nothing else), so
 *   that namespace is the environment's namespace;
 * - a secret parameter must be a `fromSecret` reference: the XR is stored in etcd and usually in Git.
 */
import {
  checkEnvironment,
  InputError,
  joinPointer,
  pointer,
  type Catalog,
  type Plan,
  type Problem,
  type ResolvedEnvironment,
  isRecord,
} from '../src/core/index.js';

export const XR_GROUP = 'platform.envcat.io';
export const XR_VERSION = 'v1alpha1';
export const XR_API_VERSION = `${XR_GROUP}/${XR_VERSION}`;
export const XR_KIND = 'Environment';

/** Where the XR lives, which decides what it may compose. */
export type Placement = { scope: 'Namespaced'; namespace: string } | { scope: 'Cluster' };

export interface CompositeEnvironment {
  environment: ResolvedEnvironment;
  plan: Plan;
  placement: Placement;
  /** The XR's metadata.creationTimestamp, when Crossplane sent it. */
  createdAt?: string;
}

/** Validates the XR as an Environment request; throws one InputError naming every offending field. */
export function resolveComposite(args: { composite: unknown; catalog: Catalog }): CompositeEnvironment {
  const { composite, catalog } = args;
  const metadata = isRecord(composite) && isRecord(composite.metadata) ? composite.metadata : undefined;
  if (!metadata || typeof metadata.name !== 'string' || metadata.name === '')
    throw new InputError([
      { path: '/metadata/name', message: 'the observed composite resource has no name' },
    ]);
  const placement: Placement =
    typeof metadata.namespace === 'string' && metadata.namespace !== ''
      ? { scope: 'Namespaced', namespace: metadata.namespace }
      : { scope: 'Cluster' };

  // Crossplane v2 keeps its own fields (composition references, resource references) under
  // spec.crossplane; they are not part of the request.
  const { crossplane: _crossplane, ...spec } =
    isRecord(composite) && isRecord(composite.spec) ? composite.spec : {};
  const problems: Problem[] = [];
  const namespaceGiven = spec.namespace !== undefined;
  if (placement.scope === 'Namespaced') {
    if (namespaceGiven && spec.namespace !== placement.namespace)
      problems.push({
        path: '/spec/namespace',
        message: `must be left out or be "${placement.namespace}": a namespaced Environment composes into its own namespace only`,
      });
    spec.namespace = placement.namespace;
  }
  const request = {
    apiVersion: 'envcat.io/v1alpha1',
    kind: 'Environment',
    metadata: { name: metadata.name },
    spec,
  };
  const check = checkEnvironment(request, catalog);
  for (const p of check.problems)
    problems.push(
      // The namespace came from the XR's own metadata when the spec left it out.
      p.path === '/spec/namespace' && !namespaceGiven && placement.scope === 'Namespaced'
        ? { ...p, path: '/metadata/namespace' }
        : p,
    );
  if (check.environment) problems.push(...literalSecrets(check.environment));
  if (problems.length > 0 || !check.environment || !check.plan) throw new InputError(dedupe(problems));
  return {
    environment: check.environment,
    plan: check.plan,
    placement,
    ...(typeof metadata.creationTimestamp === 'string' ? { createdAt: metadata.creationTimestamp } : {}),
  };
}

/** Secret parameters given (or defaulted) as literal values: never acceptable in an XR. */
function literalSecrets(env: ResolvedEnvironment): Problem[] {
  const problems: Problem[] = [];
  for (const instance of env.instances) {
    for (const secret of instance.entry.secretParameters) {
      if (instance.secrets[secret.name]?.kind !== 'literal') continue;
      problems.push({
        path: joinPointer(pointer('spec', 'catalogs', instance.index, 'parameters'), secret.name),
        message:
          `is a secret parameter of ${instance.entry.name}@${instance.entry.version}: a composite resource is ` +
          `stored in etcd and usually in Git, so give { fromSecret: { name, key } } of a Secret in namespace "${env.namespace}"`,
      });
    }
  }
  return problems;
}

function dedupe(problems: Problem[]): Problem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = `${p.path}\u0000${p.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
