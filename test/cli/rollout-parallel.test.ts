/**
 * `envcat catalog rollout --max-parallel 2`, against a running envcat (in-process, over HTTP): six
 * pre-release environments on rds-postgres 1.0.0, each database apply slowed to a second or more (a
 * simulator control) so that an upgrade lasts long enough to be seen in flight. Two are moved at
 * once and never more, as the CLI's progress lines and the server's own view (its environment
 * list, sampled while the rollout runs) both show; the third fails, the one under way beside it is
 * followed to its end, and the last two are not touched.
 */
import { jest } from '@jest/globals';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { toYaml } from '../../src/core/index.js';
import type { EnvironmentList, EnvironmentView } from '../../src/api/contract.js';
import { main } from '../../src/cli/main.js';
import { git, startTestEnvcat, TEST_TOKEN, waitFor, type TestEnvcat } from '../support/envcat.js';
import { rdsPostgresFiles } from '../support/examples.js';

jest.setTimeout(180_000);

let envcat: TestEnvcat;
let work: string;
beforeAll(async () => {
  envcat = await startTestEnvcat();
  work = mkdtempSync(join(tmpdir(), 'envcat-rollout-parallel-'));
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

/** An environment with one database on rds-postgres@^1 whose applies take `controls` (simulator), written to a file. */
function requestFile(
  name: string,
  controls: Record<string, string>,
  options: { labels?: Record<string, string>; version?: string } = {},
): string {
  const file = join(work, `${name}.yaml`);
  writeFileSync(
    file,
    toYaml({
      apiVersion: 'envcat.io/v1alpha1',
      kind: 'Environment',
      metadata: {
        name,
        ...(options.labels ? { labels: options.labels } : {}),
        annotations: { 'simulator.envcat.io/db': JSON.stringify(controls) },
      },
      spec: {
        type: 'pre-release',
        catalogs: [
          {
            name: 'db',
            entry: 'rds-postgres@^1',
            ...(options.version ? { version: options.version } : {}),
            parameters: { databaseName: 'orders' },
          },
        ],
      },
    }),
  );
  return file;
}

/**
 * The server's view of a rollout, sampled: each look at the environment list, with the
 * environments that run the new version and are neither Ready nor Failed (an upgrade in flight).
 */
class InFlightSampler {
  readonly samples: Array<{ at: number; inFlight: string[] }> = [];
  private running = true;
  private readonly loop: Promise<void>;

  constructor(names: readonly string[], to: string) {
    this.loop = (async () => {
      while (this.running) {
        const list = await envcat.api<EnvironmentList>('GET', '/api/v1/environments');
        const inFlight = list.body.items
          .filter((e) => names.includes(e.name))
          .filter((e) => e.instances[0]?.version === to && e.phase !== 'Ready' && e.phase !== 'Failed')
          .map((e) => e.name)
          .sort();
        this.samples.push({ at: Date.now(), inFlight });
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    })();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }
}

/** From the CLI's progress lines, in order: how many environments were started and not finished at each line. */
function concurrencyOf(stdout: string): number[] {
  const open = new Set<string>();
  const levels: number[] = [];
  for (const line of stdout.split('\n')) {
    const started = /^([\w-]+): upgrading /.exec(line);
    const finished = /^\[\d+\/\d+\] ([\w-]+): (Ready|failed)/.exec(line);
    if (started) open.add(started[1]!);
    if (finished) open.delete(finished[1]!);
    if (started || finished) levels.push(open.size);
  }
  return levels;
}

describe('envcat catalog rollout --max-parallel', () => {
  it('moves up to N environments at once, never more, and stops at the first failure leaving the rest untouched', async () => {
    // GIVEN six pre-release environments on rds-postgres 1.0.0, Ready, whose database applies take
    // 1s (pr-4's 3s, so that it is still under way when pr-3 fails)
    const names = ['pr-1', 'pr-2', 'pr-3', 'pr-4', 'pr-5', 'pr-6'];
    const slow = (name: string) => ({ delay: name === 'pr-4' ? '3s' : '1s' });
    const created = await Promise.all(
      names.map((name) => cli('env', 'create', '-f', requestFile(name, slow(name)))),
    );
    expect(created.map((c) => c.code)).toEqual(names.map(() => 0));
    for (const name of names)
      await waitFor(
        `${name} Ready`,
        async () => {
          const view = await envcat.api<EnvironmentView>('GET', `/api/v1/environments/${name}`);
          return view.body.status.phase === 'Ready' ? true : undefined;
        },
        { timeoutMs: 60_000 },
      );
    // …and pr-3's next terraform apply fails (after its 1s)
    const failing = requestFile('pr-3', { delay: '1s', failApply: 'InsufficientDBInstanceCapacity' });
    expect((await cli('env', 'apply', '-f', failing, '--wait', '--timeout', '60s')).code).toBe(0);
    const folder = join(work, 'rds-postgres');
    for (const file of rdsPostgresFiles('1.1.0')) {
      mkdirSync(dirname(join(folder, file.path)), { recursive: true });
      writeFileSync(join(folder, file.path), file.content);
    }
    expect((await cli('catalog', 'publish', folder)).stderr).toContain('rds-postgres@1.1.0 published');

    // WHEN 1.1.0 is rolled out to them two at a time, while the server's view is sampled
    const sampler = new InFlightSampler(names, '1.1.0');
    const rollout = await cli(
      'catalog',
      'rollout',
      'rds-postgres',
      '--to',
      '1.1.0',
      '--selector',
      'type=pre-release',
      '--max-parallel',
      '2',
      '--timeout',
      '60s',
    );
    await sampler.stop();

    // THEN the CLI had two under way at once, and never more
    expect(rollout.stdout).toContain(
      'rolling out rds-postgres 1.1.0 to 6 environment(s), 2 at a time: pr-1, pr-2, pr-3, pr-4, pr-5, pr-6\n',
    );
    const levels = concurrencyOf(rollout.stdout);
    expect(Math.max(...levels)).toBe(2);
    // pr-1 and pr-2 both start before either is done
    expect(rollout.stdout).toMatch(/^pr-1: upgrading .*\npr-2: upgrading .*\n\[1\/6\] /m);
    // …so does the server: at some moment two environments were upgrading at 1.1.0, never three
    const widest = Math.max(...sampler.samples.map((s) => s.inFlight.length));
    expect({ widest, samples: sampler.samples.length > 20 }).toEqual({ widest: 2, samples: true });
    // …and Git agrees: the platform repo's history holds pr-1's and pr-2's upgrades before pr-3's
    // and pr-4's, and none of pr-5 or pr-6 (a commit may carry several environments' changes)
    const log = await git(envcat.repoUrls.platform, ['log', '--reverse', '--format=%x1e%B', 'main']);
    const upgrades = log
      .split('\x1e')
      // (a commit carrying several change sets repeats its first one's subject line above its body)
      .flatMap((message) => [
        ...new Set([...message.matchAll(/^envcat: upgrade environment (pr-\d)/gm)].map((m) => m[1]!)),
      ]);
    expect(upgrades.slice(0, 2).sort()).toEqual(['pr-1', 'pr-2']);
    expect(upgrades.slice(2).sort()).toEqual(['pr-3', 'pr-4']);

    // THEN pr-3 fails and stops the rollout; pr-4, under way beside it, is followed to Ready; pr-5 and pr-6 are untouched
    expect(rollout.stdout).toMatch(
      /\] pr-3: failed: db\/infra Failed \(\w+\): .*InsufficientDBInstanceCapacity/,
    );
    expect(rollout.stdout).toMatch(/\] pr-4: Ready\n/);
    expect(rollout.stdout).not.toMatch(/^pr-[56]:/m);
    expect(rollout.code).toBe(3);
    expect(rollout.stderr).toMatch(
      /^envcat: rollout of rds-postgres 1\.1\.0 stopped at pr-3: db\/infra Failed \(\w+\): .*InsufficientDBInstanceCapacity.*; upgraded: pr-[12], pr-[12], pr-4; not started: pr-5, pr-6\n$/,
    );
    const versions = await Promise.all(
      names.map(async (name) => {
        const view = await envcat.api<EnvironmentView>('GET', `/api/v1/environments/${name}`);
        return [name, view.body.spec?.catalogs?.[0]?.version, view.body.status.phase];
      }),
    );
    expect(versions).toEqual([
      ['pr-1', '1.1.0', 'Ready'],
      ['pr-2', '1.1.0', 'Ready'],
      ['pr-3', '1.1.0', 'Failed'],
      ['pr-4', '1.1.0', 'Ready'],
      ['pr-5', '1.0.0', 'Ready'],
      ['pr-6', '1.0.0', 'Ready'],
    ]);
  });

  it('stops at an environment deleted while it is upgraded, follows the one beside it to its end, and starts no other', async () => {
    // GIVEN three environments labelled for this rollout on rds-postgres 1.0.0 (1.1.0 is published above), Ready
    const names = ['pd-1', 'pd-2', 'pd-3'];
    for (const name of names) {
      const file = requestFile(
        name,
        { delay: '1500ms' },
        { labels: { rollout: 'deletion-test' }, version: '1.0.0' },
      );
      expect((await cli('env', 'create', '-f', file)).code).toBe(0);
    }
    for (const name of names)
      await waitFor(
        `${name} Ready`,
        async () => {
          const view = await envcat.api<EnvironmentView>('GET', `/api/v1/environments/${name}`);
          return view.body.status.phase === 'Ready' ? true : undefined;
        },
        { timeoutMs: 60_000 },
      );

    // WHEN they are rolled out two at a time, and pd-1 is deleted once its upgrade is committed
    const running = cli(
      'catalog',
      'rollout',
      'rds-postgres',
      '--to',
      '1.1.0',
      '--selector',
      'rollout=deletion-test',
      '--max-parallel',
      '2',
      '--timeout',
      '60s',
    );
    await waitFor('pd-1 upgraded in Git', async () => {
      const view = await envcat.api<EnvironmentView>('GET', '/api/v1/environments/pd-1');
      return view.body.spec?.catalogs?.[0]?.version === '1.1.0' ? true : undefined;
    });
    expect((await envcat.api('DELETE', '/api/v1/environments/pd-1')).status).toBe(202);
    const rollout = await running;

    // THEN the rollout stops at pd-1, saying it is being deleted; pd-2 is followed to Ready; pd-3 is not started
    expect(rollout.code).toBe(3);
    expect(rollout.stdout).toMatch(/\] pd-1: failed: .*deleted/);
    expect(rollout.stdout).toMatch(/\] pd-2: Ready\n/);
    expect(rollout.stderr).toMatch(
      /^envcat: rollout of rds-postgres 1\.1\.0 stopped at pd-1: .*deleted.*; upgraded: pd-2; not started: pd-3\n$/,
    );
    // …and nothing goes on behind the command's back: pd-3 is still on 1.0.0 a while after it returned
    await new Promise((resolve) => setTimeout(resolve, 4_000));
    const pd3 = await envcat.api<EnvironmentView>('GET', '/api/v1/environments/pd-3');
    expect([pd3.body.spec?.catalogs?.[0]?.version, pd3.body.status.phase]).toEqual(['1.0.0', 'Ready']);
  });
});
