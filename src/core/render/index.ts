/**
 * Rendering (pure): a validated environment and the outputs observed so far in, the files each
 * GitOps repo receives out, plus the Secrets the engine must create (never written to Git).
 */
import type { ValidateFunction } from 'ajv';
import type { JsonValue } from '../catalog/types.js';
import { InputError, type Problem } from '../errors/index.js';
import { isSecretSchema } from '../catalog/schema-keywords.js';
import type { OutputReference, ResolvedEnvironment, ResolvedInstance } from '../environment/types.js';
import { outputSecretName, parameterSecretName } from '../environment/validate.js';
import { stepId, type Plan, type Step } from '../plan/index.js';
import { createAjv, ajvProblems } from '../schema/index.js';
import {
  renderTemplate,
  TemplateRenderError,
  type TemplateContext,
  type TemplateValue,
} from '../template/index.js';
import { toYaml } from '../yaml/index.js';
import {
  ANNOTATION,
  LABEL,
  MANAGED_BY,
  environmentFile,
  manifestFile,
  namespaceFile,
  repoOf,
  stepFile,
  type Repo,
} from '../layout/index.js';
import { renderApplication } from './application.js';
import { renderNamespace } from './namespace.js';
import { renderAppProject } from './appproject.js';
import { NAMESPACE_TEMPLATE } from '../catalog/manifest-rules.js';
import type { RenderOptions } from './options.js';
import { planSecret, secretLocation, type SecretPlan } from './secrets.js';
import { renderWorkspace } from './workspace.js';

export * from './options.js';
export { labelSafeVersion, qualifiedName, renderedEntryVersion } from './labels.js';
export { WORKSPACE_API, committedSpecDigest, specDigest } from './workspace.js';
export { RESOURCES_FINALIZER } from './application.js';
export {
  PROJECT_PLACEHOLDER,
  appProjectInPlace,
  applicationProject,
  declaredClusterResources,
  projectOptionProblem,
  projectPerEnvironment,
  renderAppProject,
  sourceRepos,
} from './appproject.js';
export { secretData, TFVARS_KEY, type SecretPlan } from './secrets.js';
export { checkExamples, sampleOutputs, sampleValue } from './examples.js';

export type { Repo };

export interface RenderedFile {
  repo: Repo;
  /** Path inside the repo, '/'-separated. */
  path: string;
  content: string;
  /** The step that owns the file; undefined for the environment's own files. */
  step?: string;
  /**
   * The object `content` is the YAML of (an apps step's Application), for a reader in this process
   * that would otherwise parse it back: the engine's view of the repo after its own commit.
   */
  document?: unknown;
}

/** Non-sensitive output values observed so far: `{ <instance>: { <output>: value } }`. */
export type OutputValues = Readonly<Record<string, Readonly<Record<string, JsonValue>>>>;

export interface RenderedStep {
  step: string;
  files: RenderedFile[];
  secrets: SecretPlan[];
}

/**
 * environment.yaml (the request without secret values) and namespace.yaml (the Namespace, its
 * isolation objects and the environment's Argo CD project), committed before any step.
 */
export function renderEnvironmentFiles(env: ResolvedEnvironment, options: RenderOptions): RenderedFile[] {
  return [
    { repo: 'platform', path: environmentFile(env.name), content: toYaml(env.document) },
    renderNamespaceFile(env, options),
  ];
}

/** namespace.yaml alone (renderEnvironmentFiles' second file). */
export function renderNamespaceFile(env: ResolvedEnvironment, options: RenderOptions): RenderedFile {
  const project = renderAppProject(env, options);
  return {
    repo: 'platform',
    path: namespaceFile(env.name),
    content: toYaml([...renderNamespace(env), ...(project ? [project] : [])]),
  };
}

/** The references a step needs that `outputs` does not have a value for yet. */
export function missingOutputs(
  env: ResolvedEnvironment,
  step: Step,
  outputs: OutputValues,
): OutputReference[] {
  const instance = findInstance(env, step.instance);
  return Object.values(instance.references).filter(
    (ref) =>
      consumedBy(instance, ref.parameter) === step.part && outputs[ref.from]?.[ref.output] === undefined,
  );
}

function consumedBy(instance: ResolvedInstance, parameter: string): 'infra' | 'apps' {
  const type = instance.entry.document.spec.type;
  if (type === 'iac') return 'infra';
  if (type === 'yaml') return 'apps';
  return instance.entry.terraform?.variables.has(parameter) ? 'infra' : 'apps';
}

function findInstance(env: ResolvedEnvironment, name: string): ResolvedInstance {
  const instance = env.instances.find((i) => i.name === name);
  if (!instance) throw new Error(`no instance ${name} in environment ${env.name}`);
  return instance;
}

/**
 * Parameter values for a step: literals with defaults plus the outputs it references, each
 * checked against the parameter's schema. Throws InputError naming the reference when a value is
 * missing or does not fit.
 */
function resolveParameters(
  env: ResolvedEnvironment,
  instance: ResolvedInstance,
  outputs: OutputValues,
): Record<string, JsonValue> {
  const values: Record<string, JsonValue> = { ...instance.values };
  const problems: Problem[] = [];
  const properties = (instance.entry.document.spec.parameters.properties ?? {}) as Record<
    string,
    Record<string, JsonValue>
  >;
  for (const ref of Object.values(instance.references)) {
    const value = outputs[ref.from]?.[ref.output];
    if (value === undefined) {
      problems.push({ path: ref.pointer, message: `output ${ref.from}.${ref.output} has no value yet` });
      continue;
    }
    const schema = properties[ref.parameter];
    if (schema && !isSecretSchema(schema)) {
      const validate = valueValidator(schema);
      if (!validate(value)) {
        for (const p of ajvProblems(validate.errors)) {
          problems.push({
            path: ref.pointer,
            message: `output ${ref.from}.${ref.output} does not fit ${ref.parameter}: ${p.path ? `${p.path} ` : ''}${p.message}`,
          });
        }
        continue;
      }
    }
    values[ref.parameter] = value;
  }
  if (problems.length > 0) throw new InputError(problems);
  return values;
}

const valueValidators = new WeakMap<object, ValidateFunction>();
// One instance for all of them, without the meta-schema check, which would first compile the
// meta-schema (~50 ms): each schema is a parameter's, which passed validateEntry's check.
let valueAjv: ReturnType<typeof createAjv> | undefined;
function valueValidator(schema: Record<string, JsonValue>): ValidateFunction {
  let validate = valueValidators.get(schema);
  if (!validate) {
    valueAjv ??= createAjv({ strict: false, validateSchema: false });
    // Two schemas with the same $id cannot share an instance.
    validate = ('$id' in schema ? createAjv({ strict: false, validateSchema: false }) : valueAjv).compile(
      schema,
    );
    valueValidators.set(schema, validate);
  }
  return validate;
}

function templateContext(
  env: ResolvedEnvironment,
  instance: ResolvedInstance,
  values: Record<string, JsonValue>,
  outputs: OutputValues,
): TemplateContext {
  const parameters: Record<string, TemplateValue> = {};
  for (const [name, value] of Object.entries(values)) parameters[name] = { kind: 'value', value };
  // A secret's location is known even when no value was given, so `optional: true` references work.
  for (const secret of instance.entry.secretParameters) {
    parameters[secret.name] = secretLocation(env, instance, secret.name) ?? {
      kind: 'secret',
      secretName: parameterSecretName(env.name, instance.name),
      secretKey: secret.key,
    };
  }
  const own: Record<string, TemplateValue> = {};
  for (const o of instance.entry.document.spec.outputs ?? []) {
    if (o.sensitive)
      own[o.name] = {
        kind: 'secret',
        secretName: outputSecretName(env.name, instance.name),
        secretKey: o.name,
      };
    else {
      const value = outputs[instance.name]?.[o.name];
      if (value !== undefined) own[o.name] = { kind: 'value', value };
    }
  }
  return {
    environment: { name: env.name, namespace: env.namespace },
    instance: { name: instance.name },
    parameters,
    outputs: own,
  };
}

function missingOwnOutputs(instance: ResolvedInstance, outputs: OutputValues): string[] {
  return (instance.entry.document.spec.outputs ?? [])
    .filter((o) => !o.sensitive && outputs[instance.name]?.[o.name] === undefined)
    .map((o) => o.name);
}

function withTemplateErrors<T>(file: string, render: () => T): T {
  try {
    return render();
  } catch (error) {
    if (error instanceof TemplateRenderError)
      throw new InputError([{ file, path: error.pointer, message: error.message }], { cause: error });
    throw error;
  }
}

/** The Secrets envcat writes for a step (its instance's parameter Secret, if it has secret parameters), without rendering it. */
export function stepSecretPlans(env: ResolvedEnvironment, step: Step): SecretPlan[] {
  const instance = findInstance(env, step.instance);
  const secret = planSecret(env, instance, {
    [LABEL.managedBy]: MANAGED_BY,
    [LABEL.environment]: env.name,
    [LABEL.instance]: instance.name,
  });
  return secret ? [secret] : [];
}

/**
 * A manifest's namespace may only render to the environment's (catalog validation already refused
 * a literal one): Argo CD's project allows no other destination.
 */
function checkRenderedNamespaces(env: ResolvedEnvironment, file: string, docs: JsonValue[]): void {
  const problems: Problem[] = [];
  docs.forEach((doc, i) => {
    if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) return;
    const metadata = doc.metadata;
    if (metadata === null || typeof metadata !== 'object' || Array.isArray(metadata)) return;
    const namespace = metadata.namespace;
    if (namespace === undefined || namespace === env.namespace) return;
    problems.push({
      file,
      path: `/${i}/metadata/namespace`,
      message: `renders to ${JSON.stringify(namespace)}, not the environment's namespace "${env.namespace}": write ${NAMESPACE_TEMPLATE} or leave it out`,
    });
  });
  if (problems.length > 0) throw new InputError(problems);
}

export function renderStep(args: {
  env: ResolvedEnvironment;
  step: Step;
  outputs: OutputValues;
  options: RenderOptions;
}): RenderedStep {
  const { env, step, outputs, options } = args;
  const instance = findInstance(env, step.instance);
  const values = resolveParameters(env, instance, outputs);
  const secrets = stepSecretPlans(env, step);
  const secret = secrets[0];

  if (step.part === 'infra') {
    const workspace = renderWorkspace({
      env,
      instance,
      variables: values,
      hasSecretVariables: (secret?.tfvars.length ?? 0) > 0,
      options,
    });
    return {
      step: step.id,
      secrets,
      files: [
        {
          repo: 'platform',
          path: stepFile(env.name, 'infra', instance.name),
          content: toYaml(workspace),
          step: step.id,
        },
      ],
    };
  }

  // A hybrid's own non-sensitive outputs must be known before its apps render.
  const own = instance.entry.document.spec.type === 'hybrid' ? missingOwnOutputs(instance, outputs) : [];
  if (own.length > 0) {
    throw new InputError([
      {
        path: `/spec/catalogs/${instance.index}`,
        message: `outputs of ${instance.name} have no value yet: ${own.join(', ')}`,
      },
    ]);
  }
  const ctx = templateContext(env, instance, values, outputs);
  const files: RenderedFile[] = [];
  let helmValues: JsonValue | undefined;
  if (instance.entry.values) {
    const template = instance.entry.values;
    helmValues = withTemplateErrors(`${instance.entry.source}:${template.path}`, () =>
      renderTemplate(template.documents[0] ?? {}, ctx),
    );
  }
  // The apps read the instance's Secret: new values in it change these files (secret-revision.ts).
  const revision = (secret?.keys.length ?? 0) > 0 ? instance.secretRevision : 0;
  for (const template of instance.entry.manifests ?? []) {
    const file = `${instance.entry.source}:${template.path}`;
    const docs = withTemplateErrors(file, () =>
      template.documents.map((d, i) => markWorkload(renderTemplate(d, ctx, `/${i}`), revision)),
    );
    checkRenderedNamespaces(env, file, docs);
    files.push({
      repo: 'apps',
      path: manifestFile(env.name, instance.name, template.path),
      content: toYaml(docs),
      step: step.id,
    });
  }
  const application = renderApplication({
    env,
    instance,
    values: helmValues,
    secretRevision: revision,
    options,
  });
  files.unshift({
    repo: 'apps',
    path: stepFile(env.name, 'apps', instance.name),
    content: toYaml(application),
    step: step.id,
    document: application,
  });
  return { step: step.id, secrets, files };
}

/** The workload kinds whose pods `kubectl rollout restart` restarts, by a pod template annotation. */
const WORKLOADS = new Set(['apps/v1:Deployment', 'apps/v1:StatefulSet', 'apps/v1:DaemonSet']);

/**
 * A workload whose pods read the instance's Secret, with the revision of its values on its pod
 * template, so that new values restart them as `kubectl rollout restart` does (kubectl
 * pkg/polymorphichelpers/objectrestarter.go sets an annotation there): a pod reads a Secret in its
 * environment only when it starts. Anything else, or revision 0, is returned as it is.
 */
function markWorkload(doc: JsonValue, revision: number): JsonValue {
  if (revision === 0 || !isJsonObject(doc) || !isJsonObject(doc.spec)) return doc;
  if (!WORKLOADS.has(`${String(doc.apiVersion)}:${String(doc.kind)}`)) return doc;
  const template = isJsonObject(doc.spec.template) ? doc.spec.template : {};
  const metadata = isJsonObject(template.metadata) ? template.metadata : {};
  const annotations = isJsonObject(metadata.annotations) ? metadata.annotations : {};
  return {
    ...doc,
    spec: {
      ...doc.spec,
      template: {
        ...template,
        metadata: {
          ...metadata,
          annotations: { ...annotations, [ANNOTATION.secretRevision]: String(revision) },
        },
      },
    },
  };
}

function isJsonObject(value: JsonValue | undefined): value is { [key: string]: JsonValue } {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * The files a step writes, in the order renderStep returns them, without rendering them: their
 * paths do not depend on output values.
 */
export function stepFiles(env: ResolvedEnvironment, step: Step): Array<{ repo: Repo; path: string }> {
  const instance = findInstance(env, step.instance);
  const own = { repo: repoOf(step.part), path: stepFile(env.name, step.part, instance.name) };
  if (step.part === 'infra') return [own];
  const manifests = (instance.entry.manifests ?? []).map((template) => ({
    repo: 'apps' as const,
    path: manifestFile(env.name, instance.name, template.path),
  }));
  return [own, ...manifests];
}

export interface RenderResult {
  files: RenderedFile[];
  secrets: SecretPlan[];
  /** Steps left out, with the outputs they wait for and the files they will write. */
  pending: Array<{ step: string; waitingFor: string[]; files: Array<{ repo: Repo; path: string }> }>;
}

/**
 * Renders everything that can be rendered: the environment files, then each step in wave order.
 * Without `outputs`, only phase 1 (infrastructure) is rendered, and only the steps that need no
 * output values; with `outputs`, every step, and a missing value is an error.
 */
export function renderEnvironment(args: {
  env: ResolvedEnvironment;
  plan: Plan;
  outputs?: OutputValues;
  options: RenderOptions;
}): RenderResult {
  const { env, plan, outputs, options } = args;
  const result: RenderResult = { files: renderEnvironmentFiles(env, options), secrets: [], pending: [] };
  const problems: Problem[] = [];
  for (const step of plan.steps) {
    if (!outputs) {
      if (step.phase === 2) {
        result.pending.push({ step: step.id, waitingFor: ['phase 1'], files: stepFiles(env, step) });
        continue;
      }
      const missing = missingOutputs(env, step, {});
      if (missing.length > 0) {
        result.pending.push({
          step: step.id,
          waitingFor: missing.map((m) => `${m.from}.${m.output}`),
          files: stepFiles(env, step),
        });
        continue;
      }
    }
    try {
      const rendered = renderStep({ env, step, outputs: outputs ?? {}, options });
      result.files.push(...rendered.files);
      for (const secret of rendered.secrets) {
        if (!result.secrets.some((s) => s.namespace === secret.namespace && s.name === secret.name))
          result.secrets.push(secret);
      }
    } catch (error) {
      if (!(error instanceof InputError)) throw error;
      problems.push(...error.problems);
    }
  }
  if (problems.length > 0) throw new InputError(problems);
  return result;
}

export { stepId };
