/**
 * GitRepo's working clone (clone.ts's openClone) without git: a scripted git answers the checks
 * of an existing clone, so what is kept, made again, made, or refused is decided here on a real
 * directory. repo.test.ts shows the same through GitRepo and git.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConflictError } from '../../src/core/index.js';
import { openClone } from '../../src/gitops/clone.js';
import { GitCommandError } from '../../src/gitops/git.js';
import { recordingLogger } from './support.js';

const URL = 'https://git.example.test/platform.git';
const MADE = [
  ['init', '--quiet', '--initial-branch=main'],
  ['remote', 'add', 'origin', URL],
];

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'envcat-clone-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

/** A git that makes a clone, and answers the checks of one as `answers` says (or fails them). */
function scripted(answers: { gitDir?: () => Promise<string>; origin?: string; fails?: boolean } = {}) {
  const runs: string[][] = [];
  const git = async (args: string[]): Promise<string> => {
    runs.push(args);
    if (args[0] === 'init' || args[0] === 'remote') return '';
    if (answers.fails)
      throw new GitCommandError({
        command: args[0]!,
        exitCode: 128,
        stdout: '',
        stderr: 'fatal: bad object HEAD',
      });
    if (args[0] === 'rev-parse') return `${await answers.gitDir!()}\n`;
    if (args[0] === 'config') return `${answers.origin ?? URL}\n`;
    return '';
  };
  return { git, runs };
}

async function open(workdir: string, git: (args: string[]) => Promise<string>) {
  const logger = recordingLogger();
  await openClone({
    repo: 'platform',
    logger,
    git,
    workdir,
    branch: 'main',
    url: URL,
    displayUrl: URL,
  });
  return logger;
}

describe('openClone', () => {
  it.each([
    ['a missing workdir', false],
    ['an empty workdir', true],
  ])('makes %s a clone of the remote, without fetching', async (_, exists) => {
    const workdir = join(root, 'work');
    if (exists) await mkdir(workdir);
    const { git, runs } = scripted();
    const logger = await open(workdir, git);
    expect(existsSync(workdir)).toBe(true);
    expect(runs).toEqual(MADE);
    expect(logger.records.map((record) => record.message)).toEqual(['created working clone']);
  });

  it('refuses a non-empty directory that is not a clone, running no git and leaving it as it was', async () => {
    const workdir = join(root, 'work');
    await mkdir(workdir);
    await writeFile(join(workdir, 'notes.txt'), 'mine\n');
    const { git, runs } = scripted();
    const opening = open(workdir, git);
    await expect(opening).rejects.toThrow(ConflictError);
    await expect(opening).rejects.toMatchObject({ path: '/workdir' });
    await expect(opening).rejects.toThrow(/not empty and not a git clone; refusing to overwrite it/);
    expect(runs).toEqual([]);
    expect(await readFile(join(workdir, 'notes.txt'), 'utf8')).toBe('mine\n');
  });

  it('keeps a clone of the remote, removing the locks a killed git left in it', async () => {
    const workdir = join(root, 'work');
    await mkdir(join(workdir, '.git', 'refs', 'envcat'), { recursive: true });
    await writeFile(join(workdir, '.git', 'index.lock'), '');
    await writeFile(join(workdir, '.git', 'refs', 'envcat', 'commit.lock'), '');
    await writeFile(join(workdir, '.git', 'HEAD'), 'ref: refs/heads/main\n');
    const { git, runs } = scripted({ gitDir: () => realpath(join(workdir, '.git')) });
    const logger = await open(workdir, git);
    expect(runs.map((args) => args[0])).toEqual(['rev-parse', 'config', 'symbolic-ref']);
    expect(existsSync(join(workdir, '.git', 'index.lock'))).toBe(false);
    expect(existsSync(join(workdir, '.git', 'refs', 'envcat', 'commit.lock'))).toBe(false);
    expect(existsSync(join(workdir, '.git', 'HEAD'))).toBe(true);
    expect(logger.records.map((record) => record.message)).toEqual([
      'removing a stale lock',
      'removing a stale lock',
    ]);
  });

  it.each<[string, Parameters<typeof scripted>[0], string]>([
    ['a clone of another remote', { origin: 'https://elsewhere.test/x.git' }, 'a clone of another remote'],
    [
      'a .git git does not take for the workdir’s',
      { gitDir: async () => '/somewhere/else/.git' },
      'not a git repository',
    ],
    ['a clone git cannot read', { fails: true }, 'unreadable clone (git rev-parse: fatal: bad object HEAD)'],
  ])('makes %s again from nothing', async (_, answers, problem) => {
    const workdir = join(root, 'work');
    await mkdir(join(workdir, '.git'), { recursive: true });
    await writeFile(join(workdir, 'left-over.yaml'), 'x\n');
    const gitDir = answers!.gitDir ?? (() => realpath(join(workdir, '.git')));
    const { git, runs } = scripted({ ...answers, gitDir });
    const logger = await open(workdir, git);
    expect(existsSync(join(workdir, 'left-over.yaml'))).toBe(false);
    expect(runs.slice(-2)).toEqual(MADE);
    expect(logger.records.map((record) => [record.message, record.object.problem])).toEqual([
      ['recreating the working clone', problem],
      ['created working clone', undefined],
    ]);
  });
});
