/**
 * Deletion of infrastructure (src/core/status/deletion.ts), end to end: real bare repos, the
 * simulated cluster over HTTP (its provider-terraform plays `terraform destroy` when a Workspace is
 * deleted), the engine and the REST API. Reverse wave order (the VPC's file removed only once the
 * database inside it is gone) is asserted on the twins (test/engine/engine-deletion.test.ts) and its
 * status message in test/core/status/deletion.test.ts; here, the fallback when no plan can be made.
 */
import { jest } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ANNOTATION, toYaml } from '../../src/core/index.js';
import { GitRepo } from '../../src/gitops/index.js';
import { commits, exampleText, parse, startTestEnvcat, waitFor, type TestEnvcat } from '../support/envcat.js';

jest.setTimeout(120_000);

interface StatusBody {
  phase: string;
  message: string;
}

let envcat: TestEnvcat;
beforeAll(async () => {
  envcat = await startTestEnvcat();
});
afterAll(async () => {
  await envcat?.close();
});

async function statusOf(name: string): Promise<StatusBody | undefined> {
  const response = await envcat.api<{ status: StatusBody }>('GET', `/api/v1/environments/${name}`);
  return response.status === 200 ? response.body.status : undefined;
}

it('removes every infra file at once when the request to delete is invalid, and says so', async () => {
  // GIVEN the rds-postgres example with its own VPC (two infra waves: network, then db), Ready
  const name = 'dev-orders-fallback';
  const document = parse(await exampleText('rds-postgres', 'with-vpc.yaml')) as {
    metadata: { name: string; annotations?: Record<string, string> };
    spec: { namespace: string; catalogs: Array<{ entry: string }> };
  };
  document.metadata.name = name;
  document.spec.namespace = name;
  // (a slow destroy, so that the status is seen while it waits)
  const slow = { 'simulator.envcat.io/network': JSON.stringify({ delay: '1500ms' }) };
  document.metadata.annotations = slow;
  expect((await envcat.api('POST', '/api/v1/environments', document)).status).toBe(201);
  await waitFor(
    `${name} to be Ready`,
    async () => ((await statusOf(name))?.phase === 'Ready' ? true : undefined),
    {
      timeoutMs: 60_000,
    },
  );
  const scratch = await mkdtemp(join(tmpdir(), 'envcat-person-'));
  const messages = new Set<string>();
  const poll = setInterval(() => {
    void statusOf(name).then((s) => s?.phase === 'Deleting' && messages.add(s.message));
  }, 100);
  const person = new GitRepo({
    name: 'platform',
    url: envcat.repoUrls.platform,
    workdir: join(scratch, 'clone'),
    author: { name: 'A Person', email: 'person@example.test' },
  });
  try {
    // WHEN a person commits a request to delete it that is no longer valid (no plan can be made)
    await person.sync();
    document.metadata.annotations = { ...slow, [ANNOTATION.deletionRequested]: 'by hand' };
    (document.spec.catalogs[1] as { entry: string }).entry = 'no-such-entry@^1';
    await person.commit({
      write: [{ path: `environments/${name}/environment.yaml`, content: toYaml(document) }],
      remove: [],
      message: 'delete it, with a broken entry',
    });
    await waitFor(
      `${name} to be gone`,
      async () =>
        (await envcat.api('GET', `/api/v1/environments/${name}`)).status === 404 ? true : undefined,
      { timeoutMs: 60_000 },
    );
  } finally {
    clearInterval(poll);
    await person.close();
    await rm(scratch, { recursive: true, force: true });
  }
  // THEN both infra files went in one commit, and the status said why
  // (by the change sets each commit carries: one grouped behind another's is named only in the body)
  const removals = (await commits(envcat.repoUrls.platform))
    .map((c) => ({
      deletes: c.changeSets.filter((m) => m.startsWith(`envcat: ${name}: delete`)),
      infra: c.files.filter((f) => f.startsWith(`environments/${name}/infra/`)).sort(),
    }))
    .filter((c) => c.deletes.length > 0 && c.infra.length > 0);
  expect(removals).toEqual([
    {
      deletes: [`envcat: ${name}: delete infrastructure of db, network`],
      infra: [`environments/${name}/infra/db.yaml`, `environments/${name}/infra/network.yaml`],
    },
  ]);
  expect([...messages]).toContain(
    'the environment has no valid plan, so all infrastructure is removed at once; waiting for terraform destroy of db, network',
  );
});
