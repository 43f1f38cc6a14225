/**
 * The cat-file kept running for GitRepo's reads, against real bare repositories: answers in the
 * order asked however the requests overlap, commits and packs made after it started are seen, a
 * close waits for the answers under way, and a process that ends, dies or hangs is replaced. Its
 * two parsers are checked against git's own listing.
 */
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  CatFileSession,
  parseBatchHeader,
  parseTreeObject,
  type CatFileOptions,
} from '../../src/gitops/cat-file.js';
import { GitCommandError, baseGitEnv } from '../../src/gitops/git.js';
import { ensureBareRepo } from '../../src/gitops/index.js';
import { createSandbox, git, type Sandbox } from './support.js';

let sandbox: Sandbox;
let counter = 0;
const sessions: CatFileSession[] = [];

beforeAll(async () => {
  sandbox = await createSandbox('catfile');
});
afterEach(async () => {
  await Promise.all(sessions.splice(0).map((session) => session.close()));
});
afterAll(async () => {
  await sandbox.cleanup();
});

const IDENTITY = ['-c', 'user.name=envcat', '-c', 'user.email=envcat@localhost'];

/** A bare repository, a session reading it, and a way to commit files into it with plain git. */
async function setup(overrides: Partial<CatFileOptions> = {}) {
  const { path: bare } = await ensureBareRepo(join(sandbox.root, `remote-${++counter}.git`));
  const session = new CatFileSession({
    cwd: bare,
    env: baseGitEnv(),
    gitArgs: [],
    timeoutMs: 5_000,
    idleMs: 60_000,
    ...overrides,
  });
  sessions.push(session);
  const work = join(sandbox.root, `work-${counter}`);
  await git(sandbox, sandbox.root, 'init', '--quiet', '--initial-branch=main', work);
  const commit = async (files: Record<string, string>): Promise<string> => {
    for (const [path, content] of Object.entries(files)) {
      await mkdir(join(work, path, '..'), { recursive: true });
      await writeFile(join(work, path), content);
    }
    await git(sandbox, work, 'add', '-A');
    await git(sandbox, work, ...IDENTITY, 'commit', '--quiet', '-m', 'change');
    await git(sandbox, work, 'push', '--quiet', bare, 'main');
    return (await git(sandbox, bare, 'rev-parse', 'main')).trim();
  };
  return { bare, work, session, commit };
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('parseBatchHeader', () => {
  it.each<[string, ReturnType<typeof parseBatchHeader>]>([
    [`${'a'.repeat(40)} blob 12`, { id: 'a'.repeat(40), type: 'blob', size: 12 }],
    [`${'b'.repeat(64)} tree 0`, { id: 'b'.repeat(64), type: 'tree', size: 0 }],
    ['refs/heads/nope^{commit} missing', undefined],
    ['abc ambiguous', undefined],
    ['HEAD:a file with spaces missing', undefined],
  ])('reads %j', (line, expected) => {
    expect(parseBatchHeader(line)).toEqual(expected);
  });
  it.each(['', 'fatal: something', `${'a'.repeat(40)} blob -1`])('refuses %j', (line) => {
    expect(() => parseBatchHeader(line)).toThrow(GitCommandError);
  });
});

describe('parseTreeObject', () => {
  it('reads every entry as `git ls-tree` lists it: canonical modes, names with spaces and accents', async () => {
    const { bare, session, commit } = await setup();
    await commit({ 'a b/café.yaml': 'x\n', 'tool.sh': '#!/bin/sh\n', 'z.txt': 'z\n' });
    const work = join(sandbox.root, `work-${counter}`);
    await chmod(join(work, 'tool.sh'), 0o755);
    await git(sandbox, work, 'add', 'tool.sh');
    await git(sandbox, work, 'update-index', '--add', '--cacheinfo', `160000,${'c'.repeat(40)},vendor`);
    await git(sandbox, work, ...IDENTITY, 'commit', '--quiet', '-m', 'more');
    await git(sandbox, work, 'push', '--quiet', bare, 'main');

    const [root] = await session.read(['main^{tree}']);
    const listed = (await git(sandbox, bare, '-c', 'core.quotePath=false', 'ls-tree', 'main'))
      .trim()
      .split('\n')
      .map((line) => {
        const [meta, name] = line.split('\t');
        const [mode, , id] = meta!.split(' ');
        return { mode, name, id };
      });
    expect(root?.type).toBe('tree');
    expect(parseTreeObject(root!.content, 20)).toEqual(listed);
    expect(listed.map((entry) => entry.mode)).toEqual(['040000', '100755', '160000', '100644']);
  });
  it('canonicalises the odd modes old trees may hold, and reads 32-byte ids', () => {
    const id = Buffer.alloc(32, 0xab);
    const content = Buffer.concat([
      Buffer.from('100664 group-writable\0'),
      id,
      Buffer.from('40000 dir\0'),
      id,
    ]);
    expect(parseTreeObject(content, 32)).toEqual([
      { mode: '100644', name: 'group-writable', id: 'ab'.repeat(32) },
      { mode: '040000', name: 'dir', id: 'ab'.repeat(32) },
    ]);
    expect(() => parseTreeObject(content.subarray(0, content.length - 1), 32)).toThrow(GitCommandError);
  });
});

describe('CatFileSession', () => {
  it('answers overlapping requests in order through one process: contents by their byte count, unknown names undefined', async () => {
    const { session, commit } = await setup();
    const big = 'x'.repeat(300_000);
    const head = await commit({ 'a.yaml': 'name: café\n', 'big.txt': big, 'empty.txt': '' });
    await session.read([head]);
    const pid = session.pid;

    const answers = await Promise.all([
      session.read([`${head}:a.yaml`, `${head}:nope`, `${head}:big.txt`]),
      session.read([`${head}:empty.txt`]),
      session.read(['refs/heads/nope^{commit}', `${head}:a.yaml`]),
    ]);

    expect(answers.map((objects) => objects.map((o) => o && [o.type, o.content.toString('utf8')]))).toEqual([
      [['blob', 'name: café\n'], undefined, ['blob', big]],
      [['blob', '']],
      [undefined, ['blob', 'name: café\n']],
    ]);
    expect(session.pid).toBe(pid);
  });

  it('sees commits, packed refs and repacks made after it started', async () => {
    const { bare, session, commit } = await setup();
    const head = async () => (await session.read(['refs/heads/main^{commit}']))[0]?.id;
    expect(await head()).toBeUndefined();
    const first = await commit({ 'a.yaml': 'a\n' });
    expect(await head()).toBe(first);
    await git(sandbox, bare, 'pack-refs', '--all');
    const second = await commit({ 'b.yaml': 'b\n' });
    expect(await head()).toBe(second);
    await git(sandbox, bare, 'repack', '-a', '-d', '-q');
    const third = await commit({ 'c.yaml': 'c\n' });
    expect(await head()).toBe(third);
    expect((await session.read([`${first}:a.yaml`]))[0]?.content.toString()).toBe('a\n');
  });

  it('lets a close wait for the answers under way; the next read starts another process', async () => {
    const { session, commit } = await setup();
    const head = await commit({ 'a.yaml': 'a\n' });
    const reading = session.read([`${head}:a.yaml`]);
    const firstPid = session.pid;
    await session.close();
    expect((await reading)[0]?.content.toString()).toBe('a\n');
    expect(session.pid).toBeUndefined();
    await session.read([head]);
    expect(session.pid).toBeDefined();
    expect(session.pid).not.toBe(firstPid);
  });

  it('ends after idleMs without a read', async () => {
    const { session, commit } = await setup({ idleMs: 50 });
    const head = await commit({ 'a.yaml': 'a\n' });
    await session.read([head]);
    expect(session.pid).toBeDefined();
    await pause(300);
    expect(session.pid).toBeUndefined();
    expect((await session.read([head]))[0]?.id).toBe(head);
  });

  it('fails the reads of a process that died, and replaces it', async () => {
    const { session, commit } = await setup();
    const head = await commit({ 'a.yaml': 'a\n' });
    await session.read([head]);
    process.kill(session.pid!, 'SIGKILL');
    await pause(100);
    expect((await session.read([head]))[0]?.id).toBe(head);
  });

  it('kills a process that does not answer within timeoutMs', async () => {
    const bin = join(sandbox.root, 'hanging-git');
    await mkdir(bin, { recursive: true });
    await writeFile(join(bin, 'git'), '#!/bin/sh\nexec sleep 30\n');
    await chmod(join(bin, 'git'), 0o755);
    const { session } = await setup({
      timeoutMs: 300,
      env: { ...baseGitEnv(), PATH: `${bin}:${process.env.PATH ?? ''}` },
    });
    const hanging = session.read(['HEAD']);
    await expect(hanging).rejects.toBeInstanceOf(GitCommandError);
    await expect(hanging).rejects.toThrow(/no answer within 300 ms/);
  });

  it('refuses a name that would read as two', async () => {
    const { session } = await setup();
    await expect(session.read(['HEAD\nHEAD'])).rejects.toThrow(/not an object name/);
    expect(session.pid).toBeUndefined();
  });
});
