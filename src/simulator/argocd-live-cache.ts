/**
 * What the simulated Argo CD knows of live objects (argo-cd controller/cache/cache.go, in small):
 * the watch caches of Applications and Workspaces, the health of a deployed object, whether a live
 * object is still an Application's (its tracking), and which Applications an object's change wakes:
 * the ones that list it among their resources and the one its tracking names (GetAppName).
 */
import { type WorkspaceApi, WORKSPACE_API } from '../core/index.js';
import {
  refOf,
  parseApiVersion,
  type ClusterClient,
  type Informer,
  type KubeObject,
  type ObjectRef,
} from '../cluster/index.js';
import {
  APPLICATION,
  objectId,
  refOfResource,
  resourceId,
  type ResourceStatus,
} from './argocd-application.js';
import { resourceHealth, type Health } from './health.js';
import { isTrackedBy, trackingApplication, type TrackingMethod } from './resource-tracking.js';
import { keyOf } from './support.js';

export interface LiveStateCacheOptions {
  cluster: ClusterClient;
  /** Where Applications live. */
  namespace: string;
  trackingMethod: TrackingMethod;
  /** The Workspace APIs watched, in the order of workspaceInformers. Default both. */
  workspaceApis?: readonly WorkspaceApi[];
}

export class LiveStateCache {
  /** The watch of Applications, set by the controller as it starts. */
  apps: Informer | undefined;
  /** The watches of Workspaces, one per API of `workspaceApis`, set by the controller as it starts. */
  readonly workspaceInformers: Informer[] = [];
  /** Which Applications list an object among their resources, by resource id. */
  private readonly resourceIndex = new Map<string, Set<string>>();
  private readonly indexedResources = new Map<string, string[]>();
  private readonly namespace: string;
  private readonly trackingMethod: TrackingMethod;

  constructor(private readonly options: LiveStateCacheOptions) {
    this.namespace = options.namespace;
    this.trackingMethod = options.trackingMethod;
  }

  /**
   * A deployed object changed: the keys of the Applications that list it among their resources
   * (they re-assess their health, as Argo CD's resource tree does) and of the one its tracking names
   * (controller/cache/cache.go GetAppName).
   */
  applicationsOf(object: KubeObject): Set<string> {
    const keys = new Set(this.resourceIndex.get(objectId(object)) ?? []);
    const tracker = trackingApplication(object, this.trackingMethod);
    if (tracker && this.apps?.get(tracker, this.namespace))
      keys.add(keyOf({ ...APPLICATION, name: tracker, namespace: this.namespace }));
    return keys;
  }

  /** Records the resources an Application lists (none: it is forgotten). */
  indexResources(key: string, resources: readonly ResourceStatus[] | undefined): void {
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

  /** True when the live object is there and its tracking still names `app` (not taken over by another). */
  async trackedBy(resource: ResourceStatus, app: KubeObject): Promise<boolean> {
    const ref = refOfResource(resource);
    const cached = this.cached(ref);
    const live = cached === undefined ? await this.options.cluster.get(ref) : (cached ?? undefined);
    return live !== undefined && isTrackedBy(live, app.metadata.name, this.trackingMethod);
  }

  watched(ref: { apiVersion: string; kind: string }): boolean {
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
  liveHealth(object: KubeObject): Health | undefined {
    const cached = this.cached(refOf(object));
    if (cached === null) return { status: 'Missing' };
    if (cached) return resourceHealth(cached);
    if (parseApiVersion(object.apiVersion).group === 'apps') return { status: 'Healthy' };
    return undefined;
  }
}
