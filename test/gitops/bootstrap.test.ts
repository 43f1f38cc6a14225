/**
 * The GitOps bootstrap in gitops/: every manifest is one the API server accepts as written (custom
 * resources against the real CRDs in ../shared/crds, through the conformance validator), and it is
 * wired to what envcat renders: the repo layout of src/core/layout, the Argo CD namespace and project,
 * the provider-terraform config name; envcat's Applications use a project per environment, which
 * envcat renders (test/core/render/appproject.test.ts), not one of the bootstrap.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parse as parseHcl } from '@cdktf/hcl2json';
import { DEFAULT_RENDER_OPTIONS, parseYamlDocuments, PROJECT_PLACEHOLDER } from '../../src/core/index.js';
import { CrdRegistry } from '../conformance/crds.js';
import { checkFor, validateWithoutCrds } from '../conformance/manifests.js';
import { formatProblems } from '../conformance/problems.js';
import { REPO_ROOT, SHARED_CRDS } from '../support/examples.js';

const GITOPS = join(REPO_ROOT, 'gitops');
const BOOTSTRAP = join(GITOPS, 'bootstrap');

const haveCrds = existsSync(SHARED_CRDS);
const describeIfCrds = haveCrds ? describe : describe.skip;
if (!haveCrds) console.warn(`SKIPPED: CRD checks of gitops/ need ${SHARED_CRDS}, which is absent.`);

/**
 * Kinds the bootstrap needs for which ../shared/crds has no CRD: written per upstream docs, their
 * schema is not checked here (only that they are what they claim to be, below).
 */
const WITHOUT_CRD = new Set([
  // provider-terraform/provider.yaml installs the provider; its DeploymentRuntimeConfig is checked.
  'pkg.crossplane.io/v1 Provider',
]);

type Obj = Record<string, unknown>;

interface Document {
  /** Path relative to gitops/, e.g. `bootstrap/appproject.yaml`. */
  file: string;
  index: number;
  apiVersion: string;
  kind: string;
  object: Obj;
}

function isRecord(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function yamlFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((e) =>
      e.isDirectory() ? yamlFiles(join(dir, e.name)) : /\.ya?ml$/.test(e.name) ? [join(dir, e.name)] : [],
    )
    .sort();
}

const DOCUMENTS: Document[] = yamlFiles(GITOPS)
  .filter((path) => !/(^|\/)kustomization\.ya?ml$/.test(path))
  .flatMap((path) =>
    (parseYamlDocuments(readFileSync(path, 'utf8')) as unknown[])
      .filter((value) => value !== null)
      .map((value, index) => {
        const object = isRecord(value) ? value : {};
        return {
          file: relative(GITOPS, path),
          index,
          apiVersion: String(object.apiVersion),
          kind: String(object.kind),
          object,
        };
      }),
  );

const describeDocument = (d: Document): string => `${d.file}[${d.index}] ${d.kind} ${name(d.object)}`;

/** The member at a path, or undefined. */
function get(value: unknown, ...path: Array<string | number>): unknown {
  let node = value;
  for (const key of path) {
    if (typeof key === 'number') node = Array.isArray(node) ? (node[key] as unknown) : undefined;
    else node = isRecord(node) ? node[key] : undefined;
  }
  return node;
}

function name(object: Obj): string {
  return String(get(object, 'metadata', 'name'));
}

function only(kind: string, predicate: (o: Obj) => boolean = () => true): Obj {
  const found = DOCUMENTS.filter((d) => d.kind === kind && predicate(d.object));
  if (found.length !== 1) throw new Error(`expected one ${kind} in gitops/, found ${found.length}`);
  return (found[0] as Document).object;
}

/** The ApplicationSet whose git generator reads the repo whose URL ends with `repoSuffix`. */
function applicationSet(repoSuffix: string): Obj {
  return only('ApplicationSet', (o) =>
    String(get(o, 'spec', 'generators', 0, 'git', 'repoURL')).endsWith(repoSuffix),
  );
}

const PLATFORM_SET = applicationSet('/envcat-platform.git');
const APPS_SET = applicationSet('/envcat-apps.git');

describe('gitops/ manifests', () => {
  it('hold the bootstrap kinds', () => {
    // GIVEN every document of every YAML file under gitops/ but kustomization.yaml
    const kinds = DOCUMENTS.map((d) => `${d.apiVersion} ${d.kind}`);
    // THEN the bootstrap is all there
    expect(kinds).toEqual(
      expect.arrayContaining([
        'argoproj.io/v1alpha1 AppProject',
        'argoproj.io/v1alpha1 ApplicationSet',
        'tf.upbound.io/v1beta1 ProviderConfig',
        'tf.m.upbound.io/v1beta1 ClusterProviderConfig',
      ]),
    );
  });

  const notCrds = DOCUMENTS.filter(
    (d) => checkFor(d.apiVersion, d.kind) !== 'crd' && !WITHOUT_CRD.has(`${d.apiVersion} ${d.kind}`),
  );
  if (notCrds.length > 0)
    it.each(notCrds.map((d) => [describeDocument(d), d] as const))('%s conforms', (_name, d) => {
      // GIVEN a document that is no custom resource WHEN checked with kubernetes-models
      // (a kind no check knows is reported, not skipped) THEN nothing is wrong with it
      expect(
        formatProblems(describeDocument(d), validateWithoutCrds(d.object, { repo: 'platform' })),
      ).toEqual([]);
    });
});

if (!haveCrds) {
  describe('gitops/ custom resources against the CRDs', () => {
    it.skip(`SKIPPED: ${SHARED_CRDS} is absent, so no custom resource was checked against its CRD`, () => {});
  });
}

describeIfCrds(`gitops/ custom resources against the CRDs in ${SHARED_CRDS}`, () => {
  const registry = new CrdRegistry(SHARED_CRDS);
  const crdDocuments = DOCUMENTS.filter((d) => checkFor(d.apiVersion, d.kind) === 'crd');

  it.each(crdDocuments.map((d) => [describeDocument(d), d] as const))('%s conforms', (_name, d) => {
    // GIVEN a bootstrap custom resource WHEN validated against its CRD version's schema,
    // scope and ObjectMeta rules THEN nothing is wrong with it
    expect(formatProblems(describeDocument(d), registry.validate(d.object))).toEqual([]);
  });

  it('reports a broken bootstrap manifest (the check is live)', () => {
    // GIVEN the platform ApplicationSet WHEN a generator field is misspelt
    const broken = structuredClone(PLATFORM_SET);
    (get(broken, 'spec', 'generators', 0, 'git') as Obj).directory = [{ path: 'environments/*' }];
    // THEN the CRD check names it
    expect(registry.validate(broken)).toContainEqual({
      path: '/spec/generators/0/git/directory',
      message: expect.stringMatching(/prune/),
    });
  });
});

describe('gitops/ wiring to what envcat renders', () => {
  it('platform ApplicationSet: one Application per environments/* folder, environment.yaml excluded', () => {
    // GIVEN the ApplicationSet reading the platform repo
    const git = get(PLATFORM_SET, 'spec', 'generators', 0, 'git');
    const template = get(PLATFORM_SET, 'spec', 'template');
    // THEN it generates from environments/<env> (src/core/layout), with Go templates
    expect(get(git, 'directories')).toEqual([{ path: 'environments/*' }]);
    expect(get(PLATFORM_SET, 'spec', 'goTemplate')).toBe(true);
    expect(get(PLATFORM_SET, 'spec', 'goTemplateOptions')).toEqual(['missingkey=error']);
    expect(get(template, 'metadata', 'name')).toBe('envcat-platform-{{ .path.basename }}');
    // AND syncs the whole folder except envcat's request, which is no Kubernetes object
    expect(get(template, 'spec', 'source', 'repoURL')).toBe(get(git, 'repoURL'));
    expect(get(template, 'spec', 'source', 'path')).toBe('{{ .path.path }}');
    expect(get(template, 'spec', 'source', 'directory')).toEqual({
      recurse: true,
      exclude: 'environment.yaml',
    });
    // AND removing an environment folder deletes what it deployed
    expect(get(template, 'metadata', 'finalizers')).toEqual(['resources-finalizer.argocd.argoproj.io']);
    expect(get(template, 'spec', 'syncPolicy', 'automated')).toEqual({ prune: true, selfHeal: true });
    expect(get(template, 'spec', 'destination', 'server')).toBe(
      DEFAULT_RENDER_OPTIONS.argocd.destinationServer,
    );
  });

  it("apps ApplicationSet: an app of apps per environments/*/apps, into envcat's Application namespace", () => {
    // GIVEN the ApplicationSet reading the application repo
    const git = get(APPS_SET, 'spec', 'generators', 0, 'git');
    const template = get(APPS_SET, 'spec', 'template');
    // THEN it generates from environments/<env>/apps and syncs the top-level Application files only
    expect(get(git, 'directories')).toEqual([{ path: 'environments/*/apps' }]);
    expect(get(APPS_SET, 'spec', 'goTemplate')).toBe(true);
    expect(get(APPS_SET, 'spec', 'goTemplateOptions')).toEqual(['missingkey=error']);
    expect(get(template, 'spec', 'source', 'repoURL')).toBe(get(git, 'repoURL'));
    expect(get(template, 'spec', 'source', 'path')).toBe('{{ .path.path }}');
    expect(get(template, 'spec', 'source', 'directory')).toEqual({ recurse: false });
    // AND puts them where envcat's rendered Applications live
    expect(get(template, 'spec', 'destination')).toEqual({
      server: DEFAULT_RENDER_OPTIONS.argocd.destinationServer,
      namespace: DEFAULT_RENDER_OPTIONS.argocd.namespace,
    });
    // AND removing an instance's file deletes its child Application
    expect(get(template, 'spec', 'syncPolicy', 'automated')).toEqual({ prune: true, selfHeal: true });
    expect(get(template, 'metadata', 'finalizers')).toEqual(['resources-finalizer.argocd.argoproj.io']);
  });

  it('every Argo CD object lives in the Argo CD namespace envcat renders into', () => {
    const argo = DOCUMENTS.filter((d) => d.apiVersion.startsWith('argoproj.io/'));
    expect(argo.length).toBeGreaterThan(0);
    for (const d of argo)
      expect([describeDocument(d), get(d.object, 'metadata', 'namespace')]).toEqual([
        describeDocument(d),
        DEFAULT_RENDER_OPTIONS.argocd.namespace,
      ]);
  });

  it("the generated Applications' project admits their destinations (argocd for the app of apps)", () => {
    // GIVEN the project of each ApplicationSet's Applications
    for (const set of [PLATFORM_SET, APPS_SET]) {
      const projectName = get(set, 'spec', 'template', 'spec', 'project');
      const project = only('AppProject', (o) => name(o) === projectName);
      const destinations = get(project, 'spec', 'destinations') as Array<{ namespace: string }>;
      const repoURL = get(set, 'spec', 'generators', 0, 'git', 'repoURL');
      // THEN the project allows the source repo, and does not deny the destination namespace
      expect(get(project, 'spec', 'sourceRepos')).toContain(repoURL);
      const namespace = get(set, 'spec', 'template', 'spec', 'destination', 'namespace');
      if (typeof namespace === 'string')
        expect(destinations.map((d) => d.namespace)).not.toContain(`!${namespace}`);
    }
  });

  describe("envcat's Applications: a project per environment, none in the bootstrap", () => {
    it('has no shared project for them: envcat renders envcat-<env> into namespace.yaml', () => {
      // GIVEN the default project option, which names a project per environment
      expect(DEFAULT_RENDER_OPTIONS.argocd.project).toContain(PROJECT_PLACEHOLDER);
      // THEN the bootstrap holds only the ApplicationSets' project
      const bootstrap = DOCUMENTS.filter((d) => d.file.startsWith('bootstrap/'));
      expect(bootstrap.filter((d) => d.kind === 'AppProject').map((d) => name(d.object))).toEqual([
        'envcat-bootstrap',
      ]);
    });

    it("lets the platform Applications create each environment's AppProject, and nothing wider", () => {
      // GIVEN the project of the platform ApplicationSet's Applications
      const projectName = get(PLATFORM_SET, 'spec', 'template', 'spec', 'project');
      const project = only('AppProject', (o) => name(o) === projectName);
      // THEN AppProject is one of its namespaced kinds, and the argocd namespace is not denied
      expect(get(project, 'spec', 'namespaceResourceWhitelist')).toContainEqual({
        group: 'argoproj.io',
        kind: 'AppProject',
      });
      const destinations = get(project, 'spec', 'destinations') as Array<{ namespace: string }>;
      expect(destinations.map((d) => d.namespace)).not.toContain(
        `!${DEFAULT_RENDER_OPTIONS.argocd.namespace}`,
      );
      // AND no wildcard kind: the platform repo creates only what envcat renders there
      for (const list of ['namespaceResourceWhitelist', 'clusterResourceWhitelist'])
        for (const item of get(project, 'spec', list) as Obj[]) expect(item.kind).not.toContain('*');
    });

    it('syncs the platform Applications server-side (a large inline module fits no annotation)', () => {
      expect(get(PLATFORM_SET, 'spec', 'template', 'spec', 'syncPolicy', 'syncOptions')).toContain(
        'ServerSideApply=true',
      );
    });
  });

  describe.each([
    ['tf.upbound.io/v1beta1', 'ProviderConfig'],
    ['tf.m.upbound.io/v1beta1', 'ClusterProviderConfig'],
  ])('provider-terraform %s %s', (apiVersion, kind) => {
    const config = only(kind, (o) => o.apiVersion === apiVersion);

    it("is the one envcat's Workspaces reference, cluster-scoped", () => {
      expect(name(config)).toBe(DEFAULT_RENDER_OPTIONS.providerConfig);
      expect(get(config, 'metadata', 'namespace')).toBeUndefined();
    });

    it('keeps Terraform state in Kubernetes and declares no provider the modules declare', async () => {
      // GIVEN its Terraform configuration, parsed with HashiCorp's HCL parser
      const hcl = (await parseHcl('providerconfig.tf', String(get(config, 'spec', 'configuration')))) as Obj;
      // THEN the state backend is a Secret in crossplane-system, reached from inside the cluster
      expect(get(hcl, 'terraform', 0, 'backend', 'kubernetes', 0)).toEqual(
        expect.objectContaining({ namespace: 'crossplane-system', in_cluster_config: true }),
      );
      // AND no provider block (each built-in module declares `provider "aws"`: two would clash)
      expect(hcl.provider).toBeUndefined();
    });

    it('hands terraform the AWS credentials file from a Secret', () => {
      expect(get(config, 'spec', 'credentials')).toEqual([
        {
          filename: 'aws-creds.ini',
          source: 'Secret',
          secretRef: { namespace: 'crossplane-system', name: 'aws-creds', key: 'credentials' },
        },
      ]);
    });
  });

  it('kustomization.yaml lists exactly the YAML files of gitops/bootstrap', () => {
    // GIVEN the kustomization WHEN compared with the folder's other YAML files
    const kustomization = parseYamlDocuments(readFileSync(join(BOOTSTRAP, 'kustomization.yaml'), 'utf8'))[0];
    const files = readdirSync(BOOTSTRAP)
      .filter((f) => /\.ya?ml$/.test(f) && !/^kustomization\.ya?ml$/.test(f))
      .sort();
    // THEN each one is applied, and nothing else
    expect(get(kustomization, 'kind')).toBe('Kustomization');
    expect([...(get(kustomization, 'resources') as string[])].sort()).toEqual(files);
  });
});
