/**
 * A commit made by someone else just before one of envcat's own is not missed: envcat's commit
 * lands on top of it, and the engine must not take its own commit's head as "everything known".
 */
import { jest } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toYaml } from '../../src/core/index.js';
import { GitRepo } from '../../src/gitops/index.js';
import { exampleText, parse, startTestEnvcat, type TestEnvcat } from '../support/envcat.js';

jest.setTimeout(60_000);

let envcat: TestEnvcat;
let person: GitRepo;
let scratch: string;

beforeAll(async () => {
  // No poll of its own during the test: the test says when the engine looks at Git.
  envcat = await startTestEnvcat({ env: { ENVCAT_GIT_POLL: '1h' } });
  scratch = await mkdtemp(join(tmpdir(), 'envcat-person-'));
  person = new GitRepo({
    name: 'platform',
    url: envcat.repoUrls.platform,
    workdir: join(scratch, 'clone'),
    author: { name: 'A Person', email: 'person@example.test' },
  });
});
afterAll(async () => {
  await person?.close();
  await envcat?.close();
  await rm(scratch, { recursive: true, force: true });
});

async function bucket(name: string): Promise<Record<string, unknown>> {
  const document = parse(await exampleText('s3-bucket', 'basic.yaml'));
  document.metadata = { name };
  (document.spec as { namespace: string }).namespace = name;
  return document;
}

it('GIVEN a person commits an environment, and the API commits another right on top THEN the next poll finds the person’s', async () => {
  // GIVEN a person's commit the engine has not polled yet
  await person.commit({
    write: [
      { path: 'environments/outside-one/environment.yaml', content: toYaml(await bucket('outside-one')) },
    ],
    remove: [],
    message: 'add outside-one by hand',
  });
  expect(envcat.engine.environmentSource('outside-one')).toBeUndefined();
  // WHEN an API create commits on top of it (its parent is the person's commit)
  expect((await envcat.api('POST', '/api/v1/environments', await bucket('api-one'))).status).toBe(201);
  // THEN the engine's next look at Git reads the tree again and sees the person's environment
  await envcat.engine.pollGit();
  expect(envcat.engine.environmentSource('outside-one')).toContain('name: outside-one');
  expect(envcat.engine.environmentSource('api-one')).toContain('name: api-one');
});
