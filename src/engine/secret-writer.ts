/**
 * The Secrets a step reads, written by the engine: before a step is committed its
 * planned Secret is created or updated from the values it refers to (the user's Secret, another
 * instance's output Secret); once committed, a Secret that is gone is written again when envcat
 * can derive it, or blocks the step when only the user can give it back (secrets.ts decides).
 */
import {
  ANNOTATION,
  LABEL,
  outputSecretName,
  parseSecretRevision,
  secretData,
  type ResolvedEnvironment,
  type SecretPlan,
  type SecretSource,
  type Step,
} from '../core/index.js';
import type { ClusterClient, KubeObject } from '../cluster/types.js';
import type { Blocked } from './blocked.js';
import { missingParameterSecrets, unreadableSource } from './secrets.js';

export interface SecretWriterOptions {
  cluster: Pick<ClusterClient, 'get' | 'create' | 'mergePatch'>;
  /** A Secret as the engine's cache has it (secretForCache: key names only), undefined when it has none. */
  cached: (ref: { name: string; namespace: string }) => KubeObject | undefined;
}

export class SecretWriter {
  constructor(private readonly options: SecretWriterOptions) {}

  /**
   * Creates or updates a planned Secret from the values it refers to; returns why not when one is
   * missing. With `revision` (before a step is committed), also why the step waits when the plan is
   * at a revision of the secret values that the Secret does not hold yet: the update that changed
   * them writes them once its commit landed (core environment/secret-revision.ts).
   */
  async ensure(
    env: ResolvedEnvironment,
    plan: SecretPlan,
    options: { revision?: boolean } = {},
  ): Promise<Blocked | undefined> {
    const { cluster } = this.options;
    const objects = new Map<string, KubeObject | undefined>();
    const cache = new Map<string, Record<string, string> | undefined>();
    const readSecret = async (namespace: string, secretName: string) => {
      const key = `${namespace}/${secretName}`;
      if (!cache.has(key)) {
        const secret = await cluster.get({ apiVersion: 'v1', kind: 'Secret', name: secretName, namespace });
        objects.set(key, secret);
        cache.set(key, secret ? decodeSecretData(secret) : undefined);
      }
      return cache.get(key);
    };
    const values = new Map<SecretSource, string>();
    for (const source of [...plan.keys.map((k) => k.source), ...plan.tfvars.map((v) => v.source)]) {
      if (source.kind === 'literal') {
        values.set(source, source.value);
        continue;
      }
      const where = locate(env, source);
      if (!where) continue;
      const data = await readSecret(env.namespace, where.name);
      const value = data?.[where.key];
      if (value === undefined)
        return unreadableSource({
          plan,
          instance: plan.labels[LABEL.instance] ?? '',
          ref: where,
          exists: !!data,
        });
      values.set(source, value);
    }
    const data = secretData(plan, (source) => values.get(source) ?? '');
    const ref = { apiVersion: 'v1', kind: 'Secret', name: plan.name, namespace: plan.namespace };
    const existing = await readSecret(plan.namespace, plan.name);
    if (options.revision && (plan.revision ?? 0) > 0) {
      const held = secretRevisionOf(objects.get(`${plan.namespace}/${plan.name}`));
      if (held < plan.revision!) return pendingRevision(plan, held);
    }
    if (existing && Object.entries(data).every(([k, v]) => existing[k] === v)) return undefined;
    const encoded = Object.fromEntries(
      Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString('base64')]),
    );
    if (existing) await cluster.mergePatch(ref, { metadata: { labels: plan.labels }, data: encoded });
    else
      await cluster.create({
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: plan.name, namespace: plan.namespace, labels: plan.labels },
        type: 'Opaque',
        data: encoded,
      });
    return undefined;
  }

  /**
   * The committed steps whose parameter Secret is gone (or lacks a key the user gives), with why;
   * one envcat can derive is written again (secrets.ts missingParameterSecrets).
   */
  async missing(env: ResolvedEnvironment, committed: readonly Step[]): Promise<Map<string, Blocked>> {
    return missingParameterSecrets({
      env,
      steps: committed,
      cached: (ref) => this.options.cached(ref),
      get: (ref) => this.options.cluster.get({ apiVersion: 'v1', kind: 'Secret', ...ref }),
      rewrite: (secret) => this.ensure(env, secret),
    });
  }
}

/** The revision of the secret values a `-params` Secret holds (ANNOTATION.secretRevision; 0: none). */
export function secretRevisionOf(secret: KubeObject | undefined): number {
  return parseSecretRevision(secret?.metadata.annotations?.[ANNOTATION.secretRevision]) ?? 0;
}

function pendingRevision(plan: SecretPlan, held: number): Blocked {
  const instance = plan.labels[LABEL.instance] ?? '';
  return {
    phase: 'Progressing',
    reason: 'SecretPending',
    message:
      `waiting for the new secret values of instance ${instance} (revision ${plan.revision}): Secret ` +
      `${plan.namespace}/${plan.name} holds revision ${held}. The update that changed them writes them ` +
      'once its commit landed; if it was cut off, send the same update again without its ' +
      'metadata.resourceVersion (a Secret written by ' +
      `hand: kubectl annotate secret ${plan.name} -n ${plan.namespace} ` +
      `${ANNOTATION.secretRevision}=${plan.revision} --overwrite, once it holds those values)`,
  };
}

/** Where a value comes from: a key of the user's Secret, or of another instance's output Secret. */
function locate(env: ResolvedEnvironment, source: SecretSource): { name: string; key: string } | undefined {
  if (source.kind === 'secretRef') return { name: source.name, key: source.key };
  if (source.kind === 'output')
    return { name: outputSecretName(env.name, source.reference.from), key: source.reference.output };
  return undefined;
}

/** A Secret's values as text: `data` decoded from base64, over `stringData`. */
export function decodeSecretData(secret: KubeObject): Record<string, string> {
  const data = (secret.data ?? {}) as Record<string, string>;
  const stringData = (secret.stringData ?? {}) as Record<string, string>;
  const decoded: Record<string, string> = { ...stringData };
  for (const [key, value] of Object.entries(data))
    decoded[key] = Buffer.from(value, 'base64').toString('utf8');
  return decoded;
}
