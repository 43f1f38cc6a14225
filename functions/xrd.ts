/**
 * The Crossplane API of this mode, generated (never hand-copied) from the same model the engine
 * validates requests with: the XRD's spec schema is core's Environment JSON Schema converted to a
 * Kubernetes structural schema, its status schema follows compose.ts's CompositeStatus, and the
 * Composition carries the catalog as the function's input. `npm run compositions:generate` writes
 * them to compositions/ (functions/generate.ts).
 */
import {
  ENVIRONMENT_PHASES,
  environmentSchema,
  toYaml,
  type JsonSchema,
  type JsonValue,
  type StepPhase,
  isRecord,
} from '../src/core/index.js';
import { XR_GROUP, XR_KIND, XR_VERSION } from './composite.js';
import { INPUT_API_VERSION, INPUT_KIND, type CatalogSourceEntry, type FunctionInput } from './input.js';

export type Obj = Record<string, unknown>;
export type XrdScope = 'Namespaced' | 'Cluster';

export const XRD_NAME = `environments.${XR_GROUP}`;
export const COMPOSITION_NAME = 'envcat-environment';
/** The name of the Function package install (gitops/crossplane-native/function.yaml). */
export const FUNCTION_NAME = 'function-envcat';

/** Keywords that mean the same in JSON Schema 2020-12 and in a Kubernetes structural schema. */
const KEPT = new Set([
  'description',
  'title',
  'type',
  'required',
  'enum',
  'default',
  'format',
  'pattern',
  'minLength',
  'maxLength',
  'minimum',
  'maximum',
  'multipleOf',
  'minItems',
  'maxItems',
  'uniqueItems',
  'minProperties',
  'maxProperties',
]);
/**
 * Keywords with no structural equivalent whose rule the function checks anyway (it validates the
 * whole request with core before composing anything), so leaving them out of the CRD loses nothing.
 */
const DROPPED = new Set(['$id', '$schema', 'propertyNames']);

function inferredType(values: readonly unknown[]): string {
  const types = new Set(values.map((v) => (Number.isInteger(v) ? 'integer' : typeof v)));
  if (types.size !== 1) throw new Error(`enum mixes types ${[...types].join(', ')}`);
  const [type] = [...types];
  if (type === 'string' || type === 'boolean' || type === 'integer') return type;
  if (type === 'number') return 'number';
  throw new Error(`enum of ${String(type)} values`);
}

/**
 * A JSON Schema (the subset envcat's request schema uses) as a Kubernetes structural schema: every
 * node typed, `const` as a one-value enum, no `additionalProperties: false` (the API server prunes
 * unknown fields instead), free-form objects as `x-kubernetes-preserve-unknown-fields`. A keyword
 * it does not know is an error naming where it is, so a change of the model cannot slip through.
 */
export function structuralSchema(schema: JsonSchema, at = '#'): Obj {
  const out: Obj = {};
  for (const [key, value] of Object.entries(schema)) {
    if (KEPT.has(key)) out[key] = value;
    else if (DROPPED.has(key)) continue;
    else if (key === 'const') out.enum = [value];
    else if (key === 'properties') {
      if (!isRecord(value)) throw new Error(`${at}/properties is not an object`);
      out.properties = Object.fromEntries(
        Object.entries(value).map(([name, sub]) => [
          name,
          structuralSchema(sub as JsonSchema, `${at}/properties/${name}`),
        ]),
      );
    } else if (key === 'items') {
      if (!isRecord(value)) throw new Error(`${at}/items must be one schema`);
      out.items = structuralSchema(value as JsonSchema, `${at}/items`);
    } else if (key === 'additionalProperties') {
      if (value === false) continue;
      if (!isRecord(value)) throw new Error(`${at}/additionalProperties must be false or a schema`);
      out.additionalProperties = structuralSchema(value as JsonSchema, `${at}/additionalProperties`);
    } else throw new Error(`${at}: "${key}" has no structural equivalent; teach functions/xrd.ts about it`);
  }
  if (out.type === undefined) {
    if (!Array.isArray(out.enum)) throw new Error(`${at}: a node without a type and without an enum`);
    out.type = inferredType(out.enum);
  }
  if (Array.isArray(out.type)) throw new Error(`${at}: a union type has no structural equivalent`);
  if (out.type === 'object' && out.properties === undefined && out.additionalProperties === undefined)
    out['x-kubernetes-preserve-unknown-fields'] = true;
  return out;
}

/** Descriptions for `kubectl explain`, by path in the spec schema (each must exist: see describe()). */
const SPEC_DESCRIPTIONS: Record<string, string> = {
  '': "The envcat Environment request. The composite resource's name is the environment's name.",
  '/namespace':
    "Namespace of the environment. For a namespaced Environment it is the composite's own namespace: leave it out or give that namespace.",
  '/type': 'pre-release or release.',
  '/description': 'What the environment is for.',
  '/owner': 'Who owns the environment.',
  '/ttl':
    'How long the environment should live, e.g. 24h or 7d (1 minute to 90 days). Reported as status.expiresAt; deleting the composite when it runs out is up to you.',
  '/notify':
    "Webhooks the envcat engine tells of the environment's changes of phase (Ready, Failed, deleted, an hour before its ttl runs out); function-envcat sends none.",
  '/notify/items/url':
    "An https URL, or one whose host is on the engine's ENVCAT_NOTIFY_ALLOW; never an internal address unless allow-listed.",
  '/timeouts':
    'How long each step may take to be Ready after its commit (or its last retry) before the envcat engine reports it Failed with reason Timeout.',
  '/timeouts/infra': 'For an infrastructure step (a Workspace), e.g. 30m (the default); 1s to 7d.',
  '/timeouts/apps': 'For an application step (an Argo CD Application), e.g. 10m (the default); 1s to 7d.',
  '/isolation':
    'Isolation objects composed into the namespace: NetworkPolicy (default on), ResourceQuota, LimitRange.',
  '/catalogs': 'The catalog instances of the environment.',
  '/catalogs/items/name': 'Instance name, unique in the environment (a DNS-1123 label).',
  '/catalogs/items/entry': 'Catalog entry: <name>@<semver range>, or a name for the latest version.',
  '/catalogs/items/version':
    'The exact entry version the instance runs (within the range of entry); without it, the newest the range allows.',
  '/catalogs/items/parameters':
    'Parameters of the entry (its JSON Schema). A value may be {fromOutput: <instance>.<output>}; a secret parameter must be {fromSecret: {name, key}} of a Secret in the namespace.',
};

/**
 * Moving an environment to another namespace would delete the old one with everything in it and
 * provision again: the API server refuses the change instead (a CEL transition rule).
 */
function immutableNamespace(spec: Obj): Obj {
  const namespace = (spec.properties as Record<string, Obj>).namespace;
  if (!namespace) throw new Error('the Environment spec has no namespace field');
  namespace['x-kubernetes-validations'] = [
    { rule: 'self == oldSelf', message: 'is immutable: create a new Environment instead' },
  ];
  return spec;
}

function describeSpec(spec: Obj): Obj {
  for (const [path, description] of Object.entries(SPEC_DESCRIPTIONS)) {
    let node: unknown = spec;
    for (const token of path.split('/').slice(1))
      node = isRecord(node)
        ? token === 'items'
          ? node.items
          : isRecord(node.properties)
            ? node.properties[token]
            : undefined
        : undefined;
    if (!isRecord(node)) throw new Error(`no field at ${path} of the Environment spec to describe`);
    node.description = description;
  }
  return spec;
}

/** Every value of a string union, checked by the compiler to be complete. */
const STEP_PHASES = Object.keys({
  Pending: true,
  Progressing: true,
  Ready: true,
  Failed: true,
  Deleting: true,
} satisfies Record<StepPhase, true>);

const str = (description: string) => ({ type: 'string', description });

/** The XR status compose.ts writes (CompositeStatus); Crossplane adds conditions and its own fields. */
export const STATUS_SCHEMA: Obj = {
  type: 'object',
  description: 'Observed state, derived on every reconcile by function-envcat.',
  properties: {
    phase: {
      type: 'string',
      enum: [...ENVIRONMENT_PHASES],
      description: 'Phase of the environment.',
    },
    message: str('What the phase is waiting for, or what failed.'),
    namespace: str('Namespace the environment lives in.'),
    steps: {
      type: 'array',
      description:
        'Each step of the plan: the infra (Workspace) and apps (Application) part of each instance.',
      items: {
        type: 'object',
        required: ['instance', 'part', 'phase'],
        properties: {
          instance: str('Instance name.'),
          part: { type: 'string', enum: ['infra', 'apps'] },
          phase: { type: 'string', enum: STEP_PHASES },
          reason: str('Machine-readable reason of the phase.'),
          message: str('Details.'),
        },
      },
    },
    outputs: {
      type: 'object',
      description: 'Non-sensitive outputs by instance and output name, as the Workspaces report them.',
      additionalProperties: {
        type: 'object',
        additionalProperties: { 'x-kubernetes-preserve-unknown-fields': true },
      },
    },
    outputSecrets: {
      type: 'array',
      description: 'Where every output of an instance is, sensitive ones included: its connection Secret.',
      items: {
        type: 'object',
        required: ['instance', 'secretName'],
        properties: {
          instance: str('Instance name.'),
          secretName: str('Secret in the environment namespace.'),
          keys: { type: 'array', items: { type: 'string' }, description: 'Output names, one key each.' },
        },
      },
    },
    expiresAt: { type: 'string', format: 'date-time', description: 'When the ttl runs out.' },
  },
};

export function environmentXrd(options: { scope: XrdScope }): Obj {
  const spec = environmentSchema.properties;
  if (!isRecord(spec) || !isRecord(spec.spec)) throw new Error('the Environment schema has no spec');
  return {
    apiVersion: 'apiextensions.crossplane.io/v2',
    kind: 'CompositeResourceDefinition',
    metadata: { name: XRD_NAME },
    spec: {
      group: XR_GROUP,
      names: {
        kind: XR_KIND,
        listKind: `${XR_KIND}List`,
        plural: 'environments',
        singular: 'environment',
        categories: ['envcat'],
      },
      scope: options.scope,
      defaultCompositionRef: { name: COMPOSITION_NAME },
      versions: [
        {
          name: XR_VERSION,
          served: true,
          referenceable: true,
          additionalPrinterColumns: [
            { name: 'Phase', type: 'string', jsonPath: '.status.phase' },
            { name: 'Type', type: 'string', jsonPath: '.spec.type' },
            { name: 'Message', type: 'string', jsonPath: '.status.message', priority: 1 },
          ],
          schema: {
            openAPIV3Schema: {
              type: 'object',
              description:
                'An envcat environment: catalog instances provisioned in phases by function-envcat.',
              required: ['spec'],
              properties: {
                spec: immutableNamespace(
                  describeSpec(structuralSchema(spec.spec as JsonSchema, '#/properties/spec')),
                ),
                status: STATUS_SCHEMA,
              },
            },
          },
        },
      ],
    },
  };
}

export function environmentComposition(args: {
  catalog: readonly CatalogSourceEntry[];
  render?: FunctionInput['render'];
}): Obj {
  const input: FunctionInput = {
    apiVersion: INPUT_API_VERSION,
    kind: INPUT_KIND,
    ...(args.render ? { render: args.render } : {}),
    catalog: [...args.catalog],
  };
  return {
    apiVersion: 'apiextensions.crossplane.io/v1',
    kind: 'Composition',
    metadata: { name: COMPOSITION_NAME, labels: { 'app.kubernetes.io/part-of': 'envcat' } },
    spec: {
      compositeTypeRef: { apiVersion: `${XR_GROUP}/${XR_VERSION}`, kind: XR_KIND },
      mode: 'Pipeline',
      pipeline: [
        {
          step: 'envcat',
          functionRef: { name: FUNCTION_NAME },
          input: input as unknown as JsonValue,
        },
      ],
    },
  };
}

/** The generated files, relative to the repository root. */
export function compositionFiles(args: {
  scope: XrdScope;
  catalog: readonly CatalogSourceEntry[];
  render?: FunctionInput['render'];
}): Array<{ path: string; content: string }> {
  const header = (what: string) =>
    `# ${what}\n# Generated by \`npm run compositions:generate\` (functions/generate.ts): do not edit by hand.\n`;
  return [
    {
      path: 'compositions/xrd.yaml',
      content:
        header('The Environment API (Crossplane v2 XRD), from the envcat Environment schema.') +
        toYaml(environmentXrd({ scope: args.scope })),
    },
    {
      path: 'compositions/composition.yaml',
      content:
        header('The Composition: function-envcat, with the built-in catalog (catalogs/) as its input.') +
        toYaml(
          environmentComposition({ catalog: args.catalog, ...(args.render ? { render: args.render } : {}) }),
        ),
    },
  ];
}
