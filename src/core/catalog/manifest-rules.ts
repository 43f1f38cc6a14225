/**
 * Rules for the manifest templates of a `manifests` entry: each is a Kubernetes object with a name;
 * its namespace, when set, is the environment's; and every cluster-scoped kind it has is declared
 * in `spec.apps.clusterResources` (the environment's Argo CD project allows exactly those). Pure.
 */
import { asJsonObject } from '../json/values.js';
import { joinPointer, pointer } from '../names/index.js';
import {
  clusterScopedCustomKinds,
  groupKindKey,
  groupOfApiVersion,
  isClusterScopedKind,
  type GroupKind,
} from './cluster-scoped.js';
import type { JsonValue, TemplateFile } from './types.js';

type At = (path: string, message: string, file?: string) => void;

/** The template every manifest may use for its namespace (or a string that renders to the same). */
export const NAMESPACE_TEMPLATE = '${{ environment.namespace }}';
const EXPRESSION = /\$\{\{/;

/**
 * A manifest's `metadata.namespace`: left out, or a template (`${{ environment.namespace }}`, or any
 * expression, checked again when rendered). A literal is another namespace than the environment's:
 * an entry cannot know which namespace an environment gets.
 */
function namespaceProblem(namespace: JsonValue): string | undefined {
  if (typeof namespace !== 'string') return `must be a string: ${NAMESPACE_TEMPLATE}`;
  if (EXPRESSION.test(namespace)) return undefined;
  return (
    `"${namespace}" is a fixed namespace; manifests go into the environment's namespace: ` +
    `write ${NAMESPACE_TEMPLATE} or leave it out`
  );
}

export function checkManifests(file: TemplateFile, at: At): void {
  file.documents.forEach((d, i) => {
    const ptr = pointer(i);
    const doc = asJsonObject(d);
    if (!doc) {
      at(ptr, 'a manifest must be a Kubernetes object');
      return;
    }
    if (typeof doc.apiVersion !== 'string') at(joinPointer(ptr, 'apiVersion'), 'is required');
    if (typeof doc.kind !== 'string') at(joinPointer(ptr, 'kind'), 'is required');
    const meta = asJsonObject(doc.metadata);
    if (!meta || typeof meta.name !== 'string') {
      at(joinPointer(ptr, 'metadata', 'name'), 'is required');
    } else if (meta.namespace !== undefined) {
      const problem = namespaceProblem(meta.namespace);
      if (problem) at(joinPointer(ptr, 'metadata', 'namespace'), problem);
    }
  });
}

/**
 * Every cluster-scoped kind of the manifests is declared in `clusterResources`, and every declared
 * kind is in the manifests (the project should allow no more than they create). `fileOf` turns a
 * template's path into the file named in messages.
 */
export function checkClusterResources(args: {
  manifests: readonly TemplateFile[];
  declared: readonly GroupKind[];
  at: At;
  fileOf: (rel: string) => string;
}): void {
  const { manifests, declared, at, fileOf } = args;
  const declaredKeys = new Set(declared.map(groupKindKey));
  const custom = new Set(clusterScopedCustomKinds(manifests.flatMap((m) => m.documents)).map(groupKindKey));
  const present = new Set<string>();
  for (const file of manifests) {
    file.documents.forEach((d, i) => {
      const doc = asJsonObject(d);
      if (!doc || typeof doc.apiVersion !== 'string' || typeof doc.kind !== 'string') return;
      const gk = { group: groupOfApiVersion(doc.apiVersion), kind: doc.kind };
      present.add(groupKindKey(gk));
      if (!isClusterScopedKind(gk, custom) || declaredKeys.has(groupKindKey(gk))) return;
      at(
        joinPointer(pointer(i), 'kind'),
        `${gk.kind} is cluster-scoped: declare {group: "${gk.group}", kind: ${gk.kind}} in ` +
          "spec.apps.clusterResources, or the environment's Argo CD project refuses it",
        fileOf(file.path),
      );
    });
  }
  declared.forEach((gk, i) => {
    if (!present.has(groupKindKey(gk)))
      at(
        pointer('spec', 'apps', 'clusterResources', i),
        `no manifest has kind ${gk.kind} of group "${gk.group}": declare only what the manifests create`,
      );
  });
}
