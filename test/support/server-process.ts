/**
 * envcat as `npm start` runs it, in a child process, for tests that kill it: the compiled server
 * (`dist/src/server/main.js`, built by `buildServer`) on the embedded default, on a data
 * directory the test owns, so a second start finds what the first left on disk.
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { MALLOC_ENV } from '../../src/server/malloc-env.js';
import { CATALOGS, REPO_ROOT } from './examples.js';
import { waitFor } from './envcat.js';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

/** Compiles the server as `npm start` does; throws with the build's output when it fails. */
export function buildServer(): void {
  const build = spawnSync(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'src/server/build.ts')], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
  });
  if (build.status !== 0) throw new Error(`the server build failed:\n${build.stdout}\n${build.stderr}`);
}

export interface ServerProcess {
  child: ChildProcessWithoutNullStreams;
  port: number;
  /** Everything it wrote to stdout and stderr so far. */
  output: () => string;
  /** The simulated API server's URL, from the log. */
  clusterUrl: string;
  /** Resolves with the signal (or exit code) once the process has exited. */
  exited: Promise<NodeJS.Signals | number | null>;
}

/** Starts the compiled server on `dir` and `port`; resolves once it serves. */
export async function startServer(args: {
  dir: string;
  port: number;
  token: string;
  env?: Record<string, string>;
}): Promise<ServerProcess> {
  const child = spawn(process.execPath, [join(REPO_ROOT, 'dist/src/server/main.js')], {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      ...MALLOC_ENV,
      KUBECONFIG: '',
      PORT: String(args.port),
      ENVCAT_DATA_DIR: args.dir,
      ENVCAT_CATALOGS: CATALOGS,
      ENVCAT_ADMIN_TOKEN: args.token,
      ENVCAT_SIMULATOR_DELAY: '300ms',
      ENVCAT_GIT_POLL: '300ms',
      ENVCAT_LOG_LEVEL: 'info',
      ...args.env,
    },
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<NodeJS.Signals | number | null>((resolve) =>
    child.once('exit', (code, signal) => resolve(signal ?? code)),
  );
  await waitFor(
    'the start banner',
    () => {
      if (child.exitCode !== null || child.signalCode !== null)
        throw new Error(`exited ${child.exitCode ?? child.signalCode}:\n${output}`);
      return output.includes(`envcat is running at http://127.0.0.1:${args.port}`) ? true : undefined;
    },
    { timeoutMs: 120_000, intervalMs: 100 },
  );
  const clusterUrl = /"url":"(http:\/\/127\.0\.0\.1:\d+)"[^\n]*simulated cluster \(not a real/.exec(
    output,
  )?.[1];
  if (!clusterUrl) throw new Error(`no simulated cluster URL in the log:\n${output}`);
  return { child, port: args.port, output: () => output, clusterUrl, exited };
}

export async function kill9(running: ServerProcess): Promise<void> {
  if (running.child.exitCode === null && running.child.signalCode === null) running.child.kill('SIGKILL');
  await running.exited;
}
