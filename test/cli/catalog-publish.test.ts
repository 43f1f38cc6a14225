/**
 * `envcat catalog publish|deprecate|undeprecate|yank|unyank` against a running envcat (in-process,
 * over HTTP), and `catalog validate` checking examples: every problem as
 * `<file>#<json-pointer>: <message>` with the local file, exit 1 when refused.
 */
import { jest } from '@jest/globals';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main.js';
import { fileAt, startTestEnvcat, TEST_TOKEN, type TestEnvcat } from '../support/envcat.js';

jest.setTimeout(90_000);

let envcat: TestEnvcat;
let work: string;
beforeAll(async () => {
  envcat = await startTestEnvcat();
  work = mkdtempSync(join(tmpdir(), 'envcat-cli-publish-'));
});
afterAll(async () => {
  await envcat?.close();
  rmSync(work, { recursive: true, force: true });
});

async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const server = args[1] === 'validate' ? [] : ['--server', envcat.url, '--token', TEST_TOKEN];
  const code = await main(['node', 'envcat', ...args, ...server], {
    stdout: (s) => void (stdout += s),
    stderr: (s) => void (stderr += s),
  });
  return { code, stdout, stderr };
}

/** An entry folder `<work>/<folder>/queue` holding queue@version; `memory` its allowed values. */
function entry(
  folder: string,
  version: string,
  options: { memory?: string[]; description?: string; example?: string; exampleEntry?: string } = {},
): string {
  const memory = options.memory ?? ['256Mi', '512Mi'];
  const dir = join(work, folder, 'queue');
  mkdirSync(join(dir, 'examples'), { recursive: true });
  writeFileSync(
    join(dir, 'catalog.yaml'),
    [
      'apiVersion: envcat.io/v1alpha1',
      'kind: CatalogEntry',
      'metadata:',
      '  name: queue',
      `  version: ${version}`,
      `  description: ${options.description ?? 'A message queue'}`,
      'spec:',
      '  type: yaml',
      '  parameters:',
      '    type: object',
      '    properties:',
      `      memory: { type: string, enum: [${memory.join(', ')}], default: ${memory[0]} }`,
      '  apps:',
      '    helm: { repoURL: "https://charts.bitnami.com/bitnami", chart: rabbitmq, targetRevision: 14.0.0 }',
      '    values: ./values.yaml',
      '',
    ].join('\n'),
  );
  writeFileSync(join(dir, 'values.yaml'), 'resources:\n  limits:\n    memory: ${{ parameters.memory }}\n');
  writeFileSync(
    join(dir, 'examples', 'basic.yaml'),
    [
      'apiVersion: envcat.io/v1alpha1',
      'kind: Environment',
      'metadata: { name: dev-queue }',
      'spec:',
      '  type: pre-release',
      '  catalogs:',
      `    - { name: mq, entry: "${options.exampleEntry ?? 'queue@^1'}", parameters: { ${options.example ?? 'memory: 512Mi'} } }`,
      '',
    ].join('\n'),
  );
  return dir;
}

describe('envcat catalog publish', () => {
  it('a dry run publishes nothing; then publishes, and the same again is a no-op', async () => {
    const dir = entry('v1', '1.0.0');
    const dry = await cli('catalog', 'publish', dir, '--dry-run');
    expect(dry).toEqual({
      code: 0,
      stdout: '',
      stderr: 'queue@1.0.0 would be published (dry run: nothing written)\n',
    });
    expect((await envcat.api('GET', '/api/v1/catalogs/queue')).status).toBe(404);

    expect(await cli('catalog', 'publish', dir)).toEqual({
      code: 0,
      stdout: '',
      stderr: 'queue@1.0.0 published\n',
    });
    expect(await fileAt(envcat.repoUrls.platform, 'catalog/queue/1.0.0/examples/basic.yaml')).toContain(
      'dev-queue',
    );
    expect(await cli('catalog', 'publish', dir)).toEqual({
      code: 0,
      stdout: '',
      stderr: 'queue@1.0.0 is already published with this content: nothing to do\n',
    });
  });

  it.each<[string, () => string, string]>([
    [
      'other content under a published version',
      () => entry('changed', '1.0.0', { description: 'Changed' }),
      'changed/queue/catalog.yaml#/metadata/version: queue@1.0.0 is already published with different content; publish a new version',
    ],
    [
      'a version below the highest',
      () => entry('older', '0.9.0'),
      'older/queue/catalog.yaml#/metadata/version: queue@0.9.0 is not above 1.0.0, the highest published version: publish a version above it',
    ],
    [
      'a minor version with a breaking change',
      () => entry('minor', '1.1.0', { memory: ['256Mi', '1Gi'], example: 'memory: 1Gi' }),
      'minor/queue/catalog.yaml#/spec/parameters/properties/memory/enum: parameter "memory": "512Mi" is no longer allowed\n' +
        'minor/queue/catalog.yaml#/metadata/version: 1.1.0 may not break what 1.0.0 accepted: only a new major version may (2.0.0)',
    ],
    [
      'an example that does not validate',
      () => entry('example', '1.1.0', { example: 'memory: 2Gi' }),
      'example/queue/examples/basic.yaml#/spec/catalogs/0/parameters/memory: must be one of: "256Mi", "512Mi"',
    ],
  ])('refuses %s: exit 1, the problem at its local file', async (_case, make, line) => {
    const dir = make();
    const answer = await cli('catalog', 'publish', dir);
    const lines = line.split('\n').map((l) => `${join(work, l)}\n`);
    expect(answer).toEqual({ code: 1, stdout: lines.join(''), stderr: '' });
  });

  it('shows a major version’s breaking changes, then publishes it; publishing goes on past a refused folder', async () => {
    const major = entry('major', '2.0.0', {
      memory: ['1Gi'],
      example: 'memory: 1Gi',
      exampleEntry: 'queue@^2',
    });
    const missing = join(work, 'no-such-folder');
    const answer = await cli('catalog', 'publish', missing, major);
    expect(answer.code).toBe(1);
    expect(answer.stdout.split('\n')).toEqual([
      `${missing}#: no such folder`,
      `${major}/catalog.yaml#/spec/parameters/properties/memory/enum: parameter "memory": "256Mi", "512Mi" are no longer allowed`,
      '',
    ]);
    expect(answer.stderr).toBe(
      'queue@2.0.0 published (a new major version with 1 breaking change, listed above)\n',
    );
  });
});

describe('envcat catalog deprecate|undeprecate|yank|unyank', () => {
  it('sets and clears each flag, printing what it means', async () => {
    const deprecated = await cli('catalog', 'deprecate', 'queue', '1.0.0');
    expect(deprecated.code).toBe(0);
    expect(deprecated.stdout).toMatch(/^queue@1\.0\.0 is deprecated: /);
    const yanked = await cli('catalog', 'yank', 'queue', '1.0.0');
    expect(yanked.stdout).toMatch(/^queue@1\.0\.0 is yanked: /);
    expect(await fileAt(envcat.repoUrls.platform, 'catalog/queue/states.yaml')).toContain(
      '  1.0.0:\n    deprecated: true\n    yanked: true\n',
    );
    expect((await cli('catalog', 'unyank', 'queue', '1.0.0')).stdout).toMatch(
      /^queue@1\.0\.0 is deprecated: /,
    );
    expect(await cli('catalog', 'undeprecate', 'queue', '1.0.0')).toEqual({
      code: 0,
      stdout: 'queue@1.0.0 is neither deprecated nor yanked\n',
      stderr: '',
    });
  });

  it('exits 1 for a version that does not exist', async () => {
    const answer = await cli('catalog', 'yank', 'queue', '5.0.0');
    expect(answer.code).toBe(1);
    expect(answer.stderr).toBe('envcat: NOT_FOUND: queue has no version 5.0.0 (published: 2.0.0, 1.0.0)\n');
  });
});

describe('envcat catalog validate checks examples', () => {
  it('names the example, and takes the entries it uses from the built-in catalog', async () => {
    // GIVEN an entry whose example uses vpc (built in) and sets a value the entry refuses
    const dir = entry('validate', '1.0.0', { example: 'memory: 3Gi' });
    writeFileSync(
      join(dir, 'examples', 'with-vpc.yaml'),
      'apiVersion: envcat.io/v1alpha1\nkind: Environment\nmetadata: { name: dev-q }\nspec:\n  type: pre-release\n  catalogs:\n    - { name: net, entry: vpc, parameters: { cidrBlock: 10.1.0.0/16 } }\n    - { name: mq, entry: queue }\n',
    );
    // WHEN it is validated THEN the bad example is named, the other one passes
    const answer = await cli('catalog', 'validate', dir);
    expect(answer.code).toBe(1);
    expect(answer.stdout).toBe(
      `${dir}/examples/basic.yaml#/spec/catalogs/0/parameters/memory: must be one of: "256Mi", "512Mi"\n`,
    );
  });
});
