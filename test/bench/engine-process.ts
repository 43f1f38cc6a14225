/**
 * The engine process of the engine benchmarks (see engine-host.ts):
 * `node --import tsx test/bench/engine-process.ts <service|instrumented> <kubeconfig>`, or
 * `… engine-process.ts embedded` (the embedded default, as `npm start` without a kubeconfig), configured
 * by the same ENVCAT_* variables as `npm start`, driven over the IPC channel. It stops on SIGTERM
 * or when the benchmark goes away.
 */
import { writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';
import { loadCatalog } from '../../src/catalog-source/index.js';
import { KubeClusterClient } from '../../src/cluster/index.js';
import { InputError, renderOptions } from '../../src/core/index.js';
import { CatalogStore } from '../../src/engine/catalog-store.js';
import { Engine } from '../../src/engine/engine.js';
import { EnvironmentService } from '../../src/engine/service.js';
import { GitRepo } from '../../src/gitops/index.js';
import { loadConfig, type ServiceConfig } from '../../src/server/config.js';
import { createLogger, startEnvcat } from '../../src/server/compose.js';
import {
  sendToParent as send,
  type EngineMode,
  type EngineRequest,
  type PhaseSummary,
  type RequestMessage,
} from './engine-host.js';
import { TimedCluster, TimedGitRepo, clock, discardingLogger, waitUntil } from './engine-support.js';

interface Host {
  engine: Engine;
  service: EnvironmentService;
  timings?: () => unknown;
  stop(): Promise<void>;
}

/** startEnvcat's composition, with the Git and cluster ports timed and no HTTP layer. */
async function startInstrumented(config: ServiceConfig): Promise<Host> {
  const logger = discardingLogger(config.logLevel);
  const loaded = await loadCatalog(config.catalogDirs);
  if (loaded.problems.length > 0)
    throw new InputError(loaded.problems, { message: 'the catalog is invalid' });
  const repo = (name: 'platform' | 'apps') => {
    const url = config[name].url;
    if (!url) throw new InputError([{ path: `/ENVCAT_${name.toUpperCase()}_REPO`, message: 'is required' }]);
    return new TimedGitRepo(
      new GitRepo({
        name,
        url,
        branch: config[name].branch,
        workdir: `${config.dataDir}/work/${name}`,
        localWrites: config.gitLocalWrites,
        keepCommitterReady: true,
        logger: logger.child({ component: 'git' }),
      }),
    );
  };
  const platform = repo('platform');
  const apps = repo('apps');
  await Promise.all([platform.sync(), apps.sync()]);
  const catalogs = new CatalogStore({ builtIn: loaded.entries, repo: platform, logger });
  await catalogs.load();
  const cluster = new TimedCluster(KubeClusterClient.fromKubeconfig(config.kubeconfig));
  const render = renderOptions({
    workspaceApi: config.workspaceApi,
    providerConfig: config.providerConfig,
    argocd: { namespace: config.argocdNamespace, project: config.argocdProject },
    appsRepo: { url: config.appsRepoUrlForArgo ?? config.apps.url!, revision: config.apps.branch },
  });
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
    leaseDurationMs: config.leaseDurationMs,
  });
  const service = new EnvironmentService({ engine, catalogs, platform, apps, cluster, render, logger });
  await engine.start();
  return {
    engine,
    service,
    timings: () => ({
      git: [...platform.calls, ...apps.calls],
      cluster: cluster.calls,
      seenAvailable: cluster.seenAvailable,
    }),
    stop: () => engine.stop(),
  };
}

function phases(host: Host, names: string[]): PhaseSummary {
  const counts: Record<string, number> = {};
  const problems: PhaseSummary['problems'] = [];
  const waiting: PhaseSummary['waiting'] = [];
  for (const name of names) {
    const status = host.engine.status(name);
    const phase = status?.phase ?? 'Unknown';
    counts[phase] = (counts[phase] ?? 0) + 1;
    if ((phase === 'Failed' || phase === 'Invalid') && problems.length < 5)
      problems.push({ name, phase, message: status?.message ?? '' });
    else if (phase !== 'Ready' && waiting.length < 3)
      waiting.push({
        name,
        phase,
        steps: (status?.steps ?? [])
          .filter((s) => s.phase !== 'Ready')
          .map((s) => `${s.instance}/${s.part}: ${s.phase} ${s.reason} ${s.message}`),
      });
  }
  return { counts, problems, waiting };
}

let profiler: Session | undefined;

const loopDelay = monitorEventLoopDelay({ resolution: 10 });
loopDelay.enable();

async function answer(host: Host, request: EngineRequest): Promise<unknown> {
  switch (request.op) {
    case 'clock':
      return clock();
    case 'create':
      await Promise.all(
        request.documents.map((document) => host.service.create(document, { name: 'bench' })),
      );
      return request.documents.length;
    case 'phases':
      return phases(host, request.names);
    case 'memory': {
      if (request.gc) {
        const gc = (globalThis as { gc?: () => void }).gc;
        if (!gc) throw new Error('a collection was asked for, but the process runs without --expose-gc');
        gc();
      }
      return {
        memoryUsage: process.memoryUsage(),
        cpuUsage: process.cpuUsage(),
        heap: getHeapStatistics(),
        eventLoopUtilization: performance.eventLoopUtilization(),
      };
    }
    case 'timings':
      return host.timings?.() ?? { git: [], cluster: [], seenAvailable: {} };
    case 'profile': {
      if (request.action === 'start') {
        profiler ??= new Session();
        profiler.connect();
        await profiler.post('Profiler.enable');
        await profiler.post('Profiler.setSamplingInterval', { interval: 500 });
        await profiler.post('Profiler.start');
        return true;
      }
      if (!profiler) throw new Error('no profile was started');
      const { profile } = await profiler.post('Profiler.stop');
      profiler.disconnect();
      await writeFile(request.path, JSON.stringify(profile));
      return request.path;
    }
    case 'loop': {
      const report = {
        utilization: performance.eventLoopUtilization(),
        delayP99Ms: loopDelay.percentile(99) / 1e6,
        delayMaxMs: loopDelay.max / 1e6,
      };
      loopDelay.reset();
      return report;
    }
  }
}

async function main(): Promise<void> {
  const [mode, kubeconfig] = process.argv.slice(2) as [EngineMode | undefined, string | undefined];
  const usage = (mode === 'embedded') === (kubeconfig === undefined);
  if ((mode !== 'service' && mode !== 'instrumented' && mode !== 'embedded') || !usage)
    throw new InputError([
      {
        path: '/argv',
        message: 'usage: engine-process.ts <service|instrumented> <kubeconfig> | engine-process.ts embedded',
      },
    ]);
  const config = loadConfig(process.env, kubeconfig ? { kubeconfig } : {});
  if (mode === 'embedded' && (config.kubeconfig || config.inCluster))
    throw new InputError([
      {
        path: '/env',
        message: 'embedded runs on the simulated cluster: unset KUBECONFIG and ENVCAT_IN_CLUSTER',
      },
    ]);
  let host: Host;
  let served: { url?: string; clusterUrl?: string } = {};
  if (mode === 'service' || mode === 'embedded') {
    const envcat = await startEnvcat(config, { logger: createLogger(config.logLevel) });
    host = { engine: envcat.engine, service: envcat.service, stop: () => envcat.stop() };
    served = { url: envcat.url, ...(envcat.simulatorUrl ? { clusterUrl: envcat.simulatorUrl } : {}) };
  } else {
    host = await startInstrumented(config);
  }
  let stopping = false;
  const shutdown = () => {
    if (stopping) return;
    stopping = true;
    host.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', shutdown);
  process.on('disconnect', shutdown);
  host.engine.on('committed', (event) =>
    send({
      type: 'committed',
      environment: event.environment,
      repo: event.repo,
      sha: event.sha,
      message: event.message,
      at: clock(),
    }),
  );
  process.on('message', (message: RequestMessage) => {
    if (message?.type !== 'request') return;
    answer(host, message.request).then(
      (value) => send({ type: 'reply', id: message.id, ok: true, value }),
      (error: unknown) =>
        send({
          type: 'reply',
          id: message.id,
          ok: false,
          error: error instanceof Error ? error.message : String(error),
        }),
    );
  });
  await waitUntil('leadership', () => host.engine.isLeader || undefined, {
    timeoutMs: 60_000,
    intervalMs: 20,
  });
  send({ type: 'ready', ...served });
}

main().catch((error: unknown) => {
  const text =
    error instanceof InputError ? `${error.message}: ${JSON.stringify(error.problems)}` : String(error);
  send({ type: 'fatal', error: text });
  process.exitCode = 1;
  setTimeout(() => process.exit(1), 100).unref();
});
