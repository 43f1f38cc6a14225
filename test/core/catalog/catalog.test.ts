/** Catalog: entry references, resolution by semver range, and publish immutability. */
import {
  Catalog,
  parseEntryReference,
  type CatalogEntry,
  type CatalogEntryDocument,
  type EntryReference,
} from '../../../src/core/catalog/index.js';
import { ConflictError } from '../../../src/core/errors/index.js';

/** A published version; resolution only looks at name, version and digest. */
function entry(name: string, version: string, digest = `sha256:${name}-${version}`): CatalogEntry {
  const document = {
    apiVersion: 'envcat.io/v1alpha1',
    kind: 'CatalogEntry',
    metadata: { name, version },
    spec: { type: 'yaml', parameters: { type: 'object' } },
  } as CatalogEntryDocument;
  return { name, version, document, source: `catalogs/${name}/catalog.yaml`, digest, secretParameters: [] };
}

const NOT_A_REFERENCE = 'must be <entry name> or <entry name>@<semver range>';

describe('parseEntryReference', () => {
  it.each<[string, EntryReference | { problem: string }]>([
    ['rds-postgres', { name: 'rds-postgres' }],
    ['vpc', { name: 'vpc' }],
    ['3scale', { name: '3scale' }],
    ['  vpc  ', { name: 'vpc' }],
    ['rds-postgres@^1', { name: 'rds-postgres', range: '^1' }],
    ['rds-postgres@1.2.3', { name: 'rds-postgres', range: '1.2.3' }],
    ['rds-postgres@>=1 <2', { name: 'rds-postgres', range: '>=1 <2' }],
    ['rds-postgres@~1.2', { name: 'rds-postgres', range: '~1.2' }],
    ['rds-postgres@1.x', { name: 'rds-postgres', range: '1.x' }],
    ['rds-postgres@*', { name: 'rds-postgres', range: '*' }],
    ['Name', { problem: NOT_A_REFERENCE }],
    ['rds_postgres', { problem: NOT_A_REFERENCE }],
    ['-vpc', { problem: NOT_A_REFERENCE }],
    ['vpc-', { problem: NOT_A_REFERENCE }],
    ['', { problem: NOT_A_REFERENCE }],
    ['name@', { problem: NOT_A_REFERENCE }],
    ['@^1', { problem: NOT_A_REFERENCE }],
    ['name@notarange', { problem: '"notarange" is not a semver range' }],
    ['name@latest', { problem: '"latest" is not a semver range' }],
    ['name@^1@^2', { problem: '"^1@^2" is not a semver range' }],
  ])('%j → %j', (text, expected) => {
    // GIVEN a reference as written in an environment request
    // WHEN it is parsed
    const parsed = parseEntryReference(text);
    // THEN it is a name with an optional range, or the reason it is not a reference
    expect(parsed).toEqual(expected);
  });
});

describe('Catalog.resolve', () => {
  const catalog = new Catalog([
    entry('db', '1.0.0'),
    entry('db', '1.2.0'),
    entry('db', '1.10.0'),
    entry('db', '2.0.0-rc.1'),
    entry('preview', '0.1.0-alpha.1'),
    entry('preview', '0.1.0-alpha.2'),
    entry('vpc', '1.0.0'),
  ]);

  it.each<[string, string]>([
    ['db', '1.10.0'], // latest release, compared as semver (1.10.0 > 1.2.0), not as text
    ['db@^1', '1.10.0'],
    ['db@~1.2', '1.2.0'],
    ['db@1.0.0', '1.0.0'],
    ['db@>=1 <1.5', '1.2.0'],
    ['db@>=2.0.0-rc.0', '2.0.0-rc.1'],
    ['db@*', '1.10.0'],
    ['preview', '0.1.0-alpha.2'], // only prereleases: the newest one
    ['vpc', '1.0.0'],
  ])('%s resolves to version %s', (reference, version) => {
    // GIVEN a catalog with releases and prereleases
    // WHEN a reference is resolved
    const resolution = catalog.resolve(reference);
    // THEN it names the expected version
    expect(resolution).toEqual({ entry: expect.objectContaining({ version }) });
  });

  it.each<[string, string]>([
    ['db@^3', 'no version of "db" matches "^3" (published: 2.0.0-rc.1, 1.10.0, 1.2.0, 1.0.0)'],
    ['db@2.0.0', 'no version of "db" matches "2.0.0" (published: 2.0.0-rc.1, 1.10.0, 1.2.0, 1.0.0)'],
    ['nope', 'no catalog entry named "nope"'],
    ['nope@^1', 'no catalog entry named "nope"'],
    ['Db', NOT_A_REFERENCE],
    ['db@notarange', '"notarange" is not a semver range'],
  ])('%s is a problem: %s', (reference, problem) => {
    // GIVEN the same catalog
    // WHEN a reference that cannot be resolved is resolved
    const resolution = catalog.resolve(reference);
    // THEN the problem says why (and, for a range, which versions exist)
    expect(resolution).toEqual({ problem });
  });

  it('lists names sorted and versions newest first', () => {
    // GIVEN the same catalog WHEN it is listed
    // THEN names are sorted and versions are in semver order, newest first
    expect(catalog.names()).toEqual(['db', 'preview', 'vpc']);
    expect(catalog.versions('db').map((e) => e.version)).toEqual(['2.0.0-rc.1', '1.10.0', '1.2.0', '1.0.0']);
    expect(catalog.versions('nope')).toEqual([]);
    expect(catalog.latest('db')?.version).toBe('1.10.0');
    expect(catalog.latest('nope')).toBeUndefined();
    expect(catalog.entries().map((e) => `${e.name}@${e.version}`)).toEqual([
      'db@2.0.0-rc.1',
      'db@1.10.0',
      'db@1.2.0',
      'db@1.0.0',
      'preview@0.1.0-alpha.2',
      'preview@0.1.0-alpha.1',
      'vpc@1.0.0',
    ]);
  });
});

describe('Catalog.publish', () => {
  it('publishes a new version, and the same content again is a no-op', () => {
    // GIVEN a catalog with db@1.0.0
    const catalog = new Catalog();
    expect(catalog.publish(entry('db', '1.0.0', 'sha256:aaa'))).toBe('published');
    // WHEN the identical version (same digest) is published again
    const again = catalog.publish(entry('db', '1.0.0', 'sha256:aaa'));
    // THEN nothing changes
    expect(again).toBe('unchanged');
    expect(catalog.versions('db')).toHaveLength(1);
  });

  it('refuses the same version with different content', () => {
    // GIVEN a catalog with db@1.0.0
    const original = entry('db', '1.0.0', 'sha256:aaa');
    const catalog = new Catalog([original]);
    // WHEN db@1.0.0 is published with another digest
    const publish = () => catalog.publish(entry('db', '1.0.0', 'sha256:bbb'));
    // THEN it is a ConflictError pointing at the version, and the published version is kept
    expect(publish).toThrow(ConflictError);
    expect(publish).toThrow(
      expect.objectContaining({
        code: 'CONFLICT',
        path: '/metadata/version',
        message: 'db@1.0.0 is already published with different content; publish a new version',
      }),
    );
    expect(catalog.resolve('db@1.0.0')).toEqual({ entry: original });
  });

  it('the constructor publishes every entry, with the same rules', () => {
    // GIVEN entries with a duplicate, identical version and a conflicting one
    const same = [entry('db', '1.0.0', 'sha256:aaa'), entry('db', '1.0.0', 'sha256:aaa')];
    const conflicting = [entry('db', '1.0.0', 'sha256:aaa'), entry('db', '1.0.0', 'sha256:bbb')];
    // WHEN catalogs are built from them
    // THEN the identical duplicate is accepted once and the conflict throws
    expect(new Catalog(same).versions('db')).toHaveLength(1);
    expect(() => new Catalog(conflicting)).toThrow(ConflictError);
  });

  it('a new version of a published entry is a new entry', () => {
    // GIVEN db@1.0.0
    const catalog = new Catalog([entry('db', '1.0.0')]);
    // WHEN db@1.0.1 is published
    const result = catalog.publish(entry('db', '1.0.1'));
    // THEN both are there and the latest is the new one
    expect(result).toBe('published');
    expect(catalog.resolve('db')).toEqual({ entry: expect.objectContaining({ version: '1.0.1' }) });
    expect(catalog.resolve('db@1.0.0')).toEqual({ entry: expect.objectContaining({ version: '1.0.0' }) });
  });
});

describe('Catalog.for: resolution that skips deprecated and yanked versions', () => {
  const states = new Map([
    [
      'db',
      new Map([
        ['1.10.0', { deprecated: true, yanked: false }],
        ['1.2.0', { deprecated: false, yanked: true }],
      ]),
    ],
    ['old', new Map([['1.0.0', { deprecated: true, yanked: false }]])],
    ['gone', new Map([['1.0.0', { deprecated: false, yanked: true }]])],
  ]);
  const catalog = new Catalog(
    [
      entry('db', '1.0.0'),
      entry('db', '1.2.0'),
      entry('db', '1.10.0'),
      entry('db', '2.0.0'),
      entry('old', '1.0.0'),
      entry('gone', '1.0.0'),
    ],
    { states },
  );

  it.each<[string, 'all' | 'upgrades' | 'new', string]>([
    ['db', 'all', '2.0.0'],
    ['db@^1', 'all', '1.10.0'],
    ['db@1.2.0', 'all', '1.2.0'],
    ['db@^1', 'new', '1.0.0'], // 1.10.0 deprecated, 1.2.0 yanked
    ['db@^1', 'upgrades', '1.10.0'], // deprecated still upgrades
    ['db@1.10.0', 'new', '1.10.0'], // a deprecated version named exactly still resolves
    ['db', 'new', '2.0.0'],
    ['old@1.0.0', 'new', '1.0.0'],
  ])('%s for %s requests resolves to %s', (reference, audience, version) => {
    // GIVEN db@1.10.0 deprecated and db@1.2.0 yanked WHEN resolved for an audience
    const resolution = catalog.for(audience).resolve(reference);
    // THEN the version it may pick
    expect(resolution).toEqual({ entry: expect.objectContaining({ version }) });
  });

  it.each<[string, 'upgrades' | 'new', string]>([
    ['db@1.2.0', 'new', 'db@1.2.0 is yanked: choose another version'],
    ['db@1.2.0', 'upgrades', 'db@1.2.0 is yanked: choose another version'],
    [
      'db@~1.2',
      'upgrades',
      'every version of "db" that matches "~1.2" is yanked (1.2.0 yanked): name a version, or ask the platform team',
    ],
    [
      'db@>=1.2.0 <2',
      'new',
      'every version of "db" that matches ">=1.2.0 <2" is deprecated or yanked (1.10.0 deprecated, 1.2.0 yanked): name a version, or ask the platform team',
    ],
    [
      'old',
      'new',
      'every version of "old" is deprecated or yanked (1.0.0 deprecated): name a version, or ask the platform team',
    ],
    [
      'gone@^1',
      'upgrades',
      'every version of "gone" that matches "^1" is yanked (1.0.0 yanked): name a version, or ask the platform team',
    ],
    ['db@^3', 'new', 'no version of "db" matches "^3" (published: 2.0.0, 1.10.0, 1.2.0, 1.0.0)'],
  ])('%s for %s requests is a problem: %s', (reference, audience, problem) => {
    // GIVEN the same catalog WHEN a reference only skipped versions match is resolved
    // THEN the problem names them and their state
    expect(catalog.for(audience).resolve(reference)).toEqual({ problem });
  });

  it('keeps listing every version, and the state of each', () => {
    // GIVEN the same catalog WHEN its view for new requests is listed
    const view = catalog.for('new');
    // THEN nothing is hidden from listings, and states are read through either
    expect(view.versions('db').map((e) => e.version)).toEqual(['2.0.0', '1.10.0', '1.2.0', '1.0.0']);
    expect(view.state('db', '1.2.0')).toEqual({ deprecated: false, yanked: true });
    expect(catalog.state('db', '2.0.0')).toEqual({ deprecated: false, yanked: false });
    expect(catalog.for('all')).toBe(catalog);
  });
});
