import { EnvcatError, formatProblem, InputError } from '../core/errors/index.js';

export interface Io {
  stdout(text: string): void;
  stderr(text: string): void;
  /** Output goes to a terminal: progress is redrawn in place instead of printed line by line. */
  isTTY?: boolean;
  exitCode?: number;
}

export const EXIT = { ok: 0, invalid: 1, usage: 2, failed: 3 } as const;

/** One place that turns an error into output and an exit code. */
export function reportError(error: unknown, io: Io): number {
  if (error instanceof InputError) {
    for (const p of error.problems) io.stdout(`${formatProblem(p)}\n`);
    return EXIT.invalid;
  }
  if (error instanceof EnvcatError) {
    io.stderr(`envcat: ${error.code}: ${error.message}\n`);
    return error.code === 'NOT_FOUND' || error.code === 'CONFLICT' ? EXIT.invalid : EXIT.failed;
  }
  io.stderr(
    `envcat: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  return EXIT.failed;
}
