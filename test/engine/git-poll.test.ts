/**
 * GitPoll: both repos fetched, the environments whose files changed woken, Argo CD asked to look
 * at once when a leader sees someone else's commit, every environment woken when the catalog
 * changed; one poll at a time, a failure logged. The repo view, the catalog and the refresher
 * are fakes that say what they were asked.
 */
import type { RepoName } from '../../src/gitops/types.js';
import { GitPoll } from '../../src/engine/git-poll.js';
import { recordingLogger } from './fakes.js';

function setup(options: {
  changed: Record<RepoName, string[]>;
  leader?: boolean;
  catalogChanged?: boolean;
  fails?: Error;
  gate?: Promise<void>;
}) {
  const log = recordingLogger();
  const woken: string[] = [];
  const requested: Array<[string, RepoName]> = [];
  const fetched: RepoName[] = [];
  const catalogHeads: string[] = [];
  const poll = new GitPoll({
    view: {
      refresh: async (repo) => {
        fetched.push(repo);
        await options.gate;
        if (options.fails) throw options.fails;
        return new Set(options.changed[repo]);
      },
      head: (repo) => `${repo}-head`,
      environments: () => ['a', 'b', 'c'],
    },
    catalog: {
      current: () => {
        throw new Error('not read by a poll');
      },
      refresh: async (head) => {
        catalogHeads.push(head);
        return options.catalogChanged ?? false;
      },
    },
    isLeader: () => options.leader ?? true,
    refresher: {
      request: (name, repo) => {
        requested.push([name, repo]);
        return [];
      },
    },
    changed: (name) => void woken.push(name),
    logger: log.logger,
  });
  return { poll, woken, requested, fetched, catalogHeads, log };
}

describe('GitPoll', () => {
  it.each<[string, Parameters<typeof setup>[0], string[], Array<[string, RepoName]>]>([
    ['nothing changed', { changed: { platform: [], apps: [] } }, [], []],
    [
      'someone else committed to both repos, seen by the leader',
      { changed: { platform: ['a'], apps: ['a', 'b'] } },
      ['a', 'b'],
      [
        ['a', 'platform'],
        ['a', 'apps'],
        ['b', 'apps'],
      ],
    ],
    [
      'the same, seen by a follower: no refresh asked',
      { changed: { platform: ['a'], apps: ['b'] }, leader: false },
      ['a', 'b'],
      [],
    ],
    [
      'the catalog changed: every environment',
      { changed: { platform: ['b'], apps: [] }, catalogChanged: true },
      ['b', 'a', 'c'],
      [['b', 'platform']],
    ],
  ])('%s', async (_, options, woken, requested) => {
    const run = setup(options);
    await run.poll.poll();
    expect(run.fetched).toEqual(['platform', 'apps']);
    expect(run.catalogHeads).toEqual(['platform-head']);
    expect(run.woken).toEqual(woken);
    expect(run.requested).toEqual(requested);
  });

  it('a poll while one is under way does nothing; the next one after it runs', async () => {
    let open!: () => void;
    const run = setup({
      changed: { platform: ['a'], apps: [] },
      gate: new Promise((resolve) => (open = resolve)),
    });
    const first = run.poll.poll();
    await run.poll.poll();
    expect(run.fetched).toEqual(['platform']);
    open();
    await first;
    await run.poll.poll();
    expect(run.fetched).toEqual(['platform', 'apps', 'platform', 'apps']);
    expect(run.woken).toEqual(['a', 'a']);
  });

  it('a failed fetch is logged and wakes nothing; the next poll runs', async () => {
    const run = setup({ changed: { platform: ['a'], apps: [] }, fails: new Error('remote hung up') });
    await run.poll.poll();
    expect(run.woken).toEqual([]);
    expect(run.log.lines.filter((line) => line.msg === 'git poll failed')).toHaveLength(1);
    await run.poll.poll();
    expect(run.fetched).toEqual(['platform', 'platform']);
  });
});
