/**
 * What a Terraform module of an entry must not contain, because it runs inside provider-terraform
 * beside the ProviderConfig's credentials and backend (src/core/terraform/policy.ts): each refusal
 * names the file and the block, and a platform can allow the first three by configuration.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import {
  parseTerraformAllow,
  terraformPolicyProblems,
  type TerraformAllowance,
} from '../../../src/core/terraform/index.js';
import { validateEntry, type EntryFile } from '../../../src/core/index.js';
import { CATALOGS } from '../../support/examples.js';

const RDS = join(CATALOGS, 'rds-postgres');

/** The built-in rds-postgres entry's files (catalog.yaml and terraform/*.tf), plus `extra`. */
function rdsWith(extra: Record<string, string>): EntryFile[] {
  const files = readdirSync(RDS, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile() && !relative(RDS, d.parentPath).startsWith('examples'))
    .map((d) => {
      const full = join(d.parentPath, d.name);
      return { path: relative(RDS, full), content: readFileSync(full, 'utf8') };
    });
  return [...files, ...Object.entries(extra).map(([path, content]) => ({ path, content }))];
}

const cases: Array<{
  construct: string;
  tf: string;
  path: string;
  message: RegExp;
  allowance?: TerraformAllowance;
}> = [
  {
    construct: 'a backend block',
    tf: 'terraform {\n  backend "s3" {\n    bucket = "state"\n  }\n}\n',
    path: '/terraform/0/backend/s3',
    message: /^a backend block is not allowed: the ProviderConfig supplies the backend/,
    allowance: 'backend',
  },
  {
    construct: 'a cloud block',
    tf: 'terraform {\n  cloud {\n    organization = "acme"\n  }\n}\n',
    path: '/terraform/0/cloud',
    message: /^a cloud block is not allowed/,
    allowance: 'backend',
  },
  {
    construct: 'a local-exec provisioner',
    tf: 'resource "terraform_data" "x" {\n  provisioner "local-exec" {\n    command = "env"\n  }\n}\n',
    path: '/resource/terraform_data/x/provisioner/local-exec',
    message: /^provisioner "local-exec" is not allowed: it would run a program inside provider-terraform/,
    allowance: 'provisioner:local-exec',
  },
  {
    construct: 'a remote-exec provisioner',
    tf: 'resource "aws_instance" "vm" {\n  ami = "ami-1"\n  provisioner "remote-exec" {\n    inline = ["id"]\n  }\n}\n',
    path: '/resource/aws_instance/vm/provisioner/remote-exec',
    message: /^provisioner "remote-exec" is not allowed/,
    allowance: 'provisioner:remote-exec',
  },
  {
    construct: 'a provisioner in a removed block',
    tf: 'removed {\n  from = terraform_data.old\n  provisioner "local-exec" {\n    when    = destroy\n    command = "env"\n  }\n}\n',
    path: '/removed/0/provisioner/local-exec',
    message: /^provisioner "local-exec" is not allowed/,
    allowance: 'provisioner:local-exec',
  },
  {
    construct: 'a data "external" source',
    tf: 'data "external" "who" {\n  program = ["sh", "-c", "env"]\n}\n',
    path: '/data/external/who',
    message: /^data "external" is not allowed: it would run a program inside provider-terraform/,
    allowance: 'data:external',
  },
  {
    construct: 'a local module source outside the entry',
    tf: 'module "net" {\n  source = "../../vpc/terraform"\n}\n',
    path: '/module/net/source',
    message: /^module "net": a local source outside the entry folder is not allowed$/,
  },
  {
    construct: 'an absolute module source',
    tf: 'module "net" {\n  source = "/etc/terraform"\n}\n',
    path: '/module/net/source',
    message: /^module "net": a local source outside the entry folder is not allowed$/,
  },
  {
    construct: 'a local module source inside the entry (not sent inline)',
    tf: 'module "net" {\n  source = "./modules/net"\n}\n',
    path: '/module/net/source',
    message: /^module "net": a local source is not allowed: the module is sent inline/,
  },
];

describe('Terraform policy: refusals at validation (catalog validate and publish alike)', () => {
  it.each(cases)('refuses $construct, naming the file and the block', async ({ tf, path, message }) => {
    // GIVEN the built-in rds-postgres entry with one more .tf file
    const files = rdsWith({ 'terraform/extra.tf': tf });
    // WHEN the entry is validated as `catalog validate` and publish both do
    const result = await validateEntry({ dir: 'catalogs/rds-postgres', files, expectedName: 'rds-postgres' });
    // THEN it is refused with exactly that problem: <file>#<json-pointer>: <message>
    expect(result.entry).toBeUndefined();
    expect(result.problems).toEqual([
      { file: 'catalogs/rds-postgres/terraform/extra.tf', path, message: expect.stringMatching(message) },
    ]);
  });

  it.each(cases.filter((c) => c.allowance))(
    'accepts $construct when the platform allows $allowance',
    async ({ tf, allowance }) => {
      // GIVEN the same module WHEN validated with that construct allowed THEN it passes
      const files = rdsWith({ 'terraform/extra.tf': tf });
      const result = await validateEntry({
        dir: 'catalogs/rds-postgres',
        files,
        terraformAllow: new Set([allowance!]),
      });
      expect(result.problems).toEqual([]);
      expect(result.entry?.name).toBe('rds-postgres');
    },
  );

  it('allows only what is listed: local-exec allowed still refuses remote-exec and data "external"', () => {
    // GIVEN one file with all three WHEN checked with only local-exec allowed THEN two remain
    const parsed = {
      resource: {
        terraform_data: { x: [{ provisioner: { 'local-exec': [{}], 'remote-exec': [{}], file: [{}] } }] },
      },
      data: { external: { e: [{}] }, aws_ami: { a: [{}] } },
      module: {
        registry: [{ source: 'terraform-aws-modules/vpc/aws' }],
        git: [{ source: 'git::https://x/y.git' }],
      },
    };
    expect(
      terraformPolicyProblems('terraform/main.tf', parsed, new Set(['provisioner:local-exec'])).map(
        (p) => p.path,
      ),
    ).toEqual(['/resource/terraform_data/x/provisioner/remote-exec', '/data/external/e']);
  });
});

describe('parseTerraformAllow (ENVCAT_TERRAFORM_ALLOW, --terraform-allow)', () => {
  it.each<[string | undefined, TerraformAllowance[] | { unknown: string[] }]>([
    [undefined, []],
    ['', []],
    ['provisioner:local-exec,data:external', ['provisioner:local-exec', 'data:external']],
    [' backend , provisioner:remote-exec ', ['backend', 'provisioner:remote-exec']],
    ['provisioner:*', { unknown: ['provisioner:*'] }],
    ['local-exec,backend,module', { unknown: ['local-exec', 'module'] }],
  ])('%j', (text, expected) => {
    // GIVEN the configured text WHEN parsed THEN the set, or the unknown items named
    const parsed = parseTerraformAllow(text);
    if (Array.isArray(expected)) expect(parsed).toEqual({ ok: true, allow: new Set(expected) });
    else expect(parsed).toEqual({ ok: false, ...expected });
  });
});
