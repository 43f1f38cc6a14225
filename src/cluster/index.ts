/**
 * The cluster adapter: the ClusterClient port, its client-node implementation, and the Kubernetes
 * API rules (kinds, selectors, Status errors) it shares with the simulated cluster. The simulator
 * lives in src/simulator and is not exported here, so the product never loads it through this file.
 * This file loads client-node: the engine, and the simulator's files the in-memory twin shares,
 * import the files they need directly (test/architecture/module-graph.test.ts).
 */
export type * from './types.js';
export { DEFAULT_FIELD_MANAGER, refOf } from './types.js';
export { KubeClusterClient, type KubeClusterClientOptions } from './client.js';
export { KubeInformer, DEFAULT_BACKOFF } from './informer.js';
export { sameButResourceVersion } from './same-object.js';
export { LabelIndex } from './label-index.js';
export {
  KindNotServedError,
  errorFromStatus,
  describeRef,
  fieldToPointer,
  type StatusLike,
} from './errors.js';
export {
  BUILTIN_KINDS,
  KindRegistry,
  STATUS_VERBS,
  VERBS,
  apiVersionOf,
  parseApiVersion,
  storageKey,
  type KindSpec,
} from './kinds.js';
export {
  parseLabelSelector,
  matchesLabels,
  parseFieldSelector,
  matchesFields,
  type LabelSelector,
  type LabelRequirement,
  type FieldSelector,
} from './label-selector.js';
