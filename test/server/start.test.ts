/**
 * `npm start` as a newcomer runs it (compile to dist/, then run the compiled server): no kubeconfig,
 * no configuration. It must come up on the
 * embedded default (local bare repos, the simulated cluster, the web UI), say that the cluster is
 * simulated, print a usable admin token, and stop cleanly on SIGTERM.
 */
import { jest } from '@jest/globals';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MALLOC_ENV } from '../../src/server/malloc-env.js';
import { REPO_ROOT } from '../support/examples.js';
import { waitFor } from '../support/envcat.js';
import { freePort } from '../support/server-process.js';
import { EXIT_WITH_PARENT } from '../support/exit-with-parent.js';

jest.setTimeout(180_000);

it('starts the service on the embedded default and says the cluster is simulated', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'envcat-start-'));
  const port = await freePort();
  const { ENVCAT_ADMIN_TOKEN: _unset, KUBECONFIG: _none, ...env } = process.env;
  // The two steps of `npm start` (package.json), without npm in between for the signals.
  const build = spawnSync(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'src/server/build.ts')], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
  });
  expect(build.stderr).toMatch(/compiled src to dist\//);
  expect(build.status).toBe(0);
  const child = spawn(process.execPath, [...EXIT_WITH_PARENT, join(REPO_ROOT, 'dist/src/server/main.js')], {
    detached: true,
    cwd: REPO_ROOT,
    env: { ...env, ...MALLOC_ENV, PORT: String(port), ENVCAT_DATA_DIR: dir, ENVCAT_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  try {
    const token = await waitFor(
      'the start banner',
      () => {
        if (child.exitCode !== null) throw new Error(`exited ${child.exitCode}:\n${output}`);
        return /admin token:\s+(\S+)\s+\(generated/.exec(output)?.[1];
      },
      { timeoutMs: 150_000, intervalMs: 100 },
    );
    expect(output).toContain(`envcat is running at http://127.0.0.1:${port}`);
    expect(output).toMatch(/cluster: SIMULATED .*not a real cluster/);
    expect(existsSync(join(dir, 'repos', 'platform.git', 'HEAD'))).toBe(true);
    expect(existsSync(join(dir, 'repos', 'apps.git', 'HEAD'))).toBe(true);

    const health = (await (await fetch(`http://127.0.0.1:${port}/healthz`)).json()) as Record<
      string,
      unknown
    >;
    expect(health).toMatchObject({ status: 'ok', cluster: 'simulated' });
    const catalogs = await fetch(`http://127.0.0.1:${port}/api/v1/catalogs`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(catalogs.status).toBe(200);
    const page = await fetch(`http://127.0.0.1:${port}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toMatch(/<div id="root">|<div id="app">|<!doctype html>/i);
    // (the API docs and their files, which @nestjs/swagger, bundled in, finds in node_modules)
    const docs = await fetch(`http://127.0.0.1:${port}/api/openapi.json`);
    expect(((await docs.json()) as { openapi?: string }).openapi).toMatch(/^3\./);
    const swaggerUi = await fetch(`http://127.0.0.1:${port}/api/docs/swagger-ui.css`);
    expect([swaggerUi.status, (await swaggerUi.text()).length > 1000]).toEqual([200, true]);
  } finally {
    child.kill('SIGTERM');
    const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    await rm(dir, { recursive: true, force: true });
    expect(code).toBe(0);
  }
});
