/**
 * compositions/: the XRD and the Composition are what the generator makes of the Environment model
 * and the built-in catalog (committed files up to date), objects the API server accepts (against
 * the real CRDs in ../shared/crds), a structural schema Kubernetes accepts for the XR, and wired to
 * each other, to the function's input and to the Function install in gitops/.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import {
  environmentSchema,
  parseYamlDocument,
  parseYamlDocuments,
  type JsonSchema,
} from '../../src/core/index.js';
import { XR_API_VERSION, XR_KIND } from '../../functions/composite.js';
import { generate } from '../../functions/generate.js';
import { parseInput } from '../../functions/input.js';
import { COMPOSITION_NAME, FUNCTION_NAME, XRD_NAME } from '../../functions/xrd.js';
import { CrdRegistry, crdVersionJsonSchema } from '../conformance/crds.js';
import { formatProblems, problemsFromAjv } from '../conformance/problems.js';
import { examples, REPO_ROOT, SHARED_CRDS } from '../support/examples.js';

type Obj = Record<string, unknown>;

const COMPOSITIONS = join(REPO_ROOT, 'compositions');
const read = (file: string) => parseYamlDocument(readFileSync(join(COMPOSITIONS, file), 'utf8')) as Obj;
const XRD = read('xrd.yaml') as {
  metadata: { name: string };
  spec: Obj & {
    group: string;
    names: { kind: string };
    versions: Array<{ name: string; referenceable: boolean; schema: { openAPIV3Schema: Obj } }>;
    defaultCompositionRef: { name: string };
  };
};
const COMPOSITION = read('composition.yaml') as {
  metadata: { name: string };
  spec: {
    compositeTypeRef: { apiVersion: string; kind: string };
    pipeline: Array<{ functionRef: { name: string }; input: Obj }>;
  };
};
const VERSION = XRD.spec.versions[0] as (typeof XRD.spec.versions)[number];
const OPENAPI = VERSION.schema.openAPIV3Schema;

const haveCrds = existsSync(SHARED_CRDS);
const describeIfCrds = haveCrds ? describe : describe.skip;
if (!haveCrds) console.warn(`SKIPPED: CRD checks of compositions/ need ${SHARED_CRDS}, which is absent.`);

function isRecord(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The JSONSchemaProps fields of apiextensions.k8s.io/v1 (no $ref, no const, no propertyNames...). */
const SCHEMA_PROPS = new Set([
  'description',
  'type',
  'format',
  'title',
  'default',
  'maximum',
  'exclusiveMaximum',
  'minimum',
  'exclusiveMinimum',
  'maxLength',
  'minLength',
  'pattern',
  'maxItems',
  'minItems',
  'uniqueItems',
  'multipleOf',
  'enum',
  'maxProperties',
  'minProperties',
  'required',
  'items',
  'allOf',
  'oneOf',
  'anyOf',
  'not',
  'properties',
  'additionalProperties',
  'nullable',
  'example',
  'x-kubernetes-preserve-unknown-fields',
  'x-kubernetes-embedded-resource',
  'x-kubernetes-int-or-string',
  'x-kubernetes-list-map-keys',
  'x-kubernetes-list-type',
  'x-kubernetes-map-type',
  'x-kubernetes-validations',
]);

/**
 * Where a schema breaks the rules of a structural schema (Kubernetes "Specifying a structural
 * schema"): only JSONSchemaProps fields; a type on every node (but preserve-unknown-fields and
 * int-or-string ones); properties and additionalProperties never together; no
 * `additionalProperties: false`; no types or descriptions inside the logical junctors.
 */
function structuralProblems(node: unknown, at = '#'): string[] {
  if (!isRecord(node)) return [`${at}: not a schema`];
  const problems: string[] = [];
  for (const key of Object.keys(node))
    if (!SCHEMA_PROPS.has(key)) problems.push(`${at}: "${key}" is not a JSONSchemaProps field`);
  const free =
    node['x-kubernetes-preserve-unknown-fields'] === true || node['x-kubernetes-int-or-string'] === true;
  if (node.type === undefined && !free) problems.push(`${at}: no type`);
  if (node.properties !== undefined && node.additionalProperties !== undefined)
    problems.push(`${at}: properties and additionalProperties together`);
  if (node.additionalProperties === false) problems.push(`${at}: additionalProperties: false`);
  if (isRecord(node.properties))
    for (const [name, sub] of Object.entries(node.properties))
      problems.push(...structuralProblems(sub, `${at}/properties/${name}`));
  if (node.items !== undefined) problems.push(...structuralProblems(node.items, `${at}/items`));
  if (isRecord(node.additionalProperties))
    problems.push(...structuralProblems(node.additionalProperties, `${at}/additionalProperties`));
  for (const junctor of ['allOf', 'anyOf', 'oneOf', 'not'])
    if (node[junctor] !== undefined) problems.push(`${at}: ${junctor} (the generator emits none)`);
  return problems;
}

describe('compositions/ is generated', () => {
  it('the committed files are what `npm run compositions:generate` writes', async () => {
    // GIVEN the generator's output from the Environment schema and catalogs/
    const files = await generate();
    expect(files.map((f) => f.path).sort()).toEqual([
      'compositions/composition.yaml',
      'compositions/xrd.yaml',
    ]);
    // THEN each committed file has exactly that content (else: run the generator and commit)
    for (const file of files)
      expect([file.path, readFileSync(join(REPO_ROOT, file.path), 'utf8') === file.content]).toEqual([
        file.path,
        true,
      ]);
  });

  it('kustomization.yaml lists exactly the generated API files', () => {
    const kustomization = read('kustomization.yaml') as { kind: string; resources: string[] };
    expect(kustomization.kind).toBe('Kustomization');
    expect([...kustomization.resources].sort()).toEqual(['composition.yaml', 'xrd.yaml']);
  });
});

describe('the XRD', () => {
  it('defines the namespaced Environment of platform.envcat.io, apiextensions.crossplane.io/v2', () => {
    expect(XRD).toMatchObject({
      apiVersion: 'apiextensions.crossplane.io/v2',
      kind: 'CompositeResourceDefinition',
      metadata: { name: XRD_NAME },
      spec: {
        group: 'platform.envcat.io',
        names: { kind: XR_KIND, plural: 'environments' },
        scope: 'Namespaced',
      },
    });
    expect(`${XRD.spec.group}/${VERSION.name}`).toBe(XR_API_VERSION);
    expect(VERSION.referenceable).toBe(true);
    // The two CEL rules of the v2 XRD CRD, which the schema check below cannot evaluate.
    expect(XRD.spec).not.toHaveProperty('claimNames');
    expect(XRD.spec).not.toHaveProperty('connectionSecretKeys');
  });

  it('has a structural schema, leaving spec.crossplane and the conditions to Crossplane', () => {
    expect(structuralProblems(OPENAPI)).toEqual([]);
    const properties = OPENAPI.properties as { spec: { properties: Obj }; status: { properties: Obj } };
    expect(properties).not.toHaveProperty('metadata');
    expect(properties.spec.properties).not.toHaveProperty('crossplane');
    expect(properties.status.properties).not.toHaveProperty('conditions');
  });

  it('has every field of the Environment request spec, with the same required fields', () => {
    // GIVEN core's Environment JSON Schema (the model the engine validates with)
    const model = (environmentSchema.properties as Record<string, JsonSchema>).spec as JsonSchema;
    const fields = (schema: unknown, at = ''): string[] => {
      if (!isRecord(schema)) return [];
      const own = isRecord(schema.properties)
        ? Object.entries(schema.properties).flatMap(([k, v]) => [`${at}/${k}`, ...fields(v, `${at}/${k}`)])
        : [];
      return [
        ...own,
        ...fields(schema.items, `${at}/items`),
        ...(Array.isArray(schema.required) ? [`${at}!${schema.required.join(',')}`] : []),
      ];
    };
    // THEN the XRD's spec schema has the same fields and required lists
    expect(fields((OPENAPI.properties as Obj).spec).sort()).toEqual(fields(model).sort());
  });

  // The API server never prunes apiVersion and kind; Crossplane adds them (and metadata) to the CRD.
  const xrSchema = new Ajv({ strict: false, allErrors: true, validateFormats: false }).compile(
    crdVersionJsonSchema({
      ...OPENAPI,
      properties: {
        apiVersion: { type: 'string' },
        kind: { type: 'string' },
        ...(OPENAPI.properties as Obj),
      },
    }),
  );

  it('accepts the example composite resources, and every built-in example request as an XR', () => {
    const xrs = readdirSync(join(COMPOSITIONS, 'examples'))
      .filter((f) => f.endsWith('.yaml'))
      .map((f) => [`compositions/examples/${f}`, read(join('examples', f))] as const);
    const requests = examples().map((e) => {
      const doc = e.document as { metadata: Obj; spec: Obj };
      return [
        e.id,
        { apiVersion: XR_API_VERSION, kind: XR_KIND, metadata: doc.metadata, spec: doc.spec },
      ] as const;
    });
    expect(xrs.length).toBeGreaterThan(0);
    for (const [name, xr] of [...xrs, ...requests]) {
      const problems = xrSchema(xr) ? [] : problemsFromAjv(xrSchema.errors);
      expect(formatProblems(name, problems)).toEqual([]);
    }
  });

  it('rejects what the API server would (the check is live)', () => {
    const xr = structuredClone(read('examples/dev-feature-auth.yaml')) as { spec: Obj & { catalogs: Obj[] } };
    xr.spec.type = 'staging';
    delete (xr.spec.catalogs[0] as Obj).entry;
    xrSchema(xr);
    expect(problemsFromAjv(xrSchema.errors)).toEqual(
      expect.arrayContaining([
        { path: '/spec/type', message: 'must be one of ["pre-release","release"]' },
        { path: '/spec/catalogs/0/entry', message: 'is required' },
      ]),
    );
  });
});

describe('the Composition', () => {
  it("composes the XRD's kind, is its default, and runs function-envcat in Pipeline mode", () => {
    expect(COMPOSITION.metadata.name).toBe(COMPOSITION_NAME);
    expect(XRD.spec.defaultCompositionRef).toEqual({ name: COMPOSITION_NAME });
    expect(COMPOSITION.spec).toMatchObject({
      compositeTypeRef: { apiVersion: XR_API_VERSION, kind: XR_KIND },
      mode: 'Pipeline',
    });
    // One step: the function sets the readiness of everything it composes (and of the XR), so
    // function-auto-ready has nothing to add.
    expect(COMPOSITION.spec.pipeline.map((s) => s.functionRef.name)).toEqual([FUNCTION_NAME]);
  });

  it('gives the function an input it accepts, with every built-in entry', () => {
    const settings = parseInput(COMPOSITION.spec.pipeline[0]?.input);
    expect(settings.catalog.map((e) => e.source)).toEqual(
      readdirSync(join(REPO_ROOT, 'catalogs'), { withFileTypes: true })
        .filter((d) => d.isDirectory())
        .map((d) => `catalogs/${d.name}`)
        .sort(),
    );
  });

  it('names the Function the crossplane-native bootstrap installs', () => {
    const installs = parseYamlDocuments(
      readFileSync(join(REPO_ROOT, 'gitops', 'crossplane-native', 'function.yaml'), 'utf8'),
    ) as Obj[];
    expect(installs.filter((d) => d.kind === 'Function').map((d) => (d.metadata as Obj).name)).toEqual([
      FUNCTION_NAME,
    ]);
  });
});

if (!haveCrds) {
  describe('compositions/ against the CRDs', () => {
    it.skip(`SKIPPED: ${SHARED_CRDS} is absent, so the XRD and Composition were not checked against their CRDs`, () => {});
  });
}

describeIfCrds(`compositions/ against the CRDs in ${SHARED_CRDS}`, () => {
  const registry = new CrdRegistry(SHARED_CRDS);

  it.each([
    ['xrd.yaml', XRD],
    ['composition.yaml', COMPOSITION],
  ])('%s conforms', (file, object) => {
    expect(formatProblems(`compositions/${file}`, registry.validate(object))).toEqual([]);
  });

  it('reports a broken XRD (the check is live)', () => {
    const broken = structuredClone(XRD) as { spec: Obj };
    broken.spec.scope = 'LegacyCluster';
    expect(registry.validate(broken)).toContainEqual({
      path: '/spec/scope',
      message: 'must be one of ["Namespaced","Cluster"]',
    });
  });
});
