/**
 * The simulated cluster: a Kubernetes-API-compatible server plus simulated Crossplane
 * provider-terraform and Argo CD controllers that read the GitOps repos, with the delay and failure
 * controls of controls.ts. The only import path into the simulator from outside: tests, the benchmark
 * and src/server/compose.ts, which loads it with a dynamic import when no cluster is configured (no
 * other product module may import it; eslint.config.js and test/architecture enforce that).
 */
export {
  SimulatedApiServer,
  type SimulatedApiServerOptions,
  type StartOptions,
  type ApiServerStats,
} from './api-server.js';
export type { ObjectAccess } from './api-server-access.js';
export { FileStoreLog, type FileStoreLogOptions, type StorePersistence } from './store-log.js';
export {
  startSimulatedCluster,
  loadBootstrap,
  DEFAULT_BOOTSTRAP_DIR,
  type SimulatedCluster,
  type SimulatedClusterOptions,
} from './simulated-cluster.js';
export {
  SimulatedProviderTerraform,
  DEFAULT_MAX_RECONCILE_RATE,
  type SimulatedProviderTerraformOptions,
} from './terraform-controller.js';
export { MANAGED_RESOURCE_FINALIZER } from './terraform-run.js';
export { CONNECTION_SECRET_TYPE } from './terraform-outputs.js';
export { SimulatedArgoCD, type SimulatedArgoCDOptions } from './argocd-controller.js';
export { REFRESH_ANNOTATION, REFRESH_TIMESTAMP_ANNOTATION, IN_CLUSTER_SERVER } from './argocd-application.js';
export { APPSET_REFRESH_ANNOTATION } from './applicationset-controller.js';
export {
  TRACKING_ANNOTATION,
  TRACKING_LABEL,
  DEFAULT_TRACKING_METHOD,
  trackingId,
  parseTrackingId,
  isTrackedBy,
  type TrackingMethod,
} from './resource-tracking.js';
export {
  RepoControlSource,
  parseControls,
  parseControlValue,
  parseEnvironmentControls,
  parseDelay,
  CONTROL_ANNOTATION_PREFIX,
  type ControlSource,
  type SimulatorControls,
  type InstanceRef,
  type ParsedControls,
  type ControlProblem,
} from './controls.js';
export {
  simulateOutputs,
  outputValue,
  publicOutputs,
  connectionSecretData,
  type OutputSpec,
  type OutputContext,
} from './outputs.js';
