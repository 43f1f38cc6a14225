/**
 * Starts the embedded default's simulated cluster on a worker thread (src/simulator/worker.ts)
 * and answers a client on its API server, as compose.ts answers the inline one. The worker's file
 * sits beside the compiled server (dist/) or, run through tsx, is its TypeScript source.
 */
import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import { ExternalError, type CatalogEntry } from '../core/index.js';
import { KubeClusterClient } from '../cluster/index.js';
import type { SimulatedClusterOptions } from '../simulator/simulated-cluster.js';
import type { SimulatorThreadData, SimulatorThreadMessage } from '../simulator/worker.js';

export interface SimulatorThread {
  url: string;
  client: KubeClusterClient;
  stop(): Promise<void>;
}

export async function startSimulatorThread(args: {
  options: Omit<SimulatedClusterOptions, 'logger' | 'catalog'>;
  entries: readonly CatalogEntry[];
  logLevel: string;
  logger: Logger;
}): Promise<SimulatorThread> {
  const typescript = import.meta.url.endsWith('.ts');
  const file = new URL(`../simulator/worker.${typescript ? 'ts' : 'js'}`, import.meta.url);
  const workerData: SimulatorThreadData = {
    options: args.options,
    entries: [...args.entries],
    logLevel: args.logLevel,
  };
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
  const next = () =>
    new Promise<SimulatorThreadMessage>((resolve, reject) => {
      const onError = (error: Error) => reject(error);
      worker.once('error', onError);
      worker.once('message', (message: SimulatorThreadMessage) => {
        worker.off('error', onError);
        resolve(message);
      });
    });
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
  worker.on('error', (error) =>
    args.logger.error({ err: { message: error.message } }, 'the simulated cluster thread failed'),
  );
  const { url } = first.started;
  return {
    url,
    client: KubeClusterClient.forServer({ url }),
    async stop() {
      const stopped = next();
      worker.postMessage('stop');
      await stopped.catch(() => undefined);
      await worker.terminate();
    },
  };
}
