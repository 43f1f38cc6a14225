/**
 * A simulated Argo CD: the ApplicationSet controller and the application controller, talking to
 * the cluster only through the cluster API and reading Git only through read-only clones, as the
 * real ones do (DESIGN §4, §5).
 *
 * ApplicationSet controller: git generator (`directories`, `files`), Go templates (field
 * references and `index`), generated Applications owned by their ApplicationSet and deleted when
 * their directory goes; re-evaluated on its poll interval, on the
 * `argocd.argoproj.io/application-set-refresh` annotation (what Argo CD's webhook sets) and when an
 * Application it generated is asked to refresh.
 *
 * Application controller: a `path` source is read at the branch head (YAML/JSON, `directory.recurse`,
 * `include`/`exclude`), each object server-side applied (field manager `argocd-controller`) with
 * its tracking (resource-tracking.ts: the `argocd.argoproj.io/tracking-id` annotation by default, as
 * Argo CD 3), pruned when it leaves Git (automated prune), and reported in `status.sync`, `status.health`, `status.operationState`,
 * `status.resources`, `status.reconciledAt`. A Helm `chart` source is not rendered (there is no
 * Helm here): it syncs at once with `sync.revision` = the chart version (`targetRevision`). Health
 * is Argo CD's: Crossplane's check for Workspaces, the app-of-apps check for Applications, the
 * rollout check for workloads (whose status this cluster fills in, having no
 * kube-controller-manager), Healthy for the rest. An Application of an envcat instance stays
 * Progressing for the instance's delay and obeys its simulator controls. Git is polled every
 * `pollMs`; the `argocd.argoproj.io/refresh` annotation makes an Application read Git at once and is
 * removed afterwards, unless its `refresh-timestamp` changed meanwhile (consumeRefresh). Status is
 * written as a merge patch of what changed, nothing when nothing did. Deleting an Application with the resources finalizer deletes what it
 * deployed, waits until it is gone, then removes the finalizer.
 *
 * Not simulated: multi-source Applications, kustomize, Helm rendering, drift detection (self-heal)
 * for objects changed behind Argo CD's back, sync hooks, and targetRevisions other than the branch
 * the repo clone follows.
 */
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import {
  ConflictError,
  EnvcatError,
  InputError,
  LABEL,
  RESOURCES_FINALIZER,
  type WorkspaceApi,
  WORKSPACE_API,
} from '../core/index.js';
import type { GitOpsRepo } from '../gitops/types.js';
import type { ClusterClient, Informer, KubeObject, ObjectRef } from '../cluster/index.js';
import { compareSyncOrder, isClusterScoped } from './argocd-kinds.js';
import {
  GenerationError,
  gitGeneratorParams,
  renderApplications,
  type GitGenerator,
} from './applicationset.js';
import {
  isDestinationPermitted,
  isSourcePermitted,
  normalizeGitUrl,
  type AppProjectSpec,
} from './appproject.js';
import type { ControlSource, SimulatorControls } from './controls.js';
import { parseDelay } from './controls.js';
import { resourceHealth, rolledOutStatus, worstHealth, type Health } from './health.js';
import { chartObjects, KNOWN_CHARTS, type ChartObject, type SimulatedChart } from './helm-charts.js';
import { refusedByProject } from './sync-permissions.js';
import { loadManifests, type DirectorySource } from './manifests.js';
import { ReconcileQueue } from './reconcile-queue.js';
import { RepoSnapshots, type RepoSnapshot } from './repo-snapshots.js';
import {
  DEFAULT_TRACKING_METHOD,
  isTrackedBy,
  TRACKING_METHODS,
  trackingApplication,
  withTracking,
  type TrackingMethod,
} from './resource-tracking.js';
import {
  describeError,
  isRecord,
  jsonEqual,
  keyOf,
  mergePatchBetween,
  parseTimestamp,
  refFromKey,
  refOf,
  timestamp,
} from './support.js';

export const REFRESH_ANNOTATION = 'argocd.argoproj.io/refresh';
/**
 * A unique timestamp of one refresh request, set with REFRESH_ANNOTATION (argo-cd util/argo/argo.go
 * RefreshApp; pkg/apis/application/v1alpha1/application_annotations.go). Added upstream after
 * v3.5.1 (argo-cd #28414): a request made while another is being processed is no longer dropped.
 */
export const REFRESH_TIMESTAMP_ANNOTATION = 'argocd.argoproj.io/refresh-timestamp';
export const APPSET_REFRESH_ANNOTATION = 'argocd.argoproj.io/application-set-refresh';
export const IN_CLUSTER_SERVER = 'https://kubernetes.default.svc';
const FIELD_MANAGER = 'argocd-controller';
const APPSET_FIELD_MANAGER = 'argocd-applicationset-controller';
const RESOURCES_FINALIZERS = [
  RESOURCES_FINALIZER,
  `${RESOURCES_FINALIZER}/foreground`,
  `${RESOURCES_FINALIZER}/background`,
];
const APPLICATION = { apiVersion: 'argoproj.io/v1alpha1', kind: 'Application' } as const;
const APPLICATION_SET = { apiVersion: 'argoproj.io/v1alpha1', kind: 'ApplicationSet' } as const;
const DEFAULT_POLL_MS = 180_000;
/** How often a deletion re-checks objects no watch reports on. */
const DELETION_RECHECK_MS = 250;

export interface SimulatedArgoCDOptions {
  /**
   * Scales the sync retry backoff of `syncPolicy.retry` (Argo CD's `duration * factor^n`, capped at
   * `maxDuration`), so the retries of a simulated failure take seconds, not minutes. Default 0.01.
   */
  retryBackoffScale?: number;
  cluster: ClusterClient;
  /** The read-only clone of a repo URL (the simulator never writes), undefined for an unknown repo. */
  repos: (url: string) => GitOpsRepo | undefined;
  /** Where Applications, ApplicationSets and AppProjects live. Default `argocd`. */
  namespace?: string;
  controls: ControlSource;
  /** How long an envcat instance's Application stays Progressing without a `delay` control. */
  defaultDelayMs: number;
  /** Git polling interval (Argo CD's `timeout.reconciliation`, 3 minutes by default). */
  pollMs?: number;
  /** Workspace APIs whose health the application controller watches. Default both. */
  workspaceApis?: readonly WorkspaceApi[];
  /** Helm charts whose objects a sync checks against the AppProject. Default KNOWN_CHARTS. */
  charts?: readonly SimulatedChart[];
  /** argocd-cm `application.resourceTrackingMethod`. Default `annotation`, as Argo CD 3's. */
  trackingMethod?: TrackingMethod;
  /**
   * argocd-cmd-params-cm `controller.resource.health.persist`: each resource's health in
   * `status.resources`. Default false, as Argo CD 3's (`resourceHealthSource: appTree`).
   */
  persistResourceHealth?: boolean;
  logger: Logger;
}

interface AppSource extends Partial<DirectorySource> {
  repoURL?: string;
  chart?: string;
  targetRevision?: string;
  helm?: { releaseName?: string };
}

interface AppDestination {
  server?: string;
  name?: string;
  namespace?: string;
}

interface AppSpec {
  project?: string;
  source?: AppSource;
  sources?: AppSource[];
  destination?: AppDestination;
  syncPolicy?: {
    automated?: { prune?: boolean; selfHeal?: boolean };
    syncOptions?: string[];
    retry?: { limit?: number; backoff?: { duration?: string; factor?: number; maxDuration?: string } };
  };
}

interface ResourceStatus {
  group: string;
  version: string;
  kind: string;
  namespace?: string;
  name: string;
  status: 'Synced' | 'OutOfSync';
  health?: Health;
  requiresPruning?: boolean;
}

interface RetryStrategy {
  limit?: number;
  backoff?: { duration?: string; factor?: number; maxDuration?: string };
}

interface Operation {
  sync: { revision: string; prune?: boolean; syncOptions?: string[] };
  initiatedBy: { automated?: boolean; username?: string };
  retry?: RetryStrategy;
}

interface OperationState {
  operation: Operation;
  phase: 'Running' | 'Succeeded' | 'Failed' | 'Error' | 'Terminating';
  message?: string;
  startedAt: string;
  finishedAt?: string;
  retryCount?: number;
  syncResult?: {
    revision: string;
    source?: unknown;
    resources?: Array<Record<string, unknown>>;
  };
}

interface AppStatus {
  sync?: { status: string; revision?: string; comparedTo?: unknown };
  health?: { status: string; message?: string; lastTransitionTime?: string };
  operationState?: OperationState;
  reconciledAt?: string;
  resources?: ResourceStatus[];
  sourceType?: string;
  resourceHealthSource?: string;
  conditions?: Array<{ type: string; message: string; lastTransitionTime?: string }>;
  controllerNamespace?: string;
  [key: string]: unknown;
}

type Target =
  | { kind: 'helm'; revision: string; objects: ChartObject[] }
  | { kind: 'directory'; revision: string; objects: KubeObject[] }
  | { kind: 'problem'; type: string; message: string };

function groupVersion(apiVersion: string): { group: string; version: string } {
  const slash = apiVersion.indexOf('/');
  return slash < 0
    ? { group: '', version: apiVersion }
    : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}

function refOfResource(r: ResourceStatus): ObjectRef {
  return {
    apiVersion: r.group ? `${r.group}/${r.version}` : r.version,
    kind: r.kind,
    name: r.name,
    ...(r.namespace ? { namespace: r.namespace } : {}),
  };
}

function resourceId(r: {
  apiVersion?: string;
  group?: string;
  kind: string;
  namespace?: string;
  name: string;
}): string {
  const group = r.group ?? groupVersion(r.apiVersion ?? '').group;
  return `${group}/${r.kind}/${r.namespace ?? ''}/${r.name}`;
}

function objectId(object: KubeObject): string {
  return resourceId({
    apiVersion: object.apiVersion,
    kind: object.kind,
    name: object.metadata.name,
    ...(object.metadata.namespace ? { namespace: object.metadata.namespace } : {}),
  });
}

function hasResourcesFinalizer(object: KubeObject): boolean {
  return (object.metadata.finalizers ?? []).some((f) => RESOURCES_FINALIZERS.includes(f));
}

function manifestsDigest(objects: readonly KubeObject[]): string {
  return createHash('sha256').update(JSON.stringify(objects)).digest('base64');
}

/** The sync operation requested through the Application's `operation` field, if any. */
function requestedOperation(app: KubeObject): Operation | undefined {
  const operation = app.operation;
  if (!isRecord(operation) || !isRecord(operation.sync)) return undefined;
  const sync = operation.sync;
  return {
    sync: {
      revision: typeof sync.revision === 'string' ? sync.revision : '',
      ...(sync.prune === true ? { prune: true } : {}),
    },
    initiatedBy: isRecord(operation.initiatedBy) ? (operation.initiatedBy as Operation['initiatedBy']) : {},
    ...(isRecord(operation.retry) ? { retry: operation.retry as RetryStrategy } : {}),
  };
}

/** `10s`, `3m` (Go durations as Argo CD's retry backoff takes them). */
function goDuration(text: string | undefined, fallbackMs: number): number {
  return (text === undefined ? undefined : parseDelay(text)) ?? fallbackMs;
}

export class SimulatedArgoCD {
  private readonly log: Logger;
  private readonly namespace: string;
  private readonly pollMs: number;
  private readonly appQueue: ReconcileQueue;
  private readonly appsetQueue: ReconcileQueue;
  private readonly snapshots = new Map<string, RepoSnapshots>();
  /** The commit each Application last compared against (kept until its next poll or refresh). */
  private readonly appTargets = new Map<string, { url: string; snapshot: RepoSnapshot }>();
  /** The commits each ApplicationSet last generated from, by repo. */
  private readonly appsetTargets = new Map<string, Map<string, RepoSnapshot>>();
  private readonly appsetRefresh = new Set<string>();
  private readonly controlsCache = new Map<string, SimulatorControls>();
  /** Which Applications list an object among their resources, by resource id. */
  private readonly resourceIndex = new Map<string, Set<string>>();
  private readonly indexedResources = new Map<string, string[]>();
  /** The AppProject each Application was last checked against. */
  private readonly projects = new Map<string, { name: string; spec: AppProjectSpec }>();
  /** When this controller started the current operation of an Application (precise). */
  private readonly operationStart = new Map<string, { revision: string; at: number }>();
  /** A digest of the manifests each Application last synced successfully (see inSyncAlready). */
  private readonly syncedManifests = new Map<string, string>();
  private readonly informers: Informer[] = [];
  /** Work started outside the queues (garbage collection of a deleted ApplicationSet's Applications). */
  private readonly pending = new Set<Promise<void>>();
  private apps: Informer | undefined;
  private readonly workspaceInformers: Informer[] = [];
  private readonly trackingMethod: TrackingMethod;
  private running = false;

  constructor(private readonly options: SimulatedArgoCDOptions) {
    this.trackingMethod = options.trackingMethod ?? DEFAULT_TRACKING_METHOD;
    if (!TRACKING_METHODS.includes(this.trackingMethod))
      throw new InputError([
        {
          path: '/trackingMethod',
          message: `must be one of ${TRACKING_METHODS.join(', ')}, not ${String(this.trackingMethod)}`,
        },
      ]);
    this.log = options.logger.child({ component: 'simulated-argocd' });
    this.namespace = options.namespace ?? 'argocd';
    this.pollMs = options.pollMs ?? DEFAULT_POLL_MS;
    this.appQueue = new ReconcileQueue({
      name: 'argocd-application-controller',
      reconcile: (key) => this.reconcileApplication(key),
      logger: this.log,
    });
    this.appsetQueue = new ReconcileQueue({
      name: 'argocd-applicationset-controller',
      reconcile: (key) => this.reconcileApplicationSet(key),
      logger: this.log,
    });
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    const { cluster } = this.options;

    for (const api of this.options.workspaceApis ?? (['namespaced', 'cluster'] as const)) {
      const informer = cluster.informer({ apiVersion: WORKSPACE_API[api], kind: 'Workspace' });
      const notify = (object: KubeObject) => this.enqueueTracker(object);
      informer.on('ADDED', notify);
      informer.on('MODIFIED', notify);
      informer.on('DELETED', notify);
      informer.on('error', (error) =>
        this.log.warn({ err: describeError(error) }, 'Workspace watch failed; restarting'),
      );
      this.workspaceInformers.push(informer);
      this.informers.push(informer);
    }

    const apps = cluster.informer(APPLICATION, { namespace: this.namespace });
    apps.on('ADDED', (app) => this.onApplication(app));
    apps.on('MODIFIED', (app) => this.onApplication(app));
    apps.on('DELETED', (app) => {
      const key = keyOf(refOf(app));
      this.appQueue.forget(key);
      this.appTargets.delete(key);
      this.operationStart.delete(key);
      this.syncedManifests.delete(key);
      this.projects.delete(key);
      this.controlsCache.delete(key);
      this.indexResources(key, []);
      this.enqueueTracker(app);
    });
    apps.on('error', (error) =>
      this.log.warn({ err: describeError(error) }, 'Application watch failed; restarting'),
    );
    this.apps = apps;
    this.informers.push(apps);

    const appsets = cluster.informer(APPLICATION_SET, { namespace: this.namespace });
    appsets.on('ADDED', (set) => this.appsetQueue.enqueue(keyOf(refOf(set))));
    appsets.on('MODIFIED', (set) => this.appsetQueue.enqueue(keyOf(refOf(set))));
    appsets.on('DELETED', (set) => {
      const key = keyOf(refOf(set));
      this.appsetQueue.forget(key);
      this.appsetTargets.delete(key);
      const pending = this.deleteOwnedApplications(set).finally(() => this.pending.delete(pending));
      this.pending.add(pending);
    });
    appsets.on('error', (error) =>
      this.log.warn({ err: describeError(error) }, 'ApplicationSet watch failed; restarting'),
    );
    this.informers.push(appsets);

    await Promise.all(this.informers.map((i) => i.start()));
    for (const app of apps.list()) this.appQueue.enqueue(keyOf(refOf(app)));
    for (const set of appsets.list()) this.appsetQueue.enqueue(keyOf(refOf(set)));
    this.log.info(
      { namespace: this.namespace, pollMs: this.pollMs, trackingMethod: this.trackingMethod },
      'simulated Argo CD started',
    );
  }

  async stop(): Promise<void> {
    this.running = false;
    for (const informer of this.informers) informer.stop();
    this.informers.length = 0;
    this.workspaceInformers.length = 0;
    await Promise.all([this.appQueue.stop(), this.appsetQueue.stop(), ...this.pending]);
  }

  // ---- events ----

  private onApplication(app: KubeObject): void {
    this.appQueue.enqueue(keyOf(refOf(app)));
    this.enqueueTracker(app);
    if (app.metadata.annotations?.[REFRESH_ANNOTATION]) {
      for (const owner of app.metadata.ownerReferences ?? []) {
        if (owner.kind !== 'ApplicationSet' || typeof owner.name !== 'string') continue;
        const key = keyOf({ ...APPLICATION_SET, name: owner.name, namespace: this.namespace });
        this.appsetRefresh.add(key);
        this.appsetQueue.enqueue(key);
      }
    }
  }

  /**
   * A deployed object changed: the Applications that list it among their resources re-assess their
   * health (as Argo CD's resource tree does), and the one its tracking names (controller/cache/cache.go
   * GetAppName).
   */
  private enqueueTracker(object: KubeObject): void {
    const keys = new Set(this.resourceIndex.get(objectId(object)) ?? []);
    const tracker = trackingApplication(object, this.trackingMethod);
    if (tracker && this.apps?.get(tracker, this.namespace))
      keys.add(keyOf({ ...APPLICATION, name: tracker, namespace: this.namespace }));
    for (const key of keys) this.appQueue.enqueue(key);
  }

  private indexResources(key: string, resources: readonly ResourceStatus[] | undefined): void {
    for (const id of this.indexedResources.get(key) ?? []) {
      const keys = this.resourceIndex.get(id);
      keys?.delete(key);
      if (keys?.size === 0) this.resourceIndex.delete(id);
    }
    const ids = (resources ?? []).map((r) => resourceId(r));
    if (ids.length === 0) this.indexedResources.delete(key);
    else this.indexedResources.set(key, ids);
    for (const id of ids) {
      let keys = this.resourceIndex.get(id);
      if (!keys) this.resourceIndex.set(id, (keys = new Set()));
      keys.add(key);
    }
  }

  private snapshotsFor(url: string): RepoSnapshots | undefined {
    const normalized = normalizeGitUrl(url);
    let snapshots = this.snapshots.get(normalized);
    if (!snapshots) {
      const repo = this.options.repos(url);
      if (!repo) return undefined;
      snapshots = new RepoSnapshots(repo);
      this.snapshots.set(normalized, snapshots);
    }
    return snapshots;
  }

  /** The controls of an envcat instance's Application (undefined for other Applications). */
  private async appControls(
    key: string,
    app: KubeObject,
    fresh: boolean,
  ): Promise<SimulatorControls | undefined> {
    const labels = app.metadata.labels ?? {};
    const environment = labels[LABEL.environment];
    const instance = labels[LABEL.instance];
    if (!environment || !instance) return undefined;
    const cached = this.controlsCache.get(key);
    if (cached && !fresh) return cached;
    const controls = await this.options.controls.forInstance({ environment, instance });
    this.controlsCache.set(key, controls);
    return controls;
  }

  // ---- ApplicationSet controller ----

  private async reconcileApplicationSet(key: string): Promise<void> {
    const appset = await this.options.cluster.get(refFromKey(key));
    if (!appset || appset.metadata.deletionTimestamp) return;
    const refresh =
      this.appsetRefresh.delete(key) || appset.metadata.annotations?.[APPSET_REFRESH_ANNOTATION] === 'true';
    const spec = isRecord(appset.spec) ? appset.spec : {};
    const generators = Array.isArray(spec.generators)
      ? (spec.generators as Array<Record<string, unknown>>)
      : [];
    const targets = this.appsetTargets.get(key) ?? new Map<string, RepoSnapshot>();
    this.appsetTargets.set(key, targets);
    const now = Date.now();
    let nextPollAt = now + this.pollMs;

    let desired: KubeObject[];
    try {
      const params: Array<Record<string, unknown>> = [];
      if (generators.length === 0)
        throw new GenerationError('ApplicationSet has no generators', 'parameters');
      for (const generator of generators) {
        if (!isRecord(generator.git)) {
          const type = Object.keys(generator)[0] ?? 'unknown';
          throw new GenerationError(
            `the ${type} generator is not supported by the simulated ApplicationSet controller`,
            'parameters',
          );
        }
        const git = generator.git as unknown as GitGenerator;
        const snapshots = typeof git.repoURL === 'string' ? this.snapshotsFor(git.repoURL) : undefined;
        if (!snapshots)
          throw new GenerationError(`repository not found: ${String(git.repoURL)}`, 'parameters');
        const interval =
          typeof git.requeueAfterSeconds === 'number' ? git.requeueAfterSeconds * 1000 : this.pollMs;
        let snapshot = targets.get(git.repoURL);
        if (refresh || !snapshot || now - snapshot.fetchedAt >= interval) {
          snapshot = await snapshots.fetch();
          targets.set(git.repoURL, snapshot);
        }
        nextPollAt = Math.min(nextPollAt, snapshot.fetchedAt + interval);
        params.push(...gitGeneratorParams(git, snapshot.files));
      }
      desired = renderApplications(appset, params);
    } catch (error) {
      if (!(error instanceof GenerationError || error instanceof EnvcatError)) throw error;
      const stage = error instanceof GenerationError ? error.stage : 'parameters';
      await this.writeAppSetStatus(appset, { error: error.message, stage }, refresh);
      this.appsetQueue.schedule(key, Math.max(0, nextPollAt - Date.now()));
      this.log.warn(
        { applicationSet: appset.metadata.name, reason: error.message },
        'ApplicationSet generation failed',
      );
      return;
    }

    const policy = isRecord(spec.syncPolicy) ? spec.syncPolicy.applicationsSync : undefined;
    const existing = this.ownedApplications(appset);
    for (const app of desired) {
      const current = existing.find((a) => a.metadata.name === app.metadata.name);
      if (current && policy === 'create-only') continue;
      if (current && this.generatedUpToDate(current, app)) continue;
      await this.options.cluster.apply(app, { fieldManager: APPSET_FIELD_MANAGER, force: true });
      this.log.info(
        { applicationSet: appset.metadata.name, application: app.metadata.name },
        current ? 'Application updated' : 'Application created',
      );
    }
    if (policy !== 'create-only' && policy !== 'create-update') {
      const names = new Set(desired.map((a) => a.metadata.name));
      for (const app of existing) {
        if (names.has(app.metadata.name) || app.metadata.deletionTimestamp) continue;
        await this.options.cluster.delete(refOf(app));
        this.log.info(
          { applicationSet: appset.metadata.name, application: app.metadata.name },
          'Application deleted',
        );
      }
    }
    await this.writeAppSetStatus(appset, { count: desired.length }, refresh);
    this.appsetQueue.schedule(key, Math.max(0, nextPollAt - Date.now()));
  }

  private generatedUpToDate(current: KubeObject, desired: KubeObject): boolean {
    const meta = desired.metadata;
    const labelsOk = Object.entries(meta.labels ?? {}).every(([k, v]) => current.metadata.labels?.[k] === v);
    const annotationsOk = Object.entries(meta.annotations ?? {}).every(
      ([k, v]) => current.metadata.annotations?.[k] === v,
    );
    const finalizersOk = (meta.finalizers ?? []).every((f) =>
      (current.metadata.finalizers ?? []).includes(f),
    );
    return labelsOk && annotationsOk && finalizersOk && jsonEqual(current.spec, desired.spec);
  }

  private ownedApplications(appset: KubeObject): KubeObject[] {
    const uid = appset.metadata.uid;
    return (this.apps?.list() ?? []).filter((app) =>
      (app.metadata.ownerReferences ?? []).some(
        (o) => o.kind === 'ApplicationSet' && (uid ? o.uid === uid : o.name === appset.metadata.name),
      ),
    );
  }

  /** Stands in for the Kubernetes garbage collector, which this cluster does not run. */
  private async deleteOwnedApplications(appset: KubeObject): Promise<void> {
    for (const app of this.ownedApplications(appset)) {
      try {
        await this.options.cluster.delete(refOf(app));
      } catch (error) {
        this.log.warn(
          { application: app.metadata.name, err: describeError(error) },
          'could not delete an Application of a deleted ApplicationSet',
        );
      }
    }
  }

  private async writeAppSetStatus(
    appset: KubeObject,
    outcome: { error: string; stage: 'parameters' | 'template' } | { count: number },
    refresh: boolean,
  ): Promise<void> {
    const now = timestamp(Date.now());
    const status = isRecord(appset.status) ? appset.status : {};
    const previous = Array.isArray(status.conditions)
      ? (status.conditions as Array<Record<string, unknown>>)
      : [];
    const wanted =
      'error' in outcome
        ? [
            {
              type: 'ErrorOccurred',
              status: 'True',
              reason: 'ApplicationGenerationFromParamsError',
              message: outcome.error,
            },
            outcome.stage === 'parameters'
              ? {
                  type: 'ParametersGenerated',
                  status: 'False',
                  reason: 'ErrorOccurred',
                  message: outcome.error,
                }
              : {
                  type: 'ParametersGenerated',
                  status: 'True',
                  reason: 'ParametersGenerated',
                  message: 'Successfully generated parameters for all Applications',
                },
            {
              type: 'ResourcesUpToDate',
              status: 'False',
              reason: 'ApplicationGenerationFromParamsError',
              message: outcome.error,
            },
          ]
        : [
            {
              type: 'ErrorOccurred',
              status: 'False',
              reason: 'ApplicationSetUpToDate',
              message: 'Successfully generated parameters for all Applications',
            },
            {
              type: 'ParametersGenerated',
              status: 'True',
              reason: 'ParametersGenerated',
              message: 'Successfully generated parameters for all Applications',
            },
            {
              type: 'ResourcesUpToDate',
              status: 'True',
              reason: 'ApplicationSetUpToDate',
              message: 'ApplicationSet up to date',
            },
          ];
    const conditions = wanted.map((c) => {
      const old = previous.find((p) => p.type === c.type);
      const same = old && old.status === c.status && old.reason === c.reason && old.message === c.message;
      return {
        ...c,
        lastTransitionTime: same && typeof old.lastTransitionTime === 'string' ? old.lastTransitionTime : now,
      };
    });
    const next = { ...status, conditions, ...('count' in outcome ? { resourcesCount: outcome.count } : {}) };
    let current = appset;
    if (!jsonEqual(next, status))
      current = await this.options.cluster.replaceStatus({ ...appset, status: next });
    if (refresh && current.metadata.annotations?.[APPSET_REFRESH_ANNOTATION] !== undefined) {
      await this.options.cluster.mergePatch(refOf(current), {
        metadata: { annotations: { [APPSET_REFRESH_ANNOTATION]: null } },
      });
    }
  }

  // ---- application controller ----

  private async reconcileApplication(key: string): Promise<void> {
    const app = await this.options.cluster.get(refFromKey(key));
    if (!app) {
      this.appQueue.forget(key);
      this.appTargets.delete(key);
      return;
    }
    if (app.metadata.deletionTimestamp) return this.reconcileDeletion(key, app);

    const spec = (isRecord(app.spec) ? app.spec : {}) as AppSpec;
    const refresh = app.metadata.annotations?.[REFRESH_ANNOTATION];
    let current = app;
    let previous = statusOf(app);
    let state: AppStatus = { ...structuredClone(previous), controllerNamespace: this.namespace };
    const comparedTo = { source: spec.source ?? {}, destination: spec.destination ?? {} };

    const invalid = await this.specProblems(key, spec);
    if (invalid.length > 0) {
      state.conditions = this.conditions(
        previous,
        invalid.map((message) => ({ type: 'InvalidSpecError', message })),
      );
      state.sync = { status: 'Unknown', comparedTo };
      state.health = this.health(previous, { status: 'Unknown' });
      await this.persistReconciliation({ orig: app, current: app, previous, next: state });
      // Looked at again on the next reconciliation (a project created or widened since).
      this.schedulePoll(key);
      return;
    }

    const { target, fetched } = await this.targetState(key, spec, refresh !== undefined);
    if (fetched) state.reconciledAt = timestamp(Date.now());
    if (target.kind === 'problem') {
      const condition = { type: target.type, message: target.message };
      await this.reportUncomparable({ app, previous, state, condition, comparedTo });
      return;
    }
    state.sourceType = target.kind === 'helm' ? 'Helm' : 'Directory';

    const desired = target.kind === 'directory' ? this.normalize(app, spec, target.objects) : [];
    const automated = isRecord(spec.syncPolicy?.automated);
    const op = previous.operationState;
    // `operation` set on the Application: a sync someone asked for (argocd app sync, envcat retry).
    const requested = requestedOperation(app);
    const opForTarget =
      op?.operation?.sync?.revision === target.revision &&
      jsonEqual(op.syncResult?.source ?? comparedTo.source, comparedTo.source);
    // Controls are read from Git when the Application reads Git (poll, refresh, new operation).
    const controls = await this.appControls(
      key,
      app,
      fetched || refresh !== undefined || requested !== undefined || (automated && !opForTarget),
    );
    if (controls?.comparisonError) {
      // As for a chart version that does not exist: the target cannot be generated, nothing syncs.
      const condition = { type: 'ComparisonError', message: controls.comparisonError };
      await this.reportUncomparable({ app, previous, state, condition, comparedTo });
      return;
    }
    // Argo CD does not sync a revision again after a failed automated sync to it; it says so
    // (argo-cd controller/appcontroller.go autoSync: "Failed last sync attempt to …").
    const failedBefore =
      automated &&
      opForTarget &&
      (op?.phase === 'Failed' || op?.phase === 'Error') &&
      op.syncResult !== undefined;
    if (failedBefore && !requested)
      state.conditions = this.conditions(previous, [
        {
          type: 'SyncError',
          message: `Failed last sync attempt to ${target.revision}: ${op?.message ?? ''}`,
        },
      ]);
    else delete state.conditions;
    const delay = controls ? (controls.delayMs ?? this.options.defaultDelayMs) : 0;
    const tracked = [...(previous.resources ?? []), ...resourcesOfResult(op)];

    // A new commit that leaves this Application's manifests as they are: Argo CD compares, finds it
    // Synced at the new revision and starts no operation (argo-cd controller/appcontroller.go
    // autoSync runs only for an OutOfSync application), so its health does not move either.
    const manifests = target.kind === 'directory' ? manifestsDigest(desired) : undefined;
    const inSyncAlready =
      automated &&
      !requested &&
      !opForTarget &&
      refresh !== 'hard' &&
      op?.phase === 'Succeeded' &&
      manifests !== undefined &&
      this.syncedManifests.get(key) === manifests &&
      jsonEqual(op.syncResult?.source ?? comparedTo.source, comparedTo.source);
    if (inSyncAlready) state.sync = { status: 'Synced', revision: target.revision, comparedTo };
    const startManual = requested !== undefined && op?.phase !== 'Running';
    if (
      startManual ||
      (automated &&
        !requested &&
        !inSyncAlready &&
        (!opForTarget || refresh === 'hard' || this.retryDue(key, spec, op, controls)))
    ) {
      // A new revision (or a retry, or a requested sync): a sync operation, Running until it ends.
      const retryCount =
        !startManual && opForTarget && op?.phase !== 'Succeeded' ? (op?.retryCount ?? 0) + 1 : 0;
      const retry = requested?.retry ?? spec.syncPolicy?.retry;
      state.operationState = {
        operation: {
          sync: {
            revision: target.revision,
            ...((requested?.sync.prune ?? spec.syncPolicy?.automated?.prune) ? { prune: true } : {}),
            ...(spec.syncPolicy?.syncOptions ? { syncOptions: spec.syncPolicy.syncOptions } : {}),
          },
          initiatedBy: requested?.initiatedBy ?? { automated: true },
          ...(retry ? { retry } : {}),
        },
        phase: 'Running',
        message: 'waiting for completion of the sync',
        startedAt: timestamp(Date.now()),
        ...(retryCount > 0 ? { retryCount } : {}),
      };
      delete state.conditions;
      this.operationStart.set(key, { revision: target.revision, at: Date.now() });
      state.sync = { status: 'OutOfSync', revision: target.revision, comparedTo };
      state.health = this.health(previous, { status: 'Progressing' });
      current = await this.writeStatus(current, previous, state);
      previous = statusOf(current);
      state = structuredClone(previous);
      this.log.info(
        { application: app.metadata.name, revision: target.revision, requested: startManual },
        'sync started',
      );
    }

    const operation = state.operationState;
    if (operation?.phase === 'Running' && operation.finishedAt !== undefined) {
      // Between two attempts of a failed sync with a retry policy (argo-cd appcontroller.go
      // processRequestedAppOperation): the next one starts at NextRetryAt(finishedAt, retryCount).
      const due =
        (parseTimestamp(operation.finishedAt) ?? Date.now()) +
        this.retryBackoff(operation.operation.retry, operation.retryCount ?? 0);
      if (Date.now() < due) this.appQueue.schedule(key, due - Date.now());
      else {
        state.operationState = {
          ...operation,
          message: `Retrying operation. Attempt #${operation.retryCount ?? 0}`,
        };
        delete state.operationState.finishedAt;
        delete state.operationState.syncResult;
        this.operationStart.set(key, { revision: operation.operation.sync.revision, at: Date.now() });
        this.appQueue.schedule(key, 0);
      }
    } else if (operation?.phase === 'Running' && operation.operation.sync.revision === target.revision) {
      const due = this.operationStartedAt(key, operation) + delay;
      if (controls?.failApply) {
        if (Date.now() < due) {
          this.appQueue.schedule(key, due - Date.now());
        } else {
          state.operationState = {
            ...operation,
            phase: 'Failed',
            message: controls.failApply,
            finishedAt: timestamp(Date.now()),
          };
          state.sync = { status: 'OutOfSync', revision: target.revision, comparedTo };
          this.log.info({ application: app.metadata.name }, 'sync failed (simulated failApply)');
        }
      } else if (controls?.syncError) {
        if (Date.now() < due) this.appQueue.schedule(key, due - Date.now());
        else {
          this.failAttempt(key, state, controls.syncError, {
            revision: target.revision,
            source: comparedTo.source,
            resources: [],
          });
          state.sync = { status: 'OutOfSync', revision: target.revision, comparedTo };
          this.log.info({ application: app.metadata.name }, 'sync attempt failed (simulated syncError)');
        }
      } else {
        await this.runSync({ app: current, spec, state, target, desired, comparedTo, tracked });
      }
    }

    state.resources = await this.resourceStatuses(current, desired, state);
    const finished = state.operationState;
    const syncedToTarget =
      finished?.phase === 'Succeeded' && finished.operation.sync.revision === target.revision;
    if (syncedToTarget || !automated) {
      // Without automated sync nothing is applied: the target is OutOfSync until someone syncs it.
      state.sync = {
        status: syncedToTarget && !state.resources.some((r) => r.requiresPruning) ? 'Synced' : 'OutOfSync',
        revision: target.revision,
        comparedTo,
      };
    }
    state.health = this.health(previous, this.applicationHealth(key, state, controls, delay));
    await this.persistReconciliation({ orig: app, current, previous, next: state });
    this.schedulePoll(key);
  }

  /**
   * Why the spec cannot be reconciled (Argo CD's InvalidSpecError conditions), or none: the project
   * must exist (controller/appcontroller.go) and permit the source repo and the destination
   * (util/argo/argo.go ValidatePermissions, each refusal its own condition).
   */
  private async specProblems(key: string, spec: AppSpec): Promise<string[]> {
    if (spec.sources && spec.sources.length > 0)
      return ['multi-source Applications are not supported by the simulated Argo CD'];
    if (!spec.source || (!spec.source.path && spec.source.path !== '' && !spec.source.chart))
      return ['spec.source must have a path or a chart'];
    const destination = spec.destination ?? {};
    if (destination.server !== IN_CLUSTER_SERVER && destination.name !== 'in-cluster')
      return [
        `cluster '${destination.server ?? destination.name ?? ''}' has not been configured (only the in-cluster destination exists)`,
      ];
    const projectName = spec.project ?? 'default';
    const project = await this.options.cluster.get({
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'AppProject',
      name: projectName,
      namespace: this.namespace,
    });
    if (!project) {
      this.projects.delete(key);
      return [`Application referencing project ${projectName} which does not exist`];
    }
    const projectSpec = (isRecord(project.spec) ? project.spec : {}) as AppProjectSpec;
    const problems: string[] = [];
    if (!isSourcePermitted(projectSpec, spec.source.repoURL ?? ''))
      problems.push(
        `application repo ${spec.source.repoURL ?? ''} is not permitted in project '${projectName}'`,
      );
    // The in-cluster destination is https://kubernetes.default.svc, named in-cluster.
    const cluster = { server: IN_CLUSTER_SERVER, name: 'in-cluster', namespace: destination.namespace ?? '' };
    if (!isDestinationPermitted(projectSpec, cluster))
      problems.push(
        `application destination server '${destination.name ? 'in-cluster' : IN_CLUSTER_SERVER}' and namespace '${destination.namespace ?? ''}' do not match any of the allowed destinations in project '${projectName}'`,
      );
    this.projects.set(key, { name: projectName, spec: projectSpec });
    return problems;
  }

  private async targetState(
    key: string,
    spec: AppSpec,
    refresh: boolean,
  ): Promise<{ target: Target; fetched: boolean }> {
    const source = spec.source!;
    if (source.chart) {
      const objects = chartObjects({
        charts: this.options.charts ?? KNOWN_CHARTS,
        repoURL: source.repoURL ?? '',
        chart: source.chart,
        // Argo CD's default release name is the Application's name.
        release: source.helm?.releaseName ?? refFromKey(key).name,
      });
      return { target: { kind: 'helm', revision: source.targetRevision ?? '', objects }, fetched: false };
    }
    const snapshots = this.snapshotsFor(source.repoURL ?? '');
    if (!snapshots)
      return {
        target: {
          kind: 'problem',
          type: 'ComparisonError',
          message: `Failed to load target state: repository not found: ${source.repoURL ?? ''}`,
        },
        fetched: false,
      };
    const url = normalizeGitUrl(source.repoURL ?? '');
    const pinned = this.appTargets.get(key);
    let snapshot = pinned?.url === url ? pinned.snapshot : undefined;
    let fetched = false;
    if (refresh || !snapshot || Date.now() - snapshot.fetchedAt >= this.pollMs) {
      try {
        snapshot = await snapshots.fetch();
      } catch (error) {
        if (!(error instanceof EnvcatError)) throw error;
        return {
          target: {
            kind: 'problem',
            type: 'ComparisonError',
            message: `Failed to load target state: ${error.message}`,
          },
          fetched: true,
        };
      }
      this.appTargets.set(key, { url, snapshot });
      fetched = true;
    }
    if (snapshot.sha === '')
      return {
        target: {
          kind: 'problem',
          type: 'ComparisonError',
          message: 'Failed to load target state: the repository is empty',
        },
        fetched,
      };
    const manifests = loadManifests(snapshot.files, {
      path: source.path ?? '',
      ...(source.directory ? { directory: source.directory } : {}),
    });
    if ('problem' in manifests)
      return {
        target: {
          kind: 'problem',
          type: 'ComparisonError',
          message: `Failed to load target state: failed to generate manifest for source 1 of 1: ${manifests.problem}`,
        },
        fetched,
      };
    return { target: { kind: 'directory', revision: snapshot.sha, objects: manifests.objects }, fetched };
  }

  /**
   * Objects as Argo CD applies them: in the destination namespace unless cluster-scoped, with its
   * tracking (controller/state.go NormalizeTargetObjects → SetAppInstance).
   */
  private normalize(app: KubeObject, spec: AppSpec, objects: KubeObject[]): KubeObject[] {
    const namespace = spec.destination?.namespace;
    return objects
      .map((object) => {
        const metadata = { ...object.metadata };
        if (!isClusterScoped(object) && !metadata.namespace && namespace) metadata.namespace = namespace;
        if (isClusterScoped(object)) delete metadata.namespace;
        return withTracking(
          { ...object, metadata },
          {
            application: app.metadata.name,
            destinationNamespace: namespace ?? '',
            method: this.trackingMethod,
          },
        );
      })
      .sort(compareSyncOrder);
  }

  private operationStartedAt(key: string, operation: OperationState): number {
    const own = this.operationStart.get(key);
    if (own?.revision === operation.operation.sync.revision) return own.at;
    return parseTimestamp(operation.startedAt) ?? Date.now();
  }

  /**
   * Whether a failed automated sync of the current revision starts again. Argo CD retries inside the
   * operation (failAttempt) and, once it has failed for good, does not sync that revision again by
   * itself (argo-cd controller/appcontroller.go autoSync, alreadyAttemptedSync): only a new revision,
   * a hard refresh or a requested operation does. The simulator's legacy failApply control is the
   * exception: a failure of it that has since been removed is retried at once.
   */
  private retryDue(
    _key: string,
    _spec: AppSpec,
    op: OperationState | undefined,
    controls: SimulatorControls | undefined,
  ): boolean {
    if (!op || (op.phase !== 'Failed' && op.phase !== 'Error')) return false;
    if (controls?.failApply) return false;
    return op.syncResult === undefined;
  }

  /**
   * `duration * factor^n`, capped at `maxDuration` (argo-cd pkg/apis/application/v1alpha1/types.go
   * RetryStrategy.NextRetryAt; defaults 5s, 2, 3m), scaled by `retryBackoffScale`.
   */
  private retryBackoff(retry: RetryStrategy | undefined, count: number): number {
    const base = goDuration(retry?.backoff?.duration, 5_000);
    const factor = retry?.backoff?.factor ?? 2;
    const max = goDuration(retry?.backoff?.maxDuration, 180_000);
    const wait = Math.min(max, base * factor ** count);
    return Math.round(wait * (this.options.retryBackoffScale ?? 0.01));
  }

  /**
   * One sync attempt failed. With retries left (`retryCount < retry.limit`, or a negative limit) the
   * operation stays Running with `finishedAt` set and "… Retrying attempt #N at …"; else it fails,
   * "(retried N times)" (argo-cd controller/appcontroller.go processRequestedAppOperation).
   */
  private failAttempt(
    key: string,
    state: AppStatus,
    message: string,
    syncResult: NonNullable<OperationState['syncResult']>,
  ): void {
    const operation = state.operationState!;
    const limit = operation.operation.retry?.limit ?? 0;
    const count = operation.retryCount ?? 0;
    const now = Date.now();
    if (limit < 0 || count < limit) {
      const retryAt = new Date(now + this.retryBackoff(operation.operation.retry, count));
      const kitchen = retryAt.toLocaleTimeString('en-US', {
        hour: 'numeric',
        minute: '2-digit',
        hour12: true,
        timeZone: 'UTC',
      });
      state.operationState = {
        ...operation,
        phase: 'Running',
        message: `${message}. Retrying attempt #${count + 1} at ${kitchen.replace(' ', '')}.`,
        finishedAt: timestamp(now),
        retryCount: count + 1,
        syncResult,
      };
      this.appQueue.schedule(key, this.retryBackoff(operation.operation.retry, count + 1));
      return;
    }
    state.operationState = {
      ...operation,
      phase: 'Failed',
      message: count > 0 ? `${message} (retried ${count} times).` : message,
      finishedAt: timestamp(now),
      syncResult,
    };
  }

  private async runSync(args: {
    app: KubeObject;
    spec: AppSpec;
    state: AppStatus;
    target: Exclude<Target, { kind: 'problem' }>;
    desired: KubeObject[];
    comparedTo: { source: unknown; destination: unknown };
    /** What the Application deployed before: pruned when no longer desired. */
    tracked: ResourceStatus[];
  }): Promise<void> {
    const { app, spec, state, target, desired, comparedTo, tracked } = args;
    const operation = state.operationState!;
    const project = this.projects.get(keyOf(refOf(app)));
    const destination = spec.destination ?? {};
    const results: Array<Record<string, unknown>> = [];
    const pruned: ResourceStatus[] = [];
    const namespace = spec.destination?.namespace;
    const createsNamespace =
      !!namespace &&
      (spec.syncPolicy?.syncOptions ?? []).includes('CreateNamespace=true') &&
      !(await this.options.cluster.get({ apiVersion: 'v1', kind: 'Namespace', name: namespace }));
    const refused = project
      ? refusedByProject({
          project,
          destination: spec.destination ?? {},
          objects: [...(target.kind === 'helm' ? target.objects : []), ...desired],
          createsNamespace,
        })
      : [];
    if (refused.length > 0) {
      // gitops-engine sync_context.go: a task the permission check refuses makes the whole sync
      // fail before anything is applied, naming every distinct refusal.
      const messages = [...new Set(refused.map((r) => String(r.message)))].sort();
      state.operationState = {
        ...operation,
        phase: 'Failed',
        message: `one or more synchronization tasks are not valid: ${messages.join('; ')}`,
        finishedAt: timestamp(Date.now()),
        syncResult: { revision: target.revision, source: comparedTo.source, resources: refused },
      };
      state.sync = { status: 'OutOfSync', revision: target.revision, comparedTo };
      this.log.warn({ application: app.metadata.name, refused: messages }, 'sync refused by the AppProject');
      return;
    }
    try {
      for (const object of desired) {
        if (!isClusterScoped(object) && !object.metadata.namespace)
          throw new SyncFailure(
            `${object.kind}/${object.metadata.name}: namespace is missing and the destination has none`,
          );
      }
      if ((spec.syncPolicy?.syncOptions ?? []).includes('CreateNamespace=true') && destination.namespace) {
        const ref = { apiVersion: 'v1', kind: 'Namespace', name: destination.namespace };
        if (!(await this.options.cluster.get(ref))) {
          await this.options.cluster.apply(
            { ...ref, metadata: { name: destination.namespace } },
            { fieldManager: FIELD_MANAGER, force: true },
          );
        }
      }
      for (const object of desired) {
        const applied = await this.options.cluster.apply(object, {
          fieldManager: FIELD_MANAGER,
          force: true,
        });
        const rolledOut = rolledOutStatus(applied);
        if (rolledOut && !jsonEqual(applied.status, rolledOut))
          await this.options.cluster.replaceStatus({ ...applied, status: rolledOut });
        const { group, version } = groupVersion(object.apiVersion);
        results.push({
          group,
          version,
          kind: object.kind,
          ...(object.metadata.namespace ? { namespace: object.metadata.namespace } : {}),
          name: object.metadata.name,
          status: 'Synced',
          message: `${object.kind.toLowerCase()}/${object.metadata.name} serverside-applied`,
          hookPhase: 'Running',
          syncPhase: 'Sync',
        });
      }
      const wanted = new Set(desired.map((o) => objectId(o)));
      const seen = new Set<string>();
      for (const old of tracked) {
        const id = resourceId(old);
        if (wanted.has(id) || seen.has(id)) continue;
        seen.add(id);
        const ref = refOfResource(old);
        const live = await this.options.cluster.get(ref);
        // Only what is still this Application's (gitops-engine prunes what the live state cache
        // assigns it; controller/sync.go filters with isSelfReferencedObj).
        if (!live || !isTrackedBy(live, app.metadata.name, this.trackingMethod)) continue;
        if (spec.syncPolicy?.automated?.prune) {
          await this.options.cluster.delete(ref);
          results.push({
            ...old,
            status: 'Pruned',
            message: 'pruned',
            hookPhase: 'Running',
            syncPhase: 'Sync',
          });
          if (await this.options.cluster.get(ref))
            pruned.push({ ...old, status: 'OutOfSync', requiresPruning: true });
        } else {
          pruned.push({ ...old, status: 'OutOfSync', requiresPruning: true });
        }
      }
    } catch (error) {
      if (!(error instanceof SyncFailure || error instanceof EnvcatError)) throw error;
      state.operationState = operation;
      this.failAttempt(
        keyOf(refOf(app)),
        state,
        `one or more objects failed to apply, reason: ${error.message}`,
        { revision: target.revision, source: comparedTo.source, resources: results },
      );
      state.sync = { status: 'OutOfSync', revision: target.revision, comparedTo };
      this.log.warn({ application: app.metadata.name, reason: error.message }, 'sync failed');
      return;
    }
    state.operationState = {
      ...operation,
      phase: 'Succeeded',
      message: 'successfully synced (all tasks run)',
      finishedAt: timestamp(Date.now()),
      syncResult: { revision: target.revision, source: comparedTo.source, resources: results },
    };
    state.sync = {
      status: pruned.length > 0 ? 'OutOfSync' : 'Synced',
      revision: target.revision,
      comparedTo,
    };
    state.resources = pruned;
    this.syncedManifests.set(keyOf(refOf(app)), manifestsDigest(desired));
    this.log.info(
      { application: app.metadata.name, revision: target.revision, objects: desired.length },
      'sync succeeded',
    );
  }

  /** `status.resources`: what the target holds, plus objects pruned but not gone yet. */
  private async resourceStatuses(
    app: KubeObject,
    desired: KubeObject[],
    state: AppStatus,
  ): Promise<ResourceStatus[]> {
    const synced = state.sync?.status === 'Synced' || state.operationState?.phase === 'Succeeded';
    const list: ResourceStatus[] = desired.map((object) => {
      const { group, version } = groupVersion(object.apiVersion);
      const health = this.liveHealth(object);
      return {
        group,
        version,
        kind: object.kind,
        ...(object.metadata.namespace ? { namespace: object.metadata.namespace } : {}),
        name: object.metadata.name,
        status: synced ? 'Synced' : 'OutOfSync',
        ...(health ? { health } : {}),
      };
    });
    // A live object the Application deployed and no longer wants stays in its resources, OutOfSync
    // and requiresPruning, until a sync prunes it (argo-cd controller/state.go CompareAppState:
    // requiresPruning = targetObj == nil && liveObj != nil). Dropping it when a sync failed before
    // its prune would leave it behind for good: the next sync prunes only what is listed here.
    const ids = new Set(list.map((r) => resourceId(r)));
    for (const old of state.resources ?? []) {
      if (ids.has(resourceId(old)) || !(await this.trackedBy(old, app))) continue;
      const { health: _health, ...rest } = old;
      list.push({ ...rest, status: 'OutOfSync', requiresPruning: true });
    }
    return list;
  }

  /** True when the live object is there and its tracking still names `app` (not taken over by another). */
  private async trackedBy(resource: ResourceStatus, app: KubeObject): Promise<boolean> {
    const ref = refOfResource(resource);
    const cached = this.cached(ref);
    const live = cached === undefined ? await this.options.cluster.get(ref) : (cached ?? undefined);
    return live !== undefined && isTrackedBy(live, app.metadata.name, this.trackingMethod);
  }

  private watched(ref: { apiVersion: string; kind: string }): boolean {
    return (
      (ref.kind === 'Application' && ref.apiVersion === APPLICATION.apiVersion) ||
      (ref.kind === 'Workspace' && Object.values(WORKSPACE_API).includes(ref.apiVersion as never))
    );
  }

  /** A watched object from the caches: the object, null when it does not exist, undefined when not watched. */
  private cached(ref: ObjectRef): KubeObject | null | undefined {
    if (ref.kind === 'Application' && ref.apiVersion === APPLICATION.apiVersion)
      return this.apps?.get(ref.name, ref.namespace) ?? null;
    if (ref.kind === 'Workspace') {
      const api = Object.entries(WORKSPACE_API).find(([, v]) => v === ref.apiVersion)?.[0] as
        WorkspaceApi | undefined;
      if (!api) return undefined;
      const apis = this.options.workspaceApis ?? ['namespaced', 'cluster'];
      const informer = this.workspaceInformers[apis.indexOf(api)];
      return informer ? (informer.get(ref.name, ref.namespace) ?? null) : undefined;
    }
    return undefined;
  }

  /** The health of a desired object as Argo CD would report it (undefined: kinds without a health check). */
  private liveHealth(object: KubeObject): Health | undefined {
    const cached = this.cached(refOf(object));
    if (cached === null) return { status: 'Missing' };
    if (cached) return resourceHealth(cached);
    if (groupVersion(object.apiVersion).group === 'apps') return { status: 'Healthy' };
    return undefined;
  }

  private applicationHealth(
    key: string,
    state: AppStatus,
    controls: SimulatorControls | undefined,
    delay: number,
  ): Health {
    const op = state.operationState;
    if (op?.phase === 'Failed' || op?.phase === 'Error') {
      if (controls?.failApply) return { status: 'Degraded', message: op.message ?? controls.failApply };
    }
    const aggregated = worstHealth((state.resources ?? []).map((r) => r.health ?? { status: 'Healthy' }));
    if (!controls) return aggregated;
    // An envcat instance's Application: Progressing for its delay, then its resources' health.
    if (!op || op.phase === 'Running') return { status: 'Progressing', message: '' };
    if (controls.neverReady)
      return { status: 'Progressing', message: 'waiting for the application to become ready' };
    const due = this.operationStartedAt(key, op) + delay;
    if (Date.now() < due) {
      this.appQueue.schedule(key, due - Date.now());
      return { status: 'Progressing', message: 'waiting for the application to become ready' };
    }
    // The workload never became available: Argo CD's Deployment check turns Degraded once the
    // Deployment's Progressing condition says ProgressDeadlineExceeded (argo-cd gitops-engine
    // pkg/health/health_deployment.go); here, at the end of the instance's delay.
    if (controls.degraded && op.phase === 'Succeeded')
      return { status: 'Degraded', message: controls.degraded };
    return aggregated;
  }

  /**
   * The Application's health as persistAppStatus writes it (argo-cd controller/appcontroller.go): a
   * new lastTransitionTime only when the status changes; with resource health not persisted (Argo CD
   * 3's default), the message too is the one of the last transition.
   */
  private health(previous: AppStatus, health: Health): AppStatus['health'] {
    const old = previous.health;
    const unchanged = old?.status === health.status;
    const message = unchanged && !this.options.persistResourceHealth ? old?.message : health.message;
    return {
      status: health.status,
      ...(message ? { message } : {}),
      lastTransitionTime:
        unchanged && old?.lastTransitionTime ? old.lastTransitionTime : timestamp(Date.now()),
    };
  }

  /** A target that cannot be generated (InvalidSpecError, ComparisonError): the condition, sync Unknown, nothing synced. */
  private async reportUncomparable(args: {
    app: KubeObject;
    previous: AppStatus;
    state: AppStatus;
    condition: { type: string; message: string };
    comparedTo: unknown;
  }): Promise<void> {
    const { app, previous, state, condition, comparedTo } = args;
    state.conditions = this.conditions(previous, [condition]);
    state.sync = {
      status: 'Unknown',
      ...(previous.sync?.revision ? { revision: previous.sync.revision } : {}),
      comparedTo,
    };
    await this.persistReconciliation({ orig: app, current: app, previous, next: state });
    this.schedulePoll(keyOf(refOf(app)));
  }

  private conditions(
    previous: AppStatus,
    wanted: Array<{ type: string; message: string }>,
  ): AppStatus['conditions'] {
    return wanted.map((c) => {
      const old = previous.conditions?.find((p) => p.type === c.type && p.message === c.message);
      return { ...c, lastTransitionTime: old?.lastTransitionTime ?? timestamp(Date.now()) };
    });
  }

  private schedulePoll(key: string): void {
    const snapshot = this.appTargets.get(key)?.snapshot;
    const at = (snapshot?.fetchedAt ?? Date.now()) + this.pollMs;
    this.appQueue.schedule(key, Math.max(0, at - Date.now()));
  }

  /**
   * The end of a reconciliation (argo-cd controller/appcontroller.go persistReconciliationStatus):
   * the status, then the refresh request consumed. `orig` is the Application as read when the
   * reconciliation began, `current` as last written.
   */
  private async persistReconciliation(args: {
    orig: KubeObject;
    current: KubeObject;
    previous: AppStatus;
    next: AppStatus;
  }): Promise<void> {
    await this.writeStatus(args.current, args.previous, args.next);
    await this.consumeRefresh(args.orig);
  }

  /**
   * The status as a merge patch of what changed, and nothing when nothing did (argo-cd
   * controller/appcontroller.go persistAppStatus: createMergePatch, "No status changes. Skipping
   * patch"). A merge patch carries no resourceVersion: a write by someone else meanwhile (a refresh
   * request) does not make it fail. A completed operation also clears the requested one
   * (setOperationState: `"operation": null`).
   */
  private async writeStatus(app: KubeObject, previous: AppStatus, next: AppStatus): Promise<KubeObject> {
    this.indexResources(keyOf(refOf(app)), next.resources);
    const phase = next.operationState?.phase;
    const clearOperation =
      app.operation !== undefined && (phase === 'Succeeded' || phase === 'Failed' || phase === 'Error');
    const status = mergePatchBetween(previous, this.persisted(next));
    if (status === undefined && !clearOperation) return app;
    return this.options.cluster.mergePatch(refOf(app), {
      ...(status !== undefined ? { status } : {}),
      ...(clearOperation ? { operation: null } : {}),
    });
  }

  /**
   * What of a status is persisted: without `persistResourceHealth`, no health per resource, and
   * `resourceHealthSource: appTree` (argo-cd controller/health.go setApplicationHealth: the resource
   * health lives in the resource tree Argo CD caches, docs/operator-manual/upgrading/2.14-3.0.md).
   */
  private persisted(status: AppStatus): AppStatus {
    if (this.options.persistResourceHealth) {
      const { resourceHealthSource: _inline, ...inline } = status;
      return inline;
    }
    return {
      ...status,
      ...(status.resources
        ? { resources: status.resources.map(({ health: _health, ...resource }) => resource) }
        : {}),
      resourceHealthSource: 'appTree',
    };
  }

  /**
   * Removes the refresh request this reconciliation handled (argo-cd controller/appcontroller.go
   * handleRefreshAnnotation, removeRefreshAnnotationCombo). The removal is one JSON patch: a `test`
   * that `refresh-timestamp` still holds the value read when the reconciliation began, then the
   * removal of both annotations. A request made meanwhile with a new timestamp fails the test and
   * stays, to be handled next. One made without a timestamp (Argo CD 3.5 and before have none) is
   * removed with the one handled: it is lost until the next poll.
   */
  private async consumeRefresh(orig: KubeObject): Promise<void> {
    const read = orig.metadata.annotations ?? {};
    if (read[REFRESH_ANNOTATION] === undefined && read[REFRESH_TIMESTAMP_ANNOTATION] === undefined) return;
    const ref = refOf(orig);
    if (await this.removeRefresh(ref, read)) return;
    if (read[REFRESH_TIMESTAMP_ANNOTATION] === undefined) return; // removed by someone else
    const latest = await this.options.cluster.get(ref);
    const now = latest?.metadata.annotations;
    if (!now) return;
    if (
      now[REFRESH_ANNOTATION] !== undefined &&
      now[REFRESH_TIMESTAMP_ANNOTATION] !== undefined &&
      now[REFRESH_TIMESTAMP_ANNOTATION] !== read[REFRESH_TIMESTAMP_ANNOTATION]
    ) {
      this.log.info(
        {
          application: orig.metadata.name,
          from: read[REFRESH_TIMESTAMP_ANNOTATION],
          to: now[REFRESH_TIMESTAMP_ANNOTATION],
        },
        'a new refresh request arrived while processing; it stays',
      );
      return;
    }
    // Something else changed (the refresh annotation removed by someone): remove what is there now.
    await this.removeRefresh(ref, now);
  }

  /**
   * The JSON patch of removeRefreshAnnotationCombo for the annotations `basis` holds, applied to the
   * Application as it is now; false when the API server would refuse it (422: the test failed, or
   * an annotation to remove is gone). A read and a write guarded by the resourceVersion stand in
   * for the server's atomic JSON patch.
   */
  private async removeRefresh(ref: ObjectRef, basis: Record<string, string>): Promise<boolean> {
    const timestamp = basis[REFRESH_TIMESTAMP_ANNOTATION];
    const refresh = basis[REFRESH_ANNOTATION] !== undefined;
    for (let attempt = 1; ; attempt++) {
      const app = await this.options.cluster.get(ref);
      if (!app) return true;
      const annotations = { ...app.metadata.annotations };
      if (timestamp !== undefined) {
        if (annotations[REFRESH_TIMESTAMP_ANNOTATION] !== timestamp) return false;
        delete annotations[REFRESH_TIMESTAMP_ANNOTATION];
      }
      if (refresh) {
        if (annotations[REFRESH_ANNOTATION] === undefined) return false;
        delete annotations[REFRESH_ANNOTATION];
      }
      const metadata = { ...app.metadata, annotations };
      if (Object.keys(annotations).length === 0) delete (metadata as { annotations?: unknown }).annotations;
      try {
        await this.options.cluster.replace({ ...app, metadata });
        return true;
      } catch (error) {
        if (!(error instanceof ConflictError) || attempt >= 5) throw error;
      }
    }
  }

  // ---- deletion ----

  private async reconcileDeletion(key: string, app: KubeObject): Promise<void> {
    if (!hasResourcesFinalizer(app)) return;
    const status = statusOf(app);
    const remaining: Array<{ ref: ObjectRef; live: KubeObject }> = [];
    const seen = new Set<string>();
    for (const resource of [...(status.resources ?? []), ...resourcesOfResult(status.operationState)]) {
      const id = resourceId(resource);
      if (seen.has(id)) continue;
      seen.add(id);
      const ref = refOfResource(resource);
      const live = await this.options.cluster.get(ref);
      if (live && isTrackedBy(live, app.metadata.name, this.trackingMethod)) remaining.push({ ref, live });
    }
    // Namespaces last: their content (Workspaces with finalizers) must go through its own deletion first.
    const first = remaining.filter((r) => r.ref.kind !== 'Namespace');
    const batch = first.length > 0 ? first : remaining;
    for (const { ref, live } of batch) {
      if (!live.metadata.deletionTimestamp) await this.options.cluster.delete(ref);
    }
    if (remaining.length > 0) {
      // Watched kinds report their removal (see enqueueTracker); the timer is a safety net for them.
      this.appQueue.schedule(key, batch.every((r) => this.watched(r.ref)) ? 2_000 : DELETION_RECHECK_MS);
      return;
    }
    await this.options.cluster.replace({
      ...app,
      metadata: {
        ...app.metadata,
        finalizers: (app.metadata.finalizers ?? []).filter((f) => !RESOURCES_FINALIZERS.includes(f)),
      },
    });
    this.log.info({ application: app.metadata.name }, 'resources deleted; finalizer removed');
  }
}

class SyncFailure extends Error {}

function statusOf(app: KubeObject): AppStatus {
  return structuredClone((isRecord(app.status) ? app.status : {}) as AppStatus);
}

/** The resources a sync operation applied (what an interrupted or failed sync may have left behind). */
function resourcesOfResult(op: OperationState | undefined): ResourceStatus[] {
  return (op?.syncResult?.resources ?? [])
    .filter((r) => typeof r.kind === 'string' && typeof r.name === 'string' && r.status !== 'Pruned')
    .map((r) => ({
      group: typeof r.group === 'string' ? r.group : '',
      version: typeof r.version === 'string' ? r.version : '',
      kind: r.kind as string,
      ...(typeof r.namespace === 'string' && r.namespace ? { namespace: r.namespace } : {}),
      name: r.name as string,
      status: 'Synced' as const,
    }));
}
