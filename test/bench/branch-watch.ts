/**
 * When a commit reached Git: the moments a bare repository's branch moved, seen from this process
 * (inotify on its refs, through fs.watch), whatever process moved it. The engine learns that its
 * commit landed a little later (git's answer waits for a turn of the engine's event loop); Argo CD
 * can see the commit from the moment the branch moved.
 *
 * A watcher may see two quick moves as one: a commit counts as in Git from the first moment the
 * branch was seen at it or at a later commit of the same branch (firstSeenAt).
 */
import { execFile } from 'node:child_process';
import { watch, readFileSync, type FSWatcher } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { clock } from './engine-support.js';

export interface BranchSample {
  /** clock() when the move was seen. */
  at: number;
  sha: string;
}

export interface BranchWatch {
  readonly samples: readonly BranchSample[];
  stop(): void;
}

/** The branch's head as its files have it now (loose ref, else packed-refs); undefined when unborn. */
function readHead(gitDir: string, branch: string): string | undefined {
  const ref = `refs/heads/${branch}`;
  try {
    return readFileSync(join(gitDir, ref), 'utf8').trim();
  } catch {
    try {
      const packed = readFileSync(join(gitDir, 'packed-refs'), 'utf8');
      return packed
        .split('\n')
        .find((line) => line.endsWith(` ${ref}`))
        ?.split(' ')[0];
    } catch {
      return undefined;
    }
  }
}

export function watchBranch(gitDir: string, branch = 'main'): BranchWatch {
  const samples: BranchSample[] = [];
  const look = () => {
    const sha = readHead(gitDir, branch);
    if (sha && sha !== samples.at(-1)?.sha) samples.push({ at: clock(), sha });
  };
  // The loose ref is replaced by a rename (refs/heads), and packed by `git pack-refs` (the root).
  const watchers: FSWatcher[] = [watch(join(gitDir, 'refs', 'heads'), look), watch(gitDir, look)];
  look();
  return {
    samples,
    stop: () => watchers.forEach((watcher) => watcher.close()),
  };
}

/** The branch's commits, oldest first, with their position (first-parent history: the engine's commits are linear). */
export async function branchOrder(gitDir: string, branch = 'main'): Promise<Map<string, number>> {
  const { stdout } = await promisify(execFile)('git', [
    '--git-dir',
    gitDir,
    'rev-list',
    '--first-parent',
    '--reverse',
    branch,
  ]);
  return new Map(
    stdout
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((sha, index) => [sha, index]),
  );
}

/** The first moment the branch was seen at `sha` or a later commit; undefined if never. */
export function firstSeenAt(
  samples: readonly BranchSample[],
  order: ReadonlyMap<string, number>,
  sha: string,
): number | undefined {
  const position = order.get(sha);
  if (position === undefined) return undefined;
  return samples.find((sample) => (order.get(sample.sha) ?? -1) >= position)?.at;
}
