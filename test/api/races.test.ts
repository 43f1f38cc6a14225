/**
 * Two requests at the same moment, over HTTP against a running envcat (real bare repos, the
 * simulated cluster): every check that is followed by a write is a compare-and-swap, so exactly one
 * wins, the loser changes nothing, and nothing the winner wrote is lost.
 */
import { jest } from '@jest/globals';
import { commits, fileAt, parse, startTestEnvcat, waitFor, type TestEnvcat } from '../support/envcat.js';

jest.setTimeout(120_000);

let envcat: TestEnvcat;
beforeAll(async () => {
  envcat = await startTestEnvcat({
    env: { ENVCAT_TOKENS: 'alice:developer:alice-token-123,bob:developer:bob-token-456' },
  });
});
afterAll(async () => {
  await envcat?.close();
});

type Errors = { code: string; message: string; errors: Array<{ path: string; message: string }> };

function database(name: string, options: { namespace?: string; password: string; description: string }) {
  return {
    apiVersion: 'envcat.io/v1alpha1',
    kind: 'Environment',
    metadata: { name },
    spec: {
      ...(options.namespace ? { namespace: options.namespace } : {}),
      type: 'pre-release',
      description: options.description,
      catalogs: [
        {
          name: 'db',
          entry: 'rds-postgres@^1',
          parameters: { databaseName: 'orders', masterPassword: options.password },
        },
      ],
    },
  };
}

async function secretValue(namespace: string, name: string, key: string): Promise<string | undefined> {
  const secret = await envcat.cluster.get({ apiVersion: 'v1', kind: 'Secret', name, namespace });
  const value = (secret?.data as Record<string, string> | undefined)?.[key];
  return value === undefined ? undefined : Buffer.from(value, 'base64').toString('utf8');
}

describe('two creates at the same moment', () => {
  it.each([1, 2, 3, 4])(
    'of the same name: one 201, one 409, and the winner keeps its Secret and its file (try %i)',
    async (attempt) => {
      // GIVEN two requests for one name, each with its own secret value
      const name = `race-name-${attempt}`;
      const bodies = ['first', 'second'].map((who) =>
        database(name, { password: `${who}-password-${attempt}-x`, description: `made by ${who}` }),
      );
      // WHEN both are sent at once
      const answers = await Promise.all(
        bodies.map((body) => envcat.api<Errors>('POST', '/api/v1/environments', body)),
      );
      // THEN exactly one is created, and the other is told the name is taken (at /metadata/name)
      expect(answers.map((a) => a.status).sort()).toEqual([201, 409]);
      const winner = answers.findIndex((a) => a.status === 201);
      const loser = answers[1 - winner]!;
      expect(loser.body.errors).toEqual([
        { path: '/metadata/name', message: expect.stringMatching(/taken/) },
      ]);
      // …Git holds the winner's request, and the Secret holds the winner's value (the loser deleted nothing)
      const file = parse((await fileAt(envcat.repoUrls.platform, `environments/${name}/environment.yaml`))!);
      expect((file.spec as { description: string }).description).toBe(bodies[winner]!.spec.description);
      const expected = bodies[winner]!.spec.catalogs[0]!.parameters.masterPassword;
      expect(await secretValue(name, `${name}-db-params`, 'masterPassword')).toBe(expected);
      // …one create committed (alone or grouped with other change sets in one commit)
      const created = (await commits(envcat.repoUrls.platform))
        .flatMap((c) => c.changeSets)
        .filter((m) => m.startsWith(`envcat: create environment ${name}:`));
      expect(created).toHaveLength(1);
      // …and the Secret is still there once the engine has gone on with the environment
      await waitFor('the Workspace to exist', () =>
        envcat.cluster.get({
          apiVersion: 'tf.m.upbound.io/v1beta1',
          kind: 'Workspace',
          name: `${name}-db`,
          namespace: name,
        }),
      );
      expect(await secretValue(name, `${name}-db-params`, 'masterPassword')).toBe(expected);
    },
  );

  it('of two names in one namespace: one 201, one 409 at /spec/namespace, and the loser wrote nothing', async () => {
    // GIVEN two environments asking for the same namespace
    const namespace = 'race-shared-ns';
    const before = (await commits(envcat.repoUrls.platform)).length;
    const bodies = ['race-ns-a', 'race-ns-b'].map((name) =>
      database(name, { namespace, password: `${name}-password-x`, description: name }),
    );
    // WHEN both are sent at once
    const answers = await Promise.all(
      bodies.map((body) => envcat.api<Errors>('POST', '/api/v1/environments', body)),
    );
    // THEN one gets it; the other is told the namespace is taken, without whose it is
    expect(answers.map((a) => a.status).sort()).toEqual([201, 409]);
    const winner = answers.findIndex((a) => a.status === 201);
    const loserName = bodies[1 - winner]!.metadata.name;
    const loser = answers[1 - winner]!;
    expect(loser.body.errors).toEqual([
      { path: '/spec/namespace', message: `the namespace "${namespace}" is already taken` },
    ]);
    expect(loser.text).not.toContain(bodies[winner]!.metadata.name);
    // …one commit, with the winner's request and its namespace claim; nothing of the loser
    const log = await commits(envcat.repoUrls.platform);
    expect(log.length - before).toBeGreaterThanOrEqual(1);
    expect(
      await fileAt(envcat.repoUrls.platform, `environments/${loserName}/environment.yaml`),
    ).toBeUndefined();
    expect(
      await fileAt(envcat.repoUrls.platform, `namespaces/${namespace}/${bodies[winner]!.metadata.name}`),
    ).toMatch(/belongs to the environment/);
    expect(
      await envcat.cluster.get({
        apiVersion: 'v1',
        kind: 'Secret',
        name: `${loserName}-db-params`,
        namespace,
      }),
    ).toBeUndefined();
  });

  it("a namespace given as another environment's name, without spec.namespace, is pointed at /metadata/name", async () => {
    // GIVEN an environment in the namespace "taken-by-name"
    const first = database('race-owner', {
      namespace: 'taken-by-name',
      password: 'owner-password-x',
      description: 'x',
    });
    expect((await envcat.api('POST', '/api/v1/environments', first)).status).toBe(201);
    // WHEN another environment named like that namespace gives no spec.namespace
    const second = database('taken-by-name', { password: 'other-password-x', description: 'y' });
    const answer = await envcat.api<Errors>('POST', '/api/v1/environments', second);
    // THEN the conflict points at what the user sent: the name
    expect(answer.status).toBe(409);
    expect(answer.body.errors[0]?.path).toBe('/metadata/name');
  });

  it('never tells a developer whose the name is', async () => {
    // GIVEN Alice's environment
    const alice = { token: 'alice-token-123' };
    const bob = { token: 'bob-token-456' };
    const body = database('alice-private', { password: 'alice-password-x', description: 'alice' });
    expect((await envcat.api('POST', '/api/v1/environments', body, alice)).status).toBe(201);
    // WHEN Bob asks for her name, and for her namespace under another name
    const sameName = await envcat.api<Errors>('POST', '/api/v1/environments', body, bob);
    const sameNamespace = await envcat.api<Errors>(
      'POST',
      '/api/v1/environments',
      database('bob-env', { namespace: 'alice-private', password: 'bob-password-xx', description: 'bob' }),
      bob,
    );
    // THEN both are 409s that say only that it is taken, and GET still says 404 to him
    expect(sameName.status).toBe(409);
    expect(sameName.body.message).toMatch(/already taken/);
    expect(sameName.text).not.toMatch(/exists/);
    expect(sameNamespace.status).toBe(409);
    expect(sameNamespace.text).not.toMatch(/belongs to|environment "alice-private"/);
    expect((await envcat.api('GET', '/api/v1/environments/alice-private', undefined, bob)).status).toBe(404);
  });
});

describe('two publishes of one new version at the same moment', () => {
  const entry = (description: string) => ({
    files: [
      {
        path: 'catalog.yaml',
        content: [
          'apiVersion: envcat.io/v1alpha1',
          'kind: CatalogEntry',
          'metadata:',
          '  name: race-cache',
          '  version: 1.0.0',
          '  title: Race cache',
          `  description: ${description}`,
          '  owner: platform-team',
          'spec:',
          '  type: yaml',
          '  parameters: { type: object, properties: { memory: { type: string, default: 256Mi } } }',
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
    ],
  });

  it('with different content: one 201, one 409, and Git, the API and a restart agree on the winner', async () => {
    // WHEN two publishes of race-cache@1.0.0 with different content arrive together
    const answers = await Promise.all(
      ['one', 'two'].map((d) =>
        envcat.api<Errors & { digest?: string }>('POST', '/api/v1/catalogs', entry(d)),
      ),
    );
    // THEN one is created and one refused
    expect(answers.map((a) => a.status).sort()).toEqual([201, 409]);
    const winner = answers.findIndex((a) => a.status === 201);
    const winnerDescription = ['one', 'two'][winner]!;
    // …one publish committed, holding the winner's files
    const published = (await commits(envcat.repoUrls.platform))
      .flatMap((c) => c.changeSets)
      .filter((m) => m.startsWith('envcat: publish catalog entry race-cache@1.0.0 '));
    expect(published).toHaveLength(1);
    expect(await fileAt(envcat.repoUrls.platform, 'catalog/race-cache/1.0.0/catalog.yaml')).toContain(
      `description: ${winnerDescription}`,
    );
    // …the API serves the winner's content, before and after the catalog is read again from Git
    const served = async () => {
      const { body } = await envcat.api<{
        description: string;
        items: Array<{ version: string; digest: string }>;
      }>('GET', '/api/v1/catalogs/race-cache');
      return { description: body.description, digest: body.items.find((i) => i.version === '1.0.0')?.digest };
    };
    const before = await served();
    expect(before?.description).toBe(winnerDescription);
    await (
      envcat.service as unknown as { options: { catalogs: { load(): Promise<void> } } }
    ).options.catalogs.load();
    expect(await served()).toEqual(before);
    // …and the same content again is a no-op
    expect((await envcat.api('POST', '/api/v1/catalogs', entry(winnerDescription))).status).toBe(200);
  });
});
