/**
 * The fast-import kept running between direct commits, against real bare repositories: one
 * process for many commits, the branch moved only from the commit's parent, never written again
 * at a later checkpoint or at exit, and a process that ends, dies or hangs replaced by a new one.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { mkdir, readFile } from 'node:fs/promises';
import { waitFor } from '../support/envcat.js';
import { ensureBareRepo } from '../../src/gitops/index.js';
import {
  FastImportSession,
  commitCommand as productCommitCommand,
  fastImportCommand,
  madeCommit,
  type FastImportOptions,
} from '../../src/gitops/fast-import.js';
import { GIT_MALLOC_ENV, GitCommandError, baseGitEnv } from '../../src/gitops/git.js';
import { MALLOC_ENV } from '../../src/server/malloc-env.js';
import { parseLog } from '../../src/gitops/git-output.js';
import { createSandbox, git, type Sandbox } from './support.js';

let sandbox: Sandbox;
let counter = 0;
const sessions: FastImportSession[] = [];

beforeAll(async () => {
  sandbox = await createSandbox('fastimport');
});
afterEach(async () => {
  await Promise.all(sessions.splice(0).map((session) => session.close()));
});
afterAll(async () => {
  await sandbox.cleanup();
});

async function setup(overrides: Partial<FastImportOptions> = {}) {
  const { path: bare } = await ensureBareRepo(join(sandbox.root, `remote-${++counter}.git`));
  const session = new FastImportSession({
    cwd: bare,
    env: baseGitEnv(),
    gitArgs: ['-c', 'user.name=envcat', '-c', 'user.email=envcat@localhost'],
    timeoutMs: 5_000,
    idleMs: 60_000,
    maxRequests: 100,
    ...overrides,
  });
  sessions.push(session);
  const head = async () =>
    (await git(sandbox, bare, 'rev-parse', '--verify', '--quiet', 'refs/heads/main').catch(() => '')).trim();
  return { bare, session, head };
}

/** A commit command: `files` on `parent` (none: a root commit). */
function commitCommand(parent: string, files: Record<string, string>, message = 'change'): string {
  const data = (text: string) => `data ${Buffer.byteLength(text)}\n${text}`;
  const lines = [
    'commit refs/heads/main',
    'mark :1',
    `committer envcat <envcat@localhost> ${Math.floor(Date.now() / 1000)} +0000`,
    data(message),
  ];
  if (parent) lines.push(`from ${parent}`);
  for (const [path, content] of Object.entries(files)) lines.push(`M 100644 inline ${path}`, data(content));
  return `${lines.join('\n')}\n`;
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('FastImportSession', () => {
  it('runs git with git’s malloc settings, not the ones the server runs with (src/gitops/git.ts)', async () => {
    const env = baseGitEnv({ ...process.env, ...MALLOC_ENV });
    expect(env).toMatchObject(GIT_MALLOC_ENV);
    const { session } = await setup({ env });
    await session.commit(commitCommand('', { 'a.yaml': 'a\n' }), 'refs/heads/main');
    const environ = (await readFile(`/proc/${session.pid}/environ`, 'utf8')).split('\0');
    for (const [key, value] of Object.entries(GIT_MALLOC_ENV)) expect(environ).toContain(`${key}=${value}`);
    expect(Object.values(MALLOC_ENV)).not.toContain(GIT_MALLOC_ENV.MALLOC_MMAP_THRESHOLD_);
  });

  it('writes many commits through one process, each moving the branch from its parent', async () => {
    const { bare, session, head } = await setup();
    const shas: string[] = [];
    let pid: number | undefined;
    for (let i = 0; i < 5; i++) {
      const answer = await session.commit(
        commitCommand(await head(), { [`f${i}.yaml`]: `n: ${i}\n` }),
        'refs/heads/main',
      );
      expect(answer.refused).toBeUndefined();
      expect(await head()).toBe(answer.sha);
      pid ??= session.pid;
      expect(session.pid).toBe(pid);
      shas.push(answer.sha);
    }
    expect((await git(sandbox, bare, 'rev-list', 'refs/heads/main')).trim().split('\n').reverse()).toEqual(
      shas,
    );
    expect(
      (await git(sandbox, bare, 'ls-tree', '--name-only', 'refs/heads/main')).trim().split('\n'),
    ).toHaveLength(5);
  });

  it('leaves a branch that moved since the commit’s parent alone, and says so', async () => {
    const { bare, session, head } = await setup();
    const first = await session.commit(commitCommand('', { 'a.yaml': 'a\n' }), 'refs/heads/main');
    const second = await session.commit(commitCommand(first.sha, { 'b.yaml': 'b\n' }), 'refs/heads/main');

    const stale = await session.commit(commitCommand(first.sha, { 'c.yaml': 'c\n' }), 'refs/heads/main');

    expect(stale.refused).toMatch(/^Not updating refs\/heads\/main \(new tip \w+ does not contain \w+\)$/);
    expect(await head()).toBe(second.sha);
    // The refused commit was written, but nothing points at it.
    expect((await git(sandbox, bare, 'cat-file', '-t', stale.sha)).trim()).toBe('commit');
    const again = await session.commit(commitCommand(second.sha, { 'c.yaml': 'c\n' }), 'refs/heads/main');
    expect(again.refused).toBeUndefined();
    expect(await head()).toBe(again.sha);
  });

  it('never writes the branch again after its commit: a later reset by someone else stays', async () => {
    const { bare, session, head } = await setup();
    const first = await session.commit(commitCommand('', { 'a.yaml': 'a\n' }), 'refs/heads/main');
    await session.commit(commitCommand(first.sha, { 'b.yaml': 'b\n' }), 'refs/heads/main');
    // Someone moves the branch back (a revert by force push).
    await git(sandbox, bare, 'update-ref', 'refs/heads/main', first.sha);

    await session.close();

    expect(await head()).toBe(first.sha);
  });

  it('ends after idleMs without a commit and after maxRequests commits; the next commit starts another process', async () => {
    const idle = await setup({ idleMs: 50 });
    await idle.session.commit(commitCommand('', { 'a.yaml': 'a\n' }), 'refs/heads/main');
    const firstPid = idle.session.pid;
    expect(firstPid).toBeDefined();
    await pause(300);
    expect(idle.session.pid).toBeUndefined();
    await idle.session.commit(commitCommand(await idle.head(), { 'b.yaml': 'b\n' }), 'refs/heads/main');
    expect(idle.session.pid).toBeDefined();
    expect(idle.session.pid).not.toBe(firstPid);

    const capped = await setup({ maxRequests: 2 });
    await capped.session.commit(commitCommand('', { 'a.yaml': 'a\n' }), 'refs/heads/main');
    expect(capped.session.pid).toBeDefined();
    await capped.session.commit(commitCommand(await capped.head(), { 'b.yaml': 'b\n' }), 'refs/heads/main');
    expect(capped.session.pid).toBeUndefined();
    expect((await git(sandbox, capped.bare, 'ls-tree', '--name-only', 'refs/heads/main')).trim()).toBe(
      'a.yaml\nb.yaml',
    );
  });

  it('ready() starts the process the next commit uses; unused, it ends after readyIdleMs, and after a commit idleMs applies', async () => {
    const { session, head } = await setup({ idleMs: 100, readyIdleMs: 60_000 });
    session.ready();
    const readyPid = session.pid;
    expect(readyPid).toBeDefined();
    session.ready();
    expect(session.pid).toBe(readyPid);
    await pause(300); // longer than idleMs: a ready process waits for readyIdleMs
    expect(session.pid).toBe(readyPid);
    const first = await session.commit(commitCommand('', { 'a.yaml': 'a\n' }), 'refs/heads/main');
    expect(session.pid).toBe(readyPid);
    expect(await head()).toBe(first.sha);
    await pause(400); // after its commit, idleMs
    expect(session.pid).toBeUndefined();

    const unused = await setup({ idleMs: 60_000, readyIdleMs: 50 });
    unused.session.ready();
    expect(unused.session.pid).toBeDefined();
    await pause(300);
    expect(unused.session.pid).toBeUndefined();
  });

  it('ready() starts nothing for a while after a process failed before its first request; a commit still tries', async () => {
    const notARepo = join(sandbox.root, `not-a-repo-${++counter}`);
    await mkdir(notARepo);
    const session = new FastImportSession({
      cwd: notARepo,
      env: baseGitEnv(),
      gitArgs: [],
      timeoutMs: 5_000,
      idleMs: 60_000,
      maxRequests: 100,
    });
    sessions.push(session);
    session.ready();
    expect(session.pid).toBeDefined();
    await waitFor('the failed process to end', () => (session.pid === undefined ? true : undefined));
    session.ready();
    expect(session.pid).toBeUndefined();
    await expect(session.commit(commitCommand('', { 'a.yaml': 'a\n' }), 'refs/heads/main')).rejects.toThrow(
      GitCommandError,
    );
  });

  it('replaces a process that died between commits', async () => {
    const { session, head } = await setup();
    await session.commit(commitCommand('', { 'a.yaml': 'a\n' }), 'refs/heads/main');
    process.kill(session.pid!, 'SIGKILL');
    await pause(100);

    const answer = await session.commit(commitCommand(await head(), { 'b.yaml': 'b\n' }), 'refs/heads/main');

    expect(answer.refused).toBeUndefined();
    expect(await head()).toBe(answer.sha);
  });

  it('fails a commit fast-import cannot read, with git’s message, and carries on with the next', async () => {
    const { session, head } = await setup();
    const broken = session.commit('commit refs/heads/main\nmark :1\ncommitter nobody\n', 'refs/heads/main');
    await expect(broken).rejects.toBeInstanceOf(GitCommandError);
    await expect(broken).rejects.toThrow(/git fast-import: .*(committer|ident|Missing)/i);

    const answer = await session.commit(commitCommand('', { 'a.yaml': 'a\n' }), 'refs/heads/main');
    expect(await head()).toBe(answer.sha);
  });

  it('kills a process that does not answer within timeoutMs', async () => {
    const { session, head } = await setup({ timeoutMs: 300 });
    // A data block longer than what follows: fast-import waits for the rest.
    const hanging = session.commit('blob\ndata 1000\nshort\n', 'refs/heads/main');
    await expect(hanging).rejects.toThrow(/no answer within 300 ms/);
    expect(session.pid).toBeUndefined();
    const answer = await session.commit(commitCommand('', { 'a.yaml': 'a\n' }), 'refs/heads/main');
    expect(await head()).toBe(answer.sha);
  });

  it('reports every refusal, however its output and the answer arrive (300 in a row)', async () => {
    const { session } = await setup();
    const first = await session.commit(commitCommand('', { 'a.yaml': 'a\n' }), 'refs/heads/main');
    await session.commit(commitCommand(first.sha, { 'b.yaml': 'b\n' }), 'refs/heads/main');
    let missed = 0;
    for (let i = 0; i < 300; i++) {
      const stale = await session.commit(
        commitCommand(first.sha, { [`c${i}.yaml`]: 'c\n' }),
        'refs/heads/main',
      );
      if (stale.refused === undefined) missed++;
    }
    expect(missed).toBe(0);
  });
});

describe('the commit commitCommand writes', () => {
  it.each([0, 330, -210, -480])(
    'is what madeCommit says, as git log reads it back (offset %i minutes)',
    async (offsetMinutes) => {
      const { bare, session } = await setup();
      const author = { name: 'envcat bot', email: 'bot@envcat.test' };
      const message =
        'envcat: dev: wave 1 — café (and 1 more)\n\nenvcat: dev: wave 1\n\nenvcat: qa: wave 1\n';
      const when = { seconds: 1_735_689_599, offsetMinutes };
      const { sha } = await session.commit(
        productCommitCommand({
          ref: 'refs/heads/main',
          author,
          message,
          parent: '',
          when,
          files: [{ path: 'a.yaml', content: 'a\n' }],
        }),
        'refs/heads/main',
      );
      const log = parseLog(await git(sandbox, bare, 'log', '-z', '--format=%H%n%aI%n%an <%ae>%n%B', 'main'));
      expect(log).toEqual([madeCommit({ sha, author, message, when })]);
    },
  );
});

describe('the fast-import process a session runs', () => {
  it('does not store a commit whose input ended early, even at a line boundary', async () => {
    const { bare, head } = await setup();
    const session = sessions[sessions.length - 1]!;
    const first = await session.commit(commitCommand('', { 'a.yaml': 'a\n' }), 'refs/heads/main');
    await session.close();
    // A commit cut after its first change (the engine died while writing it), with no get-mark or checkpoint.
    const whole = commitCommand(first.sha, { 'b.yaml': 'b\n', 'c.yaml': 'c\n' });
    const cut = whole.slice(0, whole.indexOf('M 100644 inline c.yaml'));
    const { command, args } = fastImportCommand([
      '-c',
      'user.name=envcat',
      '-c',
      'user.email=envcat@localhost',
    ]);
    const child = spawn(command, args, { cwd: bare, env: baseGitEnv() });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => {
      child.on('close', resolve);
      child.stdin.end(cut);
    });

    expect(code).not.toBe(0);
    expect(output).toMatch(/stream ends early|done/i);
    expect(await head()).toBe(first.sha);
  });
});
