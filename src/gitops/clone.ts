/**
 * GitRepo's working clone (used when the remote is not a hook-free bare repository on this
 * machine): made, or checked and made again when it cannot be used, and the locks a killed git
 * left in it. A directory that holds anything else is never touched.
 */
import { existsSync } from 'node:fs';
import { mkdir, readdir, realpath, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ConflictError } from '../core/index.js';
import { GitCommandError } from './git.js';
import type { GitOpsLogger } from './options.js';
import type { RepoName } from './types.js';

/**
 * Makes `workdir` a clone of `url` that GitRepo can use: an existing one is checked (cloneProblem)
 * and its stale locks removed, or deleted and made again when it cannot be used; a missing or
 * empty directory is made one (without fetching). A non-empty directory that is not a clone is a
 * ConflictError, and is left as it is. `git` runs a command in `workdir`.
 */
export async function openClone(options: {
  repo: RepoName;
  logger: GitOpsLogger;
  git: (args: string[]) => Promise<string>;
  workdir: string;
  branch: string;
  url: string;
  displayUrl: string;
}): Promise<void> {
  const { repo, logger, git, workdir, branch, url, displayUrl } = options;
  if (existsSync(join(workdir, '.git'))) {
    const problem = await cloneProblem({ git, workdir, url });
    if (problem === undefined) {
      await removeCloneLocks({ repo, logger, workdir, branch });
      return;
    }
    logger.warn({ repo, url: displayUrl, workdir, problem }, 'recreating the working clone');
    await rm(workdir, { recursive: true, force: true });
  } else if (existsSync(workdir) && (await readdir(workdir)).length > 0) {
    throw new ConflictError(
      `workdir ${workdir} of the ${repo} repo is not empty and not a git clone; refusing to overwrite it`,
      { path: '/workdir' },
    );
  }
  await mkdir(workdir, { recursive: true });
  await git(['init', '--quiet', `--initial-branch=${branch}`]);
  await git(['remote', 'add', 'origin', url]);
  logger.info({ repo, url: displayUrl, workdir }, 'created working clone');
}

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
