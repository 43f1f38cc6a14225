/**
 * Asks Argo CD for a new sync of an environment's folder Application (`envcat-<repo>-<env>`) whose
 * last sync failed for good while the environment waits on it: Argo CD does not sync that revision
 * again by itself, and a refresh does not help. The decision is core's (status/folder-sync.ts);
 * this keeps envcat's asks per Application (for the backoff between them, in memory: a restart
 * asks at once) and sends the request, as `argocd app sync` does, with a compare-and-swap on the
 * Application it checked. Only the leader asks: ArgoRefresher.ifStillWaiting, which calls it, runs
 * in its passes only; any replica may read the state for a status.
 */
import type { Logger } from 'pino';
import {
  ConflictError,
  FOLDER_RESYNC_BACKOFF,
  NotFoundError,
  describeError,
  folderSync,
  newSyncOperation,
  type FolderResyncAsks,
  type FolderSync,
} from '../core/index.js';
import type { ClusterClient, KubeObject, ObjectRef } from '../cluster/types.js';
import type { RepoName } from '../gitops/types.js';
import { backoffDelay, type Backoff, type Requeue } from '../shared/index.js';
import { Coalescer } from '../shared/index.js';

/** How a request for a new sync went (metrics). */
export interface SyncRequestOutcome {
  result: 'sent' | 'not_found' | 'conflict' | 'failed';
}

export interface FolderResyncOptions {
  cluster: Pick<ClusterClient, 'get' | 'mergePatch'>;
  /** Argo CD's namespace. */
  namespace: string;
  /** The Application the bootstrap ApplicationSet generates for an environment's folder of a repo. */
  parentApplication: (repo: RepoName, environment: string) => string;
  /** An Application (in Argo CD's namespace) as the engine's cache has it. */
  application: (name: string) => KubeObject | undefined;
  /**
   * The head of a repo as the engine knows it ('' when not known). A failed sync of it holds every
   * commit the engine made or read; one of an older revision does not need envcat: Argo CD syncs
   * the newer revision by itself once it reads Git (the refresher asks it to).
   */
  head: (repo: RepoName) => string;
  now: () => number;
  queue: Requeue;
  logger: Logger;
  /** Between two asks for one Application (default FOLDER_RESYNC_BACKOFF). */
  backoff?: Backoff;
  onRequested?: (outcome: SyncRequestOutcome) => void;
}

export class FolderResync {
  /** envcat's asks since each folder Application last synced, by Application name. */
  private readonly asks = new Map<string, FolderResyncAsks>();
  private readonly requests = new Coalescer();

  constructor(private readonly options: FolderResyncOptions) {}

  /** What the environment's folder Application of `repo` says, as the cache has it; nothing is sent. */
  state(environment: string, repo: RepoName): FolderSync {
    const name = this.options.parentApplication(repo, environment);
    const decision = this.decide(environment, repo, this.options.application(name), this.asks.get(name));
    // Synced since: a later failure is a new one, asked for at once.
    if (decision.kind === 'none' && decision.synced) this.asks.delete(name);
    return decision;
  }

  /**
   * The environment waits on its folder of `repo`: asks for a new sync when it is due, and looks
   * again when the next would be. Answers the state after asking.
   */
  whileWaiting(environment: string, repo: RepoName): FolderSync {
    const { now, queue } = this.options;
    const name = this.options.parentApplication(repo, environment);
    const decision = this.state(environment, repo);
    if (decision.kind !== 'failed') return decision;
    if (!decision.due) {
      queue.addAfter(environment, decision.nextAt - now());
      return decision;
    }
    const previous = this.asks.get(name);
    // Counted before it is sent: a pass meanwhile does not ask again.
    this.asks.set(name, { count: decision.attempt, lastAt: now(), failure: decision.failure });
    this.requests.run(name, () =>
      this.send({ environment, repo, name, previous, attempt: decision.attempt }),
    );
    queue.addAfter(environment, this.delayAfter(decision.attempt));
    return this.state(environment, repo);
  }

  /** Forget an environment (deleted). */
  forget(environment: string): void {
    for (const repo of ['platform', 'apps'] as const)
      this.asks.delete(this.options.parentApplication(repo, environment));
  }

  async idle(): Promise<void> {
    await this.requests.idle();
  }

  async stop(): Promise<void> {
    await this.requests.stop();
  }

  private delayAfter(asks: number): number {
    return backoffDelay(this.options.backoff ?? FOLDER_RESYNC_BACKOFF, asks);
  }

  private decide(
    environment: string,
    repo: RepoName,
    application: KubeObject | undefined,
    asks: FolderResyncAsks | undefined,
  ): FolderSync {
    const head = this.options.head(repo);
    return folderSync({
      environment,
      repo,
      application,
      holds: (revision) => head !== '' && revision === head,
      asks,
      now: this.options.now(),
      delayAfter: (n) => this.delayAfter(n),
    });
  }

  private async send(args: {
    environment: string;
    repo: RepoName;
    name: string;
    previous: FolderResyncAsks | undefined;
    attempt: number;
  }): Promise<void> {
    const { cluster, logger, onRequested } = this.options;
    const { environment, repo, name } = args;
    const ref: ObjectRef = {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Application',
      name,
      namespace: this.options.namespace,
    };
    // Not sent after all: the next pass decides again, as if it had not been asked.
    const withdraw = () => {
      if (this.asks.get(name)?.count !== args.attempt) return;
      if (args.previous) this.asks.set(name, args.previous);
      else this.asks.delete(name);
    };
    try {
      // The live Application decides again: the cache may be behind (an operation started meanwhile).
      const live = await cluster.get(ref);
      const decision = this.decide(environment, repo, live, args.previous);
      if (!live || decision.kind !== 'failed') {
        withdraw();
        return;
      }
      await cluster.mergePatch(ref, {
        // A compare-and-swap on what was checked: Argo CD may start an operation in between.
        ...(live.metadata.resourceVersion
          ? { metadata: { resourceVersion: live.metadata.resourceVersion } }
          : {}),
        ...newSyncOperation(live.spec),
      });
      onRequested?.({ result: 'sent' });
      logger.info(
        { environment, repo, application: name, attempt: args.attempt, failure: decision.failure },
        'asked Argo CD for a new sync of the folder',
      );
    } catch (error) {
      withdraw();
      const result =
        error instanceof NotFoundError ? 'not_found' : error instanceof ConflictError ? 'conflict' : 'failed';
      onRequested?.({ result });
      // A conflict or a refused request is asked again on a later pass, if the sync is still failed.
      logger.warn(
        { environment, repo, application: name, err: describeError(error) },
        'request for a new sync of the folder failed',
      );
    }
  }
}
