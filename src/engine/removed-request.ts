/**
 * The request of an environment whose `environment.yaml` someone removed from Git by hand: read
 * from the commit that removed it, so that its deletion still knows the plan and destroys the
 * infrastructure in the reverse of its waves, as a delete through the API does. When that commit
 * took the infrastructure files with it (the whole `environments/<env>/` folder in one commit),
 * Argo CD prunes the Workspaces at once, and the order could no longer be kept: `removedWithInfra`
 * says so, naming the commit.
 */
import { environmentFile, partDir } from '../core/index.js';
import type { GitOpsRepo } from '../gitops/types.js';
import type { DesiredEnvironment } from './desired-state.js';

export interface RemovedRequest {
  /** The request as it was before the commit that removed it. */
  desired: DesiredEnvironment;
  /** That commit's sha. */
  commit: string;
  /** The same commit also removed (or changed) the environment's infrastructure files. */
  removedWithInfra: boolean;
}

export interface RemovedRequestsOptions {
  platform: Pick<GitOpsRepo, 'log' | 'readFileBefore'>;
  parse: (name: string, source: string) => DesiredEnvironment;
}

export class RemovedRequests {
  /** Looked up once per deletion: the commit that removed a file does not change. */
  private readonly found = new Map<string, Promise<RemovedRequest | undefined>>();

  constructor(private readonly options: RemovedRequestsOptions) {}

  /** The environment's last request before it was removed from Git, if Git ever held one. */
  of(name: string): Promise<RemovedRequest | undefined> {
    let lookup = this.found.get(name);
    if (!lookup) {
      lookup = this.lookUp(name);
      this.found.set(name, lookup);
      // A failed lookup (Git unavailable) is asked again on the next pass, not remembered.
      lookup.catch(() => this.found.delete(name));
    }
    return lookup;
  }

  /** The environment is gone, or its request is back in Git. */
  forget(name: string): void {
    this.found.delete(name);
  }

  private async lookUp(name: string): Promise<RemovedRequest | undefined> {
    const { platform, parse } = this.options;
    const file = environmentFile(name);
    const [removal] = await platform.log(file, { limit: 1 });
    if (!removal) return undefined;
    const source = await platform.readFileBefore(removal.sha, file);
    if (source === undefined) return undefined;
    const [lastInfraChange] = await platform.log(partDir(name, 'infra'), { limit: 1 });
    return {
      desired: parse(name, source),
      commit: removal.sha,
      removedWithInfra: lastInfraChange?.sha === removal.sha,
    };
  }
}
