/**
 * What an entry's Terraform module must not contain, because of where it runs: provider-terraform
 * writes an Inline module as `main.tf` into the Workspace's working directory, beside the
 * ProviderConfig's credentials files and its `configuration` (`crossplane-provider-config.tf`,
 * which holds the backend), and runs `terraform init/apply` there (crossplane-contrib/
 * provider-terraform internal/controller/namespaced/workspace/workspace.go: `tfMain`, `tfConfig`,
 * `pc.Spec.Credentials` written with `c.fs.WriteFile(filepath.Join(dir, ...))`). So:
 *
 * - a `backend` (or `cloud`) block would fight the ProviderConfig's backend over where state lives;
 * - `provisioner "local-exec"` / `"remote-exec"` and `data "external"` run programs inside the
 *   provider's pod, which can read those credentials;
 * - a local module source (`./…`, `../…`, an absolute path) names files that are not sent: only the
 *   `.tf` files of the module folder go inline. One that leaves the entry folder is worse still.
 *
 * A platform may allow the first three by configuration (ENVCAT_TERRAFORM_ALLOW, or
 * `catalog validate --terraform-allow`); local module sources are never allowed.
 */
import { posix } from 'node:path';
import { escapePointerToken } from '../names/index.js';

export const TERRAFORM_ALLOWANCES = [
  'backend',
  'provisioner:local-exec',
  'provisioner:remote-exec',
  'data:external',
] as const;
export type TerraformAllowance = (typeof TERRAFORM_ALLOWANCES)[number];

/** `provisioner:local-exec,data:external` → the set, or the items that are not allowances. */
export function parseTerraformAllow(
  text: string | undefined,
): { ok: true; allow: ReadonlySet<TerraformAllowance> } | { ok: false; unknown: string[] } {
  const items = (text ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = items.filter((i) => !(TERRAFORM_ALLOWANCES as readonly string[]).includes(i));
  if (unknown.length > 0) return { ok: false, unknown };
  return { ok: true, allow: new Set(items as TerraformAllowance[]) };
}

export interface PolicyProblem {
  path: string;
  message: string;
}

type Json = unknown;
const EXEC_PROVISIONERS = ['local-exec', 'remote-exec'] as const;

function entries(value: Json): Array<[string, Json]> {
  return value && typeof value === 'object' && !Array.isArray(value) ? Object.entries(value) : [];
}
function blocks(value: Json): Json[] {
  return Array.isArray(value) ? value : [];
}
const ptr = (...tokens: Array<string | number>) => tokens.map((t) => `/${escapePointerToken(t)}`).join('');

/**
 * Problems of one parsed `.tf` file (hcl2json's JSON), each at a pointer into that JSON;
 * `file` is the file's path inside the entry, used to tell whether a local source leaves it.
 */
export function terraformPolicyProblems(
  file: string,
  parsed: Record<string, Json>,
  allow: ReadonlySet<TerraformAllowance> = new Set(),
): PolicyProblem[] {
  const problems: PolicyProblem[] = [];
  const allowHint = (what: TerraformAllowance) =>
    ` (a platform can allow it: ENVCAT_TERRAFORM_ALLOW=${what})`;

  blocks(parsed.terraform).forEach((block, index) => {
    for (const kind of ['backend', 'cloud'] as const) {
      const value = (block as Record<string, Json> | null)?.[kind];
      if (value === undefined || allow.has('backend')) continue;
      const names = kind === 'backend' ? entries(value).map(([name]) => name) : [];
      for (const name of names.length > 0 ? names : [undefined])
        problems.push({
          path: name === undefined ? ptr('terraform', index, kind) : ptr('terraform', index, kind, name),
          message: `a ${kind} block is not allowed: the ProviderConfig supplies the backend${allowHint('backend')}`,
        });
    }
  });

  for (const [name, list] of entries(parsed.module)) {
    const source = (blocks(list)[0] as Record<string, Json> | undefined)?.source;
    if (typeof source !== 'string') continue;
    const local = source.startsWith('./') || source.startsWith('../') || source === '.' || source === '..';
    const absolute = source.startsWith('/') || /^[a-zA-Z]:[\\/]/.test(source) || source.startsWith('file::');
    if (!local && !absolute) continue;
    const resolved = local ? posix.normalize(posix.join(posix.dirname(file), source)) : source;
    const outside = absolute || resolved === '..' || resolved.startsWith('../');
    problems.push({
      path: ptr('module', name, 'source'),
      message: outside
        ? `module "${name}": a local source outside the entry folder is not allowed`
        : `module "${name}": a local source is not allowed: the module is sent inline, without sub-folders; use a registry or git source`,
    });
  }

  const checkProvisioners = (holder: Json, base: string) => {
    const provisioners = (holder as Record<string, Json> | null)?.provisioner;
    for (const [kind] of entries(provisioners)) {
      if (!(EXEC_PROVISIONERS as readonly string[]).includes(kind)) continue;
      const allowance = `provisioner:${kind}` as TerraformAllowance;
      if (allow.has(allowance)) continue;
      problems.push({
        path: `${base}${ptr('provisioner', kind)}`,
        message: `provisioner "${kind}" is not allowed: it would run a program inside provider-terraform, beside its cloud credentials${allowHint(allowance)}`,
      });
    }
  };
  for (const [type, byName] of entries(parsed.resource))
    for (const [name, list] of entries(byName))
      for (const block of blocks(list)) checkProvisioners(block, ptr('resource', type, name));
  blocks(parsed.removed).forEach((block, index) => checkProvisioners(block, ptr('removed', index)));

  if (!allow.has('data:external'))
    for (const [name] of entries((parsed.data as Record<string, Json> | undefined)?.external))
      problems.push({
        path: ptr('data', 'external', name),
        message: `data "external" is not allowed: it would run a program inside provider-terraform, beside its cloud credentials${allowHint('data:external')}`,
      });
  return problems;
}
