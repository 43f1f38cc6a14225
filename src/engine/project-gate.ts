/**
 * Apps wait for the environment's Argo CD project: an Application committed before the platform
 * Application has synced the AppProject in namespace.yaml (a new environment, or an entry with a
 * new chart repo or cluster-scoped kind) would be refused by Argo CD with InvalidSpecError
 * (argo-cd util/argo/argo.go ValidatePermissions: "application repo ... is not permitted in
 * project", or a project that does not exist), and only looked at again on its next resync.
 *
 * The gate reads envcat's AppProjects from an informer (list + watch in Argo CD's namespace, by the
 * managed-by label): deciding costs no API call, so 100 databases turning Available at once do not
 * send 100 GETs to the API server while their apps wait, and the AppProject's own watch event (it
 * carries the environment label) wakes the environment. Until that informer has synced (an older
 * RBAC without list/watch on appprojects keeps it retrying), each decision falls back to a GET.
 */
import type { Logger } from 'pino';
import type { ClusterClient, Informer, KubeObject } from '../cluster/types.js';
import {
  appProjectInPlace,
  describeError,
  EnvcatError,
  managedSelector,
  projectPerEnvironment,
  renderAppProject,
  type RenderOptions,
  type ResolvedEnvironment,
} from '../core/index.js';

export const APP_PROJECT_TYPE = { apiVersion: 'argoproj.io/v1alpha1', kind: 'AppProject' } as const;

/** What the gate keeps of an AppProject: identity, labels and the spec it compares (appProjectInPlace). */
export function appProjectForCache(project: KubeObject): KubeObject {
  const { name, namespace, uid, resourceVersion, labels } = project.metadata;
  return {
    apiVersion: project.apiVersion,
    kind: project.kind,
    metadata: { name, namespace, uid, resourceVersion, labels },
    ...(project.spec === undefined ? {} : { spec: project.spec }),
  };
}

export class ProjectGate {
  private readonly informer: Informer | undefined;
  private synced = false;

  constructor(
    private readonly options: {
      cluster: Pick<ClusterClient, 'get' | 'informer'>;
      render: RenderOptions;
      logger: Logger;
    },
  ) {
    // A shared project is created by someone else: nothing to wait for, nothing to watch.
    this.informer = projectPerEnvironment(options.render)
      ? options.cluster.informer(APP_PROJECT_TYPE, {
          namespace: options.render.argocd.namespace,
          labelSelector: managedSelector(),
          transform: appProjectForCache,
        })
      : undefined;
  }

  /** Reports AppProject changes (after the initial list) to `onChange`. */
  onChange(handler: (project: KubeObject) => void): void {
    for (const event of ['ADDED', 'MODIFIED', 'DELETED'] as const) this.informer?.on(event, handler);
    this.informer?.on('error', (error) =>
      this.options.logger.warn({ err: describeError(error) }, 'AppProject watch failed; restarting'),
    );
  }

  /**
   * Starts the informer without waiting for it: an engine whose RBAC cannot list AppProjects
   * still starts, and asks with a GET per decision instead.
   */
  start(): void {
    this.informer?.start().then(
      () => {
        this.synced = true;
      },
      (error: unknown) =>
        this.options.logger.warn(
          { err: describeError(error) },
          'cannot watch AppProjects; the apps gate reads each one when it decides',
        ),
    );
  }

  stop(): void {
    this.informer?.stop();
    this.synced = false;
  }

  /** Whether the environment's AppProject is in the cluster as rendered (true for a shared project). */
  async ready(env: ResolvedEnvironment, logger: Logger): Promise<boolean> {
    const rendered = renderAppProject(env, this.options.render);
    if (!rendered) return true;
    const metadata = rendered.metadata as { name: string; namespace: string };
    if (this.informer && this.synced)
      return appProjectInPlace(this.informer.get(metadata.name, metadata.namespace), rendered);
    try {
      const live = await this.options.cluster.get({ ...APP_PROJECT_TYPE, ...metadata });
      return appProjectInPlace(live, rendered);
    } catch (error) {
      if (!(error instanceof EnvcatError)) throw error;
      // Not allowed to read AppProjects (an older RBAC), or no Argo CD API: commit as before.
      logger.warn(
        { project: metadata.name, err: { message: error.message } },
        'cannot read the environment AppProject; committing the apps without waiting for it',
      );
      return true;
    }
  }
}
