/**
 * The simulated cluster on a thread of its own (`ENVCAT_SIMULATOR_THREAD`, on by default for
 * `npm start`): its API server and controllers get an event loop of their own, as a real cluster
 * is a process of its own, so a burst of requests to the service does not wait behind the
 * simulated controllers' work (and the other way round). It dies with the process, kill -9
 * included, as the inline one does. Started by src/server/simulator-thread.ts, which is the only
 * user; the options arrive as workerData, the URL goes back as the first message.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { pino } from 'pino';
import { Catalog, type CatalogEntry } from '../core/index.js';
import { startSimulatedCluster, type SimulatedClusterOptions } from './simulated-cluster.js';

export interface SimulatorThreadData {
  options: Omit<SimulatedClusterOptions, 'logger' | 'catalog'>;
  /** The catalog's entries (structured-cloned: the Catalog is built again here). */
  entries: CatalogEntry[];
  logLevel: string;
}

export type SimulatorThreadMessage = { started: { url: string } } | { failed: string } | { stopped: true };

const port = parentPort;
if (!port) throw new Error('src/simulator/worker.ts runs as a worker thread only');
const data = workerData as SimulatorThreadData;
const logger = pino({ level: data.logLevel, base: { service: 'envcat', thread: 'simulator' } });
try {
  const cluster = await startSimulatedCluster({
    ...data.options,
    catalog: new Catalog(data.entries),
    logger,
  });
  port.on('message', (message: unknown) => {
    if (message !== 'stop') return;
    void cluster.stop().then(() => port.postMessage({ stopped: true } satisfies SimulatorThreadMessage));
  });
  port.postMessage({ started: { url: cluster.url } } satisfies SimulatorThreadMessage);
} catch (error) {
  port.postMessage({
    failed: error instanceof Error ? error.message : String(error),
  } satisfies SimulatorThreadMessage);
}
