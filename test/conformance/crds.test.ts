/**
 * Conformance: every manifest rendered from every built-in example, under both Workspace APIs, is
 * an object the API server accepts as written — custom resources against the real CRD schemas in
 * ../shared/crds (unknown fields count: the API server would prune them silently), core kinds
 * against kubernetes-models, ObjectMeta against apimachinery's rules.
 */
import { existsSync, readdirSync } from 'node:fs';
import { Ajv } from 'ajv';
import { SHARED_CRDS } from '../support/examples.js';
import { validateCoreObject } from './core-kinds.js';
import {
  celRules,
  crdVersionJsonSchema,
  CrdRegistry,
  KNOWN_CRDS,
  knownCrd,
  structuralToJsonSchema,
} from './crds.js';
import { checkFor, validateWithoutCrds } from './manifests.js';
import { formatProblems, problemsFromAjv, type Problem } from './problems.js';
import { describeDocument, renderAllDocuments, type RenderedDocument } from './rendered.js';

const haveCrds = existsSync(SHARED_CRDS);
const describeIfCrds = haveCrds ? describe : describe.skip;
if (!haveCrds)
  console.warn(
    `SKIPPED: CRD conformance checks need ${SHARED_CRDS}, which is absent; core kinds are still checked.`,
  );

// Rendered once for the whole file: test tables are built from it.
const DOCUMENTS: RenderedDocument[] = await renderAllDocuments();
const CRD_DOCUMENTS = DOCUMENTS.filter((d) => checkFor(d.apiVersion, d.kind) === 'crd');
const OTHER_DOCUMENTS = DOCUMENTS.filter((d) => checkFor(d.apiVersion, d.kind) !== 'crd');

function firstDocument(
  api: RenderedDocument['api'],
  apiVersion: string,
  kind: string,
): Record<string, unknown> {
  const found = DOCUMENTS.find((d) => d.api === api && d.apiVersion === apiVersion && d.kind === kind);
  if (!found) throw new Error(`no ${kind} in ${apiVersion} rendered with the ${api} Workspace API`);
  return found.object;
}

/** The member at `path` as an object (created when missing), to break a copy of a manifest. */
function at(object: Record<string, unknown>, ...path: string[]): Record<string, unknown> {
  let node = object;
  for (const key of path) {
    const next = node[key];
    if (typeof next === 'object' && next !== null && !Array.isArray(next))
      node = next as Record<string, unknown>;
    else node = node[key] = {};
  }
  return node;
}

function report(d: RenderedDocument, problems: Problem[]): string[] {
  return formatProblems(describeDocument(d), problems);
}

describe('rendered manifests', () => {
  it('cover every kind this conformance test is for, under both Workspace APIs', () => {
    // GIVEN every built-in example (and its +variant) rendered with the namespaced and the cluster Workspace API
    const kinds = (api: string) =>
      new Set(DOCUMENTS.filter((d) => d.api === api).map((d) => `${d.apiVersion} ${d.kind}`));
    // THEN each flavour renders its own Workspace API only, and the core kinds are there to check
    const common = [
      'argoproj.io/v1alpha1 Application',
      // Each environment's Argo CD project, in namespace.yaml.
      'argoproj.io/v1alpha1 AppProject',
      'envcat.io/v1alpha1 Environment',
      'v1 Namespace',
      'networking.k8s.io/v1 NetworkPolicy',
      'v1 ConfigMap',
      'apps/v1 Deployment',
      'v1 Service',
      'v1 ResourceQuota',
      'v1 LimitRange',
    ];
    expect([...kinds('namespaced')]).toEqual(
      expect.arrayContaining([...common, 'tf.m.upbound.io/v1beta1 Workspace']),
    );
    expect([...kinds('cluster')]).toEqual(
      expect.arrayContaining([...common, 'tf.upbound.io/v1beta1 Workspace']),
    );
    expect(kinds('namespaced').has('tf.upbound.io/v1beta1 Workspace')).toBe(false);
    expect(kinds('cluster').has('tf.m.upbound.io/v1beta1 Workspace')).toBe(false);
    // AND a Workspace reading secret variables through varFiles, under each API
    const withVarFiles = DOCUMENTS.filter(
      (d) => d.kind === 'Workspace' && 'varFiles' in at(structuredClone(d.object), 'spec', 'forProvider'),
    );
    expect(new Set(withVarFiles.map((d) => d.api))).toEqual(new Set(['namespaced', 'cluster']));
  });
});

describe('rendered core and envcat kinds (no CRDs needed)', () => {
  it.each(OTHER_DOCUMENTS.map((d) => [describeDocument(d), d] as const))('%s conforms', (_name, d) => {
    // GIVEN a rendered document that is not a custom resource
    // WHEN it is validated with kubernetes-models (core kinds) or envcat's schema (Environment);
    //      a kind neither knows is reported, not skipped
    const problems = validateWithoutCrds(d.object, { repo: d.repo });
    // THEN nothing is wrong with it
    expect(report(d, problems)).toEqual([]);
  });

  const namespace = firstDocument('namespaced', 'v1', 'Namespace');
  const networkPolicy = firstDocument('namespaced', 'networking.k8s.io/v1', 'NetworkPolicy');
  const deployment = firstDocument('namespaced', 'apps/v1', 'Deployment');
  const service = firstDocument('namespaced', 'v1', 'Service');
  const environment = firstDocument('namespaced', 'envcat.io/v1alpha1', 'Environment');
  const breakages: Array<{
    name: string;
    base: Record<string, unknown>;
    repo: 'platform' | 'apps';
    breakIt: (o: Record<string, unknown>) => void;
    path: string;
    message: RegExp;
  }> = [
    {
      name: 'Deployment without spec.selector',
      base: deployment,
      repo: 'apps',
      breakIt: (o) => delete at(o, 'spec').selector,
      path: '/spec/selector',
      message: /required/,
    },
    {
      name: 'Service port given as a string',
      base: service,
      repo: 'apps',
      breakIt: (o) => (at(o, 'spec').ports = [{ port: 'http' }]),
      path: '/spec/ports/0/port',
      message: /integer/,
    },
    {
      name: 'Service name that is not an RFC 1035 label',
      base: service,
      repo: 'apps',
      breakIt: (o) => (at(o, 'metadata').name = '1-web'),
      path: '/metadata/name',
      message: /RFC 1035/,
    },
    {
      name: 'NetworkPolicy policyTypes given as a string instead of a list',
      base: networkPolicy,
      repo: 'platform',
      breakIt: (o) => (at(o, 'spec').policyTypes = 'Ingress'),
      path: '/spec/policyTypes',
      message: /array/,
    },
    {
      name: 'NetworkPolicy in the platform repo without a namespace',
      base: networkPolicy,
      repo: 'platform',
      breakIt: (o) => delete at(o, 'metadata').namespace,
      path: '/metadata/namespace',
      message: /namespaced/,
    },
    {
      name: 'Namespace (cluster-scoped) carrying a namespace',
      base: namespace,
      repo: 'platform',
      breakIt: (o) => (at(o, 'metadata').namespace = 'default'),
      path: '/metadata/namespace',
      message: /cluster-scoped/,
    },
    {
      name: 'Namespace label value longer than 63 characters',
      base: namespace,
      repo: 'platform',
      breakIt: (o) => (at(o, 'metadata', 'labels')['envcat.io/environment'] = 'x'.repeat(64)),
      path: '/metadata/labels/envcat.io~1environment',
      message: /63/,
    },
    {
      name: 'a kind no check knows',
      base: namespace,
      repo: 'platform',
      breakIt: (o) => (o.kind = 'Gizmo'),
      path: '/kind',
      message: /not a kind the conformance test knows/,
    },
    {
      name: 'Environment with an unknown spec field',
      base: environment,
      repo: 'platform',
      breakIt: (o) => (at(o, 'spec').flavour = 'vanilla'),
      path: '/spec/flavour',
      message: /./,
    },
  ];

  it.each(breakages)('reports a broken manifest: $name', ({ base, repo, breakIt, path, message }) => {
    // GIVEN a valid rendered manifest
    expect(validateWithoutCrds(base, { repo })).toEqual([]);
    // WHEN a copy of it is broken
    const broken = structuredClone(base);
    breakIt(broken);
    // THEN the check names the broken path
    expect(validateWithoutCrds(broken, { repo })).toContainEqual({
      path,
      message: expect.stringMatching(message),
    });
  });

  it('lets apps-repo manifests omit the namespace (Argo CD supplies its destination)', () => {
    // GIVEN a rendered app Deployment without metadata.namespace WHEN checked as an apps-repo manifest
    expect(at(deployment, 'metadata').namespace).toBeUndefined();
    // THEN that is fine, but the same object in the platform repo needs one
    expect(validateCoreObject(deployment, { namespaceRequired: false })).toEqual([]);
    expect(validateCoreObject(deployment, { namespaceRequired: true })).toContainEqual({
      path: '/metadata/namespace',
      message: expect.stringMatching(/required/),
    });
  });
});

describe('Kubernetes structural schema to JSON schema', () => {
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
  const errorsOf = (schema: unknown, value: unknown): Problem[] => {
    const validate = ajv.compile(structuralToJsonSchema(schema) as object);
    return validate(value) ? [] : problemsFromAjv(validate.errors);
  };

  it.each([
    {
      name: 'an unknown field of an object with properties is reported',
      schema: { type: 'object', properties: { a: { type: 'string' } } },
      value: { a: 'x', b: 'y' },
      path: '/b',
    },
    {
      name: 'a field of a bare `type: object` is reported (the API server prunes it to {})',
      schema: { type: 'object', properties: { o: { type: 'object' } } },
      value: { o: { anything: 1 } },
      path: '/o/anything',
    },
    {
      name: 'an unknown field inside list items is reported',
      schema: { type: 'array', items: { type: 'object', properties: { k: { type: 'string' } } } },
      value: [{ k: 'v', x: 1 }],
      path: '/0/x',
    },
    {
      name: 'int-or-string rejects a boolean',
      schema: { 'x-kubernetes-int-or-string': true, anyOf: [{ type: 'integer' }, { type: 'string' }] },
      value: true,
      path: '',
    },
    {
      name: 'null is rejected without nullable',
      schema: { type: 'string' },
      value: null,
      path: '',
    },
  ])('$name', ({ schema, value, path }) => {
    // GIVEN a structural schema WHEN a value breaking the API server's rules is checked
    // THEN the converted schema reports it at its path
    expect(errorsOf(schema, value).map((p) => p.path)).toContain(path);
  });

  it.each([
    {
      name: 'x-kubernetes-preserve-unknown-fields keeps unknown fields',
      schema: {
        type: 'object',
        properties: { a: { type: 'string' } },
        'x-kubernetes-preserve-unknown-fields': true,
      },
      value: { a: 'x', b: { c: 1 } },
    },
    {
      name: 'additionalProperties (a map) keeps any key',
      schema: { type: 'object', additionalProperties: { type: 'string' } },
      value: { any: 'thing' },
    },
    {
      name: 'int-or-string accepts an integer',
      schema: { 'x-kubernetes-int-or-string': true, anyOf: [{ type: 'integer' }, { type: 'string' }] },
      value: 8080,
    },
    {
      name: 'int-or-string accepts a string',
      schema: { 'x-kubernetes-int-or-string': true, anyOf: [{ type: 'integer' }, { type: 'string' }] },
      value: 'http',
    },
    {
      name: 'nullable accepts null, also with an enum',
      schema: { type: 'string', enum: ['A', 'B'], nullable: true },
      value: null,
    },
    {
      name: 'anyOf branches stay open (value validations cannot declare fields)',
      schema: { type: 'object', properties: { a: { type: 'string' } }, anyOf: [{ properties: { a: {} } }] },
      value: { a: 'x' },
    },
    {
      name: 'an embedded resource allows apiVersion, kind and metadata',
      schema: {
        type: 'object',
        'x-kubernetes-embedded-resource': true,
        properties: { spec: { type: 'object' } },
      },
      value: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' }, spec: {} },
    },
  ])('$name', ({ schema, value }) => {
    // GIVEN a structural schema WHEN a value the API server keeps as is is checked THEN it passes
    expect(errorsOf(schema, value)).toEqual([]);
  });

  it('leaves the root metadata as the CRD says (`type: object`), for the ObjectMeta checks', () => {
    // GIVEN a CRD root schema WHEN converted
    const schema = crdVersionJsonSchema({
      type: 'object',
      properties: { metadata: { type: 'object' }, spec: { type: 'object', properties: {} } },
    });
    const validate = ajv.compile(schema);
    // THEN metadata fields pass here, while unknown spec and root fields do not
    expect(validate({ metadata: { name: 'x', labels: { a: 'b' } }, spec: {} })).toBe(true);
    expect(validate({ metadata: {}, spec: { x: 1 } })).toBe(false);
    expect(validate({ metadata: {}, specs: {} })).toBe(false);
  });
});

if (!haveCrds) {
  describe('rendered custom resources against the CRDs', () => {
    it.skip(`SKIPPED: ${SHARED_CRDS} is absent, so no custom resource was checked against its CRD`, () => {});
  });
}

describeIfCrds(`rendered custom resources against the CRDs in ${SHARED_CRDS}`, () => {
  // One registry for the file: each CRD file is parsed, and each version compiled, once.
  const registry = new CrdRegistry(SHARED_CRDS);

  it.each(CRD_DOCUMENTS.map((d) => [describeDocument(d), d] as const))('%s conforms', (_name, d) => {
    // GIVEN a rendered custom resource
    // WHEN it is validated against its CRD version's schema (unknown fields included), scope and ObjectMeta
    const problems = registry.validate(d.object);
    // THEN nothing is wrong with it
    expect(report(d, problems)).toEqual([]);
  });

  const workspace = firstDocument('namespaced', 'tf.m.upbound.io/v1beta1', 'Workspace');
  const clusterWorkspace = firstDocument('cluster', 'tf.upbound.io/v1beta1', 'Workspace');
  const application = firstDocument('namespaced', 'argoproj.io/v1alpha1', 'Application');
  const appProject = firstDocument('namespaced', 'argoproj.io/v1alpha1', 'AppProject');
  const PRUNED = /prune/;
  const breakages: Array<{
    name: string;
    base: Record<string, unknown>;
    breakIt: (o: Record<string, unknown>) => void;
    path: string;
    message: RegExp;
  }> = [
    {
      name: 'Workspace (namespaced API): unknown field in spec.forProvider',
      base: workspace,
      breakIt: (o) => (at(o, 'spec', 'forProvider').moduleVersion = 'v1.2.3'),
      path: '/spec/forProvider/moduleVersion',
      message: PRUNED,
    },
    {
      name: 'Workspace (cluster API): unknown field in spec.forProvider',
      base: clusterWorkspace,
      breakIt: (o) => (at(o, 'spec', 'forProvider').moduleVersion = 'v1.2.3'),
      path: '/spec/forProvider/moduleVersion',
      message: PRUNED,
    },
    {
      name: 'Workspace: wrong enum value of source',
      base: workspace,
      breakIt: (o) => (at(o, 'spec', 'forProvider').source = 'Git'),
      path: '/spec/forProvider/source',
      message: /must be one of \["Remote","Inline","Flux"\]/,
    },
    {
      name: 'Workspace: missing required module',
      base: workspace,
      breakIt: (o) => delete at(o, 'spec', 'forProvider').module,
      path: '/spec/forProvider/module',
      message: /is required/,
    },
    {
      name: 'Workspace: a string where an array is expected (vars)',
      base: workspace,
      breakIt: (o) => (at(o, 'spec', 'forProvider').vars = 'region=eu-west-1'),
      path: '/spec/forProvider/vars',
      message: /must be array/,
    },
    {
      name: 'Workspace (cluster API): a namespace on the cluster-scoped object',
      base: clusterWorkspace,
      breakIt: (o) => (at(o, 'metadata').namespace = 'dev-x'),
      path: '/metadata/namespace',
      message: /cluster-scoped/,
    },
    {
      name: 'Workspace (namespaced API): no namespace',
      base: workspace,
      breakIt: (o) => delete at(o, 'metadata').namespace,
      path: '/metadata/namespace',
      message: /namespaced/,
    },
    {
      name: 'Workspace (cluster API): the namespaced providerConfigRef.kind',
      base: clusterWorkspace,
      breakIt: (o) => (at(o, 'spec', 'providerConfigRef').kind = 'ClusterProviderConfig'),
      path: '/spec/providerConfigRef/kind',
      message: PRUNED,
    },
    {
      name: 'Workspace (namespaced API): the cluster-API namespace in writeConnectionSecretToRef',
      base: workspace,
      breakIt: (o) => (at(o, 'spec', 'writeConnectionSecretToRef').namespace = 'dev-x'),
      path: '/spec/writeConnectionSecretToRef/namespace',
      message: PRUNED,
    },
    {
      name: 'Workspace (namespaced API): the cluster-API namespace in a varFiles secretKeyRef',
      base: workspace,
      breakIt: (o) =>
        (at(o, 'spec', 'forProvider').varFiles = [
          { source: 'SecretKey', format: 'JSON', secretKeyRef: { name: 's', namespace: 'dev-x', key: 'k' } },
        ]),
      path: '/spec/forProvider/varFiles/0/secretKeyRef/namespace',
      message: PRUNED,
    },
    {
      name: 'Workspace: a version the CRD does not serve',
      base: workspace,
      breakIt: (o) => (o.apiVersion = 'tf.m.upbound.io/v1alpha1'),
      path: '/apiVersion',
      message: /not a served version/,
    },
    {
      name: 'Workspace: an unknown top-level field',
      base: workspace,
      breakIt: (o) => (o.specs = {}),
      path: '/specs',
      message: PRUNED,
    },
    {
      name: 'Application: unknown field in spec.source',
      base: application,
      breakIt: (o) => (at(o, 'spec', 'source').chartVersion = '1.0.0'),
      path: '/spec/source/chartVersion',
      message: PRUNED,
    },
    {
      name: 'Application: missing required destination',
      base: application,
      breakIt: (o) => delete at(o, 'spec').destination,
      path: '/spec/destination',
      message: /is required/,
    },
    {
      name: 'Application: a string where an array is expected (syncOptions)',
      base: application,
      breakIt: (o) => (at(o, 'spec', 'syncPolicy').syncOptions = 'CreateNamespace=true'),
      path: '/spec/syncPolicy/syncOptions',
      message: /must be array/,
    },
    {
      name: 'Application: a string where an integer is expected (retry.limit)',
      base: application,
      breakIt: (o) => (at(o, 'spec', 'syncPolicy', 'retry').limit = '5'),
      path: '/spec/syncPolicy/retry/limit',
      message: /must be integer/,
    },
    {
      name: 'Application: no namespace',
      base: application,
      breakIt: (o) => delete at(o, 'metadata').namespace,
      path: '/metadata/namespace',
      message: /namespaced/,
    },
    {
      name: 'Application: a name that is not a DNS-1123 subdomain',
      base: application,
      breakIt: (o) => (at(o, 'metadata').name = 'Dev_App'),
      path: '/metadata/name',
      message: /RFC 1123 subdomain/,
    },
    {
      name: 'Application: a label value longer than 63 characters',
      base: application,
      breakIt: (o) => (at(o, 'metadata', 'labels')['envcat.io/instance'] = 'a'.repeat(64)),
      path: '/metadata/labels/envcat.io~1instance',
      message: /63/,
    },
    {
      name: 'Application: a label value with a character labels do not allow',
      base: application,
      breakIt: (o) => (at(o, 'metadata', 'labels')['envcat.io/entry-version'] = '1.0.0+build.1'),
      path: '/metadata/labels/envcat.io~1entry-version',
      message: /alphanumeric/,
    },
    {
      name: 'Application: a finalizer that is not a qualified name',
      base: application,
      breakIt: (o) => (at(o, 'metadata').finalizers = ['resources finalizer']),
      path: '/metadata/finalizers/0',
      message: /finalizer/,
    },
    {
      name: 'Application: a field ObjectMeta does not have',
      base: application,
      breakIt: (o) => (at(o, 'metadata').label = {}),
      path: '/metadata/label',
      message: /ObjectMeta/,
    },
    {
      name: 'AppProject: a cluster resource without its group',
      base: appProject,
      breakIt: (o) => (at(o, 'spec').clusterResourceWhitelist as unknown[]).push({ kind: 'ClusterRole' }),
      path: '/spec/clusterResourceWhitelist/3/group',
      message: /is required/,
    },
    {
      name: 'AppProject: a description longer than 255 characters',
      base: appProject,
      breakIt: (o) => (at(o, 'spec').description = 'd'.repeat(256)),
      path: '/spec/description',
      message: /255/,
    },
    {
      name: 'AppProject: no namespace',
      base: appProject,
      breakIt: (o) => delete at(o, 'metadata').namespace,
      path: '/metadata/namespace',
      message: /namespaced/,
    },
  ];

  it.each(breakages)('reports a broken manifest: $name', ({ base, breakIt, path, message }) => {
    // GIVEN a valid rendered custom resource
    expect(registry.validate(base)).toEqual([]);
    // WHEN a copy of it is broken
    const broken = structuredClone(base);
    breakIt(broken);
    // THEN the validator reports an error naming the broken path
    expect(registry.validate(broken)).toContainEqual({ path, message: expect.stringMatching(message) });
  });

  describe('loader', () => {
    it('knows every CRD file in the folder', () => {
      // GIVEN the CRD files in ../shared/crds THEN each has an entry (a new file is noticed here)
      const files = readdirSync(SHARED_CRDS).filter((f) => f.endsWith('.yaml'));
      expect(files.sort()).toEqual(KNOWN_CRDS.map((c) => c.file).sort());
    });

    const SCOPES: Record<string, 'Namespaced' | 'Cluster'> = {
      'tf.upbound.io_workspaces.yaml': 'Cluster',
      'tf.m.upbound.io_workspaces.yaml': 'Namespaced',
      'tf.upbound.io_providerconfigs.yaml': 'Cluster',
      'argoproj.io_applications.yaml': 'Namespaced',
      'argoproj.io_appprojects.yaml': 'Namespaced',
      'apiextensions.crossplane.io_compositeresourcedefinitions.yaml': 'Cluster',
      'apiextensions.crossplane.io_compositions.yaml': 'Cluster',
      'pkg.crossplane.io_functions.yaml': 'Cluster',
      'pkg.crossplane.io_deploymentruntimeconfigs.yaml': 'Cluster',
      'protection.crossplane.io_usages.yaml': 'Namespaced',
      'protection.crossplane.io_clusterusages.yaml': 'Cluster',
      'tf.m.upbound.io_clusterproviderconfigs.yaml': 'Cluster',
    };
    // The ApplicationSet CRD (1.4 MB, ~5 s to compile) is loaded only when an ApplicationSet is rendered.
    it.each(
      KNOWN_CRDS.filter((c) => c.kind !== 'ApplicationSet').map((c) => [`${c.kind}.${c.group}`, c] as const),
    )('loads %s and compiles every served version', (_name, known) => {
      // GIVEN a known CRD WHEN it is loaded
      const crd = registry.load(known);
      // THEN it has the scope the README says and each served version's schema compiles
      expect(crd.scope).toBe(SCOPES[known.file]);
      const served = crd.versions.filter((v) => v.served);
      expect(served.length).toBeGreaterThan(0);
      for (const v of served) expect(registry.validator(known, v.name)).toEqual(expect.any(Function));
    });

    it('the CRDs of the kinds rendered today carry no CEL rules (which this check does not evaluate)', () => {
      // GIVEN the CRDs of every rendered custom resource
      const withCel: Record<string, number> = {};
      for (const d of CRD_DOCUMENTS) {
        const known = knownCrd(d.apiVersion, d.kind);
        const rules = known ? celRules(registry.load(known).versions) : 0;
        if (rules > 0) withCel[`${d.kind}.${known?.group}`] = rules;
      }
      // THEN none has x-kubernetes-validations: the schema check above is the whole of their validation
      expect(withCel).toEqual({});
    });

    // Runs last in this describe (jest keeps the order): by now every rendered manifest was validated.
    it('never parsed the ApplicationSet CRD, as no ApplicationSet is rendered', () => {
      expect(CRD_DOCUMENTS.some((d) => d.kind === 'ApplicationSet')).toBe(false);
      expect(registry.loadedFiles()).not.toContain('argoproj.io_applicationsets.yaml');
    });
  });
});
