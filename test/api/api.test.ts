/** The REST contract (src/api/contract.ts), over HTTP against a running envcat. */
import { jest } from '@jest/globals';
import { commits, exampleText, parse, startTestEnvcat, waitFor, type TestEnvcat } from '../support/envcat.js';

/** A status check that shows the body when it fails, so the failure says why the server said no. */
function expectStatus(response: { status: number; text: string }, status: number): void {
  if (response.status !== status)
    throw new Error(`expected HTTP ${status}, got ${response.status}: ${response.text.slice(0, 2000)}`);
}

jest.setTimeout(60_000);

let envcat: TestEnvcat;
beforeAll(async () => {
  envcat = await startTestEnvcat({
    env: { ENVCAT_TOKENS: 'alice:developer:alice-token-123,bob:developer:bob-token-456' },
  });
});
afterAll(async () => {
  await envcat?.close();
});

async function example(name: string): Promise<Record<string, unknown>> {
  const document = parse(await exampleText('s3-bucket', 'basic.yaml'));
  (document.metadata as { name: string }).name = name;
  const spec = document.spec as Record<string, unknown>;
  spec.namespace = name;
  delete spec.owner;
  return document;
}

describe('REST API', () => {
  it('serves /healthz without a token, saying the cluster is simulated', async () => {
    const response = await fetch(`${envcat.url}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ status: 'ok', cluster: 'simulated' });
  });

  it('requires a bearer token on /api/v1', async () => {
    const response = await fetch(`${envcat.url}/api/v1/environments`);
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ code: 'UNAUTHENTICATED', errors: [{ path: '' }] });
    expectStatus(await envcat.api('GET', '/api/v1/environments', undefined, { token: 'wrong' }), 401);
  });

  it('lists catalog entries and shows one with its versions and schema', async () => {
    const list = await envcat.api<{ items: Array<Record<string, unknown>> }>('GET', '/api/v1/catalogs');
    expectStatus(list, 200);
    expect(list.body.items.map((i) => i.name)).toEqual(
      expect.arrayContaining([
        'rds-postgres',
        's3-bucket',
        'vpc',
        'datadog-agent',
        'sample-app',
        'postgres-with-pgadmin',
      ]),
    );
    const rds = await envcat.api<{ type: string; items: Array<{ parameters: { properties: object } }> }>(
      'GET',
      '/api/v1/catalogs/rds-postgres',
    );
    expectStatus(rds, 200);
    expect(rds.body.type).toBe('iac');
    expect(rds.body.items[0]?.parameters.properties).toHaveProperty('databaseName');
    expectStatus(await envcat.api('GET', '/api/v1/catalogs/nope'), 404);
  });

  it('answers 422 with every problem and its JSON pointer, writing nothing', async () => {
    const before = (await commits(envcat.repoUrls.platform)).length;
    const document = parse(await exampleText('sample-app', 'dev-feature-auth.yaml'));
    const catalogs = (document.spec as { catalogs: Array<{ parameters: Record<string, unknown> }> }).catalogs;
    catalogs[0]!.parameters.allocatedStorage = 5;
    catalogs[0]!.parameters.databaseName = 'Bad-Name';
    catalogs[2]!.parameters.replicas = 'two';
    const response = await envcat.api<{ code: string; errors: Array<{ path: string; message: string }> }>(
      'POST',
      '/api/v1/environments',
      document,
    );
    expectStatus(response, 422);
    expect(response.body.code).toBe('INVALID_INPUT');
    expect(response.body.errors.map((e) => e.path).sort()).toEqual([
      '/spec/catalogs/0/parameters/allocatedStorage',
      '/spec/catalogs/0/parameters/databaseName',
      '/spec/catalogs/2/parameters/replicas',
    ]);
    expect((await commits(envcat.repoUrls.platform)).length).toBe(before);
  });

  it('accepts YAML, answers 201, then 409 for the same name', async () => {
    const text = await exampleText('s3-bucket', 'basic.yaml');
    const name = (parse(text).metadata as { name: string }).name;
    const created = await envcat.api('POST', '/api/v1/environments', text, {
      contentType: 'application/yaml',
    });
    expectStatus(created, 201);
    expect(created.body).toMatchObject({
      metadata: { name },
      spec: { owner: 'admin' },
      status: { cluster: 'simulated' },
    });
    const again = await envcat.api<{ code: string }>('POST', '/api/v1/environments', text, {
      contentType: 'application/yaml',
    });
    expectStatus(again, 409);
    expect(again.body.code).toBe('CONFLICT');
  });

  it('answers 422 for malformed YAML and 413 for a body over the limit', async () => {
    const bad = await envcat.api<{ errors: Array<{ message: string }> }>(
      'POST',
      '/api/v1/environments',
      'a: [b',
      {
        contentType: 'application/yaml',
      },
    );
    expectStatus(bad, 422);
    expect(bad.body.errors[0]?.message).toMatch(/invalid YAML/);
    const huge = await envcat.api('POST', '/api/v1/environments', { pad: 'x'.repeat(5 * 1024 * 1024) });
    expectStatus(huge, 413);
  });

  it('plans without writing on ?dryRun=true', async () => {
    // Other environments of this suite may still be committing: look at this one's files only.
    const touching = async () =>
      (await commits(envcat.repoUrls.platform)).filter((c) =>
        c.files.some((f) => f.startsWith('environments/dev-feature-auth/')),
      ).length;
    const document = parse(await exampleText('sample-app', 'dev-feature-auth.yaml'));
    const response = await envcat.api<{
      plan: { waves: Array<{ phase: number; steps: string[] }> };
      files: Array<{ repo: string; path: string; pending?: boolean; content?: string }>;
    }>('POST', '/api/v1/environments?dryRun=true', document);
    expectStatus(response, 200);
    expect(response.body.plan.waves.map((w) => [w.phase, w.steps])).toEqual([
      [1, ['db/infra']],
      [2, expect.arrayContaining(['app/apps', 'monitoring/apps'])],
    ]);
    expect(response.body.files).toEqual(
      expect.arrayContaining([
        {
          repo: 'platform',
          path: 'environments/dev-feature-auth/infra/db.yaml',
          step: 'db/infra',
          content: expect.stringContaining('kind: Workspace'),
        },
        expect.objectContaining({
          repo: 'apps',
          path: 'environments/dev-feature-auth/apps/app.yaml',
          pending: true,
        }),
      ]),
    );
    expect(await touching()).toBe(0);
    // Each rendered file comes with its content, a pending one without; never a secret value.
    const environmentYaml = response.body.files.find((f) => f.path.endsWith('/environment.yaml'));
    expect(environmentYaml?.content).toContain('name: dev-feature-auth');
    expect(response.body.files.filter((f) => f.pending).every((f) => f.content === undefined)).toBe(true);
    expect(JSON.stringify(response.body)).not.toContain('0123456789abcdef0123456789abcdef');

    // The same conflicts as a create: a name or namespace that is taken.
    const taken = await envcat.api<{ code: string; errors: Array<{ path: string }> }>(
      'POST',
      '/api/v1/environments?dryRun=true',
      await example('dev-uploads'),
    );
    expectStatus(taken, 409);
    expect(taken.body.errors[0]?.path).toBe('/metadata/name');
  });

  it('says whether a name and a namespace are free, never whose they are', async () => {
    const alice = { token: 'alice-token-123' };
    const bob = { token: 'bob-token-456' };
    expectStatus(await envcat.api('POST', '/api/v1/environments', await example('alice-avail'), alice), 201);
    const check = (query: string) =>
      envcat.api<{ available: boolean; namespace: string; errors: Array<{ path: string; message: string }> }>(
        'GET',
        `/api/v1/environments/${query}`,
        undefined,
        bob,
      );

    const free = await check('bob-new/availability');
    expectStatus(free, 200);
    expect(free.body).toEqual({ name: 'bob-new', namespace: 'bob-new', available: true, errors: [] });
    expect((await check('alice-avail/availability')).body).toMatchObject({
      available: false,
      errors: [{ path: '/metadata/name', message: 'the environment name "alice-avail" is already taken' }],
    });
    expect((await check('bob-new/availability?namespace=alice-avail')).body.errors).toEqual([
      { path: '/spec/namespace', message: 'the namespace "alice-avail" is already taken' },
    ]);
    expect((await check('bob-new/availability?namespace=kube-system')).body.errors).toEqual([
      { path: '/spec/namespace', message: 'namespace "kube-system" is reserved' },
    ]);
    expect((await check('Bob_New/availability')).body.errors).toEqual([
      { path: '/metadata/name', message: expect.stringContaining('DNS-1123') },
    ]);
    expectStatus(await check('bob-new/availability?namespace=a&namespace=b'), 400);
    // Nothing about the environment that holds them: not its owner, not what it contains.
    const text = JSON.stringify((await check('bob-new/availability?namespace=alice-avail')).body);
    expect(text).not.toMatch(/alice"|s3|bucket|owner/);
    expectStatus(await envcat.api('DELETE', '/api/v1/environments/alice-avail', undefined, alice), 202);
  });

  it('lets a developer see and delete only their own environments', async () => {
    const alice = { token: 'alice-token-123' };
    const bob = { token: 'bob-token-456' };
    const mine = await example('alice-env');
    expectStatus(await envcat.api('POST', '/api/v1/environments', mine, alice), 201);
    const forged = await example('alice-forged');
    (forged.spec as Record<string, unknown>).owner = 'bob';
    const refused = await envcat.api<{ errors: Array<{ path: string }> }>(
      'POST',
      '/api/v1/environments',
      forged,
      alice,
    );
    expectStatus(refused, 422);
    expect(refused.body.errors[0]?.path).toBe('/spec/owner');

    const bobsList = await envcat.api<{ items: Array<{ name: string }> }>(
      'GET',
      '/api/v1/environments',
      undefined,
      bob,
    );
    expect(bobsList.body.items.map((i) => i.name)).not.toContain('alice-env');
    expectStatus(await envcat.api('GET', '/api/v1/environments/alice-env', undefined, bob), 404);
    expectStatus(await envcat.api('DELETE', '/api/v1/environments/alice-env', undefined, bob), 404);
    expectStatus(await envcat.api('GET', '/api/v1/environments/alice-env', undefined, alice), 200);
    const publish = await envcat.api('POST', '/api/v1/catalogs', { files: [] }, alice);
    expectStatus(publish, 403);
    expectStatus(await envcat.api('DELETE', '/api/v1/environments/alice-env', undefined, alice), 202);
    // Every mutating request is logged with who made it.
    expect(envcat.logs()).toMatch(
      /"audit":\{"actor":"alice","role":"developer","action":"environment.delete","target":"environment\/alice-env","outcome":\{"status":202\}\}/,
    );
  });

  it('streams status changes as server-sent events', async () => {
    const document = await example('sse-env');
    expectStatus(await envcat.api('POST', '/api/v1/environments', document), 201);
    const controller = new AbortController();
    const response = await fetch(
      `${envcat.url}/api/v1/environments/sse-env/events?access_token=test-admin-token-0123456789`,
      {
        signal: controller.signal,
      },
    );
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const reader = response.body!.getReader();
    let text = '';
    await waitFor(
      'a Ready event',
      async () => {
        const { value, done } = await reader.read();
        if (done) throw new Error('stream ended');
        text += Buffer.from(value).toString('utf8');
        return text.includes('"phase":"Ready"') ? true : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 0 },
    );
    controller.abort();
    expect(text).toMatch(/^event: status$/m);
    expect(text).toContain('"cluster":"simulated"');
  });

  it('publishes a catalog entry once, 200 for the same again, 409 for other content', async () => {
    const catalog = (version: string, description: string) =>
      [
        'apiVersion: envcat.io/v1alpha1',
        'kind: CatalogEntry',
        'metadata:',
        '  name: redis-cache',
        `  version: ${version}`,
        '  title: Redis cache',
        `  description: ${description}`,
        '  owner: platform-team',
        'spec:',
        '  type: yaml',
        '  parameters:',
        '    type: object',
        '    properties:',
        '      memory: { type: string, default: 256Mi }',
        '  apps:',
        '    helm: { repoURL: "https://charts.bitnami.com/bitnami", chart: redis, targetRevision: 19.0.0 }',
        '    values: ./values.yaml',
        '',
      ].join('\n');
    const files = (description: string) => ({
      files: [
        { path: 'catalog.yaml', content: catalog('1.0.0', description) },
        {
          path: 'values.yaml',
          content: 'master:\n  resources:\n    limits:\n      memory: ${{ parameters.memory }}\n',
        },
      ],
    });
    const first = await envcat.api('POST', '/api/v1/catalogs', files('An in-memory cache'));
    expectStatus(first, 201);
    expectStatus(await envcat.api('POST', '/api/v1/catalogs', files('An in-memory cache')), 200);
    const changed = await envcat.api<{ errors: Array<{ path: string }> }>(
      'POST',
      '/api/v1/catalogs',
      files('Changed'),
    );
    expectStatus(changed, 409);
    expect(changed.body.errors[0]?.path).toBe('/metadata/version');
    expectStatus(await envcat.api('GET', '/api/v1/catalogs/redis-cache'), 200);
    // Exactly one commit wrote the entry. Change sets that arrive together share a commit
    // (src/gitops/group-commit.ts) whose subject names only the first, so the publish is looked for
    // by the files each commit changed, and its message among the change sets of every commit.
    const log = await commits(envcat.repoUrls.platform);
    const wrote = log
      .map((c) => ({ sha: c.sha, files: c.files.filter((f) => f.startsWith('catalog/redis-cache/')).sort() }))
      .filter((c) => c.files.length > 0);
    expect(wrote.map((c) => c.files)).toEqual([
      [
        'catalog/redis-cache/1.0.0/catalog.yaml',
        'catalog/redis-cache/1.0.0/values.yaml',
        'catalog/redis-cache/latest.yaml',
      ],
    ]);
    // (one sha per change set that names the publish: the same one twice in a commit shows as two)
    const naming = log.flatMap((c) =>
      c.changeSets
        .filter((m) => m.startsWith('envcat: publish catalog entry redis-cache@1.0.0 '))
        .map(() => c.sha),
    );
    expect(naming).toEqual(wrote.map((c) => c.sha));
  });

  it('serves OpenAPI and Prometheus metrics', async () => {
    const openapi = (await (await fetch(`${envcat.url}/api/openapi.json`)).json()) as { paths: object };
    expect(Object.keys(openapi.paths)).toEqual(
      expect.arrayContaining([
        '/api/v1/environments',
        '/api/v1/environments/{name}',
        '/api/v1/environments/{name}/retry',
        '/api/v1/catalogs',
      ]),
    );
    // The retry route is there, and answers for what exists only
    const retry = (openapi.paths as Record<string, { post?: { responses: object } }>)[
      '/api/v1/environments/{name}/retry'
    ];
    expect(Object.keys(retry?.post?.responses ?? {})).toEqual(expect.arrayContaining(['202', '404', '409']));
    expectStatus(await envcat.api('POST', '/api/v1/environments/no-such-env/retry'), 404);
    const metrics = await (await fetch(`${envcat.url}/metrics`)).text();
    expect(metrics).toMatch(
      /^envcat_http_requests_total\{method="GET",route="\/api\/v1\/environments",status="200"\} \d+/m,
    );
    expect(metrics).toMatch(/^envcat_environments\{phase="Ready"\} \d+/m);
    expect(metrics).toMatch(/^envcat_git_commits_total\{repo="platform"\} \d+/m);
  });
});
