/**
 * Phased provisioning end to end (issue 3's required tests 1–4, 6 and 7): real bare repos, the
 * simulated cluster over HTTP, the engine, the REST API. Nothing of ours is mocked.
 *
 * The order of the waves, outputs fed to the apps, and the order of a deletion are asserted case by
 * case on the in-memory twins (test/engine/engine-provisioning.test.ts, engine-deletion.test.ts);
 * here each family is seen once more through real Git and the simulated controllers.
 */
import { jest } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GitRepo } from '../../src/gitops/index.js';
import type { KubeObject } from '../../src/cluster/types.js';
import {
  commits,
  exampleText,
  fileAt,
  fullHistory,
  git,
  parse,
  startTestEnvcat,
  waitFor,
  type TestEnvcat,
} from '../support/envcat.js';
import { isAbout } from '../support/change-sets.js';
import { CATALOGS } from '../support/examples.js';

/** A status check that shows the body when it fails, so the failure says why the server said no. */
function expectStatus(response: { status: number; text: string }, status: number): void {
  if (response.status !== status)
    throw new Error(`expected HTTP ${status}, got ${response.status}: ${response.text.slice(0, 2000)}`);
}

jest.setTimeout(90_000);

const WORKSPACE = { apiVersion: 'tf.m.upbound.io/v1beta1', kind: 'Workspace' };

interface StatusBody {
  phase: string;
  message: string;
  steps: Array<{ instance: string; part: string; phase: string; reason: string; message: string }>;
  outputs: Record<string, Record<string, unknown>>;
  commits: Array<{ repo: string; sha: string; message: string }>;
  cluster: string;
}

function ready(workspace: KubeObject | undefined): boolean {
  const conditions = (workspace?.status as { conditions?: Array<Record<string, unknown>> })?.conditions ?? [];
  return conditions.some((c) => c.type === 'Ready' && c.status === 'True' && c.reason === 'Available');
}

async function statusOf(envcat: TestEnvcat, name: string): Promise<StatusBody | undefined> {
  const response = await envcat.api<{ status: StatusBody }>('GET', `/api/v1/environments/${name}`);
  return response.status === 200 ? response.body.status : undefined;
}

function phase(envcat: TestEnvcat, name: string, wanted: string) {
  return waitFor(
    `${name} to be ${wanted}`,
    async () => {
      const status = await statusOf(envcat, name);
      if (status?.phase === 'Failed' && wanted !== 'Failed')
        throw new Error(`${name} failed: ${status.message}`);
      return status?.phase === wanted ? status : undefined;
    },
    { timeoutMs: 45_000 },
  );
}

/** The domain example with a fresh secret value, so the secret checks look for something unique. */
async function domainExample(name: string, apiKey: string): Promise<Record<string, unknown>> {
  const document = parse(await exampleText('sample-app', 'dev-feature-auth.yaml')) as {
    metadata: { name: string };
    spec: { namespace: string; catalogs: Array<{ name: string; parameters: Record<string, unknown> }> };
  };
  document.metadata.name = name;
  document.spec.namespace = name;
  const monitoring = document.spec.catalogs.find((c) => c.name === 'monitoring');
  if (monitoring) monitoring.parameters.apiKey = apiKey;
  return document as unknown as Record<string, unknown>;
}

describe('phased provisioning through Git and the cluster', () => {
  let envcat: TestEnvcat;
  beforeAll(async () => {
    envcat = await startTestEnvcat();
  });
  afterAll(async () => {
    await envcat?.close();
  });

  it('2. runs a hybrid entry infrastructure first, then its apps', async () => {
    const document = parse(await exampleText('postgres-with-pgadmin', firstExample('postgres-with-pgadmin')));
    const name = (document.metadata as { name: string }).name;
    let availableAt: number | undefined;
    const informer = envcat.cluster.informer(WORKSPACE);
    informer.on('MODIFIED', (ws) => {
      if (ws.metadata.labels?.['envcat.io/environment'] === name && ready(ws)) availableAt ??= Date.now();
    });
    await informer.start();
    let appsCommittedAt: number | undefined;
    envcat.engine.on('committed', (event) => {
      if (event.environment === name && event.repo === 'apps') appsCommittedAt ??= Date.now();
    });

    expectStatus(await envcat.api('POST', '/api/v1/environments', document), 201);
    const status = await phase(envcat, name, 'Ready');
    informer.stop();

    expect(status.steps.map((s) => `${s.instance}/${s.part}`)).toEqual(
      expect.arrayContaining([expect.stringMatching(/\/infra$/), expect.stringMatching(/\/apps$/)]),
    );
    expect(availableAt).toBeDefined();
    expect(appsCommittedAt).toBeGreaterThanOrEqual(availableAt ?? Infinity);
  });

  it('3. a failing Workspace fails the environment with the provider message and commits no app', async () => {
    const name = 'dev-failing-db';
    const document = (await domainExample(name, 'f'.repeat(32))) as { metadata: Record<string, unknown> };
    document.metadata.annotations = {
      'simulator.envcat.io/db': JSON.stringify({
        failApply: 'creating RDS instance: quota exceeded for db.t3.micro',
      }),
    };
    expectStatus(await envcat.api('POST', '/api/v1/environments', document), 201);

    const status = await phase(envcat, name, 'Failed');
    const db = status.steps.find((s) => s.instance === 'db');
    expect(db).toMatchObject({ part: 'infra', phase: 'Failed', reason: 'ReconcileError' });
    expect(db?.message).toContain('quota exceeded for db.t3.micro');
    expect(status.message).toContain('quota exceeded');

    // Give the engine a few more passes: still nothing in the app repo for this environment.
    await envcat.engine.pollGit();
    await envcat.engine.idle();
    const apps = await commits(envcat.repoUrls.apps);
    expect(apps.filter((c) => c.files.some((f) => f.startsWith(`environments/${name}/`)))).toEqual([]);
  });

  it('6. a concurrent commit to the same repo: both land', async () => {
    // GIVEN another writer committing to the platform repo while envcat provisions
    const dir = await mkdtemp(join(tmpdir(), 'envcat-other-'));
    const other = new GitRepo({
      name: 'platform',
      url: envcat.repoUrls.platform,
      workdir: join(dir, 'clone'),
    });
    const name = 'dev-concurrent';
    const document = await domainExample(name, 'c'.repeat(32));
    try {
      const writes = (async () => {
        for (let i = 0; i < 8; i++)
          await other.commit({
            write: [{ path: `teams/other/note-${i}.txt`, content: `note ${i}\n` }],
            remove: [],
            message: `other team: note ${i}`,
          });
      })();
      expectStatus(await envcat.api('POST', '/api/v1/environments', document), 201);
      await writes;
      await phase(envcat, name, 'Ready');

      // THEN both histories are in the repo: every note and every envcat commit
      const log = await commits(envcat.repoUrls.platform);
      const changeSets = log.flatMap((c) => c.changeSets);
      for (let i = 0; i < 8; i++) expect(changeSets).toContain(`other team: note ${i}`);
      expect(changeSets.some((m) => m.startsWith(`envcat: create environment ${name}:`))).toBe(true);
      expect(log.some((c) => c.files.includes(`environments/${name}/infra/db.yaml`))).toBe(true);
      const tree = await treeOf(envcat, 'platform');
      expect(tree).toEqual(
        expect.arrayContaining(['teams/other/note-7.txt', `environments/${name}/infra/db.yaml`]),
      );
    } finally {
      await other.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('7. a secret parameter reaches the cluster Secret and nowhere else', async () => {
    const secret = randomBytes(16).toString('hex');
    const name = 'dev-secret-check';
    const created = await envcat.api('POST', '/api/v1/environments', await domainExample(name, secret));
    expectStatus(created, 201);
    const status = await phase(envcat, name, 'Ready');

    // In the cluster: the params Secret of the monitoring instance holds it.
    const stored = await envcat.cluster.get({
      apiVersion: 'v1',
      kind: 'Secret',
      name: `${name}-monitoring-params`,
      namespace: name,
    });
    const values = Object.values((stored?.data ?? {}) as Record<string, string>).map((v) =>
      Buffer.from(v, 'base64').toString('utf8'),
    );
    expect(values).toContain(secret);

    // Nowhere in either repo's whole history, in the logs or in any API response.
    expect(await fullHistory(envcat.repoUrls.platform)).not.toContain(secret);
    expect(await fullHistory(envcat.repoUrls.apps)).not.toContain(secret);
    expect(envcat.logs()).not.toContain(secret);
    expect(created.text).not.toContain(secret);
    expect(JSON.stringify(status)).not.toContain(secret);
    expect((await envcat.api('GET', `/api/v1/environments/${name}`)).text).not.toContain(secret);
    expect((await envcat.api('GET', '/api/v1/environments')).text).not.toContain(secret);
    const environmentFile = await fileAt(envcat.repoUrls.platform, `environments/${name}/environment.yaml`);
    expect(environmentFile).toContain(`name: ${name}-monitoring-params`);

    // The app carries the endpoint the database's Workspace reported: in the status, in the apps
    // repo and in the Deployment Argo CD applied.
    expect(status.cluster).toBe('simulated');
    const workspace = await envcat.cluster.get({ ...WORKSPACE, name: `${name}-db`, namespace: name });
    const endpoint = (workspace?.status as { atProvider: { outputs: Record<string, unknown> } }).atProvider
      .outputs.endpoint;
    expect(typeof endpoint).toBe('string');
    expect(status.outputs.db?.endpoint).toBe(endpoint);
    expect(await fullHistory(envcat.repoUrls.apps)).toContain(String(endpoint));
    const deployments = await envcat.cluster.list(
      { apiVersion: 'apps/v1', kind: 'Deployment' },
      { namespace: name },
    );
    expect(JSON.stringify(deployments)).toContain(String(endpoint));

    // The platform repo got the database's wave, the apps repo the apps wave, and the status lists both.
    const infraCommits = (await commits(envcat.repoUrls.platform)).filter((c) =>
      c.files.some((f) => f.startsWith(`environments/${name}/infra/`)),
    );
    expect(infraCommits).toHaveLength(1);
    // (a commit may carry other environments' change sets too: this one's is named in its body)
    expect(infraCommits[0]?.changeSets.filter((m) => isAbout(name, m))).toEqual([
      expect.stringMatching(new RegExp(`^envcat: ${name}: wave 1, infrastructure: db \\(rds-postgres@`)),
    ]);
    const appCommits = (await commits(envcat.repoUrls.apps)).filter((c) =>
      c.files.some((f) => f.startsWith(`environments/${name}/`)),
    );
    expect(appCommits).toHaveLength(1);
    expect(appCommits[0]?.changeSets.filter((m) => isAbout(name, m))).toEqual([
      expect.stringMatching(new RegExp(`^envcat: ${name}: wave 2, applications: `)),
    ]);
    expect(status.commits.map((c) => c.sha)).toEqual(
      expect.arrayContaining([infraCommits[0]?.sha, appCommits[0]?.sha]),
    );
  });
});

async function treeOf(envcat: TestEnvcat, repo: 'platform' | 'apps'): Promise<string[]> {
  return (await git(envcat.repoUrls[repo], ['ls-tree', '-r', '--name-only', 'main']).catch(() => ''))
    .split('\n')
    .filter(Boolean);
}

/** The first example request of an entry, by file name. */
function firstExample(entry: string): string {
  const file = readdirSync(join(CATALOGS, entry, 'examples'))
    .filter((f) => f.endsWith('.yaml'))
    .sort()[0];
  if (!file) throw new Error(`${entry} has no example`);
  return file;
}
