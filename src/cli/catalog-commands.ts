import { join } from 'node:path';
import type { Command } from 'commander';
import { loadCatalog } from '../catalog-source/index.js';
import { InputError } from '../core/errors/index.js';
import {
  parseTerraformAllow,
  TERRAFORM_ALLOWANCES,
  type TerraformAllowance,
} from '../core/terraform/index.js';
import { UsageError, type Io } from './io.js';
import { packageRoot } from '../install/index.js';

/** The catalogs shipped with envcat, used when --catalogs is not given and ./catalogs does not exist. */
export const BUILT_IN_CATALOGS = join(packageRoot(), 'catalogs');

/** `--terraform-allow` (default $ENVCAT_TERRAFORM_ALLOW, as the service reads it) as a set. */
export function terraformAllowFlag(value: string | undefined): ReadonlySet<TerraformAllowance> {
  const parsed = parseTerraformAllow(value ?? process.env.ENVCAT_TERRAFORM_ALLOW);
  if (!parsed.ok)
    throw new UsageError(
      `--terraform-allow: unknown item(s) ${parsed.unknown.map((u) => JSON.stringify(u)).join(', ')}; each must be one of ${TERRAFORM_ALLOWANCES.join(', ')}`,
    );
  return parsed.allow;
}

export function registerCatalogCommands(program: Command, io: Io): void {
  const catalog = program.command('catalog').description('work with catalog entries');
  catalog
    .command('validate')
    .description(
      'check catalog entries: exit 0 when valid, else one line per problem as <file>#<json-pointer>: <message>',
    )
    .argument('<dir...>', 'entry folders, or folders of entries')
    .option(
      '--terraform-allow <list>',
      `Terraform constructs modules may use, comma-separated: ${TERRAFORM_ALLOWANCES.join(', ')} (default: $ENVCAT_TERRAFORM_ALLOW, else none)`,
    )
    .action(async (dirs: string[], flags: { terraformAllow?: string }) => {
      const terraformAllow = terraformAllowFlag(flags.terraformAllow);
      // Examples may use entries not given here: those come from the built-in catalog.
      const builtIn = await loadCatalog([BUILT_IN_CATALOGS], { terraformAllow });
      const { entries, problems } = await loadCatalog(dirs, {
        terraformAllow,
        examples: { fallback: builtIn.catalog },
      });
      if (problems.length > 0) throw new InputError(problems);
      for (const e of entries) io.stderr(`ok ${e.name}@${e.version} (${e.source})\n`);
      io.stderr(`${entries.length} catalog entr${entries.length === 1 ? 'y' : 'ies'} valid\n`);
    });
}
