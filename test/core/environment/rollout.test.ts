/** A rollout's environments (core rolloutTargets) and its selector (parseSelector). */
import {
  parseSelector,
  rolloutTargets,
  selectsLabels,
  type RolloutCandidate,
  type RolloutTarget,
} from '../../../src/core/index.js';

const environments: RolloutCandidate[] = [
  {
    name: 'dev-b',
    type: 'pre-release',
    owner: 'bob',
    labels: { team: 'payments' },
    instances: [
      { name: 'db', entry: 'rds-postgres@^1', version: '1.0.0' },
      { name: 'reports', entry: 'rds-postgres', version: '1.0.1' },
      { name: 'app', entry: 'sample-app', version: '1.0.0' },
    ],
  },
  {
    name: 'dev-a',
    type: 'pre-release',
    owner: 'alice',
    instances: [{ name: 'db', entry: 'rds-postgres@^1', version: '1.1.0' }],
  },
  {
    name: 'prod',
    type: 'release',
    owner: 'alice',
    labels: { team: 'payments' },
    instances: [{ name: 'db', entry: 'rds-postgres@1.0.0', version: '1.0.0' }],
  },
  { name: 'fresh', type: 'pre-release', instances: [{ name: 'db', entry: 'rds-postgres' }] },
  {
    name: 'apps-only',
    type: 'pre-release',
    instances: [{ name: 'app', entry: 'sample-app', version: '1.0.0' }],
  },
];

describe('rolloutTargets', () => {
  it.each<[string, Record<string, string> | undefined, string, RolloutTarget[]]>([
    [
      'every environment with an instance of the entry older than --to, by name (newer, equal and unpinned ones left out)',
      undefined,
      '1.1.0',
      [
        {
          environment: 'dev-b',
          instances: [
            { instance: 'db', from: '1.0.0' },
            { instance: 'reports', from: '1.0.1' },
          ],
        },
        { environment: 'prod', instances: [{ instance: 'db', from: '1.0.0' }] },
      ],
    ],
    [
      'a selector on a field',
      { type: 'pre-release' },
      '1.1.0',
      [
        {
          environment: 'dev-b',
          instances: [
            { instance: 'db', from: '1.0.0' },
            { instance: 'reports', from: '1.0.1' },
          ],
        },
      ],
    ],
    [
      'a selector on a label and a field',
      { team: 'payments', owner: 'alice' },
      '1.1.0',
      [{ environment: 'prod', instances: [{ instance: 'db', from: '1.0.0' }] }],
    ],
    [
      'a newer --to takes the ones at the version before',
      { type: 'pre-release' },
      '1.2.0',
      [
        { environment: 'dev-a', instances: [{ instance: 'db', from: '1.1.0' }] },
        {
          environment: 'dev-b',
          instances: [
            { instance: 'db', from: '1.0.0' },
            { instance: 'reports', from: '1.0.1' },
          ],
        },
      ],
    ],
    ['nothing older: nothing to do', undefined, '1.0.0', []],
  ])('%s', (_, selector, to, expected) => {
    expect(
      rolloutTargets({ environments, entry: 'rds-postgres', to, ...(selector ? { selector } : {}) }),
    ).toEqual(expected);
  });
});

describe('parseSelector', () => {
  it.each<[string, ReturnType<typeof parseSelector>]>([
    ['type=pre-release', { selector: { type: 'pre-release' } }],
    ['type==release, team=payments', { selector: { type: 'release', team: 'payments' } }],
    ['envcat.io/tier=gold', { selector: { 'envcat.io/tier': 'gold' } }],
    ['type', { problem: '"type" is not key=value' }],
    ['type=a,type=b', { problem: 'type is given twice with different values' }],
  ])('%s', (text, expected) => {
    expect(parseSelector(text)).toEqual(expected);
  });

  it('knows when labels are needed', () => {
    expect(selectsLabels({ type: 'release', owner: 'a' })).toBe(false);
    expect(selectsLabels({ type: 'release', team: 'a' })).toBe(true);
  });
});
