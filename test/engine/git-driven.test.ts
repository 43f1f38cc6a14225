/**
 * Git is the desired state: an environment committed by hand is provisioned exactly like one
 * created through the API, an invalid one is reported Invalid with nothing rendered, editing the
 * file updates what was committed, and an expired ttl deletes the environment in reverse order.
 */
import { jest } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toYaml } from '../../src/core/index.js';
import { GitRepo } from '../../src/gitops/index.js';
import { isAbout } from '../support/change-sets.js';
import {
  commits,
  exampleText,
  fileAt,
  git,
  parse,
  startTestEnvcat,
  waitFor,
  type TestEnvcat,
} from '../support/envcat.js';

jest.setTimeout(90_000);

interface StatusBody {
  phase: string;
  message: string;
  errors?: Array<{ file?: string; path: string; message: string }>;
  steps: Array<{ instance: string; part: string; phase: string }>;
}

let envcat: TestEnvcat;
let person: GitRepo;
let scratch: string;
let clock = Date.now();

beforeAll(async () => {
  envcat = await startTestEnvcat({ now: () => clock });
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

async function statusOf(name: string): Promise<StatusBody | undefined> {
  const response = await envcat.api<{ status: StatusBody }>('GET', `/api/v1/environments/${name}`);
  return response.status === 200 ? response.body.status : undefined;
}

function phase(name: string, wanted: string) {
  return waitFor(
    `${name} to be ${wanted}`,
    async () => {
      const status = await statusOf(name);
      return status?.phase === wanted ? status : undefined;
    },
    { timeoutMs: 45_000 },
  );
}

async function bucketEnvironment(name: string): Promise<Record<string, unknown>> {
  const document = parse(await exampleText('s3-bucket', 'basic.yaml'));
  (document.metadata as { name: string }).name = name;
  (document.spec as { namespace: string }).namespace = name;
  return document;
}

describe('environments committed to Git by hand', () => {
  it('provisions one exactly as if the API had created it', async () => {
    // GIVEN a person commits an environment file directly
    const document = await bucketEnvironment('hand-made');
    await person.commit({
      write: [{ path: 'environments/hand-made/environment.yaml', content: toYaml(document) }],
      remove: [],
      message: 'add hand-made environment',
    });

    // THEN the engine notices it on its Git poll, commits its namespace and bucket, and it gets Ready
    const status = await phase('hand-made', 'Ready');
    expect(status.steps).toEqual([
      expect.objectContaining({ instance: 'uploads', part: 'infra', phase: 'Ready' }),
    ]);
    expect(await fileAt(envcat.repoUrls.platform, 'environments/hand-made/namespace.yaml')).toContain(
      'kind: Namespace',
    );
    expect(await fileAt(envcat.repoUrls.platform, 'environments/hand-made/infra/uploads.yaml')).toContain(
      'kind: Workspace',
    );
    // The person's request is pinned: the engine's first commit for it wrote each instance's
    // version into it, and changed nothing else.
    const pinned = structuredClone(document) as { spec: { catalogs: Array<Record<string, unknown>> } };
    pinned.spec.catalogs[0]!.version = '1.0.0';
    expect(await fileAt(envcat.repoUrls.platform, 'environments/hand-made/environment.yaml')).toBe(
      toYaml(pinned as never),
    );
    // (its change sets in the commits that touched its folder: the engine's may be grouped behind
    // another environment's in one commit, named only in its body)
    const history = (await commits(envcat.repoUrls.platform))
      .filter((c) => c.files.some((f) => f.startsWith('environments/hand-made/')))
      .flatMap((c) => c.changeSets.filter((m) => !m.startsWith('envcat: ') || isAbout('hand-made', m)));
    const [added, first] = history;
    expect(added).toBe('add hand-made environment');
    expect(first).toMatch(/^envcat: hand-made: pin versions: uploads \(s3-bucket@1\.0\.0\)/);
    // …and it claimed the namespace for it, with its namespace file
    expect(await fileAt(envcat.repoUrls.platform, 'namespaces/hand-made/hand-made')).toMatch(
      /belongs to the environment hand-made/,
    );
  });

  it('reports one in a namespace another environment holds as Invalid, and renders nothing for it', async () => {
    // GIVEN hand-made holds the namespace hand-made; a person commits another environment in it
    const document = await bucketEnvironment('hand-squatter');
    (document.spec as { namespace: string }).namespace = 'hand-made';
    await person.commit({
      write: [{ path: 'environments/hand-squatter/environment.yaml', content: toYaml(document) }],
      remove: [],
      message: 'add an environment in a taken namespace',
    });
    // THEN it is Invalid at /spec/namespace, without a namespace file or a claim of its own
    const status = await phase('hand-squatter', 'Invalid');
    expect(status.errors).toEqual([
      {
        path: '/spec/namespace',
        message: 'the namespace "hand-made" is already taken by another environment',
      },
    ]);
    await envcat.engine.idle();
    const tree = await git(envcat.repoUrls.platform, ['ls-tree', '-r', '--name-only', 'main']);
    expect(tree.split('\n').filter((p) => p.includes('hand-squatter'))).toEqual([
      'environments/hand-squatter/environment.yaml',
    ]);
    // …and deleting it (removing its file) leaves the owner's namespace and claim alone
    await person.commit({
      write: [],
      remove: ['environments/hand-squatter/'],
      message: 'remove the squatter',
    });
    await waitFor('hand-squatter to be gone', async () =>
      (await envcat.api('GET', '/api/v1/environments/hand-squatter')).status === 404 ? true : undefined,
    );
    expect(await fileAt(envcat.repoUrls.platform, 'namespaces/hand-made/hand-made')).toBeDefined();
    expect((await statusOf('hand-made'))?.phase).toBe('Ready');
  });

  it('updates the committed Workspace when the file is edited', async () => {
    const document = await bucketEnvironment('hand-made');
    const catalogs = (document.spec as { catalogs: Array<{ parameters: Record<string, unknown> }> }).catalogs;
    catalogs[0]!.parameters.expirationDays = 30;
    const before = await fileAt(envcat.repoUrls.platform, 'environments/hand-made/infra/uploads.yaml');
    await person.commit({
      write: [{ path: 'environments/hand-made/environment.yaml', content: toYaml(document) }],
      remove: [],
      message: 'keep uploads for 30 days',
    });
    const workspace = await waitFor('the Workspace to change', async () => {
      const text = await fileAt(envcat.repoUrls.platform, 'environments/hand-made/infra/uploads.yaml');
      return text !== undefined && text !== before ? text : undefined;
    });
    expect(workspace).toMatch(/expirationDays/);
    const changed = (await commits(envcat.repoUrls.platform)).filter((c) =>
      c.files.includes('environments/hand-made/infra/uploads.yaml'),
    );
    expect(changed.at(-1)?.changeSets).toContainEqual(
      expect.stringMatching(/^envcat: hand-made: update, infrastructure: uploads \(s3-bucket@/),
    );
    await phase('hand-made', 'Ready');
  });

  it('reports an invalid one as Invalid with its errors, and renders nothing', async () => {
    const document = await bucketEnvironment('hand-broken');
    (document.spec as { type: string }).type = 'staging';
    const before = (await commits(envcat.repoUrls.platform)).length;
    await person.commit({
      write: [{ path: 'environments/hand-broken/environment.yaml', content: toYaml(document) }],
      remove: [],
      message: 'add a broken environment',
    });
    const status = await phase('hand-broken', 'Invalid');
    expect(status.errors).toEqual([
      expect.objectContaining({ file: 'environments/hand-broken/environment.yaml', path: '/spec/type' }),
    ]);
    await envcat.engine.idle();
    // Only the person's commit: nothing rendered for it.
    const after = await commits(envcat.repoUrls.platform);
    expect(after.length).toBe(before + 1);
    expect(after.at(-1)?.changeSets).toEqual(['add a broken environment']);
    const tree = await git(envcat.repoUrls.platform, ['ls-tree', '-r', '--name-only', 'main']);
    expect(tree.split('\n').filter((p) => p.startsWith('environments/hand-broken/'))).toEqual([
      'environments/hand-broken/environment.yaml',
    ]);
  });

  it('refuses a literal secret committed to Git', async () => {
    const document = parse(await exampleText('datadog-agent', 'basic.yaml'));
    (document.metadata as { name: string }).name = 'hand-leak';
    (document.spec as { namespace: string }).namespace = 'hand-leak';
    await person.commit({
      write: [{ path: 'environments/hand-leak/environment.yaml', content: toYaml(document) }],
      remove: [],
      message: 'add an environment with a literal secret',
    });
    const status = await phase('hand-leak', 'Invalid');
    expect(status.errors?.map((e) => e.message)).toContain(
      'a secret parameter in Git must be a fromSecret reference, not a literal value',
    );
  });
});

describe('ttl', () => {
  it('deletes an expired environment the same way as a delete request', async () => {
    const document = await bucketEnvironment('short-lived');
    (document.spec as Record<string, unknown>).ttl = '1h';
    const created = await envcat.api('POST', '/api/v1/environments', document);
    expect(created.status).toBe(201);
    await phase('short-lived', 'Ready');

    // WHEN the engine's clock passes the ttl (counted from the first commit of environment.yaml)
    clock += 2 * 3600 * 1000;
    envcat.engine.enqueue('short-lived');

    // THEN it goes, and nothing of it is left in Git
    await waitFor(
      'short-lived to be deleted',
      async () =>
        (await envcat.api('GET', '/api/v1/environments/short-lived')).status === 404 ? true : undefined,
      { timeoutMs: 45_000 },
    );
    const changeSets = (await commits(envcat.repoUrls.platform)).flatMap((c) => c.changeSets);
    expect(changeSets).toContainEqual(
      expect.stringMatching(/^envcat: short-lived: delete infrastructure of /),
    );
    expect(changeSets).toContain('envcat: short-lived: delete environment');
    expect(
      await fileAt(envcat.repoUrls.platform, 'environments/short-lived/environment.yaml'),
    ).toBeUndefined();
    // the namespace claim went with the environment's last files, so the namespace is free again
    expect(await fileAt(envcat.repoUrls.platform, 'namespaces/short-lived/short-lived')).toBeUndefined();
  });
});
