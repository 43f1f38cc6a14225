/** The environment's Namespace and its isolation objects (committed first: namespaced Workspaces live there). */
import type { ResolvedEnvironment } from '../environment/types.js';
import { ANNOTATION, LABEL } from '../layout/index.js';
import { environmentLabels } from './labels.js';

export function renderNamespace(env: ResolvedEnvironment): Array<Record<string, unknown>> {
  const labels = { ...env.labels, ...environmentLabels(env), [LABEL.type]: env.type };
  const annotations: Record<string, string> = {};
  if (env.ttl) annotations[ANNOTATION.ttl] = env.ttl;
  if (env.owner) annotations[ANNOTATION.owner] = env.owner;
  if (env.description) annotations[ANNOTATION.description] = env.description;
  const objects: Array<Record<string, unknown>> = [
    {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: {
        name: env.namespace,
        labels,
        ...(Object.keys(annotations).length > 0 ? { annotations } : {}),
      },
    },
  ];
  const own = environmentLabels(env);
  const { isolation } = env;
  if (isolation.networkPolicy !== false) {
    objects.push({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'envcat-isolate-namespace', namespace: env.namespace, labels: own },
      spec: {
        podSelector: {},
        policyTypes: ['Ingress'],
        // Traffic from pods of this namespace only; other namespaces are denied.
        ingress: [{ from: [{ podSelector: {} }] }],
      },
    });
  }
  if (isolation.quota && Object.keys(isolation.quota).length > 0) {
    const hard: Record<string, string> = {};
    if (isolation.quota.cpu) hard['requests.cpu'] = isolation.quota.cpu;
    if (isolation.quota.memory) hard['requests.memory'] = isolation.quota.memory;
    if (isolation.quota.pods !== undefined) hard.pods = String(isolation.quota.pods);
    objects.push({
      apiVersion: 'v1',
      kind: 'ResourceQuota',
      metadata: { name: 'envcat-quota', namespace: env.namespace, labels: own },
      spec: { hard },
    });
  }
  const limits = isolation.limits;
  if (limits && Object.keys(limits).length > 0) {
    const item: Record<string, unknown> = { type: 'Container' };
    const dflt: Record<string, string> = {};
    const request: Record<string, string> = {};
    if (limits.defaultCpu) dflt.cpu = limits.defaultCpu;
    if (limits.defaultMemory) dflt.memory = limits.defaultMemory;
    if (limits.defaultRequestCpu) request.cpu = limits.defaultRequestCpu;
    if (limits.defaultRequestMemory) request.memory = limits.defaultRequestMemory;
    if (Object.keys(dflt).length > 0) item.default = dflt;
    if (Object.keys(request).length > 0) item.defaultRequest = request;
    objects.push({
      apiVersion: 'v1',
      kind: 'LimitRange',
      metadata: { name: 'envcat-limits', namespace: env.namespace, labels: own },
      spec: { limits: [item] },
    });
  }
  return objects;
}
