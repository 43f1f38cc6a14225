/**
 * Starts the embedded default's simulated cluster on a worker thread (src/simulator/worker.ts)
 * and answers a client on its API server, as compose.ts answers the inline one. The worker's file
 * sits beside the compiled server (dist/) or, run through tsx, is its TypeScript source.
 *
 * The thread is launched first and started later: it loads its modules while this one loads the
 * catalog it is then handed.
 */
import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import { ExternalError, type CatalogEntry } from '../core/index.js';
import { KubeClusterClient } from '../cluster/index.js';
import type { SimulatedClusterOptions } from '../simulator/simulated-cluster.js';
import type {
  SimulatorThreadData,
  SimulatorThreadMessage,
  SimulatorThreadRequest,
} from '../simulator/worker.js';

export interface SimulatorThread {
  url: string;
  client: KubeClusterClient;
  stop(): Promise<void>;
}

export interface LaunchedSimulatorThread {
  /** Hands the thread its cluster's options and catalog; resolves once its API server serves. */
  start(args: {
    options: Omit<SimulatedClusterOptions, 'logger' | 'catalog'>;
    entries: readonly CatalogEntry[];
  }): Promise<SimulatorThread>;
  /** Ends a thread that will not be started (what was to precede its start failed). */
  abandon(): Promise<void>;
}

export function launchSimulatorThread(args: { logLevel: string; logger: Logger }): LaunchedSimulatorThread {
  const typescript = import.meta.url.endsWith('.ts');
  const file = new URL(`../simulator/worker.${typescript ? 'ts' : 'js'}`, import.meta.url);
  const workerData: SimulatorThreadData = { logLevel: args.logLevel };
  // Run from source (tsx), the worker registers tsx's loader before it loads the worker's .ts file:
  // Node 20 does not apply `--import` hooks to a worker's entry module.
  const worker = typescript
    ? new Worker(
        // (resolved from the working directory, the package root, as tests and `tsx` run envcat)
        `import('tsx/esm/api')` +
          `.then((tsx) => { tsx.register(); return import(${JSON.stringify(file.href)}); })`,
        { eval: true, workerData },
      )
    : new Worker(file, { workerData });

  // What the thread says, and how it fails or ends, kept from its launch on for whoever waits next.
  const inbox: Array<SimulatorThreadMessage | Error> = [];
  let wake: (() => void) | undefined;
  let serving = false;
  const deliver = (item: SimulatorThreadMessage | Error) => {
    inbox.push(item);
    wake?.();
  };
  worker.on('message', (message: SimulatorThreadMessage) => deliver(message));
  worker.on('error', (error) => {
    if (serving)
      args.logger.error({ err: { message: error.message } }, 'the simulated cluster thread failed');
    deliver(error);
  });
  worker.on('exit', (code) => deliver(new Error(`the thread exited (${code})`)));
  const next = async (): Promise<SimulatorThreadMessage> => {
    while (inbox.length === 0) await new Promise<void>((resolve) => (wake = resolve));
    const item = inbox.shift()!;
    if (item instanceof Error) throw item;
    return item;
  };
  const send = (request: SimulatorThreadRequest) => worker.postMessage(request);

  return {
    async start({ options, entries }) {
      send({ start: { options, entries: [...entries] } });
      const first = await next().catch((error: unknown) => {
        throw new ExternalError(`the simulated cluster's thread did not start: ${(error as Error).message}`, {
          cause: error,
        });
      });
      if (!('started' in first)) {
        await worker.terminate();
        throw new ExternalError(
          `the simulated cluster did not start: ${'failed' in first ? first.failed : 'no answer'}`,
        );
      }
      serving = true;
      const { url } = first.started;
      return {
        url,
        client: KubeClusterClient.forServer({ url }),
        async stop() {
          send('stop');
          await next().catch(() => undefined);
          await worker.terminate();
        },
      };
    },
    async abandon() {
      await worker.terminate();
    },
  };
}
