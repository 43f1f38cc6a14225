/**
 * An update cut off between its commit and its Secrets (a crash, a lost answer): environment.yaml
 * holds the instances it added, with references to `-params` Secrets that were never written, and
 * their steps are blocked (`SecretNotFound`). The secret values are nowhere but in the request, so
 * the same request again completes it, as a create's does (create-recovery.ts).
 */
import { parameterSecretName } from '../core/index.js';
import type { ClusterClient } from '../cluster/types.js';
import { secretParameters } from './parameter-secrets.js';
import type { PreparedUpdate } from './update.js';

/**
 * The committed instances whose literal secret values this update may carry because it is the
 * same request again: it renders exactly the environment.yaml committed now (so it commits
 * nothing), and each such instance's `-params` Secret is either missing (the service writes it,
 * by create: two retries at once with other values are settled by the Secret's own create, the
 * loser a 409) or holds those values already (nothing to do). Any other secret value of a running
 * instance is not a retry, and stays the service's to refuse.
 */
export async function resentSecretInstances(args: {
  update: PreparedUpdate;
  cluster: Pick<ClusterClient, 'get'>;
}): Promise<Set<string>> {
  const { update, cluster } = args;
  const resent = new Set<string>();
  if (update.after !== update.before) return resent;
  for (const { instance, data } of secretParameters(update.env)) {
    if (update.added.includes(instance.name)) continue;
    const secret = await cluster.get({
      apiVersion: 'v1',
      kind: 'Secret',
      name: parameterSecretName(update.env.name, instance.name),
      namespace: update.env.namespace,
    });
    const stored = (secret?.data ?? {}) as Record<string, unknown>;
    // The engine may have added derived keys since: only the request's own keys must match.
    if (!secret || Object.entries(data).every(([key, value]) => stored[key] === value))
      resent.add(instance.name);
  }
  return resent;
}
