/**
 * What changes when Crossplane, not Git, carries a rendered step to the cluster. The renderer's
 * output is the engine's; two things in it assume the engine is there:
 * - secret Terraform variables are read from a tfvars Secret the engine writes (`varFiles`); here
 *   nobody writes it, so each variable comes straight from the Secret that holds it (the user's
 *   `fromSecret`, or a producer's connection Secret) as a `TF_VAR_<name>` environment variable;
 * - a `manifests` entry's Application points at files the engine commits to the application repo;
 *   here nobody commits them, so the rendered manifests travel inside the Application as the values
 *   of a chart that renders a list of objects (bedag's `raw` by default).
 * Everything else is the renderer's output unchanged.
 */
import {
  LABEL,
  outputSecretName,
  RESOURCES_FINALIZER,
  parseYamlDocuments,
  type JsonValue,
  type RenderedStep,
  type ResolvedEnvironment,
  type SecretSource,
  type WorkspaceApi,
  isRecord,
} from '../src/core/index.js';
import type { ManifestsChart } from './input.js';

export type Obj = Record<string, unknown>;

function documents(rendered: RenderedStep): Obj[] {
  return rendered.files.flatMap((file) => (parseYamlDocuments(file.content) as unknown[]).filter(isRecord));
}

/** Where a secret Terraform variable's value is: a Secret and key in the environment's namespace. */
function secretKeyRef(env: ResolvedEnvironment, source: SecretSource): { name: string; key: string } {
  switch (source.kind) {
    case 'secretRef':
      return { name: source.name, key: source.key };
    case 'output':
      return { name: outputSecretName(env.name, source.reference.from), key: source.reference.output };
    case 'literal':
      // resolveComposite rejects literal secrets before anything is rendered.
      throw new Error('a literal secret value cannot be composed');
  }
}

/** The Workspace of an infra step, its secret variables read from their Secrets as TF_VAR_*. */
export function composedWorkspace(args: {
  env: ResolvedEnvironment;
  rendered: RenderedStep;
  workspaceApi: WorkspaceApi;
}): Obj {
  const { env, rendered, workspaceApi } = args;
  const workspace = documents(rendered).find((d) => d.kind === 'Workspace');
  if (!workspace) throw new Error(`step ${rendered.step} rendered no Workspace`);
  const variables = rendered.secrets.flatMap((plan) => plan.tfvars);
  const spec = workspace.spec as Obj;
  const forProvider = spec.forProvider as Obj;
  delete forProvider.varFiles;
  if (variables.length > 0) {
    forProvider.env = [...variables]
      .sort((a, b) => (a.variable < b.variable ? -1 : a.variable > b.variable ? 1 : 0))
      .map(({ variable, source }) => {
        const ref = secretKeyRef(env, source);
        return {
          name: `TF_VAR_${variable}`,
          secretKeyRef: workspaceApi === 'namespaced' ? ref : { ...ref, namespace: env.namespace },
        };
      });
  }
  return workspace;
}

/** The Application of an apps step; a `manifests` entry's rendered manifests go inside it. */
export function composedApplication(args: { rendered: RenderedStep; chart: ManifestsChart }): Obj {
  const { rendered, chart } = args;
  const all = documents(rendered);
  const application = all.find((d) => d.kind === 'Application' && d.apiVersion === 'argoproj.io/v1alpha1');
  if (!application) throw new Error(`step ${rendered.step} rendered no Application`);
  const manifests = all.filter((d) => d !== application);
  if (manifests.length === 0) return application;
  const spec = application.spec as Obj;
  const instance = (application.metadata as { labels?: Record<string, string> }).labels?.[
    'envcat.io/instance'
  ];
  spec.source = {
    repoURL: chart.repoURL,
    chart: chart.chart,
    targetRevision: chart.targetRevision,
    helm: {
      ...(instance ? { releaseName: instance } : {}),
      valuesObject: { resources: manifests as JsonValue[] },
    },
  };
  return application;
}

/** Label keys the renderer sets (core render/labels.ts). */
const OWN_LABELS: ReadonlySet<string> = new Set(Object.values(LABEL));
/** Annotations and labels under this prefix are envcat's own; the renderer sets no others. */
const OWN_PREFIX = 'envcat.io/';
/** The only finalizer the renderer sets (an Application's cascade delete); the rest are others'. */
const OWN_FINALIZERS: ReadonlySet<string> = new Set([RESOURCES_FINALIZER]);

function own(map: unknown, keep: (key: string) => boolean): Record<string, unknown> | undefined {
  if (!isRecord(map)) return undefined;
  const kept = Object.fromEntries(Object.entries(map).filter(([key]) => keep(key)));
  return Object.keys(kept).length > 0 ? kept : undefined;
}

/**
 * A resource composed earlier, to compose again as it is when it cannot be rendered now (its
 * outputs went missing, or it waits for its turn to be deleted): what the function once asked for,
 * and nothing that the API server or a controller added. Crossplane server-side applies desired
 * resources with the XR as field manager, so anything sent back here would become the XR's to
 * keep, and a controller could no longer remove it. Kept: the name, namespace and spec, the
 * labels and annotations envcat renders (`envcat.io/*`, app.kubernetes.io/managed-by) and the
 * Argo CD resources finalizer it renders. Dropped, among others:
 * - the managed reconciler's `finalizer.managedresource.crossplane.io` and its annotations
 *   `crossplane.io/external-name`, `crossplane.io/external-create-{pending,succeeded,failed}`
 *   (crossplane-runtime pkg/meta/meta.go), which provider-terraform sets on every Workspace;
 * - what Crossplane sets on every composed resource itself: the `crossplane.io/composite` (and
 *   claim) labels and the `crossplane.io/composition-resource-name` annotation
 *   (crossplane internal/controller/apiextensions/composite/composition_render.go);
 * - the usage controller's `crossplane.io/in-use` label and its webhook's
 *   `usage.crossplane.io/deletion-attempt-with-policy` annotation (crossplane
 *   internal/controller/protection/usage/reconciler.go, internal/protection/usage.go);
 * - Argo CD's `argocd.argoproj.io/refresh`, kubectl's last-applied-configuration;
 * - uid, resourceVersion, generation, creationTimestamp, deletionTimestamp, managedFields,
 *   ownerReferences and status.
 */
export function asObserved(observed: Obj): Obj {
  const metadata = isRecord(observed.metadata) ? observed.metadata : {};
  const keep: Obj = {};
  for (const key of ['name', 'namespace']) if (metadata[key] !== undefined) keep[key] = metadata[key];
  const labels = own(metadata.labels, (key) => OWN_LABELS.has(key) || key.startsWith(OWN_PREFIX));
  if (labels) keep.labels = labels;
  const annotations = own(metadata.annotations, (key) => key.startsWith(OWN_PREFIX));
  if (annotations) keep.annotations = annotations;
  const finalizers = Array.isArray(metadata.finalizers)
    ? metadata.finalizers.filter((f): f is string => typeof f === 'string' && OWN_FINALIZERS.has(f))
    : [];
  if (finalizers.length > 0) keep.finalizers = finalizers;
  return {
    apiVersion: observed.apiVersion,
    kind: observed.kind,
    metadata: keep,
    ...(observed.spec !== undefined ? { spec: observed.spec } : {}),
  };
}
