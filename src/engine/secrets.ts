/**
 * Whether the parameter Secret a committed step reads is still there. A Workspace reads
 * `<env>-<instance>-params` through `varFiles` (source SecretKey, key terraform.tfvars.json), and
 * an Application's manifests through secretKeyRef; envcat writes it once, when the step is
 * committed. When it is deleted afterwards, provider-terraform fails its next reconcile
 * ("cannot get tfvars": errVarFile in crossplane-contrib/provider-terraform
 * internal/controller/namespaced/workspace/workspace.go, and cluster/workspace/workspace.go), and a pod reading it does not start: the step is no longer what it was committed as.
 * The engine sees the Secrets it labels through an informer that keeps their key names only, never
 * their values (secretForCache), and decides here. Pure: no I/O.
 */
import {
  ANNOTATION,
  TFVARS_KEY,
  stepSecretPlans,
  type ResolvedEnvironment,
  type SecretPlan,
  type Step,
} from '../core/index.js';
import type { KubeObject } from '../cluster/types.js';
import type { Blocked } from './blocked.js';

/** What the engine keeps of a Secret: its identity and the names of its keys. */
export interface SecretSeen {
  keys: readonly string[];
}

export type SecretCheck =
  /** Everything the step reads is there. */
  | { kind: 'ok' }
  /** The Secret, or a key someone else must give, is missing: the step is Failed until it is back. */
  | { kind: 'missing'; reason: 'SecretNotFound'; message: string }
  /** The keys the user gives are there, but not the ones envcat derives from them: write them again. */
  | { kind: 'rewrite' };

/** The keys a plan's Secret must hold: those read from itself (the API's values), those envcat derives. */
export function plannedKeys(plan: SecretPlan): { given: string[]; derived: string[] } {
  const given = new Set<string>();
  for (const source of [...plan.keys.map((k) => k.source), ...plan.tfvars.map((v) => v.source)])
    if (source.kind === 'secretRef' && source.name === plan.name) given.add(source.key);
  const derived = new Set(plan.keys.map((k) => k.key));
  if (plan.tfvars.length > 0) derived.add(TFVARS_KEY);
  for (const key of given) derived.delete(key);
  return { given: [...given].sort(), derived: [...derived].sort() };
}

/**
 * The check of one committed step's parameter Secret against what the cluster holds (undefined:
 * no such Secret). The message names the Secret and its keys, and says how to bring it back.
 */
export function checkParameterSecret(args: {
  plan: SecretPlan;
  instance: string;
  secret: SecretSeen | undefined;
}): SecretCheck {
  const { plan, secret } = args;
  const { given, derived } = plannedKeys(plan);
  const where = `Secret ${plan.namespace}/${plan.name}`;
  // Values an update changed carry their revision: a Secret re-created by hand says which it holds.
  const revision =
    (plan.revision ?? 0) > 0
      ? `, then kubectl annotate secret ${plan.name} -n ${plan.namespace} ${ANNOTATION.secretRevision}=${plan.revision}`
      : '';
  const howBack =
    given.length > 0
      ? `re-create it with the key${given.length > 1 ? 's' : ''} ${given.join(', ')} and the secret values (kubectl create secret generic ${plan.name} -n ${plan.namespace} --from-literal=<key>=<value>${revision}); if the create was cut off before writing it, send the same create request again; or delete the environment and create it again through the API with its secret parameters`
      : 'envcat writes it again on its next pass';
  if (!secret) {
    if (given.length === 0) return { kind: 'rewrite' };
    return {
      kind: 'missing',
      reason: 'SecretNotFound',
      message: `${where}, which holds the secret parameters of instance ${args.instance}, is gone: ${howBack}`,
    };
  }
  const have = new Set(secret.keys);
  const lacking = given.filter((key) => !have.has(key));
  if (lacking.length > 0)
    return {
      kind: 'missing',
      reason: 'SecretNotFound',
      message: `${where} has no key ${lacking.join(', ')} (a secret parameter of instance ${args.instance}): ${howBack}`,
    };
  if (derived.some((key) => !have.has(key))) return { kind: 'rewrite' };
  return { kind: 'ok' };
}

/** What the engine's Secret informer keeps: identity, labels and the key names; the values never. */
export function secretForCache(secret: KubeObject): KubeObject {
  const { name, namespace, uid, resourceVersion, labels, deletionTimestamp } = secret.metadata;
  const data = (secret.data ?? {}) as Record<string, unknown>;
  return {
    apiVersion: secret.apiVersion,
    kind: secret.kind,
    metadata: {
      name,
      ...(namespace !== undefined ? { namespace } : {}),
      ...(uid !== undefined ? { uid } : {}),
      ...(resourceVersion !== undefined ? { resourceVersion } : {}),
      ...(labels !== undefined ? { labels } : {}),
      ...(deletionTimestamp !== undefined ? { deletionTimestamp } : {}),
    },
    keys: Object.keys(data).sort(),
  };
}

/** The key names a cached Secret (secretForCache) holds. */
export function seenSecret(cached: KubeObject | undefined): SecretSeen | undefined {
  if (!cached || cached.metadata.deletionTimestamp) return undefined;
  return { keys: Array.isArray(cached.keys) ? (cached.keys as string[]) : [] };
}

interface SecretRef {
  name: string;
  namespace: string;
}

/**
 * The committed steps whose parameter Secret is gone (or lacks a key the user gives), with why;
 * the keys envcat derives are written again when only those are missing. `cached` is the
 * informer (secretForCache); a Secret it does not hold is looked up once more with `get` (the
 * informer may not have seen one just written), so a healthy environment costs no request.
 */
export async function missingParameterSecrets(args: {
  env: ResolvedEnvironment;
  /** The steps committed to Git. */
  steps: readonly Step[];
  cached: (ref: SecretRef) => KubeObject | undefined;
  get: (ref: SecretRef) => Promise<KubeObject | undefined>;
  /** Writes the Secret from its sources again; returns why not when a source is missing. */
  rewrite: (plan: SecretPlan) => Promise<Blocked | undefined>;
}): Promise<Map<string, Blocked>> {
  const missing = new Map<string, Blocked>();
  for (const step of args.steps) {
    for (const plan of stepSecretPlans(args.env, step)) {
      const ref = { name: plan.name, namespace: plan.namespace };
      const cached = seenSecret(args.cached(ref));
      let check = checkParameterSecret({ plan, instance: step.instance, secret: cached });
      if (check.kind !== 'ok' && !cached) {
        const live = await args.get(ref);
        check = checkParameterSecret({
          plan,
          instance: step.instance,
          secret: seenSecret(live ? secretForCache(live) : undefined),
        });
      }
      if (check.kind === 'rewrite') {
        const problem = await args.rewrite(plan);
        if (problem) check = { kind: 'missing', reason: 'SecretNotFound', message: problem.message };
      }
      if (check.kind === 'missing') missing.set(step.id, { reason: check.reason, message: check.message });
    }
  }
  return missing;
}

/**
 * Why a Secret a step's values come from cannot be read (the engine's ensureSecret, before a
 * commit): for the step's own parameter Secret, the same message as checkParameterSecret's.
 */
export function unreadableSource(args: {
  plan: SecretPlan;
  instance: string;
  ref: { name: string; key: string };
  exists: boolean;
}): Blocked {
  const { plan, ref } = args;
  if (ref.name === plan.name) {
    const check = checkParameterSecret({
      plan,
      instance: args.instance,
      secret: args.exists ? { keys: [] } : undefined,
    });
    if (check.kind === 'missing') return { reason: check.reason, message: check.message };
  }
  return {
    reason: 'SecretNotFound',
    message: args.exists
      ? `Secret ${plan.namespace}/${ref.name} has no key ${ref.key}`
      : `Secret ${plan.namespace}/${ref.name} does not exist: create it in namespace ${plan.namespace} with the key ${ref.key}`,
  };
}
