/**
 * GitRepo's working clone (used when the remote is not a hook-free bare repository on this
 * machine): whether an existing one can be used, and the locks a killed git left in it.
 */
import { existsSync } from 'node:fs';
import { realpath, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { GitCommandError } from './git.js';
import type { GitOpsLogger } from './options.js';
import type { RepoName } from './types.js';

/**
 * Why the clone in `workdir` is not one of `url` GitRepo can use, or undefined when it is. `git`
 * runs a command in `workdir`.
 */
export async function cloneProblem(options: {
  git: (args: string[]) => Promise<string>;
  workdir: string;
  url: string;
}): Promise<string | undefined> {
  const { git, workdir, url } = options;
  try {
    // A broken .git makes git search the parent directories: make sure it found ours.
    const gitDir = (await git(['rev-parse', '--absolute-git-dir'])).trim();
    if (gitDir !== (await realpath(join(workdir, '.git')))) return 'not a git repository';
    const origin = (await git(['config', '--get', 'remote.origin.url'])).trim();
    if (origin !== url) return 'a clone of another remote';
    await git(['symbolic-ref', '--quiet', 'HEAD']);
    return undefined;
  } catch (error) {
    if (error instanceof GitCommandError) return `unreadable clone (${error.message.split('\n')[0]})`;
    throw error;
  }
}

/**
 * Lock files of a working clone left by a killed git process (fast-import's ref, a fetch's
 * remote-tracking ref): they would make every later command fail. Only for a clone nothing else
 * uses (GitRepo's workdir, under its lock).
 */
export async function removeCloneLocks(options: {
  repo: RepoName;
  logger: GitOpsLogger;
  workdir: string;
  branch: string;
}): Promise<void> {
  const git = join(options.workdir, '.git');
  for (const lock of [
    join(git, 'index.lock'),
    join(git, 'packed-refs.lock'),
    join(git, 'refs', 'envcat', 'commit.lock'),
    join(git, 'refs', 'remotes', 'origin', `${options.branch}.lock`),
  ]) {
    if (!existsSync(lock)) continue;
    options.logger.warn(
      { repo: options.repo, workdir: options.workdir, lock: lock.slice(git.length + 1) },
      'removing a stale lock',
    );
    await rm(lock, { force: true });
  }
}
