/**
 * A stable interface (functions/README.md): `npm run function -- --insecure --address 127.0.0.1:<port>`
 * from the repository root starts the function's gRPC server, which answers RunFunction, and stops
 * cleanly on SIGTERM.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { REPO_ROOT } from '../support/examples.js';
import { desiredResources, functionClient, request, responseJson, waitForServer } from './support.js';
import { freePort } from '../support/server-process.js';
import { EXIT_WITH_PARENT } from '../support/exit-with-parent.js';

/** A port nothing listens on right now (the OS picks it). */
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

  it('serves RunFunction on the given address with --insecure, and stops on SIGTERM', async () => {
    // GIVEN the function started the documented way, on a free port
    const address = `127.0.0.1:${await freePort()}`;
    child = spawn('npm', ['run', '--silent', 'function', '--', '--insecure', '--address', address], {
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
    await waitForServer(address, 20_000).catch((error: unknown) => {
      throw new Error(`the function did not start: ${String(error)}\n${output}`);
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
    // AND it logged that it listens there (the SDK's structured log)
    expect(output).toContain(`listening on ${address}`);

    // WHEN it gets SIGTERM (npm passes it on) THEN the server shuts down gracefully and exits
    const running = child;
    process.kill(-(running.pid as number), 'SIGTERM');
    await closed(running);
    expect(output).toContain('server shut down');
    await expect(waitForServer(address, 500)).rejects.toBeDefined();
  });
});
