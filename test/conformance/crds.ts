/**
 * Validation of custom resources against the real CRD schemas in ../shared/crds (upstream data:
 * read at test time, never copied into the repo). Files are parsed and schemas compiled lazily, once
 * per registry, so the 1.4 MB ApplicationSet CRD costs nothing unless an ApplicationSet is checked.
 *
 * Not covered: CEL rules (`x-kubernetes-validations`), formats, and defaulting; see `celRules`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import { parseYamlDocuments } from '../../src/core/index.js';
import { metadataProblems, type Scope } from './metadata.js';
import { problemsFromAjv, type Problem } from './problems.js';

/** The CRDs of ../shared/crds (its README's table): which file defines which group and kind. */
export const KNOWN_CRDS = [
  { group: 'tf.upbound.io', kind: 'Workspace', file: 'tf.upbound.io_workspaces.yaml' },
  { group: 'tf.m.upbound.io', kind: 'Workspace', file: 'tf.m.upbound.io_workspaces.yaml' },
  { group: 'tf.upbound.io', kind: 'ProviderConfig', file: 'tf.upbound.io_providerconfigs.yaml' },
  { group: 'argoproj.io', kind: 'Application', file: 'argoproj.io_applications.yaml' },
  { group: 'argoproj.io', kind: 'ApplicationSet', file: 'argoproj.io_applicationsets.yaml' },
  { group: 'argoproj.io', kind: 'AppProject', file: 'argoproj.io_appprojects.yaml' },
  {
    group: 'apiextensions.crossplane.io',
    kind: 'CompositeResourceDefinition',
    file: 'apiextensions.crossplane.io_compositeresourcedefinitions.yaml',
  },
  {
    group: 'apiextensions.crossplane.io',
    kind: 'Composition',
    file: 'apiextensions.crossplane.io_compositions.yaml',
  },
  { group: 'pkg.crossplane.io', kind: 'Function', file: 'pkg.crossplane.io_functions.yaml' },
  {
    group: 'pkg.crossplane.io',
    kind: 'DeploymentRuntimeConfig',
    file: 'pkg.crossplane.io_deploymentruntimeconfigs.yaml',
  },
  { group: 'protection.crossplane.io', kind: 'Usage', file: 'protection.crossplane.io_usages.yaml' },
  {
    group: 'protection.crossplane.io',
    kind: 'ClusterUsage',
    file: 'protection.crossplane.io_clusterusages.yaml',
  },
  {
    group: 'tf.m.upbound.io',
    kind: 'ClusterProviderConfig',
    file: 'tf.m.upbound.io_clusterproviderconfigs.yaml',
  },
] as const;

export type KnownCrd = (typeof KNOWN_CRDS)[number];

type Schema = Record<string, unknown>;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function splitApiVersion(apiVersion: string): { group: string; version: string } {
  const slash = apiVersion.lastIndexOf('/');
  return slash === -1
    ? { group: '', version: apiVersion }
    : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}

export function knownCrd(apiVersion: string, kind: string): KnownCrd | undefined {
  const { group } = splitApiVersion(apiVersion);
  return KNOWN_CRDS.find((c) => c.group === group && c.kind === kind);
}

/**
 * A Kubernetes structural schema as a JSON schema with the API server's semantics:
 * - an object node without `additionalProperties` and without `x-kubernetes-preserve-unknown-fields: true`
 *   gets `additionalProperties: false` (the API server prunes unknown fields there, silently);
 *   this holds for nodes with `properties` and for bare `type: object` nodes alike;
 * - `x-kubernetes-int-or-string: true` accepts an integer or a string;
 * - `nullable: true` also accepts null;
 * - `x-kubernetes-embedded-resource: true` also allows apiVersion, kind and metadata.
 * Branches of anyOf/allOf/oneOf/not are value validations only (they cannot declare fields), so they
 * are converted for int-or-string and nullable but never closed.
 */
export function structuralToJsonSchema(node: unknown, structural = true): unknown {
  if (!isRecord(node)) return node;
  const out: Schema = {};
  for (const [key, value] of Object.entries(node)) {
    switch (key) {
      case 'properties':
        out[key] = isRecord(value)
          ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, structuralToJsonSchema(v, true)]))
          : value;
        break;
      case 'items':
        out[key] = Array.isArray(value)
          ? value.map((v) => structuralToJsonSchema(v, true))
          : structuralToJsonSchema(value, true);
        break;
      case 'additionalProperties':
        out[key] = typeof value === 'boolean' ? value : structuralToJsonSchema(value, true);
        break;
      case 'anyOf':
      case 'allOf':
      case 'oneOf':
        out[key] = Array.isArray(value) ? value.map((v) => structuralToJsonSchema(v, false)) : value;
        break;
      case 'not':
        out[key] = structuralToJsonSchema(value, false);
        break;
      default:
        // enum, default, example, x-kubernetes-validations...: values, not schemas
        out[key] = value;
    }
  }
  if (node['x-kubernetes-int-or-string'] === true) out.type = ['integer', 'string'];
  if (node.nullable === true) {
    if (typeof out.type === 'string') out.type = [out.type, 'null'];
    else if (Array.isArray(out.type) && !out.type.includes('null')) out.type = [...out.type, 'null'];
    if (Array.isArray(out.enum) && !out.enum.includes(null)) out.enum = [...out.enum, null];
  }
  const isObject = node.type === 'object' || 'properties' in node;
  if (structural && isObject && node['x-kubernetes-preserve-unknown-fields'] !== true) {
    if (node['x-kubernetes-embedded-resource'] === true)
      out.properties = {
        apiVersion: { type: 'string' },
        kind: { type: 'string' },
        metadata: { type: 'object' },
        ...(out.properties as Schema | undefined),
      };
    if (!('additionalProperties' in node)) out.additionalProperties = false;
  }
  return out;
}

/** The root schema of one CRD version, converted; the root `metadata` stays `type: object` (checked separately). */
export function crdVersionJsonSchema(openAPIV3Schema: Schema): Schema {
  const converted = structuralToJsonSchema(openAPIV3Schema) as Schema;
  const properties = { ...(converted.properties as Schema | undefined), metadata: { type: 'object' } };
  return { ...converted, properties };
}

interface CrdVersion {
  name: string;
  served: boolean;
  deprecated?: boolean;
  schema?: { openAPIV3Schema?: Schema };
}

export interface LoadedCrd {
  file: string;
  group: string;
  kind: string;
  scope: Scope;
  versions: CrdVersion[];
}

/** Counts CEL rules in a schema: they are not evaluated here, so a caller can say so. */
export function celRules(schema: unknown): number {
  if (Array.isArray(schema)) return schema.reduce((n: number, s) => n + celRules(s), 0);
  if (!isRecord(schema)) return 0;
  let n = Array.isArray(schema['x-kubernetes-validations']) ? schema['x-kubernetes-validations'].length : 0;
  for (const [key, value] of Object.entries(schema))
    if (key !== 'x-kubernetes-validations' && key !== 'default' && key !== 'enum') n += celRules(value);
  return n;
}

export class CrdRegistry {
  private readonly ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
  private readonly crds = new Map<string, LoadedCrd>();
  private readonly validators = new Map<string, ValidateFunction>();

  constructor(readonly dir: string) {}

  /** The CRD files parsed so far (file names). */
  loadedFiles(): string[] {
    return [...this.crds.keys()].sort();
  }

  /** Parses the CRD file of a known kind once; throws when the file does not define that kind. */
  load(known: KnownCrd): LoadedCrd {
    const cached = this.crds.get(known.file);
    if (cached) return cached;
    const path = join(this.dir, known.file);
    const docs = (parseYamlDocuments(readFileSync(path, 'utf8')) as unknown[]).filter(isRecord);
    const crd = docs.find((d) => d.kind === 'CustomResourceDefinition');
    const spec = crd?.spec;
    if (!isRecord(spec) || !isRecord(spec.names) || !Array.isArray(spec.versions))
      throw new Error(`${path}: not a CustomResourceDefinition`);
    if (spec.group !== known.group || spec.names.kind !== known.kind)
      throw new Error(
        `${path}: defines ${String(spec.names.kind)}.${String(spec.group)}, expected ${known.kind}.${known.group}`,
      );
    if (spec.scope !== 'Namespaced' && spec.scope !== 'Cluster')
      throw new Error(`${path}: unexpected scope ${String(spec.scope)}`);
    const loaded: LoadedCrd = {
      file: path,
      group: known.group,
      kind: known.kind,
      scope: spec.scope,
      versions: spec.versions as CrdVersion[],
    };
    this.crds.set(known.file, loaded);
    return loaded;
  }

  /** The compiled validator of one served version (compiled once). */
  validator(known: KnownCrd, version: string): ValidateFunction | undefined {
    const key = `${known.file}#${version}`;
    const cached = this.validators.get(key);
    if (cached) return cached;
    const v = this.load(known).versions.find((x) => x.name === version);
    const schema = v?.schema?.openAPIV3Schema;
    if (!v || !v.served || !schema) return undefined;
    const compiled = this.ajv.compile(crdVersionJsonSchema(schema));
    this.validators.set(key, compiled);
    return compiled;
  }

  /** Every problem of a custom resource: its CRD version's schema, the CRD's scope, and ObjectMeta rules. */
  validate(object: unknown): Problem[] {
    if (!isRecord(object) || typeof object.apiVersion !== 'string' || typeof object.kind !== 'string')
      return [{ path: '', message: 'must be an object with string apiVersion and kind' }];
    const known = knownCrd(object.apiVersion, object.kind);
    if (!known) return [{ path: '/kind', message: `no CRD for ${object.kind} in ${object.apiVersion}` }];
    const crd = this.load(known);
    const { version } = splitApiVersion(object.apiVersion);
    const validate = this.validator(known, version);
    if (!validate) {
      const served = crd.versions.filter((v) => v.served).map((v) => v.name);
      return [
        {
          path: '/apiVersion',
          message: `${known.group}/${version} is not a served version of ${known.kind} (served: ${served.join(', ')})`,
        },
      ];
    }
    const problems = validate(object) ? [] : problemsFromAjv(validate.errors);
    return [...problems, ...metadataProblems(object, { scope: crd.scope, namespaceRequired: true })];
  }
}
