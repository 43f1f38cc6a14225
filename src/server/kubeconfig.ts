/** A kubeconfig for one API server (the simulator's): the engine then runs exactly as against a real cluster. */
import { toYaml } from '../core/index.js';

export function kubeconfigFor(server: { url: string; token?: string; name?: string }): string {
  const name = server.name ?? 'envcat-simulator';
  return toYaml({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name, cluster: { server: server.url } }],
    users: [{ name, user: server.token ? { token: server.token } : {} }],
    contexts: [{ name, context: { cluster: name, user: name, namespace: 'default' } }],
    'current-context': name,
    preferences: {},
  });
}
