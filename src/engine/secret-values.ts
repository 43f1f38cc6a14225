/**
 * The new secret values an update gives running instances (core environment/secret-revision.ts).
 * Their `-params` Secrets are read before the update is committed, to tell a new value from the one
 * held, and written only after its commit landed (as a create claims its name in Git first), each
 * as a compare-and-swap on the resourceVersion read, at the revision the commit names. A write that
 * finds the Secret at another revision lost to another update (409); one that finds it changed by
 * the engine alone (the keys it derives, its labels) tries again on what it finds. The engine
 * commits the steps that read the Secret once it holds the revision (secret-writer.ts), so an
 * update cut off between its commit and this write leaves them waiting, and the same update sent
 * again completes it. Values go nowhere else: not to a log, not to an error.
 */
import {
  ANNOTATION,
  ConflictError,
  EnvcatError,
  LABEL,
  MANAGED_BY,
  UnavailableError,
  asSecretReference,
  isRecord,
  parameterSecretName,
  secretValueChanges,
  type JsonValue,
  type ResolvedEnvironment,
  type SecretValueChange,
} from '../core/index.js';
import type { ClusterClient, KubeObject } from '../cluster/types.js';
import { decodeSecretData, secretRevisionOf } from './secret-writer.js';

/** An update's new secret values, and each instance's Secret as it was read. */
export interface SecretValuesRead {
  changes: SecretValueChange[];
  read: ReadonlyMap<string, KubeObject | undefined>;
  /**
   * The Secrets of instances the update adds, left over by a removed instance of the same name
   * (dropped-secrets.ts deletes one only once its steps are gone). An added instance owns none:
   * once the commit landed, parameter-secrets.ts deletes each by uid, and writes the instance's
   * values anew. One given values gets a revision one above the leftover's, which the update
   * commits, so that its steps wait until the Secret holds the new values (an update cut off
   * before that is completed by the same update sent again, as any cut-off revision is); one
   * given none reads no value from it, and gets none (0).
   */
  leftovers: ReadonlyArray<{ instance: string; revision: number; secret: KubeObject }>;
}

/** How often a write tries again after the engine alone changed the Secret under it. */
const ATTEMPTS = 5;

export class SecretValues {
  constructor(private readonly options: { cluster: Pick<ClusterClient, 'get' | 'create' | 'replace'> }) {}

  /**
   * The secret values the update changes, from the Secrets of the running instances it gives
   * values for; `committed` is the request as Git holds it (parsed environment.yaml).
   */
  async changes(
    env: ResolvedEnvironment,
    added: readonly string[],
    committed: unknown,
  ): Promise<SecretValuesRead> {
    const read = new Map<string, KubeObject | undefined>();
    const leftovers: SecretValuesRead['leftovers'][number][] = [];
    for (const instance of env.instances) {
      const isAdded = added.includes(instance.name);
      const literal = Object.values(instance.secrets).some((s) => s.kind === 'literal');
      if (!literal && !isAdded) continue;
      const secret = await this.options.cluster.get(secretRef(env, instance.name));
      if (!isAdded) read.set(instance.name, secret);
      else if (secret && isEnvcatsFor(secret, env.name, instance.name))
        leftovers.push({
          instance: instance.name,
          revision: literal ? secretRevisionOf(secret) + 1 : 0,
          secret,
        });
    }
    const changes = secretValueChanges({
      env,
      added,
      stored: (instance) => {
        const secret = read.get(instance);
        return secret ? { revision: secretRevisionOf(secret), values: decodeSecretData(secret) } : undefined;
      },
      referenced: (instance) => ownSecretReferences(env, committed, instance),
    });
    return { changes, read, leftovers };
  }

  /** Writes each change's values and revision, once the update's commit landed. */
  async write(env: ResolvedEnvironment, values: SecretValuesRead): Promise<void> {
    for (const change of values.changes) await this.writeOne(env, change, values.read.get(change.instance));
  }

  private async writeOne(
    env: ResolvedEnvironment,
    change: SecretValueChange,
    read: KubeObject | undefined,
  ): Promise<void> {
    const { cluster } = this.options;
    const instance = env.instances.find((i) => i.name === change.instance);
    if (!instance) throw new Error(`no instance ${change.instance} in environment ${env.name}`);
    const data: Record<string, string> = {};
    for (const secret of instance.entry.secretParameters) {
      const source = instance.secrets[secret.name];
      if (source?.kind === 'literal') data[secret.key] = Buffer.from(source.value).toString('base64');
    }
    const revision: Record<string, string> =
      change.revision > 0 ? { [ANNOTATION.secretRevision]: String(change.revision) } : {};
    let current = read;
    for (let attempt = 1; ; attempt++) {
      try {
        if (!current) {
          const ref = secretRef(env, instance.name);
          await cluster.create({
            apiVersion: 'v1',
            kind: 'Secret',
            metadata: {
              name: ref.name,
              namespace: ref.namespace,
              labels: {
                [LABEL.managedBy]: MANAGED_BY,
                [LABEL.environment]: env.name,
                [LABEL.instance]: instance.name,
              },
              ...(change.revision > 0 ? { annotations: revision } : {}),
            },
            type: 'Opaque',
            data,
          });
          return;
        }
        // The derived keys (terraform.tfvars.json) are the engine's: it writes them again from
        // these before it commits the steps that read them.
        await cluster.replace({
          ...current,
          metadata: { ...current.metadata, annotations: { ...current.metadata.annotations, ...revision } },
          data: { ...((current.data ?? {}) as Record<string, string>), ...data },
        });
        return;
      } catch (error) {
        if (!(error instanceof ConflictError)) throw notWritten(change, error);
        const now = await cluster.get(secretRef(env, instance.name));
        if (attempt >= ATTEMPTS || !now || !current || secretRevisionOf(now) !== secretRevisionOf(current))
          throw lost(change);
        current = now;
      }
    }
  }
}

/** The parameters of an instance of the committed request that refer to its own `-params` Secret. */
function ownSecretReferences(env: ResolvedEnvironment, committed: unknown, instance: string): Set<string> {
  const own = parameterSecretName(env.name, instance);
  const catalogs = isRecord(committed) && isRecord(committed.spec) ? committed.spec.catalogs : undefined;
  const request = (Array.isArray(catalogs) ? catalogs : []).find(
    (i): i is Record<string, JsonValue> => isRecord(i) && i.name === instance,
  );
  const parameters = request && isRecord(request.parameters) ? request.parameters : {};
  return new Set(
    Object.entries(parameters).flatMap(([name, value]) => {
      const ref = asSecretReference(value);
      return ref && ref.name === own ? [name] : [];
    }),
  );
}

/** The Secret is labelled as envcat's, for this environment and instance. */
function isEnvcatsFor(secret: KubeObject, environment: string, instance: string): boolean {
  const labels = secret.metadata.labels ?? {};
  return (
    labels[LABEL.managedBy] === MANAGED_BY &&
    labels[LABEL.environment] === environment &&
    labels[LABEL.instance] === instance
  );
}

function secretRef(env: ResolvedEnvironment, instance: string) {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    name: parameterSecretName(env.name, instance),
    namespace: env.namespace,
  };
}

function lost(change: SecretValueChange): ConflictError {
  return new ConflictError(
    `the secret values of instance ${change.instance} were changed by another request at the same moment: ` +
      'get the environment again, and send yours on what it is now',
    { path: '/metadata/resourceVersion' },
  );
}

/** The cluster's own message stays in `cause`: it is not shown, in case it quotes what was sent. */
function notWritten(change: SecretValueChange, error: unknown): UnavailableError {
  const code = error instanceof EnvcatError ? ` (${error.code})` : '';
  return new UnavailableError(
    `the update is committed, but the new secret values of instance ${change.instance} could not be ` +
      `written to its Secret${code}: its steps wait for them; send the same update again, without its metadata.resourceVersion`,
    { path: `/spec/catalogs/${change.index}/parameters/${change.parameters[0] ?? ''}`, cause: error },
  );
}
