/**
 * Creates that arrive together share one commit of the platform repo (the GitRepo's group commit),
 * and each keeps its own compare-and-swap: a create whose name or namespace another member of the
 * group took first is refused alone, and the others land. Against a running envcat (real bare
 * repos, the simulated cluster); the commit is read back from Git.
 */
import { jest } from '@jest/globals';
import { ConflictError } from '../../src/core/index.js';
import {
  commits,
  fileAt,
  git,
  startTestEnvcat,
  type LoggedCommit,
  type TestEnvcat,
} from '../support/envcat.js';

jest.setTimeout(120_000);

let envcat: TestEnvcat;
beforeAll(async () => {
  envcat = await startTestEnvcat();
});
afterAll(async () => {
  await envcat?.close();
});

const actor = { name: 'group-tester' };

function database(name: string, options: { namespace?: string; description: string }) {
  return {
    apiVersion: 'envcat.io/v1alpha1',
    kind: 'Environment',
    metadata: { name },
    spec: {
      ...(options.namespace ? { namespace: options.namespace } : {}),
      type: 'pre-release',
      owner: actor.name,
      description: options.description,
      catalogs: [
        {
          name: 'db',
          entry: 'rds-postgres@^1',
          parameters: { databaseName: 'orders', masterPassword: `${name}-password-${options.description}` },
        },
      ],
    },
  };
}

/** The platform repo's commits that hold a file of `name`. */
/** The commits that wrote the environment's request: its create (the engine's waves follow on their own). */
async function commitsOf(name: string): Promise<LoggedCommit[]> {
  return (await commits(envcat.repoUrls.platform)).filter((c) =>
    c.files.includes(`environments/${name}/environment.yaml`),
  );
}

async function secretOf(name: string, namespace = name) {
  return envcat.cluster.get({ apiVersion: 'v1', kind: 'Secret', name: `${name}-db-params`, namespace });
}

describe('creates at the same moment', () => {
  it('land in one commit, which holds both requests and both namespace claims', async () => {
    // GIVEN two requests for different names
    const names = ['group-one', 'group-two'];
    // WHEN they are created at the same moment
    const created = await Promise.all(
      names.map((name) => envcat.service.create(database(name, { description: name }), actor)),
    );
    // THEN both are created
    expect(created.map((c) => c.metadata.name)).toEqual(names);
    // …in one commit of the platform repo: read back, it holds both files and both claims, and its
    // message names both creates
    const [first, second] = await Promise.all(names.map(commitsOf));
    expect(first).toHaveLength(1);
    expect(second).toEqual(first);
    const commit = first![0]!;
    expect(commit.files).toEqual(
      expect.arrayContaining(
        names.flatMap((name) => [`environments/${name}/environment.yaml`, `namespaces/${name}/${name}`]),
      ),
    );
    const message = await git(envcat.repoUrls.platform, ['log', '-1', '--format=%B', commit.sha]);
    for (const name of names) expect(message).toContain(`envcat: create environment ${name}:`);
    // …and each answer lists that commit in its history
    for (const view of created) expect(view.status.commits.map((c) => c.sha)).toContain(commit.sha);
  });

  it('a member refused by its compare-and-swap fails alone: the others of its commit land', async () => {
    // GIVEN five requests at once: two for one name, two for one namespace under different names,
    // and one that collides with nothing
    const requests = [
      database('group-same', { description: 'first' }),
      database('group-same', { description: 'second' }),
      database('group-ns-a', { namespace: 'group-shared', description: 'a' }),
      database('group-ns-b', { namespace: 'group-shared', description: 'b' }),
      database('group-free', { description: 'free' }),
    ];
    // WHEN they are created at the same moment
    const outcomes = await Promise.allSettled(requests.map((r) => envcat.service.create(r, actor)));
    // THEN of each colliding pair exactly one wins; the loser is a ConflictError pointing at what it
    // asked for (the name; the namespace), and the request that collides with nothing is created
    const won = outcomes.map((o) => o.status === 'fulfilled');
    expect([won[0], won[1]].filter(Boolean)).toHaveLength(1);
    expect([won[2], won[3]].filter(Boolean)).toHaveLength(1);
    expect(won[4]).toBe(true);
    const refused = outcomes.flatMap((o) => (o.status === 'rejected' ? [o.reason as unknown] : []));
    expect(refused).toHaveLength(2);
    for (const error of refused) expect(error).toBeInstanceOf(ConflictError);
    expect(refused.map((e) => (e as ConflictError).path).sort()).toEqual([
      '/metadata/name',
      '/spec/namespace',
    ]);
    // …the winners are in one commit, read back from Git: the refused members left nothing in it
    const sameWinner = won[0] ? 'first' : 'second';
    const nsWinner = won[2] ? 'group-ns-a' : 'group-ns-b';
    const nsLoser = won[2] ? 'group-ns-b' : 'group-ns-a';
    const [same, ns, free] = await Promise.all(['group-same', nsWinner, 'group-free'].map(commitsOf));
    expect(same).toHaveLength(1);
    expect(ns).toEqual(same);
    expect(free).toEqual(same);
    expect(await commitsOf(nsLoser)).toEqual([]);
    const file = await fileAt(envcat.repoUrls.platform, 'environments/group-same/environment.yaml');
    expect(file).toContain(`description: ${sameWinner}`);
    expect(await fileAt(envcat.repoUrls.platform, `namespaces/group-shared/${nsWinner}`)).toBeDefined();
    expect(await fileAt(envcat.repoUrls.platform, `namespaces/group-shared/${nsLoser}`)).toBeUndefined();
    // …and the Secrets are the winners' (the losers wrote none)
    const sameSecret = await secretOf('group-same');
    expect(
      Buffer.from(String((sameSecret?.data as Record<string, string>).masterPassword), 'base64').toString(
        'utf8',
      ),
    ).toBe(`group-same-password-${sameWinner}`);
    expect(await secretOf(nsWinner, 'group-shared')).toBeDefined();
    expect(await secretOf(nsLoser, 'group-shared')).toBeUndefined();
    expect(await secretOf('group-free')).toBeDefined();
  });
});
