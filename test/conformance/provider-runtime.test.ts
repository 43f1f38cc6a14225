/**
 * gitops/provider-terraform/provider.yaml, which gitops/README.md's walkthrough applies: its
 * DeploymentRuntimeConfig against the real CRD (../shared/crds/pkg.crossplane.io_deploymentruntimeconfigs.yaml),
 * and the provider flags and environment it sets. The flags are provider-terraform's
 * (cmd/provider/main.go: `--max-reconcile-rate`, default 1; `--timeout`, default 20m).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseYamlDocuments } from '../../src/core/index.js';
import { REPO_ROOT, SHARED_CRDS } from '../support/examples.js';
import { CrdRegistry } from './crds.js';
import { formatProblems } from './problems.js';

type Obj = Record<string, unknown>;

const FILE = 'gitops/provider-terraform/provider.yaml';
const DOCUMENTS = parseYamlDocuments(readFileSync(join(REPO_ROOT, FILE), 'utf8')) as Obj[];
const RUNTIME = DOCUMENTS.find((d) => d.kind === 'DeploymentRuntimeConfig') as Obj & {
  metadata: { name: string };
  spec: {
    deploymentTemplate: {
      spec: { template: { spec: { containers: Array<{ name: string; args?: string[]; env?: Obj[] }> } } };
    };
  };
};
const PROVIDER = DOCUMENTS.find((d) => d.kind === 'Provider') as Obj & {
  spec: { package: string; runtimeConfigRef: { apiVersion?: string; kind?: string; name: string } };
};

const haveCrds = existsSync(SHARED_CRDS);
const describeIfCrds = haveCrds ? describe : describe.skip;
if (!haveCrds) {
  console.warn(`SKIPPED: the DeploymentRuntimeConfig check needs ${SHARED_CRDS}, which is absent.`);
  describe('provider-terraform runtime config against its CRD', () => {
    it.skip(`SKIPPED: ${SHARED_CRDS} is absent`, () => {});
  });
}

function runtimeContainer(runtime: typeof RUNTIME) {
  const container = runtime.spec.deploymentTemplate.spec.template.spec.containers.find(
    (c) => c.name === 'package-runtime',
  );
  if (!container) throw new Error(`${FILE}: no package-runtime container`);
  return container;
}

describeIfCrds(`${FILE} against the CRDs in ${SHARED_CRDS}`, () => {
  const registry = new CrdRegistry(SHARED_CRDS);

  it('is a pkg.crossplane.io/v1beta1 DeploymentRuntimeConfig the API server accepts as written', () => {
    expect(RUNTIME.apiVersion).toBe('pkg.crossplane.io/v1beta1');
    expect(formatProblems(FILE, registry.validate(RUNTIME))).toEqual([]);
  });

  it.each<[string, (o: typeof RUNTIME) => void, string, RegExp]>([
    [
      'args as one string',
      (o) => ((runtimeContainer(o) as Obj).args = '--max-reconcile-rate=10'),
      '/spec/deploymentTemplate/spec/template/spec/containers/0/args',
      /must be array/,
    ],
    [
      'a misspelt container field',
      (o) => ((runtimeContainer(o) as Obj).arguments = ['--max-reconcile-rate=10']),
      '/spec/deploymentTemplate/spec/template/spec/containers/0/arguments',
      /prune/,
    ],
    [
      'the Deployment spec without its required selector',
      (o) => delete (o.spec.deploymentTemplate.spec as Obj).selector,
      '/spec/deploymentTemplate/spec/selector',
      /required/,
    ],
  ])('reports a broken copy: %s', (_name, breakIt, path, message) => {
    // GIVEN the runtime config WHEN broken THEN the CRD check names the field
    const broken = structuredClone(RUNTIME);
    breakIt(broken);
    expect(registry.validate(broken)).toContainEqual({ path, message: expect.stringMatching(message) });
  });
});

describe(`${FILE}: what the provider runs with`, () => {
  const container = runtimeContainer(RUNTIME);

  it('reconciles several Workspaces at once (provider-terraform defaults to one)', () => {
    const rate = container.args?.map((a) => /^--max-reconcile-rate=(\d+)$/.exec(a)?.[1]).find(Boolean);
    expect(Number(rate)).toBeGreaterThan(1);
    // AND a CPU limit goes with it: each concurrent reconcile may use a CPU (provider-terraform README)
    expect((container as { resources?: { limits?: Obj } }).resources?.limits?.cpu).toBeDefined();
  });

  it('gives terraform longer than the 20m default before it is killed', () => {
    const timeout = container.args?.map((a) => /^--timeout=(\d+)m$/.exec(a)?.[1]).find(Boolean);
    expect(Number(timeout)).toBeGreaterThan(20);
  });

  it('points the AWS provider at the credentials file the ProviderConfigs write', () => {
    const providerConfigs = parseYamlDocuments(
      readFileSync(join(REPO_ROOT, 'gitops/bootstrap/providerconfig.yaml'), 'utf8'),
    ) as Array<{ spec: { credentials: Array<{ filename: string }> } }>;
    const filenames = new Set(providerConfigs.flatMap((p) => p.spec.credentials.map((c) => c.filename)));
    const file = container.env?.find((e) => e.name === 'AWS_SHARED_CREDENTIALS_FILE')?.value;
    expect([...filenames]).toEqual([file]);
  });

  it('is the runtime config of a Provider pinned to a release that serves tf.m.upbound.io (v1.0 or later)', () => {
    expect(PROVIDER.apiVersion).toBe('pkg.crossplane.io/v1');
    expect(PROVIDER.spec.runtimeConfigRef).toEqual({
      apiVersion: RUNTIME.apiVersion,
      kind: RUNTIME.kind,
      name: RUNTIME.metadata.name,
    });
    const version = /^xpkg\.upbound\.io\/upbound\/provider-terraform:v(\d+)\.(\d+)\.(\d+)$/.exec(
      PROVIDER.spec.package,
    );
    expect(version).not.toBeNull();
    expect(Number(version?.[1])).toBeGreaterThanOrEqual(1);
  });

  it('is what the walkthrough applies, at the version it names', () => {
    const readme = readFileSync(join(REPO_ROOT, 'gitops/README.md'), 'utf8');
    expect(readme).toContain(`kubectl apply -f ${FILE}`);
    expect(readme).toContain(PROVIDER.spec.package);
  });
});
