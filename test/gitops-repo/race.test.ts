/**
 * Concurrent writers on one remote. Races are forced deterministically. Through a working clone
 * and push: a reference-transaction hook in our clone makes another clone push after our commit
 * is written and before our push, or the remote's pre-receive hook declines pushes. Writing
 * directly into the local repository: another clone pushes after our last commit, so the head our
 * next commit starts from has moved. Then two GitRepo instances commit in parallel, both ways.
 */
import { existsSync, rmSync } from 'node:fs';
import { mkdir, utimes, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ExternalError } from '../../src/core/index.js';
import { ensureBareRepo, type FileChange, type GitRepoOptions } from '../../src/gitops/index.js';
import {
  createSandbox,
  git,
  OTHER,
  otherClone,
  raceOnce,
  recordingLogger,
  remoteFile,
  remoteFiles,
  remoteSubjects,
  sh,
  writeHook,
  type Sandbox,
} from './support.js';

let sandbox: Sandbox;
let counter = 0;

beforeAll(async () => {
  sandbox = await createSandbox('gitrace');
});
afterAll(async () => {
  await sandbox.cleanup();
});

const change = (write: Record<string, string>, message: string, remove: string[] = []): FileChange => ({
  write: Object.entries(write).map(([path, content]) => ({ path, content })),
  remove,
  message,
});

/** A remote seeded with one commit, our GitRepo (synced) and another writer's clone. */
async function setup(attempts = 4, localWrites: GitRepoOptions['localWrites'] = 'push') {
  const id = ++counter;
  const { path: bare } = await ensureBareRepo(join(sandbox.root, `remote-${id}.git`));
  const workdir = join(sandbox.root, `work-${id}`);
  const logger = recordingLogger();
  const repo = sandbox.open({
    name: 'apps',
    url: bare,
    workdir,
    retry: { attempts, baseDelayMs: 1, maxDelayMs: 10 },
    logger,
    localWrites,
  });
  await repo.commit(change({ 'environments/dev/apps/web.yaml': 'replicas: 1\n' }, 'seed'));
  const other = await otherClone(sandbox, bare, join(sandbox.root, `other-${id}`));
  return { bare, workdir, repo, logger, other };
}

/** Another writer commits `files` on top of the remote head and pushes, with plain git. */
async function otherCommits(other: string, files: Record<string, string>, message: string) {
  await git(sandbox, other, 'pull', '--quiet', '--ff-only', 'origin', 'main');
  for (const [path, content] of Object.entries(files)) {
    await mkdir(join(other, dirname(path)), { recursive: true });
    await writeFile(join(other, path), content);
  }
  await git(sandbox, other, 'add', '.');
  await git(sandbox, other, ...OTHER, 'commit', '--quiet', '-m', message);
  await git(sandbox, other, 'push', '--quiet', 'origin', 'HEAD:main');
}

describe('a rejected push', () => {
  it('is applied again on the other writer’s commit and pushed again: both land, ours on top', async () => {
    const { bare, workdir, repo, logger, other } = await setup();
    await raceOnce({
      workdir,
      other,
      files: { 'environments/qa/apps/api.yaml': 'theirs\n' },
      message: 'their change',
    });

    const result = await repo.commit(
      change({ 'environments/dev/apps/web.yaml': 'replicas: 2\n' }, 'our change'),
    );

    expect(result.changed).toBe(true);
    expect(result.attempts).toBe(2);
    expect((await git(sandbox, bare, 'rev-parse', 'main')).trim()).toBe(result.sha);
    expect(await remoteSubjects(sandbox, bare)).toEqual(['our change', 'their change', 'seed']);
    expect(await remoteFile(sandbox, bare, 'environments/dev/apps/web.yaml')).toBe('replicas: 2\n');
    expect(await remoteFile(sandbox, bare, 'environments/qa/apps/api.yaml')).toBe('theirs\n');
    expect(logger.records).toContainEqual(
      expect.objectContaining({
        level: 'warn',
        message: 'commit rejected, applying the change sets again on the remote head and retrying',
        object: expect.objectContaining({ repo: 'apps', attempt: 1 }),
      }),
    );
  });

  it('on a conflict applies our change set again on the new head: our content wins, theirs stays in history', async () => {
    const { bare, workdir, repo, logger, other } = await setup();
    await raceOnce({
      workdir,
      other,
      files: { 'environments/dev/apps/web.yaml': 'replicas: 9 # edited by hand\n', 'notes.md': 'theirs\n' },
      message: 'hand edit',
    });

    const result = await repo.commit(
      change({ 'environments/dev/apps/web.yaml': 'replicas: 3\n' }, 'desired state'),
    );

    expect(result).toMatchObject({ changed: true, attempts: 2, commit: { sha: result.sha } });
    // …made on their commit, which the result names as its base
    expect((await git(sandbox, bare, 'rev-parse', `${result.sha}~1`)).trim()).toBe(result.base);
    expect(await remoteSubjects(sandbox, bare)).toEqual(['desired state', 'hand edit', 'seed']);
    expect(await remoteFile(sandbox, bare, 'environments/dev/apps/web.yaml')).toBe('replicas: 3\n');
    expect(await remoteFile(sandbox, bare, 'notes.md')).toBe('theirs\n');
    expect(logger.records.map((record) => record.message)).toContain(
      'commit rejected, applying the change sets again on the remote head and retrying',
    );
    // The clone is usable afterwards.
    const next = await repo.commit(change({ 'environments/dev/apps/web.yaml': 'replicas: 4\n' }, 'next'));
    expect(next.attempts).toBe(1);
  });

  it('when the other writer already made the same change, reports changed:false and adds nothing', async () => {
    const { bare, workdir, repo, other } = await setup();
    await raceOnce({
      workdir,
      other,
      files: { 'environments/dev/apps/web.yaml': 'replicas: 5\n' },
      message: 'same, by someone else',
    });

    const result = await repo.commit(change({ 'environments/dev/apps/web.yaml': 'replicas: 5\n' }, 'ours'));

    const head = (await git(sandbox, bare, 'rev-parse', 'main')).trim();
    expect(result).toEqual({ changed: false, sha: head, attempts: 1, base: head });
    expect(await remoteSubjects(sandbox, bare)).toEqual(['same, by someone else', 'seed']);
  });

  it('is retried when the remote declines it (pre-receive hook), and lands on the next attempt', async () => {
    const { bare, repo, logger } = await setup();
    const marker = join(sandbox.root, `declined-once-${counter}`);
    await writeHook(
      bare,
      'pre-receive',
      `[ -e ${sh(marker)} ] && exit 0\n: > ${sh(marker)}\necho "busy, try again" >&2\nexit 1`,
    );

    const result = await repo.commit(change({ 'x.yaml': 'x\n' }, 'after a decline'));

    expect(result.attempts).toBe(2);
    expect(await remoteSubjects(sandbox, bare)).toEqual(['after a decline', 'seed']);
    const warning = logger.records.find((record) => record.level === 'warn');
    expect(warning?.object.reason).toMatch(/remote rejected/);
  });

  it('gives up after the configured attempts with an ExternalError naming the repo and the attempts', async () => {
    const { bare, repo, logger } = await setup(3);
    await writeHook(bare, 'pre-receive', 'echo "frozen" >&2\nexit 1');
    const before = (await git(sandbox, bare, 'rev-parse', 'main')).trim();

    const attempt = repo.commit(change({ 'x.yaml': 'x\n' }, 'never lands'));

    await expect(attempt).rejects.toBeInstanceOf(ExternalError);
    await expect(attempt).rejects.toMatchObject({ code: 'EXTERNAL' });
    await expect(attempt).rejects.toThrow(
      new RegExp(`apps repo \\(${bare.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}\\).*3 attempt`),
    );
    expect((await git(sandbox, bare, 'rev-parse', 'main')).trim()).toBe(before);
    expect(logger.records.filter((record) => record.level === 'warn')).toHaveLength(2);
    expect(logger.records.filter((record) => record.level === 'error')).toHaveLength(1);
  });
});

describe('a branch that moved under a direct commit', () => {
  it('gets the change sets again on the other writer’s commit: both land, ours on top', async () => {
    const { bare, workdir, repo, logger, other } = await setup(4, 'direct');
    await otherCommits(other, { 'environments/qa/apps/api.yaml': 'theirs\n' }, 'their change');

    const result = await repo.commit(
      change({ 'environments/dev/apps/web.yaml': 'replicas: 2\n' }, 'our change'),
    );

    expect(result).toMatchObject({ changed: true, attempts: 2, commit: { sha: result.sha } });
    expect((await git(sandbox, bare, 'rev-parse', 'main')).trim()).toBe(result.sha);
    expect((await git(sandbox, bare, 'rev-parse', `${result.sha}~1`)).trim()).toBe(result.base);
    expect(await remoteSubjects(sandbox, bare)).toEqual(['our change', 'their change', 'seed']);
    expect(await remoteFile(sandbox, bare, 'environments/qa/apps/api.yaml')).toBe('theirs\n');
    expect(logger.records).toContainEqual(
      expect.objectContaining({
        level: 'warn',
        message: 'commit rejected, applying the change sets again on the remote head and retrying',
        object: expect.objectContaining({
          attempt: 1,
          reason: expect.stringMatching(
            /^Not updating refs\/heads\/main \(new tip \w+ does not contain \w+\)$/,
          ),
        }),
      }),
    );
    // No working clone was needed, and the refused attempt left no ref behind.
    expect(existsSync(workdir)).toBe(false);
    expect((await git(sandbox, bare, 'for-each-ref', '--format=%(refname)')).trim()).toBe('refs/heads/main');
  });

  it('on a conflict: our content wins, theirs stays in history', async () => {
    const { bare, repo, other } = await setup(4, 'direct');
    await otherCommits(other, { 'environments/dev/apps/web.yaml': 'replicas: 9 # by hand\n' }, 'hand edit');

    const result = await repo.commit(
      change({ 'environments/dev/apps/web.yaml': 'replicas: 3\n' }, 'desired'),
    );

    expect(result.attempts).toBe(2);
    expect(await remoteSubjects(sandbox, bare)).toEqual(['desired', 'hand edit', 'seed']);
    expect(await remoteFile(sandbox, bare, 'environments/dev/apps/web.yaml')).toBe('replicas: 3\n');
  });

  it('when the other writer already made the same change, reports changed:false and adds nothing', async () => {
    const { bare, repo, other } = await setup(4, 'direct');
    await otherCommits(other, { 'environments/dev/apps/web.yaml': 'replicas: 5\n' }, 'same, by someone else');

    const result = await repo.commit(change({ 'environments/dev/apps/web.yaml': 'replicas: 5\n' }, 'ours'));

    const head = (await git(sandbox, bare, 'rev-parse', 'main')).trim();
    expect(result).toEqual({ changed: false, sha: head, attempts: 1, base: head });
    expect(await remoteSubjects(sandbox, bare)).toEqual(['same, by someone else', 'seed']);
  });

  it('retries while the branch is locked by another git process, and lands once the lock is gone', async () => {
    const { bare, repo, logger } = await setup(4, 'direct');
    const lock = join(bare, 'refs', 'heads', 'main.lock');
    await writeFile(lock, '');
    const warn = logger.warn;
    logger.warn = (object, message) => {
      warn(object, message);
      rmSync(lock, { force: true });
    };

    const result = await repo.commit(change({ 'x.yaml': 'x\n' }, 'after the lock'));

    expect(result.attempts).toBe(2);
    expect(await remoteSubjects(sandbox, bare)).toEqual(['after the lock', 'seed']);
    expect(logger.records.find((record) => record.level === 'warn')?.object.reason).toMatch(
      /cannot lock ref/,
    );
  });

  it('removes a branch lock left a minute ago by a git that was killed, and lands', async () => {
    const { bare, repo, logger } = await setup(4, 'direct');
    const lock = join(bare, 'refs', 'heads', 'main.lock');
    await writeFile(lock, '');
    const longAgo = new Date(Date.now() - 120_000);
    await utimes(lock, longAgo, longAgo);

    const result = await repo.commit(change({ 'x.yaml': 'x\n' }, 'after a stale lock'));

    expect(result.attempts).toBe(2);
    expect(existsSync(lock)).toBe(false);
    expect(await remoteSubjects(sandbox, bare)).toEqual(['after a stale lock', 'seed']);
    expect(logger.records.map((record) => record.message)).toContain('removed a stale branch lock');
  });

  it('gives up after the configured attempts with an ExternalError naming the repo and the attempts', async () => {
    const { bare, repo, logger } = await setup(3, 'direct');
    await writeFile(join(bare, 'refs', 'heads', 'main.lock'), '');
    const before = (await git(sandbox, bare, 'rev-parse', 'main')).trim();

    const attempt = repo.commit(change({ 'x.yaml': 'x\n' }, 'never lands'));

    await expect(attempt).rejects.toBeInstanceOf(ExternalError);
    await expect(attempt).rejects.toThrow(/commit into the apps repo .* failed after 3 attempt/);
    expect((await git(sandbox, bare, 'rev-parse', 'main')).trim()).toBe(before);
    expect(logger.records.filter((record) => record.level === 'warn')).toHaveLength(2);
    expect(logger.records.filter((record) => record.level === 'error')).toHaveLength(1);
  });
});

describe.each(['direct', 'push'] as const)('two instances committing in parallel (%s)', (localWrites) => {
  it('land every commit (2 × 10) with no file lost', async () => {
    const { path: bare } = await ensureBareRepo(join(sandbox.root, `parallel-${localWrites}.git`));
    const make = (name: string) =>
      sandbox.open({
        name: 'platform',
        url: bare,
        localWrites,
        workdir: join(sandbox.root, `parallel-${localWrites}-${name}`),
        author: { name: `replica ${name}`, email: `${name}@envcat.test` },
        retry: { attempts: 30, baseDelayMs: 2, maxDelayMs: 40 },
      });
    const replicas = [make('a'), make('b')];
    const shared = 'environments/shared/status.yaml';

    const results = await Promise.all(
      replicas.flatMap((repo, r) =>
        Array.from({ length: 10 }, (_, i) =>
          repo.commit(
            change(
              {
                [`environments/env-${r}-${i}/environment.yaml`]: `replica: ${r}\nindex: ${i}\n`,
                [shared]: `last: ${r}-${i}\n`,
              },
              `replica ${r} commit ${i}`,
            ),
          ),
        ),
      ),
    );

    const files = await remoteFiles(sandbox, bare);
    for (let r = 0; r < 2; r++) {
      for (let i = 0; i < 10; i++) expect(files).toContain(`environments/env-${r}-${i}/environment.yaml`);
    }
    expect(files).toHaveLength(21);
    const landed = results.filter((result) => result.changed);
    // Every change set wrote its own file, so every one changed something…
    expect(landed).toHaveLength(20);
    // …and is named in the commit that carries it (changes queued together share a commit).
    const messages = await git(sandbox, bare, 'log', '--format=%H%n%B%x00', 'main');
    for (const [index, result] of results.entries()) {
      const record = messages.split('\0').find((entry) => entry.trim().startsWith(result.sha));
      expect(record).toContain(`replica ${Math.floor(index / 10)} commit ${index % 10}`);
    }
    const history = (await git(sandbox, bare, 'rev-list', 'main')).trim().split('\n');
    for (const result of landed) expect(history).toContain(result.sha);
    expect(await remoteFile(sandbox, bare, shared)).toMatch(/^last: [01]-\d\n$/);
  });
});
