/**
 * What a git process that was killed leaves behind (a fast-import on a timeout, the engine killed)
 * and would otherwise refuse or slow every later command: lock files and fast-import's pack marks.
 * Each is removed only when no live git can own it.
 */
import { readdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { GitOpsLogger } from './options.js';
import type { RepoName } from './types.js';

/** A `.keep` mark of fast-import this old belongs to a process that is gone (see releaseAbandonedPacks). */
const ABANDONED_KEEP_MS = 10 * 60_000;
/** A ref lock this old belongs to a process that is gone (see removeStaleBranchLock). */
const STALE_LOCK_MS = 60_000;

interface Where {
  repo: RepoName;
  logger: GitOpsLogger;
}

/**
 * fast-import marks each pack it writes with a `.keep` file until it exits normally, and repack
 * never merges a kept pack. A fast-import that was killed leaves its marks behind: those older
 * than ABANDONED_KEEP_MS are removed. A pack's objects are never lost by repacking it (geometric
 * repack keeps every object of the packs it merges).
 */
export async function releaseAbandonedPacks(options: Where & { gitDir: string }): Promise<void> {
  const dir = join(options.gitDir, 'objects', 'pack');
  const now = Date.now();
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    if (!name.endsWith('.keep')) continue;
    const path = join(dir, name);
    try {
      const [content, info] = await Promise.all([readFile(path, 'utf8'), stat(path)]);
      if (content.trim() !== 'fast-import' || now - info.mtimeMs < ABANDONED_KEEP_MS) continue;
      await rm(path, { force: true });
      options.logger.info(
        { repo: options.repo, pack: name },
        'released a pack an interrupted fast-import kept',
      );
    } catch (error) {
      // Gone meanwhile (its fast-import ended): nothing to release.
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
}

/**
 * A branch lock left by a git process that was killed while holding it would refuse every later
 * commit: one older than STALE_LOCK_MS is removed (no git holds a ref lock for more than a moment).
 */
export async function removeStaleBranchLock(
  options: Where & { gitDir: string; branch: string },
): Promise<void> {
  const lock = join(options.gitDir, 'refs', 'heads', `${options.branch}.lock`);
  try {
    if (Date.now() - (await stat(lock)).mtimeMs < STALE_LOCK_MS) return;
    await rm(lock, { force: true });
    options.logger.warn(
      { repo: options.repo, lock: `refs/heads/${options.branch}.lock` },
      'removed a stale branch lock',
    );
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}
