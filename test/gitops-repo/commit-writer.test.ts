/**
 * How GitRepo writes and publishes a planned commit (commit-writer.ts), without git: a scripted
 * fast-import answers as the real one does (the commit's sha, and whether it left the branch
 * alone), and a scripted git answers the push. Where the commit goes, what counts as a race to
 * retry, and when maintenance runs are decided here; test/gitops-repo/repo.test.ts and race.test.ts
 * show the same against git.
 */
import { mkdtemp, rm, stat, utimes, writeFile, mkdir } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CommitWriter,
  maintenanceDue,
  REPACK_EVERY,
  type Importer,
  type Place,
} from '../../src/gitops/commit-writer.js';
import type { FastImportAnswer } from '../../src/gitops/fast-import.js';
import { GitCommandError } from '../../src/gitops/git.js';
import { SILENT } from '../../src/gitops/options.js';
import { blobId, planChanges, treeOf } from '../../src/gitops/plan.js';

const sha = (n: number) => n.toString(16).padStart(40, '0');
const base = treeOf(sha(1), [['old.yaml', { mode: '100644', id: blobId('old\n', 'sha1') }]]);
const plan = planChanges({
  changes: [{ write: [{ path: 'new.yaml', content: 'new\n' }], remove: ['old.yaml'], message: 'a wave' }],
  base,
  repo: 'platform',
  objectFormat: 'sha1',
});

function scripted(options: { place: Place; answer?: FastImportAnswer; push?: () => Promise<string> }) {
  const commits: Array<{ command: string; ref: string }> = [];
  const git: Array<{ args: string[]; network: boolean }> = [];
  const counts = { importers: 0, importersClosed: 0, readsClosed: 0, readied: 0 };
  const writer = new CommitWriter({
    repo: 'platform',
    branch: 'main',
    author: { name: 'envcat', email: 'envcat@localhost' },
    logger: SILENT,
    place: () => options.place,
    startImporter: (): Importer => {
      counts.importers++;
      return {
        commit: async (command, ref) => {
          commits.push({ command, ref });
          return options.answer ?? { sha: sha(2) };
        },
        ready: () => {
          counts.readied++;
        },
        close: async () => {
          counts.importersClosed++;
        },
      };
    },
    git: async (args, gitOptions) => {
      git.push({ args, network: gitOptions?.network ?? false });
      if (args[0] === 'push' && options.push) return options.push();
      return '';
    },
    closeReads: async () => {
      counts.readsClosed++;
    },
  });
  return { writer, commits, git, counts };
}

const DIRECT: Place = { direct: true, gitDir: '/srv/platform.git' };
const CLONE: Place = { direct: false, workdir: '/var/envcat/platform' };
const rejected = (stdout: string) =>
  new GitCommandError({ command: 'push', exitCode: 1, stdout, stderr: 'error: failed to push some refs' });

describe('CommitWriter.ready', () => {
  it('starts the importer the next commit writes with, once', async () => {
    const { writer, commits, counts } = scripted({ place: DIRECT });
    writer.ready();
    writer.ready();
    expect(counts).toMatchObject({ importers: 1, readied: 2 });
    await writer.write(base, plan);
    expect(commits).toHaveLength(1);
    expect(counts.importers).toBe(1);
    // WHEN it was closed (maintenance) THEN ready starts another
    await writer.close();
    writer.ready();
    expect(counts).toMatchObject({ importers: 2, importersClosed: 1 });
  });
});

describe('CommitWriter.write', () => {
  it('writes the plan on its base: the changed files, the message, the parent', async () => {
    const { writer, commits } = scripted({ place: DIRECT });
    await writer.write(base, plan);
    expect(commits).toHaveLength(1);
    const { command } = commits[0]!;
    expect(command).toContain(`from ${sha(1)}\n`);
    expect(command).toContain('M 100644 inline "new.yaml"\ndata 4\nnew\n');
    expect(command).toContain('D "old.yaml"');
    expect(command).toContain('data 6\na wave');
    const [, seconds, zone] = /\nauthor envcat <envcat@localhost> (\d+) ([+-]\d{4})\n/.exec(command)!;
    expect(Math.abs(Number(seconds) * 1000 - Date.now())).toBeLessThan(60_000);
    expect(command).toContain(`\ncommitter envcat <envcat@localhost> ${seconds} ${zone}\n`);
  });

  it('tells the commit it wrote as log would list it: the sha, the message, the author and the date it wrote', async () => {
    const { writer, commits } = scripted({ place: DIRECT });
    const { commit } = await writer.write(base, plan);
    const [, seconds] = /\nauthor envcat <envcat@localhost> (\d+) /.exec(commits[0]!.command)!;
    expect(commit).toEqual({
      sha: sha(2),
      message: 'a wave',
      author: 'envcat <envcat@localhost>',
      date: expect.any(String),
    });
    expect(Date.parse(commit.date) / 1000).toBe(Number(seconds));
  });

  it.each<[string, Place, FastImportAnswer, string, object]>([
    ['direct: fast-import moved the branch', DIRECT, { sha: sha(2) }, 'refs/heads/main', { ok: true }],
    [
      'direct: the branch moved since the base, so fast-import left it alone',
      DIRECT,
      { sha: sha(2), refused: 'Not updating refs/heads/main (new tip does not contain x)' },
      'refs/heads/main',
      { ok: false, reason: 'Not updating refs/heads/main (new tip does not contain x)' },
    ],
    [
      'clone: whether fast-import moved its own ref does not matter, the push decides',
      CLONE,
      { sha: sha(2), refused: 'Not updating refs/envcat/commit' },
      'refs/envcat/commit',
      { ok: true },
    ],
  ])('%s', async (_, place, answer, ref, pushed) => {
    const { writer, commits, git } = scripted({ place, answer });
    expect(await writer.write(base, plan)).toEqual({
      sha: sha(2),
      pushed,
      commit: expect.objectContaining({ sha: sha(2) }),
    });
    expect(commits.map((commit) => commit.ref)).toEqual([ref]);
    expect(git.map((run) => run.args[0])).toEqual(place.direct ? [] : ['push']);
  });

  it('from a clone pushes the sha to the branch, with the remote credentials, skipping local hooks', async () => {
    const { writer, git } = scripted({ place: CLONE });
    await writer.write(base, plan);
    expect(git).toEqual([
      {
        args: ['push', '--porcelain', '--no-verify', 'origin', `${sha(2)}:refs/heads/main`],
        network: true,
      },
    ]);
  });

  it('a push whose ref was rejected is a race to retry, with git’s reason', async () => {
    const { writer } = scripted({
      place: CLONE,
      push: () =>
        Promise.reject(
          rejected(`To /srv/x.git\n!\t${sha(2)}:refs/heads/main\t[rejected] (fetch first)\nDone\n`),
        ),
    });
    expect(await writer.write(base, plan)).toEqual({
      sha: sha(2),
      pushed: { ok: false, reason: '[rejected] (fetch first)' },
      commit: expect.objectContaining({ sha: sha(2) }),
    });
  });

  it.each<[string, Error]>([
    ['a git failure with no rejected ref (network, auth)', rejected('')],
    ['anything else', new Error('spawn git ENOENT')],
  ])('a push that fails with %s is thrown, not retried', async (_, error) => {
    const { writer } = scripted({ place: CLONE, push: () => Promise.reject(error) });
    await expect(writer.write(base, plan)).rejects.toBe(error);
  });

  it('keeps one fast-import between commits; after close the next commit starts another', async () => {
    const { writer, counts } = scripted({ place: DIRECT });
    await writer.write(base, plan);
    await writer.write(base, plan);
    await writer.close();
    await writer.close();
    await writer.write(base, plan);
    expect(counts).toMatchObject({ importers: 2, importersClosed: 1 });
  });
});

describe('maintenance', () => {
  it.each<[number, number, boolean]>([
    [1, 0, false],
    [REPACK_EVERY - 1, 0, false],
    [REPACK_EVERY, 0, true],
    [REPACK_EVERY, 3, false],
    [2 * REPACK_EVERY - 1, 3, false],
    [2 * REPACK_EVERY, 3, true],
  ])('after %i commits with %i waiting, due: %s', (commits, waiting, due) => {
    expect(maintenanceDue(commits, waiting)).toBe(due);
  });

  it('runs every REPACK_EVERY published commits: both processes ended, the packs merged, gc --auto', async () => {
    const { writer, git, counts } = scripted({ place: CLONE });
    for (let i = 0; i < 2 * REPACK_EVERY; i++) await writer.published(0);
    expect(git.map((run) => run.args.join(' '))).toEqual([
      'repack -d -q --geometric=2',
      '-c gc.autoDetach=false gc --auto --quiet',
      'repack -d -q --geometric=2',
      '-c gc.autoDetach=false gc --auto --quiet',
    ]);
    expect(counts.readsClosed).toBe(2);
  });

  it('waits while commits wait, up to twice as many commits', async () => {
    const { writer, git } = scripted({ place: CLONE });
    for (let i = 1; i < 2 * REPACK_EVERY; i++) await writer.published(5);
    expect(git).toEqual([]);
    await writer.published(5);
    expect(git.map((run) => run.args[0])).toEqual(['repack', '-c']);
  });
});

describe('CommitWriter.beforeRetry', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'envcat-writer-'));
    await mkdir(join(dir, 'refs', 'heads'), { recursive: true });
    const lock = join(dir, 'refs', 'heads', 'main.lock');
    await writeFile(lock, '');
    const longAgo = new Date(Date.now() - 5 * 60_000);
    await utimes(lock, longAgo, longAgo);
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it.each<[string, 'direct' | 'clone', string, boolean]>([
    ['direct, a ref lock', 'direct', 'cannot lock ref refs/heads/main', true],
    ['direct, another reason', 'direct', 'Not updating refs/heads/main', false],
    ['clone (the lock would be the remote’s)', 'clone', 'cannot lock ref refs/heads/main', false],
  ])('%s: a stale branch lock removed: %s', async (_, kind, reason, removed) => {
    const place: Place = kind === 'direct' ? { direct: true, gitDir: dir } : { direct: false, workdir: dir };
    const { writer } = scripted({ place });
    await writer.beforeRetry(reason);
    const lock = join(dir, 'refs', 'heads', 'main.lock');
    expect(existsSync(lock)).toBe(!removed);
    if (!removed) expect((await stat(lock)).isFile()).toBe(true);
  });
});
