/** The envcat command line: thin over the core, one error handler mapping errors to exit codes. */
import { Command, CommanderError } from 'commander';
import { registerCatalogCommands } from './catalog-commands.js';
import { registerCatalogViewCommands } from './catalog-view.js';
import { registerCompletionCommand } from './completion.js';
import { registerEnvCommands } from './env-commands.js';
import { registerEnvLogsCommand } from './env-logs.js';
import { registerRenderCommand } from './render-command.js';
import { EXIT, reportError, type Io } from './io.js';

export function buildProgram(io: Io): Command {
  const program = new Command('envcat')
    .description('Catalog-based environment provisioning on Crossplane and Argo CD')
    .version('0.1.0')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout(s), writeErr: (s) => io.stderr(s) });
  registerCatalogCommands(program, io);
  registerRenderCommand(program, io);
  registerEnvCommands(program, io);
  registerCatalogViewCommands(program, io);
  registerEnvLogsCommand(program, io);
  registerCompletionCommand(program, io);
  return program;
}

export async function main(argv: string[], io: Io = processIo()): Promise<number> {
  const program = buildProgram(io);
  try {
    await program.parseAsync(argv);
    return io.exitCode ?? EXIT.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    return reportError(error, io);
  }
}

function processIo(): Io {
  return {
    stdout: (s) => process.stdout.write(s),
    stderr: (s) => process.stderr.write(s),
    isTTY: process.stdout.isTTY === true && process.env.CI !== 'true',
  };
}
