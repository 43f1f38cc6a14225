/**
 * Typed errors shared by every layer. Each carries a stable `code` and, where it concerns
 * input, the offending location as a JSON pointer. Messages never contain secret values.
 */

export type ErrorCode = 'INVALID_INPUT' | 'NOT_FOUND' | 'CONFLICT' | 'EXTERNAL' | 'UNAVAILABLE' | 'INTERNAL';

export interface Problem {
  /** File (or document) the problem is in, when there is one. */
  file?: string;
  /** JSON pointer (RFC 6901) into that document; '' is the whole document. */
  path: string;
  message: string;
}

export class EnvcatError extends Error {
  readonly code: ErrorCode;
  readonly path: string | undefined;

  constructor(code: ErrorCode, message: string, options: { path?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.path = options.path;
  }
}

/** Bad input: every problem found, each with its JSON pointer. */
export class InputError extends EnvcatError {
  readonly problems: readonly Problem[];

  constructor(problems: readonly Problem[], options: { cause?: unknown; message?: string } = {}) {
    const first = problems[0];
    super('INVALID_INPUT', options.message ?? summarize(problems), {
      path: first?.path,
      cause: options.cause,
    });
    this.problems = problems;
  }
}

export class NotFoundError extends EnvcatError {
  constructor(message: string, options: { path?: string; cause?: unknown } = {}) {
    super('NOT_FOUND', message, options);
  }
}

export class ConflictError extends EnvcatError {
  constructor(message: string, options: { path?: string; cause?: unknown } = {}) {
    super('CONFLICT', message, options);
  }
}

/** A failure of something outside envcat (Git, the cluster, a parser runtime). */
export class ExternalError extends EnvcatError {
  constructor(message: string, options: { path?: string; cause?: unknown } = {}) {
    super('EXTERNAL', message, options);
  }
}

/**
 * A request refused because something it must write to (a Git repo, the cluster) cannot be written
 * now; nothing was changed, and the same request may be sent again later (HTTP 503).
 */
export class UnavailableError extends EnvcatError {
  constructor(message: string, options: { path?: string; cause?: unknown } = {}) {
    super('UNAVAILABLE', message, options);
  }
}

/**
 * An error as a log line's `err`: an EnvcatError's code, path and message; another Error's name,
 * message and `code` (a Node system error's `ECONNREFUSED`, say). Never a value that could hold a
 * secret: messages do not carry them.
 */
export function describeError(error: unknown): Record<string, unknown> {
  if (error instanceof EnvcatError) return { code: error.code, path: error.path, message: error.message };
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return {
      name: error.name,
      message: error.message,
      ...(typeof code === 'string' || typeof code === 'number' ? { code } : {}),
    };
  }
  return { message: String(error) };
}

export function formatProblem(problem: Problem): string {
  return `${problem.file ?? ''}#${problem.path}: ${problem.message}`;
}

function summarize(problems: readonly Problem[]): string {
  if (problems.length === 0) return 'invalid input';
  const lines = problems.slice(0, 5).map(formatProblem);
  const more = problems.length > 5 ? `\n… and ${problems.length - 5} more` : '';
  return `${problems.length} problem(s):\n${lines.join('\n')}${more}`;
}
