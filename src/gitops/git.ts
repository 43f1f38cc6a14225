/**
 * One git process through simple-git, with the environment under our control: the ambient GIT_*
 * variables dropped (a GIT_DIR inherited from a hook must not redirect us), prompts disabled, the C
 * locale for stable messages, and credentials only for the command that needs them. A non-zero
 * exit always fails (simple-git alone treats an exit code without stderr as success).
 */
import { GitError, simpleGit, type SimpleGit } from 'simple-git';
import { redact } from './remote.js';

/** Inherited GIT_* variables that only say which CA to trust: kept for private Git servers. */
const INHERITED = ['GIT_SSL_CAINFO', 'GIT_SSL_CAPATH'];

/** Keys simple-git's environment guard must let through: the ones we set, and INHERITED. */
const ALLOWED_ENV = [
  'GIT_TERMINAL_PROMPT',
  'GIT_SSH_COMMAND',
  'GIT_CONFIG_COUNT',
  'GIT_CONFIG_KEY_0',
  'GIT_CONFIG_VALUE_0',
  ...INHERITED,
];

// Non-GIT_ variables simple-git's guard rejects when passed explicitly (they name programs git
// would run); git never needs them here.
const GUARDED = new Set(['editor', 'visual', 'pager', 'prefix', 'ssh_askpass']);

/**
 * A git command that exited non-zero (or could not run). Output is already scrubbed of secrets.
 * It extends simple-git's GitError because simple-git re-wraps any other error type as text.
 */
export class GitCommandError extends GitError {
  readonly exitCode: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly command: string;

  constructor(options: {
    command: string;
    exitCode: number | null;
    stdout: string;
    stderr: string;
    cause?: unknown;
  }) {
    const detail =
      lastLines(options.stderr.trim() || options.stdout.trim(), 8) || `exit code ${options.exitCode}`;
    super(undefined, `git ${options.command}: ${detail}`);
    this.name = 'GitCommandError';
    if (options.cause !== undefined) this.cause = options.cause;
    this.exitCode = options.exitCode;
    this.stdout = options.stdout;
    this.stderr = options.stderr;
    this.command = options.command;
  }
}

export interface GitRunOptions {
  cwd: string;
  /** Extra environment for this command (credentials); merged over the base environment. */
  env?: Record<string, string>;
  /** Values to scrub from error output. */
  secrets?: readonly string[];
  /** Written to the process's stdin. */
  input?: string;
  /** Kill the process after this long without output. */
  timeoutMs: number;
}

/** The base environment for every git process (see the module comment). */
export function baseGitEnv(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) {
    if (value === undefined) continue;
    const lower = key.toLowerCase();
    if ((lower.startsWith('git_') && !INHERITED.includes(key)) || GUARDED.has(lower)) continue;
    result[key] = value;
  }
  result.GIT_TERMINAL_PROMPT = '0';
  result.GCM_INTERACTIVE = 'never';
  result.LC_ALL = 'C';
  return { ...result, ...GIT_MALLOC_ENV };
}

/**
 * glibc malloc settings for git (they replace the server's own, src/server/malloc-env.ts, which a
 * child would inherit). git allocates zlib's ~256 KiB deflate state for every object it writes: at
 * a 128 KiB threshold each is mmapped and unmapped again, and with glibc's defaults the heap is
 * trimmed after it; either way every object costs a TLB shootdown across CPUs. Measured on the
 * bench VM, one fast-import commit of 100 new environments (500 files) took 45–70 ms that way and
 * 9–13 ms with these (peak RSS of the fast-import the same, 13 MiB).
 */
export const GIT_MALLOC_ENV: Readonly<Record<string, string>> = {
  MALLOC_MMAP_THRESHOLD_: String(4 * 1024 * 1024),
  MALLOC_TRIM_THRESHOLD_: String(4 * 1024 * 1024),
};

function client(options: GitRunOptions & { base: Record<string, string> }, command: string): SimpleGit {
  const secrets = options.secrets ?? [];
  const git = simpleGit({
    baseDir: options.cwd,
    allowEnvironment: ALLOWED_ENV,
    unsafe: { allowUnsafeSshCommand: true, allowUnsafeConfigEnvCount: true },
    timeout: { block: options.timeoutMs },
    ...(options.input === undefined ? {} : { input: () => options.input }),
    errors(error, result) {
      if (!error && result.exitCode === 0) return undefined;
      return new GitCommandError({
        command,
        exitCode: result.exitCode,
        stdout: redact(Buffer.concat(result.stdOut).toString('utf8'), secrets),
        stderr: redact(Buffer.concat(result.stdErr).toString('utf8'), secrets),
        ...(error instanceof Error ? { cause: scrubError(error, secrets) } : {}),
      });
    },
  });
  // simple-git waits an extra 50 ms after a process that printed nothing, in case output is late.
  // Once stdout has ended nothing can be late, so say so: a silent command (add, reset, clean)
  // then costs its own run time, and a commit ~100 ms instead of ~500 ms.
  git.outputHandler((_command, stdout) => {
    stdout.once('end', () => stdout.emit('data', Buffer.alloc(0)));
  });
  return git.env({ ...options.base, ...options.env });
}

/** Runs `git <args>` and returns its stdout as text. */
export async function runGit(
  args: string[],
  options: GitRunOptions & { base: Record<string, string> },
): Promise<string> {
  const command = subcommand(args);
  try {
    return await client(options, command).raw(args);
  } catch (error) {
    throw asGitError(error, command, options.secrets ?? []);
  }
}

/** The subcommand of an argument list (after the `-c k=v` and `--flag` global options). */
export function subcommand(args: readonly string[]): string {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '-c' || arg === '-C') i++;
    else if (!arg.startsWith('-')) return arg;
  }
  return 'git';
}

function asGitError(error: unknown, command: string, secrets: readonly string[]): GitCommandError {
  if (error instanceof GitCommandError) return error;
  const scrubbed =
    error instanceof Error ? scrubError(error, secrets) : new Error(redact(String(error), secrets));
  return new GitCommandError({
    command,
    exitCode: null,
    stdout: '',
    stderr: scrubbed.message,
    cause: scrubbed,
  });
}

function scrubError(error: Error, secrets: readonly string[]): Error {
  if (secrets.length === 0) return error;
  error.message = redact(error.message, secrets);
  if (error.stack) error.stack = redact(error.stack, secrets);
  return error;
}

function lastLines(text: string, count: number): string {
  const lines = text.split('\n').filter((line) => line.trim() !== '');
  return lines.slice(-count).join('\n');
}
