/**
 * What the simulated API server checks and fills in on a write, as kube-apiserver's registry
 * strategies do: the body's kind, version, name and namespace against the request's, names
 * (generateName, the kind's name rule), labels, annotations and finalizers, the data maps of
 * Secrets and ConfigMaps (never echoing a Secret value), immutable Secrets and ConfigMaps, and
 * server-side defaults (a Secret's stringData and type, a Namespace's label, finalizer and phase).
 */
import {
  jsonEqual,
  isJsonObject,
  labelKeyProblem,
  labelValueProblem,
  type JsonObject,
} from '../core/index.js';
import type { InputError } from '../core/errors/index.js';
import { type KindSpec, apiVersionOf } from '../cluster/kinds.js';
import type { KubeObject } from '../cluster/types.js';
import { type StatusCause, StatusErrors } from './api-server-status.js';
import { type ObjectTarget, meta, str } from './api-server-objects.js';

const DATA_KEY = /^[-._a-zA-Z0-9]+$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const GENERATE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

export function generateName(prefix: string): string {
  let suffix = '';
  for (let i = 0; i < 5; i += 1)
    suffix += GENERATE_ALPHABET[Math.floor(Math.random() * GENERATE_ALPHABET.length)];
  return `${prefix}${suffix}`;
}

export function causesOf(error: InputError): StatusCause[] {
  return error.problems.map((p) => ({ reason: 'FieldValueInvalid', message: p.message, field: p.path }));
}

/** Server-side defaults, as the real API server sets them. */
export function applyDefaults(spec: KindSpec, object: KubeObject, operation: 'create' | 'update'): void {
  const body = object as JsonObject;
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
    const name = str(metadata.name);
    if (name)
      metadata.labels = {
        ...(isJsonObject(metadata.labels) ? metadata.labels : {}),
        'kubernetes.io/metadata.name': name,
      };
    if (operation === 'create') {
      const specField = isJsonObject(body.spec) ? body.spec : {};
      body.spec = {
        ...specField,
        finalizers: Array.isArray(specField.finalizers) ? specField.finalizers : ['kubernetes'],
      };
      body.status = { phase: 'Active' };
    }
  }
}

function invalidValue(field: string, shown: string, why: string): StatusCause {
  return { reason: 'FieldValueInvalid', message: `Invalid value: "${shown}": ${why}`, field };
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

/** Field validation common to all kinds, plus the data maps of Secrets and ConfigMaps. Never echoes a Secret value. */
export function validate(spec: KindSpec, object: KubeObject): StatusCause[] {
  const causes: StatusCause[] = [];
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
      throw StatusErrors.badRequest(`json: cannot unmarshal metadata.${field} into map[string]string`);
    for (const [key, value] of Object.entries(map)) {
      if (typeof value !== 'string')
        throw StatusErrors.badRequest(`json: cannot unmarshal metadata.${field}["${key}"] into string`);
      const keyProblem = labelKeyProblem(key);
      if (keyProblem) causes.push(invalidValue(`metadata.${field}`, key, keyProblem));
      if (field === 'labels') {
        const valueProblem = labelValueProblem(value);
        if (valueProblem) causes.push(invalidValue('metadata.labels', value, valueProblem));
      }
    }
  }
  const finalizers = metadata.finalizers;
  if (finalizers !== undefined && finalizers !== null) {
    if (!Array.isArray(finalizers) || finalizers.some((f) => typeof f !== 'string'))
      throw StatusErrors.badRequest('json: cannot unmarshal metadata.finalizers into []string');
  }
  if (spec.group === '' && (spec.kind === 'Secret' || spec.kind === 'ConfigMap')) {
    const body = object as JsonObject;
    const maps = spec.kind === 'Secret' ? ['data'] : ['data', 'binaryData'];
    for (const field of maps) {
      const map = body[field];
      if (map === undefined || map === null) continue;
      if (!isJsonObject(map)) throw StatusErrors.badRequest(`json: cannot unmarshal ${field} into a map`);
      for (const [key, value] of Object.entries(map)) {
        if (typeof value !== 'string')
          throw StatusErrors.badRequest(`json: cannot unmarshal ${field}["${key}"] into a string`);
        if (!DATA_KEY.test(key) || key.length > 253)
          causes.push(
            invalidValue(
              `${field}[${key}]`,
              key,
              "a valid config key must consist of alphanumeric characters, '-', '_' or '.'",
            ),
          );
        const base64 = spec.kind === 'Secret' || field === 'binaryData';
        // the real server fails decoding such a value; the value itself is never echoed
        if (base64 && !BASE64.test(value))
          throw StatusErrors.badRequest(`illegal base64 data in ${field}["${key}"]`);
      }
    }
  }
  return causes;
}

export function immutabilityCauses(current: KubeObject, next: KubeObject): StatusCause[] {
  const before = current as JsonObject;
  const after = next as JsonObject;
  if (before.immutable !== true) return [];
  const causes: StatusCause[] = [];
  if (after.immutable !== true)
    causes.push({
      reason: 'FieldValueForbidden',
      message: 'Forbidden: field is immutable when `immutable` is set',
      field: 'immutable',
    });
  for (const field of ['data', 'binaryData'])
    if (!jsonEqual(before[field], after[field]))
      causes.push({
        reason: 'FieldValueForbidden',
        message: 'Forbidden: field is immutable when `immutable` is set',
        field,
      });
  return causes;
}

/** A POST/PUT/apply body: an object of the target's kind and version; returns a copy. */
export function decodeBody(spec: KindSpec, body: unknown): KubeObject {
  if (!isJsonObject(body)) throw StatusErrors.badRequest('the request body must be a JSON object');
  const apiVersion = apiVersionOf(spec);
  if (body.apiVersion !== undefined && body.apiVersion !== apiVersion)
    throw StatusErrors.badRequest(
      `the API version in the data (${String(body.apiVersion)}) does not match the expected API version (${apiVersion})`,
    );
  if (body.kind !== undefined && body.kind !== spec.kind)
    throw StatusErrors.badRequest(
      `the kind in the data (${String(body.kind)}) does not match the expected kind (${spec.kind})`,
    );
  if (body.metadata !== undefined && !isJsonObject(body.metadata))
    throw StatusErrors.badRequest(
      'json: cannot unmarshal into Go struct field .metadata of type v1.ObjectMeta',
    );
  const object = structuredClone(body) as JsonObject;
  object.apiVersion = apiVersion;
  object.kind = spec.kind;
  object.metadata = isJsonObject(object.metadata) ? object.metadata : {};
  return object as KubeObject;
}

/** PUT/patch: the name and namespace in the data must be those of the URL. */
export function checkIdentity(target: ObjectTarget, next: KubeObject): void {
  const metadata = meta(next);
  if (metadata.name !== undefined && metadata.name !== target.name)
    throw StatusErrors.badRequest(
      `the name of the object (${String(metadata.name)}) does not match the name on the URL (${target.name})`,
    );
  if (target.spec.namespaced) checkNamespace(target, metadata);
}

/** A namespace in the data, if any, must be the one the request was sent to. */
export function checkNamespace(target: { namespace?: string | undefined }, metadata: JsonObject): void {
  if (
    metadata.namespace !== undefined &&
    metadata.namespace !== '' &&
    metadata.namespace !== target.namespace
  )
    throw StatusErrors.badRequest(
      'the namespace of the provided object does not match the namespace sent on the request',
    );
}
