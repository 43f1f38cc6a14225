/**
 * The simulated Argo CD's view of what an Application should be and how it compares (argo-cd
 * controller/state.go, simplified): whether its spec can be reconciled at all (project, source
 * repo, destination), its target state (the manifests of a `path` source at the branch head, read
 * from a repo snapshot kept until the next poll or refresh, or a known Helm chart's objects),
 * normalized as Argo CD applies them, and `status.resources` against the live objects.
 */
import { EnvcatError, isRecord } from '../core/index.js';
import type { GitOpsRepo } from '../gitops/types.js';
import { parseApiVersion, type ClusterClient, type KubeObject } from '../cluster/index.js';
import {
  IN_CLUSTER_SERVER,
  resourceId,
  type AppSpec,
  type AppStatus,
  type ResourceStatus,
  type Target,
} from './argocd-application.js';
import { compareSyncOrder, isClusterScoped } from './argocd-kinds.js';
import type { LiveStateCache } from './argocd-live-cache.js';
import {
  isDestinationPermitted,
  isSourcePermitted,
  normalizeGitUrl,
  type AppProjectSpec,
} from './appproject.js';
import { chartObjects, KNOWN_CHARTS, type SimulatedChart } from './helm-charts.js';
import { loadManifests, ParsedManifests } from './manifests.js';
import { RepoSnapshots, type RepoSnapshot } from './repo-snapshots.js';
import { withTracking, type TrackingMethod } from './resource-tracking.js';
import { refFromKey } from './support.js';

export interface AppStateManagerOptions {
  cluster: ClusterClient;
  /** Where Applications and AppProjects live. */
  namespace: string;
  /** The read-only clone of a repo URL, undefined for an unknown repo. */
  repos: (url: string) => GitOpsRepo | undefined;
  /** Git polling interval. */
  pollMs: number;
  /** Helm charts whose objects a sync checks against the AppProject. Default KNOWN_CHARTS. */
  charts?: readonly SimulatedChart[];
  trackingMethod: TrackingMethod;
  live: LiveStateCache;
}

export class AppStateManager {
  private readonly namespace: string;
  private readonly pollMs: number;
  private readonly trackingMethod: TrackingMethod;
  private readonly snapshots = new Map<string, RepoSnapshots>();
  /** The commit each Application last compared against (kept until its next poll or refresh). */
  private readonly appTargets = new Map<string, { url: string; snapshot: RepoSnapshot }>();
  /** The AppProject each Application was last checked against. */
  private readonly projects = new Map<string, { name: string; spec: AppProjectSpec }>();
  private readonly parsedManifests = new ParsedManifests();

  constructor(private readonly options: AppStateManagerOptions) {
    this.namespace = options.namespace;
    this.pollMs = options.pollMs;
    this.trackingMethod = options.trackingMethod;
  }

  /** The AppProject an Application was last checked against. */
  project(key: string): { name: string; spec: AppProjectSpec } | undefined {
    return this.projects.get(key);
  }

  /** When the Application reads Git again by itself: its poll interval after its last read. */
  nextPollAt(key: string): number {
    const snapshot = this.appTargets.get(key)?.snapshot;
    return (snapshot?.fetchedAt ?? Date.now()) + this.pollMs;
  }

  /** The Application is gone. */
  forget(key: string): void {
    this.appTargets.delete(key);
    this.projects.delete(key);
  }

  snapshotsFor(url: string): RepoSnapshots | undefined {
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

  /**
   * Why the spec cannot be reconciled (Argo CD's InvalidSpecError conditions), or none: the project
   * must exist (controller/appcontroller.go) and permit the source repo and the destination
   * (util/argo/argo.go ValidatePermissions, each refusal its own condition).
   */
  async specProblems(key: string, spec: AppSpec): Promise<string[]> {
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

  async targetState(
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
    const manifests = loadManifests(
      snapshot.files,
      { path: source.path ?? '', ...(source.directory ? { directory: source.directory } : {}) },
      this.parsedManifests,
    );
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
  normalize(app: KubeObject, spec: AppSpec, objects: KubeObject[]): KubeObject[] {
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

  /** `status.resources`: what the target holds, plus objects pruned but not gone yet. */
  async resourceStatuses(
    app: KubeObject,
    desired: KubeObject[],
    state: AppStatus,
  ): Promise<ResourceStatus[]> {
    const synced = state.sync?.status === 'Synced' || state.operationState?.phase === 'Succeeded';
    const list: ResourceStatus[] = desired.map((object) => {
      const { group, version } = parseApiVersion(object.apiVersion);
      const health = this.options.live.liveHealth(object);
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
      if (ids.has(resourceId(old)) || !(await this.options.live.trackedBy(old, app))) continue;
      const { health: _health, ...rest } = old;
      list.push({ ...rest, status: 'OutOfSync', requiresPruning: true });
    }
    return list;
  }
}
