/**
 * Asks Argo CD to look at Git now (the decisions are core's: status/refresh.ts). Argo CD polls
 * Git every 3 minutes; instead, the engine does what Argo CD's Git webhook does: the
 * bootstrap ApplicationSet regenerates now (a new or removed environment directory), and the
 * environment's Applications re-read Git now. The requests go out beside the reconcile, which
 * does not wait for them; and while a committed step waits for Argo CD, it is asked again, and the
 * environment's folder Application is synced again if its last sync failed for good (folder-resync.ts).
 */
import type { Logger } from 'pino';
import {
  ARGOCD_ANNOTATION,
  NotFoundError,
  REFRESH_AGAIN_MS,
  refreshAgainDue,
  refreshTargets,
  waitsForArgo,
  type FolderSync,
  type RefreshTarget,
  type StepObservation,
  describeError,
} from '../core/index.js';
import type { ClusterClient, KubeObject, ObjectRef } from '../cluster/types.js';
import { KindNotServedError } from '../cluster/errors.js';
import type { RepoName } from '../gitops/types.js';
import { Coalescer } from '../shared/index.js';
import { FolderResync, type SyncRequestOutcome } from './folder-resync.js';
import type { Requeue } from '../shared/index.js';

export const DEFAULT_APPLICATION_SETS: Record<RepoName, string> = {
  platform: 'envcat-platform',
  apps: 'envcat-apps',
};

export function defaultParentApplication(repo: RepoName, environment: string): string {
  return `envcat-${repo}-${environment}`;
}

export interface ArgoRefresherOptions {
  cluster: Pick<ClusterClient, 'mergePatch' | 'get'>;
  /** Argo CD's namespace, where its ApplicationSets and Applications are. */
  namespace: string;
  /** Names of the bootstrap ApplicationSets (gitops/bootstrap) that watch each repo. */
  applicationSets?: Record<RepoName, string>;
  /** Name of the Argo CD Application the bootstrap ApplicationSet generates for an environment's directory. */
  parentApplication?: (repo: RepoName, environment: string) => string;
  /** An environment's Applications as the engine's cache has them (the cache's index). */
  applications: (environment: string) => readonly KubeObject[];
  /** One Application (in `namespace`) as the cache has it. */
  application: (name: string) => KubeObject | undefined;
  /**
   * The head of each repo as the engine knows it: a folder Application whose last sync failed for
   * good at it is asked to sync again (folder-resync.ts). Without it, none is.
   */
  head?: (repo: RepoName) => string;
  now: () => number;
  queue: Requeue;
  logger: Logger;
  /** Told how each request went (metrics). */
  onRequested?: (outcome: RefreshOutcome) => void;
  /** Told how each request for a new sync of a folder went (metrics). */
  onSyncRequested?: (outcome: SyncRequestOutcome) => void;
  /** How often, and how many times at most, an ApplicationSet is read while its last refresh is under way. */
  consumedPoll?: { intervalMs: number; attempts: number };
  /** How long a committed step waits for Argo CD before it is asked again (default REFRESH_AGAIN_MS). */
  againAfterMs?: number;
}

/** ~5 s: the ApplicationSet controller ends a refresh in well under that, unless it is not running. */
const CONSUMED_POLL = { intervalMs: 100, attempts: 50 };

/** How a refresh request went: sent, its object not there (yet), or failed. */
export interface RefreshOutcome {
  kind: RefreshTarget['kind'];
  result: 'sent' | 'not_found' | 'failed';
}

export class ArgoRefresher {
  /** When a refresh was last asked for, by repo and environment. */
  private readonly refreshedAt = new Map<string, number>();
  /** Since when a committed step has waited to show up in the cluster at our revision, by repo and environment. */
  private readonly waitingSince = new Map<string, number>();
  /** Refresh requests, one under way per object (see refreshTarget). */
  private readonly refreshes = new Coalescer();
  /** The last `refresh-timestamp` sent (to any Application). */
  private lastTimestamp = 0;
  private readonly resync: FolderResync;
  /** How long a wait for Argo CD lasts before it is asked again (deletion.ts's waits look again then). */
  readonly againAfterMs: number;

  constructor(private readonly options: ArgoRefresherOptions) {
    this.againAfterMs = options.againAfterMs ?? REFRESH_AGAIN_MS;
    this.resync = new FolderResync({
      cluster: options.cluster,
      namespace: options.namespace,
      parentApplication: options.parentApplication ?? defaultParentApplication,
      application: options.application,
      head: options.head ?? (() => ''),
      now: options.now,
      queue: options.queue,
      logger: options.logger,
      ...(options.onSyncRequested ? { onRequested: options.onSyncRequested } : {}),
    });
  }

  /**
   * After a commit to `repo` for the environment (or when someone asks): the repo's ApplicationSet and
   * the environment's Applications look at Git now. Answers the objects asked.
   */
  request(environment: string, repo: RepoName): RefreshTarget[] {
    const { options } = this;
    this.refreshedAt.set(`${repo}/${environment}`, options.now());
    const targets = refreshTargets({
      repo,
      environment,
      applicationSet: (options.applicationSets ?? DEFAULT_APPLICATION_SETS)[repo],
      parentApplication: (options.parentApplication ?? defaultParentApplication)(repo, environment),
      applications: repo === 'apps' ? options.applications(environment) : [],
    });
    for (const target of targets) this.refreshTarget(environment, target);
    return targets;
  }

  /**
   * Apps wait until the environment's AppProject is in the cluster as rendered (project-gate.ts).
   * Meanwhile Argo CD is asked to sync the platform folder (the request may have been committed by
   * the API, which asks for no refresh), again every `againAfterMs`, and to sync it anew if its
   * last sync failed for good; the platform Application's status changes trigger the next pass.
   */
  whileProjectMissing(environment: string): void {
    if (this.options.now() - (this.refreshedAt.get(`platform/${environment}`) ?? 0) >= this.againAfterMs)
      this.request(environment, 'platform');
    this.resync.whileWaiting(environment, 'platform');
    this.options.queue.addAfter(environment, this.againAfterMs);
  }

  /**
   * A step counts as stuck once it has been absent from the cluster (or at an older revision) for
   * `againAfterMs`, and no refresh was asked for meanwhile. Right after a restart most Applications
   * are "at an older revision" only until the Git lookup of our last commit returns: no refresh for them.
   */
  againIfStuck(environment: string, observed: readonly StepObservation[]): void {
    for (const repo of ['platform', 'apps'] as const) {
      if (!waitsForArgo(observed, repo === 'platform' ? 'infra' : 'apps')) {
        this.waitingSince.delete(`${repo}/${environment}`);
        continue;
      }
      this.ifStillWaiting(environment, repo);
      this.options.queue.addAfter(environment, this.againAfterMs);
    }
  }

  /**
   * While a commit (or a removal, in a deletion) waits for Argo CD, ask it to look again once the
   * wait has lasted `againAfterMs` with no refresh asked meanwhile: the first request may have
   * been lost (refused by a busy API server, or set while another was pending), and Argo CD's own
   * poll is minutes away. A refresh does not make Argo CD sync again a revision whose sync failed
   * for good: then the folder Application gets a new sync (folder-resync.ts). Answers what the
   * folder Application says, for the status.
   */
  ifStillWaiting(environment: string, repo: RepoName): FolderSync {
    const key = `${repo}/${environment}`;
    const now = this.options.now();
    const since = this.waitingSince.get(key) ?? now;
    this.waitingSince.set(key, since);
    if (
      refreshAgainDue({
        now,
        waitingSince: since,
        askedAt: this.refreshedAt.get(key),
        afterMs: this.againAfterMs,
      })
    ) {
      this.options.logger.info({ environment, repo }, 'asking Argo CD to refresh again');
      this.request(environment, repo);
    }
    return this.resync.whileWaiting(environment, repo);
  }

  /** What the environment's folder Application of `repo` says of its last sync (any replica; nothing is sent). */
  folderSync(environment: string, repo: RepoName): FolderSync {
    return this.resync.state(environment, repo);
  }

  /** Forget an environment (deleted). */
  forget(environment: string): void {
    for (const repo of ['platform', 'apps']) {
      this.refreshedAt.delete(`${repo}/${environment}`);
      this.waitingSince.delete(`${repo}/${environment}`);
    }
    this.resync.forget(environment);
  }

  /** Resolves when no request is under way. */
  async idle(): Promise<void> {
    await this.refreshes.idle();
    await this.resync.idle();
  }

  /** Lets the requests under way finish, without asking again. */
  async stop(): Promise<void> {
    await this.refreshes.stop();
    await this.resync.stop();
  }

  /**
   * One refresh request per object at a time: asked again while one is under way, it is sent once
   * more after it (the commit that asked may have landed after the first was sent). A burst of
   * 100 environments committed within a second is then a few patches of the ApplicationSet, not
   * 100, and no reconcile worker waits on the API for them.
   */
  private refreshTarget(environment: string, target: RefreshTarget): void {
    this.refreshes.run(`${target.kind}/${target.name}`, () => this.send(environment, target));
  }

  /**
   * The ApplicationSet controller removes its refresh annotation when the refresh it started ends,
   * whatever was set meanwhile (argo-cd applicationset/controllers/applicationset_controller.go,
   * Reconcile: `delete(…AnnotationApplicationSetRefresh)` then `Update`). A request set while it is
   * still there changes nothing and is removed with it, and the commit it was for waits for the
   * next poll (100 environments committed at once lost a third of theirs that way). So a request
   * waits until the one before it was taken; if it is never taken (no controller), it goes anyway.
   */
  private async untilConsumed(ref: ObjectRef, annotation: string): Promise<void> {
    const { intervalMs, attempts } = this.options.consumedPoll ?? CONSUMED_POLL;
    for (let attempt = 1; attempt < attempts; attempt++) {
      const live = await this.options.cluster.get(ref);
      if (live?.metadata.annotations?.[annotation] === undefined) return;
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  }

  /**
   * Argo CD removes a consumed request only if `refresh-timestamp` still holds the value it read
   * (simulator/CONTROLLERS.md, "a refresh request is consumed"): a request that repeated the last
   * value (two commits in one millisecond, or a clock that stands still) would be removed with the
   * one already handled, and lost. So each one is later than the last, by a millisecond if need be.
   */
  private nextTimestamp(): string {
    this.lastTimestamp = Math.max(this.options.now(), this.lastTimestamp + 1);
    return new Date(this.lastTimestamp).toISOString();
  }

  private async send(environment: string, target: RefreshTarget): Promise<void> {
    const ref = {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: target.kind,
      name: target.name,
      namespace: this.options.namespace,
    };
    try {
      if (target.kind === 'ApplicationSet') await this.untilConsumed(ref, target.annotation);
      const annotations: Record<string, string> = { [target.annotation]: target.value };
      if (target.annotation === ARGOCD_ANNOTATION.refresh)
        annotations[ARGOCD_ANNOTATION.refreshTimestamp] = this.nextTimestamp();
      await this.options.cluster.mergePatch(ref, { metadata: { annotations } });
      this.options.onRequested?.({ kind: target.kind, result: 'sent' });
    } catch (error) {
      // Not there (yet): the ApplicationSet creates it from the commit, and it reads Git when it starts.
      if (error instanceof NotFoundError && !(error instanceof KindNotServedError)) {
        this.options.onRequested?.({ kind: target.kind, result: 'not_found' });
        return;
      }
      this.options.onRequested?.({ kind: target.kind, result: 'failed' });
      // Argo CD still finds the commit on its next poll; a failed refresh only costs time.
      this.options.logger.warn(
        { environment, kind: target.kind, name: target.name, err: describeError(error) },
        'refresh request failed',
      );
    }
  }
}
