/**
 * What the engine watches: envcat's Workspaces, its Applications (in Argo CD's namespace) and its
 * Secrets, by the managed-by label, each cached with only what the engine reads
 * (cache-transform.ts; Secrets by key name, never a value: secretForCache).
 */
import type { Logger } from 'pino';
import { LABEL, WORKSPACE_API, describeError, managedSelector, type RenderOptions } from '../core/index.js';
import type { ClusterClient, Informer, KubeObject } from '../cluster/types.js';
import { applicationForCache, workspaceForCache } from './cache-transform.js';
import { secretForCache } from './secrets.js';

/**
 * Kinds whose events ask for a low-priority pass (work-queue.ts): Applications change a dozen
 * times on the way to Healthy, and a Secret either carries the outputs its Workspace's status
 * update follows at once or is one the engine wrote itself. The event that follows takes their
 * pass along; on its own, such a pass waits 250 ms at most while other environments' run.
 */
export const LOW_PRIORITY_KINDS: ReadonlySet<string> = new Set(['Application', 'AppProject', 'Secret']);

export interface Watches {
  workspaces: Informer;
  applications: Informer;
  secrets: Informer;
}

/** Creates the informers (not started) and reports their changes after the initial list to `onEvent`. */
export function watchEnvcatObjects(args: {
  cluster: Pick<ClusterClient, 'informer'>;
  render: RenderOptions;
  logger: Logger;
  onEvent: (source: keyof Watches, object: KubeObject) => void;
}): Watches {
  const { cluster, render } = args;
  const labelSelector = managedSelector();
  const watches: Watches = {
    workspaces: cluster.informer(
      { apiVersion: WORKSPACE_API[render.workspaceApi], kind: 'Workspace' },
      { labelSelector, transform: workspaceForCache, onlyChanges: true, indexLabel: LABEL.environment },
    ),
    applications: cluster.informer(
      { apiVersion: 'argoproj.io/v1alpha1', kind: 'Application' },
      {
        namespace: render.argocd.namespace,
        labelSelector,
        transform: applicationForCache,
        onlyChanges: true,
        indexLabel: LABEL.environment,
      },
    ),
    // every update: the cache keeps key names only, and a new value is read from the API server
    secrets: cluster.informer(
      { apiVersion: 'v1', kind: 'Secret' },
      { labelSelector, transform: secretForCache, indexLabel: LABEL.environment },
    ),
  };
  for (const source of ['workspaces', 'applications', 'secrets'] as const) {
    const informer = watches[source];
    for (const event of ['ADDED', 'MODIFIED', 'DELETED'] as const)
      informer.on(event, (object) => args.onEvent(source, object));
    informer.on('error', (error) =>
      args.logger.warn({ err: describeError(error) }, 'watch failed; restarting'),
    );
  }
  return watches;
}
