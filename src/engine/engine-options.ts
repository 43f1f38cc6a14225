/** What the Engine (engine.ts) is given, and the events it emits. */
import type { Logger } from 'pino';
import type { ClusterClient } from '../cluster/types.js';
import type { Catalog, RenderOptions } from '../core/index.js';
import type { GitOpsRepo, RepoName } from '../gitops/types.js';
import type { Clock } from '../shared/index.js';
import type { BoundaryHook } from './boundaries.js';
import type { CommittedEvent } from './committer.js';
import type { RefreshOutcome } from './refresh.js';
import type { SyncRequestOutcome } from './folder-resync.js';
import type { EnvironmentStatusView } from './status-board.js';

/**
 * Reconcile passes at once. A pass that commits holds its worker until the group commit it joined
 * is published, so with 64 the 100 databases of the engine bench turning Available at once filled
 * every worker with commits under way, and the rest waited ~190 ms for one to free up.
 */
export const DEFAULT_RECONCILE_WORKERS = 256;

export interface CatalogSource {
  /** The catalog now, and a number that changes whenever it does. */
  current(): { catalog: Catalog; version: number };
  /**
   * Reads the catalog again when the platform repo's head (just fetched) changed it: another
   * replica published an entry or changed a version's state. True when it did.
   */
  refresh?(head: string): Promise<boolean>;
}

export interface EngineOptions {
  catalog: CatalogSource;
  platform: GitOpsRepo;
  apps: GitOpsRepo;
  cluster: ClusterClient;
  render: RenderOptions;
  logger: Logger;
  /** This replica's name, for the leader Lease. */
  identity: string;
  /** Namespace of the leader Lease. */
  namespace?: string;
  /** How often both repos are fetched for changes made outside the engine. */
  gitPollMs?: number;
  /** How often every environment is reconciled even without a trigger. */
  resyncMs?: number;
  /** Reconcile passes at once (default DEFAULT_RECONCILE_WORKERS). */
  concurrency?: number;
  leaseDurationMs?: number;
  /** Name of the Argo CD Application the bootstrap ApplicationSet generates for an environment's directory. */
  parentApplication?: (repo: RepoName, environment: string) => string;
  /** Names of the bootstrap ApplicationSets (gitops/bootstrap) that watch each repo. */
  applicationSets?: Record<RepoName, string>;
  now?: () => number;
  /** The timers of the work queue (re-checks, retries); default the system's. Tests pass a fake one. */
  clock?: Clock;
  /** How long a transient controller error (ComparisonError, a Workspace connect error) may last. Default 60 s. */
  errorGraceMs?: number;
  /**
   * How long a committed step waits for Argo CD before Argo CD is asked to refresh again (the first
   * request may have been lost). Default REFRESH_AGAIN_MS, 10 s.
   */
  refreshAgainMs?: number;
  /** Told as each step boundary is passed (src/engine/boundaries.ts; the kill -9 tests' hook). */
  atBoundary?: BoundaryHook;
}

export interface EngineEvents {
  status: [name: string, status: EnvironmentStatusView];
  deleted: [name: string];
  committed: [event: CommittedEvent];
  /** A reconcile pass ended (an error is retried with backoff). */
  reconciled: [name: string, result: 'success' | 'error'];
  /** A request to Argo CD to look at Git now (refresh.ts) was answered. */
  refreshRequested: [outcome: RefreshOutcome];
  /** A request to Argo CD for a new sync of an environment's folder whose sync failed for good (folder-resync.ts) was answered. */
  syncRequested: [outcome: SyncRequestOutcome];
}
