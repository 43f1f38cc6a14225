/**
 * The `<env>-<instance>-params` Secrets a create writes (and an update, for an instance it adds):
 * the literal secret values of a request, which Git never holds. Written only once the request's
 * name is its own (its commit landed); created, never overwritten; on failure, only the objects
 * this call created are deleted, by uid.
 */
import type { Logger } from 'pino';
import {
  ANNOTATION,
  ConflictError,
  describeError,
  parameterSecretName,
  type ResolvedEnvironment,
} from '../core/index.js';
import type { ClusterClient, KubeObject } from '../cluster/types.js';

export class ParameterSecrets {
  constructor(private readonly options: { cluster: ClusterClient; logger: Logger }) {}

  /**
   * The Namespace, then one Secret per instance with literal secret values (keys as the entry
   * names them). Called only once the name and namespace are this request's. Each Secret is
   * created, never overwritten: one already there with the same values (this request resumed, or
   * its earlier attempt) is kept; one with other values means another call of the same request
   * won, and this one is a ConflictError. On failure, the objects this call created are deleted by
   * uid (so never one that another request wrote since); after a conflict the Namespace stays, as
   * the winner's Secrets are in it. Returns how many Secrets this call created. `only`: the
   * instances to write (an update's new ones; a running instance's new values are
   * secret-values.ts's). `leftovers`: the Secrets an update's new instances found left over by a
   * removed instance of the same name, as read before its commit (secret-values.ts): an instance
   * the request did not name owns no Secret, so each is deleted first, with its uid as a
   * precondition (one written since, by another request, stays), then created with the new values
   * (if the instance has any).
   */
  async write(
    env: ResolvedEnvironment,
    options: {
      only?: readonly string[];
      leftovers?: ReadonlyArray<{ instance: string; secret: KubeObject }>;
    } = {},
  ): Promise<number> {
    const secrets = secretParameters(env).filter(
      (s) => options.only === undefined || options.only.includes(s.instance.name),
    );
    const written = new Set(secrets.map((s) => s.instance.name));
    for (const leftover of options.leftovers ?? [])
      if (!written.has(leftover.instance)) await this.deleteLeftover(leftover.secret);
    if (secrets.length === 0) return 0;
    const cluster = this.options.cluster;
    const labels = { 'app.kubernetes.io/managed-by': 'envcat', 'envcat.io/environment': env.name };
    const created: KubeObject[] = [];
    try {
      const namespace = await createIfAbsent(cluster, {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name: env.namespace, labels },
      });
      if (namespace) created.push(namespace);
      for (const { instance, data } of secrets) {
        const object = {
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: {
            name: parameterSecretName(env.name, instance.name),
            namespace: env.namespace,
            labels: { ...labels, 'envcat.io/instance': instance.name },
            // A request that names a revision (a GET's document sent as a create) holds its values.
            ...(instance.secretRevision > 0
              ? { annotations: { [ANNOTATION.secretRevision]: String(instance.secretRevision) } }
              : {}),
          },
          type: 'Opaque',
          data,
        };
        const leftover = options.leftovers?.find((l) => l.instance === instance.name);
        if (leftover) await this.deleteLeftover(leftover.secret);
        const secret = await createIfAbsent(cluster, object);
        if (secret) {
          created.unshift(secret);
          continue;
        }
        const { name, namespace: secretNamespace } = object.metadata;
        const existing = await cluster.get({
          apiVersion: 'v1',
          kind: 'Secret',
          name,
          namespace: secretNamespace,
        });
        const existingData = (existing?.data ?? {}) as Record<string, unknown>;
        // The engine may have added derived keys since: only the request's own keys must match.
        if (!existing || Object.entries(data).some(([key, value]) => existingData[key] !== value))
          throw new ConflictError(
            `the environment "${env.name}" was completed at the same moment by another request with other secret values`,
            { path: '/metadata/name' },
          );
      }
    } catch (error) {
      await this.deleteOwn(
        error instanceof ConflictError ? created.filter((o) => o.kind !== 'Namespace') : created,
      );
      throw error;
    }
    return created.filter((o) => o.kind === 'Secret').length;
  }

  /**
   * Deletes a Secret left over by a removed instance, by uid: the engine may have deleted it
   * already (dropped-secrets.ts), and one written since is not this one (the create finds it).
   */
  private async deleteLeftover(secret: KubeObject): Promise<void> {
    const { name, namespace, uid } = secret.metadata;
    try {
      await this.options.cluster.delete(
        { apiVersion: 'v1', kind: 'Secret', name, ...(namespace ? { namespace } : {}) },
        { preconditions: { uid: String(uid) } },
      );
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error;
    }
  }

  /** Deletes objects by uid: a newer object of the same name (another request's) is left alone. */
  private async deleteOwn(objects: KubeObject[]): Promise<void> {
    for (const object of objects) {
      const { name, namespace, uid } = object.metadata;
      try {
        await this.options.cluster.delete(
          {
            apiVersion: object.apiVersion,
            kind: object.kind,
            name,
            ...(namespace ? { namespace } : {}),
          },
          { preconditions: { uid: String(uid) } },
        );
      } catch (error) {
        this.options.logger.error(
          { kind: object.kind, name, err: describeError(error) },
          'rollback of an object this request created failed',
        );
      }
    }
  }
}

/** Each instance with literal secret values, and those values as a Secret's `data` (base64). */
export function secretParameters(
  env: ResolvedEnvironment,
): Array<{ instance: ResolvedEnvironment['instances'][number]; data: Record<string, string> }> {
  return env.instances
    .map((instance) => {
      const data: Record<string, string> = {};
      for (const secret of instance.entry.secretParameters) {
        const source = instance.secrets[secret.name];
        if (source?.kind === 'literal') data[secret.key] = Buffer.from(source.value).toString('base64');
      }
      return { instance, data };
    })
    .filter((s) => Object.keys(s.data).length > 0);
}

/** Creates the object unless one of that name exists; returns it only when this call created it. */
async function createIfAbsent(cluster: ClusterClient, object: KubeObject): Promise<KubeObject | undefined> {
  try {
    return await cluster.create(object);
  } catch (error) {
    if (error instanceof ConflictError) return undefined;
    throw error;
  }
}
