/** The pure parts of the kubectl-like output: ages, ttl left, instances, the event stream, log lines. */
import type { EnvironmentStatus } from '../../src/api/contract.js';
import { logLines, timeOf } from '../../src/cli/env-logs.js';
import {
  ageColumn,
  formatObject,
  humanDuration,
  instancesColumn,
  table,
  ttlLeftColumn,
} from '../../src/cli/output.js';
import { EventStreamParser } from '../../src/cli/sse.js';
import { parseYamlDocument } from '../../src/core/index.js';

const S = 1000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;

describe('humanDuration (as kubectl shows an AGE)', () => {
  it.each([
    [-5 * S, '0s'],
    [0, '0s'],
    [45 * S, '45s'],
    [119 * S, '119s'],
    [2 * M, '2m'],
    [3 * M + 20 * S, '3m20s'],
    [10 * M + 59 * S, '10m'],
    [179 * M, '179m'],
    [3 * H, '3h'],
    [5 * H + 30 * M, '5h30m'],
    [8 * H + 30 * M, '8h'],
    [47 * H, '47h'],
    [2 * D, '2d'],
    [3 * D + 4 * H, '3d4h'],
    [9 * D + 4 * H, '9d'],
    [800 * D, '2y70d'],
    [9 * 365 * D, '9y'],
  ])('%d ms → %s', (ms, text) => {
    expect(humanDuration(ms)).toBe(text);
  });
});

describe('the AGE and TTL columns', () => {
  const created = '2025-01-01T00:00:00Z';
  const at = (ms: number) => Date.parse(created) + ms;
  it.each([
    ['no ttl', undefined, created, at(H), '<none>'],
    ['time left', '24h', created, at(H), '23h'],
    ['minutes left', '1h', created, at(50 * M), '10m'],
    ['past its ttl', '1h', created, at(2 * H), 'expired'],
    ['creation time unknown', '24h', undefined, at(H), '24h'],
  ])('%s', (_case, ttl, createdAt, now, text) => {
    expect(ttlLeftColumn(ttl, createdAt, now)).toBe(text);
  });
  it.each([
    [created, at(90 * S), '90s'],
    [undefined, at(0), '<none>'],
    ['not a date', at(0), '<none>'],
  ])('age of %s', (createdAt, now, text) => {
    expect(ageColumn(createdAt, now)).toBe(text);
  });
});

describe('the INSTANCES column', () => {
  it.each([
    [[], '<none>'],
    [
      [
        { name: 'db', entry: 'rds-postgres@^1', version: '1.0.0' },
        { name: 'app', entry: 'sample-app', version: '1.1.0' },
      ],
      'db=rds-postgres@1.0.0,app=sample-app@1.1.0',
    ],
    [[{ name: 'db', entry: 'rds-postgres@^1' }], 'db=rds-postgres@^1(unpinned)'],
  ])('%j → %s', (instances, text) => {
    expect(instancesColumn(instances)).toBe(text);
  });
});

describe('formatObject and table', () => {
  const value = { b: 1, a: [{ c: 'x: y' }], shared: 'same', again: 'same' };
  it('prints json and yaml that parse back to the same object, and nothing for the human formats', () => {
    expect(JSON.parse(formatObject('json', value)!)).toEqual(value);
    expect(parseYamlDocument(formatObject('yaml', value)!)).toEqual(value);
    expect(formatObject('wide', value)).toBeUndefined();
    expect(formatObject(undefined, value)).toBeUndefined();
  });
  it('pads columns to the widest cell and trims the line ends', () => {
    expect(
      table([
        ['NAME', 'PHASE'],
        ['a-long-name', 'Ready'],
        ['b', ''],
      ]),
    ).toBe('NAME         PHASE\na-long-name  Ready\nb\n');
  });
});

describe('EventStreamParser', () => {
  it.each<[string, string[], Array<{ event: string; data: string }>]>([
    ['one event', ['event: status\ndata: {"a":1}\n\n'], [{ event: 'status', data: '{"a":1}' }]],
    ['split across pieces', ['event: sta', 'tus\nda', 'ta: x\n', '\n'], [{ event: 'status', data: 'x' }]],
    ['CRLF, and a CR at the end of a piece', ['data: a\r', '\n\r\n'], [{ event: 'message', data: 'a' }]],
    [
      'data lines joined, comments skipped',
      [': ping\ndata: a\ndata:b\n\n'],
      [{ event: 'message', data: 'a\nb' }],
    ],
    ['no data: no event', ['event: status\n\n'], []],
    ['an unfinished event waits', ['event: deleted\ndata: {}\n'], []],
    [
      'two events, the type reset between them',
      ['event: status\ndata: 1\n\ndata: 2\n\n'],
      [
        { event: 'status', data: '1' },
        { event: 'message', data: '2' },
      ],
    ],
  ])('%s', (_case, pieces, events) => {
    const parser = new EventStreamParser();
    expect(pieces.flatMap((p) => parser.push(p))).toEqual(events);
  });
});

describe('logLines', () => {
  const base: EnvironmentStatus = {
    phase: 'ProvisioningInfrastructure',
    message: 'db',
    conditions: [],
    steps: [
      { instance: 'db', part: 'infra', phase: 'Progressing', reason: 'Creating', message: 'applying' },
      { instance: 'app', part: 'apps', phase: 'Pending', reason: 'Waiting', message: '' },
    ],
    outputs: {},
    commits: [
      { repo: 'platform', sha: 'bbbbbbbbbb', message: 'wave 1\n\nbody', date: '2025-01-01T00:00:02+00:00' },
      { repo: 'platform', sha: 'aaaaaaaaaa', message: 'namespace', date: '2025-01-01T00:00:01+00:00' },
    ],
    observedAt: '2025-01-01T00:00:03.123Z',
    cluster: 'simulated',
  };

  it('without a previous status: every commit oldest first, the phase, every step', () => {
    expect(logLines(undefined, base)).toEqual([
      '2025-01-01T00:00:01Z commit platform@aaaaaaa namespace',
      '2025-01-01T00:00:02Z commit platform@bbbbbbb wave 1',
      '2025-01-01T00:00:03Z ProvisioningInfrastructure db',
      '2025-01-01T00:00:03Z db/infra Progressing Creating: applying',
      '2025-01-01T00:00:03Z app/apps Pending Waiting',
    ]);
  });

  it('after one: only the new commits, the phase if it changed, the steps that changed', () => {
    const next: EnvironmentStatus = {
      ...base,
      observedAt: '2025-01-01T00:00:09Z',
      steps: [{ ...base.steps[0]!, phase: 'Ready', reason: 'Available', message: '' }, base.steps[1]!],
      commits: [
        { repo: 'apps', sha: 'cccccccccc', message: 'wave 2', date: '2025-01-01T00:00:08Z' },
        ...base.commits,
      ],
    };
    expect(logLines(base, next)).toEqual([
      '2025-01-01T00:00:08Z commit apps@ccccccc wave 2',
      '2025-01-01T00:00:09Z db/infra Ready Available',
    ]);
    expect(logLines(next, { ...next, phase: 'Ready', message: '' })).toEqual(['2025-01-01T00:00:09Z Ready']);
    expect(logLines(next, next)).toEqual([]);
  });

  it('with the history: each phase when it began and for how long, the one now with its message, each step when it entered its phase', () => {
    // GIVEN a Ready environment whose status carries its history and its steps' transition times
    const ready: EnvironmentStatus = {
      ...base,
      phase: 'Ready',
      message: 'all steps are ready',
      steps: [
        {
          instance: 'db',
          part: 'infra',
          phase: 'Ready',
          reason: 'Available',
          message: '',
          lastTransitionTime: '2025-01-01T00:00:09Z',
        },
      ],
      commits: [
        { repo: 'platform', sha: 'cccccccccc', message: 'wave 1', date: '2025-01-01T00:00:02Z' },
        { repo: 'platform', sha: 'bbbbbbbbbb', message: 'create', date: '2025-01-01T00:00:01Z' },
      ],
      transitions: [
        { phase: 'Creating', at: '2025-01-01T00:00:01Z', seconds: 1 },
        { phase: 'ProvisioningInfrastructure', at: '2025-01-01T00:00:02Z', seconds: 7 },
        { phase: 'Ready', at: '2025-01-01T00:00:09Z' },
      ],
      history: [
        {
          title: 'Created',
          start: '2025-01-01T00:00:01Z',
          end: '2025-01-01T00:00:02Z',
          seconds: 1,
          commits: [
            { repo: 'platform', sha: 'cccccccccc' },
            { repo: 'platform', sha: 'bbbbbbbbbb' },
          ],
          phases: [
            { phase: 'Creating', at: '2025-01-01T00:00:01Z', seconds: 1 },
            { phase: 'ProvisioningInfrastructure', at: '2025-01-01T00:00:02Z', seconds: 7 },
            { phase: 'Ready', at: '2025-01-01T00:00:09Z' },
          ],
        },
      ],
      observedAt: '2025-01-01T00:00:30Z',
    };
    // WHEN it is logged THEN all of it, oldest first, at the times things happened
    expect(logLines(undefined, ready)).toEqual([
      '2025-01-01T00:00:01Z commit platform@bbbbbbb create',
      '2025-01-01T00:00:01Z Creating for 1s',
      '2025-01-01T00:00:02Z commit platform@ccccccc wave 1',
      '2025-01-01T00:00:02Z ProvisioningInfrastructure for 7s',
      '2025-01-01T00:00:09Z Ready all steps are ready',
      '2025-01-01T00:00:09Z db/infra Ready Available',
    ]);
  });

  it('shows a time it cannot read as it is', () => {
    expect(timeOf('yesterday')).toBe('yesterday');
  });
});
