/**
 * Simulator controls (CONTROLLERS.md, Controls): the pure parsing of the `simulator.envcat.io/<instance>`
 * annotation, and the source that reads it from environment.yaml in the platform repo.
 */
import {
  parseControlValue,
  parseControls,
  parseDelay,
  parseEnvironmentControls,
  RepoControlSource,
  type SimulatorControls,
} from '../../src/simulator/index.js';
import type { GitOpsRepo } from '../../src/gitops/index.js';
import { commit, createRepos, createSandbox, recordingLogger, type Sandbox } from './support.js';

describe('parseDelay', () => {
  it.each([
    ['3s', 3_000],
    ['1m30s', 90_000],
    ['2h', 7_200_000],
    ['250ms', 250],
    ['0s', 0],
    ['3', undefined],
    ['3 seconds', undefined],
    ['1.5s', undefined],
    ['', undefined],
  ])('GIVEN %j THEN %j ms', (text, expected) => {
    expect(parseDelay(text)).toBe(expected);
  });
});

describe('parseControlValue', () => {
  it.each<[string, string, SimulatorControls | { problem: string }]>([
    [
      'every control',
      '{"delay": "3s", "failApply": "quota exceeded", "failDestroy": "bucket not empty", "neverReady": true}',
      { delayMs: 3_000, failApply: 'quota exceeded', failDestroy: 'bucket not empty', neverReady: true },
    ],
    ['a subset', '{"failApply": "boom"}', { failApply: 'boom' }],
    [
      'the apps controls',
      '{"syncError": "quota", "comparisonError": "chart 9.9.9 not found", "degraded": "deadline exceeded"}',
      { syncError: 'quota', comparisonError: 'chart 9.9.9 not found', degraded: 'deadline exceeded' },
    ],
    ['an empty syncError', '{"syncError": ""}', { problem: 'syncError must be a non-empty message' }],
    ['a delay in ms', '{"delay": "150ms"}', { delayMs: 150 }],
    ['neverReady false', '{"neverReady": false}', {}],
    ['an empty object', '{}', {}],
    ['invalid JSON', '{delay: 3s}', { problem: 'is not valid JSON' }],
    ['an array', '["delay"]', { problem: 'must be a JSON object' }],
    ['a string', '"3s"', { problem: 'must be a JSON object' }],
    ['null', 'null', { problem: 'must be a JSON object' }],
    ['an unknown field', '{"delay": "1s", "explode": true}', { problem: 'unknown field(s): explode' }],
    [
      'a delay that is not a duration',
      '{"delay": "soon"}',
      { problem: 'delay must be a duration such as "3s", "1m30s" or "250ms"' },
    ],
    [
      'a delay as a number',
      '{"delay": 3}',
      { problem: 'delay must be a duration such as "3s", "1m30s" or "250ms"' },
    ],
    ['an empty failApply', '{"failApply": " "}', { problem: 'failApply must be a non-empty message' }],
    [
      'failDestroy not a string',
      '{"failDestroy": 1}',
      { problem: 'failDestroy must be a non-empty message' },
    ],
    ['neverReady not a boolean', '{"neverReady": "yes"}', { problem: 'neverReady must be true or false' }],
  ])('GIVEN %s THEN the controls or the problem', (_case, text, expected) => {
    expect(parseControlValue(text)).toEqual(expected);
  });
});

describe('parseControls', () => {
  it('GIVEN annotations of several instances and others THEN one entry per valid instance, a problem per invalid one', () => {
    // WHEN
    const parsed = parseControls({
      'simulator.envcat.io/db': '{"delay": "2s"}',
      'simulator.envcat.io/app': '{"neverReady": true}',
      'simulator.envcat.io/broken': 'not json',
      'simulator.envcat.io/': '{"delay": "1s"}',
      'envcat.io/owner': 'team-a',
    });
    // THEN
    expect([...parsed.byInstance]).toEqual([
      ['db', { delayMs: 2_000 }],
      ['app', { neverReady: true }],
    ]);
    expect(parsed.problems).toEqual([
      { instance: 'broken', message: 'simulator.envcat.io/broken is not valid JSON' },
    ]);
  });

  it('GIVEN no annotations THEN nothing', () => {
    expect(parseControls(undefined)).toEqual({ byInstance: new Map(), problems: [] });
  });
});

describe('parseEnvironmentControls', () => {
  it.each<[string, string, Array<[string, SimulatorControls]>, number]>([
    [
      'an Environment with a control',
      [
        'apiVersion: envcat.io/v1alpha1',
        'kind: Environment',
        'metadata:',
        '  name: dev',
        '  annotations:',
        '    simulator.envcat.io/db: \'{"failApply": "no capacity"}\'',
        'spec: { type: pre-release, catalogs: [] }',
      ].join('\n'),
      [['db', { failApply: 'no capacity' }]],
      0,
    ],
    ['an Environment without annotations', 'metadata: { name: dev }\n', [], 0],
    ['invalid YAML', 'metadata: [\n', [], 1],
    ['an empty document', '', [], 0],
  ])('GIVEN %s', (_case, text, controls, problems) => {
    const parsed = parseEnvironmentControls(text);
    expect([...parsed.byInstance]).toEqual(controls);
    expect(parsed.problems).toHaveLength(problems);
  });
});

describe('RepoControlSource', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await createSandbox('controls');
  });
  afterAll(() => sandbox.cleanup());

  const environment = (annotations: Record<string, string>) =>
    [
      'apiVersion: envcat.io/v1alpha1',
      'kind: Environment',
      'metadata:',
      '  name: dev',
      '  annotations:',
      ...Object.entries(annotations).map(([k, v]) => `    ${k}: '${v}'`),
      'spec: { type: pre-release, catalogs: [] }',
      '',
    ].join('\n');

  it('reads the controls committed last, warns once about an invalid one, and keeps the last seen when the file is gone', async () => {
    // GIVEN
    const repos = await createRepos(sandbox);
    const log = recordingLogger();
    const source = new RepoControlSource({ repo: repos.reader('platform'), logger: log.logger });
    await commit(repos.platform, {
      'environments/dev/environment.yaml': environment({
        'simulator.envcat.io/db': '{"delay": "2s", "failDestroy": "locked"}',
        'simulator.envcat.io/app': '{oops',
      }),
    });

    // WHEN / THEN: what is in Git now
    expect(await source.forInstance({ environment: 'dev', instance: 'db' })).toEqual({
      delayMs: 2_000,
      failDestroy: 'locked',
    });
    expect(await source.forInstance({ environment: 'dev', instance: 'app' })).toEqual({});
    expect(await source.forInstance({ environment: 'other', instance: 'db' })).toEqual({});
    const warnings = log.lines().filter((l) => l.level === 40);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ environment: 'dev', instance: 'app' });
    expect(String(warnings[0]?.msg)).toContain('simulator.envcat.io/app is not valid JSON');

    // WHEN a change is committed just before the next lookup THEN it is seen
    await commit(repos.platform, {
      'environments/dev/environment.yaml': environment({ 'simulator.envcat.io/db': '{"neverReady": true}' }),
    });
    expect(await source.forInstance({ environment: 'dev', instance: 'db' })).toEqual({ neverReady: true });

    // WHEN environment.yaml is removed (deletion removes it last) THEN the last controls stay
    await commit(repos.platform, {}, ['environments/dev/environment.yaml']);
    expect(await source.forInstance({ environment: 'dev', instance: 'db' })).toEqual({ neverReady: true });
  });

  it('serves concurrent lookups from shared fetches', async () => {
    // GIVEN
    const repos = await createRepos(sandbox);
    const reader = repos.reader('platform');
    let syncs = 0;
    const counting: GitOpsRepo = {
      name: reader.name,
      displayUrl: reader.displayUrl,
      sync: () => {
        syncs++;
        return reader.sync();
      },
      readTree: (prefix) => reader.readTree(prefix),
      commit: (change) => reader.commit(change),
      isAncestor: (ancestor, descendant) => reader.isAncestor(ancestor, descendant),
      objectIds: (specs) => reader.objectIds(specs),
      log: (prefix, options) => reader.log(prefix, options),
      readFileBefore: (commit, path) => reader.readFileBefore(commit, path),
    };
    const source = new RepoControlSource({ repo: counting, logger: recordingLogger().logger });
    await commit(repos.platform, {
      'environments/dev/environment.yaml': environment({ 'simulator.envcat.io/db': '{"delay": "1s"}' }),
    });

    // WHEN
    const results = await Promise.all(
      Array.from({ length: 10 }, () => source.forInstance({ environment: 'dev', instance: 'db' })),
    );

    // THEN every lookup saw the commit, with at most two fetches (one running, one queued)
    expect(results).toEqual(Array.from({ length: 10 }, () => ({ delayMs: 1_000 })));
    expect(syncs).toBeLessThanOrEqual(2);
  });
});
