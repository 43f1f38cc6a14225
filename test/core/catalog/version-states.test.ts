/** The version states file: parsed leniently (what is not understood is a problem, and ignored), written deterministically. */
import {
  formatVersionStates,
  parseVersionStates,
  patchVersionState,
  versionNotice,
  type VersionState,
} from '../../../src/core/catalog/index.js';
import type { Problem } from '../../../src/core/errors/index.js';

const FILE = 'catalog/db/states.yaml';
const D = { deprecated: true, yanked: false };
const Y = { deprecated: false, yanked: true };

describe('parseVersionStates', () => {
  it.each<[string, string, Array<[string, VersionState]>, Problem[]]>([
    ['an empty file', '', [], []],
    [
      'deprecated and yanked versions',
      'versions:\n  1.0.0: { deprecated: true }\n  1.1.0: { yanked: true }\n  1.2.0: { deprecated: false }\n',
      [
        ['1.0.0', D],
        ['1.1.0', Y],
      ],
      [],
    ],
    [
      'both at once',
      'versions: { 2.0.0: { deprecated: true, yanked: true } }',
      [['2.0.0', { deprecated: true, yanked: true }]],
      [],
    ],
    [
      'a key that is not a version',
      'versions: { latest: { yanked: true }, 1.0.0: { yanked: true } }',
      [['1.0.0', Y]],
      [{ file: FILE, path: '/versions/latest', message: '"latest" is not a semantic version' }],
    ],
    [
      'an unknown field and a non-boolean',
      'versions: { 1.0.0: { yanked: "yes", hidden: true } }',
      [],
      [
        {
          file: FILE,
          path: '/versions/1.0.0/yanked',
          message: 'only deprecated and yanked, each true or false',
        },
        {
          file: FILE,
          path: '/versions/1.0.0/hidden',
          message: 'only deprecated and yanked, each true or false',
        },
      ],
    ],
    [
      'another entry named',
      'metadata: { name: other }\nversions: {}',
      [],
      [{ file: FILE, path: '/metadata/name', message: 'must be "db", the entry the file is beside' }],
    ],
    [
      'versions not a mapping',
      'versions: [1.0.0]',
      [],
      [{ file: FILE, path: '/versions', message: 'must be a mapping of version to {deprecated, yanked}' }],
    ],
    ['a list', '- a', [], [{ file: FILE, path: '', message: 'must be a mapping' }]],
  ])('%s', (_case, content, states, problems) => {
    // GIVEN a states file WHEN it is parsed THEN the states it holds and what was not understood
    const parsed = parseVersionStates({ name: 'db', content, file: FILE });
    expect([...parsed.states]).toEqual(states);
    expect(parsed.problems).toEqual(problems);
  });

  it('reads back what it writes, active versions left out, keys sorted', () => {
    // GIVEN states in no particular order, one of them active
    const states = new Map<string, VersionState>([
      ['1.10.0', D],
      ['1.2.0', Y],
      ['1.3.0', { deprecated: false, yanked: false }],
    ]);
    // WHEN written and parsed again
    const content = formatVersionStates('db', states);
    // THEN the file is stable and holds the same states
    expect(content).toBe(
      [
        '# The deprecated and yanked versions of the catalog entry db: written by',
        '# PATCH /api/v1/catalogs/db/versions/<version> (envcat catalog deprecate|yank).',
        'apiVersion: envcat.io/v1alpha1',
        'kind: CatalogVersionStates',
        'metadata:',
        '  name: db',
        'versions:',
        '  1.10.0:',
        '    deprecated: true',
        '  1.2.0:',
        '    yanked: true',
        '',
      ].join('\n'),
    );
    expect(parseVersionStates({ name: 'db', content, file: FILE })).toEqual({
      states: new Map([
        ['1.10.0', D],
        ['1.2.0', Y],
      ]),
      problems: [],
    });
  });
});

describe('patchVersionState and versionNotice', () => {
  it.each<[VersionState, Partial<VersionState>, VersionState]>([
    [{ deprecated: false, yanked: false }, { deprecated: true }, D],
    [D, { yanked: true }, { deprecated: true, yanked: true }],
    [{ deprecated: true, yanked: true }, { deprecated: false }, Y],
    [Y, {}, Y],
  ])('%j patched with %j is %j', (current, patch, expected) => {
    expect(patchVersionState(current, patch)).toEqual(expected);
  });

  it('gives a notice only for a deprecated or yanked version', () => {
    expect(versionNotice('db', '1.0.0', { deprecated: false, yanked: false })).toBeUndefined();
    expect(versionNotice('db', '1.0.0', D)).toMatch(/^db@1\.0\.0 is deprecated: /);
    expect(versionNotice('db', '1.0.0', { deprecated: true, yanked: true })).toMatch(
      /^db@1\.0\.0 is yanked: /,
    );
  });
});
