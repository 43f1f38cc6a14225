/** versionWarnings: running instances on a deprecated or yanked version are flagged, at the field that chose it. */
import { Catalog, type CatalogEntry, type CatalogEntryDocument } from '../../../src/core/catalog/index.js';
import { versionWarnings } from '../../../src/core/environment/index.js';

function entry(name: string, version: string): CatalogEntry {
  const document = {
    apiVersion: 'envcat.io/v1alpha1',
    kind: 'CatalogEntry',
    metadata: { name, version },
    spec: { type: 'yaml', parameters: { type: 'object' } },
  } as CatalogEntryDocument;
  return {
    name,
    version,
    document,
    source: `${name}/catalog.yaml`,
    digest: `sha256:${version}`,
    secretParameters: [],
  };
}

const catalog = new Catalog([entry('db', '1.0.0'), entry('db', '1.1.0'), entry('app', '1.0.0')], {
  states: new Map([
    [
      'db',
      new Map([
        ['1.1.0', { deprecated: false, yanked: true }],
        ['1.0.0', { deprecated: true, yanked: false }],
      ]),
    ],
  ]),
});
const request = (...catalogs: unknown[]) => ({ spec: { catalogs } });

describe('versionWarnings', () => {
  it.each<[string, unknown, Array<{ path: string; message: RegExp }>]>([
    ['an active version', request({ name: 'a', entry: 'app' }), []],
    [
      'a range that resolves to a yanked version (running environments still resolve among all)',
      request({ name: 'a', entry: 'app' }, { name: 'd', entry: 'db@^1' }),
      [{ path: '/spec/catalogs/1/entry', message: /^db@1\.1\.0 is yanked: / }],
    ],
    [
      'a pinned deprecated version',
      request({ name: 'd', entry: 'db@^1', version: '1.0.0' }),
      [{ path: '/spec/catalogs/0/version', message: /^db@1\.0\.0 is deprecated: / }],
    ],
    ['an entry that does not resolve', request({ name: 'x', entry: 'nope' }), []],
    ['a request that is not well formed', { spec: { catalogs: [null, { name: 'x' }] } }, []],
    ['no request', undefined, []],
  ])('%s', (_case, document, expected) => {
    // GIVEN db@1.1.0 yanked and db@1.0.0 deprecated WHEN a committed request is read
    // THEN exactly these instances are flagged
    expect(versionWarnings(document, catalog)).toEqual(
      expected.map((w) => ({ path: w.path, message: expect.stringMatching(w.message) })),
    );
  });
});
