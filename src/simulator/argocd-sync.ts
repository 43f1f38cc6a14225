/**
 * The sync operation of the simulated Argo CD (argo-cd controller/sync.go and the operation part of
 * controller/appcontroller.go): the AppProject's check of every object before anything is applied,
 * the server-side apply of each object (field manager `argocd-controller`, the rollout status this
 * cluster fills in for workloads), automated prune of what left Git and is still the Application's,
 * and a failed attempt retried with `syncPolicy.retry`'s backoff until its limit.
 */
import type { Logger } from 'pino';
import { EnvcatError, jsonEqual } from '../core/index.js';
import { refOf, parseApiVersion, type ClusterClient, type KubeObject } from '../cluster/index.js';
import {
  manifestsDigest,
  objectId,
  refOfResource,
  resourceId,
  type AppSpec,
  type AppStatus,
  type OperationState,
  type ResourceStatus,
  type RetryStrategy,
  type Target,
} from './argocd-application.js';
import { isClusterScoped } from './argocd-kinds.js';
import type { AppProjectSpec } from './appproject.js';
import { parseDelay, type SimulatorControls } from './controls.js';
import { rolledOutStatus } from './health.js';
import { isTrackedBy, type TrackingMethod } from './resource-tracking.js';
import { refusedByProject } from './sync-permissions.js';
import { keyOf, parseTimestamp, timestamp } from './support.js';

const FIELD_MANAGER = 'argocd-controller';

/** `10s`, `3m` (Go durations as Argo CD's retry backoff takes them). */
function goDuration(text: string | undefined, fallbackMs: number): number {
  return (text === undefined ? undefined : parseDelay(text)) ?? fallbackMs;
}

/**
 * Whether a failed automated sync of the current revision starts again. Argo CD retries inside the
 * operation (failAttempt) and, once it has failed for good, does not sync that revision again by
 * itself (argo-cd controller/appcontroller.go autoSync, alreadyAttemptedSync): only a new revision,
 * a hard refresh or a requested operation does. The simulator's legacy failApply control is the
 * exception: a failure of it that has since been removed is retried at once.
 */
export function retryDue(op: OperationState | undefined, controls: SimulatorControls | undefined): boolean {
  if (!op || (op.phase !== 'Failed' && op.phase !== 'Error')) return false;
  if (controls?.failApply) return false;
  return op.syncResult === undefined;
}

export class SyncFailure extends Error {}

export interface SyncOperationsOptions {
  cluster: ClusterClient;
  trackingMethod: TrackingMethod;
  /** Scales the retry backoff of `syncPolicy.retry`. Default 0.01. */
  retryBackoffScale?: number;
  /** Reconciles the Application of `key` again after `ms`. */
  schedule(key: string, ms: number): void;
  log: Logger;
}

export interface SyncArgs {
  app: KubeObject;
  /** The AppProject the Application was checked against. */
  project: { name: string; spec: AppProjectSpec } | undefined;
  spec: AppSpec;
  state: AppStatus;
  target: Exclude<Target, { kind: 'problem' }>;
  desired: KubeObject[];
  comparedTo: { source: unknown; destination: unknown };
  /** What the Application deployed before: pruned when no longer desired. */
  tracked: ResourceStatus[];
}

export class SyncOperations {
  private readonly log: Logger;
  private readonly trackingMethod: TrackingMethod;
  /** When this controller started the current operation of an Application (precise). */
  private readonly operationStart = new Map<string, { revision: string; at: number }>();
  /** A digest of the manifests each Application last synced successfully (see inSyncAlready in argocd-controller.ts). */
  private readonly syncedDigests = new Map<string, string>();

  constructor(private readonly options: SyncOperationsOptions) {
    this.log = options.log;
    this.trackingMethod = options.trackingMethod;
  }

  /** An operation starts now, at `revision`. */
  started(key: string, revision: string): void {
    this.operationStart.set(key, { revision, at: Date.now() });
  }

  /** The digest of the manifests the Application last synced successfully. */
  syncedManifests(key: string): string | undefined {
    return this.syncedDigests.get(key);
  }

  /** The Application is gone. */
  forget(key: string): void {
    this.operationStart.delete(key);
    this.syncedDigests.delete(key);
  }

  /** When the operation started: precise when this controller started it, else from `startedAt`. */
  operationStartedAt(key: string, operation: OperationState): number {
    const own = this.operationStart.get(key);
    if (own?.revision === operation.operation.sync.revision) return own.at;
    return parseTimestamp(operation.startedAt) ?? Date.now();
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
      this.options.schedule(key, this.retryBackoff(operation.operation.retry, count + 1));
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

  /**
   * Moves a Running operation on (argo-cd controller/appcontroller.go processRequestedAppOperation):
   * between two attempts of a failed sync it waits for the next; at the target revision it fails as
   * the instance's failApply or syncError control says once the instance's delay is over, or runs
   * the sync.
   */
  async progress(
    args: SyncArgs & { key: string; controls: SimulatorControls | undefined; delay: number },
  ): Promise<void> {
    const { key, app, state, target, comparedTo, controls, delay } = args;
    const operation = state.operationState;
    if (operation?.phase === 'Running' && operation.finishedAt !== undefined) {
      // Between two attempts of a failed sync with a retry policy (argo-cd appcontroller.go
      // processRequestedAppOperation): the next one starts at NextRetryAt(finishedAt, retryCount).
      const due =
        (parseTimestamp(operation.finishedAt) ?? Date.now()) +
        this.retryBackoff(operation.operation.retry, operation.retryCount ?? 0);
      if (Date.now() < due) this.options.schedule(key, due - Date.now());
      else {
        state.operationState = {
          ...operation,
          message: `Retrying operation. Attempt #${operation.retryCount ?? 0}`,
        };
        delete state.operationState.finishedAt;
        delete state.operationState.syncResult;
        this.started(key, operation.operation.sync.revision);
        this.options.schedule(key, 0);
      }
    } else if (operation?.phase === 'Running' && operation.operation.sync.revision === target.revision) {
      const due = this.operationStartedAt(key, operation) + delay;
      if (controls?.failApply) {
        if (Date.now() < due) {
          this.options.schedule(key, due - Date.now());
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
        if (Date.now() < due) this.options.schedule(key, due - Date.now());
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
        await this.run(args);
      }
    }
  }

  /** One attempt of the sync: the project check, the applies and the prune. */
  private async run(args: SyncArgs): Promise<void> {
    const { app, project, spec, state, target, desired, comparedTo, tracked } = args;
    const operation = state.operationState!;
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
        const { group, version } = parseApiVersion(object.apiVersion);
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
    this.syncedDigests.set(keyOf(refOf(app)), manifestsDigest(desired));
    this.log.info(
      { application: app.metadata.name, revision: target.revision, objects: desired.length },
      'sync succeeded',
    );
  }
}
