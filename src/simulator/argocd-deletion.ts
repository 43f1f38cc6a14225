/**
 * Deleting an Application that has the resources finalizer, in the simulated Argo CD (argo-cd
 * controller/appcontroller.go finalizeApplicationDeletion): its resources are deleted, the
 * Namespaces last (their content must go through its own deletion first), it waits until they are
 * gone, then the finalizer is removed. An object another Application has taken over is left alone.
 */
import type { Logger } from 'pino';
import type { ClusterClient, KubeObject, ObjectRef } from '../cluster/index.js';
import {
  hasResourcesFinalizer,
  refOfResource,
  resourceId,
  RESOURCES_FINALIZERS,
  resourcesOfResult,
  statusOf,
} from './argocd-application.js';
import type { LiveStateCache } from './argocd-live-cache.js';
import { isTrackedBy, type TrackingMethod } from './resource-tracking.js';

/** How often a deletion re-checks objects no watch reports on. */
const DELETION_RECHECK_MS = 250;

export interface ApplicationDeletionOptions {
  cluster: ClusterClient;
  trackingMethod: TrackingMethod;
  /** Tells which kinds report their removal through a watch. */
  live: LiveStateCache;
  /** Reconciles the Application of `key` again after `ms`. */
  schedule(key: string, ms: number): void;
  log: Logger;
}

export class ApplicationDeletion {
  private readonly log: Logger;
  private readonly trackingMethod: TrackingMethod;

  constructor(private readonly options: ApplicationDeletionOptions) {
    this.log = options.log;
    this.trackingMethod = options.trackingMethod;
  }

  /**
   * Deletes what the Application deployed that is still its own (Namespaces last), and removes
   * the resources finalizer once all of it is gone.
   */
  async reconcile(key: string, app: KubeObject): Promise<void> {
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
      // Watched kinds report their removal (enqueueTracker in argocd-controller.ts); the timer is a safety net for them.
      this.options.schedule(
        key,
        batch.every((r) => this.options.live.watched(r.ref)) ? 2_000 : DELETION_RECHECK_MS,
      );
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
