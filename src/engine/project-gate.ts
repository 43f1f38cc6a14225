/**
 * Apps wait for the environment's Argo CD project: an Application committed before the platform
 * Application has synced the AppProject in namespace.yaml (a new environment, or an entry with a
 * new chart repo or cluster-scoped kind) would be refused by Argo CD with InvalidSpecError
 * (argo-cd util/argo/argo.go ValidatePermissions: "application repo ... is not permitted in
 * project", or a project that does not exist), and only looked at again on its next resync.
 */
import type { Logger } from 'pino';
import type { ClusterClient } from '../cluster/types.js';
import {
  appProjectInPlace,
  EnvcatError,
  renderAppProject,
  type RenderOptions,
  type ResolvedEnvironment,
} from '../core/index.js';

export async function projectInPlace(args: {
  cluster: ClusterClient;
  env: ResolvedEnvironment;
  render: RenderOptions;
  logger: Logger;
}): Promise<boolean> {
  const rendered = renderAppProject(args.env, args.render);
  if (!rendered) return true; // a shared project, created by someone else
  const metadata = rendered.metadata as { name: string; namespace: string };
  try {
    const live = await args.cluster.get({
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'AppProject',
      name: metadata.name,
      namespace: metadata.namespace,
    });
    return appProjectInPlace(live, rendered);
  } catch (error) {
    if (!(error instanceof EnvcatError)) throw error;
    // Not allowed to read AppProjects (an older RBAC), or no Argo CD API: commit as before.
    args.logger.warn(
      { project: metadata.name, err: { message: error.message } },
      'cannot read the environment AppProject; committing the apps without waiting for it',
    );
    return true;
  }
}
