/**
 * RepoView: the engine's view of both repos, on fake repos whose head and files the test sets
 * (and can change while a read is under way).
 */
import type { ResolvedEnvironment, Step } from '../../src/core/index.js';
import type { CommitInfo } from '../../src/gitops/types.js';
import { RepoView } from '../../src/engine/repo-view.js';
import { planStep } from './fakes.js';

const sha = (c: string) => c.repeat(40);

/** A fake repo: a head and files; `duringRead` runs once, in the middle of the next readTree. */
function fakeRepo(files: Record<string, string> = {}) {
  const repo = {
    head: sha('1'),
    files: new Map(Object.entries(files)),
    reads: 0,
    duringRead: undefined as (() => void) | undefined,
    logs: [] as Array<{ path: string; commits: CommitInfo[] }>,
    sync: async () => repo.head,
    readTree: async (prefix: string) => {
      repo.reads++;
      const run = repo.duringRead;
      repo.duringRead = undefined;
      run?.();
      return new Map([...repo.files].filter(([path]) => path.startsWith(prefix)));
    },
    log: async (path: string) => repo.logs.find((l) => l.path === path)?.commits ?? [],
  };
  return repo;
}

function setup(platformFiles: Record<string, string> = {}, appsFiles: Record<string, string> = {}) {
  const platform = fakeRepo(platformFiles);
  const apps = fakeRepo(appsFiles);
  const heads: string[] = [];
  const view = new RepoView({ platform, apps, onAppsHead: (head) => heads.push(head) });
  return { view, platform, apps, heads };
}

const REQUEST = 'kind: Environment\n';
const env = { name: 'dev' } as ResolvedEnvironment;
const step = (part: 'infra' | 'apps', instance: string): Step => planStep(instance, part);

describe('RepoView', () => {
  it('knows the environments of both repos and of the claims, and their requests', async () => {
    const { view, heads } = setup(
      {
        'environments/dev/environment.yaml': REQUEST,
        'environments/dev/infra/db.yaml': 'kind: Workspace\n',
        'namespaces/team/orphan': '# claim\n',
      },
      { 'environments/stale/apps/web.yaml': 'kind: Application\n' },
    );
    expect([...(await view.refresh('platform'))].sort()).toEqual(['dev', 'orphan']);
    expect([...(await view.refresh('apps'))]).toEqual(['stale']);
    expect(heads).toEqual([sha('1')]);
    expect(view.environments()).toEqual(['dev', 'orphan', 'stale']);
    expect(view.environmentSource('dev')).toBe(REQUEST);
    expect(view.namespaceOwner('team')).toBe('orphan');
    expect(view.claimsOf('orphan')).toEqual(['namespaces/team/orphan']);
    expect(view.isCommitted(env, step('infra', 'db'))).toBe(true);
    expect(view.isCommitted(env, step('apps', 'db'))).toBe(false);
  });

  it('reads a repo again only when its head moved', async () => {
    const { view, platform } = setup({ 'environments/dev/environment.yaml': REQUEST });
    await view.refresh('platform');
    expect(await view.refresh('platform')).toEqual(new Set());
    expect(platform.reads).toBe(2); // environments/ and namespaces/, once
    platform.head = sha('2');
    platform.files.set('environments/new/environment.yaml', REQUEST);
    expect([...(await view.refresh('platform'))]).toEqual(['new']);
  });

  it('applies its own commit at once, and moves the head when the commit was made on it', async () => {
    const { view, platform } = setup();
    await view.refresh('platform');
    const change = { write: [{ path: 'environments/dev/infra/db.yaml', content: 'x' }], remove: [] };
    const before = view.fileVersion('dev');
    expect(
      view.noteOwnCommit('platform', change, { changed: true, sha: sha('2'), attempts: 1, base: sha('1') }),
    ).toBe(true);
    expect(view.isCommitted(env, step('infra', 'db'))).toBe(true);
    expect(view.fileVersion('dev')).not.toBe(before);
    expect(view.head('platform')).toBe(sha('2'));
    // THEN the next poll at that head reads nothing again
    platform.head = sha('2');
    const reads = platform.reads;
    await view.refresh('platform');
    expect(platform.reads).toBe(reads);
  });

  it.each([
    ['made on a head it had not read', { changed: true, sha: sha('3'), attempts: 1, base: sha('2') }, true],
    ['a no-op on a head it had not read', { changed: false, sha: sha('2'), attempts: 1 }, false],
  ])('reads the whole repo again after a commit %s', async (_name, result, changed) => {
    const { view, platform } = setup();
    await view.refresh('platform');
    const change = { write: [{ path: 'environments/dev/environment.yaml', content: REQUEST }], remove: [] };
    expect(view.noteOwnCommit('platform', change, result)).toBe(changed);
    expect(view.head('platform')).toBe(sha('1'));
    // WHEN polled with the head unchanged THEN it reads again anyway, to get the other commit
    const reads = platform.reads;
    await view.refresh('platform');
    expect(platform.reads).toBeGreaterThan(reads);
  });

  it('keeps a commit noted while a read is under way, and reads again at the next poll', async () => {
    const { view, platform } = setup();
    await view.refresh('platform');
    platform.head = sha('2');
    // GIVEN the API commits a new environment while the read (of the older tree) is under way
    const file = { path: 'environments/fresh/environment.yaml', content: REQUEST };
    platform.duringRead = () =>
      void view.noteCommit(
        'platform',
        { write: [file], remove: [] },
        { changed: true, sha: sha('3'), attempts: 1 },
      );
    await view.refresh('platform');
    // THEN the fresh environment is not lost, and the next poll reads again
    expect(view.environmentSource('fresh')).toBe(REQUEST);
    const reads = platform.reads;
    await view.refresh('platform');
    expect(platform.reads).toBeGreaterThan(reads);
  });

  it('returns the environments a noted commit touched, claims kept apart', async () => {
    const { view, heads } = setup();
    const touched = view.noteCommit(
      'apps',
      { write: [{ path: 'environments/a/apps/web.yaml', content: 'x' }], remove: ['environments/b/'] },
      { changed: true, sha: sha('9'), attempts: 1 },
    );
    expect([...touched].sort()).toEqual(['a', 'b']);
    expect(heads).toEqual([sha('9')]);
    view.noteCommit(
      'platform',
      { write: [{ path: 'namespaces/team/a', content: '# claim\n' }], remove: [] },
      { changed: true, sha: sha('8'), attempts: 1 },
    );
    expect(view.namespaceOwner('team')).toBe('a');
  });

  it("versions a step's files: its own file and, for apps, its manifests", async () => {
    const { view, apps } = setup(
      {},
      {
        'environments/dev/apps/web.yaml': 'kind: Application\n',
        'environments/dev/apps/web/deploy.yaml': 'v1',
        'environments/dev/apps/webhook.yaml': 'kind: Application\n',
      },
    );
    await view.refresh('apps');
    const web = step('apps', 'web');
    const before = view.stepFilesVersion('dev', web);
    const hook = view.stepFilesVersion('dev', step('apps', 'webhook'));
    const write = (path: string) =>
      view.noteOwnCommit(
        'apps',
        { write: [{ path, content: 'v2' }], remove: [] },
        { changed: true, sha: sha('2'), attempts: 1 },
      );
    // WHEN another step's file changes THEN web's version stays
    write('environments/dev/apps/webhook.yaml');
    expect(view.stepFilesVersion('dev', web)).toBe(before);
    expect(view.stepFilesVersion('dev', step('apps', 'webhook'))).not.toBe(hook);
    // WHEN one of its manifests changes THEN it moves
    write('environments/dev/apps/web/deploy.yaml');
    const written = view.stepFilesVersion('dev', web);
    expect(written).not.toBe(before);
    // WHEN someone else changes a manifest, read at the next refresh THEN it moves again
    apps.files.set('environments/dev/apps/web/deploy.yaml', 'v3');
    apps.head = sha('3');
    await view.refresh('apps');
    expect(view.stepFilesVersion('dev', web)).not.toBe(written);
    expect(view.stepFilesVersion('dev', web)).not.toBe(before);
  });

  it('lists the commits of an environment in both repos, newest first, each message about it alone', async () => {
    const { view, platform, apps } = setup();
    const commit = (s: string, date: string, message: string): CommitInfo => ({
      sha: sha(s),
      message,
      author: 'x',
      date,
    });
    platform.logs.push({
      path: 'environments/dev/',
      commits: [
        commit(
          '2',
          '2026-03-01T10:02:00Z',
          'envcat: 2 environments (and 1 more)\n\nenvcat: dev: wave 1, infrastructure: db\n\nenvcat: qa: wave 1, infrastructure: db',
        ),
      ],
    });
    apps.logs.push({
      path: 'environments/dev/',
      commits: [commit('3', '2026-03-01T10:03:00Z', 'envcat: dev: wave 2')],
    });
    expect(await view.commits('dev')).toEqual([
      { repo: 'apps', sha: sha('3'), message: 'envcat: dev: wave 2', date: '2026-03-01T10:03:00Z' },
      {
        repo: 'platform',
        sha: sha('2'),
        message: 'envcat: dev: wave 1, infrastructure: db',
        date: '2026-03-01T10:02:00Z',
      },
    ]);
  });

  it('reads the history from Git once per change of the environment, and shares one read', async () => {
    // GIVEN an environment with one commit, and repos that count their logs
    const { view, platform } = setup();
    let logs = 0;
    const log = platform.log;
    platform.log = async (path: string) => {
      logs++;
      return log(path);
    };
    const first: CommitInfo = {
      sha: sha('2'),
      message: 'envcat: dev: wave 1',
      author: 'x',
      date: '2026-03-01T10:02:00Z',
    };
    platform.logs.push({ path: 'environments/dev/', commits: [first] });
    // WHEN it is asked three times, two of them at once
    const [a, b] = await Promise.all([view.commits('dev'), view.commits('dev')]);
    const c = await view.commits('dev');
    // THEN Git was read once, and all three answers agree
    expect(logs).toBe(1);
    expect(b).toEqual(a);
    expect(c).toEqual(a);
    // WHEN a commit touches another environment, nothing is read again
    view.noteCommit(
      'platform',
      { write: [{ path: 'environments/qa/environment.yaml', content: 'x' }], remove: [] },
      { changed: true, sha: sha('3'), attempts: 1 },
    );
    await view.commits('dev');
    expect(logs).toBe(1);
    // WHEN a commit touches this one, the next ask reads Git and sees it
    const second: CommitInfo = {
      sha: sha('4'),
      message: 'envcat: dev: wave 2',
      author: 'x',
      date: '2026-03-01T10:04:00Z',
    };
    platform.logs[0]!.commits.unshift(second);
    view.noteCommit(
      'platform',
      { write: [{ path: 'environments/dev/infra/db.yaml', content: 'x' }], remove: [] },
      { changed: true, sha: sha('4'), attempts: 1 },
    );
    expect((await view.commits('dev')).map((commit) => commit.sha)).toEqual([sha('4'), sha('2')]);
    expect(logs).toBe(2);
  });

  it('adds the commits this process makes to a history it read, without reading Git again', async () => {
    // GIVEN dev's history read once (one platform commit), on repos that count their logs
    const { view, platform, apps } = setup({ 'environments/dev/environment.yaml': REQUEST });
    await view.refresh('platform');
    await view.refresh('apps');
    let logs = 0;
    for (const repo of [platform, apps]) {
      const log = repo.log;
      repo.log = async (path: string) => {
        logs++;
        return log(path);
      };
    }
    const info = (s: string, minute: number, message: string): CommitInfo => ({
      sha: sha(s),
      message,
      author: 'x',
      date: `2026-03-01T10:0${minute}:00Z`,
    });
    platform.logs.push({ path: 'environments/dev/', commits: [info('2', 1, 'envcat: create dev')] });
    await view.commits('dev');
    expect(logs).toBe(2);
    const write = (path: string) => ({ write: [{ path, content: 'x\n' }], remove: [] });
    const made = (s: string, minute: number, base: string, paths: string[], message: string) => ({
      changed: true,
      sha: sha(s),
      attempts: 1,
      base,
      commit: { ...info(s, minute, message), paths },
    });

    // WHEN the engine commits a wave of dev into apps, grouped with another environment's
    view.noteOwnCommit(
      'apps',
      write('environments/dev/apps/web.yaml'),
      made(
        '3',
        2,
        sha('1'),
        ['environments/dev/apps/web.yaml', 'environments/qa/apps/web.yaml'],
        'envcat: dev: wave 2 (and 1 more)\n\nenvcat: dev: wave 2\n\nenvcat: qa: wave 2',
      ),
    );
    // … and the API commits dev's deletion request into platform, on the head the view knows
    view.noteCommit(
      'platform',
      write('environments/dev/environment.yaml'),
      made('4', 3, sha('1'), ['environments/dev/environment.yaml'], 'envcat: delete environment dev'),
    );
    // … and a commit of dev's change set changes only its namespace claim
    view.noteOwnCommit(
      'platform',
      {
        write: [
          { path: 'environments/dev/namespace.yaml', content: 'x' },
          ...write('namespaces/dev/dev').write,
        ],
        remove: [],
      },
      made('5', 4, sha('4'), ['namespaces/dev/dev'], 'envcat: dev: namespace and isolation'),
    );

    // THEN the history shows both commits that touched dev, as git log would, and Git was not read
    expect(await view.commits('dev')).toEqual([
      {
        repo: 'platform',
        sha: sha('4'),
        message: 'envcat: delete environment dev',
        date: '2026-03-01T10:03:00Z',
      },
      { repo: 'apps', sha: sha('3'), message: 'envcat: dev: wave 2', date: '2026-03-01T10:02:00Z' },
      { repo: 'platform', sha: sha('2'), message: 'envcat: create dev', date: '2026-03-01T10:01:00Z' },
    ]);
    expect(logs).toBe(2);

    // WHEN a commit of ours was made on a head the view did not know (someone else committed)
    view.noteOwnCommit(
      'platform',
      write('environments/dev/infra/db.yaml'),
      made('7', 5, sha('6'), ['environments/dev/infra/db.yaml'], 'envcat: dev: wave 1'),
    );
    // THEN the history is read again
    await view.commits('dev');
    expect(logs).toBe(4);
    // … and so it is after a commit on the known head that could not be described
    view.noteOwnCommit('platform', write('environments/dev/infra/db.yaml'), {
      changed: true,
      sha: sha('8'),
      attempts: 1,
      base: sha('5'),
    });
    await view.commits('dev');
    expect(logs).toBe(6);
  });

  it('does not keep a failed read of the history', async () => {
    const { view, platform } = setup();
    let fail = true;
    const log = platform.log;
    platform.log = async (path: string) => {
      if (fail) throw new Error('git log failed');
      return log(path);
    };
    await expect(view.commits('dev')).rejects.toThrow('git log failed');
    fail = false;
    await expect(view.commits('dev')).resolves.toEqual([]);
  });
});
