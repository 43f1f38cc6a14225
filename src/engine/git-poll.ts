/**
 * How the engine learns what changed in Git, as the watches (watches.ts) are how it learns what
 * changed in the cluster: both repos are fetched, and each environment whose files changed is
 * woken. A commit someone else made (a person, another tool) is shown to Argo CD at once, as the
 * engine's own commits are, instead of at its next poll minutes later; and a catalog another
 * replica changed wakes every environment.
 */
import type { Logger } from 'pino';
import { describeError } from '../core/index.js';
import type { CatalogSource } from './engine-options.js';
import type { ArgoRefresher } from './refresh.js';
import type { RepoView } from './repo-view.js';

export interface GitPollOptions {
  view: Pick<RepoView, 'refresh' | 'head' | 'environments'>;
  catalog: CatalogSource;
  /** Only the leader asks Argo CD to refresh. */
  isLeader: () => boolean;
  refresher: Pick<ArgoRefresher, 'request'>;
  /** An environment to derive the status of again and reconcile. */
  changed: (name: string) => void;
  logger: Logger;
}

export class GitPoll {
  private polling = false;

  constructor(private readonly options: GitPollOptions) {}

  /** Fetches both repos and wakes what changed; a poll while one is under way does nothing. A failure is logged. */
  async poll(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    const { view, catalog, isLeader, refresher, changed: wake } = this.options;
    try {
      const changed = new Set<string>();
      for (const repo of ['platform', 'apps'] as const) {
        for (const name of await view.refresh(repo)) {
          changed.add(name);
          if (isLeader()) refresher.request(name, repo);
        }
      }
      // Environments that were Invalid for want of an entry may be valid now, and the others
      // show which of their versions are deprecated or yanked.
      if (await catalog.refresh?.(view.head('platform')))
        for (const name of view.environments()) changed.add(name);
      for (const name of changed) wake(name);
    } catch (error) {
      this.options.logger.warn({ err: describeError(error) }, 'git poll failed');
    } finally {
      this.polling = false;
    }
  }
}
