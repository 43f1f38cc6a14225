import { EnvcatError, formatProblem, InputError } from '../core/errors/index.js';

export interface Io {
  stdout(text: string): void;
  stderr(text: string): void;
  /** Output goes to a terminal: progress is redrawn in place instead of printed line by line. */
  isTTY?: boolean;
  exitCode?: number;
}

export const EXIT = { ok: 0, invalid: 1, usage: 2, failed: 3 } as const;

/** The command line itself is wrong: a flag's value, a path that cannot be used for what it is for. */
export class UsageError extends Error {}

/** What a Node file-system error code means, for one line of output instead of a stack trace. */
const FS_REASONS: Record<string, string> = {
  ENOENT: 'does not exist',
  ENOTDIR: 'is not a folder',
  EISDIR: 'is a folder',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  EEXIST: 'already exists',
  ENOSPC: 'no space left on the device',
  ELOOP: 'too many symbolic links',
  ENAMETOOLONG: 'name too long',
};

/** `<path>: <reason> (<CODE>)` for a Node system error, or undefined for any other error. */
export function fsErrorText(error: unknown): string | undefined {
  // Duck-typed: a system error from another realm (a test's vm context) is not `instanceof Error` here.
  if (typeof error !== 'object' || error === null) return undefined;
  const { code, path } = error as NodeJS.ErrnoException;
  if (typeof code !== 'string' || !/^E[A-Z]+$/.test(code)) return undefined;
  const reason = FS_REASONS[code] ?? 'system error';
  return `${path ? `${path}: ` : ''}${reason} (${code})`;
}

/** One place that turns an error into output and an exit code. */
export function reportError(error: unknown, io: Io): number {
  if (error instanceof InputError) {
    for (const p of error.problems) io.stdout(`${formatProblem(p)}\n`);
    return EXIT.invalid;
  }
  if (error instanceof UsageError) {
    io.stderr(`envcat: ${error.message}\n`);
    return EXIT.usage;
  }
  if (error instanceof EnvcatError) {
    io.stderr(`envcat: ${error.code}: ${error.message}\n`);
    return error.code === 'NOT_FOUND' || error.code === 'CONFLICT' ? EXIT.invalid : EXIT.failed;
  }
  const system = fsErrorText(error);
  if (system) {
    io.stderr(`envcat: ${system}\n`);
    return EXIT.failed;
  }
  io.stderr(
    `envcat: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  return EXIT.failed;
}
