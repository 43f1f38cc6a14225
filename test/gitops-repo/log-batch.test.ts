/**
 * Log reads that wait together share one process (log-batch.ts), against a real repository: each
 * read's answer is byte for byte what `git log` of its path alone prints, whatever the path holds
 * (quotes, spaces, a message with the marker's bytes), and a read that fails fails alone.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { baseGitEnv, runGit } from '../../src/gitops/git.js';
import { LogBatch, logArgs, type LogRead } from '../../src/gitops/log-batch.js';
import { createSandbox, git, type Sandbox } from './support.js';

let sandbox: Sandbox;
let work: string;
let head: string;

const IDENTITY = ['-c', 'user.name=envcat', '-c', 'user.email=envcat@localhost'];
const PATHS = ['environments/a', 'environments/b', "environments/it's b", 'environments/with space'];

beforeAll(async () => {
  sandbox = await createSandbox('logbatch');
  work = join(sandbox.root, 'work');
  await mkdir(work);
  await git(sandbox, work, 'init', '--quiet', '--initial-branch=main');
  const commit = async (paths: string[], message: string) => {
    for (const path of paths) {
      await mkdir(join(work, path), { recursive: true });
      await writeFile(join(work, path, 'file.yaml'), `${message}\n`);
    }
    await git(sandbox, work, 'add', '--all');
    await git(sandbox, work, ...IDENTITY, 'commit', '--quiet', '-m', message);
  };
  await commit(['environments/a'], 'one');
  await commit(['environments/a', 'environments/b'], 'two\n\nwith a body');
  await commit([PATHS[2]!, PATHS[3]!], 'three, whose message holds the marker \x01END\x01 itself');
  await commit(['environments/a'], 'four');
  head = (await git(sandbox, work, 'rev-parse', 'HEAD')).trim();
});
afterAll(async () => {
  await sandbox.cleanup();
});

function alone(read: { head: string; path: string; limit?: number }): Promise<string> {
  return runGit(logArgs(read), { cwd: work, base: baseGitEnv(), timeoutMs: 10_000 });
}

function batcher() {
  const slots: number[] = [];
  const batch = new LogBatch({
    cwd: work,
    env: baseGitEnv(),
    timeoutMs: 10_000,
    slot: (task) => {
      slots.push(slots.length);
      return task();
    },
    alone,
  });
  return { batch, slots };
}

describe('LogBatch', () => {
  it.each<[string, (head: string) => LogRead[]]>([
    ['every path, no limit', (head) => PATHS.map((path) => ({ head, path }))],
    [
      'limits',
      (head) => [
        { head, path: 'environments/a', limit: 2 },
        { head, path: 'environments/a', limit: 1 },
        { head, path: PATHS[2]!, limit: 5 },
      ],
    ],
    [
      'a path no commit touched',
      (head) => [
        { head, path: 'environments/none' },
        { head, path: 'environments/b' },
      ],
    ],
    [
      'a file, and an older head',
      (head) => [
        { head, path: 'environments/a/file.yaml' },
        { head: `${head}~2`, path: 'environments/a' },
      ],
    ],
  ])('%s: each answer is what its log alone prints', async (_, readsAt) => {
    const reads = readsAt(head);
    const { batch, slots } = batcher();
    // WHEN a read starts a batch and the others wait for it
    const answers = await Promise.all(reads.map((read) => batch.read(read)));
    // THEN each is byte for byte its own git log
    const expected = await Promise.all(reads.map((read) => alone(read)));
    expect(answers).toEqual(expected);
    expect(answers.some((answer) => answer.length > 0)).toBe(true);
    // …and the ones that waited shared one process: the first alone, the rest in one batch
    expect(slots).toHaveLength(2);
  });

  it('a read that fails fails alone; the others of its batch are answered', async () => {
    const { batch } = batcher();
    const reads = [
      { head, path: 'environments/a' },
      { head, path: 'environments/b' },
      { head: '0'.repeat(40), path: 'environments/a' },
      { head, path: PATHS[3]! },
    ];
    const outcomes = await Promise.allSettled(reads.map((read) => batch.read(read)));
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    expect((outcomes[1] as PromiseFulfilledResult<string>).value).toBe(await alone(reads[1]!));
    expect((outcomes[3] as PromiseFulfilledResult<string>).value).toBe(await alone(reads[3]!));
    expect(String((outcomes[2] as PromiseRejectedResult).reason)).toMatch(/git log/);
  });
});
