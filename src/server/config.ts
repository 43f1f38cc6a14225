/**
 * Service configuration from the environment (and `npm start -- --flags`). Pure: a table of
 * variables in, a validated config out, every problem named.
 */
import type { Boundary } from '../engine/boundaries.js';
import { DEFAULT_RECONCILE_WORKERS } from '../engine/engine-options.js';
import { parseCrashPoints } from './crash-hook.js';
import {
  DEFAULT_RENDER_OPTIONS,
  InputError,
  notifyUrlProblem,
  parseDuration,
  parseNotifyAllow,
  parseTerraformAllow,
  projectOptionProblem,
  REFRESH_AGAIN_MS,
  TERRAFORM_ALLOWANCES,
  type Problem,
  type TerraformAllowance,
  type WorkspaceApi,
} from '../core/index.js';
import { DEFAULT_RETRY, type GitCredentials, type RetryPolicy } from '../gitops/index.js';
import { parseTokenList, type TokenConfig } from '../api/auth.js';

export interface RepoConfig {
  /** Remote URL; absent → a local bare repo under `<dataDir>/repos/`. */
  url?: string;
  branch: string;
  credentials?: GitCredentials;
}

export interface ServiceConfig {
  port: number;
  host: string;
  dataDir: string;
  catalogDirs: string[];
  /** Terraform constructs entries' modules may use (ENVCAT_TERRAFORM_ALLOW); by default none. */
  terraformAllow: ReadonlySet<TerraformAllowance>;
  /** A kubeconfig file (real cluster), or undefined for the embedded simulated cluster. */
  kubeconfig?: string;
  /** `in-cluster`: use the service account (a Deployment in the cluster). */
  inCluster: boolean;
  platform: RepoConfig;
  apps: RepoConfig;
  /** How commits reach a bare repo on this machine: written into it directly, or pushed (see GitRepo). */
  gitLocalWrites: 'direct' | 'push';
  /**
   * A commit the remote refused (another writer moved the branch, a hook declined it) is tried again
   * on the new head, with backoff (`ENVCAT_GIT_RETRY_ATTEMPTS`, `_DELAY`, `_MAX_DELAY`).
   */
  gitRetry: RetryPolicy;
  /** The URL Argo CD reads the app repo from (defaults to the apps repo URL). */
  appsRepoUrlForArgo?: string;
  workspaceApi: WorkspaceApi;
  argocdNamespace: string;
  argocdProject: string;
  /** Argo CD's web UI (ENVCAT_ARGOCD_URL): the portal links each step to its Application there. */
  argocdUrl?: string;
  /** Each repo's web page (ENVCAT_PLATFORM_REPO_WEB_URL, ENVCAT_APPS_REPO_WEB_URL): the portal links commits there. */
  repoWebUrls: Partial<Record<'platform' | 'apps', string>>;
  providerConfig: string;
  engineNamespace: string;
  adminToken?: string;
  tokens: TokenConfig[];
  simulatorDelayMs: number;
  /** The simulated cluster's objects: kept under `<dataDir>/cluster/` across restarts (`disk`), or in memory only. */
  simulatorState: 'disk' | 'memory';
  /** The simulated cluster runs on a thread of its own (ENVCAT_SIMULATOR_THREAD, default on). */
  simulatorThread: boolean;
  /** How often the simulated Argo CD polls Git (Argo CD's 3 minutes by default). */
  simulatorPollMs?: number;
  /** The simulated provider-terraform's --max-reconcile-rate (default: gitops/provider-terraform's, 10). */
  simulatorMaxReconcileRate?: number;
  gitPollMs: number;
  resyncMs: number;
  /** Reconcile passes at once (`ENVCAT_RECONCILE_WORKERS`); Argo CD's and Crossplane's processor counts. */
  reconcileWorkers: number;
  /** How long a transient controller error may last before it fails its step (`ENVCAT_ERROR_GRACE`). */
  errorGraceMs: number;
  /** How long a committed step waits for Argo CD before it is asked again (`ENVCAT_REFRESH_AGAIN`). */
  refreshAgainMs: number;
  leaseDurationMs: number;
  logLevel: string;
  /** ENVCAT_CRASH_AT, a test hook: the step boundaries at which the process kills itself. */
  crashPoints?: ReadonlyMap<Boundary, number>;
  identity: string;
  /** Webhooks on changes of phase (ENVCAT_NOTIFY_*); absent when nothing is configured. */
  notify: NotifyConfig;
}

export interface NotifyConfig {
  /** Told of every environment (ENVCAT_NOTIFY_URL). */
  url?: string;
  /** Signs every notification (ENVCAT_NOTIFY_SECRET); never logged. */
  secret?: string;
  /** Host patterns that may be http and internal (ENVCAT_NOTIFY_ALLOW). */
  allow: string[];
}

export interface ConfigFlags {
  port?: string;
  kubeconfig?: string;
  dataDir?: string;
}

export function loadConfig(
  env: NodeJS.ProcessEnv,
  flags: ConfigFlags = {},
  hostname = 'envcat',
): ServiceConfig {
  const problems: Problem[] = [];
  const at = (variable: string, message: string) => problems.push({ path: `/${variable}`, message });
  const number = (variable: string, fallback: number, min: number, max: number, text?: string) => {
    const raw = text ?? env[variable];
    if (raw === undefined || raw === '') return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min || value > max) {
      at(variable, `must be an integer from ${min} to ${max}`);
      return fallback;
    }
    return value;
  };
  const duration = (variable: string, fallbackMs: number) => {
    const raw = env[variable];
    if (!raw) return fallbackMs;
    const seconds = parseDuration(raw);
    if (seconds === undefined && !/^\d+ms$/.test(raw)) {
      at(variable, 'must be a duration such as 500ms, 3s or 1m');
      return fallbackMs;
    }
    return seconds === undefined ? Number(raw.slice(0, -2)) : seconds * 1000;
  };
  const credentials = (prefix: string): GitCredentials | undefined => {
    const c: GitCredentials = {
      ...(env[`${prefix}_TOKEN_FILE`] ? { tokenFile: env[`${prefix}_TOKEN_FILE`] } : {}),
      ...(env[`${prefix}_TOKEN`] ? { tokenEnv: `${prefix}_TOKEN` } : {}),
      ...(env[`${prefix}_USERNAME`] ? { username: env[`${prefix}_USERNAME`] } : {}),
      ...(env[`${prefix}_SSH_KEY_FILE`] ? { sshKeyFile: env[`${prefix}_SSH_KEY_FILE`] } : {}),
      ...(env[`${prefix}_KNOWN_HOSTS_FILE`] ? { knownHostsFile: env[`${prefix}_KNOWN_HOSTS_FILE`] } : {}),
    };
    return Object.keys(c).length > 0 ? c : undefined;
  };
  const repo = (name: 'PLATFORM' | 'APPS'): RepoConfig => {
    const url = env[`ENVCAT_${name}_REPO`];
    const own = credentials(`ENVCAT_${name}_GIT`) ?? credentials('ENVCAT_GIT');
    return {
      ...(url ? { url } : {}),
      branch: env[`ENVCAT_${name}_BRANCH`] ?? env.ENVCAT_GIT_BRANCH ?? 'main',
      ...(own ? { credentials: own } : {}),
    };
  };
  const gitLocalWrites = env.ENVCAT_GIT_LOCAL_WRITES || 'direct';
  if (gitLocalWrites !== 'direct' && gitLocalWrites !== 'push') {
    at('ENVCAT_GIT_LOCAL_WRITES', 'must be direct or push');
  }
  const simulatorState = env.ENVCAT_SIMULATOR_STATE || 'disk';
  if (simulatorState !== 'disk' && simulatorState !== 'memory')
    at('ENVCAT_SIMULATOR_STATE', 'must be disk or memory');
  const workspaceApi = env.ENVCAT_WORKSPACE_API ?? 'namespaced';
  if (workspaceApi !== 'namespaced' && workspaceApi !== 'cluster')
    at('ENVCAT_WORKSPACE_API', 'must be namespaced or cluster');
  let tokens: TokenConfig[] = [];
  try {
    tokens = parseTokenList(env.ENVCAT_TOKENS ?? '');
  } catch (error) {
    at('ENVCAT_TOKENS', (error as Error).message);
  }
  const terraformAllow = parseTerraformAllow(env.ENVCAT_TERRAFORM_ALLOW);
  if (!terraformAllow.ok)
    at(
      'ENVCAT_TERRAFORM_ALLOW',
      `unknown item(s) ${terraformAllow.unknown.map((u) => JSON.stringify(u)).join(', ')}: each must be one of ${TERRAFORM_ALLOWANCES.join(', ')}`,
    );
  let crashPoints: Map<Boundary, number> | undefined;
  if (env.ENVCAT_CRASH_AT) {
    const parsed = parseCrashPoints(env.ENVCAT_CRASH_AT);
    if (parsed instanceof Map) crashPoints = parsed;
    else at('ENVCAT_CRASH_AT', parsed.problem);
  }
  const kubeconfig = flags.kubeconfig ?? env.ENVCAT_KUBECONFIG ?? env.KUBECONFIG;
  const inCluster = env.ENVCAT_IN_CLUSTER === 'true';
  const platform = repo('PLATFORM');
  const apps = repo('APPS');
  if ((kubeconfig || inCluster) && (!platform.url || !apps.url))
    at(
      'ENVCAT_PLATFORM_REPO',
      'a real cluster needs ENVCAT_PLATFORM_REPO and ENVCAT_APPS_REPO: Argo CD cannot read repos on this machine',
    );
  const webUrl = (variable: string): string | undefined => {
    const raw = env[variable];
    if (!raw) return undefined;
    let url: URL | undefined;
    try {
      url = new URL(raw);
    } catch {
      url = undefined;
    }
    if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:') || url.username || url.password) {
      at(variable, 'must be an http(s) URL without credentials, such as https://argocd.example.com');
      return undefined;
    }
    return raw.replace(/\/+$/, '');
  };
  const argocdUrl = webUrl('ENVCAT_ARGOCD_URL');
  const platformWeb = webUrl('ENVCAT_PLATFORM_REPO_WEB_URL');
  const appsWeb = webUrl('ENVCAT_APPS_REPO_WEB_URL');
  const notifyAllow = parseNotifyAllow(env.ENVCAT_NOTIFY_ALLOW);
  if (notifyAllow.invalid.length > 0)
    at(
      'ENVCAT_NOTIFY_ALLOW',
      `not host patterns: ${notifyAllow.invalid.map((i) => JSON.stringify(i)).join(', ')} (use hooks.example.com, *.example.com or an IP address)`,
    );
  const notifyUrl = env.ENVCAT_NOTIFY_URL || undefined;
  const notifyUrlProblemText = notifyUrl && notifyUrlProblem(notifyUrl, notifyAllow.patterns);
  if (notifyUrlProblemText) at('ENVCAT_NOTIFY_URL', notifyUrlProblemText);
  const notifySecret = env.ENVCAT_NOTIFY_SECRET || undefined;
  if (notifySecret !== undefined && notifySecret.length < 16)
    at('ENVCAT_NOTIFY_SECRET', 'must be at least 16 characters');
  if (notifyUrl && notifySecret === undefined)
    at('ENVCAT_NOTIFY_SECRET', 'is needed with ENVCAT_NOTIFY_URL: receivers check the signature');
  const refreshAgainMs = duration('ENVCAT_REFRESH_AGAIN', REFRESH_AGAIN_MS);
  // Each wait for Argo CD looks again after this long: none would be a pass after pass.
  if (refreshAgainMs < 100) at('ENVCAT_REFRESH_AGAIN', 'must be at least 100ms');
  const argocdProject = env.ENVCAT_ARGOCD_PROJECT ?? DEFAULT_RENDER_OPTIONS.argocd.project;
  const projectProblem = projectOptionProblem(argocdProject);
  if (projectProblem) at('ENVCAT_ARGOCD_PROJECT', projectProblem);
  const config: ServiceConfig = {
    port: number('PORT', 8080, 0, 65535, flags.port),
    host: env.HOST ?? '0.0.0.0',
    dataDir: flags.dataDir ?? env.ENVCAT_DATA_DIR ?? '.envcat',
    catalogDirs: (env.ENVCAT_CATALOGS ?? 'catalogs')
      .split(',')
      .map((d) => d.trim())
      .filter(Boolean),
    terraformAllow: terraformAllow.ok ? terraformAllow.allow : new Set(),
    ...(kubeconfig ? { kubeconfig } : {}),
    inCluster,
    platform,
    apps,
    gitLocalWrites: gitLocalWrites === 'push' ? 'push' : 'direct',
    gitRetry: {
      attempts: number('ENVCAT_GIT_RETRY_ATTEMPTS', DEFAULT_RETRY.attempts, 1, 100),
      baseDelayMs: duration('ENVCAT_GIT_RETRY_DELAY', DEFAULT_RETRY.baseDelayMs),
      maxDelayMs: duration('ENVCAT_GIT_RETRY_MAX_DELAY', DEFAULT_RETRY.maxDelayMs),
    },
    ...(env.ENVCAT_APPS_REPO_URL_FOR_ARGO ? { appsRepoUrlForArgo: env.ENVCAT_APPS_REPO_URL_FOR_ARGO } : {}),
    workspaceApi: workspaceApi === 'cluster' ? 'cluster' : 'namespaced',
    argocdNamespace: env.ENVCAT_ARGOCD_NAMESPACE ?? 'argocd',
    argocdProject,
    ...(argocdUrl ? { argocdUrl } : {}),
    repoWebUrls: { ...(platformWeb ? { platform: platformWeb } : {}), ...(appsWeb ? { apps: appsWeb } : {}) },
    providerConfig: env.ENVCAT_PROVIDER_CONFIG ?? 'default',
    engineNamespace: env.ENVCAT_NAMESPACE ?? 'envcat-system',
    ...(env.ENVCAT_ADMIN_TOKEN ? { adminToken: env.ENVCAT_ADMIN_TOKEN } : {}),
    tokens,
    simulatorDelayMs: duration('ENVCAT_SIMULATOR_DELAY', 3_000),
    simulatorState: simulatorState === 'memory' ? 'memory' : 'disk',
    simulatorThread: env.ENVCAT_SIMULATOR_THREAD !== '0',
    ...(env.ENVCAT_SIMULATOR_POLL ? { simulatorPollMs: duration('ENVCAT_SIMULATOR_POLL', 180_000) } : {}),
    ...(env.ENVCAT_SIMULATOR_MAX_RECONCILE_RATE
      ? { simulatorMaxReconcileRate: number('ENVCAT_SIMULATOR_MAX_RECONCILE_RATE', 10, 1, 10_000) }
      : {}),
    gitPollMs: duration('ENVCAT_GIT_POLL', 2_000),
    resyncMs: duration('ENVCAT_RESYNC', 300_000),
    reconcileWorkers: number('ENVCAT_RECONCILE_WORKERS', DEFAULT_RECONCILE_WORKERS, 1, 10_000),
    errorGraceMs: duration('ENVCAT_ERROR_GRACE', 60_000),
    refreshAgainMs,
    leaseDurationMs: duration('ENVCAT_LEASE_DURATION', 15_000),
    logLevel: env.ENVCAT_LOG_LEVEL ?? env.LOG_LEVEL ?? 'info',
    ...(crashPoints ? { crashPoints } : {}),
    notify: {
      ...(notifyUrl ? { url: notifyUrl } : {}),
      ...(notifySecret ? { secret: notifySecret } : {}),
      allow: notifyAllow.patterns,
    },
    // The embedded default is one process per data dir (its cluster's LOCK): a stable name lets a
    // restart after a kill -9 lead at once instead of waiting for its own old Lease to expire.
    identity:
      env.ENVCAT_IDENTITY ??
      env.POD_NAME ??
      (kubeconfig || inCluster ? `${hostname}-${process.pid}` : `${hostname}-embedded`),
  };
  if (problems.length > 0) throw new InputError(problems, { message: 'invalid configuration' });
  return config;
}
