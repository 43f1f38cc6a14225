/**
 * Pinned versions: which entry version an instance runs (resolveInstanceVersion, and through it
 * checkEnvironment), and which newer one it could move to (availableUpdate, instanceVersions).
 */
import {
  Catalog,
  availableUpdate,
  checkEnvironment,
  describeInstanceVersion,
  instanceVersions,
  pinnedVersions,
  resolveInstanceVersion,
  type AvailableUpdate,
  type CatalogEntry,
  type CatalogEntryDocument,
  type InstanceVersion,
  type JsonValue,
} from '../../../src/core/index.js';
import { builtInCatalog } from '../../support/examples.js';

/** A published version; resolution only looks at name, version and digest. */
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
    source: `catalogs/${name}/catalog.yaml`,
    digest: `sha256:${version}`,
    secretParameters: [],
  };
}

const catalog = new Catalog(
  ['1.0.0', '1.1.0', '1.2.0', '1.3.0-rc.1', '2.0.0', '1.0.0+build.7'].map((v) =>
    entry(v === '1.0.0+build.7' ? 'built' : 'app', v),
  ),
);

describe('resolveInstanceVersion', () => {
  type Args = { entry: string; version?: string; rendered?: string[] };
  type Expected = { version: string; pinnedFrom: string } | { field: string; problem: string };
  it.each<[string, Args, Expected]>([
    ['a name alone: the latest', { entry: 'app' }, { version: '2.0.0', pinnedFrom: 'resolved' }],
    ['a range: the newest it allows', { entry: 'app@^1' }, { version: '1.2.0', pinnedFrom: 'resolved' }],
    [
      'a pinned version: exactly it',
      { entry: 'app', version: '1.0.0' },
      { version: '1.0.0', pinnedFrom: 'requested' },
    ],
    [
      'a pinned version inside the range',
      { entry: 'app@^1', version: '1.1.0' },
      { version: '1.1.0', pinnedFrom: 'requested' },
    ],
    [
      'a pinned prerelease whose numbers are inside the range',
      { entry: 'app@^1', version: '1.3.0-rc.1' },
      { version: '1.3.0-rc.1', pinnedFrom: 'requested' },
    ],
    [
      'a pinned version that is not published',
      { entry: 'app@^1', version: '1.9.0' },
      {
        field: 'version',
        problem: 'app@1.9.0 is not published (published: 2.0.0, 1.3.0-rc.1, 1.2.0, 1.1.0, 1.0.0)',
      },
    ],
    [
      'a pinned version outside the range',
      { entry: 'app@^1', version: '2.0.0' },
      { field: 'version', problem: '2.0.0 does not satisfy the requested range "^1" of app@^1' },
    ],
    [
      'a version, but an entry that does not exist: the entry is the problem',
      { entry: 'nope', version: '1.0.0' },
      { field: 'entry', problem: 'no catalog entry named "nope"' },
    ],
    [
      'a version, but an entry that is not a reference',
      { entry: 'App', version: '1.0.0' },
      { field: 'entry', problem: 'must be <entry name> or <entry name>@<semver range>' },
    ],
    [
      'not pinned, files render 1.0.0: stays on 1.0.0, not the newest',
      { entry: 'app', rendered: ['1.0.0'] },
      { version: '1.0.0', pinnedFrom: 'rendered' },
    ],
    [
      'not pinned, files render two versions (an update under way): the newer',
      { entry: 'app@^1', rendered: ['1.0.0', '1.1.0'] },
      { version: '1.1.0', pinnedFrom: 'rendered' },
    ],
    [
      'not pinned, a rendered version outside the (edited) range: the range decides',
      { entry: 'app@^2', rendered: ['1.0.0'] },
      { version: '2.0.0', pinnedFrom: 'resolved' },
    ],
    [
      'not pinned, a rendered version that is not published: the range decides',
      { entry: 'app@^1', rendered: ['0.9.0'] },
      { version: '1.2.0', pinnedFrom: 'resolved' },
    ],
    [
      'not pinned, a rendered label of a version with build metadata (+ is _ in a label)',
      { entry: 'built', rendered: ['1.0.0_build.7'] },
      { version: '1.0.0+build.7', pinnedFrom: 'rendered' },
    ],
    [
      'a pinned version wins over what the files render',
      { entry: 'app', version: '1.1.0', rendered: ['1.0.0'] },
      { version: '1.1.0', pinnedFrom: 'requested' },
    ],
    [
      'a range nothing satisfies',
      { entry: 'app@^3' },
      {
        field: 'entry',
        problem: 'no version of "app" matches "^3" (published: 2.0.0, 1.3.0-rc.1, 1.2.0, 1.1.0, 1.0.0)',
      },
    ],
  ])('%s', (_case, args, expected) => {
    // GIVEN app 1.0.0 … 2.0.0 published WHEN an instance's version is resolved
    const result = resolveInstanceVersion({ catalog, ...args });
    // THEN it is that version, and where it came from; or the problem and the field it is about
    if ('problem' in result) expect(result).toEqual(expected);
    else expect({ version: result.entry.version, pinnedFrom: result.pinnedFrom }).toEqual(expected);
  });
});

describe('availableUpdate', () => {
  const published = ['1.0.0', '1.1.0', '1.2.0', '1.3.0-rc.1', '2.0.0', '2.1.0'];
  it.each<[string, Parameters<typeof availableUpdate>[0], AvailableUpdate]>([
    ['on the newest: none', { current: '2.1.0', candidates: published }, {}],
    [
      'no range: the newest at all is within it',
      { current: '1.0.0', candidates: published },
      { withinRange: '2.1.0' },
    ],
    [
      'a range: the newest it allows, and the newest beyond it',
      { current: '1.0.0', range: '^1', candidates: published },
      { withinRange: '1.2.0', outsideRange: '2.1.0' },
    ],
    [
      'on the newest the range allows: only the one beyond it',
      { current: '1.2.0', range: '^1', candidates: published },
      { outsideRange: '2.1.0' },
    ],
    [
      'an exact range: nothing within it',
      { current: '1.1.0', range: '1.1.0', candidates: published },
      { outsideRange: '2.1.0' },
    ],
    [
      'prereleases are never offered',
      { current: '1.2.0', range: '~1.2', candidates: published },
      { outsideRange: '2.1.0' },
    ],
    [
      'older versions are not updates (after a rollback, the newer ones are)',
      { current: '1.1.0', range: '^1', candidates: ['1.0.0', '1.1.0', '1.2.0'] },
      { withinRange: '1.2.0' },
    ],
    [
      'the candidates in any order',
      { current: '1.0.0', range: '^1', candidates: ['2.0.0', '1.1.0', '1.2.0', '1.0.0'] },
      { withinRange: '1.2.0', outsideRange: '2.0.0' },
    ],
    [
      'the seam for deprecated and yanked versions: an ineligible one is left out',
      {
        current: '1.0.0',
        range: '^1',
        candidates: published,
        eligible: (v) => v !== '1.2.0' && v !== '2.1.0',
      },
      { withinRange: '1.1.0', outsideRange: '2.0.0' },
    ],
    [
      'a current version that is not semver: nothing to compare',
      { current: 'main', candidates: published },
      {},
    ],
  ])('%s', (_case, args, expected) => {
    expect(availableUpdate(args)).toEqual(expected);
  });
});

describe('instanceVersions', () => {
  it('lists each instance with its pinned version and update, defensively', () => {
    // GIVEN a committed spec: one pinned, one waiting to be pinned, one not a reference, one not an instance
    const spec = {
      catalogs: [
        { name: 'web', entry: 'app@^1', version: '1.1.0' },
        { name: 'worker', entry: 'app' },
        { name: 'bad', entry: 'Not A Reference', version: '1.0.0' },
        'junk',
      ],
    };
    // WHEN listed THEN the instances that name an entry, with what is available
    expect(instanceVersions({ spec, catalog })).toEqual<InstanceVersion[]>([
      {
        instance: 'web',
        entry: 'app',
        range: '^1',
        version: '1.1.0',
        update: { withinRange: '1.2.0', outsideRange: '2.0.0' },
      },
      { instance: 'worker', entry: 'app' },
    ]);
    expect(instanceVersions({ spec: { catalogs: 'x' }, catalog })).toEqual([]);
    expect(instanceVersions({ spec: undefined, catalog })).toEqual([]);
    // …and an ineligible version (deprecated, yanked) is not offered
    expect(
      instanceVersions({
        spec: { catalogs: [spec.catalogs[0]] },
        catalog,
        eligible: (_n, v) => v !== '1.2.0',
      }),
    ).toEqual([expect.objectContaining({ update: { outsideRange: '2.0.0' } })]);
  });
});

describe('checkEnvironment pins each instance', () => {
  /** The built-in catalog with sample-app 1.1.0 published: the default logLevel is warn now. */
  async function withSampleApp110(): Promise<Catalog> {
    const builtIn = await builtInCatalog();
    const v100 = builtIn.versions('sample-app').find((e) => e.version === '1.0.0')!;
    const document = structuredClone(v100.document);
    document.metadata.version = '1.1.0';
    (document.spec.parameters.properties as Record<string, { default?: JsonValue }>).logLevel!.default =
      'warn';
    return new Catalog([
      ...builtIn.entries(),
      { ...v100, version: '1.1.0', digest: 'sha256:sample-app-1.1.0', document },
    ]);
  }

  const request = (instance: Record<string, JsonValue>): JsonValue => ({
    apiVersion: 'envcat.io/v1alpha1',
    kind: 'Environment',
    metadata: { name: 'dev-pin' },
    spec: { type: 'pre-release', catalogs: [{ name: 'app', ...instance, parameters: { replicas: 2 } }] },
  });

  it.each<
    [
      string,
      Record<string, JsonValue>,
      string[] | undefined,
      { version: string; logLevel: string; pinnedFrom: string },
    ]
  >([
    [
      'a new request: the newest version, written into the document',
      { entry: 'sample-app' },
      undefined,
      { version: '1.1.0', logLevel: 'warn', pinnedFrom: 'resolved' },
    ],
    [
      'a pinned request: its version, whatever is newer',
      { entry: 'sample-app', version: '1.0.0' },
      undefined,
      { version: '1.0.0', logLevel: 'info', pinnedFrom: 'requested' },
    ],
    [
      'a range and a version inside it',
      { entry: 'sample-app@^1', version: '1.0.0' },
      undefined,
      { version: '1.0.0', logLevel: 'info', pinnedFrom: 'requested' },
    ],
    [
      'not pinned, its files render 1.0.0: 1.0.0',
      { entry: 'sample-app' },
      ['1.0.0'],
      { version: '1.0.0', logLevel: 'info', pinnedFrom: 'rendered' },
    ],
  ])('%s', async (_case, instance, rendered, expected) => {
    // GIVEN sample-app 1.0.0 and 1.1.0 published
    const catalog = await withSampleApp110();
    // WHEN the request is checked (with the labels its files carry, if any)
    const check = checkEnvironment(request(instance), catalog, rendered ? { rendered: () => rendered } : {});
    // THEN the instance runs the expected version, with that version's defaults, and the document names it beside the entry
    expect(check.problems).toEqual([]);
    const resolved = check.environment!.instances[0]!;
    expect({
      version: resolved.entry.version,
      logLevel: resolved.values.logLevel,
      pinnedFrom: resolved.pinnedFrom,
    }).toEqual(expected);
    expect(check.environment!.document.spec.catalogs[0]).toEqual({
      name: 'app',
      entry: instance.entry,
      version: expected.version,
      parameters: { replicas: 2 },
    });
  });

  it.each<[string, Record<string, JsonValue>, string]>([
    [
      'an unknown version',
      { entry: 'sample-app', version: '1.0.9' },
      'sample-app@1.0.9 is not published (published: 1.1.0, 1.0.0)',
    ],
    [
      'a version outside the range',
      { entry: 'sample-app@~1.0', version: '1.1.0' },
      '1.1.0 does not satisfy the requested range "~1.0" of sample-app@~1.0',
    ],
  ])('refuses %s at /spec/catalogs/<i>/version', async (_case, instance, message) => {
    const check = checkEnvironment(request(instance), await withSampleApp110());
    expect(check.environment).toBeUndefined();
    expect(check.problems).toEqual([{ path: '/spec/catalogs/0/version', message }]);
  });

  it('refuses a version that is not a string', async () => {
    const check = checkEnvironment(request({ entry: 'sample-app', version: 1 }), await withSampleApp110());
    expect(check.problems).toEqual([expect.objectContaining({ path: '/spec/catalogs/0/version' })]);
  });
});

describe('describeInstanceVersion', () => {
  it.each<[string, InstanceVersion, string]>([
    ['on the newest', { instance: 'app', entry: 'sample-app', version: '1.1.0' }, 'app: sample-app@1.1.0'],
    [
      'no range, a newer version',
      { instance: 'app', entry: 'sample-app', version: '1.0.0', update: { withinRange: '1.1.0' } },
      'app: sample-app@1.0.0; update available: 1.1.0 (newest)',
    ],
    [
      'a range, newer versions within and outside it',
      {
        instance: 'db',
        entry: 'rds-postgres',
        range: '^1',
        version: '1.0.0',
        update: { withinRange: '1.2.0', outsideRange: '2.0.0' },
      },
      'db: rds-postgres@1.0.0, requested rds-postgres@^1; update available: 1.2.0 (within ^1), 2.0.0 (outside ^1)',
    ],
    [
      'a range, only a newer major',
      {
        instance: 'db',
        entry: 'rds-postgres',
        range: '~1.2',
        version: '1.2.3',
        update: { outsideRange: '2.0.0' },
      },
      'db: rds-postgres@1.2.3, requested rds-postgres@~1.2; update available: 2.0.0 (outside ~1.2)',
    ],
    ['not pinned yet', { instance: 'app', entry: 'sample-app' }, 'app: sample-app (not pinned yet)'],
  ])('%s', (_case, version, text) => {
    expect(describeInstanceVersion(version)).toBe(text);
  });
});

describe('pinnedVersions', () => {
  it.each<[string, unknown, Array<[string, string]>]>([
    [
      'the pinned instances of a committed spec',
      { catalogs: [{ name: 'a', version: '1.0.0' }, { name: 'b' }, { name: 'c', version: '2.0.0+x' }] },
      [
        ['a', '1.0.0'],
        ['c', '2.0.0+x'],
      ],
    ],
    [
      'the first of two instances of one name',
      {
        catalogs: [
          { name: 'a', version: '1.0.0' },
          { name: 'a', version: '2.0.0' },
        ],
      },
      [['a', '1.0.0']],
    ],
    [
      'anything else: none',
      { catalogs: [null, 'x', { name: 1, version: '1.0.0' }, { name: 'a', version: 1 }] },
      [],
    ],
    ['no spec', undefined, []],
  ])('%s', (_case, spec, expected) => {
    expect([...pinnedVersions(spec)]).toEqual(expected);
  });
});
