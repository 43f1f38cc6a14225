/**
 * The catalog's lifecycle over HTTP against a running envcat: each publish check refuses with its
 * exact status, pointer and message; a dry run writes nothing; deprecated and yanked versions live
 * in Git and change what new requests get, while running environments keep theirs and are flagged.
 */
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jest } from '@jest/globals';
import { CATALOGS } from '../support/examples.js';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { commits, fileAt, startTestEnvcat, waitFor, type TestEnvcat } from '../support/envcat.js';

const run = promisify(execFile);
/** git in a working folder (the support's `git` runs against a bare repository). */
const git = (cwd: string, args: string[]) => run('git', args, { cwd });

jest.setTimeout(120_000);

type Errors = {
  code: string;
  message: string;
  errors: Array<{ file?: string; path: string; message: string }>;
};

let envcat: TestEnvcat;
beforeAll(async () => {
  envcat = await startTestEnvcat({ env: { ENVCAT_TOKENS: 'alice:developer:alice-token-123' } });
});
afterAll(async () => {
  await envcat?.close();
});

/** A yaml entry `cache` at a version; `memory` takes the given values; `example` is its one example's parameters. */
function cache(
  version: string,
  options: {
    memory?: string[];
    extra?: string;
    description?: string;
    example?: string;
    exampleEntry?: string;
  } = {},
) {
  const memory = options.memory ?? ['256Mi', '512Mi'];
  return {
    files: [
      {
        path: 'catalog.yaml',
        content: [
          'apiVersion: envcat.io/v1alpha1',
          'kind: CatalogEntry',
          'metadata:',
          '  name: cache',
          `  version: ${version}`,
          `  description: ${options.description ?? 'An in-memory cache'}`,
          'spec:',
          '  type: yaml',
          '  parameters:',
          '    type: object',
          '    additionalProperties: false',
          '    properties:',
          `      memory: { type: string, enum: [${memory.join(', ')}], default: ${memory[0]} }`,
          ...(options.extra ? [`      ${options.extra}`] : []),
          '  apps:',
          '    helm: { repoURL: "https://charts.bitnami.com/bitnami", chart: redis, targetRevision: 19.0.0 }',
          '    values: ./values.yaml',
          '',
        ].join('\n'),
      },
      {
        path: 'values.yaml',
        content: 'master:\n  resources:\n    limits:\n      memory: ${{ parameters.memory }}\n',
      },
      {
        path: 'examples/basic.yaml',
        content: [
          'apiVersion: envcat.io/v1alpha1',
          'kind: Environment',
          'metadata: { name: dev-cache }',
          'spec:',
          '  type: pre-release',
          '  catalogs:',
          `    - { name: cache, entry: "${options.exampleEntry ?? 'cache@^1'}", parameters: { ${options.example ?? 'memory: 512Mi'} } }`,
          '',
        ].join('\n'),
      },
    ],
  };
}

function environment(name: string, entry: string) {
  return {
    apiVersion: 'envcat.io/v1alpha1',
    kind: 'Environment',
    metadata: { name },
    spec: { type: 'pre-release', catalogs: [{ name: 'cache', entry, parameters: {} }] },
  };
}

/** The files of a built-in entry, as `envcat catalog publish` sends them (examples left out). */
async function builtInFiles(entry: string): Promise<Array<{ path: string; content: string }>> {
  const dir = join(CATALOGS, entry);
  const files: Array<{ path: string; content: string }> = [];
  for (const item of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!item.isFile()) continue;
    const path = join(item.parentPath, item.name).slice(dir.length + 1);
    if (!path.startsWith('examples/')) files.push({ path, content: await readFile(join(dir, path), 'utf8') });
  }
  return files;
}

/** The change sets that published cache@`version`, also those grouped behind another in one commit. */
const publishes = async (version: string) =>
  (await commits(envcat.repoUrls.platform))
    .flatMap((c) => c.changeSets)
    .filter((m) => m.startsWith(`envcat: publish catalog entry cache@${version} `));

describe('publishing: one refusal per rule, and the versions that pass', () => {
  it('publishes 1.0.0; the same again is a no-op (200), other content under it a 409', async () => {
    expect((await envcat.api('POST', '/api/v1/catalogs', cache('1.0.0'))).status).toBe(201);
    expect((await envcat.api('POST', '/api/v1/catalogs', cache('1.0.0'))).status).toBe(200);
    const changed = await envcat.api<Errors>(
      'POST',
      '/api/v1/catalogs',
      cache('1.0.0', { description: 'Changed' }),
    );
    expect({ status: changed.status, errors: changed.body.errors }).toEqual({
      status: 409,
      errors: [
        {
          path: '/metadata/version',
          message: 'cache@1.0.0 is already published with different content; publish a new version',
        },
      ],
    });
    expect(await publishes('1.0.0')).toHaveLength(1);
    // The examples were published with it
    expect(await fileAt(envcat.repoUrls.platform, 'catalog/cache/1.0.0/examples/basic.yaml')).toContain(
      'dev-cache',
    );
  });

  it('publishes a minor version that only adds an optional parameter', async () => {
    const answer = await envcat.api(
      'POST',
      '/api/v1/catalogs',
      cache('1.1.0', { extra: 'ttl: { type: integer, default: 60 }' }),
    );
    expect(answer.status).toBe(201);
  });

  it('refuses a version not above the highest published one (409 at /metadata/version)', async () => {
    const answer = await envcat.api<Errors>('POST', '/api/v1/catalogs', cache('1.0.5'));
    expect({ status: answer.status, errors: answer.body.errors }).toEqual({
      status: 409,
      errors: [
        {
          path: '/metadata/version',
          message:
            'cache@1.0.5 is not above 1.1.0, the highest published version: publish a version above it',
        },
      ],
    });
    expect(await publishes('1.0.5')).toHaveLength(0);
  });

  it('refuses a version whose example does not validate (422 naming the example file)', async () => {
    const answer = await envcat.api<Errors>(
      'POST',
      '/api/v1/catalogs',
      cache('1.2.0', { extra: 'ttl: { type: integer, default: 60 }', example: 'memory: 1Gi' }),
    );
    expect({ status: answer.status, errors: answer.body.errors }).toEqual({
      status: 422,
      errors: [
        {
          file: 'examples/basic.yaml',
          path: '/spec/catalogs/0/parameters/memory',
          message: 'must be one of: "256Mi", "512Mi"',
        },
      ],
    });
  });

  it('refuses a version whose example asks for another version of the entry', async () => {
    const answer = await envcat.api<Errors>(
      'POST',
      '/api/v1/catalogs',
      cache('1.2.0', { extra: 'ttl: { type: integer, default: 60 }', exampleEntry: 'cache@^2' }),
    );
    expect({ status: answer.status, errors: answer.body.errors }).toEqual({
      status: 422,
      errors: [
        {
          file: 'examples/basic.yaml',
          path: '/spec/catalogs/0/entry',
          message: 'no version of "cache" matches "^2" (published: 1.2.0)',
        },
      ],
    });
  });

  it('refuses a minor version with breaking changes, naming each (422, pointers into catalog.yaml)', async () => {
    // GIVEN 1.2.0 drops the value 512Mi and the parameter ttl that 1.1.0 accepted
    const answer = await envcat.api<Errors>(
      'POST',
      '/api/v1/catalogs',
      cache('1.2.0', { memory: ['256Mi', '1Gi'], example: 'memory: 1Gi' }),
    );
    // THEN each is named, and nothing is committed
    expect({ status: answer.status, errors: answer.body.errors }).toEqual({
      status: 422,
      errors: [
        {
          file: 'catalog.yaml',
          path: '/spec/parameters/properties',
          message: 'parameter "ttl" is removed: requests that set it break',
        },
        {
          file: 'catalog.yaml',
          path: '/spec/parameters/properties/memory/enum',
          message: 'parameter "memory": "512Mi" is no longer allowed',
        },
        {
          file: 'catalog.yaml',
          path: '/metadata/version',
          message: '1.2.0 may not break what 1.1.0 accepted: only a new major version may (2.0.0)',
        },
      ],
    });
    expect(await publishes('1.2.0')).toHaveLength(0);
  });

  it('answers a dry run of a major version with its breaking changes and writes nothing; then publishes it', async () => {
    const body = cache('2.0.0', {
      memory: ['256Mi', '1Gi'],
      example: 'memory: 1Gi',
      exampleEntry: 'cache@^2',
    });
    const before = (await commits(envcat.repoUrls.platform)).length;
    const dry = await envcat.api<{ entry: { name: string; version: string }; breakingChanges: unknown[] }>(
      'POST',
      '/api/v1/catalogs?dryRun=true',
      body,
    );
    expect(dry.status).toBe(200);
    expect(dry.body.entry).toMatchObject({ name: 'cache', version: '2.0.0' });
    expect(dry.body.breakingChanges).toEqual([
      {
        path: '/spec/parameters/properties',
        message: 'parameter "ttl" is removed: requests that set it break',
      },
      {
        path: '/spec/parameters/properties/memory/enum',
        message: 'parameter "memory": "512Mi" is no longer allowed',
      },
    ]);
    expect((await commits(envcat.repoUrls.platform)).length).toBe(before);
    expect((await envcat.api<{ versions: string[] }>('GET', '/api/v1/catalogs/cache')).body.versions).toEqual(
      ['1.1.0', '1.0.0'],
    );
    expect((await envcat.api('POST', '/api/v1/catalogs', body)).status).toBe(201);
  });

  it('names the running environments that take a removed output', async () => {
    // GIVEN an environment whose app takes db.endpoint from rds-postgres
    const created = await envcat.api('POST', '/api/v1/environments', {
      apiVersion: 'envcat.io/v1alpha1',
      kind: 'Environment',
      metadata: { name: 'dev-reads-endpoint' },
      spec: {
        type: 'pre-release',
        catalogs: [
          { name: 'db', entry: 'rds-postgres@^1', parameters: { databaseName: 'orders' } },
          {
            name: 'app',
            entry: 'sample-app',
            parameters: { databaseEndpoint: { fromOutput: 'db.endpoint' } },
          },
        ],
      },
    });
    expect(created.status).toBe(201);
    // WHEN a major version of rds-postgres without the output "endpoint" is tried
    const files = await builtInFiles('rds-postgres');
    const catalog = files.find((f) => f.path === 'catalog.yaml')!;
    catalog.content = catalog.content
      .replace('version: 1.0.0', 'version: 2.0.0')
      .replace(/ {4}- name: endpoint\n.*\n.*\n/, '');
    const dry = await envcat.api<{ breakingChanges: unknown[] }>('POST', '/api/v1/catalogs?dryRun=true', {
      files,
    });
    // THEN the removed output names the environment and the instance it reads
    expect(dry.status).toBe(200);
    expect(dry.body.breakingChanges).toEqual([
      {
        path: '/spec/outputs',
        message:
          'output "endpoint" is removed: requests that take it with fromOutput break; running environments reference it: dev-reads-endpoint (db.endpoint)',
      },
    ]);
  });

  it('lets two publishes at the same moment land only in increasing order (compare-and-swap on latest.yaml)', async () => {
    // GIVEN 2.0.0 is the highest WHEN 2.2.0 and 2.1.0 are published at once
    const body = (version: string) =>
      cache(version, { memory: ['256Mi', '1Gi'], example: 'memory: 1Gi', exampleEntry: 'cache@^2' });
    const answers = await Promise.all(
      ['2.2.0', '2.1.0'].map((v) => envcat.api<Errors>('POST', '/api/v1/catalogs', body(v))),
    );
    // THEN 2.2.0 lands; 2.1.0 either landed before it or is refused as not above it
    expect(answers[0]!.status).toBe(201);
    // (oldest first; two publishes in one commit are in the order they were asked for)
    const published = (await commits(envcat.repoUrls.platform))
      .flatMap((c) => c.changeSets)
      .map((m) => /^envcat: publish catalog entry cache@(2\.[12]\.0) /.exec(m)?.[1])
      .filter((v): v is string => v !== undefined);
    if (answers[1]!.status === 201) expect(published).toEqual(['2.1.0', '2.2.0']);
    else {
      expect(answers[1]!.body.errors).toEqual([
        {
          path: '/metadata/version',
          message:
            'cache@2.1.0 is not above 2.2.0, the highest published version: publish a version above it',
        },
      ]);
      expect(published).toEqual(['2.2.0']);
    }
    expect(await fileAt(envcat.repoUrls.platform, 'catalog/cache/latest.yaml')).toContain('version: 2.2.0\n');
  });

  it('refuses to publish for a developer, and a bad dryRun value', async () => {
    const alice = { token: 'alice-token-123' };
    expect((await envcat.api('POST', '/api/v1/catalogs', cache('9.0.0'), alice)).status).toBe(403);
    expect((await envcat.api('POST', '/api/v1/catalogs?dryRun=maybe', cache('9.0.0'))).status).toBe(400);
  });
});

describe('version states', () => {
  it('deprecates a version: new requests skip it unless they name it; GET shows a notice', async () => {
    // GIVEN an environment created on cache@^1 (1.1.0) before anything is deprecated
    expect(
      (await envcat.api('POST', '/api/v1/environments', environment('dev-on-cache', 'cache@^1'))).status,
    ).toBe(201);
    // WHEN 1.1.0 is deprecated
    const patched = await envcat.api('PATCH', '/api/v1/catalogs/cache/versions/1.1.0', { deprecated: true });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({
      version: '1.1.0',
      deprecated: true,
      notice: expect.stringMatching(/is deprecated/),
    });
    // THEN it is in Git beside the entry
    expect(await fileAt(envcat.repoUrls.platform, 'catalog/cache/states.yaml')).toContain(
      'versions:\n  1.1.0:\n    deprecated: true\n',
    );
    // …GET shows it with a notice
    const detail = await envcat.api<{ items: Array<Record<string, unknown>> }>(
      'GET',
      '/api/v1/catalogs/cache',
    );
    expect(detail.body.items.find((i) => i.version === '1.1.0')).toMatchObject({ deprecated: true });
    // …a new request for ^1 gets 1.0.0, one naming 1.1.0 still gets it
    const dry = (entry: string) =>
      envcat.api<{ plan: unknown }>(
        'POST',
        '/api/v1/environments?dryRun=true',
        environment('dev-dry', entry),
      );
    expect((await dry('cache@^1')).status).toBe(200);
    expect((await dry('cache@1.1.0')).status).toBe(200);
    // …and the running environment keeps it, flagged
    const view = await envcat.api<{ status: { warnings?: unknown[] } }>(
      'GET',
      '/api/v1/environments/dev-on-cache',
    );
    expect(view.body.status.warnings).toEqual([
      { path: '/spec/catalogs/0/version', message: expect.stringMatching(/^cache@1\.1\.0 is deprecated: /) },
    ]);
  });

  it('yanks a version: new requests naming it get a 422 naming the version', async () => {
    expect(
      (await envcat.api('PATCH', '/api/v1/catalogs/cache/versions/1.0.0', { yanked: true })).status,
    ).toBe(200);
    const refused = await envcat.api<Errors>(
      'POST',
      '/api/v1/environments',
      environment('dev-yanked', 'cache@1.0.0'),
    );
    expect({ status: refused.status, errors: refused.body.errors }).toEqual({
      status: 422,
      errors: [{ path: '/spec/catalogs/0/entry', message: 'cache@1.0.0 is yanked: choose another version' }],
    });
    const none = await envcat.api<Errors>(
      'POST',
      '/api/v1/environments',
      environment('dev-yanked', 'cache@^1'),
    );
    expect({ status: none.status, errors: none.body.errors }).toEqual({
      status: 422,
      errors: [
        {
          path: '/spec/catalogs/0/entry',
          message:
            'every version of "cache" that matches "^1" is deprecated or yanked (1.1.0 deprecated, 1.0.0 yanked): name a version, or ask the platform team',
        },
      ],
    });
    // Undone, it is offered again
    expect(
      (await envcat.api('PATCH', '/api/v1/catalogs/cache/versions/1.0.0', { yanked: false })).status,
    ).toBe(200);
    expect(
      (await envcat.api('POST', '/api/v1/environments?dryRun=true', environment('dev-yanked', 'cache@1.0.0')))
        .status,
    ).toBe(200);
  });

  it.each<[string, string, unknown, { token?: string }, number, Errors['errors']]>([
    [
      'an unknown field',
      'cache/versions/1.0.0',
      { hidden: true },
      {},
      422,
      [{ path: '/hidden', message: 'is not a field: only deprecated and yanked' }],
    ],
    [
      'a flag that is not a boolean',
      'cache/versions/1.0.0',
      { yanked: 'yes' },
      {},
      422,
      [{ path: '/yanked', message: 'must be true or false' }],
    ],
    [
      'no flag',
      'cache/versions/1.0.0',
      {},
      {},
      422,
      [{ path: '', message: 'give deprecated, yanked or both' }],
    ],
    [
      'an unknown version',
      'cache/versions/7.0.0',
      { yanked: true },
      {},
      404,
      [
        {
          path: '/version',
          message: expect.stringMatching(
            /^cache has no version 7\.0\.0 \(published: 2\.2\.0, .*1\.0\.0\)$/,
          ) as never,
        },
      ],
    ],
    [
      'an unknown entry',
      'nope/versions/1.0.0',
      { yanked: true },
      {},
      404,
      [{ path: '/name', message: 'no catalog entry named "nope"' }],
    ],
  ])('refuses %s', async (_case, path, body, options, status, errors) => {
    const answer = await envcat.api<Errors>('PATCH', `/api/v1/catalogs/${path}`, body, options);
    expect({ status: answer.status, errors: answer.body.errors }).toEqual({ status, errors });
  });

  it.each([1, 2, 3])(
    'keeps both of two state changes made at the same moment (compare-and-swap, then a retry on what Git holds; try %i)',
    async () => {
      // WHEN two versions change state at once
      const answers = await Promise.all([
        envcat.api('PATCH', '/api/v1/catalogs/cache/versions/2.0.0', { deprecated: true }),
        envcat.api('PATCH', '/api/v1/catalogs/cache/versions/2.2.0', { yanked: true }),
      ]);
      // THEN both land, and Git holds both
      expect(answers.map((a) => a.status)).toEqual([200, 200]);
      const states = await fileAt(envcat.repoUrls.platform, 'catalog/cache/states.yaml');
      expect(states).toContain('  2.0.0:\n    deprecated: true\n');
      expect(states).toContain('  2.2.0:\n    yanked: true\n');
      // …and undone the same way
      const undone = await Promise.all([
        envcat.api('PATCH', '/api/v1/catalogs/cache/versions/2.0.0', { deprecated: false }),
        envcat.api('PATCH', '/api/v1/catalogs/cache/versions/2.2.0', { yanked: false }),
      ]);
      expect(undone.map((a) => a.status)).toEqual([200, 200]);
      const after = await fileAt(envcat.repoUrls.platform, 'catalog/cache/states.yaml');
      expect(after).not.toMatch(/2\.0\.0|2\.2\.0/);
    },
  );

  it('refuses a developer', async () => {
    const answer = await envcat.api(
      'PATCH',
      '/api/v1/catalogs/cache/versions/1.0.0',
      { yanked: true },
      { token: 'alice-token-123' },
    );
    expect(answer.status).toBe(403);
  });

  it('picks up a state another replica committed, without a restart; a built-in entry has states too', async () => {
    // GIVEN another writer commits a states file for the built-in vpc straight to the platform repo
    const work = await mkdtemp(join(tmpdir(), 'envcat-replica-'));
    try {
      await git(work, ['clone', '--quiet', envcat.repoUrls.platform, 'clone']);
      const clone = join(work, 'clone');
      await git(clone, ['config', 'user.email', 'replica@example.test']);
      await git(clone, ['config', 'user.name', 'replica']);
      await mkdir(join(clone, 'catalog/vpc'), { recursive: true });
      await writeFile(join(clone, 'catalog/vpc/states.yaml'), 'versions:\n  1.0.0: { deprecated: true }\n');
      await git(clone, ['add', '.']);
      await git(clone, ['commit', '--quiet', '-m', 'deprecate vpc 1.0.0 (another replica)']);
      await git(clone, ['push', '--quiet', 'origin', 'HEAD:main']);
      // THEN this replica shows it after its next Git poll
      await waitFor('vpc@1.0.0 deprecated', async () => {
        const detail = await envcat.api<{ items: Array<{ version: string; deprecated?: boolean }> }>(
          'GET',
          '/api/v1/catalogs/vpc',
        );
        return detail.body.items[0]?.deprecated === true ? true : undefined;
      });
      // …and a PATCH on it swaps on what that replica wrote
      expect(
        (await envcat.api('PATCH', '/api/v1/catalogs/vpc/versions/1.0.0', { deprecated: false })).status,
      ).toBe(200);
      expect(await fileAt(envcat.repoUrls.platform, 'catalog/vpc/states.yaml')).toContain('versions: {}\n');
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  });
});
