/** The cluster adapter: the ClusterClient port, its client-node implementation, and the simulated API server. */
export type * from './types.js';
export {
  KubeClusterClient,
  KindNotServedError,
  DEFAULT_FIELD_MANAGER,
  type KubeClusterClientOptions,
} from './client.js';
export { KubeInformer, DEFAULT_BACKOFF, backoffDelay, type Backoff } from './informer.js';
export { errorFromStatus, describeRef, fieldToPointer, type StatusLike } from './errors.js';
export { BUILTIN_KINDS, KindRegistry, apiVersionOf, parseApiVersion, type KindSpec } from './kinds.js';
export {
  parseLabelSelector,
  matchesLabels,
  parseFieldSelector,
  matchesFields,
  labelKeyProblem,
  labelValueProblem,
  type LabelSelector,
  type LabelRequirement,
  type FieldSelector,
} from './label-selector.js';
export {
  SimulatedApiServer,
  type SimulatedApiServerOptions,
  type StartOptions,
  type ObjectAccess,
} from './simulator/api-server.js';
