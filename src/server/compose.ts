/**
 * Puts envcat together from a configuration: the catalog, the two GitOps repos, the cluster (a real
 * one through a kubeconfig, or the embedded simulated one), the engine, the service and the HTTP
 * app. `npm start` and the end-to-end tests both start envcat through here.
 *
 * This is the only product module that may reach src/simulator, and only through the dynamic
 * import below: a service given a kubeconfig never loads the simulator's code
 * (test/architecture/module-graph.test.ts checks the static graph).
 */
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pino, type Logger } from 'pino';
import { InputError, prepareParameterValidation, renderOptions } from '../core/index.js';
import { loadCatalog } from '../catalog-source/index.js';
import { KubeClusterClient } from '../cluster/index.js';
import type { ClusterClient } from '../cluster/types.js';
import type { SimulatedCluster } from '../simulator/index.js';
import type { LaunchedSimulatorThread, SimulatorThread } from './simulator-thread.js';
import { GitRepo, ensureBareRepo } from '../gitops/index.js';
import { CatalogStore } from '../engine/catalog-store.js';
import { Engine } from '../engine/engine.js';
import { EnvironmentService } from '../engine/service.js';
import { EnvironmentMetrics } from '../engine/environment-metrics.js';
import { Notifier } from '../engine/notifier.js';
import { webhookPost } from './webhook-post.js';
import type { Backoff } from '../shared/index.js';
import { createApiApp } from '../api/app.js';
import { TokenAuthenticator, generateToken } from '../api/auth.js';
import { Metrics } from '../api/metrics.js';
import { crashHook } from './crash-hook.js';
import type { ServiceConfig } from './config.js';

export const VERSION = '0.1.0';

export interface RunningEnvcat {
  url: string;
  adminToken: string;
  /** True when the admin token was generated at start (and must be shown to the user). */
  generatedToken: boolean;
  simulated: boolean;
  engine: Engine;
  service: EnvironmentService;
  /** Webhooks on changes of phase (ENVCAT_NOTIFY_*). */
  notifier: Notifier;
  cluster: ClusterClient;
  simulator?: SimulatedCluster;
  /** The simulated cluster's API server, inline or on its thread. */
  simulatorUrl?: string;
  repoUrls: { platform: string; apps: string };
  stop(): Promise<void>;
}

export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: 'envcat' },
    // Defence in depth: nothing should log these, and if something does, they are masked.
    redact: {
      paths: ['*.token', '*.password', '*.authorization', 'headers.authorization', '*.data', '*.secret'],
      censor: '[redacted]',
    },
  });
}

export interface StartOptions {
  logger?: Logger;
  uiDir?: string;
  now?: () => number;
  /** Between a notification's attempts (tests shorten it). */
  notifyBackoff?: Backoff;
}

export async function startEnvcat(config: ServiceConfig, options: StartOptions = {}): Promise<RunningEnvcat> {
  const logger = options.logger ?? createLogger(config.logLevel);

  // The simulated cluster's thread loads its modules meanwhile (it is handed the catalog then).
  const launched =
    !config.kubeconfig && !config.inCluster && config.simulatorThread
      ? (await import('./simulator-thread.js')).launchSimulatorThread({ logLevel: config.logLevel, logger })
      : undefined;
  try {
    return await compose(config, options, logger, launched);
  } catch (error) {
    await launched?.abandon();
    throw error;
  }
}

async function compose(
  config: ServiceConfig,
  options: StartOptions,
  logger: Logger,
  launched: LaunchedSimulatorThread | undefined,
): Promise<RunningEnvcat> {
  const dataDir = resolve(config.dataDir);
  await mkdir(dataDir, { recursive: true });

  // The repos are set up (by git, in processes of its own) while this thread validates the catalog.
  const reposSetUp = setUpRepos(config, dataDir, logger);
  reposSetUp.catch(() => undefined); // (its failure is thrown below, after the catalog's problems)
  const loaded = await loadCatalog(config.catalogDirs, { terraformAllow: config.terraformAllow });
  if (loaded.problems.length > 0) {
    await reposSetUp.catch(() => undefined);
    throw new InputError(loaded.problems, { message: 'the catalog is invalid' });
  }
  const { repoUrls, platform, apps } = await reposSetUp;

  const catalogs = new CatalogStore({
    builtIn: loaded.entries,
    repo: platform,
    logger,
    terraformAllow: config.terraformAllow,
  });
  await catalogs.load();

  let simulator: SimulatedCluster | undefined;
  let simulatorThread: SimulatorThread | undefined;
  let simulatorUrl: string | undefined;
  let cluster: ClusterClient;
  let clusterDescription: string;
  if (config.kubeconfig) {
    cluster = KubeClusterClient.fromKubeconfig(config.kubeconfig);
    clusterDescription = `kubeconfig ${config.kubeconfig}`;
  } else if (config.inCluster) {
    cluster = KubeClusterClient.inCluster();
    clusterDescription = 'in-cluster service account';
  } else {
    const simulatorOptions = {
      platformRepoUrl: repoUrls.platform,
      appsRepoUrl: repoUrls.apps,
      workdir: join(dataDir, 'simulator'),
      defaultDelayMs: config.simulatorDelayMs,
      ...(config.simulatorState === 'disk' ? { stateDir: join(dataDir, 'cluster') } : {}),
      ...(config.simulatorPollMs !== undefined ? { pollMs: config.simulatorPollMs } : {}),
      ...(config.simulatorMaxReconcileRate !== undefined
        ? { maxReconcileRate: config.simulatorMaxReconcileRate }
        : {}),
    };
    if (launched) {
      simulatorThread = await launched.start({
        options: simulatorOptions,
        entries: catalogs.current().catalog.entries(),
      });
    } else {
      const { startSimulatedCluster } = await import('../simulator/index.js');
      simulator = await startSimulatedCluster({
        ...simulatorOptions,
        catalog: catalogs.current().catalog,
        logger,
      });
    }
    const simulated = simulatorThread ?? simulator!;
    simulatorUrl = simulated.url;
    cluster = simulated.client;
    clusterDescription = `simulated by envcat at ${simulated.url} (not a real Kubernetes cluster)`;
  }

  const render = renderOptions({
    workspaceApi: config.workspaceApi,
    providerConfig: config.providerConfig,
    argocd: { namespace: config.argocdNamespace, project: config.argocdProject },
    appsRepo: { url: config.appsRepoUrlForArgo ?? repoUrls.apps, revision: config.apps.branch },
  });
  const atBoundary = config.crashPoints && crashHook(config.crashPoints);
  if (atBoundary)
    logger.warn(
      { crashAt: [...config.crashPoints!.keys()] },
      'ENVCAT_CRASH_AT is set: this process kills itself at those step boundaries (a test hook)',
    );
  const engine = new Engine({
    catalog: catalogs,
    platform,
    apps,
    cluster,
    render,
    logger,
    identity: config.identity,
    namespace: config.engineNamespace,
    gitPollMs: config.gitPollMs,
    resyncMs: config.resyncMs,
    concurrency: config.reconcileWorkers,
    errorGraceMs: config.errorGraceMs,
    refreshAgainMs: config.refreshAgainMs,
    ...(atBoundary ? { atBoundary } : {}),
    leaseDurationMs: config.leaseDurationMs,
    ...(options.now ? { now: options.now } : {}),
  });
  const service = new EnvironmentService({
    engine,
    catalogs,
    platform,
    apps,
    cluster,
    render,
    logger,
    ...(atBoundary ? { atBoundary } : {}),
    notifyAllow: config.notify.allow,
    links: { ...(config.argocdUrl ? { argocdUrl: config.argocdUrl } : {}), repoWebUrls: config.repoWebUrls },
  });
  const metrics = new Metrics({
    environmentsByPhase: () => {
      const counts = new Map<string, number>();
      for (const e of service.list()) counts.set(e.phase, (counts.get(e.phase) ?? 0) + 1);
      return counts;
    },
    isLeader: () => engine.isLeader,
  });
  observeEngine(engine, metrics, options.now ?? Date.now);
  const notifier = new Notifier({
    post: webhookPost({ allow: config.notify.allow }),
    ...(config.notify.url ? { url: config.notify.url } : {}),
    ...(config.notify.secret ? { secret: config.notify.secret } : {}),
    isLeader: () => engine.isLeader,
    source: (name) => engine.environmentSource(name),
    parsed: (name, source) => engine.parser.documents.of(name, source),
    createdAt: (name) => engine.createdAtOf(name),
    logger,
    ...(options.notifyBackoff ? { backoff: options.notifyBackoff } : {}),
  });
  engine.on('status', (name, status) => notifier.status(name, status));
  engine.on('deleted', (name) => notifier.deleted(name));
  await engine.start();
  // An entry's parameter schema is compiled (ajv) at its first request, 0.1–0.5 s each on a loaded
  // machine, which a burst of creates just after a start waited on: compiled now, one a turn.
  const entries = catalogs.current().catalog.entries();
  const prepareNext = () => {
    const entry = entries.shift();
    if (!entry) return;
    prepareParameterValidation(entry);
    setImmediate(prepareNext);
  };
  setImmediate(prepareNext);

  const adminToken = config.adminToken ?? generateToken();
  const authenticator = new TokenAuthenticator([
    { name: 'admin', role: 'platform', token: adminToken },
    ...config.tokens,
  ]);
  const app = await createApiApp({
    service,
    authenticator,
    metrics,
    logger,
    runtime: {
      simulated: simulator !== undefined || simulatorThread !== undefined,
      clusterDescription,
      version: VERSION,
    },
    ...(options.uiDir ? { uiDir: options.uiDir } : {}),
  });
  await app.listen(config.port, config.host);
  const address = app.getHttpServer().address() as { port: number } | null;
  const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  const url = `http://${host}:${address?.port ?? config.port}`;
  logger.info(
    { url, cluster: clusterDescription, platformRepo: platform.displayUrl, appsRepo: apps.displayUrl },
    'envcat is up',
  );

  return {
    url,
    adminToken,
    generatedToken: config.adminToken === undefined,
    simulated: simulator !== undefined || simulatorThread !== undefined,
    engine,
    service,
    notifier,
    cluster,
    ...(simulator ? { simulator } : {}),
    ...(simulatorUrl ? { simulatorUrl } : {}),
    repoUrls,
    async stop() {
      await app.close();
      await engine.stop();
      notifier.stop();
      await Promise.all([platform.close(), apps.close()]);
      await simulator?.stop();
      await simulatorThread?.stop();
    },
  };
}

/** The two GitOps repos, synced: local bare ones under the data directory unless URLs are configured. */
async function setUpRepos(config: ServiceConfig, dataDir: string, logger: Logger) {
  const repoUrl = async (name: 'platform' | 'apps', url: string | undefined) => {
    if (url) return url;
    const path = join(dataDir, 'repos', `${name}.git`);
    await ensureBareRepo(path, { initialBranch: config[name].branch });
    return path;
  };
  const [platformUrl, appsUrl] = await Promise.all([
    repoUrl('platform', config.platform.url),
    repoUrl('apps', config.apps.url),
  ]);
  const repoUrls = { platform: platformUrl, apps: appsUrl };
  const gitLogger = logger.child({ component: 'git' });
  const repo = (name: 'platform' | 'apps') =>
    new GitRepo({
      name,
      url: repoUrls[name],
      branch: config[name].branch,
      workdir: join(dataDir, 'work', name),
      localWrites: config.gitLocalWrites,
      retry: config.gitRetry,
      keepCommitterReady: true,
      ...(config[name].credentials ? { credentials: config[name].credentials } : {}),
      logger: gitLogger,
    });
  const platform = repo('platform');
  const apps = repo('apps');
  await Promise.all([platform.sync(), apps.sync()]);
  return { repoUrls, platform, apps };
}

/** The engine's events into the metrics (README "Metrics"). */
function observeEngine(engine: Engine, metrics: Metrics, now: () => number): void {
  const environments = new EnvironmentMetrics({
    sink: {
      readyAfter: (entry, seconds) => metrics.readySeconds.observe({ entry }, seconds),
      stepFailed: (part, reason) => metrics.stepFailures.inc({ part, reason }),
    },
    isLeader: () => engine.isLeader,
    createdAt: (name) => {
      const created = engine.createdAtOf(name);
      return created === undefined ? undefined : Date.parse(created);
    },
    source: (name) => engine.environmentSource(name),
    now,
  });
  engine.on('status', (name, status) => environments.status(name, status));
  engine.on('deleted', (name) => environments.deleted(name));
  engine.on('committed', (event) => metrics.commits.inc({ repo: event.repo }));
  engine.on('reconciled', (_name, result) => metrics.reconcilePasses.inc({ result }));
  engine.on('refreshRequested', (outcome) => metrics.argocdRefreshes.inc(outcome));
  engine.on('syncRequested', (outcome) => metrics.argocdSyncs.inc(outcome));
}
