/**
 * Conformance of what the function composes: every built-in example request, as a namespaced and as
 * a cluster-scoped Environment XR (both Workspace APIs for the latter), composed through phase 2,
 * gives objects the API server accepts as written — custom resources against the real CRDs in
 * ../shared/crds, core kinds (also the manifests carried inside an Application) with kubernetes-models.
 */
import { existsSync } from 'node:fs';
import { RunFunctionRequest, RunFunctionResponse } from '@crossplane-org/function-sdk-typescript';
import { validateEnvironment, type ResolvedEnvironment } from '../../src/core/index.js';
import { EnvcatFunction } from '../../functions/function.js';
import { CrdRegistry } from '../conformance/crds.js';
import { checkFor, validateWithoutCrds } from '../conformance/manifests.js';
import { validateCoreObject } from '../conformance/core-kinds.js';
import { formatProblems } from '../conformance/problems.js';
import { variantExamples } from '../conformance/rendered.js';
import { builtInCatalog, examples, sampleOutputs, SHARED_CRDS } from '../support/examples.js';
import { compositionInput, environmentObjectObserved, workspaceObserved, type Obj } from './support.js';

const haveCrds = existsSync(SHARED_CRDS);
if (!haveCrds)
  console.warn(`SKIPPED: CRD checks of composed resources need ${SHARED_CRDS}, which is absent.`);

interface Composed {
  name: string;
  object: Obj;
  /** Carried inside an Application: Argo CD supplies the namespace. */
  inApplication: boolean;
}

/** The request as an XR: literal secrets (fake values in the examples) become fromSecret references. */
function asXr(document: Obj, env: ResolvedEnvironment, scope: 'Namespaced' | 'Cluster'): Obj {
  const doc = structuredClone(document) as {
    metadata: Obj;
    spec: Obj & { catalogs: Array<{ parameters?: Obj }> };
  };
  for (const instance of env.instances)
    for (const [param, source] of Object.entries(instance.secrets))
      if (source.kind === 'literal')
        (doc.spec.catalogs[instance.index] as { parameters: Obj }).parameters[param] = {
          fromSecret: { name: `${instance.name}-secrets`, key: param },
        };
  const metadata = {
    name: doc.metadata.name,
    ...(scope === 'Namespaced' ? { namespace: env.namespace } : {}),
  };
  const spec =
    scope === 'Namespaced'
      ? { ...doc.spec, namespace: undefined }
      : { ...doc.spec, namespace: env.namespace };
  return {
    apiVersion: 'platform.envcat.io/v1alpha1',
    kind: 'Environment',
    metadata,
    spec: JSON.parse(JSON.stringify(spec)),
  };
}

async function composeThroughPhase2(): Promise<Composed[]> {
  const catalog = await builtInCatalog();
  const fn = new EnvcatFunction({ now: () => new Date('2025-01-01T00:00:00Z') });
  const run = async (xr: Obj, observed: Record<string, Obj>, input: Obj) =>
    RunFunctionResponse.toJSON(
      await fn.RunFunction(
        RunFunctionRequest.fromJSON({
          observed: {
            composite: { resource: xr },
            resources: Object.fromEntries(Object.entries(observed).map(([k, resource]) => [k, { resource }])),
          },
          input,
        }),
      ),
    ) as {
      desired?: { resources?: Record<string, { resource: Obj }> };
      results?: Array<{ severity: string; message: string }>;
    };

  const composed: Composed[] = [];
  const variants = [
    { scope: 'Namespaced', api: 'namespaced' },
    { scope: 'Cluster', api: 'namespaced' },
    { scope: 'Cluster', api: 'cluster' },
  ] as const;
  // The variants add a secret Terraform variable (TF_VAR_* from a Secret), a ResourceQuota and a LimitRange.
  for (const example of [...examples(), ...variantExamples(examples())]) {
    const { environment } = validateEnvironment(example.document, catalog);
    const outputs = sampleOutputs(environment);
    for (const { scope, api } of variants) {
      const name = `${scope}/${api} ${example.id}`;
      const xr = asXr(example.document as Obj, environment, scope);
      const input = {
        ...compositionInput(),
        render: { ...(compositionInput().render as Obj), workspaceApi: api },
      };
      const first = await run(xr, {}, input);
      const fatal = (first.results ?? []).filter((r) => r.severity === 'SEVERITY_FATAL');
      if (fatal.length > 0) throw new Error(`${name}: ${fatal.map((r) => r.message).join('; ')}`);
      const observed: Record<string, Obj> = {};
      for (const [key, { resource }] of Object.entries(first.desired?.resources ?? {})) {
        const instance = key.replace(/^infra-/, '');
        observed[key] = key.startsWith('infra-')
          ? workspaceObserved(resource, 'available', { ...outputs[instance] })
          : environmentObjectObserved(resource);
      }
      const second = await run(xr, observed, input);
      for (const [key, { resource }] of Object.entries(second.desired?.resources ?? {})) {
        composed.push({ name: `${name} ${key}`, object: resource, inApplication: false });
        const values = (
          (resource.spec as Obj | undefined)?.source as { helm?: { valuesObject?: { resources?: Obj[] } } }
        )?.helm?.valuesObject;
        if (resource.kind === 'Application' && (resource.spec as { source: Obj }).source.chart === 'raw')
          (values?.resources ?? []).forEach((manifest, i) =>
            composed.push({
              name: `${name} ${key} resources[${i}] ${String(manifest.kind)}`,
              object: manifest,
              inApplication: true,
            }),
          );
      }
    }
  }
  return composed;
}

const COMPOSED = await composeThroughPhase2();
const CUSTOM = COMPOSED.filter(
  (c) => !c.inApplication && checkFor(String(c.object.apiVersion), String(c.object.kind)) === 'crd',
);
const CORE = COMPOSED.filter(
  (c) => c.inApplication || checkFor(String(c.object.apiVersion), String(c.object.kind)) !== 'crd',
);

describe('what the function composes', () => {
  it('covers every kind of both phases under every placement', () => {
    const kinds = (prefix: string) =>
      [
        ...new Set(
          COMPOSED.filter((c) => c.name.startsWith(prefix) && !c.inApplication).map(
            (c) => `${String(c.object.apiVersion)} ${String(c.object.kind)}`,
          ),
        ),
      ].sort();
    expect(kinds('Namespaced/')).toEqual([
      'argoproj.io/v1alpha1 Application',
      'networking.k8s.io/v1 NetworkPolicy',
      'protection.crossplane.io/v1beta1 Usage',
      'tf.m.upbound.io/v1beta1 Workspace',
      'v1 LimitRange',
      'v1 ResourceQuota',
    ]);
    expect(kinds('Cluster/cluster')).toEqual([
      'argoproj.io/v1alpha1 Application',
      'networking.k8s.io/v1 NetworkPolicy',
      'protection.crossplane.io/v1beta1 ClusterUsage',
      'tf.upbound.io/v1beta1 Workspace',
      'v1 LimitRange',
      'v1 Namespace',
      'v1 ResourceQuota',
    ]);
    // AND a Workspace reading a secret variable from a Secret, under each Workspace API
    const withEnv = COMPOSED.filter(
      (c) => c.object.kind === 'Workspace' && 'env' in (c.object.spec as { forProvider: Obj }).forProvider,
    );
    expect(new Set(withEnv.map((c) => String(c.object.apiVersion)))).toEqual(
      new Set(['tf.m.upbound.io/v1beta1', 'tf.upbound.io/v1beta1']),
    );
    expect(COMPOSED.some((c) => c.inApplication && c.object.kind === 'Deployment')).toBe(true);
  });

  it.each(CORE.map((c) => [c.name, c] as const))('%s conforms', (_name, c) => {
    const problems = c.inApplication
      ? validateCoreObject(c.object, { namespaceRequired: false })
      : validateWithoutCrds(c.object, { repo: 'platform' });
    expect(formatProblems(c.name, problems)).toEqual([]);
  });
});

const describeIfCrds = haveCrds ? describe : describe.skip;
if (!haveCrds) {
  describe('composed custom resources against the CRDs', () => {
    it.skip(`SKIPPED: ${SHARED_CRDS} is absent, so composed custom resources were not checked`, () => {});
  });
}

describeIfCrds(`composed custom resources against the CRDs in ${SHARED_CRDS}`, () => {
  const registry = new CrdRegistry(SHARED_CRDS);
  it.each(CUSTOM.map((c) => [c.name, c] as const))('%s conforms', (_name, c) => {
    expect(formatProblems(c.name, registry.validate(c.object))).toEqual([]);
  });
});
