/** Nest injection tokens: tsx (esbuild) emits no decorator metadata, so every injection names its token. */
export const SERVICE = Symbol('EnvironmentService');
export const AUTHENTICATOR = Symbol('TokenAuthenticator');
export const METRICS = Symbol('Metrics');
export const LOGGER = Symbol('Logger');
export const RUNTIME = Symbol('RuntimeInfo');

export interface RuntimeInfo {
  /** True when the cluster is envcat's simulator: every status response says so. */
  simulated: boolean;
  clusterDescription: string;
  version: string;
}
