/** Catalog search and filters, ages and expiry, and the hash routes. */
import type { CatalogSummary } from '../../src/api/contract.js';
import {
  catalogTags,
  compareVersions,
  filterCatalog,
  newestFirst,
  NO_FILTER,
} from '../../src/ui/logic/catalog.js';
import { age, countdown, phaseDuration, shortDuration, shortSha } from '../../src/ui/logic/format.js';
import { href, parseRoute, type Route } from '../../src/ui/logic/router.js';

const entry = (
  name: string,
  type: CatalogSummary['type'],
  tags: string[],
  extra: Partial<CatalogSummary> = {},
): CatalogSummary => ({
  name,
  title: name.toUpperCase(),
  description: `${name} entry`,
  owner: 'platform-team',
  tags,
  type,
  latestVersion: '1.0.0',
  versions: ['1.0.0'],
  ...extra,
});

const items = [
  entry('sample-app', 'yaml', ['application']),
  entry('rds-postgres', 'iac', ['database', 'aws'], { description: 'Managed PostgreSQL database' }),
  entry('postgres-with-pgadmin', 'hybrid', ['database', 'aws', 'pgadmin']),
  entry('vpc', 'iac', ['network', 'aws'], { owner: 'network-team' }),
];

describe('filterCatalog', () => {
  it.each([
    [
      'nothing: every entry, by title',
      NO_FILTER,
      ['POSTGRES-WITH-PGADMIN', 'RDS-POSTGRES', 'SAMPLE-APP', 'VPC'],
    ],
    ['a type', { ...NO_FILTER, type: 'iac' as const }, ['RDS-POSTGRES', 'VPC']],
    ['a tag', { ...NO_FILTER, tag: 'database' }, ['POSTGRES-WITH-PGADMIN', 'RDS-POSTGRES']],
    [
      'words in any field, all of them, any case',
      { ...NO_FILTER, query: 'Managed  postgresql' },
      ['RDS-POSTGRES'],
    ],
    ['the owner', { ...NO_FILTER, query: 'network-team' }, ['VPC']],
    [
      'everything at once',
      { query: 'postgres', type: 'hybrid' as const, tag: 'aws' },
      ['POSTGRES-WITH-PGADMIN'],
    ],
    ['a miss', { ...NO_FILTER, query: 'redis' }, []],
  ])('by %s', (_case, filter, titles) => {
    expect(filterCatalog(items, filter).map((e) => e.title)).toEqual(titles);
  });

  it('lists every tag once, sorted', () => {
    expect(catalogTags(items)).toEqual(['application', 'aws', 'database', 'network', 'pgadmin']);
  });
});

describe('versions', () => {
  it.each<[string, string, '<' | '=' | '>']>([
    ['1.0.0', '1.0.0', '='],
    ['1.0.0', '1.0.1', '<'],
    ['1.9.0', '1.10.0', '<'],
    ['2.0.0', '10.0.0', '<'],
    ['1.0.0-rc.1', '1.0.0', '<'],
    ['1.0.0-alpha', '1.0.0-alpha.1', '<'],
    ['1.0.0-alpha.2', '1.0.0-alpha.10', '<'],
    ['1.0.0-alpha.beta', '1.0.0-beta', '<'],
    ['1.0.0-1', '1.0.0-alpha', '<'],
    ['1.0.0+build.5', '1.0.0', '='],
    ['not-a-version', '0.0.1', '<'],
  ])('%s against %s: %s', (a, b, order) => {
    const sign = Math.sign(compareVersions(a, b));
    expect(sign).toBe(order === '<' ? -1 : order === '>' ? 1 : 0);
    expect(Math.sign(compareVersions(b, a))).toBe(-sign || 0);
  });

  it('lists every version newest first, whatever order they came in', () => {
    const given = ['1.2.0', '1.10.0', '1.0.0', '2.0.0-rc.1', '1.9.3'].map((version) => ({ version }));
    expect(newestFirst(given).map((v) => v.version)).toEqual([
      '2.0.0-rc.1',
      '1.10.0',
      '1.9.3',
      '1.2.0',
      '1.0.0',
    ]);
  });
});

describe('durations', () => {
  it.each([
    [0, '0s'],
    [59, '59s'],
    [60, '1m'],
    [3599, '59m'],
    [3600, '1h'],
    [3900, '1h5m'],
    [36000 + 60, '10h'],
    [86400, '1d'],
    [86400 + 4 * 3600, '1d4h'],
    [12 * 86400 + 3600, '12d'],
    [-5, '0s'],
  ])('shortDuration(%d) is %s', (seconds, text) => expect(shortDuration(seconds)).toBe(text));

  it.each([
    [0, '0s'],
    [59.4, '59s'],
    [60, '1m'],
    [200, '3m20s'],
    [3599, '59m59s'],
    [3600, '1h'],
    [-1, '0s'],
  ])('phaseDuration(%d) is %s', (seconds, text) => expect(phaseDuration(seconds)).toBe(text));

  const now = Date.parse('2025-01-02T00:00:00Z');
  it('gives the age from the creation time, when there is one', () => {
    expect(age('2025-01-01T21:00:00Z', now)).toBe('3h');
    expect(age(undefined, now)).toBeUndefined();
    expect(age('not a date', now)).toBeUndefined();
  });

  it.each([
    ['a day left', '2025-01-03T00:00:00Z', { text: 'expires in 1d', secondsLeft: 86_400, warning: false }],
    [
      'exactly an hour: no warning yet',
      '2025-01-02T01:00:00Z',
      { text: 'expires in 1h', secondsLeft: 3600, warning: false },
    ],
    [
      'under an hour: to the second, warned',
      '2025-01-02T00:42:07Z',
      { text: 'expires in 42m07s', secondsLeft: 2527, warning: true },
    ],
    ['past', '2025-01-01T23:00:00Z', { text: 'expired', secondsLeft: 0, warning: true }],
    ['no expiry', undefined, undefined],
    ['not a date', 'soon', undefined],
  ])('counts down to expiresAt: %s', (_name, expiresAt, expected) => {
    expect(countdown(expiresAt, now)).toEqual(expected);
  });

  it('shortens a commit SHA as Git does', () => expect(shortSha('0123456789abcdef')).toBe('0123456'));
});

describe('routes', () => {
  it.each<[string, Route]>([
    ['', { page: 'environments' }],
    ['#/', { page: 'environments' }],
    ['#/environments', { page: 'environments' }],
    ['#/environments/', { page: 'environments' }],
    ['#/environments/dev-a', { page: 'environment', name: 'dev-a' }],
    ['#/catalog', { page: 'catalog' }],
    ['#/catalog/rds-postgres', { page: 'catalog', entry: 'rds-postgres' }],
    ['#/new', { page: 'new', entries: [] }],
    ['#/new?entry=vpc&entry=rds-postgres', { page: 'new', entries: ['vpc', 'rds-postgres'] }],
    ['#/new/parameters', { page: 'new', entries: [], step: 'parameters' }],
    ['#/new/review?entry=vpc', { page: 'new', entries: ['vpc'], step: 'review' }],
    ['#/new/nowhere', { page: 'not-found', path: '/new/nowhere' }],
    ['#/nowhere', { page: 'not-found', path: '/nowhere' }],
    ['#/environments/a/b', { page: 'not-found', path: '/environments/a/b' }],
    ['#/environments/%E0%A4%A', { page: 'not-found', path: '/environments/%E0%A4%A' }],
  ])('%s', (hash, route) => expect(parseRoute(hash)).toEqual(route));

  it.each<Route>([
    { page: 'environments' },
    { page: 'environment', name: 'dev-a' },
    { page: 'catalog' },
    { page: 'catalog', entry: 'vpc' },
    { page: 'new', entries: [] },
    { page: 'new', entries: ['vpc', 'sample-app'] },
    { page: 'new', entries: [], step: 'details' },
    { page: 'new', entries: ['vpc'], step: 'entries' },
  ])('href and parseRoute agree on %j', (route) => expect(parseRoute(href(route))).toEqual(route));
});
