/**
 * The pure helpers of the REST API burst benchmark and of the bench's section selection.
 */
import { checkEnvironment } from '../../src/core/index.js';
import { builtInCatalog } from '../support/examples.js';
import {
  burstBenchConfig,
  changeSetsOf,
  compareNames,
  foldersUnder,
  loopBetween,
  repoLeftovers,
  summarizeCommits,
  summarizeRequests,
} from './api-burst-support.js';
import { BenchError } from './engine-support.js';
import { distribution } from './measure.js';
import { FAKE_API_KEY, FAKE_PASSWORD, threeInstanceRequestWithSecrets } from './requests.js';
import { integerSetting, selectedSections } from './sections.js';

describe('burstBenchConfig', () => {
  it('defaults to 200 environments, 600 s and the simulator delay of npm start', () => {
    expect(burstBenchConfig({})).toEqual({ environments: 200, timeoutSeconds: 600, simulatorDelay: '3s' });
  });

  it('reads its variables, and ENVCAT_BENCH_BURST=0 skips the section', () => {
    expect(
      burstBenchConfig({
        ENVCAT_BENCH_BURST_ENVS: '50',
        ENVCAT_BENCH_BURST_TIMEOUT_SECONDS: '90',
        ENVCAT_BENCH_BURST_SIMULATOR_DELAY: '500ms',
      }),
    ).toEqual({ environments: 50, timeoutSeconds: 90, simulatorDelay: '500ms' });
    expect(burstBenchConfig({ ENVCAT_BENCH_BURST: '0' })).toBeUndefined();
  });

  it.each([
    ['ENVCAT_BENCH_BURST_ENVS', '0', 'ENVCAT_BENCH_BURST_ENVS must be an integer of at least 1'],
    ['ENVCAT_BENCH_BURST_ENVS', '2.5', 'ENVCAT_BENCH_BURST_ENVS must be an integer of at least 1'],
    [
      'ENVCAT_BENCH_BURST_TIMEOUT_SECONDS',
      '5',
      'ENVCAT_BENCH_BURST_TIMEOUT_SECONDS must be an integer of at least 10',
    ],
    [
      'ENVCAT_BENCH_BURST_SIMULATOR_DELAY',
      'soon',
      'ENVCAT_BENCH_BURST_SIMULATOR_DELAY must be a duration such as 500ms, 3s or 1m',
    ],
  ])('%s=%s is a BenchError: %s', (variable, value, message) => {
    expect(() => burstBenchConfig({ [variable]: value })).toThrow(new BenchError(message));
  });
});

describe('selectedSections', () => {
  it.each([
    [undefined, ['core', 'engine', 'burst']],
    ['', ['core', 'engine', 'burst']],
    ['burst', ['burst']],
    [' core , burst ', ['core', 'burst']],
  ])('ENVCAT_BENCH_ONLY=%p runs %p', (only, expected) => {
    expect([...selectedSections(only === undefined ? {} : { ENVCAT_BENCH_ONLY: only })]).toEqual(expected);
  });

  it.each([
    ['render', 'ENVCAT_BENCH_ONLY must list sections among core, engine, burst; unknown: render'],
    [',', 'ENVCAT_BENCH_ONLY must list sections among core, engine, burst'],
  ])('ENVCAT_BENCH_ONLY=%p is a BenchError', (only, message) => {
    expect(() => selectedSections({ ENVCAT_BENCH_ONLY: only })).toThrow(new BenchError(message));
  });
});

describe('integerSetting', () => {
  it('takes the fallback when unset or empty, the value otherwise', () => {
    const options = { fallback: 7, min: 1 };
    expect(integerSetting({}, 'N', options)).toBe(7);
    expect(integerSetting({ N: '' }, 'N', options)).toBe(7);
    expect(integerSetting({ N: '12' }, 'N', options)).toBe(12);
  });
});

describe('summarizeRequests', () => {
  it('counts the expected status, groups the rest, and times every request that got a response', () => {
    // GIVEN three 201s, a 409 and one request with no answer
    const samples = [
      { ms: 10, status: 201 },
      { ms: 30, status: 201 },
      { ms: 20, status: 409 },
      { ms: 120_000, status: 'error' as const },
      { ms: 40, status: 201 },
    ];

    // WHEN they are summarized against 201
    const summary = summarizeRequests(samples, 201);

    // THEN the no-answer is counted but not timed
    expect(summary).toEqual({
      count: 5,
      answered: 3,
      byStatus: { '201': 3, '409': 1, error: 1 },
      latencyMs: distribution([10, 30, 20, 40]),
    });
    expect(summary.latencyMs).toMatchObject({ p50: 20, p95: 40, max: 40, mean: 25 });
  });

  it('has no latency when nothing answered', () => {
    expect(summarizeRequests([{ ms: 5, status: 'error' }], 201)).toEqual({
      count: 1,
      answered: 0,
      byStatus: { error: 1 },
    });
  });
});

describe('changeSetsOf and summarizeCommits', () => {
  it.each([
    ['envcat: create environment burst-0001: db (rds-postgres@1.0.0) (by admin)', 1],
    ['envcat: create environment burst-0001: db (rds-postgres@1.0.0) (by admin) (and 41 more)', 42],
    ['envcat: burst-0002: namespace and isolation (and 1 more)', 2],
    ['a subject mentioning (and 3 more) in the middle', 1],
  ])('%p carries %i change set(s)', (subject, sets) => {
    expect(changeSetsOf(subject)).toBe(sets);
  });

  it('adds them up and finds the largest group', () => {
    expect(summarizeCommits(['a', 'b (and 9 more)', 'c (and 2 more)'])).toEqual({
      commits: 3,
      changeSets: 14,
      maxPerCommit: 10,
    });
    expect(summarizeCommits([])).toEqual({ commits: 0, changeSets: 0, maxPerCommit: 0 });
  });
});

describe('foldersUnder, compareNames and repoLeftovers', () => {
  const platform = [
    'environments/burst-0000/environment.yaml',
    'environments/burst-0000/infra/db.yaml',
    'environments/burst-0001/environment.yaml',
    'environments/README',
    'namespaces/burst-0000/burst-0000',
    'catalogs/x/catalog.yaml',
  ];

  it('names the folders under a directory, not the files in it', () => {
    expect([...foldersUnder(platform, 'environments')].sort()).toEqual(['burst-0000', 'burst-0001']);
    expect(compareNames(['burst-0000', 'burst-0002'], foldersUnder(platform, 'environments'))).toEqual({
      missing: ['burst-0002'],
      extra: ['burst-0001'],
    });
  });

  it('reports environment files and namespace claims left in the platform repo, environments in the apps repo', () => {
    expect(
      repoLeftovers({
        platform,
        apps: ['environments/burst-0000/apps/app.yaml', 'README.md'],
      }),
    ).toEqual([
      'platform: environments/burst-0000/environment.yaml',
      'platform: environments/burst-0000/infra/db.yaml',
      'platform: environments/burst-0001/environment.yaml',
      'platform: environments/README',
      'platform: namespaces/burst-0000/burst-0000',
      'apps: environments/burst-0000/apps/app.yaml',
    ]);
    expect(repoLeftovers({ platform: ['catalogs/x/catalog.yaml'], apps: ['README.md'] })).toEqual([]);
  });
});

describe('loopBetween', () => {
  it('is the busy share between two cumulative reports, with the delay of the second', () => {
    const report = (active: number, idle: number, delayP99Ms: number, delayMaxMs: number) => ({
      utilization: { active, idle, utilization: active / (active + idle) },
      delayP99Ms,
      delayMaxMs,
    });
    expect(loopBetween(report(100, 900, 1, 2), report(400, 1_600, 12, 80))).toEqual({
      utilization: 0.3,
      delayP99Ms: 12,
      delayMaxMs: 80,
    });
  });
});

describe('threeInstanceRequestWithSecrets', () => {
  it('is valid, three instances in two waves, a secret parameter in each', async () => {
    // WHEN the request is checked against the built-in catalog
    const check = checkEnvironment(threeInstanceRequestWithSecrets('burst-0000'), await builtInCatalog());

    // THEN it has no problem: the database in the infra wave, then monitoring and app (fed by db.endpoint)
    expect(check.problems).toEqual([]);
    const instances = check.environment!.instances;
    expect(instances.map((i) => [i.name, Object.keys(i.secrets)])).toEqual([
      ['db', ['masterPassword']],
      ['monitoring', ['apiKey']],
      ['app', ['databasePassword']],
    ]);
    expect(check.plan!.waves.map((w) => [w.part, w.steps])).toEqual([
      ['infra', ['db/infra']],
      ['apps', ['monitoring/apps', 'app/apps']],
    ]);
    expect(JSON.stringify(threeInstanceRequestWithSecrets('x'))).toContain(FAKE_PASSWORD);
    expect(JSON.stringify(threeInstanceRequestWithSecrets('x'))).toContain(FAKE_API_KEY);
  });
});
