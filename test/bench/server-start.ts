/**
 * `npx tsx test/bench/server-start.ts [main.js …]`: how long the compiled server takes from its
 * spawn to its "envcat is running at" banner on the embedded default (local bare repos and the
 * simulated cluster on its thread), as test/support/server-process.ts starts it: on a fresh data
 * directory, then again on the one the first start left (a restart, what the kill -9 suites do
 * most). Prints the median and the fastest of ENVCAT_BENCH_STARTS runs (default 5) of each (on a
 * shared machine the fastest says more about the code, the median about what one waits).
 *
 * Without arguments it compiles this checkout (src/server/build.ts) into a folder of its own and
 * times that; given several compiled main.js files (another checkout's, say), it times them in
 * turn, run after run, so that a machine's changing load falls on each alike.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { compile } from '../../src/server/build.js';
import { packageRoot } from '../../src/install/index.js';
import { MALLOC_ENV } from '../../src/server/malloc-env.js';
import { freePort } from '../support/server-process.js';
import { median } from './measure.js';
import { integerSetting } from './sections.js';

const ROOT = packageRoot();

/** Spawns `main` on `dataDir` and resolves with the milliseconds to its banner, once it has exited. */
async function timeToBanner(main: string, dataDir: string): Promise<number> {
  const port = await freePort();
  const started = performance.now();
  const child = spawn(process.execPath, [main], {
    cwd: ROOT,
    env: {
      ...process.env,
      ...MALLOC_ENV,
      KUBECONFIG: '',
      PORT: String(port),
      ENVCAT_DATA_DIR: dataDir,
      ENVCAT_CATALOGS: join(ROOT, 'catalogs'),
      ENVCAT_ADMIN_TOKEN: 'server-start-bench-token-0123456789',
      ENVCAT_LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let output = '';
  const banner = new Promise<number>((resolveBanner, reject) => {
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes(`envcat is running at http://127.0.0.1:${port}`)) {
        resolveBanner(performance.now() - started);
        child.kill('SIGKILL');
      }
    });
    child.once('exit', (code, signal) =>
      reject(new Error(`exited ${signal ?? code} before its banner:\n${output}`)),
    );
  });
  const exited = new Promise((resolveExit) => child.once('exit', resolveExit));
  try {
    return await banner;
  } finally {
    await exited;
  }
}

const runs = integerSetting(process.env, 'ENVCAT_BENCH_STARTS', { fallback: 5, min: 1 });
let mains = process.argv.slice(2).map((main) => resolve(main));
let own: string | undefined;
if (mains.length === 0) {
  own = join(ROOT, 'dist', 'test', `server-start-${process.pid}`);
  await compile({ outdir: own });
  mains = [join(own, 'src', 'server', 'main.js')];
}
const times = mains.map(() => ({ fresh: [] as number[], restart: [] as number[] }));
try {
  for (let run = 0; run < runs; run++) {
    for (const [n, main] of mains.entries()) {
      const dataDir = await mkdtemp(join(tmpdir(), 'envcat-start-'));
      try {
        times[n]!.fresh.push(await timeToBanner(main, dataDir));
        times[n]!.restart.push(await timeToBanner(main, dataDir));
      } finally {
        await rm(dataDir, { recursive: true, force: true });
      }
    }
  }
} finally {
  if (own) await rm(own, { recursive: true, force: true });
}
const summary = (values: number[]) =>
  `median ${Math.round(median(values))} ms, fastest ${Math.round(Math.min(...values))} ms ` +
  `(${values.map((v) => Math.round(v)).join(' ')})`;
for (const [n, main] of mains.entries()) {
  const { fresh, restart } = times[n]!;
  process.stdout.write(
    `${main}\n  fresh data dir: ${summary(fresh)}\n  restart:        ${summary(restart)}\n`,
  );
}
