/**
 * A platform team's release, end to end against a running envcat (in-process, over HTTP): publish
 * rds-postgres 1.1.0, roll it out to the pre-release environments one at a time, stop at the one
 * whose database fails to apply (a simulator control), and say where. Then one environment is
 * upgraded and rolled back by hand with `envcat env upgrade`.
 */
import { jest } from '@jest/globals';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { toYaml } from '../../src/core/index.js';
import type { EnvironmentView } from '../../src/api/contract.js';
import { main } from '../../src/cli/main.js';
import { commits, startTestEnvcat, TEST_TOKEN, waitFor, type TestEnvcat } from '../support/envcat.js';
import { rdsPostgresFiles } from '../support/examples.js';

jest.setTimeout(120_000);

let envcat: TestEnvcat;
let work: string;
beforeAll(async () => {
  envcat = await startTestEnvcat();
  work = mkdtempSync(join(tmpdir(), 'envcat-rollout-'));
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

/** An environment with one database on rds-postgres@^1, written to a file. */
function requestFile(
  name: string,
  options: { type?: string; annotations?: Record<string, string> } = {},
): string {
  const file = join(work, `${name}.yaml`);
  writeFileSync(
    file,
    toYaml({
      apiVersion: 'envcat.io/v1alpha1',
      kind: 'Environment',
      metadata: { name, ...(options.annotations ? { annotations: options.annotations } : {}) },
      spec: {
        type: options.type ?? 'pre-release',
        catalogs: [{ name: 'db', entry: 'rds-postgres@^1', parameters: { databaseName: 'orders' } }],
      },
    }),
  );
  return file;
}

async function versionOf(name: string): Promise<string | undefined> {
  const view = await envcat.api<EnvironmentView>('GET', `/api/v1/environments/${name}`);
  return view.body.spec?.catalogs?.[0]?.version;
}

describe('envcat catalog rollout', () => {
  it('upgrades each environment that runs an older version in turn, and stops at the first failure, saying where', async () => {
    // GIVEN five pre-release environments and one release environment on rds-postgres 1.0.0, Ready
    const names = ['ro-1', 'ro-2', 'ro-3', 'ro-4', 'ro-5'];
    for (const name of names) expect((await cli('env', 'create', '-f', requestFile(name))).code).toBe(0);
    expect((await cli('env', 'create', '-f', requestFile('ro-release', { type: 'release' }))).code).toBe(0);
    for (const name of [...names, 'ro-release'])
      await waitFor(`${name} Ready`, async () => {
        const view = await envcat.api<EnvironmentView>('GET', `/api/v1/environments/${name}`);
        return view.body.status.phase === 'Ready' ? true : undefined;
      });
    // …and ro-3's next terraform apply will fail
    const failing = requestFile('ro-3', {
      annotations: {
        'simulator.envcat.io/db': '{"failApply": "InsufficientDBInstanceCapacity in eu-west-1a"}',
      },
    });
    const applied = await cli('env', 'apply', '-f', failing, '--wait', '--timeout', '60s');
    expect(applied.code).toBe(0);

    // WHEN the platform team publishes rds-postgres 1.1.0 and rolls it out to pre-release environments
    const folder = join(work, 'rds-postgres');
    for (const file of rdsPostgresFiles('1.1.0')) {
      mkdirSync(dirname(join(folder, file.path)), { recursive: true });
      writeFileSync(join(folder, file.path), file.content);
    }
    const published = await cli('catalog', 'publish', folder);
    expect(published.stderr).toContain('rds-postgres@1.1.0 published');
    const dry = await cli(
      'catalog',
      'rollout',
      'rds-postgres',
      '--to',
      '1.1.0',
      '--selector',
      'type=pre-release',
      '--dry-run',
    );
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain('ro-1: would upgrade db rds-postgres 1.0.0 → 1.1.0');
    expect(await versionOf('ro-1')).toBe('1.0.0');
    const rollout = await cli(
      'catalog',
      'rollout',
      'rds-postgres',
      '--to',
      '1.1.0',
      '--selector',
      'type=pre-release',
      '--max-parallel',
      '1',
      '--timeout',
      '60s',
    );

    // THEN ro-1 and ro-2 are upgraded and Ready, ro-3 fails and the rollout stops there
    expect(rollout.stdout).toContain(
      'rolling out rds-postgres 1.1.0 to 5 environment(s), 1 at a time: ro-1, ro-2, ro-3, ro-4, ro-5\n',
    );
    expect(rollout.stdout).toContain('ro-1: upgrading db rds-postgres 1.0.0 → 1.1.0\n[1/5] ro-1: Ready\n');
    expect(rollout.stdout).toContain('[2/5] ro-2: Ready\n');
    expect(rollout.stdout).toMatch(
      /\[3\/5\] ro-3: failed: db\/infra Failed \(\w+\): .*InsufficientDBInstanceCapacity/,
    );
    expect(rollout.stdout).not.toContain('ro-4:');
    expect(rollout.code).toBe(3);
    expect(rollout.stderr).toMatch(
      /^envcat: rollout of rds-postgres 1\.1\.0 stopped at ro-3: db\/infra Failed \(\w+\): .*InsufficientDBInstanceCapacity in eu-west-1a.*; upgraded: ro-1, ro-2; not started: ro-4, ro-5\n$/,
    );
    expect(
      await Promise.all([...names, 'ro-release'].map(async (name) => [name, await versionOf(name)])),
    ).toEqual([
      ['ro-1', '1.1.0'],
      ['ro-2', '1.1.0'],
      ['ro-3', '1.1.0'],
      ['ro-4', '1.0.0'],
      ['ro-5', '1.0.0'],
      ['ro-release', '1.0.0'],
    ]);
    // Each change is a change set naming the actor, the instance and the versions (one grouped
    // behind another in a commit is named only in its body)
    const changeSets = (await commits(envcat.repoUrls.platform)).flatMap((c) => c.changeSets);
    expect(changeSets).toContain(
      'envcat: upgrade environment ro-1: db rds-postgres 1.0.0 → 1.1.0 (by admin)',
    );
    expect(changeSets.filter((m) => m.startsWith('envcat: upgrade environment ro-4'))).toEqual([]);

    // WHEN ro-4 is upgraded by hand, then rolled back
    const preview = await cli('env', 'upgrade', 'ro-4', '--dry-run');
    expect(preview.code).toBe(0);
    expect(preview.stdout).toContain(
      'environment ro-4 would be upgraded:\n  db: rds-postgres 1.0.0 → 1.1.0\n',
    );
    expect(preview.stdout).toMatch(/^\+\s+version: 1\.1\.0$/m);
    const up = await cli('env', 'upgrade', 'ro-4', '--wait', '--timeout', '60s');
    expect(up.stdout).toContain('environment ro-4: db rds-postgres 1.0.0 → 1.1.0 (cluster: simulated)\n');
    expect(up.stdout).toContain('ro-4: Ready');
    expect(up.code).toBe(0);
    const again = await cli('env', 'upgrade', 'ro-4');
    expect(again.stdout).toContain('environment ro-4: nothing to upgrade');
    const back = await cli('env', 'upgrade', 'ro-4', '--to', '1.0.0', '--wait', '--timeout', '60s');
    expect(back.code).toBe(0);
    expect(back.stdout).toContain('environment ro-4: db rds-postgres 1.1.0 → 1.0.0');
    expect(await versionOf('ro-4')).toBe('1.0.0');
    expect((await commits(envcat.repoUrls.platform)).flatMap((c) => c.changeSets)).toContain(
      'envcat: roll back environment ro-4: db rds-postgres 1.1.0 → 1.0.0 (by admin)',
    );
    // A version that is not published is refused, naming it
    const missing = await cli('env', 'upgrade', 'ro-4', '--to', '9.9.9');
    expect(missing.code).toBe(1);
    expect(missing.stdout).toMatch(/^#\/to: rds-postgres has no version 9\.9\.9/m);
  });
});
