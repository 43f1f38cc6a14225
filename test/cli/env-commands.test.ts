/**
 * `envcat env create|status|list|extend|delete` against a running envcat (in-process, over HTTP), as a CI
 * pipeline would use them: create with --wait, test, delete with --wait.
 */
import { jest } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toYaml } from '../../src/core/index.js';
import { main } from '../../src/cli/main.js';
import {
  commits,
  exampleText,
  parse,
  startTestEnvcat,
  TEST_TOKEN,
  type TestEnvcat,
} from '../support/envcat.js';
import { sampleApp110Files } from '../support/examples.js';

jest.setTimeout(90_000);

let envcat: TestEnvcat;
let work: string;
beforeAll(async () => {
  envcat = await startTestEnvcat();
  work = mkdtempSync(join(tmpdir(), 'envcat-cli-'));
});
afterAll(async () => {
  await envcat?.close();
  rmSync(work, { recursive: true, force: true });
});

async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await main(['node', 'envcat', ...args, '--server', envcat.url, '--token', TEST_TOKEN], {
    stdout: (s) => void (stdout += s),
    stderr: (s) => void (stderr += s),
  });
  return { code, stdout, stderr };
}

async function exampleFile(name: string, change?: (doc: Record<string, unknown>) => void): Promise<string> {
  const document = parse(await exampleText('sample-app', 'dev-feature-auth.yaml'));
  (document.metadata as { name: string }).name = name;
  (document.spec as { namespace: string }).namespace = name;
  change?.(document);
  const file = join(work, `${name}.yaml`);
  writeFileSync(file, toYaml(document));
  return file;
}

describe('envcat env', () => {
  it('creates with --wait (exit 0 at Ready), shows status and lists, deletes with --wait', async () => {
    // A database that takes a second, so the progress lines show the infrastructure phase.
    const file = await exampleFile('ci-branch-42', (doc) => {
      (doc.metadata as Record<string, unknown>).annotations = { 'simulator.envcat.io/db': '{"delay": "1s"}' };
    });

    const created = await cli('env', 'create', '-f', file, '--wait', '--timeout', '60s');
    expect(created.stderr).toBe('');
    expect(created.code).toBe(0);
    expect(created.stdout).toContain('environment ci-branch-42 created (cluster: simulated)');
    // Not a terminal: one plain line per change, ending in Ready with the steps and outputs.
    expect(created.stdout).toMatch(/ProvisioningInfrastructure \(0\/3 steps ready\)/);
    expect(created.stdout).toContain('ci-branch-42: Ready');
    expect(created.stdout).toMatch(/db\/infra: Ready \(Available\)/);
    expect(created.stdout).toMatch(/output db\.endpoint = "/);

    const status = await cli('env', 'status', 'ci-branch-42');
    expect(status.code).toBe(0);
    expect(status.stdout).toContain('ci-branch-42: Ready');

    const list = await cli('env', 'list');
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^NAME\s+PHASE\s+TYPE\s+OWNER\s+NAMESPACE$/m);
    expect(list.stdout).toMatch(/^ci-branch-42\s+Ready\s+pre-release\s+admin\s+ci-branch-42$/m);
    expect(list.stdout).toContain('(cluster: simulated');

    const deleted = await cli('env', 'delete', 'ci-branch-42', '--wait', '--timeout', '60s');
    expect(deleted.code).toBe(0);
    expect(deleted.stdout).toContain('environment ci-branch-42 deleted');
    expect((await cli('env', 'status', 'ci-branch-42')).code).toBe(1);
  });

  it('prints file#pointer lines and exits 1 for an invalid request, committing nothing', async () => {
    const before = (await commits(envcat.repoUrls.platform)).length;
    const file = await exampleFile('ci-invalid', (doc) => {
      const spec = doc.spec as { catalogs: Array<{ name: string; parameters: Record<string, unknown> }> };
      const db = spec.catalogs.find((c) => c.name === 'db');
      if (db) db.parameters.allocatedStorage = 5;
    });
    const result = await cli('env', 'create', '-f', file, '--wait');
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(`${file}#/spec/catalogs/0/parameters/allocatedStorage: `);
    expect((await commits(envcat.repoUrls.platform)).length).toBe(before);
  });

  it('exits non-zero with --wait when the environment fails', async () => {
    const file = await exampleFile('ci-failing', (doc) => {
      (doc.metadata as Record<string, unknown>).annotations = {
        'simulator.envcat.io/db': '{"failApply": "insufficient capacity"}',
      };
    });
    const result = await cli('env', 'create', '-f', file, '--wait', '--timeout', '60s');
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('ci-failing: Failed');
    expect(result.stderr).toContain('insufficient capacity');
  });

  it('says 409 for a name that exists and 404 for one that does not', async () => {
    const file = await exampleFile('ci-failing');
    const again = await cli('env', 'create', '-f', file);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('CONFLICT');
    const missing = await cli('env', 'delete', 'no-such-env');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('NOT_FOUND');
  });

  it('extends an environment: its ttl ends --ttl from now, counted from its creation', async () => {
    // GIVEN an environment with a ttl of 24h
    const file = await exampleFile('ci-extended', (doc) => {
      (doc.spec as Record<string, unknown>).ttl = '24h';
    });
    expect((await cli('env', 'create', '-f', file)).code).toBe(0);

    // WHEN it is extended by 48h
    const before = Date.now();
    const extended = await cli('env', 'extend', 'ci-extended', '--ttl', '48h');

    // THEN it expires 48h from now (to the minute up), and spec.ttl says so from its creation
    expect(extended).toMatchObject({ code: 0, stderr: '' });
    const view = await envcat.api<{
      metadata: { creationTimestamp: string };
      spec: { ttl: string };
      status: { expiresAt: string };
    }>('GET', '/api/v1/environments/ci-extended');
    const expires = Date.parse(view.body.status.expiresAt);
    expect(expires).toBeGreaterThanOrEqual(before + 48 * 3_600_000);
    expect(expires).toBeLessThan(Date.now() + 48 * 3_600_000 + 61_000);
    expect(extended.stdout).toBe(
      `environment ci-extended extended: ttl ${view.body.spec.ttl}, expires at ${view.body.status.expiresAt}\n`,
    );
    expect(view.body.spec.ttl).toMatch(/^2d(\d+m)?$/);

    // AND a duration that is not one, or no such environment, is refused
    expect(await cli('env', 'extend', 'ci-extended', '--ttl', 'soon')).toMatchObject({ code: 2 });
    const missing = await cli('env', 'extend', 'no-such-env', '--ttl', '1h');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('NOT_FOUND');
  });

  // Last: it publishes sample-app 1.1.0 into the catalog the other cases share.
  it('shows each pinned version, and the update a newer publish makes available', async () => {
    // GIVEN an environment created on sample-app 1.0.0
    const file = await exampleFile('ci-pinned');
    expect((await cli('env', 'create', '-f', file)).code).toBe(0);
    const before = await cli('env', 'status', 'ci-pinned');
    expect(before.stdout).toContain('  app: sample-app@1.0.0\n');
    expect(before.stdout).toContain('  db: rds-postgres@1.0.0, requested rds-postgres@^1\n');
    // WHEN sample-app 1.1.0 is published
    const published = await envcat.api('POST', '/api/v1/catalogs', { files: sampleApp110Files() });
    expect(published.status).toBe(201);
    // THEN the instance stays on 1.0.0, and its status says 1.1.0 is available
    const after = await cli('env', 'status', 'ci-pinned');
    expect(after.stdout).toContain('  app: sample-app@1.0.0; update available: 1.1.0 (newest)\n');
  });
});
