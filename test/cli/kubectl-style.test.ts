/**
 * The CLI as kubectl users expect it, against a running envcat (in-process, over HTTP): `-o
 * json|yaml|wide` on env status/list and catalog list/show, and `env logs [--follow]`. The completion
 * scripts are in completion.test.ts.
 */
import { jest } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseYamlDocument, toYaml } from '../../src/core/index.js';
import type { CatalogDetail, CatalogList, EnvironmentList, EnvironmentView } from '../../src/api/contract.js';
import { main } from '../../src/cli/main.js';
import { exampleText, parse, startTestEnvcat, TEST_TOKEN, type TestEnvcat } from '../support/envcat.js';

jest.setTimeout(90_000);

let envcat: TestEnvcat;
let work: string;
beforeAll(async () => {
  envcat = await startTestEnvcat();
  work = mkdtempSync(join(tmpdir(), 'envcat-cli-kubectl-'));
  const file = await exampleFile('ko-style');
  const created = await cli('env', 'create', '-f', file, '--wait', '--timeout', '60s');
  expect(created).toMatchObject({ code: 0, stderr: '' });
});
afterAll(async () => {
  await envcat?.close();
  rmSync(work, { recursive: true, force: true });
});

async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return local(...args, '--server', envcat.url, '--token', TEST_TOKEN);
}

/** A command that does not talk to the service. */
async function local(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await main(['node', 'envcat', ...args], {
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

async function api<T>(path: string): Promise<T> {
  const answer = await envcat.api<T>('GET', path);
  expect(answer.status).toBe(200);
  return answer.body;
}

/** When the service looked is the one thing two answers about the same environment differ in. */
function unobserved(view: EnvironmentView): EnvironmentView {
  return { ...view, status: { ...view.status, observedAt: '' } };
}

const PARSERS = { json: (text: string) => JSON.parse(text) as unknown, yaml: parseYamlDocument };

describe.each(Object.entries(PARSERS))('-o %s prints the API object as is', (format, parseOutput) => {
  it('env status', async () => {
    const result = await cli('env', 'status', 'ko-style', '-o', format);
    expect(result.code).toBe(0);
    const printed = parseOutput(result.stdout) as EnvironmentView;
    expect(printed.status.phase).toBe('Ready');
    const answer = await api<EnvironmentView>('/api/v1/environments/ko-style');
    expect(unobserved(printed)).toEqual(unobserved(answer));
  });

  it('env list', async () => {
    const result = await cli('env', 'list', '-o', format);
    expect(result.code).toBe(0);
    const printed = parseOutput(result.stdout) as EnvironmentList;
    expect(printed.items.map((e) => e.name)).toContain('ko-style');
    expect(printed).toEqual(await api<EnvironmentList>('/api/v1/environments'));
  });

  it('catalog list', async () => {
    const result = await cli('catalog', 'list', '-o', format);
    expect(result.code).toBe(0);
    const printed = parseOutput(result.stdout) as CatalogList;
    expect(printed.items.length).toBe(6);
    expect(printed).toEqual(await api<CatalogList>('/api/v1/catalogs'));
  });

  it('catalog show <entry> and <entry>@<version>', async () => {
    const answer = await api<CatalogDetail>('/api/v1/catalogs/rds-postgres');
    const entry = await cli('catalog', 'show', 'rds-postgres', '-o', format);
    expect(entry.code).toBe(0);
    expect(parseOutput(entry.stdout)).toEqual(answer);
    const version = await cli('catalog', 'show', 'rds-postgres@1.0.0', '-o', format);
    expect(version.code).toBe(0);
    expect(parseOutput(version.stdout)).toEqual(answer.items.find((v) => v.version === '1.0.0'));
  });
});

describe('human and wide output', () => {
  it('env list -o wide adds INSTANCES with pinned versions, AGE and the TTL left', async () => {
    const human = await cli('env', 'list');
    expect(human.stdout).toMatch(/^NAME\s+PHASE\s+TYPE\s+OWNER\s+NAMESPACE$/m);
    const wide = await cli('env', 'list', '-o', 'wide');
    expect(wide.code).toBe(0);
    expect(wide.stdout).toMatch(/^NAME\s+PHASE\s+TYPE\s+OWNER\s+NAMESPACE\s+INSTANCES\s+AGE\s+TTL$/m);
    const row = wide.stdout.split('\n').find((l) => l.startsWith('ko-style '));
    expect(row?.split(/\s+/)).toEqual([
      'ko-style',
      'Ready',
      'pre-release',
      'admin',
      'ko-style',
      'db=rds-postgres@1.0.0,monitoring=datadog-agent@1.0.0,app=sample-app@1.0.0',
      expect.stringMatching(/^\d+s$/),
      expect.stringMatching(/^2[34]h$/),
    ]);
  });

  it('env status -o wide: where and whose, the steps with their versions, the conditions', async () => {
    const result = await cli('env', 'status', 'ko-style', '-o', 'wide');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('ko-style: Ready');
    expect(result.stdout).toMatch(
      /namespace: ko-style {2}type: pre-release {2}owner: admin {2}age: \d+s {2}ttl left: 2[34]h/,
    );
    expect(result.stdout).toMatch(/^INSTANCE\s+PART\s+PHASE\s+REASON\s+VERSION\s+UPDATE\s+MESSAGE$/m);
    expect(result.stdout).toMatch(/^db\s+infra\s+Ready\s+Available\s+rds-postgres@1\.0\.0\s+<none>/m);
    expect(result.stdout).toMatch(/^CONDITION\s+STATUS\s+REASON\s+MESSAGE$/m);
    expect(result.stdout).toMatch(/^Ready\s+True\s/m);
    expect(result.stdout).toMatch(/^output db\.endpoint = "/m);
  });

  it('catalog list and show, human and wide', async () => {
    const list = await cli('catalog', 'list');
    expect(list.stdout).toMatch(/^NAME\s+TYPE\s+LATEST\s+OWNER\s+TITLE$/m);
    expect(list.stdout).toMatch(/^rds-postgres\s+iac\s+1\.0\.0\s/m);
    const wide = await cli('catalog', 'list', '-o', 'wide');
    expect(wide.stdout).toMatch(/^NAME\s+TYPE\s+LATEST\s+OWNER\s+TITLE\s+VERSIONS\s+TAGS$/m);

    const show = await cli('catalog', 'show', 'rds-postgres');
    expect(show.code).toBe(0);
    expect(show.stdout).toMatch(/^rds-postgres@1\.0\.0 \(iac\) - /);
    expect(show.stdout).toMatch(/^1\.0\.0\s+latest$/m);
    expect(show.stdout).toMatch(/^allocatedStorage\s+integer\s+no\s+20$/m);
    expect(show.stdout).toMatch(/^OUTPUT\s+TYPE\s+SENSITIVE$/m);
    const showWide = await cli('catalog', 'show', 'rds-postgres@1.0.0', '-o', 'wide');
    expect(showWide.stdout).toMatch(/^ {2}digest: \S+/m);
    expect(showWide.stdout).toMatch(/^allocatedStorage\s+integer\s+no\s+20\s+no\s+20\.\.1000/m);
    expect(showWide.stdout).toMatch(/^masterPassword\s+string\s+\S+\s+\S+\s+yes\s/m);
  });

  it('catalog show of a version or an entry that does not exist exits 1', async () => {
    const version = await cli('catalog', 'show', 'rds-postgres@9.9.9');
    expect(version.code).toBe(1);
    expect(version.stderr).toContain('rds-postgres has no version 9.9.9; it has 1.0.0');
    expect((await cli('catalog', 'show', 'no-such-entry')).code).toBe(1);
  });

  it.each([
    ['env', 'status', 'ko-style'],
    ['env', 'list'],
    ['catalog', 'list'],
    ['catalog', 'show', 'rds-postgres'],
  ])('an unknown -o is a usage error (exit 2): %s %s', async (...command) => {
    const result = await cli(...command, '-o', 'xml');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("argument 'xml' is invalid. Allowed choices are json, yaml, wide.");
    expect(result.stdout).toBe('');
  });
});

describe('env logs', () => {
  const TIME = '\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ';

  it('without --follow: the commits, the phase and the steps known now', async () => {
    const result = await cli('env', 'logs', 'ko-style');
    expect(result.code).toBe(0);
    const lines = result.stdout.trimEnd().split('\n');
    const answer = await api<EnvironmentView>('/api/v1/environments/ko-style');
    const commitLines = lines.filter((l) => / commit /.test(l));
    expect(commitLines).toHaveLength(answer.status.commits.length);
    // Oldest first.
    const last = answer.status.commits[0]!;
    expect(commitLines.at(-1)).toMatch(
      new RegExp(
        `^${TIME} commit ${last.repo}@${last.sha.slice(0, 7)} ${escape(last.message.split('\n')[0]!)}$`,
      ),
    );
    expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^${TIME} Ready`)));
    expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^${TIME} db/infra Ready Available`)));
    expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^${TIME} app/apps Ready `)));
  });

  it('--follow: every change as it happens, until the environment is deleted', async () => {
    const file = await exampleFile('ko-follow', (doc) => {
      (doc.metadata as Record<string, unknown>).annotations = { 'simulator.envcat.io/db': '{"delay": "1s"}' };
    });
    expect((await cli('env', 'create', '-f', file)).code).toBe(0);
    const following = cli('env', 'logs', 'ko-follow', '--follow');
    // Once it is Ready, delete it: the stream ends with `deleted`.
    const ready = await waitFor(async () =>
      (await cli('env', 'status', 'ko-follow')).stdout.includes('ko-follow: Ready'),
    );
    expect(ready).toBe(true);
    expect((await cli('env', 'delete', 'ko-follow')).code).toBe(0);
    const result = await following;
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const lines = result.stdout.trimEnd().split('\n');
    const order = (pattern: string) => lines.findIndex((l) => new RegExp(`^${TIME} ${pattern}`).test(l));
    expect(order('ProvisioningInfrastructure')).toBeGreaterThanOrEqual(0);
    expect(order('db/infra Progressing')).toBeGreaterThan(order('ProvisioningInfrastructure') - 1);
    expect(order('db/infra Ready Available')).toBeGreaterThan(order('db/infra Progressing'));
    expect(order('Ready')).toBeGreaterThan(order('db/infra Ready Available'));
    expect(order('Deleting')).toBeGreaterThan(order('Ready'));
    expect(lines.at(-1)).toMatch(new RegExp(`^${TIME} deleted$`));
    expect(lines.filter((l) => / commit platform@/.test(l)).length).toBeGreaterThan(1);
  });

  it('of an environment that does not exist exits 1, with or without --follow', async () => {
    expect((await cli('env', 'logs', 'no-such-env')).code).toBe(1);
    const follow = await cli('env', 'logs', 'no-such-env', '--follow');
    expect(follow.code).toBe(1);
    expect(follow.stderr).toContain('NOT_FOUND');
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

async function waitFor(check: () => Promise<boolean>, ms = 60_000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return false;
}
