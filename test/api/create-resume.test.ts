/**
 * A create cut off between its commit and its Secrets (a crash, a lost answer) leaves the
 * environment committed without its `-params` Secret. The secret values are nowhere but in the
 * request, so the same request again completes it; a different request is still a 409, and two
 * resumes at the same moment with other values are settled by the Secret's own create (one wins,
 * the other is a 409 and writes nothing). Real bare repos, the simulated cluster over HTTP, the
 * engine and the REST API.
 */
import { jest } from '@jest/globals';
import { commits, exampleText, parse, startTestEnvcat, waitFor, type TestEnvcat } from '../support/envcat.js';
import { sampleApp110Files } from '../support/examples.js';

jest.setTimeout(120_000);

let envcat: TestEnvcat;
beforeAll(async () => {
  envcat = await startTestEnvcat();
});
afterAll(async () => {
  await envcat?.close();
});

async function database(name: string, password: string, description = 'resume test') {
  const document = parse(await exampleText('rds-postgres', 'minimal.yaml')) as {
    metadata: { name: string };
    spec: {
      namespace: string;
      description: string;
      catalogs: Array<{ parameters: Record<string, unknown> }>;
    };
  };
  document.metadata.name = name;
  document.spec.namespace = name;
  document.spec.description = description;
  document.spec.catalogs[0]!.parameters.masterPassword = password;
  return document;
}

const secretRef = (name: string) => ({
  apiVersion: 'v1',
  kind: 'Secret',
  name: `${name}-db-params`,
  namespace: name,
});

async function storedPassword(name: string): Promise<string | undefined> {
  const secret = await envcat.cluster.get(secretRef(name));
  const value = (secret?.data as Record<string, string> | undefined)?.masterPassword;
  return value === undefined ? undefined : Buffer.from(value, 'base64').toString('utf8');
}

async function phaseOf(name: string): Promise<string | undefined> {
  const response = await envcat.api<{ status: { phase: string } }>('GET', `/api/v1/environments/${name}`);
  return response.status === 200 ? response.body.status.phase : undefined;
}

/** An environment as a cut-off create leaves it: committed and claimed, its Secret never written. */
async function stranded(name: string, password: string): Promise<void> {
  expect((await envcat.api('POST', '/api/v1/environments', await database(name, password))).status).toBe(201);
  await envcat.cluster.delete(secretRef(name));
  await waitFor(`${name} to miss its Secret`, async () =>
    (
      await envcat.api<{ status: { steps: Array<{ reason?: string }> } }>(
        'GET',
        `/api/v1/environments/${name}`,
      )
    ).body.status.steps.some((s) => s.reason === 'SecretNotFound')
      ? true
      : undefined,
  );
}

/** How many creates of `name` were committed, also grouped behind another change set in one commit. */
const createCommits = async (name: string) =>
  (await commits(envcat.repoUrls.platform))
    .flatMap((c) => c.changeSets)
    .filter((m) => m.startsWith(`envcat: create environment ${name}:`)).length;

it('completes a stranded create when the same request comes again, and converges to Ready', async () => {
  // GIVEN an environment committed without its Secret
  await stranded('resume-same', 'first-password-1');

  // WHEN the same request is sent again
  const again = await envcat.api(
    'POST',
    '/api/v1/environments',
    await database('resume-same', 'first-password-1'),
  );

  // THEN it is accepted, writes the Secret and commits nothing more
  expect(again.status).toBe(201);
  expect(await storedPassword('resume-same')).toBe('first-password-1');
  expect(await createCommits('resume-same')).toBe(1);
  // …and the environment goes on to Ready
  await waitFor(
    'resume-same to be Ready',
    async () => ((await phaseOf('resume-same')) === 'Ready' ? true : undefined),
    {
      timeoutMs: 60_000,
    },
  );
  // …while a request for a complete environment is still a 409, and changes nothing
  const complete = await envcat.api(
    'POST',
    '/api/v1/environments',
    await database('resume-same', 'other-password-2'),
  );
  expect(complete.status).toBe(409);
  expect(await storedPassword('resume-same')).toBe('first-password-1');
});

it('does not complete a stranded create with a different request', async () => {
  // GIVEN an environment committed without its Secret
  await stranded('resume-other', 'first-password-1');
  // WHEN a request differing in anything but secret values comes
  const other = await envcat.api<{ errors: Array<{ path: string }> }>(
    'POST',
    '/api/v1/environments',
    await database('resume-other', 'first-password-1', 'someone else'),
  );
  // THEN it is the usual 409 at the name, and no Secret is written
  expect(other.status).toBe(409);
  expect(other.body.errors[0]?.path).toBe('/metadata/name');
  expect(await storedPassword('resume-other')).toBeUndefined();
});

it('lets exactly one of two resumes at the same moment write its secret values', async () => {
  // GIVEN an environment committed without its Secret
  await stranded('resume-race', 'original-password');
  // WHEN the same request is sent twice at once, each with its own secret value
  const [a, b] = await Promise.all([
    envcat.api('POST', '/api/v1/environments', await database('resume-race', 'alice-password-1')),
    envcat.api('POST', '/api/v1/environments', await database('resume-race', 'bob-password-22')),
  ]);
  // THEN one is accepted and the other is a 409, and the Secret holds the accepted one's value
  expect([a.status, b.status].sort()).toEqual([201, 409]);
  expect(await storedPassword('resume-race')).toBe(a.status === 201 ? 'alice-password-1' : 'bob-password-22');
  expect(await createCommits('resume-race')).toBe(1);
});

// Last: it publishes sample-app 1.1.0 into the catalog the other cases share.
it('completes a stranded create on the version its first attempt pinned, after a newer one is published', async () => {
  // GIVEN a sample-app environment (a secret database password) committed on 1.0.0 without its Secret
  const name = 'resume-pinned';
  const request = parse(await exampleText('sample-app', 'standalone.yaml')) as {
    metadata: { name: string };
    spec: { namespace: string; catalogs: Array<{ name: string; parameters: Record<string, unknown> }> };
  };
  request.metadata.name = name;
  request.spec.namespace = name;
  request.spec.catalogs[0]!.parameters.databasePassword = 'first-password-1';
  expect((await envcat.api('POST', '/api/v1/environments', request)).status).toBe(201);
  const secret = { ...secretRef(name), name: `${name}-web-params` };
  await envcat.cluster.delete(secret);
  // WHEN sample-app 1.1.0 is published, and the same request comes again
  expect((await envcat.api('POST', '/api/v1/catalogs', { files: sampleApp110Files() })).status).toBe(201);
  const again = await envcat.api<{ spec: { catalogs: Array<{ version?: string }> } }>(
    'POST',
    '/api/v1/environments',
    request,
  );
  // THEN it completes the create, on 1.0.0 as committed, and commits nothing more
  expect(again.status).toBe(201);
  expect(again.body.spec.catalogs[0]?.version).toBe('1.0.0');
  expect(await envcat.cluster.get(secret)).toBeDefined();
  expect(await createCommits(name)).toBe(1);
});
