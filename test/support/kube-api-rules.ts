/**
 * The rules of kube-apiserver the in-memory cluster twin (memory-cluster-client.ts) follows, as
 * pure functions: its Status failures (with the messages of apimachinery's `errors.New*`, which the
 * twin turns into typed errors with src/cluster's errorFromStatus, as KubeClusterClient does),
 * validation of names, labels, finalizers and data keys, and the defaults a real server sets.
 */
import { labelKeyProblem, labelValueProblem, type JsonObject } from '../../src/core/index.js';
import type { KindSpec, KubeObject, StatusLike } from '../../src/cluster/index.js';
import { isJsonObject } from './merge-patch.js';

/** A failure as kube-apiserver answers it: the twin turns its Status into the typed error KubeClusterClient raises. */
export class StatusFailure extends Error {
  constructor(readonly status: StatusLike & { code: number }) {
    super(status.message);
  }
}

export interface Cause {
  reason: string;
  message: string;
  field: string;
}

/** Metadata the server sets; what a client sends for these is ignored (apply does not own them). */
export const SERVER_METADATA = [
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'managedFields',
  'selfLink',
];
/** Metadata a write cannot change: kept from the stored object. */
export const KEPT_METADATA = [
  'name',
  'namespace',
  'uid',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
];

const DATA_KEY = /^[-._a-zA-Z0-9]+$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const GENERATE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

export const STALE =
  'the object has been modified; please apply your changes to the latest version and try again';

// ---- the Status messages of kube-apiserver (as src/simulator/api-server-status.ts shapes them)

/** `workspaces.tf.m.upbound.io`, or `secrets` for the core group. */
function resourceName(spec: Pick<KindSpec, 'group' | 'plural'>): string {
  return spec.group ? `${spec.plural}.${spec.group}` : spec.plural;
}

export const fail = {
  notFound: (spec: Pick<KindSpec, 'group' | 'plural'>, name: string) =>
    new StatusFailure({
      code: 404,
      reason: 'NotFound',
      message: `${resourceName(spec)} "${name}" not found`,
    }),
  noRoute: () =>
    new StatusFailure({
      code: 404,
      reason: 'NotFound',
      message: 'the server could not find the requested resource',
    }),
  alreadyExists: (spec: KindSpec, name: string) =>
    new StatusFailure({
      code: 409,
      reason: 'AlreadyExists',
      message: `${resourceName(spec)} "${name}" already exists`,
    }),
  conflict: (spec: KindSpec, name: string, why: string) =>
    new StatusFailure({
      code: 409,
      reason: 'Conflict',
      message: `Operation cannot be fulfilled on ${resourceName(spec)} "${name}": ${why}`,
    }),
  invalid: (spec: KindSpec, name: string, causes: Cause[]) => {
    const qualifiedKind = spec.group ? `${spec.kind}.${spec.group}` : spec.kind;
    const parts = causes.map((c) => `${c.field}: ${c.message}`);
    const joined = parts.length === 1 ? parts[0]! : `[${parts.join(', ')}]`;
    return new StatusFailure({
      code: 422,
      reason: 'Invalid',
      message: `${qualifiedKind} "${name}" is invalid: ${joined}`,
      details: { causes },
    });
  },
  badRequest: (message: string) => new StatusFailure({ code: 400, reason: 'BadRequest', message }),
  forbidden: (spec: KindSpec, name: string, why: string) =>
    new StatusFailure({
      code: 403,
      reason: 'Forbidden',
      message: `${resourceName(spec)} "${name}" is forbidden: ${why}`,
    }),
};

// ---- pure helpers

export function timestamp(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function meta(object: KubeObject): JsonObject {
  return object.metadata as unknown as JsonObject;
}

export function finalizersOf(object: KubeObject): string[] {
  const finalizers = object.metadata.finalizers;
  return Array.isArray(finalizers) ? finalizers.filter((f) => typeof f === 'string') : [];
}

/** What generation tracks: everything but metadata and status. */
export function specPart(object: KubeObject): Record<string, unknown> {
  const { metadata: _metadata, status: _status, ...rest } = object;
  return rest;
}

/** `apiVersion`, `kind` and `metadata` first, as the real server writes objects. */
export function canonical(object: KubeObject): KubeObject {
  const { apiVersion, kind, metadata, ...rest } = object;
  return { apiVersion, kind, metadata, ...rest };
}

function nameProblem(spec: KindSpec, name: string): string | undefined {
  switch (spec.nameRule ?? 'subdomain') {
    case 'label':
      return name.length <= 63 && DNS1123_LABEL.test(name)
        ? undefined
        : "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character";
    case 'subdomain':
      return name.length <= 253 && DNS1123_SUBDOMAIN.test(name)
        ? undefined
        : "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character";
    case 'path-segment':
      return name === '.' || name === '..' || /[/%]/.test(name)
        ? 'may not be "." or "..", or contain "/" or "%"'
        : undefined;
  }
}

function invalidValue(field: string, shown: string, why: string): Cause {
  return { reason: 'FieldValueInvalid', message: `Invalid value: "${shown}": ${why}`, field };
}

/** Name, labels, annotations, finalizers, and the data maps of Secrets and ConfigMaps. Never echoes a Secret value. */
export function validate(spec: KindSpec, object: KubeObject): Cause[] {
  const causes: Cause[] = [];
  const metadata = meta(object);
  const name = metadata.name;
  if (typeof name !== 'string' || name === '') {
    causes.push({
      reason: 'FieldValueRequired',
      message: 'Required value: name or generateName is required',
      field: 'metadata.name',
    });
  } else {
    const problem = nameProblem(spec, name);
    if (problem) causes.push(invalidValue('metadata.name', name, problem));
  }
  for (const field of ['labels', 'annotations'] as const) {
    const map = metadata[field];
    if (map === undefined || map === null) continue;
    if (!isJsonObject(map))
      throw fail.badRequest(`json: cannot unmarshal metadata.${field} into map[string]string`);
    for (const [key, value] of Object.entries(map)) {
      if (typeof value !== 'string')
        throw fail.badRequest(`json: cannot unmarshal metadata.${field}["${key}"] into string`);
      const keyProblem = labelKeyProblem(key);
      if (keyProblem) causes.push(invalidValue(`metadata.${field}`, key, keyProblem));
      const valueProblem = field === 'labels' ? labelValueProblem(value) : undefined;
      if (valueProblem) causes.push(invalidValue('metadata.labels', value, valueProblem));
    }
  }
  const finalizers = metadata.finalizers;
  if (
    finalizers !== undefined &&
    finalizers !== null &&
    (!Array.isArray(finalizers) || finalizers.some((f) => typeof f !== 'string'))
  )
    throw fail.badRequest('json: cannot unmarshal metadata.finalizers into []string');
  if (spec.group === '' && (spec.kind === 'Secret' || spec.kind === 'ConfigMap')) {
    const body = object as unknown as JsonObject;
    for (const field of spec.kind === 'Secret' ? ['data'] : ['data', 'binaryData']) {
      const map = body[field];
      if (map === undefined || map === null) continue;
      if (!isJsonObject(map)) throw fail.badRequest(`json: cannot unmarshal ${field} into a map`);
      for (const [key, value] of Object.entries(map)) {
        if (typeof value !== 'string')
          throw fail.badRequest(`json: cannot unmarshal ${field}["${key}"] into a string`);
        if (!DATA_KEY.test(key) || key.length > 253)
          causes.push(
            invalidValue(
              `${field}[${key}]`,
              key,
              "a valid config key must consist of alphanumeric characters, '-', '_' or '.'",
            ),
          );
        if ((spec.kind === 'Secret' || field === 'binaryData') && !BASE64.test(value))
          throw fail.badRequest(`illegal base64 data in ${field}["${key}"]`);
      }
    }
  }
  return causes;
}

/** What a real server sets on Secrets (stringData folded into data, type Opaque) and new Namespaces. */
export function applyDefaults(spec: KindSpec, object: KubeObject, operation: 'create' | 'update'): void {
  const body = object as unknown as JsonObject;
  if (spec.group === '' && spec.kind === 'Secret') {
    if (isJsonObject(body.stringData)) {
      const data: JsonObject = isJsonObject(body.data) ? { ...body.data } : {};
      for (const [key, value] of Object.entries(body.stringData))
        if (typeof value === 'string') data[key] = Buffer.from(value, 'utf8').toString('base64');
      body.data = data;
      delete body.stringData;
    }
    if (body.type === undefined || body.type === '') body.type = 'Opaque';
  }
  if (spec.group === '' && spec.kind === 'Namespace') {
    const metadata = meta(object);
    if (typeof metadata.name === 'string')
      metadata.labels = {
        ...(isJsonObject(metadata.labels) ? metadata.labels : {}),
        'kubernetes.io/metadata.name': metadata.name,
      };
    if (operation === 'create') {
      const namespaceSpec = isJsonObject(body.spec) ? body.spec : {};
      body.spec = {
        ...namespaceSpec,
        finalizers: Array.isArray(namespaceSpec.finalizers) ? namespaceSpec.finalizers : ['kubernetes'],
      };
      body.status = { phase: 'Active' };
    }
  }
}

export function randomSuffix(): string {
  let suffix = '';
  for (let i = 0; i < 5; i += 1)
    suffix += GENERATE_ALPHABET[Math.floor(Math.random() * GENERATE_ALPHABET.length)];
  return suffix;
}
