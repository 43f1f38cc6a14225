import { join } from 'node:path';
import type { Command } from 'commander';
import { entryFolders, loadCatalog, readEntryFiles, shown } from '../catalog-source/index.js';
import { ConflictError, formatProblem, InputError, type Problem } from '../core/errors/index.js';
import type { CatalogVersion, PublishDryRun } from '../api/contract.js';
import { ApiClient, withServer, type ServerOptions } from './env-commands.js';
import {
  parseTerraformAllow,
  TERRAFORM_ALLOWANCES,
  type TerraformAllowance,
} from '../core/terraform/index.js';
import { EXIT, fsErrorText, UsageError, type Io } from './io.js';
import { packageRoot } from '../install/index.js';
import { registerRolloutCommand } from './rollout-command.js';

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

  withServer(
    catalog
      .command('publish')
      .description(
        'publish entry versions to the running service: every problem and breaking change as <file>#<json-pointer>: <message>; exit 1 when one is refused',
      )
      .argument('<dir...>', 'entry folders, or folders of entries')
      .option('--dry-run', 'run every check and show the breaking changes; publish nothing'),
  ).action(async (dirs: string[], options: ServerOptions & { dryRun?: boolean }) => {
    const { folders, missing } = await publishFolders(dirs, io);
    let refused = missing;
    for (const folder of folders) {
      if (!(await publishOne({ folder, options, io }))) refused = true;
    }
    io.exitCode = refused ? EXIT.invalid : EXIT.ok;
  });

  const states = [
    [
      'deprecate',
      { deprecated: true },
      'new requests no longer get it; running instances keep it and may still upgrade to it',
    ],
    ['undeprecate', { deprecated: false }, 'offer it to new requests again'],
    [
      'yank',
      { yanked: true },
      'refuse it for new requests and upgrades; running instances keep running, flagged',
    ],
    ['unyank', { yanked: false }, 'allow it again'],
  ] as const;
  for (const [command, patch, effect] of states) {
    withServer(
      catalog
        .command(command)
        .description(`${command} an entry version: ${effect}`)
        .argument('<name>', 'entry name')
        .argument('<version>', 'its version'),
    ).action(async (name: string, version: string, options: ServerOptions) => {
      const client = new ApiClient(options);
      const answer = await client.request<CatalogVersion>(
        'PATCH',
        `/api/v1/catalogs/${encodeURIComponent(name)}/versions/${encodeURIComponent(version)}`,
        { body: JSON.stringify(patch), contentType: 'application/json' },
      );
      io.stdout(`${answer.notice ?? `${name}@${answer.version} is neither deprecated nor yanked`}\n`);
    });
  }

  registerRolloutCommand(catalog, io);
}

/** The entry folders to publish, in the order given; a folder with none is reported and skipped (`missing`). */
async function publishFolders(
  dirs: readonly string[],
  io: Io,
): Promise<{ folders: string[]; missing: boolean }> {
  const folders: string[] = [];
  let missing = false;
  for (const dir of dirs) {
    const problems: Problem[] = [];
    let found: string[] = [];
    try {
      found = await entryFolders(dir, problems);
    } catch (error) {
      const { code, path } = error as NodeJS.ErrnoException;
      const message =
        code === 'ENOENT'
          ? 'no such folder'
          : (fsErrorText(error)?.replace(`${path}: `, '') ?? String(error));
      problems.push({ file: shown(dir), path: '', message });
    }
    if (found.length === 0 && problems.length === 0)
      problems.push({ file: shown(dir), path: '', message: 'no catalog.yaml found' });
    for (const p of problems) io.stdout(`${formatProblem(p)}\n`);
    if (problems.length > 0) missing = true;
    folders.push(...found);
  }
  return { folders, missing };
}

/**
 * One entry: a dry run first, so that a major version's breaking changes are shown before it is
 * published; then the publish itself (unless --dry-run). False when the service refused it.
 */
async function publishOne(args: {
  folder: string;
  options: ServerOptions & { dryRun?: boolean };
  io: Io;
}): Promise<boolean> {
  const { folder, options, io } = args;
  const dir = shown(folder);
  const local = (file: string) => `${dir}/${file}`;
  const readProblems: Problem[] = [];
  const files = await readEntryFiles(folder, readProblems);
  const report = (problems: readonly Problem[]) => {
    for (const p of problems)
      io.stdout(`${formatProblem({ ...p, file: p.file ?? local('catalog.yaml') })}\n`);
  };
  if (readProblems.length > 0) {
    report(readProblems);
    return false;
  }
  const client = new ApiClient(options, undefined, local);
  const body = { body: JSON.stringify({ files }), contentType: 'application/json' };
  try {
    const dry = await client.request<PublishDryRun>('POST', '/api/v1/catalogs?dryRun=true', body);
    const { name, version } = dry.entry;
    report(dry.breakingChanges.map((b) => ({ file: local('catalog.yaml'), ...b })));
    const breaks = dry.breakingChanges.length;
    const note =
      breaks > 0
        ? ` (a new major version with ${breaks} breaking change${breaks === 1 ? '' : 's'}, listed above)`
        : '';
    if (dry.alreadyPublished) {
      io.stderr(`${name}@${version} is already published with this content: nothing to do\n`);
      return true;
    }
    if (options.dryRun) {
      io.stderr(`${name}@${version} would be published${note} (dry run: nothing written)\n`);
      return true;
    }
    await client.request<CatalogVersion>('POST', '/api/v1/catalogs', body);
    io.stderr(`${name}@${version} published${note}\n`);
    return true;
  } catch (error) {
    if (error instanceof InputError) report(error.problems);
    else if (error instanceof ConflictError)
      report([{ file: local('catalog.yaml'), path: error.path ?? '', message: error.message }]);
    else throw error;
    return false;
  }
}
