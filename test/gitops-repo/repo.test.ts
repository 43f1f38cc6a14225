/**
 * GitRepo against real bare repositories: first commit, writes and removals, no-op commits,
 * deterministic content, author and message, readTree/log by prefix, isAncestor, the working
 * clone's life cycle and input validation. Results are read back with plain git.
 */
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, readlink, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConflictError, InputError, NotFoundError } from '../../src/core/index.js';
import { ensureBareRepo, GitRepo, type FileChange, type GitRepoOptions } from '../../src/gitops/index.js';
import { REPACK_EVERY } from '../../src/gitops/commit-writer.js';
import { waitFor } from '../support/envcat.js';
import {
  createSandbox,
  git,
  OTHER,
  otherClone,
  recordingLogger,
  remoteFile,
  remoteFiles,
  remoteSubjects,
  writeHook,
  type Sandbox,
} from './support.js';

let sandbox: Sandbox;
let counter = 0;

beforeAll(async () => {
  sandbox = await createSandbox('gitrepo');
});
afterAll(async () => {
  await sandbox.cleanup();
});

/** A fresh bare remote and a GitRepo on it with its own workdir. */
async function setup(overrides: Partial<GitRepoOptions> = {}) {
  const id = ++counter;
  const { path: bare } = await ensureBareRepo(join(sandbox.root, `remote-${id}.git`));
  const workdir = join(sandbox.root, `work-${id}`);
  const logger = recordingLogger();
  const repo = sandbox.open({
    name: 'platform',
    url: bare,
    workdir,
    author: { name: 'envcat bot', email: 'bot@envcat.test' },
    retry: { attempts: 3, baseDelayMs: 1, maxDelayMs: 5 },
    logger,
    ...overrides,
  });
  return { bare, workdir, repo, logger, id };
}

const change = (write: Record<string, string>, remove: string[] = [], message = 'update'): FileChange => ({
  write: Object.entries(write).map(([path, content]) => ({ path, content })),
  remove,
  message,
});

describe('the test machine', () => {
  it('has no global user.name inside the sandbox, so identity must come from GitRepo', async () => {
    await expect(git(sandbox, sandbox.root, 'config', '--global', 'user.name')).rejects.toThrow();
  });
});

describe('ensureBareRepo', () => {
  it('creates a bare repository once and is idempotent', async () => {
    const path = join(sandbox.root, 'bare-idempotent.git');
    expect(await ensureBareRepo(path)).toEqual({ path, created: true });
    expect(await ensureBareRepo(path)).toEqual({ path, created: false });
    expect((await git(sandbox, path, 'rev-parse', '--is-bare-repository')).trim()).toBe('true');
    expect((await git(sandbox, path, 'symbolic-ref', 'HEAD')).trim()).toBe('refs/heads/main');
  });

  it('honours initialBranch', async () => {
    const path = join(sandbox.root, 'bare-trunk.git');
    await ensureBareRepo(path, { initialBranch: 'trunk' });
    expect((await git(sandbox, path, 'symbolic-ref', 'HEAD')).trim()).toBe('refs/heads/trunk');
  });

  it('refuses a non-empty directory that is not a bare repository, leaving it untouched', async () => {
    const path = join(sandbox.root, 'not-a-repo');
    await mkdir(path);
    await writeFile(join(path, 'keep.txt'), 'mine');
    await expect(ensureBareRepo(path)).rejects.toBeInstanceOf(ConflictError);
    expect(await readFile(join(path, 'keep.txt'), 'utf8')).toBe('mine');
  });

  it('rejects an invalid branch name', async () => {
    await expect(ensureBareRepo(join(sandbox.root, 'x.git'), { initialBranch: '-x' })).rejects.toBeInstanceOf(
      InputError,
    );
  });
});

describe('commit', () => {
  it('makes the first commit into an empty bare repository, creating the branch', async () => {
    const { bare, repo, logger } = await setup();
    expect(await repo.sync()).toBe('');

    const result = await repo.commit(
      change({ 'environments/dev/environment.yaml': 'kind: Environment\n' }, [], 'create dev'),
    );

    // base: the head it was made on (none: an empty repo)
    expect(result).toEqual({
      changed: true,
      sha: expect.stringMatching(/^[0-9a-f]{40}$/),
      attempts: 1,
      base: '',
      commit: {
        sha: result.sha,
        message: 'create dev',
        author: 'envcat bot <bot@envcat.test>',
        date: (await repo.log(''))[0]!.date,
        paths: ['environments/dev/environment.yaml'],
      },
    });
    expect((await git(sandbox, bare, 'rev-parse', 'main')).trim()).toBe(result.sha);
    expect(await remoteSubjects(sandbox, bare)).toEqual(['create dev']);
    expect(logger.records).toContainEqual(
      expect.objectContaining({
        level: 'info',
        message: 'published commit',
        object: expect.objectContaining({ repo: 'platform', sha: result.sha }),
      }),
    );
  });

  it('writes files (creating directories) and removes files and whole directory prefixes', async () => {
    const { bare, repo } = await setup();
    await repo.commit(
      change({
        'environments/dev/environment.yaml': 'a\n',
        'environments/dev/apps/web.yaml': 'web\n',
        'environments/dev/apps/web/deployment.yaml': 'deploy\n',
        'environments/dev/apps/web/service.yaml': 'svc\n',
        'environments/devx/environment.yaml': 'x\n',
      }),
    );

    const result = await repo.commit(
      change(
        { 'environments/dev/infra/db.yaml': 'db\n' },
        [
          'environments/dev/apps/web/',
          'environments/dev/apps/web.yaml',
          'environments/missing.yaml',
          'gone/',
        ],
        'remove web',
      ),
    );

    expect(result.changed).toBe(true);
    expect(await remoteFiles(sandbox, bare)).toEqual([
      'environments/dev/environment.yaml',
      'environments/dev/infra/db.yaml',
      'environments/devx/environment.yaml',
    ]);
  });

  it('removing a directory and writing into it in one change replaces its content', async () => {
    const { bare, repo } = await setup();
    await repo.commit(change({ 'apps/web/a.yaml': 'a\n', 'apps/web/b.yaml': 'b\n' }));
    await repo.commit(change({ 'apps/web/c.yaml': 'c\n' }, ['apps/web/']));
    expect(await remoteFiles(sandbox, bare)).toEqual(['apps/web/c.yaml']);
  });

  it('commits and pushes nothing when nothing changed', async () => {
    const { bare, repo } = await setup();
    const first = await repo.commit(change({ 'a/x.yaml': 'x: 1\n' }, [], 'first'));
    const count = (await git(sandbox, bare, 'rev-list', '--count', 'main')).trim();

    const same = await repo.commit(change({ 'a/x.yaml': 'x: 1\n' }, ['a/absent.yaml', 'b/'], 'again'));

    expect(same).toEqual({ changed: false, sha: first.sha, attempts: 0, base: first.sha });
    expect((await git(sandbox, bare, 'rev-list', '--count', 'main')).trim()).toBe(count);
    expect((await git(sandbox, bare, 'rev-parse', 'main')).trim()).toBe(first.sha);
  });

  it('stores exactly the bytes given, so the same change gives the same tree anywhere', async () => {
    const files = {
      'environments/dev/environment.yaml':
        'apiVersion: envcat.io/v1alpha1\nkind: Environment\nname: "ünïcode ✓"\n',
      'environments/dev/crlf.txt': 'line\r\nline\r\n',
      'environments/dev/no-newline.txt': 'x',
    };
    const a = await setup();
    const b = await setup({ author: { name: 'someone else', email: 'else@envcat.test' } });
    await a.repo.commit(change(files));
    await b.repo.commit(change(files));

    const treeA = (await git(sandbox, a.bare, 'rev-parse', 'main^{tree}')).trim();
    const treeB = (await git(sandbox, b.bare, 'rev-parse', 'main^{tree}')).trim();
    expect(treeA).toBe(treeB);
    for (const [path, content] of Object.entries(files)) {
      expect(await remoteFile(sandbox, a.bare, path)).toBe(content);
    }
  });

  it('records the message and the configured author and committer', async () => {
    const { bare, repo } = await setup();
    const message =
      'environment dev: db (rds-postgres@1.0.0), app (sample-app@0.1.0)\n\n# not a comment\nbody line';
    const { sha } = await repo.commit(change({ 'x.yaml': 'x\n' }, [], message));

    const [author, committer] = (await git(sandbox, bare, 'log', '-1', '--format=%an <%ae>%n%cn <%ce>', sha))
      .trim()
      .split('\n');
    expect(author).toBe('envcat bot <bot@envcat.test>');
    expect(committer).toBe('envcat bot <bot@envcat.test>');
    expect((await git(sandbox, bare, 'log', '-1', '--format=%B', sha)).trimEnd()).toBe(message);
  });

  it('adds desired files even when a .gitignore in the repo would ignore them', async () => {
    const { bare, repo } = await setup();
    await repo.commit(change({ '.gitignore': '*.yaml\n' }));
    await repo.commit(change({ 'environments/dev/environment.yaml': 'x\n' }));
    expect(await remoteFiles(sandbox, bare)).toContain('environments/dev/environment.yaml');
  });

  it('refuses to write through a symbolic link someone committed, touching nothing outside the clone', async () => {
    const { bare, repo, id } = await setup();
    await repo.commit(change({ 'README.md': 'seed\n' }));
    const outside = join(sandbox.root, `outside-${id}`);
    await mkdir(outside);
    const other = await otherClone(sandbox, bare, join(sandbox.root, `other-symlink-${id}`));
    await symlink(outside, join(other, 'environments'));
    await git(sandbox, other, 'add', 'environments');
    await git(sandbox, other, ...OTHER, 'commit', '--quiet', '-m', 'a symlink');
    await git(sandbox, other, 'push', '--quiet', 'origin', 'HEAD:main');

    const attempt = repo.commit(change({ 'environments/dev/environment.yaml': 'x\n' }));

    await expect(attempt).rejects.toBeInstanceOf(ConflictError);
    await expect(attempt).rejects.toMatchObject({ path: '/write/0/path' });
    expect(existsSync(join(outside, 'dev'))).toBe(false);
  });

  it.each<[string, FileChange, string]>([
    ['an absolute path', change({ '/etc/passwd': 'x' }), '/write/0/path'],
    ['a parent segment', change({ 'a/../../x': 'x' }), '/write/0/path'],
    ['a .git path', change({ '.git/config': 'x' }), '/write/0/path'],
    ['a backslash', change({ 'a\\b': 'x' }), '/write/0/path'],
    ['an empty path', change({ '': 'x' }), '/write/0/path'],
    ['a control character', change({ 'a\nb': 'x' }), '/write/0/path'],
    ['a trailing slash on a file', change({ 'a/': 'x' }), '/write/0/path'],
    ['a removal escaping the repo', change({}, ['../x/']), '/remove/0'],
    ['removing the whole repo', change({}, ['']), '/remove/0'],
    ['an empty message', change({ 'a.yaml': 'x' }, [], '  '), '/message'],
    [
      'a file written under another written file',
      {
        write: [
          { path: 'a', content: '1' },
          { path: 'a/b', content: '2' },
        ],
        remove: [],
        message: 'm',
      },
      '/write/1/path',
    ],
    [
      'a path written twice',
      {
        write: [
          { path: 'a', content: '1' },
          { path: 'a', content: '2' },
        ],
        remove: [],
        message: 'm',
      },
      '/write/1/path',
    ],
  ])('rejects %s before touching anything', async (_label, bad, path) => {
    const { bare, repo } = await setup();
    let thrown: unknown;
    try {
      await repo.commit(bad);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(InputError);
    expect((thrown as InputError).problems.map((problem) => problem.path)).toContain(path);
    expect(await git(sandbox, bare, 'for-each-ref')).toBe('');
  });
});

describe.each(['direct', 'push'] as const)('a closed repo (%s)', (localWrites) => {
  it('lets the work queued before close() finish, then refuses reads and commits instead of starting git again', async () => {
    const { repo } = await setup({ localWrites });
    await repo.commit(change({ 'a.yaml': 'a: 1\n' }, [], 'first'));
    // queued before the close: it runs, and its answer is whole
    const [files] = await Promise.all([repo.readTree(''), repo.close()]);
    expect(files).toEqual(new Map([['a.yaml', 'a: 1\n']]));
    // after it: a read or commit that needs a git process kept running fails, naming the repo
    await expect(repo.readTree('')).rejects.toThrow(/the platform repo .* was closed/);
    await expect(repo.commit(change({ 'b.yaml': 'b: 1\n' }))).rejects.toThrow(/was closed/);
  });
});

/** The pids of the `git fast-import` processes running in `dir` (from /proc). */
async function fastImportsIn(dir: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = (await readFile(`/proc/${entry}/cmdline`, 'utf8')).split('\0');
      if (cmdline.includes('fast-import') && (await readlink(`/proc/${entry}/cwd`)) === dir)
        pids.push(Number(entry));
    } catch {
      // the process ended while it was looked at
    }
  }
  return pids;
}

describe.each(['direct', 'push'] as const)('keepCommitterReady (%s)', (localWrites) => {
  it('starts the fast-import of the next commit at a sync, which that commit uses; close() ends it', async () => {
    const { bare, workdir, repo } = await setup({ localWrites, keepCommitterReady: true });
    const where = localWrites === 'direct' ? bare : workdir;
    await repo.sync();
    const ready = await fastImportsIn(where);
    expect(ready).toHaveLength(1);
    await repo.commit(change({ 'a.yaml': 'a: 1\n' }, [], 'first'));
    await repo.sync();
    expect(await fastImportsIn(where)).toEqual(ready);
    expect(await remoteSubjects(sandbox, bare)).toEqual(['first']);
    await repo.close();
    await waitFor(
      'the fast-import to end',
      async () => (await fastImportsIn(where)).length === 0 || undefined,
    );
  });

  it('starts none without it', async () => {
    const { bare, workdir, repo } = await setup({ localWrites });
    await repo.sync();
    expect(await fastImportsIn(localWrites === 'direct' ? bare : workdir)).toEqual([]);
  });
});

describe.each(['direct', 'push'] as const)('the objects of many commits (%s)', (localWrites) => {
  it('stay in a few packs: each commit writes one small pack and every 50 they are merged', async () => {
    const { workdir, bare, repo } = await setup({ localWrites });
    for (let i = 0; i < 60; i++)
      await repo.commit(change({ [`environments/e${i}/apps/web.yaml`]: `n: ${i}\n` }));

    const where = localWrites === 'direct' ? bare : workdir;
    const counts = Object.fromEntries(
      (await git(sandbox, where, 'count-objects', '-v'))
        .trim()
        .split('\n')
        .map((line) => line.split(': ') as [string, string]),
    );
    expect(Number(counts.count)).toBe(0); // no loose objects
    expect(Number(counts.packs)).toBeLessThanOrEqual(12);
    expect((await remoteFiles(sandbox, bare)).length).toBe(60);
    expect((await git(sandbox, where, 'fsck', '--no-progress', '--connectivity-only')).trim()).toBe('');
  });
});

describe('packs an interrupted fast-import kept', () => {
  it('are released at maintenance when older than 10 minutes; other keep marks stay', async () => {
    const { bare, repo } = await setup();
    await repo.commit(change({ 'seed.yaml': 'seed\n' }));
    const pack = join(bare, 'objects', 'pack');
    const [seedPack] = (await readdir(pack)).filter((name) => name.endsWith('.pack'));
    const keep = (name: string) => join(pack, name.replace(/\.pack$/, '.keep'));
    await writeFile(keep(seedPack!), 'fast-import');
    const longAgo = new Date(Date.now() - 20 * 60_000);
    await utimes(keep(seedPack!), longAgo, longAgo);
    await writeFile(join(pack, 'pack-mine.keep'), 'kept by hand\n');
    await utimes(join(pack, 'pack-mine.keep'), longAgo, longAgo);
    await writeFile(join(pack, 'pack-recent.keep'), 'fast-import');

    for (let i = 0; i < 50; i++) await repo.commit(change({ [`e${i}.yaml`]: `n: ${i}\n` }));

    const names = await readdir(pack);
    expect(names).not.toContain(seedPack!.replace(/\.pack$/, '.keep'));
    expect(names).toContain('pack-mine.keep');
    expect(names).toContain('pack-recent.keep');
    expect(
      names.filter((name) => name.endsWith('.keep') && name.startsWith('pack-') && name.length > 50),
    ).toEqual([]);
    expect((await git(sandbox, bare, 'fsck', '--no-progress', '--connectivity-only')).trim()).toBe('');
  });
});

describe('maintenance that fails', () => {
  it('is logged and leaves the commits published and their callers told so; the next commit lands', async () => {
    const { bare, repo, logger } = await setup();
    await repo.commit(change({ 'seed.yaml': 'seed\n' }));
    // Only repack reads this; fast-import and cat-file do not.
    await git(sandbox, bare, 'config', 'repack.packKeptObjects', 'not-a-boolean');

    const results = [];
    for (let i = 1; i < REPACK_EVERY; i++)
      results.push(await repo.commit(change({ [`e${i}.yaml`]: `n: ${i}\n` })));

    expect(results.every((result) => result.changed)).toBe(true);
    // The maintenance after the last of them runs once its caller has its outcome, before the next commit.
    const next = await repo.commit(change({ 'after.yaml': 'after\n' }, [], 'after'));
    expect(logger.records).toContainEqual(
      expect.objectContaining({
        level: 'error',
        message: 'maintenance after a commit failed; the clone is checked again before the next commit',
        object: expect.objectContaining({ repo: 'platform', err: expect.stringContaining('repack') }),
      }),
    );
    expect(next.changed).toBe(true);
    expect((await git(sandbox, bare, 'rev-parse', 'main')).trim()).toBe(next.sha);
    expect((await remoteFiles(sandbox, bare)).length).toBe(REPACK_EVERY + 1);
  });
});

describe('a bare repository on this machine', () => {
  it('gets commits written straight into it, with no working clone and no ref of ours', async () => {
    const { bare, workdir, repo, logger } = await setup();
    const first = await repo.commit(change({ 'a.yaml': 'a\n' }, [], 'one'));
    const second = await repo.commit(change({ 'b.yaml': 'b\n' }, ['a.yaml'], 'two'));

    expect(existsSync(workdir)).toBe(false);
    expect((await git(sandbox, bare, 'rev-parse', 'main')).trim()).toBe(second.sha);
    expect((await git(sandbox, bare, 'rev-parse', 'main~1')).trim()).toBe(first.sha);
    expect(await remoteFiles(sandbox, bare)).toEqual(['b.yaml']);
    expect((await git(sandbox, bare, 'for-each-ref', '--format=%(refname)')).trim()).toBe('refs/heads/main');
    expect(logger.records).toContainEqual(
      expect.objectContaining({
        message: 'published commit',
        object: expect.objectContaining({ via: 'direct' }),
      }),
    );
  });

  it('is written directly through a file:// URL too', async () => {
    const { bare, workdir, logger } = await setup();
    const repo = sandbox.open({ name: 'apps', url: pathToFileURL(bare).href, workdir, logger });
    await repo.commit(change({ 'a.yaml': 'a\n' }));
    expect(existsSync(workdir)).toBe(false);
    expect(await remoteFile(sandbox, bare, 'a.yaml')).toBe('a\n');
  });

  it.each([
    ['a pre-receive hook', 'hooks/pre-receive'],
    ['a post-receive hook', 'hooks/post-receive'],
    ['a reference-transaction hook', 'hooks/reference-transaction'],
  ])('with %s is pushed to through a working clone, so the hook runs', async (_label, hook) => {
    const { bare, workdir, repo, logger, id } = await setup();
    const ran = join(sandbox.root, `hook-ran-${id}`);
    await writeHook(bare, hook.split('/')[1]!, `: > ${JSON.stringify(ran)}\ncat >/dev/null`);

    await repo.commit(change({ 'a.yaml': 'a\n' }));

    expect(existsSync(ran)).toBe(true);
    expect(existsSync(join(workdir, '.git'))).toBe(true);
    expect(await remoteFile(sandbox, bare, 'a.yaml')).toBe('a\n');
    expect(logger.records).toContainEqual(
      expect.objectContaining({
        message: 'published commit',
        object: expect.objectContaining({ via: 'push' }),
      }),
    );
  });

  it('with receive hooks in core.hooksPath is pushed to; a hook file git would not run (not executable) does not count', async () => {
    const { bare, id } = await setup();
    const hooks = join(sandbox.root, `hooks-${id}`);
    const ran = join(sandbox.root, `hooks-path-ran-${id}`);
    await mkdir(hooks);
    await writeFile(join(hooks, 'post-receive'), `#!/bin/sh\n: > ${JSON.stringify(ran)}\n`, { mode: 0o755 });
    await writeFile(join(bare, 'hooks', 'pre-receive'), '#!/bin/sh\nexit 1\n', { mode: 0o644 });
    await git(sandbox, bare, 'config', 'core.hooksPath', hooks);
    const pushed = sandbox.open({ name: 'apps', url: bare, workdir: join(sandbox.root, `hp-${id}`) });
    await pushed.commit(change({ 'a.yaml': 'a\n' }));
    expect(existsSync(ran)).toBe(true);

    await git(sandbox, bare, 'config', '--unset', 'core.hooksPath');
    const direct = sandbox.open({ name: 'apps', url: bare, workdir: join(sandbox.root, `hp2-${id}`) });
    await direct.commit(change({ 'b.yaml': 'b\n' }));
    expect(existsSync(join(sandbox.root, `hp2-${id}`))).toBe(false);
    expect(await remoteFiles(sandbox, bare)).toEqual(['a.yaml', 'b.yaml']);
  });

  it('is written directly on a branch other than main, leaving main alone', async () => {
    const { bare, workdir } = await setup();
    const repo = sandbox.open({ name: 'apps', url: bare, workdir, branch: 'gitops/live' });
    await repo.commit(change({ 'x.yaml': 'x\n' }, [], 'on a branch'));
    await repo.commit(change({ 'y.yaml': 'y\n' }, [], 'again'));
    expect(await remoteSubjects(sandbox, bare, 'gitops/live')).toEqual(['again', 'on a branch']);
    expect((await git(sandbox, bare, 'for-each-ref', '--format=%(refname)')).trim()).toBe(
      'refs/heads/gitops/live',
    );
  });

  it("is pushed to through a working clone with localWrites: 'push'", async () => {
    const { bare, workdir, repo } = await setup({ localWrites: 'push' });
    await repo.commit(change({ 'a.yaml': 'a\n' }));
    expect((await git(sandbox, workdir, 'config', '--get', 'remote.origin.url')).trim()).toBe(bare);
    expect(await remoteFile(sandbox, bare, 'a.yaml')).toBe('a\n');
  });
});

describe('commit with mustNotExist', () => {
  it('refuses to create a file another writer created first, committing nothing', async () => {
    // GIVEN two writers on one remote (two engine replicas), the first creating an environment
    const { bare, repo } = await setup();
    const second = sandbox.open({
      name: 'platform',
      url: bare,
      workdir: join(sandbox.root, `second-${counter}`),
    });
    const file = 'environments/dev/environment.yaml';
    await repo.commit({ ...change({ [file]: 'first\n' }, [], 'create dev'), mustNotExist: [file] });

    // WHEN the second creates the same one
    const attempt = second.commit({
      ...change({ [file]: 'second\n' }, [], 'create dev again'),
      mustNotExist: [file],
    });

    // THEN it is a conflict, and the remote still holds the first version and one commit
    await expect(attempt).rejects.toBeInstanceOf(ConflictError);
    await expect(attempt).rejects.toThrow(
      'environments/dev/environment.yaml already exists in the platform repo',
    );
    expect(await remoteSubjects(sandbox, bare)).toEqual(['create dev']);
    expect(await remoteFile(sandbox, bare, file)).toBe('first\n');
    // …and the refused writer's clone is clean for the next change.
    await second.commit(change({ 'other.txt': 'x\n' }, [], 'other'));
    expect(await remoteSubjects(sandbox, bare)).toEqual(['other', 'create dev']);
  });

  it('refuses the second of two creates of one path that wait for the same commit (in-batch compare-and-swap)', async () => {
    // GIVEN a busy clone, so that two creates of the same environment (and of a directory) queue together
    const { bare, repo } = await setup();
    const file = 'environments/dev/environment.yaml';
    const busy = repo.commit(change({ 'seed.txt': 'x\n' }, [], 'seed'));
    // WHEN both ask for the same path to be theirs, and two more claim one directory
    const outcomes = await Promise.allSettled([
      repo.commit({ ...change({ [file]: 'first\n' }, [], 'create dev (first)'), mustNotExist: [file] }),
      repo.commit({ ...change({ [file]: 'second\n' }, [], 'create dev (second)'), mustNotExist: [file] }),
      repo.commit({
        ...change({ 'namespaces/shared/a': 'a\n' }, [], 'claim shared for a'),
        mustNotExist: ['namespaces/shared'],
      }),
      repo.commit({
        ...change({ 'namespaces/shared/b': 'b\n' }, [], 'claim shared for b'),
        mustNotExist: ['namespaces/shared'],
      }),
    ]);
    await busy;
    // THEN only the first of each pair lands; the second is a conflict naming which path it found
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'rejected']);
    expect((outcomes[1] as PromiseRejectedResult).reason).toMatchObject({ path: '/mustNotExist/0' });
    expect((outcomes[3] as PromiseRejectedResult).reason).toMatchObject({ path: '/mustNotExist/0' });
    expect(await remoteFile(sandbox, bare, file)).toBe('first\n');
    expect(await remoteFiles(sandbox, bare)).toEqual([file, 'namespaces/shared/a', 'seed.txt']);
    const messages = await git(sandbox, bare, 'log', '--format=%B', 'main');
    expect(messages).not.toMatch(/second|for b/);
  });
});

describe('changes committed while the clone is busy', () => {
  it('go together in one commit and one push, each named in the message and told whether it changed anything', async () => {
    const { bare, repo } = await setup();
    await repo.commit(change({ 'environments/a/apps/web.yaml': 'v: 1\n' }, [], 'seed'));

    // All queued in one tick: the clone is taken by the first, the rest wait for it together.
    const results = await Promise.all([
      repo.commit(change({ 'environments/b/apps/web.yaml': 'v: 1\n' }, [], 'envcat: b: wave 2')),
      repo.commit(change({ 'environments/a/apps/web.yaml': 'v: 1\n' }, [], 'envcat: a: no-op')),
      repo.commit(change({}, ['environments/a/'], 'envcat: a: delete applications')),
      repo.commit(change({ 'environments/c/apps/web.yaml': 'v: 3\n' }, [], 'envcat: c: wave 2')),
    ]);

    const subjects = await remoteSubjects(sandbox, bare);
    expect(subjects).toEqual(['envcat: b: wave 2 (and 2 more)', 'seed']);
    const body = await git(sandbox, bare, 'log', '-1', '--format=%B', 'main');
    expect(body).toContain('envcat: b: wave 2\n\nenvcat: a: delete applications\n\nenvcat: c: wave 2');
    expect(body).not.toContain('no-op');
    const head = (await git(sandbox, bare, 'rev-parse', 'main')).trim();
    expect(results.map((r) => r.changed)).toEqual([true, false, true, true]);
    expect(results.every((r) => r.sha === head)).toBe(true);
    expect(await remoteFiles(sandbox, bare)).toEqual([
      'environments/b/apps/web.yaml',
      'environments/c/apps/web.yaml',
    ]);
  });

  it.each(['direct', 'push'] as const)(
    'tell their callers the commit exactly as log reads it back from git (%s), without reading it',
    async (localWrites) => {
      const { repo } = await setup({ localWrites });
      await repo.commit(change({ 'environments/a/apps/web.yaml': 'v: 1\n' }, [], 'seed'));

      const results = await Promise.all([
        repo.commit(change({ 'environments/b/apps/web.yaml': 'v: 1\n' }, [], 'envcat: b: wave 2')),
        repo.commit(change({ 'environments/c/apps/web.yaml': 'v: 1\n' }, [], 'envcat: c: wave 2')),
      ]);

      const [logged] = await repo.log('');
      expect(logged!.message).toContain('(and 1 more)');
      for (const result of results)
        expect(result.commit).toEqual({
          ...logged,
          paths: ['environments/b/apps/web.yaml', 'environments/c/apps/web.yaml'],
        });
    },
  );

  it('apply in the order they were asked for: a later change to the same file wins', async () => {
    const { bare, repo } = await setup();
    await Promise.all([
      repo.commit(change({ 'x.yaml': 'first\n' }, [], 'first')),
      repo.commit(change({ 'x.yaml': 'second\n' }, [], 'second')),
    ]);
    expect(await remoteFile(sandbox, bare, 'x.yaml')).toBe('second\n');
  });

  it('fail one at a time: a refused change (mustNotExist, a file over a directory) leaves the others to land', async () => {
    const { bare, repo } = await setup();
    await repo.commit(change({ 'environments/dev/environment.yaml': 'kept\n', 'dir/file.yaml': 'x\n' }));

    const outcomes = await Promise.allSettled([
      repo.commit(change({ 'environments/qa/environment.yaml': 'qa\n' }, [], 'create qa')),
      repo.commit({
        ...change({ 'environments/dev/environment.yaml': 'overwritten\n' }, [], 'create dev'),
        mustNotExist: ['environments/dev/environment.yaml'],
      }),
      repo.commit(change({ dir: 'a file where a directory is\n' }, [], 'write over a directory')),
      repo.commit(change({ 'environments/uat/environment.yaml': 'uat\n' }, [], 'create uat')),
    ]);

    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'rejected', 'fulfilled']);
    expect((outcomes[1] as PromiseRejectedResult).reason).toBeInstanceOf(ConflictError);
    expect((outcomes[1] as PromiseRejectedResult).reason).toMatchObject({ path: '/mustNotExist/0' });
    expect((outcomes[2] as PromiseRejectedResult).reason).toBeInstanceOf(ConflictError);
    expect(await remoteFile(sandbox, bare, 'environments/dev/environment.yaml')).toBe('kept\n');
    expect(await remoteFiles(sandbox, bare)).toEqual([
      'dir/file.yaml',
      'environments/dev/environment.yaml',
      'environments/qa/environment.yaml',
      'environments/uat/environment.yaml',
    ]);
    // the two that landed share a commit; the refused ones are in no message
    const messages = await git(sandbox, bare, 'log', '--format=%B', 'main');
    expect(messages).toMatch(/^create qa \(and 1 more\)\n\ncreate qa\n\ncreate uat\n/);
    expect(messages).not.toMatch(/create dev|write over/);
  });

  it.each([
    ['push', 'pre-receive'],
    ['direct', 'reference-transaction'],
  ] as const)(
    'do not hold up log and isAncestor of commits already fetched (%s)',
    async (localWrites, hook) => {
      const { bare, repo } = await setup({ localWrites });
      const first = await repo.commit(change({ 'environments/a/x.yaml': '1\n' }, [], 'one'));
      const second = await repo.commit(change({ 'environments/a/x.yaml': '2\n' }, [], 'two'));
      // A slow remote: the next commit takes a second (the hook is added once the repo has decided how
      // to write). Once: git runs reference-transaction four times a commit (two transactions, each
      // prepared and committed), which slept four seconds.
      await writeHook(bare, hook, '[ -e slowed-once ] && exit 0\n: > slowed-once\nsleep 1');

      const slow = repo.commit(change({ 'environments/a/x.yaml': '3\n' }, [], 'three'));
      let pushed = false;
      void slow.then(() => (pushed = true));
      const [log, ancestor] = await Promise.all([
        repo.log('environments/a/'),
        repo.isAncestor(first.sha, second.sha),
      ]);

      expect(pushed).toBe(false);
      expect(log.map((c) => c.message)).toEqual(['two', 'one']);
      expect(ancestor).toBe(true);
      await slow;
      expect((await repo.log('environments/a/')).map((c) => c.message)).toEqual(['three', 'two', 'one']);
    },
  );
});

describe('readTree and log', () => {
  async function seeded() {
    const context = await setup();
    const { repo } = context;
    await repo.commit(
      change(
        { 'environments/a/environment.yaml': 'a: ü\n', 'environments/a/infra/db.yaml': 'db\n' },
        [],
        'create a',
      ),
    );
    await repo.commit(change({ 'environments/ab/environment.yaml': 'ab\n' }, [], 'create ab'));
    await repo.commit(change({ 'environments/a/infra/db.yaml': 'db: 2\n' }, [], 'update a'));
    await repo.commit(change({ 'README.md': 'readme\n' }, [], 'readme'));
    return context;
  }

  it('reads the files under a directory prefix (not its look-alike siblings) at HEAD', async () => {
    const { repo } = await seeded();
    const expected = new Map([
      ['environments/a/environment.yaml', 'a: ü\n'],
      ['environments/a/infra/db.yaml', 'db: 2\n'],
    ]);
    expect(await repo.readTree('environments/a')).toEqual(expected);
    expect(await repo.readTree('environments/a/')).toEqual(expected);
    expect([...(await repo.readTree('')).keys()]).toEqual([
      'README.md',
      'environments/a/environment.yaml',
      'environments/a/infra/db.yaml',
      'environments/ab/environment.yaml',
    ]);
    expect(await repo.readTree('environments/none')).toEqual(new Map());
  });

  it('reads HEAD of the clone, not leftovers in the work tree', async () => {
    const { repo, workdir } = await seeded();
    await mkdir(join(workdir, 'environments/a'), { recursive: true });
    await writeFile(join(workdir, 'environments/a/environment.yaml'), 'edited by hand\n');
    expect((await repo.readTree('environments/a')).get('environments/a/environment.yaml')).toBe('a: ü\n');
  });

  it('sees another writer’s commit only after sync', async () => {
    const { repo, bare, id } = await seeded();
    const other = await otherClone(sandbox, bare, join(sandbox.root, `other-read-${id}`));
    await mkdir(join(other, 'environments/c'), { recursive: true });
    await writeFile(join(other, 'environments/c/environment.yaml'), 'c\n');
    await git(sandbox, other, 'add', '.');
    await git(sandbox, other, ...OTHER, 'commit', '--quiet', '-m', 'create c');
    await git(sandbox, other, 'push', '--quiet', 'origin', 'HEAD:main');

    expect((await repo.readTree('environments/c')).size).toBe(0);
    const head = await repo.sync();
    expect(head).toBe((await git(sandbox, bare, 'rev-parse', 'main')).trim());
    expect(await repo.readTree('environments/c')).toEqual(
      new Map([['environments/c/environment.yaml', 'c\n']]),
    );
  });

  it('tells each commit it made as log lists it', async () => {
    const { repo } = await setup();
    const results = [
      await repo.commit(change({ 'a.yaml': 'a\n' }, [], 'first\n\nwith a body\n')),
      await repo.commit(change({ 'b.yaml': 'b\n' }, ['a.yaml'], 'second')),
    ];
    const log = await repo.log('');
    expect(results.map((result) => result.commit)).toEqual([
      { ...log[1], paths: ['a.yaml'] },
      { ...log[0], paths: expect.arrayContaining(['a.yaml', 'b.yaml']) },
    ]);
  });

  it('follows another writer head by head, each tree as git lists it, however deep or wide the change', async () => {
    const { repo: writer, bare, workdir } = await setup();
    const reader = sandbox.open({ name: 'platform', url: bare, workdir: `${workdir}-reader` });
    const steps: FileChange[] = [
      change({ 'a/b/c/d.yaml': 'd\n', 'a/b/e.yaml': 'e\n', 'a b/ü.yaml': 'ü\n', 'z.yaml': 'z\n' }),
      change({ 'a/b/c/d.yaml': 'd2\n', 'a/new/deep/f.yaml': 'f\n' }),
      change({}, ['a/b/']),
      change({ 'a/b': 'now a file\n', 'y/x.yaml': 'e\n' }),
      change({ 'a/b/c/d.yaml': 'back\n' }, ['a/b']),
      change({}, ['a/', 'a b/', 'y/']),
    ];
    for (const step of steps) {
      await writer.commit(step);
      expect(await reader.sync()).toBe((await git(sandbox, bare, 'rev-parse', 'main')).trim());
      const files = await reader.readTree('');
      const listing = await git(sandbox, bare, 'ls-tree', '-r', '-z', '--name-only', 'main');
      const expected = listing.split('\0').filter((path) => path !== '');
      expect([...files.keys()]).toEqual(expected);
      for (const path of expected) expect(files.get(path)).toBe(await remoteFile(sandbox, bare, path));
    }
    expect([...(await reader.readTree('')).keys()]).toEqual(['z.yaml']);
  });

  it('is empty for a repository without commits, and for a fresh instance it syncs first', async () => {
    const { repo, bare, workdir } = await setup();
    expect(await repo.readTree('')).toEqual(new Map());
    expect(await repo.log('')).toEqual([]);
    await repo.commit(change({ 'x.yaml': 'x\n' }));
    const fresh = sandbox.open({ name: 'platform', url: bare, workdir });
    expect(await fresh.readTree('')).toEqual(new Map([['x.yaml', 'x\n']]));
  });

  it('lists the commits that touched a prefix, newest first, with author and ISO date', async () => {
    const { repo } = await seeded();
    const log = await repo.log('environments/a');
    expect(log.map((commit) => commit.message)).toEqual(['update a', 'create a']);
    expect(log[0]).toEqual({
      sha: expect.stringMatching(/^[0-9a-f]{40}$/),
      message: 'update a',
      author: 'envcat bot <bot@envcat.test>',
      date: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$/),
    });
    expect((await repo.log('environments/ab/')).map((commit) => commit.message)).toEqual(['create ab']);
    expect((await repo.log('', { limit: 2 })).map((commit) => commit.message)).toEqual([
      'readme',
      'update a',
    ]);
    expect(await repo.log('environments/none')).toEqual([]);
  });

  it('keeps multi-line messages whole', async () => {
    const { repo } = await setup();
    await repo.commit(change({ 'x.yaml': 'x\n' }, [], 'subject\n\nbody 1\nbody 2'));
    await repo.commit(change({ 'y.yaml': 'y\n' }, [], 'second'));
    expect((await repo.log('')).map((commit) => commit.message)).toEqual([
      'second',
      'subject\n\nbody 1\nbody 2',
    ]);
  });

  it.each([['../x'], ['/abs'], ['.git']])('rejects the prefix %s', async (prefix) => {
    const { repo } = await setup();
    await expect(repo.readTree(prefix)).rejects.toBeInstanceOf(InputError);
    await expect(repo.log(prefix)).rejects.toBeInstanceOf(InputError);
  });

  it('rejects a limit that is not a positive integer', async () => {
    const { repo } = await setup();
    await expect(repo.log('', { limit: 0 })).rejects.toBeInstanceOf(InputError);
  });

  it('reads 1,000 environments (3,000 files) in one go, fast', async () => {
    const { repo } = await setup();
    const files: Record<string, string> = {};
    for (let i = 0; i < 1000; i++) {
      const env = `environments/env-${String(i).padStart(4, '0')}`;
      files[`${env}/environment.yaml`] = `name: env-${i}\n`;
      files[`${env}/namespace.yaml`] = `kind: Namespace\nname: env-${i}\n`;
      files[`${env}/infra/db.yaml`] = `kind: Workspace\nid: ${i}\n`;
    }
    await repo.commit(change(files, [], 'many'));

    const started = performance.now();
    const tree = await repo.readTree('environments');
    const elapsed = performance.now() - started;

    expect(tree.size).toBe(3000);
    expect(tree.get('environments/env-0999/infra/db.yaml')).toBe('kind: Workspace\nid: 999\n');
    // Typically well under 200 ms; the bound only guards against one process per file.
    expect(elapsed).toBeLessThan(5000);
  });
});

describe('objectIds', () => {
  it('resolves <commit>:<path> specs to blob and tree ids in one go, undefined where nothing is', async () => {
    const { bare, repo } = await setup();
    const { sha } = await repo.commit(
      change({ 'environments/dev/apps/web.yaml': 'a\n', 'environments/dev/apps/web/deploy.yaml': 'b\n' }),
    );
    const unknown = 'f'.repeat(40);

    const ids = await repo.objectIds([
      `${sha}:environments/dev/apps/web.yaml`,
      `${sha}:environments/dev/apps/web`,
      `${sha}:environments/dev/apps/gone.yaml`,
      `${sha}:`,
      `${unknown}:environments/dev/apps/web.yaml`,
    ]);

    const expected = async (spec: string) => (await git(sandbox, bare, 'rev-parse', spec)).trim();
    expect(ids).toEqual([
      await expected(`${sha}:environments/dev/apps/web.yaml`),
      await expected(`${sha}:environments/dev/apps/web`),
      undefined,
      await expected(`${sha}:`),
      undefined,
    ]);
  });

  it.each([['main:x.yaml'], ['abc:x.yaml'], [`${'a'.repeat(40)}:../x`], ['no colon']])(
    'rejects the spec %s naming its index',
    async (spec) => {
      const { repo } = await setup();
      await expect(repo.objectIds(['a'.repeat(40) + ':ok.yaml', spec])).rejects.toMatchObject({
        problems: [{ path: '/specs/1' }],
      });
    },
  );
});

describe('isAncestor', () => {
  it('answers from the commit graph, fetching a revision it has not seen yet', async () => {
    const { repo, bare, id } = await setup();
    const first = await repo.commit(change({ 'a.yaml': '1\n' }));
    const second = await repo.commit(change({ 'a.yaml': '2\n' }));
    expect(await repo.isAncestor(first.sha, second.sha)).toBe(true);
    expect(await repo.isAncestor(second.sha, second.sha)).toBe(true);
    expect(await repo.isAncestor(second.sha, first.sha)).toBe(false);

    const other = await otherClone(sandbox, bare, join(sandbox.root, `other-anc-${id}`));
    await writeFile(join(other, 'b.yaml'), 'b\n');
    await git(sandbox, other, 'add', '.');
    await git(sandbox, other, ...OTHER, 'commit', '--quiet', '-m', 'theirs');
    await git(sandbox, other, 'push', '--quiet', 'origin', 'HEAD:main');
    const theirs = (await git(sandbox, other, 'rev-parse', 'HEAD')).trim();
    expect(await repo.isAncestor(second.sha, theirs)).toBe(true);
  });

  it('throws NotFoundError for an unknown commit and InputError for something that is not a sha', async () => {
    const { repo } = await setup();
    const { sha } = await repo.commit(change({ 'a.yaml': '1\n' }));
    await expect(repo.isAncestor('0'.repeat(40), sha)).rejects.toBeInstanceOf(NotFoundError);
    await expect(repo.isAncestor('--all', sha)).rejects.toBeInstanceOf(InputError);
  });
});

describe('the working clone (pushing)', () => {
  it('is recreated when the workdir holds a clone of another remote', async () => {
    const a = await setup({ localWrites: 'push' });
    await a.repo.commit(change({ 'from-a.yaml': 'a\n' }));
    const b = await setup({ localWrites: 'push' });
    await b.repo.commit(change({ 'from-b.yaml': 'b\n' }));

    const logger = recordingLogger();
    const switched = sandbox.open({
      name: 'platform',
      url: b.bare,
      workdir: a.workdir,
      logger,
      localWrites: 'push',
    });
    await switched.sync();

    expect([...(await switched.readTree('')).keys()]).toEqual(['from-b.yaml']);
    expect((await git(sandbox, a.workdir, 'config', '--get', 'remote.origin.url')).trim()).toBe(b.bare);
    expect(logger.records).toContainEqual(
      expect.objectContaining({
        level: 'warn',
        object: expect.objectContaining({ problem: 'a clone of another remote' }),
      }),
    );
  });

  it('is recreated when corrupt, even inside another git repository', async () => {
    const { bare, id } = await setup({ localWrites: 'push' });
    const outer = join(sandbox.root, `outer-${id}`);
    await mkdir(outer);
    await git(sandbox, outer, 'init', '--quiet');
    const workdir = join(outer, 'clone');
    const first = sandbox.open({ name: 'apps', url: bare, workdir, localWrites: 'push' });
    await first.commit(change({ 'x.yaml': 'x\n' }));
    await rm(join(workdir, '.git', 'HEAD'));

    const second = sandbox.open({ name: 'apps', url: bare, workdir, localWrites: 'push' });
    expect(await second.sync()).toBe((await git(sandbox, bare, 'rev-parse', 'main')).trim());
    expect(await second.readTree('')).toEqual(new Map([['x.yaml', 'x\n']]));
    expect(await git(sandbox, outer, 'status', '--porcelain', '--untracked-files=no')).toBe('');
  });

  it('is never made in a non-empty directory that is not a clone', async () => {
    const { bare, id } = await setup({ localWrites: 'push' });
    const workdir = join(sandbox.root, `occupied-${id}`);
    await mkdir(workdir);
    await writeFile(join(workdir, 'precious.txt'), 'keep');
    const repo = sandbox.open({ name: 'platform', url: bare, workdir, localWrites: 'push' });
    await expect(repo.sync()).rejects.toBeInstanceOf(ConflictError);
    expect(await readFile(join(workdir, 'precious.txt'), 'utf8')).toBe('keep');
  });

  it('recovers from leftovers of an interrupted run (stale lock, dirty tree)', async () => {
    const { repo, workdir, bare } = await setup({ localWrites: 'push' });
    await repo.commit(change({ 'x.yaml': 'x\n' }));
    await writeFile(join(workdir, '.git', 'index.lock'), '');
    // a git fast-import and a fetch killed half way leave their ref locks behind
    await mkdir(join(workdir, '.git', 'refs', 'envcat'), { recursive: true });
    await writeFile(join(workdir, '.git', 'refs', 'envcat', 'commit.lock'), '');
    await mkdir(join(workdir, '.git', 'refs', 'remotes', 'origin'), { recursive: true });
    await writeFile(join(workdir, '.git', 'refs', 'remotes', 'origin', 'main.lock'), '');
    await writeFile(join(workdir, 'x.yaml'), 'dirty\n');
    await writeFile(join(workdir, 'untracked.yaml'), 'junk\n');

    const restarted = sandbox.open({ name: 'platform', url: bare, workdir, localWrites: 'push' });
    const result = await restarted.commit(change({ 'y.yaml': 'y\n' }));
    expect(result.changed).toBe(true);
    expect(await remoteFiles(sandbox, bare)).toEqual(['x.yaml', 'y.yaml']);
    expect(await remoteFile(sandbox, bare, 'x.yaml')).toBe('x\n');
    expect(existsSync(join(workdir, '.git', 'refs', 'envcat', 'commit.lock'))).toBe(false);
  });

  it('works on a branch other than main', async () => {
    const { bare, workdir } = await setup({ localWrites: 'push' });
    const repo = sandbox.open({
      name: 'apps',
      url: bare,
      workdir,
      branch: 'gitops/live',
      localWrites: 'push',
    });
    await repo.commit(change({ 'x.yaml': 'x\n' }, [], 'on a branch'));
    expect(await remoteSubjects(sandbox, bare, 'gitops/live')).toEqual(['on a branch']);
  });
});

describe('options', () => {
  it.each<[string, Partial<GitRepoOptions>, string]>([
    ['an unknown repo name', { name: 'other' as never }, '/name'],
    ['an invalid branch', { branch: 'a..b' }, '/branch'],
    ['an empty workdir', { workdir: ' ' }, '/workdir'],
    ['an unknown way to write local repos', { localWrites: 'rsync' as never }, '/localWrites'],
    ['an author with angle brackets', { author: { name: 'x <y>', email: 'a@b' } }, '/author/name'],
    ['zero attempts', { retry: { attempts: 0 } }, '/retry/attempts'],
    ['a negative delay', { retry: { baseDelayMs: -1 } }, '/retry/baseDelayMs'],
    ['an unsupported scheme', { url: 'ext::sh -c evil' }, '/url'],
    ['a token for a local remote', { credentials: { tokenEnv: 'X' } }, '/credentials'],
    [
      'an SSH key for an http remote',
      { url: 'https://git.example.test/x.git', credentials: { sshKeyFile: '/k' } },
      '/credentials',
    ],
  ])('rejects %s', (_label, overrides, path) => {
    let thrown: unknown;
    try {
      new GitRepo({
        name: 'platform',
        url: join(sandbox.root, 'r.git'),
        workdir: join(sandbox.root, 'w'),
        ...overrides,
      });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(InputError);
    expect((thrown as InputError).problems.map((problem) => problem.path)).toContain(path);
  });
});
