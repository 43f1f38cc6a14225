/**
 * ObjectMeta rules the API server enforces for every kind (apimachinery validation), written down
 * here independently of envcat's own name helpers so the check does not merely agree with itself.
 */
import { pointerOf, type Problem } from './problems.js';

export type Scope = 'Namespaced' | 'Cluster';

/** How the object's name is validated (ValidateObjectMeta's nameFn, per kind). */
export type NameRule = 'dns1123Subdomain' | 'dns1123Label' | 'dns1035Label';

export interface MetadataExpectation {
  scope: Scope;
  /** A namespaced object must say its namespace (false: a GitOps tool supplies it, e.g. an Argo CD destination). */
  namespaceRequired: boolean;
  nameRule?: NameRule;
}

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const QUALIFIED_NAME_PART = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
/** Sum of the lengths of all annotation keys and values (TotalAnnotationSizeLimitB). */
const MAX_ANNOTATIONS_SIZE = 256 * 1024;

const OBJECT_META_FIELDS = new Set([
  'name',
  'generateName',
  'namespace',
  'selfLink',
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'labels',
  'annotations',
  'ownerReferences',
  'finalizers',
  'managedFields',
]);

export function dns1123SubdomainProblem(value: string): string | undefined {
  if (value.length > 253) return 'must be no more than 253 characters';
  if (!DNS1123_SUBDOMAIN.test(value))
    return 'must be a lowercase RFC 1123 subdomain (lowercase alphanumerics, "-" and ".", alphanumeric at both ends)';
  return undefined;
}

export function dns1123LabelProblem(value: string): string | undefined {
  if (value.length > 63) return 'must be no more than 63 characters';
  if (!DNS1123_LABEL.test(value))
    return 'must be a lowercase RFC 1123 label (lowercase alphanumerics and "-", alphanumeric at both ends)';
  return undefined;
}

export function dns1035LabelProblem(value: string): string | undefined {
  if (value.length > 63) return 'must be no more than 63 characters';
  if (!DNS1035_LABEL.test(value))
    return 'must be an RFC 1035 label (lowercase alphanumerics and "-", starting with a letter, alphanumeric at the end)';
  return undefined;
}

/** A label or annotation key, or a finalizer: `[prefix/]name` (IsQualifiedName). */
export function qualifiedNameProblem(value: string): string | undefined {
  const parts = value.split('/');
  if (parts.length > 2)
    return 'must be a qualified name: an optional DNS subdomain prefix and "/", then a name';
  const name = parts[parts.length - 1] as string;
  if (parts.length === 2) {
    const prefix = parts[0] as string;
    if (prefix.length === 0) return 'has an empty prefix before "/"';
    const problem = dns1123SubdomainProblem(prefix);
    if (problem) return `prefix ${problem}`;
  }
  if (name.length === 0) return 'must have a name part';
  if (name.length > 63) return 'name part must be no more than 63 characters';
  if (!QUALIFIED_NAME_PART.test(name))
    return 'name part must consist of alphanumerics, "-", "_" or ".", alphanumeric at both ends';
  return undefined;
}

export function labelValueProblem(value: string): string | undefined {
  if (value.length > 63) return 'must be no more than 63 characters';
  if (!LABEL_VALUE.test(value))
    return 'must be empty or consist of alphanumerics, "-", "_" or ".", alphanumeric at both ends';
  return undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Every rule of ObjectMeta the object breaks, with paths from the object's root. */
export function metadataProblems(object: unknown, expect: MetadataExpectation): Problem[] {
  const problems: Problem[] = [];
  const add = (path: string, message: string) => problems.push({ path, message });
  const metadata = isRecord(object) ? object.metadata : undefined;
  if (!isRecord(metadata)) {
    add('/metadata', 'is required and must be an object');
    return problems;
  }
  for (const key of Object.keys(metadata))
    if (!OBJECT_META_FIELDS.has(key)) add(pointerOf('metadata', key), 'is not an ObjectMeta field');

  const { name, namespace, labels, annotations, finalizers } = metadata;
  if (typeof name !== 'string' || name.length === 0) add('/metadata/name', 'is required');
  else {
    const rule = expect.nameRule ?? 'dns1123Subdomain';
    const problem =
      rule === 'dns1123Label'
        ? dns1123LabelProblem(name)
        : rule === 'dns1035Label'
          ? dns1035LabelProblem(name)
          : dns1123SubdomainProblem(name);
    if (problem) add('/metadata/name', problem);
  }

  if (expect.scope === 'Cluster') {
    if (namespace !== undefined) add('/metadata/namespace', 'must not be set: the kind is cluster-scoped');
  } else if (namespace === undefined) {
    if (expect.namespaceRequired) add('/metadata/namespace', 'is required: the kind is namespaced');
  } else if (typeof namespace !== 'string') add('/metadata/namespace', 'must be a string');
  else {
    const problem = dns1123LabelProblem(namespace);
    if (problem) add('/metadata/namespace', problem);
  }

  if (labels !== undefined) {
    if (!isRecord(labels)) add('/metadata/labels', 'must be a map of strings');
    else
      for (const [key, value] of Object.entries(labels)) {
        const path = pointerOf('metadata', 'labels', key);
        const keyProblem = qualifiedNameProblem(key);
        if (keyProblem) add(path, `label key ${keyProblem}`);
        if (typeof value !== 'string') add(path, 'label value must be a string');
        else {
          const valueProblem = labelValueProblem(value);
          if (valueProblem) add(path, `label value ${valueProblem}`);
        }
      }
  }

  if (annotations !== undefined) {
    if (!isRecord(annotations)) add('/metadata/annotations', 'must be a map of strings');
    else {
      let size = 0;
      for (const [key, value] of Object.entries(annotations)) {
        const path = pointerOf('metadata', 'annotations', key);
        const keyProblem = qualifiedNameProblem(key.toLowerCase());
        if (keyProblem) add(path, `annotation key ${keyProblem}`);
        if (typeof value !== 'string') add(path, 'annotation value must be a string');
        else size += key.length + value.length;
      }
      if (size > MAX_ANNOTATIONS_SIZE)
        add('/metadata/annotations', `must be no more than ${MAX_ANNOTATIONS_SIZE} bytes in total`);
    }
  }

  if (finalizers !== undefined) {
    if (!Array.isArray(finalizers)) add('/metadata/finalizers', 'must be a list of strings');
    else
      finalizers.forEach((finalizer, i) => {
        const path = pointerOf('metadata', 'finalizers', i);
        if (typeof finalizer !== 'string') add(path, 'must be a string');
        else {
          const problem = qualifiedNameProblem(finalizer);
          if (problem) add(path, `finalizer ${problem}`);
        }
      });
  }
  return problems;
}
