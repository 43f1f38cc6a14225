import { changesOf } from '../../src/ui/logic/history.js';
import type { Commit } from '../../src/api/contract.js';

const at = (minute: number, second = 0) => new Date(Date.UTC(2025, 0, 1, 12, minute, second)).toISOString();
const commit = (repo: Commit['repo'], sha: string, message: string, date: string): Commit => ({
  repo,
  sha,
  message,
  date,
});

describe('changesOf', () => {
  it.each([
    {
      name: 'no commits: no changes',
      commits: [],
      expected: [],
    },
    {
      name: 'a create and the engine commits it led to, in both repos, newest first',
      commits: [
        commit('apps', 'c3', 'envcat: dev: wave 2, apps: web', at(3)),
        commit('platform', 'c2', 'envcat: dev: wave 1, infra: db', at(1, 30)),
        commit('platform', 'c1', 'envcat: create environment dev: db, web (by alice)', at(1)),
      ],
      expected: [{ title: 'Created', actor: 'alice', seconds: 120, shas: ['c3', 'c2', 'c1'] }],
    },
    {
      name: 'an update after it is a change of its own, with what it changed',
      commits: [
        commit('platform', 'u2', 'envcat: dev: wave 1, infra: db', at(10, 5)),
        commit('platform', 'u1', 'envcat: update environment dev (ttl; parameters): db (by bob)', at(10)),
        commit('platform', 'c2', 'envcat: dev: wave 1, infra: db', at(2)),
        commit('platform', 'c1', 'envcat: create environment dev: db (by alice)', at(1)),
      ],
      expected: [
        { title: 'Updated (ttl; parameters)', actor: 'bob', seconds: 5, shas: ['u2', 'u1'] },
        { title: 'Created', actor: 'alice', seconds: 60, shas: ['c2', 'c1'] },
      ],
    },
    {
      name: 'a commit made by hand starts a change; engine commits before any request are the engine’s',
      commits: [
        commit('platform', 'p1', 'envcat: dev: pin versions: db 1.0.0', at(6)),
        commit('platform', 'h1', 'Add dev by hand', at(5)),
        commit('platform', 'e1', 'envcat: dev: namespace and isolation', at(4)),
      ],
      expected: [
        { title: 'Committed to Git by hand', actor: undefined, seconds: 60, shas: ['p1', 'h1'] },
        { title: 'Reconciled by envcat', actor: undefined, seconds: 0, shas: ['e1'] },
      ],
    },
    {
      name: 'retry and delete are requests too',
      commits: [
        commit('platform', 'd1', 'envcat: delete environment dev (by carol)', at(9)),
        commit('platform', 'r1', 'envcat: retry environment dev (by carol)', at(8)),
      ],
      expected: [
        { title: 'Deletion requested', actor: 'carol', seconds: 0, shas: ['d1'] },
        { title: 'Retried', actor: 'carol', seconds: 0, shas: ['r1'] },
      ],
    },
  ])('$name', ({ commits, expected }) => {
    // GIVEN the status's commits WHEN grouped into changes
    const changes = changesOf(commits);
    // THEN each change, newest first, has its title, actor, duration and commits
    expect(
      changes.map((c) => ({
        title: c.title,
        actor: c.actor,
        seconds: c.seconds,
        shas: c.commits.map((x) => x.sha),
      })),
    ).toEqual(expected);
  });
});
