/**
 * How the simulated Argo CD writes an Application back (argo-cd controller/appcontroller.go
 * persistAppStatus, setOperationState, persistReconciliationStatus): the status as a merge patch of
 * what changed and nothing when nothing did, health and conditions keeping their transition times,
 * resource health left out unless `persistResourceHealth`, a completed operation clearing the
 * requested one, and the refresh request the reconciliation handled consumed.
 */
import type { Logger } from 'pino';
import { ConflictError } from '../core/index.js';
import { refOf, type ClusterClient, type KubeObject, type ObjectRef } from '../cluster/index.js';
import {
  REFRESH_ANNOTATION,
  REFRESH_TIMESTAMP_ANNOTATION,
  type AppStatus,
  type ResourceStatus,
} from './argocd-application.js';
import type { Health } from './health.js';
import { keyOf, mergePatchBetween, timestamp } from './support.js';

export interface AppStatusWriterOptions {
  cluster: ClusterClient;
  /** argocd-cmd-params-cm `controller.resource.health.persist`. Default false. */
  persistResourceHealth?: boolean;
  /** Told of the resources each written status lists. */
  indexResources(key: string, resources: readonly ResourceStatus[] | undefined): void;
  log: Logger;
}

export class AppStatusWriter {
  private readonly log: Logger;

  constructor(private readonly options: AppStatusWriterOptions) {
    this.log = options.log;
  }

  /**
   * The Application's health as persistAppStatus writes it (argo-cd controller/appcontroller.go): a
   * new lastTransitionTime only when the status changes; with resource health not persisted (Argo CD
   * 3's default), the message too is the one of the last transition.
   */
  health(previous: AppStatus, health: Health): AppStatus['health'] {
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

  /** The wanted conditions, each keeping its lastTransitionTime when it held already. */
  conditions(previous: AppStatus, wanted: Array<{ type: string; message: string }>): AppStatus['conditions'] {
    return wanted.map((c) => {
      const old = previous.conditions?.find((p) => p.type === c.type && p.message === c.message);
      return { ...c, lastTransitionTime: old?.lastTransitionTime ?? timestamp(Date.now()) };
    });
  }

  /**
   * The end of a reconciliation (argo-cd controller/appcontroller.go persistReconciliationStatus):
   * the status, then the refresh request consumed. `orig` is the Application as read when the
   * reconciliation began, `current` as last written.
   */
  async persistReconciliation(args: {
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
  async writeStatus(app: KubeObject, previous: AppStatus, next: AppStatus): Promise<KubeObject> {
    this.options.indexResources(keyOf(refOf(app)), next.resources);
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
}
