/** The stable CLI (the README's "Command line"): `envcat catalog validate` and `envcat render`. */
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { main } from '../../src/cli/main.js';
import { CATALOGS, REPO_ROOT } from '../support/examples.js';

const run = promisify(execFile);
const EXAMPLE = join(CATALOGS, 'sample-app/examples/dev-feature-auth.yaml');
const GOLDEN = join(REPO_ROOT, 'test/golden/render/domain-example');
const OUTPUTS = readFileSync(join(REPO_ROOT, 'test/fixtures/render/domain-example/outputs.json'), 'utf8');
const APPS_REPO = ['--apps-repo-url', 'https://git.example.test/envcat/apps.git'];

async function envcat(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await main(['node', 'envcat', ...args], {
    stdout: (s) => void (stdout += s),
    stderr: (s) => void (stderr += s),
  });
  return { code, stdout, stderr };
}

/** Paths in messages are relative to the working directory when inside it. */
function shown(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel.startsWith('..') ? path : rel;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => relative(dir, join(d.parentPath, d.name)))
    .sort();
}

let work: string;
beforeEach(() => {
  work = mkdtempSync(join(tmpdir(), 'envcat-cli-'));
});
afterEach(() => rmSync(work, { recursive: true, force: true }));

describe('envcat catalog validate', () => {
  it('exits 0 for the built-in catalogs', async () => {
    const { code, stdout, stderr } = await envcat('catalog', 'validate', CATALOGS);
    expect(code).toBe(0);
    expect(stdout).toBe('');
    expect(stderr).toContain('6 catalog entries valid');
  });

  it('exits 1 with one <file>#<json-pointer>: <message> line per problem', async () => {
    // GIVEN a copy of rds-postgres with three mistakes
    const dir = join(work, 'rds-postgres');
    cpSync(join(CATALOGS, 'rds-postgres'), dir, { recursive: true });
    const yaml = readFileSync(join(dir, 'catalog.yaml'), 'utf8');
    writeFileSync(
      join(dir, 'catalog.yaml'),
      yaml.replace('version: 1.0.0', 'version: "1.0"').replace('type: iac', 'type: iac\n  extra: true'),
    );
    writeFileSync(join(dir, 'terraform/extra.tf'), 'variable "unmapped" {\n  type = string\n}\n');
    // WHEN validated
    const { code, stdout } = await envcat('catalog', 'validate', dir);
    // THEN exit 1 and exactly the problems, one per line
    expect(code).toBe(1);
    const file = shown(join(dir, 'catalog.yaml'));
    expect(stdout.trim().split('\n')).toEqual([`${file}#/spec/extra: is not a known property`]);
    // fix the schema problem: the semantic ones come through
    writeFileSync(join(dir, 'catalog.yaml'), yaml.replace('version: 1.0.0', 'version: "1.0"'));
    const second = await envcat('catalog', 'validate', dir);
    expect(second.code).toBe(1);
    expect(second.stdout.trim().split('\n')).toEqual([
      `${file}#/metadata/version: must be a semantic version such as 1.2.3`,
      `${shown(join(dir, 'terraform/extra.tf'))}#/variable/unmapped: variable "unmapped" has no default and is not a parameter`,
    ]);
  });

  it('exits 1 naming an undeclared ClusterRole and a fixed namespace of a manifests entry', async () => {
    // GIVEN a copy of sample-app with a ClusterRole it does not declare and a fixed namespace
    const dir = join(work, 'sample-app');
    cpSync(join(CATALOGS, 'sample-app'), dir, { recursive: true });
    writeFileSync(
      join(dir, 'manifests/rbac.yaml'),
      [
        'apiVersion: v1',
        'kind: ServiceAccount',
        'metadata: { name: "${{ instance.name }}", namespace: "${{ environment.namespace }}" }',
        '---',
        'apiVersion: rbac.authorization.k8s.io/v1',
        'kind: ClusterRole',
        'metadata: { name: "${{ environment.name }}-${{ instance.name }}" }',
        'rules: []',
        '---',
        'apiVersion: v1',
        'kind: ConfigMap',
        'metadata: { name: "${{ instance.name }}-extra", namespace: kube-system }',
        '',
      ].join('\n'),
    );
    // WHEN validated
    const { code, stdout } = await envcat('catalog', 'validate', dir);
    // THEN exit 1, one line each (the namespace template on the ServiceAccount is fine)
    const file = shown(join(dir, 'manifests/rbac.yaml'));
    expect(code).toBe(1);
    expect(stdout.trim().split('\n')).toEqual([
      `${file}#/2/metadata/namespace: "kube-system" is a fixed namespace; manifests go into the environment's namespace: write \${{ environment.namespace }} or leave it out`,
      `${file}#/1/kind: ClusterRole is cluster-scoped: declare {group: "rbac.authorization.k8s.io", kind: ClusterRole} in spec.apps.clusterResources, or the environment's Argo CD project refuses it`,
    ]);
  });

  it('exits 1 for a folder without entries', async () => {
    const { code, stdout } = await envcat('catalog', 'validate', work);
    expect(code).toBe(1);
    expect(stdout).toMatch(/#: no catalog\.yaml found\n$/);
  });
});

describe('envcat render', () => {
  it('without --outputs renders phase 1 only', async () => {
    const out = join(work, 'out');
    const { code, stderr } = await envcat(
      'render',
      '-f',
      EXAMPLE,
      '--out',
      out,
      '--catalogs',
      CATALOGS,
      ...APPS_REPO,
    );
    expect(code).toBe(0);
    expect(filesUnder(out)).toEqual([
      'platform/environments/dev-feature-auth/environment.yaml',
      'platform/environments/dev-feature-auth/infra/db.yaml',
      'platform/environments/dev-feature-auth/namespace.yaml',
    ]);
    expect(stderr).toContain('pending app/apps: waits for phase 1');
  });

  it.each([
    ['JSON text', () => OUTPUTS],
    [
      'a JSON file',
      () => {
        const file = join(work, 'outputs.json');
        writeFileSync(file, OUTPUTS);
        return file;
      },
    ],
  ])('with --outputs as %s renders both repos exactly as the golden files', async (_how, outputs) => {
    // GIVEN the domain example and the database's outputs WHEN rendered
    const out = join(work, 'out');
    const { code } = await envcat(
      'render',
      '-f',
      EXAMPLE,
      '--out',
      out,
      '--catalogs',
      CATALOGS,
      '--outputs',
      outputs(),
      ...APPS_REPO,
    );
    // THEN <out>/platform and <out>/apps hold what the golden render holds
    expect(code).toBe(0);
    const golden = filesUnder(GOLDEN).filter((f) => f.startsWith('platform/') || f.startsWith('apps/'));
    expect(filesUnder(out)).toEqual(golden);
    for (const f of golden)
      expect(readFileSync(join(out, f), 'utf8')).toBe(readFileSync(join(GOLDEN, f), 'utf8'));
  });

  it('writes nothing for an invalid request and names every field', async () => {
    // GIVEN a request with two mistakes
    const file = join(work, 'env.yaml');
    writeFileSync(
      file,
      readFileSync(EXAMPLE, 'utf8')
        .replace('allocatedStorage: 20', 'allocatedStorage: 5')
        .replace('entry: sample-app', 'entry: sample-app@^9'),
    );
    const out = join(work, 'out');
    // WHEN rendered
    const { code, stdout } = await envcat('render', '-f', file, '--out', out, '--catalogs', CATALOGS);
    // THEN exit 1, one line per problem, and no output folder
    expect(code).toBe(1);
    expect(stdout.trim().split('\n')).toEqual([
      `${file}#/spec/catalogs/2/entry: no version of "sample-app" matches "^9" (published: 1.0.0)`,
      `${file}#/spec/catalogs/0/parameters/allocatedStorage: must be at least 20`,
    ]);
    expect(existsSync(out)).toBe(false);
  });

  it.each([
    [
      'an output without a value',
      '{"db":{}}',
      '#/spec/catalogs/2/parameters/databaseEndpoint/fromOutput: output db.endpoint has no value yet',
    ],
    [
      'an output value of the wrong type',
      '{"db":{"endpoint":42}}',
      '#/spec/catalogs/2/parameters/databaseEndpoint/fromOutput: output db.endpoint does not fit databaseEndpoint: must be text',
    ],
    [
      'invalid JSON',
      '{"db":',
      '--outputs#: malformed JSON at line 1, column 7: unexpected end of the JSON text',
    ],
    ['not an object of objects', '{"db":1}', '--outputs#/db: must be an object of output values'],
  ])('rejects %s in --outputs', async (_name, outputs, expected) => {
    const out = join(work, 'out');
    const { code, stdout } = await envcat(
      'render',
      '-f',
      EXAMPLE,
      '--out',
      out,
      '--catalogs',
      CATALOGS,
      '--outputs',
      outputs,
    );
    expect(code).toBe(1);
    expect(stdout).toContain(expected);
    expect(existsSync(out)).toBe(false);
  });

  it('reports invalid YAML in the request with its line', async () => {
    const file = join(work, 'env.yaml');
    writeFileSync(file, 'apiVersion: envcat.io/v1alpha1\nkind: [Environment\n');
    const { code, stdout } = await envcat('render', '-f', file, '--out', join(work, 'out'));
    expect(code).toBe(1);
    expect(stdout).toMatch(
      new RegExp(
        `^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}#: invalid YAML at line \\d+, column \\d+: `,
      ),
    );
  });

  it('exits 2 on a usage error', async () => {
    const { code } = await envcat('render', '--out', join(work, 'out'));
    expect(code).toBe(2);
  });
});

describe('the envcat executable', () => {
  it('runs from the package bin without a build step', async () => {
    // GIVEN the bin declared in package.json WHEN run as a process THEN it validates the catalogs
    const bin = join(REPO_ROOT, JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')).bin.envcat);
    const { stderr } = await run(process.execPath, [bin, 'catalog', 'validate', CATALOGS], {
      cwd: REPO_ROOT,
    });
    expect(stderr).toContain('6 catalog entries valid');
    // and exits 1 for an invalid request
    const file = join(work, 'bad.yaml');
    writeFileSync(
      file,
      'apiVersion: envcat.io/v1alpha1\nkind: Environment\nmetadata: { name: x }\nspec: { type: pre-release, catalogs: [] }\n',
    );
    await expect(
      run(process.execPath, [bin, 'render', '-f', file, '--out', join(work, 'o')], { cwd: REPO_ROOT }),
    ).rejects.toMatchObject({
      code: 1,
      stdout: `${file}#/spec/catalogs: must have at least one item\n`,
    });
  });
});

describe('one clear line, not a stack trace, for paths and flags that cannot be used', () => {
  it.each<[string, (work: string) => string[], number, RegExp]>([
    [
      'catalog validate <a file>',
      () => ['catalog', 'validate', EXAMPLE],
      1,
      /#: is a file, not a folder: give the folder of the entry/,
    ],
    [
      'render --catalogs <a file>',
      (w) => ['render', '-f', EXAMPLE, '--out', join(w, 'out'), '--catalogs', EXAMPLE, ...APPS_REPO],
      1,
      /#: is a file, not a folder/,
    ],
    [
      'render --out <a folder that cannot be made>',
      (w) => ['render', '-f', EXAMPLE, '--out', join(w, 'file', 'out'), ...APPS_REPO],
      2,
      /^envcat: --out .*: cannot write the rendered files: .* \(E[A-Z]+\)$/,
    ],
    [
      'env create -f <a missing file>',
      (w) => ['env', 'create', '-f', join(w, 'missing.yaml'), '--server', 'http://127.0.0.1:1'],
      1,
      /missing\.yaml#: cannot read: does not exist \(ENOENT\)$/,
    ],
    [
      'env create --timeout <not a duration>',
      () => ['env', 'create', '-f', EXAMPLE, '--timeout', 'soon', '--server', 'http://127.0.0.1:1'],
      2,
      /^envcat: --timeout: "soon" is not a duration such as 90s or 15m$/,
    ],
    [
      'catalog validate --terraform-allow <an unknown item>',
      () => ['catalog', 'validate', CATALOGS, '--terraform-allow', 'provisioner:*'],
      2,
      /^envcat: --terraform-allow: unknown item\(s\) "provisioner:\*"; each must be one of backend, /,
    ],
  ])('%s', async (_name, args, exitCode, line) => {
    // GIVEN a path or flag of the wrong kind (a file where a folder goes, a folder under a file)
    writeFileSync(join(work, 'file'), 'not a folder');
    // WHEN the command runs
    const { code, stdout, stderr } = await envcat(...args(work));
    // THEN exactly one line says what is wrong, with exit 1 (invalid input) or 2 (usage)
    const output = `${stdout}${stderr}`.trim();
    expect(code).toBe(exitCode);
    expect(output.split('\n')).toHaveLength(1);
    expect(output).toMatch(line);
    expect(output).not.toMatch(/unexpected error|\n\s+at /);
  });

  it('catalog validate refuses a 10,000-deep template at the pointer where the limit was crossed', async () => {
    // GIVEN a copy of sample-app with a manifest nested 10,000 levels
    const dir = join(work, 'sample-app');
    cpSync(join(CATALOGS, 'sample-app'), dir, { recursive: true });
    writeFileSync(join(dir, 'manifests', 'deep.yaml'), `a: ${'['.repeat(10_000)}1${']'.repeat(10_000)}\n`);
    // WHEN validated THEN one line at that file and pointer, exit 1, no stack overflow
    const { code, stdout } = await envcat('catalog', 'validate', dir);
    expect(code).toBe(1);
    expect(stdout).toBe(
      `${shown(join(dir, 'manifests/deep.yaml'))}#/a${'/0'.repeat(63)}: invalid YAML at line 1, column 67: nests deeper than 64 levels\n`,
    );
  });

  it('catalog validate refuses a local-exec provisioner unless --terraform-allow lists it', async () => {
    // GIVEN a copy of rds-postgres whose module runs a local-exec provisioner
    const dir = join(work, 'rds-postgres');
    cpSync(join(CATALOGS, 'rds-postgres'), dir, { recursive: true });
    writeFileSync(
      join(dir, 'terraform', 'hook.tf'),
      'resource "terraform_data" "hook" {\n  provisioner "local-exec" {\n    command = "env"\n  }\n}\n',
    );
    // WHEN validated THEN one <file>#<json-pointer>: <message> line and exit 1
    const refused = await envcat('catalog', 'validate', dir);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toBe(
      `${shown(join(dir, 'terraform/hook.tf'))}#/resource/terraform_data/hook/provisioner/local-exec: provisioner "local-exec" is not allowed: it would run a program inside provider-terraform, beside its cloud credentials (a platform can allow it: ENVCAT_TERRAFORM_ALLOW=provisioner:local-exec)\n`,
    );
    // AND with the platform's allowance it is valid
    const allowed = await envcat('catalog', 'validate', dir, '--terraform-allow', 'provisioner:local-exec');
    expect(allowed.code).toBe(0);
  });
});
