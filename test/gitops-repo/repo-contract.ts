/**
 * What every GitOpsRepo promises (src/gitops/types.ts), as one suite run against each
 * implementation (repo-contract.test.ts: GitRepo on a bare repository, written directly and
 * pushed to, and the in-memory twin). Everything is observed through the port itself; a second
 * writer on the same remote (an engine replica) is a second instance from `open()`.
 */
import { ConflictError, InputError, NotFoundError } from '../../src/core/index.js';
import type { FileChange, GitOpsRepo } from '../../src/gitops/index.js';
import { blobId } from '../../src/gitops/plan.js';

export interface ContractRemote {
  /** A new writer on this remote: its own clone (or view) of it, nothing read yet. */
  open(): GitOpsRepo;
}

export interface ContractSubject {
  /** A fresh remote with no commits. */
  create(): Promise<ContractRemote>;
  /** Ends what the writers opened so far keep running; called after the suite. */
  cleanup(): Promise<void>;
}

const change = (
  write: Record<string, string>,
  remove: string[] = [],
  message = 'update',
  mustNotExist?: string[],
): FileChange => ({
  write: Object.entries(write).map(([path, content]) => ({ path, content })),
  remove,
  message,
  ...(mustNotExist ? { mustNotExist } : {}),
});

/** The pointer of a typed conflict (and that it is one). */
function conflictPath(error: unknown): string | undefined {
  expect(error).toBeInstanceOf(ConflictError);
  expect((error as ConflictError).code).toBe('CONFLICT');
  return (error as ConflictError).path;
}

/** The pointer of the conflict a promise is rejected with. */
async function conflictAt(promise: Promise<unknown>): Promise<string | undefined> {
  return conflictPath(
    await promise.then(
      () => undefined,
      (reason: unknown) => reason,
    ),
  );
}

/** The reason of a rejected outcome of Promise.allSettled. */
const reason = (outcome: PromiseSettledResult<unknown> | undefined): unknown =>
  (outcome as PromiseRejectedResult).reason;

const subjects = (messages: Array<{ message: string }>) => messages.map((c) => c.message.split('\n')[0]);

/** Files committed by `seed`, whose tree ids git computes as below (checked with `git rev-parse`). */
const SEED = {
  'environments/dev/environment.yaml': 'dev\n',
  'environments/dev/apps/web.yaml': 'web\n',
  'environments/dev-x.yaml': 'x',
};
const SEED_TREES = {
  '': 'a3b4aea0ef2f0c34e722cd21dcec2c283a9a6503',
  environments: '5e8b1366c208b83fe4562eb15ba2309afb0c8721',
  'environments/dev': '414b0afe35eb99136ff4d1f845369a4b61e1d3aa',
  'environments/dev/apps': '138d321cdd91d24f10c877fff9ef9ce8139f1dbe',
};

export function describeGitOpsRepoContract(subject: ContractSubject): void {
  afterAll(() => subject.cleanup());

  async function fresh(): Promise<{ remote: ContractRemote; repo: GitOpsRepo }> {
    const remote = await subject.create();
    return { remote, repo: remote.open() };
  }

  describe('reading', () => {
    it('an empty repository has head "", no files and no history', async () => {
      const { repo } = await fresh();
      expect(await repo.sync()).toBe('');
      expect(await repo.readTree('')).toEqual(new Map());
      expect(await repo.log('')).toEqual([]);
    });

    it('a fresh writer reads the head without being synced first', async () => {
      const { remote, repo } = await fresh();
      const { sha } = await repo.commit(change({ 'x.yaml': 'x\n' }));
      const reader = remote.open();
      expect(await reader.readTree('')).toEqual(new Map([['x.yaml', 'x\n']]));
      expect((await remote.open().log('')).map((c) => c.sha)).toEqual([sha]);
    });

    it('reads the files under a prefix (not its look-alike siblings), a single file, or all, in path order', async () => {
      const { repo } = await fresh();
      await repo.commit(change({ ...SEED, 'README.md': 'readme\n' }));
      expect([...(await repo.readTree('environments/dev/'))]).toEqual([
        ['environments/dev/apps/web.yaml', 'web\n'],
        ['environments/dev/environment.yaml', 'dev\n'],
      ]);
      expect(await repo.readTree('environments/dev')).toEqual(await repo.readTree('environments/dev/'));
      expect([...(await repo.readTree('environments/dev-x.yaml'))]).toEqual([
        ['environments/dev-x.yaml', 'x'],
      ]);
      expect([...(await repo.readTree('')).keys()]).toEqual([
        'README.md',
        'environments/dev-x.yaml',
        'environments/dev/apps/web.yaml',
        'environments/dev/environment.yaml',
      ]);
      expect(await repo.readTree('absent/')).toEqual(new Map());
    });
  });

  describe('commit', () => {
    it('makes the first commit, creating the branch, and reads it back', async () => {
      // GIVEN an empty repository
      const { repo } = await fresh();
      // WHEN a change set is committed
      const result = await repo.commit(
        change({ 'environments/dev/environment.yaml': 'name: dev\n' }, [], 'create dev'),
      );
      // THEN it is the head, applied on the empty head, with its files, message and author
      expect(result).toEqual({
        changed: true,
        sha: expect.stringMatching(/^[0-9a-f]{40}$/),
        attempts: 1,
        base: '',
        commit: expect.any(Object),
      });
      expect(await repo.sync()).toBe(result.sha);
      expect(await repo.readTree('')).toEqual(
        new Map([['environments/dev/environment.yaml', 'name: dev\n']]),
      );
      const [info, ...older] = await repo.log('');
      expect(older).toEqual([]);
      expect(info).toMatchObject({
        sha: result.sha,
        message: 'create dev',
        author: 'envcat <envcat@localhost>',
      });
      expect(info!.date).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d([+-]\d\d:\d\d|Z)$/);
      expect(Math.abs(Date.parse(info!.date) - Date.now())).toBeLessThan(5 * 60_000);
      // … and the result tells the commit as log lists it, with the paths it changed
      expect(result.commit).toEqual({ ...info, paths: ['environments/dev/environment.yaml'] });
    });

    it('applies on the head: the next commit has the previous one as its base', async () => {
      const { repo } = await fresh();
      const first = await repo.commit(change({ 'a.yaml': '1\n' }));
      const second = await repo.commit(change({ 'a.yaml': '2\n' }));
      expect(second).toMatchObject({ changed: true, attempts: 1, base: first.sha });
      expect(await repo.isAncestor(first.sha, second.sha)).toBe(true);
    });

    it('writes files, and removes files and whole directories (a path ending in "/"), absent ones ignored', async () => {
      const { repo } = await fresh();
      await repo.commit(change({ ...SEED, 'keep.yaml': 'k\n', 'old.yaml': 'o\n' }));
      await repo.commit(
        change({ 'new/file.yaml': 'n\n' }, ['old.yaml', 'environments/dev/', 'absent.yaml', 'absent/']),
      );
      expect([...(await repo.readTree('')).keys()]).toEqual([
        'environments/dev-x.yaml',
        'keep.yaml',
        'new/file.yaml',
      ]);
    });

    it('replaces the content of a directory it removes and writes into in one change set', async () => {
      const { repo } = await fresh();
      await repo.commit(change({ 'apps/web/a.yaml': 'a\n', 'apps/web/b.yaml': 'b\n' }));
      await repo.commit(change({ 'apps/web/c.yaml': 'c\n' }, ['apps/web/']));
      expect(await repo.readTree('apps/')).toEqual(new Map([['apps/web/c.yaml', 'c\n']]));
    });

    it('commits nothing when nothing changes, and says so with the head as sha and base', async () => {
      const { repo } = await fresh();
      const first = await repo.commit(change({ 'a.yaml': 'a\n' }, [], 'first'));
      const same = await repo.commit(change({ 'a.yaml': 'a\n' }, ['absent.yaml', 'b/'], 'again'));
      expect(same).toEqual({ changed: false, sha: first.sha, attempts: 0, base: first.sha });
      expect(await repo.sync()).toBe(first.sha);
      expect(subjects(await repo.log(''))).toEqual(['first']);
    });

    it('commits nothing on an empty repository when nothing changes (sha "")', async () => {
      const { repo } = await fresh();
      expect(await repo.commit(change({}, ['absent.yaml'], 'nothing'))).toEqual({
        changed: false,
        sha: '',
        attempts: 0,
        base: '',
      });
      expect(await repo.sync()).toBe('');
    });
  });

  describe('refusals: a change set that must not go on the head fails whole, with a typed conflict', () => {
    it.each<[string, FileChange, string]>([
      [
        'a mustNotExist file that exists',
        change({ 'environments/dev/environment.yaml': 'other\n' }, [], 'create dev', [
          'environments/dev/environment.yaml',
        ]),
        '/mustNotExist/0',
      ],
      [
        'a mustNotExist directory that holds files',
        change({ 'environments/dev/more.yaml': 'm\n' }, [], 'claim dev', [
          'environments/qa',
          'environments/dev',
        ]),
        '/mustNotExist/1',
      ],
      [
        'a mustMatch file whose content changed',
        {
          ...change({ 'environments/dev/environment.yaml': 'dev v2\n' }, [], 'update dev'),
          mustMatch: [{ path: 'environments/dev/environment.yaml', content: 'dev v0\n' }],
        },
        '/mustMatch/0',
      ],
      [
        'a mustMatch file that does not exist',
        {
          ...change({ 'catalog/db/states.yaml': 'b\n' }, [], 'states'),
          mustMatch: [
            { path: 'environments/dev/environment.yaml', content: 'dev\n' },
            { path: 'catalog/db/states.yaml', content: 'a\n' },
          ],
        },
        '/mustMatch/1',
      ],
      ['a file written over a directory', change({ 'environments/dev': 'file\n' }), '/write/0/path'],
      [
        'a file written through a file',
        change({ 'ok.yaml': 'ok', 'environments/dev-x.yaml/y': 'y' }),
        '/write/1/path',
      ],
      ['a removal through a file', change({}, ['environments/dev-x.yaml/y/']), '/remove/0'],
    ])('%s', async (_case, refused, path) => {
      // GIVEN a repository with the seed files
      const { repo } = await fresh();
      const seed = await repo.commit(change(SEED, [], 'seed'));
      // WHEN the change set is committed THEN it is a conflict at its pointer, and nothing is committed
      expect(await conflictAt(repo.commit(refused))).toBe(path);
      expect(await repo.sync()).toBe(seed.sha);
      expect(await repo.readTree('')).toEqual(new Map(Object.entries(SEED)));
      // …and the writer goes on committing
      expect(await repo.commit(change({ 'next.yaml': 'n\n' }))).toMatchObject({
        changed: true,
        base: seed.sha,
      });
    });

    it('fail one at a time: the other change sets of the same commit land', async () => {
      const { repo } = await fresh();
      const seed = await repo.commit(change(SEED, [], 'seed'));
      const outcomes = await Promise.allSettled([
        repo.commit(change({ 'environments/qa/environment.yaml': 'qa\n' }, [], 'create qa')),
        repo.commit(
          change({ 'environments/dev/environment.yaml': 'x' }, [], 'create dev', [
            'environments/dev/environment.yaml',
          ]),
        ),
        repo.commit(change({ 'environments/dev': 'x' }, [], 'write over a directory')),
        repo.commit(change({ 'environments/uat/environment.yaml': 'uat\n' }, [], 'create uat')),
      ]);
      expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'rejected', 'fulfilled']);
      expect(conflictPath(reason(outcomes[1]))).toBe('/mustNotExist/0');
      expect(conflictPath(reason(outcomes[2]))).toBe('/write/0/path');
      const [landed] = await repo.log('');
      expect(landed!.message).toBe('create qa (and 1 more)\n\ncreate qa\n\ncreate uat');
      expect((outcomes[0] as PromiseFulfilledResult<{ sha: string }>).value.sha).toBe(landed!.sha);
      expect((await repo.readTree('environments/dev/')).get('environments/dev/environment.yaml')).toBe(
        'dev\n',
      );
      expect(await repo.isAncestor(seed.sha, landed!.sha)).toBe(true);
    });
  });

  describe('mustMatch: a compare-and-swap on a file read before', () => {
    it('lets exactly one of two writers that read the same content land, at once or one after the other', async () => {
      // GIVEN a file, and two writers (replicas) that read it
      const { remote, repo } = await fresh();
      await repo.commit(change({ 'states.yaml': 'v1\n' }, [], 'seed'));
      const other = remote.open();
      await other.sync();
      const swap = (writer: GitOpsRepo, content: string) =>
        writer.commit({
          ...change({ 'states.yaml': content }, [], `to ${content}`),
          mustMatch: [{ path: 'states.yaml', content: 'v1\n' }],
        });
      // WHEN both write their change on what they read
      const outcomes = await Promise.allSettled([swap(repo, 'a\n'), swap(other, 'b\n')]);
      // THEN one lands and the other is a conflict at its mustMatch
      const won = outcomes.findIndex((o) => o.status === 'fulfilled');
      expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
      expect(conflictPath(reason(outcomes[1 - won]))).toBe('/mustMatch/0');
      await repo.sync();
      expect((await repo.readTree('states.yaml')).get('states.yaml')).toBe(won === 0 ? 'a\n' : 'b\n');
      // …and a writer that reads again swaps on the new content
      const current = (await repo.readTree('states.yaml')).get('states.yaml')!;
      await expect(
        repo.commit({
          ...change({ 'states.yaml': 'c\n' }, [], 'to c'),
          mustMatch: [{ path: 'states.yaml', content: current }],
        }),
      ).resolves.toMatchObject({ changed: true });
    });
  });

  describe('mustNotExist against the change sets of the same commit', () => {
    it('lets only the first of two creates of one path (or one directory) that wait together land', async () => {
      const { repo } = await fresh();
      const file = 'environments/dev/environment.yaml';
      const outcomes = await Promise.allSettled([
        repo.commit(change({ 'seed.txt': 'x\n' }, [], 'seed')),
        repo.commit(change({ [file]: 'first\n' }, [], 'create dev (first)', [file])),
        repo.commit(change({ [file]: 'second\n' }, [], 'create dev (second)', [file])),
        repo.commit(
          change({ 'namespaces/shared/a': 'a\n' }, [], 'claim shared for a', ['namespaces/shared']),
        ),
        repo.commit(
          change({ 'namespaces/shared/b': 'b\n' }, [], 'claim shared for b', ['namespaces/shared']),
        ),
      ]);
      expect(outcomes.map((o) => o.status)).toEqual([
        'fulfilled',
        'fulfilled',
        'rejected',
        'fulfilled',
        'rejected',
      ]);
      expect(conflictPath(reason(outcomes[2]))).toBe('/mustNotExist/0');
      expect(conflictPath(reason(outcomes[4]))).toBe('/mustNotExist/0');
      expect([...(await repo.readTree(''))]).toEqual([
        [file, 'first\n'],
        ['namespaces/shared/a', 'a\n'],
        ['seed.txt', 'x\n'],
      ]);
      expect((await repo.log('')).map((c) => c.message).join('\n')).not.toMatch(/second|for b/);
    });

    it('lets a create through once an earlier change set of the same commit removed the path', async () => {
      const { repo } = await fresh();
      await repo.commit(change({ 'claim.yaml': 'old\n' }, [], 'seed'));
      const [removed, created] = await Promise.all([
        repo.commit(change({}, ['claim.yaml'], 'release')),
        repo.commit(change({ 'claim.yaml': 'new\n' }, [], 'claim', ['claim.yaml'])),
      ]);
      expect(removed.sha).toBe(created.sha);
      expect([removed.changed, created.changed]).toEqual([false, true]);
      expect(await repo.readTree('')).toEqual(new Map([['claim.yaml', 'new\n']]));
    });
  });

  describe('group commit', () => {
    it('puts change sets that wait together in one commit, each told whether it changed anything', async () => {
      const { repo } = await fresh();
      const seed = await repo.commit(change({ 'environments/a/apps/web.yaml': 'v: 1\n' }, [], 'seed'));
      const results = await Promise.all([
        repo.commit(change({ 'environments/b/apps/web.yaml': 'v: 1\n' }, [], 'envcat: b: wave 2')),
        repo.commit(change({ 'environments/a/apps/web.yaml': 'v: 1\n' }, [], 'envcat: a: no-op')),
        repo.commit(change({}, ['environments/a/'], 'envcat: a: delete applications')),
        repo.commit(change({ 'environments/c/apps/web.yaml': 'v: 3\n' }, [], 'envcat: c: wave 2')),
      ]);
      const head = await repo.sync();
      const log = await repo.log('');
      // The ones that changed something are told the commit, with every path it changed.
      const commit = {
        ...log[0],
        paths: expect.arrayContaining([
          'environments/a/apps/web.yaml',
          'environments/b/apps/web.yaml',
          'environments/c/apps/web.yaml',
        ]),
      };
      expect(results).toEqual(
        [true, false, true, true].map((changed) => ({
          changed,
          sha: head,
          attempts: 1,
          base: seed.sha,
          ...(changed ? { commit } : {}),
        })),
      );
      expect(results[0]!.commit!.paths).toHaveLength(3);
      expect(subjects(log)).toEqual(['envcat: b: wave 2 (and 2 more)', 'seed']);
      expect(log[0]!.message).toBe(
        'envcat: b: wave 2 (and 2 more)\n\nenvcat: b: wave 2\n\nenvcat: a: delete applications\n\nenvcat: c: wave 2',
      );
      expect([...(await repo.readTree('')).keys()]).toEqual([
        'environments/b/apps/web.yaml',
        'environments/c/apps/web.yaml',
      ]);
    });

    it('applies them in the order they were asked for: a later write of one file wins', async () => {
      const { repo } = await fresh();
      await Promise.all([
        repo.commit(change({ 'x.yaml': 'first\n' }, [], 'first')),
        repo.commit(change({ 'x.yaml': 'second\n' }, [], 'second')),
      ]);
      expect(await repo.readTree('x.yaml')).toEqual(new Map([['x.yaml', 'second\n']]));
    });
  });

  describe('two writers (compare-and-swap on the head)', () => {
    it('two creates of one path at the same moment: exactly one wins, the other gets the typed conflict', async () => {
      // GIVEN two writers that both saw the same head
      const { remote, repo: a } = await fresh();
      const b = remote.open();
      const seed = await a.commit(change({ 'seed.yaml': 's\n' }, [], 'seed'));
      expect(await b.sync()).toBe(seed.sha);
      const file = 'environments/dev/environment.yaml';
      // WHEN both create the same environment at once
      const outcomes = await Promise.allSettled([
        a.commit(change({ [file]: 'from a\n' }, [], 'create dev (a)', [file])),
        b.commit(change({ [file]: 'from b\n' }, [], 'create dev (b)', [file])),
      ]);
      // THEN one landed on the seed, the other is a conflict at its mustNotExist, and only the winner's file is there
      const won = outcomes.findIndex((o) => o.status === 'fulfilled');
      expect(outcomes.map((o) => o.status).sort()).toEqual(['fulfilled', 'rejected']);
      const result = (outcomes[won] as PromiseFulfilledResult<{ sha: string; base?: string }>).value;
      expect(result.base).toBe(seed.sha);
      expect(conflictPath(reason(outcomes[1 - won]))).toBe('/mustNotExist/0');
      expect(await a.sync()).toBe(result.sha);
      expect(await a.readTree(file)).toEqual(new Map([[file, won === 0 ? 'from a\n' : 'from b\n']]));
      expect(subjects(await b.log(''))).toEqual([won === 0 ? 'create dev (a)' : 'create dev (b)', 'seed']);
    });

    it('a rewrite of a file read at an older head (mustMatch) is refused once another writer changed it', async () => {
      // GIVEN two writers that both read the same environment.yaml
      const { remote, repo: a } = await fresh();
      const b = remote.open();
      const file = 'environments/dev/environment.yaml';
      const seed = await a.commit(change({ [file]: 'as read\n' }, [], 'seed'));
      expect(await b.sync()).toBe(seed.sha);
      // WHEN a edits it, and then b rewrites what it read, on the condition that it is unchanged
      const edited = await a.commit(change({ [file]: 'edited by a\n' }, [], 'edit dev'));
      const rewrite = {
        ...change({ [file]: 'rewritten by b\n' }, [], 'pin dev'),
        mustMatch: [{ path: file, content: 'as read\n' }],
      };
      // THEN b's rewrite is a conflict at its mustMatch, and a's edit stays
      expect(await conflictAt(b.commit(rewrite))).toBe('/mustMatch/0');
      expect(await b.sync()).toBe(edited.sha);
      expect(await b.readTree(file)).toEqual(new Map([[file, 'edited by a\n']]));
      // …and the same rewrite on what b now reads lands
      const again = await b.commit({ ...rewrite, mustMatch: [{ path: file, content: 'edited by a\n' }] });
      expect(again).toMatchObject({ changed: true, base: edited.sha });
    });

    it('two commits of different files at the same moment: both land, one on top of the other', async () => {
      const { remote, repo: a } = await fresh();
      const b = remote.open();
      const seed = await a.commit(change({ 'seed.yaml': 's\n' }, [], 'seed'));
      await b.sync();
      const [fromA, fromB] = await Promise.all([
        a.commit(change({ 'a.yaml': 'a\n' }, [], 'from a')),
        b.commit(change({ 'b.yaml': 'b\n' }, [], 'from b')),
      ]);
      const [first, second] = fromA.base === seed.sha ? [fromA, fromB] : [fromB, fromA];
      expect(first).toMatchObject({ changed: true, attempts: 1, base: seed.sha });
      // the later one found the branch moved, and was applied again on the other's commit
      expect(second.base).toBe(first.sha);
      expect(second.attempts).toBeGreaterThanOrEqual(2);
      expect(second.changed).toBe(true);
      expect(await a.sync()).toBe(second.sha);
      expect([...(await a.readTree('')).keys()]).toEqual(['a.yaml', 'b.yaml', 'seed.yaml']);
      expect(await a.isAncestor(first.sha, second.sha)).toBe(true);
    });

    it("sees another writer's commit only after sync", async () => {
      const { remote, repo } = await fresh();
      const other = remote.open();
      await repo.commit(change({ 'a.yaml': 'a\n' }, [], 'a'));
      const theirs = await other.commit(change({ 'c.yaml': 'c\n' }, [], 'theirs'));
      expect([...(await repo.readTree('')).keys()]).toEqual(['a.yaml']);
      expect(subjects(await repo.log(''))).toEqual(['a']);
      expect(await repo.sync()).toBe(theirs.sha);
      expect([...(await repo.readTree('')).keys()]).toEqual(['a.yaml', 'c.yaml']);
      expect(subjects(await repo.log(''))).toEqual(['theirs', 'a']);
    });

    it("commits on a head it has not seen: on top of the other writer's commit, our content winning", async () => {
      const { remote, repo } = await fresh();
      const other = remote.open();
      await repo.commit(change({ 'web.yaml': 'replicas: 1\n' }, [], 'seed'));
      const theirs = await other.commit(
        change({ 'web.yaml': 'replicas: 2\n', 'theirs.yaml': 't\n' }, [], 'theirs'),
      );
      const ours = await repo.commit(change({ 'web.yaml': 'replicas: 3\n' }, [], 'ours'));
      expect(ours).toMatchObject({ changed: true, base: theirs.sha });
      expect(ours.attempts).toBe(2);
      expect(await repo.readTree('')).toEqual(
        new Map([
          ['theirs.yaml', 't\n'],
          ['web.yaml', 'replicas: 3\n'],
        ]),
      );
      expect(subjects(await repo.log(''))).toEqual(['ours', 'theirs', 'seed']);
    });

    it('reports changed:false, committing nothing, when the other writer already made the change', async () => {
      const { remote, repo } = await fresh();
      const other = remote.open();
      await repo.commit(change({ 'web.yaml': 'replicas: 1\n' }, [], 'seed'));
      const theirs = await other.commit(change({ 'web.yaml': 'replicas: 5\n' }, [], 'theirs'));
      const ours = await repo.commit(change({ 'web.yaml': 'replicas: 5\n' }, [], 'ours'));
      expect(ours).toMatchObject({ changed: false, sha: theirs.sha, base: theirs.sha });
      expect(subjects(await repo.log(''))).toEqual(['theirs', 'seed']);
    });
  });

  describe('history and objects', () => {
    it('log lists the commits that touched a prefix (not its look-alikes), newest first, up to a limit', async () => {
      const { repo } = await fresh();
      await repo.commit(
        change(
          { 'environments/a/environment.yaml': 'a\n', 'environments/a/infra/db.yaml': 'db: 1\n' },
          [],
          'create a',
        ),
      );
      await repo.commit(change({ 'environments/ab/environment.yaml': 'ab\n' }, [], 'create ab'));
      await repo.commit(change({ 'environments/a/infra/db.yaml': 'db: 2\n' }, [], 'update a'));
      await repo.commit(change({ 'README.md': 'readme\n' }, [], 'subject\n\nbody 1\nbody 2\n'));
      expect(subjects(await repo.log('environments/a/'))).toEqual(['update a', 'create a']);
      expect(subjects(await repo.log('environments/a'))).toEqual(['update a', 'create a']);
      expect(subjects(await repo.log('environments/a/environment.yaml'))).toEqual(['create a']);
      expect(subjects(await repo.log('environments/a/', { limit: 1 }))).toEqual(['update a']);
      expect(subjects(await repo.log(''))).toEqual(['subject', 'update a', 'create ab', 'create a']);
      expect((await repo.log('README.md'))[0]!.message).toBe('subject\n\nbody 1\nbody 2');
      expect(await repo.log('absent/')).toEqual([]);
    });

    it("objectIds gives git's blob and tree ids at a commit, undefined where nothing is", async () => {
      const { repo } = await fresh();
      const { sha } = await repo.commit(change(SEED));
      const unknown = 'f'.repeat(40);
      const ids = await repo.objectIds([
        `${sha}:`,
        `${sha}:environments`,
        `${sha}:environments/dev/`,
        `${sha}:environments/dev/apps`,
        `${sha}:environments/dev/environment.yaml`,
        `${sha}:environments/dev/environment.yaml/`,
        `${sha}:environments/qa`,
        `${unknown}:`,
      ]);
      expect(ids).toEqual([
        SEED_TREES[''],
        SEED_TREES.environments,
        SEED_TREES['environments/dev'],
        SEED_TREES['environments/dev/apps'],
        blobId('dev\n', 'sha1'),
        undefined,
        undefined,
        undefined,
      ]);
      expect(await repo.objectIds([])).toEqual([]);
    });

    it('objectIds of a directory stays while its files do and changes with them', async () => {
      const { repo } = await fresh();
      const first = await repo.commit(change(SEED));
      const elsewhere = await repo.commit(change({ 'other/x.yaml': 'x\n' }));
      const inside = await repo.commit(change({ 'environments/dev/apps/web.yaml': 'web: 2\n' }));
      const [a, b, c] = await repo.objectIds(
        [first, elsewhere, inside].map((commit) => `${commit.sha}:environments/dev`),
      );
      expect(a).toBe(b);
      expect(c).not.toBe(a);
    });

    it('readFileBefore gives a file as the parent of a commit held it: what a removal took away', async () => {
      const { repo } = await fresh();
      const created = await repo.commit(
        change({ 'environments/a/environment.yaml': 'a: 1\n' }, [], 'create'),
      );
      const edited = await repo.commit(change({ 'environments/a/environment.yaml': 'a: 2\n' }, [], 'edit'));
      const removed = await repo.commit(change({}, ['environments/a/'], 'remove'));
      const path = 'environments/a/environment.yaml';
      expect(await repo.readFileBefore(removed.sha, path)).toBe('a: 2\n');
      expect(await repo.readFileBefore(edited.sha, path)).toBe('a: 1\n');
      // The first commit has no parent; a directory is not a file.
      expect(await repo.readFileBefore(created.sha, path)).toBeUndefined();
      expect(await repo.readFileBefore(removed.sha, 'environments/a')).toBeUndefined();
      expect(await repo.readFileBefore(removed.sha, 'environments/b/environment.yaml')).toBeUndefined();
      await expect(repo.readFileBefore('e'.repeat(40), path)).rejects.toBeInstanceOf(NotFoundError);
      await expect(repo.readFileBefore('HEAD', '/etc/passwd')).rejects.toMatchObject({
        code: 'INVALID_INPUT',
        problems: [
          { path: '/commit', message: 'must be a full commit sha' },
          { path: '/path', message: 'must be relative to the repository root' },
        ],
      });
    });

    it('isAncestor answers from the history, NotFoundError for a commit it does not hold', async () => {
      const { repo } = await fresh();
      const first = await repo.commit(change({ 'a.yaml': '1\n' }));
      const second = await repo.commit(change({ 'a.yaml': '2\n' }));
      expect(await repo.isAncestor(first.sha, second.sha)).toBe(true);
      expect(await repo.isAncestor(second.sha, second.sha)).toBe(true);
      expect(await repo.isAncestor(second.sha, first.sha)).toBe(false);
      const missing = repo.isAncestor(first.sha, 'e'.repeat(40));
      await expect(missing).rejects.toBeInstanceOf(NotFoundError);
      await expect(missing).rejects.toMatchObject({ code: 'NOT_FOUND' });
    });
  });

  describe('argument checks: every problem in one InputError, before anything is read or written', () => {
    const sha = 'a'.repeat(40);
    it.each<[string, (repo: GitOpsRepo) => Promise<unknown>, string[]]>([
      [
        'commit with bad paths and no message',
        (repo) => repo.commit(change({ '/etc/passwd': 'x', 'a/../../b': 'y' }, ['../x/'], ' ')),
        ['/message', '/write/0/path', '/write/1/path', '/remove/0'],
      ],
      [
        'commit of a path written twice',
        (repo) =>
          repo.commit({
            write: [
              { path: 'a', content: '1' },
              { path: 'a', content: '2' },
            ],
            remove: [],
            message: 'm',
          }),
        ['/write/1/path'],
      ],
      ['readTree of a prefix escaping the repo', (repo) => repo.readTree('../x'), ['/prefix']],
      ['log of a .git prefix', (repo) => repo.log('.git'), ['/prefix']],
      ['log with a limit of 0', (repo) => repo.log('', { limit: 0 }), ['/limit']],
      [
        'objectIds of a ref name and of a bad path',
        (repo) => repo.objectIds(['main:x', `${sha}:../x`]),
        ['/specs/0', '/specs/1'],
      ],
      ['isAncestor of names', (repo) => repo.isAncestor('main', 'HEAD'), ['/ancestor', '/descendant']],
    ])('%s', async (_case, call, pointers) => {
      const { repo } = await fresh();
      const error: unknown = await call(repo).then(
        () => undefined,
        (reason: unknown) => reason,
      );
      expect(error).toBeInstanceOf(InputError);
      expect((error as InputError).problems.map((problem) => problem.path)).toEqual(pointers);
      expect(await repo.sync()).toBe('');
    });
  });
}
