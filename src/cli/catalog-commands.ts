import type { Command } from 'commander';
import { loadCatalog } from '../catalog-source/index.js';
import { InputError } from '../core/errors/index.js';
import type { Io } from './io.js';

export function registerCatalogCommands(program: Command, io: Io): void {
  const catalog = program.command('catalog').description('work with catalog entries');
  catalog
    .command('validate')
    .description(
      'check catalog entries: exit 0 when valid, else one line per problem as <file>#<json-pointer>: <message>',
    )
    .argument('<dir...>', 'entry folders, or folders of entries')
    .action(async (dirs: string[]) => {
      const { entries, problems } = await loadCatalog(dirs);
      if (problems.length > 0) throw new InputError(problems);
      for (const e of entries) io.stderr(`ok ${e.name}@${e.version} (${e.source})\n`);
      io.stderr(`${entries.length} catalog entr${entries.length === 1 ? 'y' : 'ies'} valid\n`);
    });
}
