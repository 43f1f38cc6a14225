/**
 * The embedded default's simulated cluster on a thread of its own (ENVCAT_SIMULATOR_THREAD, on
 * for `npm start`): environments provision through it as through the inline one, its API server
 * answers while the service's event loop is busy (it has a loop of its own, as a real cluster is
 * a process of its own), and stopping the service stops it.
 */
import { jest } from '@jest/globals';
import { spawn } from 'node:child_process';
import { exampleText, parse, startTestEnvcat, waitFor, type TestEnvcat } from '../support/envcat.js';

jest.setTimeout(120_000);

let envcat: TestEnvcat | undefined;
afterAll(async () => {
  await envcat?.close();
});

/** The seconds curl took for a request to `url`, started now. */
function timedRequest(url: string): Promise<{ seconds: number; status: string }> {
  return new Promise((resolve, reject) => {
    const curl = spawn('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code} %{time_total}', url]);
    let out = '';
    curl.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    curl.on('error', reject);
    curl.on('close', () => {
      const [status = '', seconds = 'NaN'] = out.trim().split(' ');
      resolve({ status, seconds: Number(seconds) });
    });
  });
}

it('provisions through a simulated cluster on its own thread, which answers while the service is busy, and stops with it', async () => {
  envcat = await startTestEnvcat({ env: { ENVCAT_SIMULATOR_THREAD: '1' } });
  expect(envcat.simulated).toBe(true);
  expect(envcat.simulator).toBeUndefined(); // not in this thread
  const health = await envcat.api<{ clusterDescription: string }>('GET', '/healthz');
  const clusterUrl = /simulated by envcat at (http:\/\/[^ ]+)/.exec(health.body.clusterDescription)?.[1];
  expect(clusterUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

  // WHEN an environment is created THEN it gets Ready through the threaded cluster
  const document = parse(await exampleText('sample-app', 'dev-feature-auth.yaml'));
  expect((await envcat.api('POST', '/api/v1/environments', document)).status).toBe(201);
  await waitFor('the environment Ready', async () => {
    const view = await envcat!.api<{ status: { phase: string } }>(
      'GET',
      '/api/v1/environments/dev-feature-auth',
    );
    return view.body.status.phase === 'Ready' ? true : undefined;
  });

  // WHEN this thread's event loop is busy for 1.5 s THEN the cluster's API server still answers at once
  const answered = timedRequest(`${clusterUrl}/version`);
  const until = Date.now() + 1_500;
  while (Date.now() < until) {
    // busy: nothing on this thread runs meanwhile
  }
  const { status, seconds } = await answered;
  expect(status).toBe('200');
  expect(seconds).toBeLessThan(1.0);

  // WHEN the service stops THEN so does the cluster
  await envcat.close();
  envcat = undefined;
  expect((await timedRequest(`${clusterUrl}/version`)).status).toBe('000');
});
