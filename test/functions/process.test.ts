/**
 * A stable interface (functions/README.md): `npm run function -- --insecure --address 127.0.0.1:<port>`
 * from the repository root starts the function's gRPC server, which answers RunFunction, and stops
 * cleanly on SIGTERM. Port 0 lets the OS pick a free port, which the log names: a port picked free
 * here beforehand could be taken by another process before the function binds it.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { REPO_ROOT } from '../support/examples.js';
import { desiredResources, functionClient, request, responseJson, waitForServer } from './support.js';
import { waitFor } from '../support/envcat.js';
import { EXIT_WITH_PARENT } from '../support/exit-with-parent.js';

/** Resolves once the process has exited and every process sharing its stdout and stderr has too. */
function closed(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('close', () => resolve());
  });
}

describe('npm run function', () => {
  let child: ChildProcess | undefined;
  let output = '';

  afterAll(async () => {
    // The whole process group: npm, the shell and node under it.
    if (child?.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      process.kill(-child.pid, 'SIGKILL');
      await closed(child);
    }
  });

  it('serves RunFunction on the address it logs with --insecure, and stops on SIGTERM', async () => {
    // GIVEN the function started the documented way, on a port the OS picks
    child = spawn('npm', ['run', '--silent', 'function', '--', '--insecure', '--address', '127.0.0.1:0'], {
      cwd: REPO_ROOT,
      // npm leads the group, and it and the node processes under it end with this one (exit-with-parent.ts)
      env: {
        ...process.env,
        NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} ${EXIT_WITH_PARENT.join('=')}`.trim(),
      },
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    // …which it names in its log (the SDK's structured log line, with the bound port for the 0)
    const address = await waitFor(
      'the function to say where it listens',
      () => /listening on (127\.0\.0\.1:[1-9]\d*)"/.exec(output)?.[1],
      { timeoutMs: 20_000 },
    ).catch((error: unknown) => {
      throw new Error(`the function did not start: ${String(error)}\n${output}`);
    });
    await waitForServer(address, 20_000).catch((error: unknown) => {
      throw new Error(`the function does not answer on ${address}: ${String(error)}\n${output}`);
    });

    // WHEN a real client sends a RunFunctionRequest for a new Environment
    const client = functionClient(address);
    try {
      const rsp = await client.run(
        request({
          xr: {
            apiVersion: 'platform.envcat.io/v1alpha1',
            kind: 'Environment',
            metadata: { name: 'qa-storage', namespace: 'qa-storage' },
            spec: { type: 'pre-release', catalogs: [{ name: 'artefacts', entry: 's3-bucket' }] },
          },
        }),
      );
      // THEN it answers with phase 1: the bucket's Workspace
      expect(Object.keys(desiredResources(rsp)).sort()).toEqual([
        'env-networkpolicy-envcat-isolate-namespace',
        'infra-artefacts',
      ]);
      expect(responseJson(rsp).results ?? []).toEqual([]);
    } finally {
      client.close();
    }
    // WHEN it gets SIGTERM (npm passes it on) THEN the server shuts down gracefully and exits
    const running = child;
    process.kill(-(running.pid as number), 'SIGTERM');
    await closed(running);
    expect(output).toContain('server shut down');
    await expect(waitForServer(address, 500)).rejects.toBeDefined();
  });

  it('exits 1 naming the error when it cannot listen on its address', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = taken.address() as AddressInfo;
      const run = promisify(execFile)(
        'npm',
        ['run', '--silent', 'function', '--', '--insecure', '--address', `127.0.0.1:${port}`],
        { cwd: REPO_ROOT, timeout: 30_000 },
      );
      await expect(run).rejects.toMatchObject({
        code: 1,
        stdout: expect.stringMatching(new RegExp(`server bind error: .*EADDRINUSE.*127\\.0\\.0\\.1:${port}`)),
      });
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });

  it('prints its flags for --help, and refuses an unknown flag with exit code 2', async () => {
    const run = (...args: string[]) =>
      promisify(execFile)('npm', ['run', '--silent', 'function', '--', ...args], { cwd: REPO_ROOT });
    const help = await run('--help');
    expect(help.stdout).toMatch(/^Usage: function-envcat \[flags\]$/m);
    expect(help.stdout).toMatch(
      /^ +--address <value> +Address to listen for gRPC connections\. Default 0\.0\.0\.0:9443\.$/m,
    );
    await expect(run('--nope')).rejects.toMatchObject({
      code: 2,
      stderr:
        "function-envcat: Unknown option '--nope'\nTry 'function-envcat --help' for the available flags.\n",
    });
  });
});
