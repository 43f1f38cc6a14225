/**
 * The compare-and-swap loop (commit-loop.ts) and group commit (group-commit.ts) without git: a
 * scripted target says which publishes the branch takes and what the remote head holds meanwhile.
 */
import { ConflictError, ExternalError } from '../../src/core/index.js';
import { commitWithRetry, type CommitTarget, type PushOutcome } from '../../src/gitops/commit-loop.js';
import { GroupCommit } from '../../src/gitops/group-commit.js';
import { RepoLock } from '../../src/gitops/lock.js';
import { SILENT } from '../../src/gitops/options.js';
import { blobId, treeOf, type Outcome, type Tree } from '../../src/gitops/plan.js';
import type { FileChange } from '../../src/gitops/types.js';

const sha = (n: number) => n.toString(16).padStart(40, '0');
const tree = (head: string, files: Record<string, string>): Tree =>
  treeOf(
    head,
    Object.entries(files).map(
      ([path, content]) => [path, { mode: '100644', id: blobId(content, 'sha1') }] as const,
    ),
  );
const write = (files: Record<string, string>, mustNotExist?: string[]): FileChange => ({
  write: Object.entries(files).map(([path, content]) => ({ path, content })),
  remove: [],
  message: 'm',
  ...(mustNotExist ? { mustNotExist } : {}),
});

/**
 * A target whose remote head moves to `remote[i]` before publish `i` (undefined: it stays), and
 * whose publish is taken only when the base is that head. Records what it was asked.
 */
function scripted(options: { cached?: Tree; remote: Array<Tree | undefined>; attempts?: number }) {
  let head = options.cached ?? tree('', {});
  let publishes = 0;
  const calls: string[] = [];
  const target: CommitTarget = {
    repo: 'platform',
    retry: { attempts: options.attempts ?? 3, baseDelayMs: 0, maxDelayMs: 0 },
    logger: SILENT,
    logFields: {},
    objectFormat: () => 'sha1',
    cachedBase: () => options.cached,
    refresh: async () => {
      calls.push(`refresh ${head.head}`);
      return head;
    },
    publish: async (base, plan): Promise<{ sha: string; pushed: PushOutcome }> => {
      const moved = options.remote[publishes];
      if (moved) head = moved;
      const made = sha(100 + ++publishes);
      calls.push(`publish on ${base.head}`);
      if (base.head !== head.head) return { sha: made, pushed: { ok: false, reason: 'fetch first' } };
      head = { head: made, entries: plan.entries, directories: plan.directories };
      return { sha: made, pushed: { ok: true } };
    },
    published: async ({ tree: published, attempts, changes }) => {
      calls.push(`published ${published.head} after ${attempts} with ${changes}`);
    },
    beforeRetry: async (reason) => {
      calls.push(`retry: ${reason}`);
    },
    gaveUp: ({ attempts, reason }) => new ExternalError(`gave up after ${attempts}: ${reason}`),
  };
  return { target, calls, head: () => head };
}

describe('commitWithRetry', () => {
  it('commits on the cached head without fetching when the branch did not move', async () => {
    const cached = tree(sha(1), { 'a.yaml': 'a' });
    const { target, calls } = scripted({ cached, remote: [] });
    const outcomes = await commitWithRetry([write({ 'b.yaml': 'b' })], target);
    expect(outcomes).toEqual([{ result: { changed: true, sha: sha(101), attempts: 1, base: sha(1) } }]);
    expect(calls).toEqual([`publish on ${sha(1)}`, `published ${sha(101)} after 1 with 1`]);
  });

  it('fetches first when nothing is cached', async () => {
    const { target, calls } = scripted({ remote: [] });
    const outcomes = await commitWithRetry([write({ 'b.yaml': 'b' })], target);
    expect(outcomes).toEqual([{ result: { changed: true, sha: sha(101), attempts: 1, base: '' } }]);
    expect(calls[0]).toBe('refresh ');
  });

  it('checks a change that is a no-op on the cached head against the remote head before saying so', async () => {
    // GIVEN a cached head that already holds the file, and a remote that has moved on without it
    const cached = tree(sha(1), { 'a.yaml': 'a' });
    const moved = tree(sha(2), {});
    const { target, calls } = scripted({ cached, remote: [moved] });
    target.refresh = async () => {
      calls.push('refresh');
      return moved;
    };
    // WHEN the file is written THEN it is committed on the remote head
    const [outcome] = await commitWithRetry([write({ 'a.yaml': 'a' })], target);
    expect(calls[0]).toBe('refresh');
    expect(outcome).toEqual({ result: { changed: true, sha: sha(101), attempts: 1, base: sha(2) } });
  });

  it('publishes nothing and reports the head when nothing changes', async () => {
    const cached = tree(sha(1), { 'a.yaml': 'a' });
    const { target, calls } = scripted({ cached, remote: [] });
    target.refresh = async () => cached;
    const outcomes = await commitWithRetry([write({ 'a.yaml': 'a' })], target);
    expect(outcomes).toEqual([{ result: { changed: false, sha: sha(1), attempts: 0, base: sha(1) } }]);
    expect(calls.some((call) => call.startsWith('publish'))).toBe(false);
  });

  it('plans again on the head another writer moved the branch to, and lands on top of it', async () => {
    const cached = tree(sha(1), { 'a.yaml': 'a' });
    const theirs = tree(sha(2), { 'a.yaml': 'a', 'theirs.yaml': 't' });
    const { target, calls, head } = scripted({ cached, remote: [theirs] });
    const [outcome] = await commitWithRetry([write({ 'ours.yaml': 'o' })], target);
    expect(outcome).toEqual({ result: { changed: true, sha: sha(102), attempts: 2, base: sha(2) } });
    expect(calls).toEqual([
      `publish on ${sha(1)}`,
      'retry: fetch first',
      `refresh ${sha(2)}`,
      `publish on ${sha(2)}`,
      `published ${sha(102)} after 2 with 1`,
    ]);
    expect([...head().entries.keys()].sort()).toEqual(['a.yaml', 'ours.yaml', 'theirs.yaml']);
  });

  it('refuses a create the other writer made first: the loser of the race gets the conflict', async () => {
    const cached = tree(sha(1), {});
    const theirs = tree(sha(2), { 'environments/dev/environment.yaml': 'theirs' });
    const { target, calls } = scripted({ cached, remote: [theirs] });
    const [outcome] = await commitWithRetry(
      [write({ 'environments/dev/environment.yaml': 'ours' }, ['environments/dev/environment.yaml'])],
      target,
    );
    expect((outcome as { error: unknown }).error).toBeInstanceOf(ConflictError);
    expect((outcome as { error: ConflictError }).error.path).toBe('/mustNotExist/0');
    expect(calls.filter((call) => call.startsWith('publish'))).toHaveLength(1);
  });

  it('reports changed:false with the attempts made when the other writer already made the change', async () => {
    const cached = tree(sha(1), {});
    const theirs = tree(sha(2), { 'a.yaml': 'a' });
    const { target } = scripted({ cached, remote: [theirs] });
    const outcomes = await commitWithRetry([write({ 'a.yaml': 'a' })], target);
    expect(outcomes).toEqual([{ result: { changed: false, sha: sha(2), attempts: 1, base: sha(2) } }]);
  });

  it('gives up after retry.attempts rejections with the target’s error', async () => {
    const racing = Array.from({ length: 5 }, (_, i) => tree(sha(10 + i), { [`t${i}`]: 't' }));
    const { target, calls } = scripted({ cached: tree(sha(1), {}), remote: racing, attempts: 3 });
    await expect(commitWithRetry([write({ 'a.yaml': 'a' })], target)).rejects.toThrow(
      new ExternalError('gave up after 3: fetch first'),
    );
    expect(calls.filter((call) => call.startsWith('publish'))).toHaveLength(3);
  });
});

describe('GroupCommit', () => {
  const setup = (
    commit: (changes: FileChange[]) => Promise<Outcome[]>,
    maxBatch?: number,
    afterBatch?: () => Promise<void>,
  ) => {
    const lock = new RepoLock({ maxConcurrentReads: 1 });
    const batches: string[][] = [];
    const group = new GroupCommit({
      exclusive: (task) => lock.exclusive(task),
      commit: async (changes) => {
        batches.push(changes.map((change) => change.message));
        return commit(changes);
      },
      failed: (error) => new ExternalError(`failed: ${String(error)}`),
      unexpected: (error) => {
        throw error;
      },
      ...(maxBatch ? { maxBatch } : {}),
      ...(afterBatch ? { afterBatch } : {}),
    });
    return { group, batches, lock };
  };
  const accept = async (changes: FileChange[]): Promise<Outcome[]> =>
    changes.map(() => ({ result: { changed: true, sha: sha(1), attempts: 1, base: '' } }));
  const named = (message: string): FileChange => ({ write: [], remove: [], message });

  it('commits the change sets that wait together in one batch, in the order asked, at most maxBatch', async () => {
    const { group, batches, lock } = setup(accept, 2);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const busy = lock.exclusive(() => gate);
    const results = ['a', 'b', 'c', 'd', 'e'].map((message) => group.submit(named(message)));
    expect(group.waiting).toBe(5);
    release();
    await busy;
    await Promise.all(results);
    expect(batches).toEqual([['a', 'b'], ['c', 'd'], ['e']]);
    expect(group.waiting).toBe(0);
  });

  it('hands the next batch to git before the callers of the last one resume', async () => {
    const events: string[] = [];
    const { group } = setup(async (changes) => {
      events.push(`commit ${changes.map((c) => c.message).join(',')}`);
      // git takes a while: the next change set arrives meanwhile
      await new Promise((resolve) => setTimeout(resolve, 5));
      return accept(changes);
    });
    const first = group.submit(named('a')).then(() => events.push('a resumed'));
    await new Promise((resolve) => setTimeout(resolve, 1));
    const second = group.submit(named('b')).then(() => events.push('b resumed'));
    await Promise.all([first, second]);
    expect(events).toEqual(['commit a', 'commit b', 'a resumed', 'b resumed']);
  });

  it('runs afterBatch holding the repository, while the callers of the batch already resume', async () => {
    const events: string[] = [];
    let finishMaintenance!: () => void;
    const maintenance = new Promise<void>((resolve) => (finishMaintenance = resolve));
    const { group, lock } = setup(accept, undefined, async () => {
      events.push('maintenance started');
      await maintenance;
      events.push('maintenance done');
    });
    await group.submit(named('a'));
    events.push('a resumed');
    const later = lock.exclusive(async () => events.push('next holder'));
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(events).toEqual(['maintenance started', 'a resumed']);
    finishMaintenance();
    await later;
    expect(events).toEqual(['maintenance started', 'a resumed', 'maintenance done', 'next holder']);
  });

  it('settles each caller by its own outcome', async () => {
    const refused = new ConflictError('exists', { path: '/mustNotExist/0' });
    const { group } = setup(async (changes) =>
      changes.map((change) =>
        change.message === 'refused'
          ? { error: refused }
          : { result: { changed: true, sha: sha(1), attempts: 1, base: '' } },
      ),
    );
    const outcomes = await Promise.allSettled([group.submit(named('ok')), group.submit(named('refused'))]);
    expect(outcomes).toEqual([
      { status: 'fulfilled', value: { changed: true, sha: sha(1), attempts: 1, base: '' } },
      { status: 'rejected', reason: refused },
    ]);
  });

  it('rejects every caller of a batch that failed as a whole with the error `failed` makes', async () => {
    let failures = 1;
    const { group } = setup(async (changes) => {
      if (failures-- > 0) throw new Error('disk full');
      return accept(changes);
    });
    const outcomes = await Promise.allSettled([group.submit(named('a')), group.submit(named('b'))]);
    expect(outcomes.map((o) => (o as PromiseRejectedResult).reason.message)).toEqual([
      'failed: Error: disk full',
      'failed: Error: disk full',
    ]);
    // and the next one is committed as usual
    await expect(group.submit(named('c'))).resolves.toMatchObject({ changed: true });
  });
});
