/**
 * core environmentHistory: the changes an environment's commits make, and the phases each went
 * through, replayed from commit times and the steps' transition times.
 */
import { environmentHistory, type CurrentStatus, type HistoryCommit } from '../../../src/core/index.js';

/** Seconds after 12:00:00 as an ISO time with an offset, as `git log --format=%aI` prints it. */
const at = (seconds: number) =>
  new Date(Date.UTC(2025, 0, 1, 12, 0, 0) + seconds * 1000).toISOString().replace(/\.000Z$/, '+00:00');
const iso = (seconds: number) => new Date(Date.UTC(2025, 0, 1, 12, 0, 0) + seconds * 1000).toISOString();
let sha = 0;
const commit = (repo: HistoryCommit['repo'], message: string, seconds: number): HistoryCommit => ({
  repo,
  sha: `c${++sha}`,
  message,
  date: at(seconds),
});
/** Newest first, as the status lists them. */
const newestFirst = (...commits: HistoryCommit[]) => [...commits].reverse();

const CREATE = [
  commit('platform', 'envcat: create environment dev: db, app (by alice)', 0),
  commit('platform', 'envcat: dev: namespace and isolation', 0),
  commit('platform', 'envcat: dev: wave 1, infrastructure: db (rds-postgres@1.0.0)', 1),
  commit('apps', 'envcat: dev: wave 2, applications: app (sample-app@1.0.0)', 9),
];

const status = (
  phase: CurrentStatus['phase'],
  steps: Array<[string, 'infra' | 'apps', CurrentStatus['steps'][number]['phase'], number?]>,
  observed = 30,
): CurrentStatus => ({
  phase,
  steps: steps.map(([instance, part, p, since]) => ({
    instance,
    part,
    phase: p,
    ...(since === undefined ? {} : { lastTransitionTime: iso(since) }),
  })),
  observedAt: iso(observed),
});

describe('environmentHistory: the changes', () => {
  it.each([
    { name: 'no commits: no changes', commits: [], expected: [] },
    {
      name: 'a create and the engine commits it led to, in both repos, newest first',
      commits: newestFirst(...CREATE),
      expected: [{ title: 'Created', actor: 'alice', seconds: 9, commits: 4 }],
    },
    {
      name: 'an update after it is a change of its own, with what it changed',
      commits: newestFirst(
        ...CREATE,
        commit('platform', 'envcat: update environment dev (ttl; parameters): db (by bob)', 100),
        commit('platform', 'envcat: dev: update, infrastructure: db (rds-postgres@1.0.0)', 105),
      ),
      expected: [
        { title: 'Updated (ttl; parameters)', actor: 'bob', seconds: 5, commits: 2 },
        { title: 'Created', actor: 'alice', seconds: 9, commits: 4 },
      ],
    },
    {
      name: 'a commit made by hand starts a change; engine commits before any request are the engine’s',
      commits: newestFirst(
        commit('platform', 'envcat: dev: namespace and isolation', 4),
        commit('platform', 'Add dev by hand', 5),
        commit('platform', 'envcat: dev: pin versions: db 1.0.0', 6),
      ),
      expected: [
        { title: 'Committed to Git by hand', actor: undefined, seconds: 1, commits: 2 },
        { title: 'Reconciled by envcat', actor: undefined, seconds: 0, commits: 1 },
      ],
    },
    {
      name: 'every request envcat makes is named: roll back, the ttl, retry, delete',
      commits: newestFirst(
        commit('platform', 'envcat: roll back environment dev: db rds-postgres 1.1.0 → 1.0.0 (by carol)', 1),
        commit('platform', 'envcat: set the ttl to 48h of environment dev (by carol)', 2),
        commit('platform', 'envcat: remove the ttl of environment dev (by carol)', 3),
        commit('platform', 'envcat: retry environment dev (by carol)', 4),
        commit('platform', 'envcat: delete environment dev (by carol)', 5),
      ),
      expected: [
        { title: 'Deletion requested', actor: 'carol', seconds: 0, commits: 1 },
        { title: 'Retried', actor: 'carol', seconds: 0, commits: 1 },
        { title: 'TTL removed', actor: 'carol', seconds: 0, commits: 1 },
        { title: 'TTL set to 48h', actor: 'carol', seconds: 0, commits: 1 },
        { title: 'Rolled back', actor: 'carol', seconds: 0, commits: 1 },
      ],
    },
  ])('$name', ({ commits, expected }) => {
    // GIVEN the status's commits WHEN grouped into changes
    const { changes } = environmentHistory({ commits });
    // THEN each change, newest first, has its title, actor, duration and commits
    expect(
      changes.map((c) => ({ title: c.title, actor: c.actor, seconds: c.seconds, commits: c.commits.length })),
    ).toEqual(expected);
  });

  it('lists each change’s commits newest first, by repo and sha', () => {
    const { changes } = environmentHistory({ commits: newestFirst(...CREATE) });
    expect(changes[0]!.commits).toEqual([...CREATE].reverse().map((c) => ({ repo: c.repo, sha: c.sha })));
  });
});

describe('environmentHistory: the phases of the latest change, from commit times and step transition times', () => {
  it.each([
    {
      name: 'a create, Ready: each phase from the request to Ready, with how long it lasted',
      commits: CREATE,
      status: status('Ready', [
        ['db', 'infra', 'Ready', 8],
        ['app', 'apps', 'Ready', 15],
      ]),
      expected: [
        ['Creating', 0, 1],
        ['ProvisioningInfrastructure', 1, 7],
        ['InfrastructureReady', 8, 1],
        ['DeployingApplications', 9, 6],
        ['Ready', 15, undefined],
      ],
    },
    {
      name: 'the engine’s commit in the request’s own second: Creating for 0s, then the infrastructure',
      commits: [
        commit('platform', 'envcat: create environment dev: db, app (by alice)', 0),
        commit('platform', 'envcat: dev: wave 1, infrastructure: db (rds-postgres@1.0.0)', 0),
        commit('apps', 'envcat: dev: wave 2, applications: app (sample-app@1.0.0)', 3),
      ],
      status: status('Ready', [
        ['db', 'infra', 'Ready', 2],
        ['app', 'apps', 'Ready', 5],
      ]),
      expected: [
        ['Creating', 0, 0],
        ['ProvisioningInfrastructure', 0, 2],
        ['InfrastructureReady', 2, 1],
        ['DeployingApplications', 3, 2],
        ['Ready', 5, undefined],
      ],
    },
    {
      name: 'a create under way: the phase it is in has no duration yet',
      commits: CREATE.slice(0, 3),
      status: status('ProvisioningInfrastructure', [
        ['db', 'infra', 'Progressing', 1],
        ['app', 'apps', 'Pending'],
      ]),
      expected: [
        ['Creating', 0, 1],
        ['ProvisioningInfrastructure', 1, undefined],
      ],
    },
    {
      name: 'a create that failed: Failed when the controller said so',
      commits: CREATE.slice(0, 3),
      status: status('Failed', [
        ['db', 'infra', 'Failed', 5],
        ['app', 'apps', 'Pending'],
      ]),
      expected: [
        ['Creating', 0, 1],
        ['ProvisioningInfrastructure', 1, 4],
        ['Failed', 5, undefined],
      ],
    },
    {
      name: 'a Ready time older than the step’s commit (a condition that did not change) counts from the commit',
      commits: CREATE,
      status: status('Ready', [
        ['db', 'infra', 'Ready', 8],
        ['app', 'apps', 'Ready', 3],
      ]),
      expected: [
        ['Creating', 0, 1],
        ['ProvisioningInfrastructure', 1, 7],
        ['InfrastructureReady', 8, 1],
        ['Ready', 9, undefined],
      ],
    },
    {
      name: 'an update of the infrastructure, then the app that reads it',
      commits: [
        ...CREATE,
        commit('platform', 'envcat: update environment dev (parameters): db (by bob)', 100),
        commit('platform', 'envcat: dev: update, infrastructure: db (rds-postgres@1.0.0)', 101),
        commit('apps', 'envcat: dev: update, applications: app (sample-app@1.0.0)', 110),
      ],
      status: status(
        'Ready',
        [
          ['db', 'infra', 'Ready', 108],
          ['app', 'apps', 'Ready', 115],
        ],
        120,
      ),
      expected: [
        ['ProvisioningInfrastructure', 100, 8],
        ['DeployingApplications', 108, 7],
        ['Ready', 115, undefined],
      ],
    },
    {
      name: 'an update of the app alone: the infrastructure stays Ready',
      commits: [
        ...CREATE,
        commit('platform', 'envcat: update environment dev (parameters): app (by bob)', 100),
        commit('apps', 'envcat: dev: update, applications: app (sample-app@1.0.0)', 101),
      ],
      status: status(
        'Ready',
        [
          ['db', 'infra', 'Ready', 8],
          ['app', 'apps', 'Ready', 104],
        ],
        120,
      ),
      expected: [
        ['DeployingApplications', 100, 4],
        ['Ready', 104, undefined],
      ],
    },
    {
      name: 'a change that commits no step (the ttl): Ready throughout',
      commits: [...CREATE, commit('platform', 'envcat: set the ttl to 48h of environment dev (by bob)', 100)],
      status: status(
        'Ready',
        [
          ['db', 'infra', 'Ready', 8],
          ['app', 'apps', 'Ready', 15],
        ],
        120,
      ),
      expected: [['Ready', 100, undefined]],
    },
    {
      name: 'a retry of a failed database: converging from the retry until Ready',
      commits: [...CREATE.slice(0, 3), commit('platform', 'envcat: retry environment dev (by bob)', 50)],
      status: status(
        'InfrastructureReady',
        [
          ['db', 'infra', 'Ready', 55],
          ['app', 'apps', 'Pending'],
        ],
        56,
      ),
      expected: [
        ['ProvisioningInfrastructure', 50, 5],
        ['InfrastructureReady', 55, undefined],
      ],
    },
    {
      name: 'a deletion asked for: Deleting from its commit',
      commits: [...CREATE, commit('platform', 'envcat: delete environment dev (by bob)', 200)],
      status: status('Deleting', [['db', 'infra', 'Deleting', 201]], 210),
      expected: [['Deleting', 200, undefined]],
    },
    {
      name: 'a deletion the ttl began: Deleting from when it expired',
      commits: CREATE,
      status: status('Deleting', [['db', 'infra', 'Deleting', 3601]], 3700),
      expiresAt: iso(3600),
      expected: [['Deleting', 3600, undefined]],
    },
    {
      name: 'an invalid request committed by hand: Invalid from its commit',
      commits: [commit('platform', 'Add dev by hand', 7)],
      status: status('Invalid', [], 9),
      expected: [['Invalid', 7, undefined]],
    },
  ])('$name', ({ commits, status: now, expiresAt, expected }) => {
    // GIVEN the commits and the status now WHEN the history is derived
    const { transitions, changes } = environmentHistory({
      commits: [...commits].reverse(),
      status: now,
      ...(expiresAt ? { expiresAt } : {}),
    });
    // THEN the latest change went through these phases, entered at these times, for these seconds
    expect(
      transitions.map((p) => [p.phase, (Date.parse(p.at) - Date.parse(iso(0))) / 1000, p.seconds]),
    ).toEqual(expected);
    expect(changes[0]!.phases).toEqual(transitions);
    // …and the last one is the phase the status is in
    expect(transitions.at(-1)!.phase).toBe(now.phase);
  });
});

describe('environmentHistory: the phases of an earlier change, from its commits alone', () => {
  it('bounds each step’s Ready by the next commit the engine made for the change; the last phase has no end', () => {
    // GIVEN a create, then an update (the latest change, which has the cluster's times)
    const commits = [
      ...CREATE,
      commit('platform', 'envcat: update environment dev (parameters): db (by bob)', 100),
    ];
    const { changes } = environmentHistory({
      commits: [...commits].reverse(),
      status: status('Ready', [
        ['db', 'infra', 'Ready', 8],
        ['app', 'apps', 'Ready', 15],
      ]),
    });
    // THEN the create's phases are those its commits show, the last one without a known end
    expect(changes[1]!.phases).toEqual([
      { phase: 'Creating', at: iso(0), seconds: 1 },
      { phase: 'ProvisioningInfrastructure', at: iso(1), seconds: 8 },
      { phase: 'DeployingApplications', at: iso(9) },
    ]);
  });

  it('says nothing of an earlier change that committed no step', () => {
    const commits = [
      ...CREATE,
      commit('platform', 'envcat: retry environment dev (by bob)', 50),
      commit('platform', 'envcat: set the ttl to 1h of environment dev (by bob)', 60),
    ];
    const { changes } = environmentHistory({ commits: [...commits].reverse() });
    expect(changes.map((c) => [c.title, c.phases.length])).toEqual([
      ['TTL set to 1h', 0],
      ['Retried', 0],
      ['Created', 3],
    ]);
  });
});
