/**
 * An update replaces the whole request, as `kubectl apply` does, with three things carried over
 * from the request that runs: a secret parameter the update leaves out keeps its value (the
 * committed request holds a `fromSecret` reference to it, never the value); an instance keeps
 * the version it is pinned to (only an upgrade moves it); and envcat's own annotations (a retry's
 * time; the revisions of the instances' secret values, secret-revision.ts) stay. What may not
 * change is refused with a pointer: the name, the namespace, and an instance's entry. Pure:
 * validation of the result is checkEnvironment's, as for a create.
 */
import { isRecord } from '../json/index.js';
import { parseEntryReference, type Catalog } from '../catalog/catalog.js';
import type { JsonValue } from '../catalog/types.js';
import type { Problem } from '../errors/index.js';
import { ANNOTATION, SECRET_REVISION_PREFIX } from '../layout/index.js';
import { carrySecretRevisions } from './secret-revision.js';

/** Metadata a client reads back (GET) and sends again; it is not part of the request. */
const READ_ONLY_METADATA = ['resourceVersion', 'creationTimestamp', 'uid', 'generation'] as const;

/** envcat's annotations on a committed request, which an update does not remove. */
const KEPT_ANNOTATIONS = [ANNOTATION.retryAt] as const;

export type UpdateMerge = { document: Record<string, JsonValue> } | { problems: Problem[] };

export function mergeUpdate(args: {
  name: string;
  /** The request as committed (parsed environment.yaml). */
  current: Record<string, JsonValue>;
  /** The whole request as the client sent it (secret values included). */
  input: unknown;
  catalog: Catalog;
}): UpdateMerge {
  const { name, current, input, catalog } = args;
  if (!isRecord(input)) return { problems: [{ path: '', message: 'must be an Environment object' }] };
  const document = structuredClone(input) as Record<string, JsonValue>;
  const problems: Problem[] = [];

  const metadata = isRecord(document.metadata) ? (document.metadata as Record<string, JsonValue>) : undefined;
  if (metadata) {
    for (const key of READ_ONLY_METADATA) delete metadata[key];
    if (metadata.name !== name)
      problems.push({
        path: '/metadata/name',
        message: `must be "${name}": an environment cannot be renamed (create a new one and delete this one)`,
      });
    const kept = annotationsOf(current.metadata, KEPT_ANNOTATIONS);
    if (Object.keys(kept).length > 0) {
      const annotations = isRecord(metadata.annotations) ? metadata.annotations : {};
      metadata.annotations = { ...annotations, ...kept } as Record<string, JsonValue>;
    }
  }

  const currentSpec = isRecord(current.spec) ? current.spec : {};
  const spec = isRecord(document.spec) ? (document.spec as Record<string, JsonValue>) : undefined;
  if (spec) {
    // Left out, it stays what it is (it cannot change anyway).
    const namespaceNow = typeof currentSpec.namespace === 'string' ? currentSpec.namespace : name;
    if (spec.namespace !== undefined && spec.namespace !== namespaceNow)
      problems.push({
        path: '/spec/namespace',
        message: `must stay "${namespaceNow}": an environment's namespace cannot be changed`,
      });
    if (spec.namespace === undefined && currentSpec.namespace !== undefined) spec.namespace = namespaceNow;
    // Who owns it does not change by leaving it out.
    if (spec.owner === undefined && typeof currentSpec.owner === 'string') spec.owner = currentSpec.owner;
  }

  const running = new Map<string, Record<string, JsonValue>>();
  for (const instance of Array.isArray(currentSpec.catalogs) ? currentSpec.catalogs : [])
    if (isRecord(instance) && typeof instance.name === 'string')
      running.set(instance.name, instance as Record<string, JsonValue>);

  const instances = spec && Array.isArray(spec.catalogs) ? spec.catalogs : [];
  instances.forEach((instance, index) => {
    if (!isRecord(instance) || typeof instance.name !== 'string') return;
    const before = running.get(instance.name);
    if (!before) return; // a new instance: a create of its own, resolved and pinned as one
    const entryNow = entryName(before.entry);
    const entry = entryName(instance.entry);
    if (entryNow !== undefined && entry !== undefined && entry !== entryNow) {
      problems.push({
        path: `/spec/catalogs/${index}/entry`,
        message: `must stay "${entryNow}": an instance's entry cannot be changed (remove the instance and add one with another name)`,
      });
      return;
    }
    if (instance.version === undefined && typeof before.version === 'string')
      instance.version = before.version;
    carrySecrets({ instance, before, catalog });
  });

  if (metadata) carryRevisions({ metadata, current, instances, running });
  return problems.length > 0 ? { problems } : { document };
}

/** The secret revisions are envcat's (secret-revision.ts): those of the instances kept are carried over. */
function carryRevisions(args: {
  metadata: Record<string, JsonValue>;
  current: Record<string, JsonValue>;
  instances: JsonValue[];
  running: ReadonlyMap<string, unknown>;
}): void {
  const { metadata, current, instances, running } = args;
  const currentAnnotations = isRecord(current.metadata) ? current.metadata.annotations : undefined;
  const revisionsIn = (annotations: unknown) =>
    isRecord(annotations) && Object.keys(annotations).some((k) => k.startsWith(SECRET_REVISION_PREFIX));
  if (!revisionsIn(metadata.annotations) && !revisionsIn(currentAnnotations)) return;
  const kept = new Set(
    instances.flatMap((i) =>
      isRecord(i) && typeof i.name === 'string' && running.has(i.name) ? [i.name] : [],
    ),
  );
  const annotations = carrySecretRevisions({
    annotations: metadata.annotations,
    current: currentAnnotations,
    kept,
  });
  if (annotations) metadata.annotations = annotations;
  else delete metadata.annotations;
}

/** Secret parameters the update leaves out keep the reference the running request has. */
function carrySecrets(args: {
  instance: Record<string, JsonValue>;
  before: Record<string, JsonValue>;
  catalog: Catalog;
}): void {
  const { instance, before, catalog } = args;
  const previous = isRecord(before.parameters) ? before.parameters : {};
  const reference = typeof before.entry === 'string' ? before.entry : '';
  const pinned = typeof before.version === 'string' ? before.version : undefined;
  const parsed = parseEntryReference(reference);
  const resolution =
    'problem' in parsed
      ? undefined
      : pinned !== undefined
        ? catalog.versions(parsed.name).find((e) => e.version === pinned)
        : (() => {
            const r = catalog.resolve(reference);
            return 'entry' in r ? r.entry : undefined;
          })();
  const secrets = resolution?.secretParameters.map((s) => s.name) ?? [];
  const parameters = isRecord(instance.parameters) ? (instance.parameters as Record<string, JsonValue>) : {};
  let carried = false;
  for (const secret of secrets) {
    if (parameters[secret] === undefined && previous[secret] !== undefined) {
      parameters[secret] = structuredClone(previous[secret]) as JsonValue;
      carried = true;
    }
  }
  if (carried || instance.parameters !== undefined) instance.parameters = parameters;
}

function entryName(entry: unknown): string | undefined {
  if (typeof entry !== 'string') return undefined;
  const parsed = parseEntryReference(entry);
  return 'problem' in parsed ? undefined : parsed.name;
}

function annotationsOf(metadata: unknown, keys: readonly string[]): Record<string, string> {
  const annotations = isRecord(metadata) && isRecord(metadata.annotations) ? metadata.annotations : {};
  const kept: Record<string, string> = {};
  for (const key of keys) if (typeof annotations[key] === 'string') kept[key] = annotations[key];
  return kept;
}
