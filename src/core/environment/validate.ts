/**
 * Validates an Environment request against the catalog, all before anything is written, and
 * reports every problem at once with a JSON pointer into the request. Secret values never appear
 * in a message.
 */
import { depthProblem, valueTooDeep } from '../json/index.js';
import type { ValidateFunction } from 'ajv';
import type { Catalog } from '../catalog/catalog.js';
import type { CatalogEntry, JsonSchema, JsonValue } from '../catalog/types.js';
import { isSecretSchema } from '../catalog/schema-keywords.js';
import { InputError, type Problem } from '../errors/index.js';
import {
  dns1123LabelProblem,
  dns1123SubdomainProblem,
  joinPointer,
  labelKeyProblem,
  labelValueProblem,
  pointer,
} from '../names/index.js';
import { planSteps, type Part, type Plan, type PlanInstance } from '../plan/index.js';
import { ajvProblems, createAjv } from '../schema/index.js';
import { schemaIncompatibility } from './compatibility.js';
import { resolveInstanceVersion } from './versions.js';
import { parseDuration } from './duration.js';
import { notifyUrlProblem, notifyUrlShapeProblem } from '../notify/policy.js';
import { copyJson } from './json-copy.js';
import { SECRET_REVISION_PROBLEM, parseSecretRevision, secretRevisionKey } from './secret-revision.js';
import { asOutputReference, asSecretReference, environmentSchema } from './schema.js';
import type {
  EnvironmentDocument,
  OutputReference,
  PinSource,
  ResolvedEnvironment,
  ResolvedInstance,
  SecretSource,
} from './types.js';

export interface EnvironmentLimits {
  maxRequestBytes: number;
  maxInstances: number;
  maxParameterBytes: number;
  minTtlSeconds: number;
  maxTtlSeconds: number;
  /** Bounds of `spec.timeouts` values. */
  minTimeoutSeconds: number;
  maxTimeoutSeconds: number;
}

/** `spec.timeouts` defaults, in seconds: how long a step may take to be Ready. */
export const DEFAULT_STEP_TIMEOUTS = { infra: 30 * 60, apps: 10 * 60 } as const;

export const DEFAULT_LIMITS: EnvironmentLimits = {
  maxRequestBytes: 256 * 1024,
  maxInstances: 50,
  maxParameterBytes: 64 * 1024,
  minTtlSeconds: 60,
  maxTtlSeconds: 90 * 24 * 3600,
  minTimeoutSeconds: 1,
  maxTimeoutSeconds: 7 * 24 * 3600,
};

/** Namespaces an environment may never take over. */
export const RESERVED_NAMESPACES = new Set([
  'default',
  'kube-system',
  'kube-public',
  'kube-node-lease',
  'argocd',
  'crossplane-system',
  'envcat-system',
]);

/** Why an environment may not take this (valid) namespace, if it may not. */
export function reservedNamespaceProblem(namespace: string): string | undefined {
  return RESERVED_NAMESPACES.has(namespace) || namespace.startsWith('kube-')
    ? `namespace "${namespace}" is reserved`
    : undefined;
}

/** Helm release names are limited to 53 characters; an instance name becomes one. */
export const MAX_INSTANCE_NAME = 53;
/** `<environment>-<instance>` names Workspaces and Applications and is a label value: 63 at most. */
export const MAX_QUALIFIED_NAME = 63;

const SECRET_KEY = /^[-._a-zA-Z0-9]{1,253}$/;
const OUTPUT_REFERENCE = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?)\.([A-Za-z][A-Za-z0-9_]*)$/;

// Without the meta-schema check, which would first compile the meta-schema in this instance
// (~30–50 ms at each start): environmentSchema is fixed, and validate.test.ts checks it.
const ajv = createAjv({ strict: false, validateSchema: false });
const validateDocument = ajv.compile(environmentSchema);
const parameterValidators = new WeakMap<CatalogEntry, ValidateFunction>();

function parameterValidator(entry: CatalogEntry): ValidateFunction {
  let validate = parameterValidators.get(entry);
  if (!validate) {
    const { $id: _id, ...schema } = entry.document.spec.parameters;
    if (!('additionalProperties' in schema) && !('unevaluatedProperties' in schema))
      schema.additionalProperties = false;
    // The schema passed validateEntry's meta-schema check; checking it again here would first
    // compile the meta-schema in this new instance (~30–50 ms an entry).
    validate = createAjv({ useDefaults: true, validateSchema: false }).compile(schema);
    parameterValidators.set(entry, validate);
  }
  return validate;
}

/** Compiles an entry's parameter schema now, ahead of its first request (which would compile it). */
export function prepareParameterValidation(entry: CatalogEntry): void {
  parameterValidator(entry);
}

interface ResolvedRequest {
  index: number;
  name: string;
  entry: CatalogEntry;
  pinnedFrom: PinSource;
}

/** Which step of an instance consumes a parameter: a hybrid's Terraform variables go to infra. */
export function consumerPart(entry: CatalogEntry, param: string): Part {
  const type = entry.document.spec.type;
  return type === 'iac'
    ? 'infra'
    : type === 'yaml'
      ? 'apps'
      : entry.terraform?.variables.has(param)
        ? 'infra'
        : 'apps';
}

export interface EnvironmentCheck {
  environment?: ResolvedEnvironment;
  plan?: Plan;
  problems: Problem[];
}

export interface CheckOptions {
  limits?: Partial<EnvironmentLimits>;
  /**
   * For an instance the request does not pin (no `version`): the `envcat.io/entry-version` labels
   * its files in Git carry, if it has any. It is pinned to that version rather than the newest.
   */
  rendered?: (instance: string) => readonly string[];
  /**
   * ENVCAT_NOTIFY_ALLOW's host patterns: given, `spec.notify` URLs are held to the send policy
   * (https, no internal address unless allow-listed); without it only to being http(s) URLs (a
   * request read from Git is not made Invalid by the service's settings; the sender checks again).
   */
  notifyAllow?: readonly string[];
}

const byteLength = (value: unknown) => Buffer.byteLength(JSON.stringify(value) ?? '');

export function checkEnvironment(
  input: unknown,
  catalog: Catalog,
  options: CheckOptions = {},
): EnvironmentCheck {
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  const problems: Problem[] = [];
  const at = (path: string, message: string) => problems.push({ path, message });

  // The private copy that becomes the document written to Git, and the request's size as JSON.
  // Plain data is copied directly, with a bound of that size; data that is not plain, or whose bound
  // passes the limit, takes the round trip through JSON text, which measures it exactly.
  const copied = copyJson(input, limits.maxRequestBytes);
  // The copy stops at the nesting limit; nothing recursive (JSON.stringify, ajv) may see a document
  // nested deeper than it, so before the round trip, look (without recursion) for where it is crossed.
  if (!copied) {
    const tooDeep = valueTooDeep(input);
    if (tooDeep !== undefined) return { problems: [depthProblem(tooDeep)] };
  }
  let json: string | undefined;
  let size: number;
  if (copied) size = copied.maxBytes;
  else {
    json = JSON.stringify(input) ?? '';
    size = Buffer.byteLength(json);
  }
  if (size > limits.maxRequestBytes) {
    at('', `request is ${size} bytes; the limit is ${limits.maxRequestBytes}`);
    return { problems };
  }
  if (!validateDocument(input)) {
    for (const p of ajvProblems(validateDocument.errors, '', environmentSchema as JsonValue))
      at(p.path, p.message);
    return { problems };
  }
  const doc = input as unknown as EnvironmentDocument;
  const { metadata, spec } = doc;

  const nameProblem = dns1123LabelProblem(metadata.name);
  if (nameProblem) at('/metadata/name', nameProblem);
  const namespace = spec.namespace ?? metadata.name;
  const nsPointer = spec.namespace === undefined ? '/metadata/name' : '/spec/namespace';
  // Without spec.namespace the namespace is the name: its problem is the name's, reported once.
  const nsProblem = dns1123LabelProblem(namespace);
  if (nsProblem) {
    if (spec.namespace !== undefined) at(nsPointer, nsProblem);
  } else {
    const reserved = reservedNamespaceProblem(namespace);
    if (reserved) at(nsPointer, reserved);
  }
  for (const [kind, map] of [
    ['labels', metadata.labels],
    ['annotations', metadata.annotations],
  ] as const) {
    for (const [key, value] of Object.entries(map ?? {})) {
      if (labelKeyProblem(key)) at(pointer('metadata', kind, key), 'is not a valid Kubernetes key');
      if (kind === 'labels' && labelValueProblem(value))
        at(pointer('metadata', kind, key), 'is not a valid label value');
    }
  }
  let ttlSeconds: number | undefined;
  if (spec.ttl !== undefined) {
    ttlSeconds = parseDuration(spec.ttl);
    if (ttlSeconds === undefined) at('/spec/ttl', 'must be a duration such as 30m, 24h, 7d or 1d12h');
    else if (ttlSeconds < limits.minTtlSeconds || ttlSeconds > limits.maxTtlSeconds) {
      at('/spec/ttl', `must be between ${limits.minTtlSeconds}s and ${limits.maxTtlSeconds / 86400}d`);
    }
  }
  (spec.notify ?? []).forEach((target, i) => {
    const problem = options.notifyAllow
      ? notifyUrlProblem(target.url, options.notifyAllow)
      : notifyUrlShapeProblem(target.url);
    if (problem) at(`/spec/notify/${i}/url`, problem);
  });
  const timeouts: { infra: number; apps: number } = { ...DEFAULT_STEP_TIMEOUTS };
  for (const part of ['infra', 'apps'] as const) {
    const text = spec.timeouts?.[part];
    if (text === undefined) continue;
    const seconds = parseDuration(text);
    if (seconds === undefined)
      at(`/spec/timeouts/${part}`, 'must be a duration such as 90s, 10m, 1h or 1h30m');
    else if (seconds < limits.minTimeoutSeconds || seconds > limits.maxTimeoutSeconds)
      at(
        `/spec/timeouts/${part}`,
        `must be between ${limits.minTimeoutSeconds}s and ${limits.maxTimeoutSeconds / 86400}d`,
      );
    else timeouts[part] = seconds;
  }
  if (spec.catalogs.length > limits.maxInstances) {
    at('/spec/catalogs', `has ${spec.catalogs.length} instances; the limit is ${limits.maxInstances}`);
  }

  // Instances: names and entries.
  const seen = new Map<string, number>();
  const resolved: Array<ResolvedRequest | undefined> = new Array(spec.catalogs.length);
  for (let index = 0; index < spec.catalogs.length; index++) {
    const request = spec.catalogs[index]!;
    const base = `/spec/catalogs/${index}`;
    const problem = dns1123LabelProblem(request.name, MAX_INSTANCE_NAME);
    if (problem) at(`${base}/name`, problem);
    else if (!nameProblem && metadata.name.length + 1 + request.name.length > MAX_QUALIFIED_NAME) {
      at(
        `${base}/name`,
        `"${metadata.name}-${request.name}" names its resources and must be at most ${MAX_QUALIFIED_NAME} characters`,
      );
    }
    if (seen.has(request.name))
      at(`${base}/name`, `duplicates the instance name of /spec/catalogs/${seen.get(request.name)}`);
    else seen.set(request.name, index);
    const resolution = resolveInstanceVersion({
      catalog,
      entry: request.entry,
      ...(request.version !== undefined ? { version: request.version } : {}),
      ...(request.version === undefined && options.rendered
        ? { rendered: options.rendered(request.name) }
        : {}),
    });
    if ('problem' in resolution) {
      at(`${base}/${resolution.field}`, resolution.problem);
      resolved[index] = undefined;
    } else
      resolved[index] = {
        index,
        name: request.name,
        entry: resolution.entry,
        pinnedFrom: resolution.pinnedFrom,
      };
  }
  const byName = new Map<string, ResolvedRequest>();
  for (const r of resolved) if (r && !byName.has(r.name)) byName.set(r.name, r);

  // Parameters.
  const instances: ResolvedInstance[] = [];
  const planInput: PlanInstance[] = [];
  for (let index = 0; index < spec.catalogs.length; index++) {
    const request = spec.catalogs[index]!;
    const r = resolved[index];
    if (!r) continue;
    const base = `/spec/catalogs/${index}/parameters`;
    const given = request.parameters ?? {};
    // No instance can be larger than the whole request: measure only when it could be over.
    if (size > limits.maxParameterBytes && byteLength(given) > limits.maxParameterBytes) {
      at(base, `parameters take ${byteLength(given)} bytes; the limit is ${limits.maxParameterBytes}`);
      continue;
    }
    const entry = r.entry;
    const properties = (entry.document.spec.parameters.properties ?? {}) as Record<string, JsonSchema>;
    // ajv fills in defaults, also inside nested objects: it works on a copy, never on the input.
    const data: Record<string, JsonValue> = {};
    const secrets: Record<string, SecretSource> = {};
    const references: Record<string, OutputReference> = {};
    const notLiteral = new Set<string>();
    const consumes: PlanInstance['consumes'] = [];
    const type = entry.document.spec.type;

    for (const param of Object.keys(given)) {
      const value = given[param] as JsonValue;
      const paramSchema = properties[param];
      const secret = paramSchema !== undefined && isSecretSchema(paramSchema);
      const ref = asOutputReference(value);
      const secretRef = ref === undefined ? asSecretReference(value) : undefined;
      if (ref !== undefined) {
        notLiteral.add(param);
        const ptr = joinPointer(base, param);
        if (!paramSchema) {
          at(ptr, `is not a parameter of ${entry.name}@${entry.version}`);
          continue;
        }
        const part = consumerPart(entry, param);
        const reference = checkReference({
          ref,
          ptr,
          param,
          consumer: r,
          paramSchema,
          secret,
          byName,
          consumerPart: part,
          at,
        });
        if (!reference) continue;
        consumes.push({ part, from: reference.from, pointer: reference.pointer });
        if (secret) secrets[param] = { kind: 'output', reference };
        else references[param] = reference;
      } else if (secretRef !== undefined) {
        notLiteral.add(param);
        const ptr = joinPointer(base, param);
        if (secretRef === null)
          at(
            joinPointer(ptr, 'fromSecret'),
            'must be { name, key } of a Secret in the environment namespace',
          );
        else if (!paramSchema) at(ptr, `is not a parameter of ${entry.name}@${entry.version}`);
        else if (!secret) at(ptr, 'fromSecret is only for secret parameters');
        else if (dns1123SubdomainProblem(secretRef.name) || !SECRET_KEY.test(secretRef.key)) {
          at(joinPointer(ptr, 'fromSecret'), 'names no valid Secret and key');
        } else secrets[param] = { kind: 'secretRef', name: secretRef.name, key: secretRef.key };
      } else {
        data[param] = value !== null && typeof value === 'object' ? structuredClone(value) : value;
      }
    }

    const validate = parameterValidator(entry);
    if (!validate(data)) {
      for (const p of ajvProblems(validate.errors, base, entry.document.spec.parameters)) {
        const member = p.path.slice(base.length + 1).split('/')[0] ?? '';
        if (p.keyword === 'required' && notLiteral.has(member) && p.path === joinPointer(base, member))
          continue;
        at(p.path, p.message);
      }
    }
    const values: Record<string, JsonValue> = {};
    for (const param of Object.keys(data)) {
      if (notLiteral.has(param)) continue; // a default ajv filled in for a referenced parameter
      const value = data[param] as JsonValue;
      const paramSchema = properties[param];
      if (paramSchema && isSecretSchema(paramSchema)) {
        if (typeof value === 'string') secrets[param] = { kind: 'literal', value };
      } else values[param] = value;
    }
    const revisionKey = secretRevisionKey(r.name);
    const secretRevision = parseSecretRevision(metadata.annotations?.[revisionKey]);
    if (secretRevision === undefined)
      at(pointer('metadata', 'annotations', revisionKey), SECRET_REVISION_PROBLEM);
    instances.push({
      name: r.name,
      index,
      entry,
      pinnedFrom: r.pinnedFrom,
      values,
      secrets,
      references,
      secretRevision: secretRevision ?? 0,
    });
    planInput.push({ name: r.name, infra: type !== 'yaml', apps: type !== 'iac', consumes });
  }

  let plan: Plan | undefined;
  if (problems.length === 0) {
    const result = planSteps(planInput);
    if ('cycle' in result) {
      const where = result.cycle.pointers[0] ?? '/spec/catalogs';
      at(
        where,
        `references form a cycle: ${[...result.cycle.instances, result.cycle.instances[0]].join(' → ')}`,
      );
    } else plan = result.plan;
  }
  if (problems.length > 0) return { problems };

  const environment: ResolvedEnvironment = {
    name: metadata.name,
    namespace,
    type: spec.type,
    description: spec.description,
    owner: spec.owner,
    ttl: spec.ttl,
    ttlSeconds,
    notify: (spec.notify ?? []).map((t) => ({ url: t.url })),
    timeouts,
    labels: metadata.labels ?? {},
    annotations: metadata.annotations ?? {},
    isolation: spec.isolation ?? {},
    instances,
    document: pinVersions(
      redactSecrets((copied ? copied.copy : JSON.parse(json ?? '')) as EnvironmentDocument, instances),
      instances,
    ),
  };
  return { environment, plan, problems };
}

/** Throws an InputError with every problem, or returns the resolved environment and its plan. */
export function validateEnvironment(
  input: unknown,
  catalog: Catalog,
  options: CheckOptions = {},
): { environment: ResolvedEnvironment; plan: Plan } {
  const check = checkEnvironment(input, catalog, options);
  if (!check.environment || !check.plan) throw new InputError(check.problems);
  return { environment: check.environment, plan: check.plan };
}

function checkReference(args: {
  ref: string;
  ptr: string;
  param: string;
  consumer: ResolvedRequest;
  paramSchema: JsonSchema;
  secret: boolean;
  byName: Map<string, ResolvedRequest>;
  consumerPart: Part;
  at: (path: string, message: string) => void;
}): OutputReference | undefined {
  const { ref, param, consumer, paramSchema, secret, byName, at } = args;
  const ptr = joinPointer(args.ptr, 'fromOutput');
  const m = OUTPUT_REFERENCE.exec(ref);
  if (!m) {
    at(ptr, 'must be <instance>.<output>');
    return undefined;
  }
  const from = m[1] as string;
  const output = m[3] as string;
  if (from === consumer.name) {
    at(
      ptr,
      'an instance cannot take its own output (a hybrid entry uses ${{ outputs.<name> }} in its templates)',
    );
    return undefined;
  }
  const producer = byName.get(from);
  if (!producer) {
    at(ptr, `no instance named "${from}" in this environment`);
    return undefined;
  }
  const producerType = producer.entry.document.spec.type;
  if (producerType === 'yaml') {
    const consumerWhat = args.consumerPart === 'infra' ? 'an infrastructure step' : 'a step';
    at(
      ptr,
      `"${from}" is an application (${producer.entry.name}, type yaml) and has no outputs: ${consumerWhat} cannot depend on an application`,
    );
    return undefined;
  }
  const declared = (producer.entry.document.spec.outputs ?? []).find((o) => o.name === output);
  if (!declared) {
    const known = (producer.entry.document.spec.outputs ?? []).map((o) => o.name).join(', ') || 'none';
    at(ptr, `${producer.entry.name}@${producer.entry.version} has no output "${output}" (outputs: ${known})`);
    return undefined;
  }
  const sensitive = declared.sensitive === true;
  if (sensitive && !secret) {
    at(ptr, `output ${from}.${output} is sensitive and may only feed a secret parameter`);
    return undefined;
  }
  if (!sensitive && secret) {
    at(ptr, `parameter ${param} is secret and takes only a literal, a fromSecret or a sensitive output`);
    return undefined;
  }
  const incompatibility = schemaIncompatibility(declared.schema, paramSchema);
  if (incompatibility) {
    at(ptr, `${from}.${output} cannot feed ${param}: ${incompatibility}`);
    return undefined;
  }
  return { instance: consumer.name, parameter: param, from, output, sensitive, pointer: ptr };
}

/** Replaces, in `copy` (a private copy of the request), every literal secret by a reference. */
function redactSecrets(copy: EnvironmentDocument, instances: ResolvedInstance[]): EnvironmentDocument {
  for (const instance of instances) {
    const literal = instance.entry.secretParameters.filter(
      (s) => instance.secrets[s.name]?.kind === 'literal',
    );
    const parameters = copy.spec.catalogs[instance.index]?.parameters;
    if (!parameters) continue;
    for (const secret of literal) {
      parameters[secret.name] = {
        fromSecret: { name: parameterSecretName(copy.metadata.name, instance.name), key: secret.key },
      };
    }
  }
  return copy;
}

/** Writes each instance's version into `copy` (a private copy of the request), beside its entry. */
function pinVersions(copy: EnvironmentDocument, instances: ResolvedInstance[]): EnvironmentDocument {
  for (const instance of instances) copy.spec.catalogs[instance.index]!.version = instance.entry.version;
  return copy;
}

/** The Secret envcat creates for an instance's literal secret parameters. */
export function parameterSecretName(environment: string, instance: string): string {
  return `${environment}-${instance}-params`;
}

/** The connection Secret a Workspace writes its outputs to. */
export function outputSecretName(environment: string, instance: string): string {
  return `${environment}-${instance}-outputs`;
}
