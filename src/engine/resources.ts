/**
 * Each step's Workspace or Application as the engine's caches have it, shown the way Argo CD shows
 * a resource: its conditions with reason and time, sync and health for an Application, the
 * controller's latest message, and links to Argo CD and to the commit when their URLs are
 * configured. The caches keep every condition of a Workspace, and an Application's sync, health,
 * operation and conditions (cache-transform.ts).
 */
import {
  planEdges,
  qualifiedName,
  WORKSPACE_API,
  type Plan,
  type ResolvedEnvironment,
  type Step,
  type WorkspaceApi,
} from '../core/index.js';
import type { KubeObject } from '../cluster/types.js';
import type { RepoName } from '../gitops/types.js';
import type { EnvironmentResources, ResourceCondition, StepResource } from '../api/contract.js';

/** Where the portal's links point; each absent one is a link not shown. */
export interface ResourceLinks {
  /** Argo CD's web UI, e.g. https://argocd.example.com (ENVCAT_ARGOCD_URL). */
  argocdUrl?: string;
  /** Each repo's web page, e.g. https://github.com/acme/platform (ENVCAT_*_REPO_WEB_URL). */
  repoWebUrls?: Partial<Record<RepoName, string>>;
}

/** What the engine knows of an environment's steps now (Engine.stepObjects). */
export interface StepObjects {
  env: ResolvedEnvironment;
  plan: Plan;
  steps: Array<{ step: Step; object: KubeObject | undefined; commit: string | undefined }>;
  /** The Argo CD Application that syncs the environment's folder of each repo. */
  parents: Record<RepoName, string>;
}

export function environmentResources(args: {
  name: string;
  observed: StepObjects | undefined;
  workspaceApi: WorkspaceApi;
  argocdNamespace: string;
  links: ResourceLinks;
  now: Date;
}): EnvironmentResources {
  const { observed, links } = args;
  const argocd = (application: string) =>
    links.argocdUrl
      ? `${links.argocdUrl.replace(/\/+$/, '')}/applications/${encodeURIComponent(args.argocdNamespace)}/${encodeURIComponent(application)}`
      : undefined;
  if (!observed)
    return { name: args.name, edges: [], items: [], links: {}, observedAt: args.now.toISOString() };
  const { env, plan, parents } = observed;
  const items = observed.steps.map(({ step, object, commit }): StepResource => {
    const instance = env.instances.find((i) => i.name === step.instance);
    const name = instance ? qualifiedName(env, instance) : `${env.name}-${step.instance}`;
    const infra = step.part === 'infra';
    const repo: RepoName = infra ? 'platform' : 'apps';
    const status = (object?.status ?? {}) as ApplicationStatus & { conditions?: unknown };
    const sha = infra ? commit : (stringOf(status.sync?.revision) ?? commit);
    const namespace = infra
      ? args.workspaceApi === 'namespaced'
        ? env.namespace
        : undefined
      : args.argocdNamespace;
    const base: StepResource = {
      step: step.id,
      instance: step.instance,
      part: step.part,
      apiVersion: object?.apiVersion ?? (infra ? WORKSPACE_API[args.workspaceApi] : 'argoproj.io/v1alpha1'),
      kind: infra ? 'Workspace' : 'Application',
      name,
      ...(namespace ? { namespace } : {}),
      exists: object !== undefined,
      ...(typeof object?.metadata.generation === 'number' ? { generation: object.metadata.generation } : {}),
      conditions: conditionsOf(status.conditions),
      ...(sha ? { commit: { repo, sha } } : {}),
      links: {},
    };
    const link = argocd(infra ? parents.platform : name);
    const web = links.repoWebUrls?.[repo];
    base.links = {
      ...(link ? { argocd: link } : {}),
      ...(web && sha ? { commit: `${web.replace(/\/+$/, '')}/commit/${encodeURIComponent(sha)}` } : {}),
    };
    return infra ? withWorkspaceMessage(base) : withApplicationFields(base, status);
  });
  const platform = argocd(parents.platform);
  const apps = argocd(parents.apps);
  return {
    name: args.name,
    plan,
    edges: planEdges(env, plan),
    items,
    links: { ...(platform ? { platform } : {}), ...(apps ? { apps } : {}) },
    observedAt: args.now.toISOString(),
  };
}

interface ApplicationStatus {
  sync?: { status?: unknown; revision?: unknown };
  health?: { status?: unknown; message?: unknown };
  operationState?: { phase?: unknown; message?: unknown; finishedAt?: unknown };
}

function stringOf(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function conditionsOf(raw: unknown): ResourceCondition[] {
  if (!Array.isArray(raw)) return [];
  return raw.flatMap((c: Record<string, unknown>) => {
    const type = stringOf(c?.type);
    if (!type) return [];
    const fields = ['status', 'reason', 'message', 'lastTransitionTime'] as const;
    const condition: ResourceCondition = { type };
    for (const field of fields) {
      const value = stringOf(c[field]);
      if (value !== undefined) condition[field] = value;
    }
    return [condition];
  });
}

/** provider-terraform's words: a failed reconcile's error (Synced=False), else what Ready says. */
function withWorkspaceMessage(resource: StepResource): StepResource {
  const synced = resource.conditions.find((c) => c.type === 'Synced');
  const ready = resource.conditions.find((c) => c.type === 'Ready');
  const message =
    synced?.status === 'False' && synced.message ? synced.message : (ready?.message ?? synced?.message);
  return message ? { ...resource, message } : resource;
}

/** Argo CD's words: a failed operation, then a condition (ComparisonError, ...), then health, then the operation. */
function withApplicationFields(resource: StepResource, status: ApplicationStatus): StepResource {
  const syncStatus = stringOf(status.sync?.status);
  const revision = stringOf(status.sync?.revision);
  const healthStatus = stringOf(status.health?.status);
  const healthMessage = stringOf(status.health?.message);
  const phase = stringOf(status.operationState?.phase);
  const operationMessage = stringOf(status.operationState?.message);
  const finishedAt = stringOf(status.operationState?.finishedAt);
  const failed = phase === 'Failed' || phase === 'Error';
  const message =
    (failed ? operationMessage : undefined) ??
    resource.conditions.find((c) => c.message)?.message ??
    healthMessage ??
    operationMessage;
  return {
    ...resource,
    ...(syncStatus ? { sync: { status: syncStatus, ...(revision ? { revision } : {}) } } : {}),
    ...(healthStatus
      ? { health: { status: healthStatus, ...(healthMessage ? { message: healthMessage } : {}) } }
      : {}),
    ...(phase
      ? {
          operation: {
            phase,
            ...(operationMessage ? { message: operationMessage } : {}),
            ...(finishedAt ? { finishedAt } : {}),
          },
        }
      : {}),
    ...(message ? { message } : {}),
  };
}
