/**
 * A simulated Argo CD: the ApplicationSet controller and the application controller, talking to
 * the cluster only through the cluster API and reading Git only through read-only clones, as the
 * real ones do (CONTROLLERS.md lists each behaviour and its upstream source).
 *
 * ApplicationSet controller (applicationset-controller.ts): git generator (`directories`,
 * `files`), Go templates (field references and `index`), generated Applications owned by their
 * ApplicationSet and deleted when their directory goes; re-evaluated on its poll interval, on the
 * `argocd.argoproj.io/application-set-refresh` annotation (what Argo CD's webhook sets) and when an
 * Application it generated is asked to refresh.
 *
 * Application controller: a `path` source is read at the branch head (YAML/JSON, `directory.recurse`,
 * `include`/`exclude`; argocd-state.ts), each object server-side applied (field manager
 * `argocd-controller`; argocd-sync.ts) with its tracking (resource-tracking.ts: the
 * `argocd.argoproj.io/tracking-id` annotation by default, as Argo CD 3), pruned when it leaves Git
 * (automated prune), and reported in `status.sync`, `status.health`, `status.operationState`,
 * `status.resources`, `status.reconciledAt`. A Helm `chart` source is not rendered (there is no
 * Helm here): it syncs at once with `sync.revision` = the chart version (`targetRevision`). Health
 * is Argo CD's: Crossplane's check for Workspaces, the app-of-apps check for Applications, the
 * rollout check for workloads (whose status this cluster fills in, having no
 * kube-controller-manager), Healthy for the rest (argocd-live-cache.ts). An Application of an
 * envcat instance stays Progressing for the instance's delay and obeys its simulator controls. Git
 * is polled every `pollMs`; the `argocd.argoproj.io/refresh` annotation makes an Application read
 * Git at once and is removed afterwards, unless its `refresh-timestamp` changed meanwhile. Status
 * is written as a merge patch of what changed, nothing when nothing did (argocd-status.ts).
 * Deleting an Application with the resources finalizer deletes what it deployed, waits until it is
 * gone, then removes the finalizer (argocd-deletion.ts).
 *
 * This file holds the application controller's watches and queue and the reconcile loop of an
 * Application (argo-cd controller/appcontroller.go); argocd-application.ts holds the resource's
 * shapes.
 *
 * Not simulated: multi-source Applications, kustomize, Helm rendering, drift detection (self-heal)
 * for objects changed behind Argo CD's back, sync hooks, and targetRevisions other than the branch
 * the repo clone follows.
 */
import type { Logger } from 'pino';
import {
  InputError,
  LABEL,
  isRecord,
  jsonEqual,
  describeError,
  type WorkspaceApi,
  WORKSPACE_API,
} from '../core/index.js';
import type { GitOpsRepo } from '../gitops/types.js';
import { refOf, type ClusterClient, type Informer, type KubeObject } from '../cluster/index.js';
import {
  APPLICATION,
  APPLICATION_SET,
  manifestsDigest,
  REFRESH_ANNOTATION,
  requestedOperation,
  resourcesOfResult,
  statusOf,
  type AppSpec,
  type AppStatus,
} from './argocd-application.js';
import { ApplicationDeletion } from './argocd-deletion.js';
import { LiveStateCache } from './argocd-live-cache.js';
import { AppStateManager } from './argocd-state.js';
import { AppStatusWriter } from './argocd-status.js';
import { retryDue, SyncOperations } from './argocd-sync.js';
import { ApplicationSetController } from './applicationset-controller.js';
import type { ControlSource, SimulatorControls } from './controls.js';
import { worstHealth, type Health } from './health.js';
import type { SimulatedChart } from './helm-charts.js';
import { ReconcileQueue } from './reconcile-queue.js';
import { DEFAULT_TRACKING_METHOD, TRACKING_METHODS, type TrackingMethod } from './resource-tracking.js';
import { keyOf, refFromKey, timestamp } from './support.js';

const DEFAULT_POLL_MS = 180_000;

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

export class SimulatedArgoCD {
  private readonly log: Logger;
  private readonly namespace: string;
  private readonly pollMs: number;
  private readonly appQueue: ReconcileQueue;
  private readonly appsets: ApplicationSetController;
  private readonly live: LiveStateCache;
  private readonly appState: AppStateManager;
  private readonly sync: SyncOperations;
  private readonly status: AppStatusWriter;
  private readonly deletion: ApplicationDeletion;
  private readonly controlsCache = new Map<string, SimulatorControls>();
  private readonly informers: Informer[] = [];
  /** Work started outside the queues (garbage collection of a deleted ApplicationSet's Applications). */
  private readonly pending = new Set<Promise<void>>();
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
    this.live = new LiveStateCache({
      cluster: options.cluster,
      namespace: this.namespace,
      trackingMethod: this.trackingMethod,
      ...(options.workspaceApis ? { workspaceApis: options.workspaceApis } : {}),
    });
    this.appState = new AppStateManager({
      cluster: options.cluster,
      namespace: this.namespace,
      repos: options.repos,
      pollMs: this.pollMs,
      ...(options.charts ? { charts: options.charts } : {}),
      trackingMethod: this.trackingMethod,
      live: this.live,
    });
    this.sync = new SyncOperations({
      cluster: options.cluster,
      trackingMethod: this.trackingMethod,
      ...(options.retryBackoffScale !== undefined ? { retryBackoffScale: options.retryBackoffScale } : {}),
      schedule: (key, ms) => this.appQueue.schedule(key, ms),
      log: this.log,
    });
    this.status = new AppStatusWriter({
      cluster: options.cluster,
      ...(options.persistResourceHealth !== undefined
        ? { persistResourceHealth: options.persistResourceHealth }
        : {}),
      indexResources: (key, resources) => this.live.indexResources(key, resources),
      log: this.log,
    });
    this.deletion = new ApplicationDeletion({
      cluster: options.cluster,
      trackingMethod: this.trackingMethod,
      live: this.live,
      schedule: (key, ms) => this.appQueue.schedule(key, ms),
      log: this.log,
    });
    this.appsets = new ApplicationSetController({
      cluster: options.cluster,
      pollMs: this.pollMs,
      snapshotsFor: (url) => this.appState.snapshotsFor(url),
      applications: () => this.live.apps?.list() ?? [],
      log: this.log,
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
      this.live.workspaceInformers.push(informer);
      this.informers.push(informer);
    }

    const apps = cluster.informer(APPLICATION, { namespace: this.namespace });
    apps.on('ADDED', (app) => this.onApplication(app));
    apps.on('MODIFIED', (app) => this.onApplication(app));
    apps.on('DELETED', (app) => {
      const key = keyOf(refOf(app));
      this.appQueue.forget(key);
      this.appState.forget(key);
      this.sync.forget(key);
      this.controlsCache.delete(key);
      this.live.indexResources(key, []);
      this.enqueueTracker(app);
    });
    apps.on('error', (error) =>
      this.log.warn({ err: describeError(error) }, 'Application watch failed; restarting'),
    );
    this.live.apps = apps;
    this.informers.push(apps);

    const appsets = cluster.informer(APPLICATION_SET, { namespace: this.namespace });
    appsets.on('ADDED', (set) => this.appsets.enqueue(keyOf(refOf(set))));
    appsets.on('MODIFIED', (set) => this.appsets.enqueue(keyOf(refOf(set))));
    appsets.on('DELETED', (set) => {
      const key = keyOf(refOf(set));
      this.appsets.forget(key);
      const pending = this.appsets.deleteOwnedApplications(set).finally(() => this.pending.delete(pending));
      this.pending.add(pending);
    });
    appsets.on('error', (error) =>
      this.log.warn({ err: describeError(error) }, 'ApplicationSet watch failed; restarting'),
    );
    this.informers.push(appsets);

    await Promise.all(this.informers.map((i) => i.start()));
    for (const app of apps.list()) this.appQueue.enqueue(keyOf(refOf(app)));
    for (const set of appsets.list()) this.appsets.enqueue(keyOf(refOf(set)));
    this.log.info(
      { namespace: this.namespace, pollMs: this.pollMs, trackingMethod: this.trackingMethod },
      'simulated Argo CD started',
    );
  }

  async stop(): Promise<void> {
    this.running = false;
    for (const informer of this.informers) informer.stop();
    this.informers.length = 0;
    this.live.workspaceInformers.length = 0;
    await Promise.all([this.appQueue.stop(), this.appsets.stop(), ...this.pending]);
  }

  // ---- events ----

  private onApplication(app: KubeObject): void {
    this.appQueue.enqueue(keyOf(refOf(app)));
    this.enqueueTracker(app);
    if (app.metadata.annotations?.[REFRESH_ANNOTATION]) {
      for (const owner of app.metadata.ownerReferences ?? []) {
        if (owner.kind !== 'ApplicationSet' || typeof owner.name !== 'string') continue;
        const key = keyOf({ ...APPLICATION_SET, name: owner.name, namespace: this.namespace });
        this.appsets.refresh(key);
      }
    }
  }

  /**
   * A deployed object changed: the Applications that list it among their resources re-assess their
   * health (as Argo CD's resource tree does), and the one its tracking names (controller/cache/cache.go
   * GetAppName).
   */
  private enqueueTracker(object: KubeObject): void {
    for (const key of this.live.applicationsOf(object)) this.appQueue.enqueue(key);
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

  // ---- application controller ----

  private async reconcileApplication(key: string): Promise<void> {
    const app = await this.options.cluster.get(refFromKey(key));
    if (!app) {
      this.appQueue.forget(key);
      this.appState.forget(key);
      return;
    }
    if (app.metadata.deletionTimestamp) return this.deletion.reconcile(key, app);

    const spec = (isRecord(app.spec) ? app.spec : {}) as AppSpec;
    const refresh = app.metadata.annotations?.[REFRESH_ANNOTATION];
    let current = app;
    let previous = statusOf(app);
    let state: AppStatus = { ...structuredClone(previous), controllerNamespace: this.namespace };
    const comparedTo = { source: spec.source ?? {}, destination: spec.destination ?? {} };

    const invalid = await this.appState.specProblems(key, spec);
    if (invalid.length > 0) {
      state.conditions = this.status.conditions(
        previous,
        invalid.map((message) => ({ type: 'InvalidSpecError', message })),
      );
      state.sync = { status: 'Unknown', comparedTo };
      state.health = this.status.health(previous, { status: 'Unknown' });
      await this.status.persistReconciliation({ orig: app, current: app, previous, next: state });
      // Looked at again on the next reconciliation (a project created or widened since).
      this.schedulePoll(key);
      return;
    }

    const { target, fetched } = await this.appState.targetState(key, spec, refresh !== undefined);
    if (fetched) state.reconciledAt = timestamp(Date.now());
    if (target.kind === 'problem') {
      const condition = { type: target.type, message: target.message };
      await this.reportUncomparable({ app, previous, state, condition, comparedTo });
      return;
    }
    state.sourceType = target.kind === 'helm' ? 'Helm' : 'Directory';

    const desired = target.kind === 'directory' ? this.appState.normalize(app, spec, target.objects) : [];
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
      state.conditions = this.status.conditions(previous, [
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
      this.sync.syncedManifests(key) === manifests &&
      jsonEqual(op.syncResult?.source ?? comparedTo.source, comparedTo.source);
    if (inSyncAlready) state.sync = { status: 'Synced', revision: target.revision, comparedTo };
    const startManual = requested !== undefined && op?.phase !== 'Running';
    if (
      startManual ||
      (automated &&
        !requested &&
        !inSyncAlready &&
        (!opForTarget || refresh === 'hard' || retryDue(op, controls)))
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
      this.sync.started(key, target.revision);
      state.sync = { status: 'OutOfSync', revision: target.revision, comparedTo };
      state.health = this.status.health(previous, { status: 'Progressing' });
      current = await this.status.writeStatus(current, previous, state);
      previous = statusOf(current);
      state = structuredClone(previous);
      this.log.info(
        { application: app.metadata.name, revision: target.revision, requested: startManual },
        'sync started',
      );
    }

    await this.sync.progress({
      key,
      app: current,
      project: this.appState.project(key),
      spec,
      state,
      target,
      desired,
      comparedTo,
      tracked,
      controls,
      delay,
    });

    state.resources = await this.appState.resourceStatuses(current, desired, state);
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
    state.health = this.status.health(previous, this.applicationHealth(key, state, controls, delay));
    await this.status.persistReconciliation({ orig: app, current, previous, next: state });
    this.schedulePoll(key);
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
    const due = this.sync.operationStartedAt(key, op) + delay;
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

  /** A target that cannot be generated (InvalidSpecError, ComparisonError): the condition, sync Unknown, nothing synced. */
  private async reportUncomparable(args: {
    app: KubeObject;
    previous: AppStatus;
    state: AppStatus;
    condition: { type: string; message: string };
    comparedTo: unknown;
  }): Promise<void> {
    const { app, previous, state, condition, comparedTo } = args;
    state.conditions = this.status.conditions(previous, [condition]);
    state.sync = {
      status: 'Unknown',
      ...(previous.sync?.revision ? { revision: previous.sync.revision } : {}),
      comparedTo,
    };
    await this.status.persistReconciliation({ orig: app, current: app, previous, next: state });
    this.schedulePoll(keyOf(refOf(app)));
  }

  private schedulePoll(key: string): void {
    this.appQueue.schedule(key, Math.max(0, this.appState.nextPollAt(key) - Date.now()));
  }
}
