/**
 * One reconcile of an Environment XR, pure: the validated environment and what Crossplane observed
 * in, the resources to compose (each with its readiness), the XR's status and conditions out.
 *
 * Phasing is the engine's (core plan and status): a step is composed once every step it waits for
 * is Ready — infra waves in order, and the apps of phase 2 only when every Workspace is Available —
 * and a step composed once stays composed. Outputs are read from the observed Workspaces.
 */
import {
  environmentStatus,
  InputError,
  missingOutputs,
  nextProvisionAction,
  outputSecretName,
  parseYamlDocuments,
  renderEnvironmentFiles,
  renderStep,
  workspaceOutputs,
  type Condition,
  type EnvironmentPhase,
  type JsonValue,
  type Plan,
  type RenderOptions,
  type ResolvedEnvironment,
  type Step,
  type StepObservation,
  type StepState,
  type StepStatus,
} from '../src/core/index.js';
import { asObserved, composedApplication, composedWorkspace, type Obj } from './adapt.js';
import type { Placement } from './composite.js';
import type { ManifestsChart } from './input.js';
import { applicationStepState, environmentObjectReady, workspaceStepState } from './readiness.js';
import { composedUsages } from './usage.js';

/** Keys of composed resources (Crossplane's composition-resource-name): stable across reconciles. */
export function stepKey(step: { instance: string; part: 'infra' | 'apps' }): string {
  return `${step.part}-${step.instance}`;
}

export function environmentObjectKey(object: Obj): string {
  const name = (object.metadata as { name?: unknown } | undefined)?.name;
  return `env-${String(object.kind).toLowerCase()}-${String(name)}`;
}

const STEP_KEY = /^(infra|apps)-(.+)$/;

export interface ComposedResource {
  object: Obj;
  ready: boolean;
}

export interface OutputSecret {
  instance: string;
  /** The Workspace's connection Secret, in the environment's namespace: every output, sensitive ones too. */
  secretName: string;
  keys: string[];
}

/** The XR's status (its schema is in xrd.ts). Sensitive outputs appear only as Secret references. */
export interface CompositeStatus {
  phase: EnvironmentPhase;
  message: string;
  namespace: string;
  steps: StepStatus[];
  outputs: Record<string, Record<string, JsonValue>>;
  outputSecrets: OutputSecret[];
  expiresAt?: string;
}

export interface ComposeResult {
  resources: Record<string, ComposedResource>;
  status: CompositeStatus;
  /** Conditions for the XR (Crossplane owns Ready and Synced; these are envcat's own). */
  conditions: Condition[];
  /** The XR is ready: every step and every environment object is. */
  ready: boolean;
  results: Array<{ severity: 'Normal' | 'Warning'; reason: string; message: string }>;
}

export interface ComposeArgs {
  env: ResolvedEnvironment;
  plan: Plan;
  placement: Placement;
  render: RenderOptions;
  chart: ManifestsChart;
  /** Observed composed resources by key. */
  observed: Readonly<Record<string, Obj>>;
  createdAt?: string;
  now: Date;
}

/** Declared, non-sensitive outputs each observed Workspace reports (`status.atProvider.outputs`). */
function observedOutputs(env: ResolvedEnvironment, observed: ComposeArgs['observed']) {
  const outputs: Record<string, Record<string, JsonValue>> = {};
  for (const instance of env.instances) {
    const workspace = observed[stepKey({ instance: instance.name, part: 'infra' })];
    if (!workspace) continue;
    const reported = workspaceOutputs({ metadata: {}, status: workspace.status });
    const values: Record<string, JsonValue> = {};
    for (const declared of instance.entry.document.spec.outputs ?? []) {
      const value = reported[declared.name];
      if (!declared.sensitive && value !== undefined) values[declared.name] = value;
    }
    if (Object.keys(values).length > 0) outputs[instance.name] = values;
  }
  return outputs;
}

/** The steps to compose now: those composed before, then whole waves while what they wait for is Ready. */
function stepsToCompose(plan: Plan, states: ReadonlyMap<string, StepState>, composedBefore: Set<string>) {
  const committed = new Set(composedBefore);
  for (;;) {
    const steps: StepObservation[] = plan.steps.map((step) => ({
      step,
      committed: committed.has(step.id),
      state: states.get(step.id) ?? { phase: 'Progressing', reason: 'NotApplied', message: '' },
    }));
    const action = nextProvisionAction({ plan, steps });
    if (action.kind !== 'commit') return committed;
    const wave = plan.waves.find((w) => w.number === action.wave);
    for (const id of wave?.steps ?? []) committed.add(id);
  }
}

export function compose(args: ComposeArgs): ComposeResult {
  const { env, plan, placement, observed, render } = args;
  const resources: Record<string, ComposedResource> = {};
  const results: ComposeResult['results'] = [];

  // The environment's own objects; a namespaced XR lives in its namespace and cannot compose it.
  // (The function's project is a shared one, its input refuses `{env}`: no AppProject here.)
  for (const file of renderEnvironmentFiles(env, render).filter((f) => f.path.endsWith('/namespace.yaml'))) {
    for (const object of parseYamlDocuments(file.content) as Obj[]) {
      if (object.kind === 'Namespace' && placement.scope === 'Namespaced') continue;
      const key = environmentObjectKey(object);
      resources[key] = { object, ready: environmentObjectReady(observed[key]) };
    }
  }

  const outputs = observedOutputs(env, observed);
  const states = new Map<string, StepState>();
  const composedBefore = new Set<string>();
  for (const step of plan.steps) {
    const seen = observed[stepKey(step)];
    if (seen) composedBefore.add(step.id);
    states.set(
      step.id,
      step.part === 'infra' ? workspaceStepState(seen) : applicationStepState(seen, seen ?? {}),
    );
  }
  const toCompose = stepsToCompose(plan, states, composedBefore);

  const composed = new Set<string>();
  for (const step of plan.steps.filter((s) => toCompose.has(s.id))) {
    const key = stepKey(step);
    const seen = observed[key];
    const object = renderComposed({ args, step, outputs, results });
    if (!object && !seen) continue;
    const desired = object ?? asObserved(seen as Obj);
    const state = step.part === 'infra' ? workspaceStepState(seen) : applicationStepState(seen, desired);
    states.set(step.id, state);
    resources[key] = { object: desired, ready: state.phase === 'Ready' };
    composed.add(step.id);
  }

  // Usages keep each producing Workspace while its consumers exist, so that deleting the XR
  // destroys the infrastructure in reverse wave order (usage.ts).
  const usages = composedUsages({ env, plan, placement, render: args.render, composed, observed });
  for (const [key, resource] of Object.entries(usages)) resources[key] = resource;

  const retained = retainForOrderedRemoval({ plan, observed, results });
  for (const [key, resource] of Object.entries(retained)) resources[key] = resource;

  const summary = environmentStatus({
    steps: plan.steps.map((step) => ({
      step,
      committed: composed.has(step.id),
      state: states.get(step.id) as StepState,
    })),
    deleting: false,
  });
  const status: CompositeStatus = {
    phase: summary.phase,
    message: summary.message,
    namespace: env.namespace,
    steps: summary.steps,
    outputs,
    outputSecrets: plan.steps
      .filter((s) => s.part === 'infra' && composed.has(s.id))
      .map((s) => ({
        instance: s.instance,
        secretName: outputSecretName(env.name, s.instance),
        keys: (env.instances.find((i) => i.name === s.instance)?.entry.document.spec.outputs ?? [])
          .map((o) => o.name)
          .sort(),
      })),
  };
  const expiresAt = expiry(env, args.createdAt);
  if (expiresAt) {
    status.expiresAt = expiresAt.toISOString();
    if (args.now.getTime() >= expiresAt.getTime())
      results.push({
        severity: 'Warning',
        reason: 'Expired',
        message: `the ttl ${env.ttl} ran out at ${status.expiresAt}: delete this Environment (the function cannot delete its own composite)`,
      });
  }
  const ready =
    summary.phase === 'Ready' &&
    Object.keys(retained).length === 0 &&
    Object.values(resources).every((r) => r.ready);
  return {
    resources,
    status,
    conditions: summary.conditions.filter((c) => c.type !== 'Ready'),
    ready,
    results,
  };
}

/**
 * Renders a step as Crossplane composes it, or undefined (with a warning) when an output it needs
 * has no value: a Ready Workspace that does not report a declared output, or a value that does not
 * fit the parameter it feeds.
 */
function renderComposed(args: {
  args: ComposeArgs;
  step: Step;
  outputs: Record<string, Record<string, JsonValue>>;
  results: ComposeResult['results'];
}): Obj | undefined {
  const { env, render, chart } = args.args;
  const { step, outputs, results } = args;
  const missing = missingOutputs(env, step, outputs);
  if (missing.length > 0) {
    results.push({
      severity: 'Warning',
      reason: 'OutputsMissing',
      message: `${step.id} waits for ${missing.map((m) => `${m.from}.${m.output}`).join(', ')}: no value reported yet`,
    });
    return undefined;
  }
  try {
    const rendered = renderStep({ env, step, outputs, options: render });
    return step.part === 'infra'
      ? composedWorkspace({ env, rendered, workspaceApi: render.workspaceApi })
      : composedApplication({ rendered, chart });
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    results.push({
      severity: 'Warning',
      reason: 'CannotRender',
      message: `${step.id}: ${error.problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`,
    });
    return undefined;
  }
}

/**
 * Deletion in reverse (as src/core/status/deletion.ts orders it) when instances leave the spec:
 * their Applications go at once, and their Workspaces (terraform destroy) only once none of those
 * Applications is observed any more.
 */
function retainForOrderedRemoval(args: {
  plan: Plan;
  observed: ComposeArgs['observed'];
  results: ComposeResult['results'];
}): Record<string, ComposedResource> {
  const planned = new Set(args.plan.steps.map((s) => stepKey(s)));
  const removed = Object.keys(args.observed)
    .filter((key) => STEP_KEY.test(key) && !planned.has(key))
    .sort();
  const appsLeft = removed.filter((key) => key.startsWith('apps-'));
  if (appsLeft.length === 0) return {};
  const retained: Record<string, ComposedResource> = {};
  for (const key of removed.filter((k) => k.startsWith('infra-'))) {
    const seen = args.observed[key] as Obj;
    retained[key] = { object: asObserved(seen), ready: workspaceStepState(seen).phase === 'Ready' };
  }
  if (Object.keys(retained).length > 0)
    args.results.push({
      severity: 'Normal',
      reason: 'OrderedRemoval',
      message: `keeping ${Object.keys(retained).join(', ')} until ${appsLeft.join(', ')} ${appsLeft.length === 1 ? 'is' : 'are'} gone`,
    });
  return retained;
}

function expiry(env: ResolvedEnvironment, createdAt: string | undefined): Date | undefined {
  if (env.ttlSeconds === undefined || createdAt === undefined) return undefined;
  const created = Date.parse(createdAt);
  return Number.isNaN(created) ? undefined : new Date(created + env.ttlSeconds * 1000);
}
