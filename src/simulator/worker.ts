/**
 * The simulated cluster on a thread of its own (`ENVCAT_SIMULATOR_THREAD`, on by default for
 * `npm start`): its API server and controllers get an event loop of their own, as a real cluster
 * is a process of its own, so a burst of requests to the service does not wait behind the
 * simulated controllers' work (and the other way round). It dies with the process, kill -9
 * included, as the inline one does. Started by src/server/simulator-thread.ts, which is the only
 * user: it launches the thread early, so that its modules load while the service loads the
 * catalog, and sends the cluster's options and catalog in a `start` message; the URL goes back as
 * the answer.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { pino } from 'pino';
import { Catalog, type CatalogEntry } from '../core/index.js';
import {
  startSimulatedCluster,
  type SimulatedCluster,
  type SimulatedClusterOptions,
} from './simulated-cluster.js';

export interface SimulatorThreadData {
  logLevel: string;
}

export type SimulatorThreadRequest =
  | {
      start: {
        options: Omit<SimulatedClusterOptions, 'logger' | 'catalog'>;
        /** The catalog's entries (structured-cloned: the Catalog is built again here). */
        entries: CatalogEntry[];
      };
    }
  | 'stop';

export type SimulatorThreadMessage = { started: { url: string } } | { failed: string } | { stopped: true };

const port = parentPort;
if (!port) throw new Error('src/simulator/worker.ts runs as a worker thread only');
const { logLevel } = workerData as SimulatorThreadData;
const logger = pino({ level: logLevel, base: { service: 'envcat', thread: 'simulator' } });
const reply = (message: SimulatorThreadMessage) => port.postMessage(message);

async function start(request: Extract<SimulatorThreadRequest, { start: unknown }>['start']) {
  try {
    const cluster = await startSimulatedCluster({
      ...request.options,
      catalog: new Catalog(request.entries),
      logger,
    });
    reply({ started: { url: cluster.url } });
    return cluster;
  } catch (error) {
    reply({ failed: error instanceof Error ? error.message : String(error) });
    return undefined;
  }
}

let started: Promise<SimulatedCluster | undefined> | undefined;
port.on('message', (request: SimulatorThreadRequest) => {
  if (request !== 'stop') started ??= start(request.start);
  else
    void (started ?? Promise.resolve(undefined)).then(async (cluster) => {
      await cluster?.stop();
      reply({ stopped: true });
    });
});
