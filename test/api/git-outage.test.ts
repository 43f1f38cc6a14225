/**
 * The Git remote refusing every push for a while (a pre-receive hook, as a remote under
 * maintenance or over quota does), then taking them again: a request made meanwhile is refused
 * with a clear 503 that names the repo and changes nothing; what was under way completes once the
 * remote is back, with no commit made twice.
 */
import { jest } from '@jest/globals';
import { chmod, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { commits, exampleText, parse, startTestEnvcat, waitFor, type TestEnvcat } from '../support/envcat.js';

jest.setTimeout(120_000);

let envcat: TestEnvcat;
let outage: string;

beforeAll(async () => {
  // Pushes (not direct writes), so that the remote's hooks run, as on a Git server. A refused push
  // is tried as often as in production (8 times), with waits of 10–100 ms instead of 100 ms–5 s:
  // two commits giving up one after the other made the outage last 17 s.
  envcat = await startTestEnvcat({
    env: {
      ENVCAT_GIT_LOCAL_WRITES: 'push',
      ENVCAT_GIT_RETRY_DELAY: '10ms',
      ENVCAT_GIT_RETRY_MAX_DELAY: '100ms',
    },
  });
  outage = join(envcat.dir, 'platform-outage');
  const hook = join(envcat.repoUrls.platform, 'hooks', 'pre-receive');
  await writeFile(
    hook,
    `#!/bin/sh\nif [ -e '${outage}' ]; then echo 'the platform repo is read-only for maintenance' >&2; exit 1; fi\nexit 0\n`,
  );
  await chmod(hook, 0o755);
});
afterAll(async () => {
  await envcat?.close();
});

async function bucket(name: string, delay?: string): Promise<Record<string, unknown>> {
  const document = parse(await exampleText('s3-bucket', 'basic.yaml'));
  document.metadata = {
    name,
    ...(delay ? { annotations: { 'simulator.envcat.io/uploads': JSON.stringify({ delay }) } } : {}),
  };
  (document.spec as { namespace: string }).namespace = name;
  return document;
}

async function phaseOf(name: string): Promise<string | undefined> {
  const response = await envcat.api<{ status: { phase: string } }>('GET', `/api/v1/environments/${name}`);
  return response.status === 200 ? response.body.status.phase : undefined;
}

describe('the platform repo refusing pushes for a while', () => {
  it('answers 503 to a create meanwhile, writing nothing, and completes what was under way once it is back', async () => {
    // GIVEN an environment under way (its bucket takes 2 s in the simulator)
    expect(
      (await envcat.api('POST', '/api/v1/environments', await bucket('before-outage', '2s'))).status,
    ).toBe(201);

    // WHEN the remote refuses every push
    await writeFile(outage, '');
    const before = await commits(envcat.repoUrls.platform);
    const refused = await envcat.api<{ code: string; message: string }>(
      'POST',
      '/api/v1/environments',
      await bucket('during-outage'),
    );

    // THEN the create is refused with 503, saying the platform repo could not be written and nothing was created
    expect(refused.status).toBe(503);
    expect(refused.body.code).toBe('UNAVAILABLE');
    expect(refused.body.message).toMatch(/platform repo/);
    // …once every attempt of its push was refused
    expect(refused.body.message).toMatch(/failed after 8 attempt\(s\): .*pre-receive hook declined/);
    expect(refused.body.message).toMatch(/nothing was created/);
    expect(await commits(envcat.repoUrls.platform)).toEqual(before);
    expect((await envcat.api('GET', '/api/v1/environments/during-outage')).status).toBe(404);
    // …reads go on being answered
    expect((await envcat.api('GET', '/api/v1/environments')).status).toBe(200);

    // WHEN the remote takes pushes again
    await rm(outage);

    // THEN the same create goes through, and both environments get Ready
    expect((await envcat.api('POST', '/api/v1/environments', await bucket('during-outage'))).status).toBe(
      201,
    );
    for (const name of ['before-outage', 'during-outage'])
      await waitFor(
        `${name} to be Ready`,
        async () => ((await phaseOf(name)) === 'Ready' ? true : undefined),
        {
          timeoutMs: 60_000,
        },
      );
    // …and no change set was committed twice, grouped with others in one commit or not
    const changeSets = (await commits(envcat.repoUrls.platform)).flatMap((c) => c.changeSets);
    for (const name of ['before-outage', 'during-outage']) {
      const own = changeSets.filter(
        (m) => m.startsWith(`envcat: ${name}: `) || m.includes(`environment ${name}:`),
      );
      expect(own.length).toBeGreaterThan(0);
      expect(own.filter((m, i) => own.indexOf(m) !== i)).toEqual([]);
    }
  });
});
