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
  outputSecretName,
  parseYamlDocuments,
  type JsonValue,
  type RenderedStep,
  type ResolvedEnvironment,
  type SecretSource,
  type WorkspaceApi,
} from '../src/core/index.js';
import type { ManifestsChart } from './input.js';

export type Obj = Record<string, unknown>;

function isRecord(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

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

/**
 * A resource composed earlier, to compose again as it is when it cannot be rendered now (its
 * outputs went missing, or it waits for its turn to be deleted): what the function once asked for,
 * without what the API server and the controllers added.
 */
export function asObserved(observed: Obj): Obj {
  const metadata = isRecord(observed.metadata) ? observed.metadata : {};
  const keep: Obj = {};
  for (const key of ['name', 'namespace', 'labels', 'annotations', 'finalizers'])
    if (metadata[key] !== undefined) keep[key] = metadata[key];
  const annotations = isRecord(keep.annotations) ? { ...keep.annotations } : undefined;
  if (annotations) {
    delete annotations['kubectl.kubernetes.io/last-applied-configuration'];
    keep.annotations = annotations;
  }
  return {
    apiVersion: observed.apiVersion,
    kind: observed.kind,
    metadata: keep,
    ...(observed.spec !== undefined ? { spec: observed.spec } : {}),
  };
}
