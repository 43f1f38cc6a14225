/**
 * Asks the controllers to try a failed step again after `envcat env retry`, once per
 * retry and object: the object is marked with the retry it was asked for (`envcat.io/retried-at`),
 * so a restart asks only what was not asked yet. The decision is core's (retryNudge); this is the
 * I/O: a Workspace gets the mark (an annotation change makes provider-terraform reconcile now), an
 * Application the mark and a refresh, and a new sync operation when its last one failed.
 */
import type { Logger } from 'pino';
import {
  ARGOCD_ANNOTATION,
  NotFoundError,
  RETRIED_AT_ANNOTATION,
  RETRY_AT_ANNOTATION,
  newSyncOperation,
  retryNudge,
  type Part,
  type ResolvedEnvironment,
  type StepObservation,
  type StepState,
} from '../core/index.js';
import type { ClusterClient, KubeObject, ObjectRef } from '../cluster/types.js';
import { Coalescer } from '../shared/index.js';

export class RetryNudger {
  private readonly running = new Coalescer();

  constructor(
    private readonly options: {
      cluster: Pick<ClusterClient, 'get' | 'mergePatch'>;
      /** The apiVersion of the Workspaces envcat renders. */
      workspaceApiVersion: string;
      logger: Logger;
    },
  ) {}

  /** A committed step of the environment, as observed; `cached` is its Workspace or Application in the engine's cache. */
  nudgeStep(env: ResolvedEnvironment, observed: StepObservation, cached: KubeObject | undefined): void {
    const { step, state } = observed;
    const apps = step.part === 'apps';
    this.nudge({
      environment: env.name,
      annotations: env.annotations,
      part: step.part,
      ref: {
        apiVersion: apps ? 'argoproj.io/v1alpha1' : this.options.workspaceApiVersion,
        kind: apps ? 'Application' : 'Workspace',
        name: cached?.metadata.name ?? '',
        ...(cached?.metadata.namespace ? { namespace: cached.metadata.namespace } : {}),
      },
      cached,
      state,
    });
  }

  /** Asks in the background (one request per object at a time); the reconcile does not wait. */
  nudge(args: {
    environment: string;
    annotations: Record<string, string>;
    part: Part;
    ref: ObjectRef;
    /** The object as the engine's cache has it (its annotations: the mark), undefined when absent. */
    cached: KubeObject | undefined;
    state: StepState;
  }): void {
    const retryAt = args.annotations[RETRY_AT_ANNOTATION];
    const first = retryNudge({
      part: args.part,
      retryAt,
      retried: args.cached?.metadata.annotations?.[RETRIED_AT_ANNOTATION],
      exists: args.cached !== undefined,
      state: args.state,
    });
    if (first.kind === 'none' || retryAt === undefined) return;
    const key = `${args.ref.kind}/${args.ref.namespace ?? ''}/${args.ref.name}`;
    this.running.run(key, () => this.ask({ ...args, retryAt }));
  }

  async idle(): Promise<void> {
    await this.running.idle();
  }

  async stop(): Promise<void> {
    await this.running.stop();
  }

  private async ask(args: {
    environment: string;
    part: Part;
    ref: ObjectRef;
    state: StepState;
    retryAt: string;
  }): Promise<void> {
    const { cluster, logger } = this.options;
    try {
      // The live object: whether an operation is under way, and what to sync.
      const live = await cluster.get(args.ref);
      const operation = (live as { operation?: unknown } | undefined)?.operation;
      const nudge = retryNudge({
        part: args.part,
        retryAt: args.retryAt,
        retried: live?.metadata.annotations?.[RETRIED_AT_ANNOTATION],
        exists: live !== undefined,
        state: args.state,
        operationInProgress: operation !== undefined && operation !== null,
      });
      if (nudge.kind === 'none' || !live) return;
      const annotations: Record<string, string> = { [RETRIED_AT_ANNOTATION]: args.retryAt };
      if (args.part === 'apps') {
        annotations[ARGOCD_ANNOTATION.refresh] = 'normal';
        annotations[ARGOCD_ANNOTATION.refreshTimestamp] = args.retryAt;
      }
      const patch: Record<string, unknown> = { metadata: { annotations } };
      if (nudge.kind === 'sync') Object.assign(patch, newSyncOperation(live.spec));
      await cluster.mergePatch(args.ref, patch);
      logger.info(
        { environment: args.environment, kind: args.ref.kind, name: args.ref.name, nudge: nudge.kind },
        'asked the controller to retry',
      );
    } catch (error) {
      if (error instanceof NotFoundError) return;
      // Asked again on the next pass: the mark is not there.
      logger.warn(
        { environment: args.environment, name: args.ref.name, err: { message: (error as Error).message } },
        'retry request failed',
      );
    }
  }
}
