/** The default remote: a bare repository on the local disk (the embedded default's `.envcat/`). */
import { existsSync } from 'node:fs';
import { access, constants, mkdir, readdir, realpath } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ConflictError, ExternalError, InputError } from '../core/index.js';
import { baseGitEnv, GitCommandError, runGit } from './git.js';
import { branchProblem } from './paths.js';

const TIMEOUT_MS = 60_000;

/**
 * Hooks a push runs in the receiving repository: one that has any of them is always pushed to, so
 * they run. (A reference-transaction hook that declines would make fast-import abort, not refuse.)
 */
const RECEIVE_HOOKS = [
  'pre-receive',
  'update',
  'proc-receive',
  'reference-transaction',
  'post-receive',
  'post-update',
];

/**
 * Whether GitRepo may commit straight into the repository at `path` (see commit-writer.ts): it is a bare
 * repository on this machine and has no receive hook that a push would run (in `hooks/` or
 * `core.hooksPath`). Anything unexpected leaves it to a working clone, whose fetch reports the
 * problem.
 */
export async function directlyWritable(
  path: string,
  options: { env: Record<string, string>; timeoutMs: number },
): Promise<boolean> {
  if (!existsSync(path)) return false;
  let answer: string;
  try {
    answer = await runGit(
      ['rev-parse', '--is-bare-repository', '--absolute-git-dir', '--git-path', 'hooks'],
      {
        cwd: path,
        base: options.env,
        timeoutMs: options.timeoutMs,
      },
    );
  } catch (error) {
    if (error instanceof GitCommandError) return false;
    throw error;
  }
  const [bare, gitDir, hooks] = answer.trim().split('\n');
  if (bare !== 'true' || gitDir !== (await realpath(path)) || hooks === undefined) return false;
  for (const hook of RECEIVE_HOOKS) {
    try {
      await access(resolve(gitDir, hooks, hook), constants.X_OK);
      return false;
    } catch {
      // Not there or not executable: git would not run it either.
    }
  }
  return true;
}

/**
 * Creates a bare repository at `path` (`git init --bare`) unless one is there already; safe to
 * call on every start. A non-empty directory that is not a bare repository is a ConflictError:
 * it is never overwritten.
 */
export async function ensureBareRepo(
  path: string,
  options: { initialBranch?: string } = {},
): Promise<{ path: string; created: boolean }> {
  const branch = options.initialBranch ?? 'main';
  const problem = branchProblem(branch);
  if (problem) throw new InputError([{ path: '/initialBranch', message: problem }]);
  const absolute = resolve(path);
  const base = baseGitEnv();
  if (existsSync(join(absolute, 'HEAD')) && existsSync(join(absolute, 'objects'))) {
    let answer: string;
    try {
      answer = await runGit(['rev-parse', '--is-bare-repository', '--absolute-git-dir'], {
        cwd: absolute,
        base,
        timeoutMs: TIMEOUT_MS,
      });
    } catch (error) {
      throw new ConflictError(`${absolute} looks like a git repository but git cannot read it`, {
        cause: error,
      });
    }
    const [bare, gitDir] = answer.trim().split('\n');
    // A damaged repository makes git look in the parent directories instead: check it found this one.
    if (gitDir !== (await realpath(absolute))) {
      throw new ConflictError(`${absolute} looks like a git repository but git cannot read it`);
    }
    if (bare !== 'true') throw new ConflictError(`${absolute} is a git repository but not a bare one`);
    return { path: absolute, created: false };
  }
  try {
    await mkdir(absolute, { recursive: true });
  } catch (error) {
    throw new ExternalError(`cannot create ${absolute}: ${(error as NodeJS.ErrnoException).code}`, {
      cause: error,
    });
  }
  if ((await readdir(absolute)).length > 0) {
    throw new ConflictError(`${absolute} is not empty and not a bare git repository; refusing to use it`);
  }
  try {
    await runGit(['init', '--bare', '--quiet', `--initial-branch=${branch}`], {
      cwd: absolute,
      base,
      timeoutMs: TIMEOUT_MS,
    });
  } catch (error) {
    throw new ExternalError(`git init --bare failed in ${absolute}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  return { path: absolute, created: true };
}
