/**
 * A worker thread running one of envcat's modules: the compiled `.js` beside the caller's chunk
 * (dist/), or, run from source (tsx, jest), the `.ts` file through tsx's loader, which the thread
 * registers before it imports the module: Node 20 does not apply `--import` hooks to a worker's
 * entry module.
 *
 * `path` is relative to src/ (`gitops/repo-thread`): the callers sit one folder below src/ in the
 * source and in the bundle (dist/src/<room>/ or dist/src/chunks/), so `../<path>` reaches it from both.
 */
import { SHARE_ENV, Worker, type WorkerOptions } from 'node:worker_threads';

export function startWorkerThread(
  callerUrl: string,
  path: string,
  options: Pick<WorkerOptions, 'workerData'> & { shareEnv?: boolean } = {},
): Worker {
  const typescript = callerUrl.endsWith('.ts');
  const file = new URL(`../${path}.${typescript ? 'ts' : 'js'}`, callerUrl);
  const workerOptions: WorkerOptions = {
    workerData: options.workerData,
    ...(options.shareEnv ? { env: SHARE_ENV } : {}),
  };
  return typescript
    ? new Worker(
        // (resolved from the working directory, the package root, as tests and `tsx` run envcat)
        `import('tsx/esm/api')` +
          `.then((tsx) => { tsx.register(); return import(${JSON.stringify(file.href)}); })`,
        { ...workerOptions, eval: true },
      )
    : new Worker(file, workerOptions);
}
