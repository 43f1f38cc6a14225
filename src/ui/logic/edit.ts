/**
 * Editing a running environment with the wizard: its state prefilled from `GET
 * /api/v1/environments/{name}`, and the document a `PUT` sends back. The committed request holds a
 * `fromSecret` reference where a secret value is, never the value: the form leaves those fields
 * empty, and the server keeps the value of a secret the update leaves out; a value typed there is
 * a new one, which the server writes to the instance's Secret.
 */
import type { CatalogVersion, EnvironmentDocument, EnvironmentView, JsonValue } from '../../api/contract.js';
import { isSchema, isSecretSchema } from '../../core/browser.js';
import { emptyErrors } from './server-errors.js';
import { buildDocument, type InstanceDraft, type WizardState } from './wizard.js';

const isRecord = (v: unknown): v is Record<string, JsonValue> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** `name@range` (or `name`) → the entry's name. */
export function entryNameOf(reference: string): string {
  const at = reference.indexOf('@');
  return at === -1 ? reference : reference.slice(0, at);
}

function referenceOf(value: JsonValue): string | undefined {
  if (!isRecord(value)) return undefined;
  const keys = Object.keys(value);
  return keys.length === 1 && typeof value.fromOutput === 'string' ? value.fromOutput : undefined;
}

function isSecretReference(value: JsonValue): boolean {
  return isRecord(value) && Object.keys(value).length === 1 && isRecord(value.fromSecret);
}

/** The wizard's state for editing `view`, on its first step. */
export function editStateFrom(view: EnvironmentView): WizardState {
  const spec = view.spec ?? {};
  const name = view.metadata.name;
  const text = (v: unknown) => (typeof v === 'string' ? v : '');
  const pinned = new Map((view.status.versions ?? []).map((v) => [v.instance, v.version]));
  const catalogs = Array.isArray(spec.catalogs) ? spec.catalogs : [];
  const instances: InstanceDraft[] = catalogs.flatMap((instance, index) => {
    if (!isRecord(instance) || typeof instance.name !== 'string' || typeof instance.entry !== 'string')
      return [];
    const values: Record<string, JsonValue> = {};
    const references: Record<string, string> = {};
    for (const [key, value] of Object.entries(isRecord(instance.parameters) ? instance.parameters : {})) {
      const reference = referenceOf(value);
      if (reference !== undefined) references[key] = reference;
      else if (!isSecretReference(value)) values[key] = value;
    }
    const version =
      pinned.get(instance.name) ??
      (typeof instance.version === 'string' ? instance.version : undefined) ??
      (instance.entry.includes('@') ? instance.entry.slice(instance.entry.indexOf('@') + 1) : '');
    return [
      {
        id: index + 1,
        name: instance.name,
        entry: entryNameOf(instance.entry),
        version,
        values,
        references,
        running: { entry: instance.entry },
      },
    ];
  });
  return {
    step: 'details',
    details: {
      name,
      namespace: text(spec.namespace) || name,
      namespaceEdited: true,
      type: spec.type === 'release' ? 'release' : 'pre-release',
      description: text(spec.description),
      ttl: text(spec.ttl),
    },
    instances,
    nextId: instances.length + 1,
    errors: emptyErrors(),
  };
}

export type UpdateDocument = EnvironmentDocument & {
  metadata: EnvironmentDocument['metadata'] & { resourceVersion?: string };
};

function stringMap(value: unknown): Record<string, string> | undefined {
  if (!isRecord(value)) return undefined;
  const entries = Object.entries(value).filter((e): e is [string, string] => typeof e[1] === 'string');
  return entries.length > 0 ? Object.fromEntries(entries) : undefined;
}

/**
 * The `PUT` body: the whole request as the wizard holds it, with the resourceVersion it was read at
 * (a 409 if someone changed it since), and what the wizard does not show kept as read: labels,
 * annotations and the owner.
 */
export function updateDocument(
  state: Pick<WizardState, 'details' | 'instances'>,
  read: EnvironmentView,
): UpdateDocument {
  const document = buildDocument(state);
  const { resourceVersion, labels, annotations } = read.metadata;
  const owner = read.spec?.owner;
  const kept = { labels: stringMap(labels), annotations: stringMap(annotations) };
  return {
    ...document,
    metadata: {
      ...document.metadata,
      ...(kept.labels ? { labels: kept.labels } : {}),
      ...(kept.annotations ? { annotations: kept.annotations } : {}),
      ...(typeof resourceVersion === 'string' ? { resourceVersion } : {}),
    },
    spec: { ...document.spec, ...(typeof owner === 'string' ? { owner } : {}) },
  };
}

/** The secret parameters a running instance keeps when left empty (none for a new instance). */
export function keptSecrets(instance: InstanceDraft, version: CatalogVersion): string[] {
  if (!instance.running) return [];
  const properties = isSchema(version.parameters.properties) ? version.parameters.properties : {};
  const secret = Object.entries(properties)
    .filter(([, schema]) => isSchema(schema) && isSecretSchema(schema))
    .map(([name]) => name);
  return [...new Set([...version.secretParameters, ...secret])];
}
