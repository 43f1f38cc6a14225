/**
 * When a commit reached Git (branch-watch.ts): the first moment the branch was seen at it or at a
 * later commit, since a watcher may see two quick moves as one; and the watcher against a real
 * bare repository.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ensureBareRepo, GitRepo } from '../../src/gitops/index.js';
import { branchOrder, firstSeenAt, watchBranch } from './branch-watch.js';

const sha = (n: number) => String(n).repeat(40).slice(0, 40);
const order = new Map([sha(1), sha(2), sha(3), sha(4)].map((s, i) => [s, i]));

describe('firstSeenAt', () => {
  it.each<[string, Array<[number, string]>, string, number | undefined]>([
    [
      'the first sample at the commit',
      [
        [10, sha(1)],
        [20, sha(2)],
        [30, sha(2)],
      ],
      sha(2),
      20,
    ],
    [
      'a later commit seen first (two moves seen as one)',
      [
        [10, sha(1)],
        [25, sha(3)],
      ],
      sha(2),
      25,
    ],
    ['never reached', [[10, sha(1)]], sha(3), undefined],
    ['a commit not on the branch', [[10, sha(4)]], sha(9), undefined],
    [
      'an unknown sample sha does not count as later',
      [
        [10, sha(9)],
        [40, sha(4)],
      ],
      sha(2),
      40,
    ],
  ])('%s', (_case, samples, commit, expected) => {
    expect(
      firstSeenAt(
        samples.map(([at, s]) => ({ at, sha: s })),
        order,
        commit,
      ),
    ).toBe(expected);
  });
});

describe('watchBranch', () => {
  it('sees each commit another process makes, in order, with the time it saw it, and a packed ref', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'envcat-branch-watch-'));
    const repo = new GitRepo({ name: 'apps', url: join(dir, 'apps.git'), workdir: join(dir, 'work') });
    try {
      const { path } = await ensureBareRepo(join(dir, 'apps.git'));
      const watch = watchBranch(path);
      const made: string[] = [];
      for (let i = 0; i < 3; i++) {
        made.push(
          (await repo.commit({ write: [{ path: `f${i}`, content: `${i}\n` }], remove: [], message: `c${i}` }))
            .sha,
        );
        // give the watcher a turn, as the bench's waits do
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      watch.stop();
      const positions = await branchOrder(path);
      expect([...positions.keys()]).toEqual(made);
      expect(watch.samples.map((sample) => sample.sha)).toEqual(made);
      const times = made.map((commit) => firstSeenAt(watch.samples, positions, commit));
      expect(times.every((at) => at !== undefined)).toBe(true);
      expect([...times].sort((a, b) => a! - b!)).toEqual(times);
      // packed (git gc packs refs): still read
      await promisify(execFile)('git', ['--git-dir', path, 'pack-refs', '--all']);
      const packed = watchBranch(path);
      packed.stop();
      expect(packed.samples.map((sample) => sample.sha)).toEqual([made[2]]);
    } finally {
      await repo.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
