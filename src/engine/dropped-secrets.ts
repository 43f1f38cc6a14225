/**
 * The Secrets of instances removed from a running environment (by an update, or an edit of
 * environment.yaml in Git): once an instance's steps are gone from Git and the cluster (core
 * droppedSecretsDeletable, decided as a deletion decides it), its Secrets go too, so that an
 * instance of the same name added later never reads the old values.
 *
 * The API may add the instance again at the same moment, on any replica: it commits the request
 * first, then replaces a Secret left over by delete and create (parameter-secrets.ts), which gives
 * it a new uid. So the Secrets are taken from the cache first, then the request is read again from
 * the remote, and each Secret is deleted only if its instance is still absent there, with the uid
 * it had in the cache as a precondition. A Secret the API wrote was written after its commit: if
 * the cache held it, that read sees the instance; if the API replaces the old one after that read,
 * the uid differs and the delete is refused.
 */
import type { Logger } from 'pino';
import {
  ANNOTATION,
  ConflictError,
  LABEL,
  MANAGED_BY,
  describeError,
  droppedSecretsDeletable,
  environmentFile,
  isRecord,
  parseYamlDocument,
  type ResolvedEnvironment,
} from '../core/index.js';
import type { ClusterClient, KubeObject } from '../cluster/types.js';
import type { GitOpsRepo } from '../gitops/types.js';
import type { BoundaryHook } from './boundaries.js';
import type { RepoView } from './repo-view.js';
import type { Watches } from './watches.js';

export interface DroppedSecretsOptions {
  view: Pick<RepoView, 'pathsOf'>;
  /** The platform repo, read again from its remote before anything is deleted. */
  platform: Pick<GitOpsRepo, 'sync' | 'readTree'>;
  /** What the engine's caches hold: envcat's Applications, Workspaces and Secrets (secretForCache). */
  /** An environment's objects as the engine's caches have them (their index). */
  cached: (source: keyof Watches, environment: string) => readonly KubeObject[];
  cluster: Pick<ClusterClient, 'delete'>;
  /** Told as the Secrets are deleted (the kill -9 tests stop there). */
  atBoundary?: BoundaryHook;
  logger: Logger;
}

const instanceOf = (object: KubeObject) => object.metadata.labels?.[LABEL.instance] ?? '';

export class DroppedSecrets {
  constructor(private readonly options: DroppedSecretsOptions) {}

  /**
   * Deletes the Secrets of the instances `env` (the request of this pass, on the leader) no longer
   * names, once their steps are gone.
   */
  async reconcile(name: string, env: ResolvedEnvironment): Promise<void> {
    const { view, logger } = this.options;
    const kept = new Set(env.instances.map((i) => i.name));
    const own = (objects: readonly KubeObject[]) =>
      objects.filter((o) => o.metadata.labels?.[LABEL.environment] === name && instanceOf(o) !== '');
    // The snapshot comes before the read of Git below (see the top of this file).
    const secrets = own(this.options.cached('secrets', name)).filter(
      (s) => s.metadata.labels?.[LABEL.managedBy] === MANAGED_BY && !kept.has(instanceOf(s)),
    );
    if (secrets.length === 0) return;
    const deletable = new Set(
      droppedSecretsDeletable({
        environment: name,
        kept,
        withSecrets: secrets.map(instanceOf),
        paths: { platform: view.pathsOf('platform', name), apps: view.pathsOf('apps', name) },
        liveApplications: own(this.options.cached('applications', name)).map(instanceOf),
        liveWorkspaces: own(this.options.cached('workspaces', name)).map(instanceOf),
      }),
    );
    const candidates = secrets.filter((s) => deletable.has(instanceOf(s)));
    if (candidates.length === 0) return;
    const requested = await this.requestedNow(name);
    if (!requested) return;
    const deleted: string[] = [];
    for (const secret of candidates) {
      if (requested.has(instanceOf(secret))) continue;
      const { name: secretName, namespace, uid } = secret.metadata;
      try {
        const gone = await this.options.cluster.delete(
          { apiVersion: 'v1', kind: 'Secret', name: secretName, ...(namespace ? { namespace } : {}) },
          { preconditions: { uid: String(uid) } },
        );
        if (gone) deleted.push(secretName);
      } catch (error) {
        if (!(error instanceof ConflictError)) throw error;
        // Written again since the cache saw it: by the update that added the instance back.
        logger.info(
          { environment: name, secret: secretName, err: describeError(error) },
          'the Secret of a removed instance was replaced since it was read: kept',
        );
      }
    }
    if (deleted.length === 0) return;
    logger.info(
      { environment: name, secrets: deleted },
      'deleted the Secrets of instances removed from the request',
    );
    this.options.atBoundary?.('update:secrets-deleted');
  }

  /**
   * The instances the request names at the remote's head now; undefined when it is gone, being
   * deleted or unreadable (the deletion pass deletes every Secret then, or nothing may go).
   */
  private async requestedNow(name: string): Promise<Set<string> | undefined> {
    const { platform } = this.options;
    await platform.sync();
    const path = environmentFile(name);
    const source = (await platform.readTree(path)).get(path);
    let document: unknown;
    try {
      document = source === undefined ? undefined : parseYamlDocument(source);
    } catch {
      return undefined;
    }
    if (!isRecord(document) || !isRecord(document.spec) || !Array.isArray(document.spec.catalogs))
      return undefined;
    const metadata = isRecord(document.metadata) ? document.metadata : {};
    if (isRecord(metadata.annotations) && metadata.annotations[ANNOTATION.deletionRequested] !== undefined)
      return undefined;
    return new Set(
      document.spec.catalogs.flatMap((i) => (isRecord(i) && typeof i.name === 'string' ? [i.name] : [])),
    );
  }
}
