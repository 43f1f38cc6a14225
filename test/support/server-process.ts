/**
 * envcat as `npm start` runs it, in a child process, for tests that kill it: the compiled server
 * (`SERVER_MAIN`, built by `buildServer`) on the embedded default, on a data
 * directory the test owns, so a second start finds what the first left on disk.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { stop as stopEsbuild } from 'esbuild';
import { compile } from '../../src/server/build.js';
import { MALLOC_ENV } from '../../src/server/malloc-env.js';
import { CATALOGS, REPO_ROOT } from './examples.js';
import { waitFor } from './envcat.js';
import { EXIT_WITH_PARENT } from './exit-with-parent.js';

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

/**
 * Where this test process compiled the server: a folder of its own under dist/, so that test files
 * running at the same time in other jest workers (and test/server/start.test.ts, which compiles to
 * dist/src as `npm start` does) never run a server out of a folder another one is rewriting.
 */
const OUTDIR = join(REPO_ROOT, 'dist', 'test', `server-${process.pid}`);

/** The compiled server's entry point, once `buildServer` has run. */
export const SERVER_MAIN = join(OUTDIR, 'src', 'server', 'main.js');

/** Compiles the server as `npm start` does (src/server/build.ts), into this process's own folder. */
export async function buildServer(): Promise<void> {
  await compile({ outdir: OUTDIR });
}

/**
 * Removes what `buildServer` compiled (a test file's afterAll; the next one builds again), and ends
 * esbuild's service process: each test file loads esbuild anew, and each one's service would run
 * as long as the worker.
 */
export async function removeServerBuild(): Promise<void> {
  await stopEsbuild();
  await rm(OUTDIR, { recursive: true, force: true });
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
  /** A process that exits before it serves (a crash hook firing early) is returned, not an error. */
  mayExitEarly?: boolean;
}): Promise<ServerProcess> {
  // It ends with this process (test/support/exit-with-parent.ts); kill9 still kills only it, as a
  // crash would, and its git processes end as their input closes.
  const child = spawn(process.execPath, [...EXIT_WITH_PARENT, SERVER_MAIN], {
    detached: true,
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
  try {
    await waitFor(
      'the start banner',
      () => {
        if (child.exitCode !== null || child.signalCode !== null) {
          if (args.mayExitEarly) return true;
          throw new Error(`exited ${child.exitCode ?? child.signalCode}:\n${output}`);
        }
        return output.includes(`envcat is running at http://127.0.0.1:${args.port}`) ? true : undefined;
      },
      { timeoutMs: 120_000, intervalMs: 100 },
    );
  } catch (error) {
    // Nobody else knows of it yet (a slow start on a loaded machine): it must not run on.
    await killGroup(child, exited);
    throw error;
  }
  const clusterUrl = /"url":"(http:\/\/127\.0\.0\.1:\d+)"[^\n]*simulated cluster \(not a real/.exec(
    output,
  )?.[1];
  if (!clusterUrl && !args.mayExitEarly) {
    await killGroup(child, exited);
    throw new Error(`no simulated cluster URL in the log:\n${output}`);
  }
  return { child, port: args.port, output: () => output, clusterUrl: clusterUrl ?? '', exited };
}

/** SIGKILL to the server and what it started (its process group), and waits for it to exit. */
async function killGroup(child: ChildProcessWithoutNullStreams, exited: Promise<unknown>): Promise<void> {
  try {
    process.kill(-child.pid!, 'SIGKILL');
  } catch {
    // gone already
  }
  await exited;
}

export async function kill9(running: ServerProcess): Promise<void> {
  if (running.child.exitCode === null && running.child.signalCode === null) running.child.kill('SIGKILL');
  await running.exited;
}
