/**
 * Upgrades (core planUpgrade): which version each instance moves to, what is written into the
 * request, and each refusal with its pointer; and the words of its commit message.
 */
import {
  Catalog,
  describeUpgrades,
  planUpgrade,
  upgradeVerb,
  type CatalogEntry,
  type JsonSchema,
  type JsonValue,
  type Problem,
  type VersionStates,
} from '../../../src/core/index.js';
import { builtInCatalog } from '../../support/examples.js';

let catalog: Catalog;

/** A version of a built-in entry with its parameters' properties changed by `change`. */
function version(
  base: CatalogEntry,
  number: string,
  change: (properties: Record<string, JsonSchema>) => void = () => undefined,
): CatalogEntry {
  const document = structuredClone(base.document);
  document.metadata.version = number;
  change(document.spec.parameters.properties as Record<string, JsonSchema>);
  return { ...base, version: number, digest: `sha256:${number}`, document };
}

beforeAll(async () => {
  const builtIn = await builtInCatalog();
  const rds = builtIn.versions('rds-postgres').find((e) => e.version === '1.0.0')!;
  const app = builtIn.versions('sample-app').find((e) => e.version === '1.0.0')!;
  const states: VersionStates = new Map([
    ['1.2.0', { deprecated: true, yanked: false }],
    ['1.3.0', { deprecated: false, yanked: true }],
  ]);
  catalog = new Catalog(
    [
      rds,
      app,
      version(rds, '1.1.0', (p) => (p.performanceInsights = { type: 'boolean', default: false })),
      version(rds, '1.2.0'),
      version(rds, '1.3.0'),
      version(rds, '1.4.0-rc.1'),
      version(rds, '2.0.0', (p) => {
        delete p.backupRetentionDays;
        p.instanceClass = { type: 'string', enum: ['db.t3.small', 'db.t3.medium'], default: 'db.t3.small' };
      }),
    ],
    { states: new Map([['rds-postgres', states]]) },
  );
});

const SECRET = { fromSecret: { name: 'dev-db-params', key: 'masterPassword' } };

interface Request {
  apiVersion: string;
  kind: string;
  metadata: { name: string };
  spec: {
    namespace: string;
    type: string;
    catalogs: Array<{ name: string; entry: string; version?: string; parameters: Record<string, JsonValue> }>;
  };
}

/** A running request: db (rds-postgres) and app (sample-app, reading db.endpoint), each pinned. */
function running(change: (doc: Request) => void = () => undefined): Request {
  const doc: Request = {
    apiVersion: 'envcat.io/v1alpha1',
    kind: 'Environment',
    metadata: { name: 'dev' },
    spec: {
      namespace: 'dev',
      type: 'pre-release',
      catalogs: [
        {
          name: 'db',
          entry: 'rds-postgres@^1',
          version: '1.0.0',
          parameters: { databaseName: 'orders', masterPassword: SECRET },
        },
        {
          name: 'app',
          entry: 'sample-app',
          version: '1.0.0',
          parameters: { databaseEndpoint: { fromOutput: 'db.endpoint' } },
        },
      ],
    },
  };
  change(doc);
  return doc;
}

type Moved = { entry: string; version: string; upgrades: string };

describe('planUpgrade', () => {
  it.each<[string, (d: Request) => void, { instance?: string; to?: string }, Moved]>([
    [
      'without --to: the newest version within the range a new request could get (1.2.0 is deprecated, 1.3.0 yanked, 1.4.0-rc.1 a prerelease)',
      () => undefined,
      {},
      { entry: 'rds-postgres@^1', version: '1.1.0', upgrades: 'db rds-postgres 1.0.0 → 1.1.0' },
    ],
    [
      'one instance, by name',
      () => undefined,
      { instance: 'db' },
      { entry: 'rds-postgres@^1', version: '1.1.0', upgrades: 'db rds-postgres 1.0.0 → 1.1.0' },
    ],
    [
      '--to a deprecated version (it still upgrades)',
      () => undefined,
      { instance: 'db', to: '1.2.0' },
      { entry: 'rds-postgres@^1', version: '1.2.0', upgrades: 'db rds-postgres 1.0.0 → 1.2.0' },
    ],
    [
      '--to a prerelease inside the range',
      () => undefined,
      { instance: 'db', to: '1.4.0-rc.1' },
      { entry: 'rds-postgres@^1', version: '1.4.0-rc.1', upgrades: 'db rds-postgres 1.0.0 → 1.4.0-rc.1' },
    ],
    [
      '--to an older version: a rollback',
      (d) => (d.spec.catalogs[0]!.version = '1.1.0'),
      { instance: 'db', to: '1.0.0' },
      { entry: 'rds-postgres@^1', version: '1.0.0', upgrades: 'db rds-postgres 1.1.0 → 1.0.0' },
    ],
    [
      '--to outside the range: the range becomes ^<version>, as npm install name@<version> writes it',
      (d) => delete d.spec.catalogs[0]!.parameters.masterPassword,
      { instance: 'db', to: '2.0.0' },
      { entry: 'rds-postgres@^2.0.0', version: '2.0.0', upgrades: 'db rds-postgres 1.0.0 → 2.0.0' },
    ],
    [
      '--to outside an exact range: the new exact version',
      (d) => (d.spec.catalogs[0]!.entry = 'rds-postgres@1.0.0'),
      { instance: 'db', to: '1.1.0' },
      { entry: 'rds-postgres@1.1.0', version: '1.1.0', upgrades: 'db rds-postgres 1.0.0 → 1.1.0' },
    ],
    [
      'a name without a range allows every version',
      (d) => (d.spec.catalogs[0]!.entry = 'rds-postgres'),
      { instance: 'db', to: '2.0.0' },
      { entry: 'rds-postgres', version: '2.0.0', upgrades: 'db rds-postgres 1.0.0 → 2.0.0' },
    ],
  ])('%s', (_, given, request, expected) => {
    // GIVEN a running request WHEN it is upgraded
    const document = running(given);
    const plan = planUpgrade({ document: document as unknown as JsonValue, catalog, ...request });
    // THEN only the db's version (and, outside its range, its entry) changes; its parameters carry over
    if ('problems' in plan) throw new Error(JSON.stringify(plan.problems));
    const db = (plan.document as unknown as Request).spec.catalogs[0]!;
    expect({ entry: db.entry, version: db.version, upgrades: describeUpgrades(plan.upgrades) }).toEqual(
      expected,
    );
    const unchanged = structuredClone(document);
    unchanged.spec.catalogs[0]!.entry = db.entry;
    unchanged.spec.catalogs[0]!.version = db.version;
    expect(plan.document).toEqual(unchanged);
  });

  it('a new default is not written into the request: it applies when the request is validated', () => {
    const plan = planUpgrade({ document: running() as unknown as JsonValue, catalog });
    if ('problems' in plan) throw new Error('refused');
    expect((plan.document as unknown as Request).spec.catalogs[0]!.parameters).toEqual({
      databaseName: 'orders',
      masterPassword: SECRET,
    });
  });

  it('names the rewritten range in the upgrade', () => {
    const plan = planUpgrade({
      document: running((d) => delete d.spec.catalogs[0]!.parameters.masterPassword) as unknown as JsonValue,
      catalog,
      instance: 'db',
      to: '2.0.0',
    });
    expect('upgrades' in plan && plan.upgrades).toEqual([
      {
        instance: 'db',
        index: 0,
        entry: 'rds-postgres',
        from: '1.0.0',
        to: '2.0.0',
        reference: { from: 'rds-postgres@^1', to: 'rds-postgres@^2.0.0' },
      },
    ]);
  });

  it.each<[string, (d: Request) => void]>([
    ['at the newest version already', (d) => (d.spec.catalogs[0]!.version = '1.1.0')],
    [
      'running a newer version than any offered (1.2.0 is deprecated)',
      (d) => (d.spec.catalogs[0]!.version = '1.2.0'),
    ],
  ])('moves nothing %s', (_, given) => {
    const document = running(given);
    expect(planUpgrade({ document: document as unknown as JsonValue, catalog })).toEqual({
      document,
      upgrades: [],
    });
  });

  it.each<[string, (d: Request) => void, { instance?: string; to?: string }, Problem[]]>([
    [
      'a yanked version',
      () => undefined,
      { instance: 'db', to: '1.3.0' },
      [{ path: '/to', message: 'rds-postgres@1.3.0 is yanked: choose another version' }],
    ],
    [
      'a version not published',
      () => undefined,
      { instance: 'db', to: '9.9.9' },
      [
        {
          path: '/to',
          message:
            'rds-postgres has no version 9.9.9 (published: 2.0.0, 1.4.0-rc.1, 1.3.0, 1.2.0, 1.1.0, 1.0.0)',
        },
      ],
    ],
    [
      'a version that is not one',
      () => undefined,
      { instance: 'db', to: 'latest' },
      [{ path: '/to', message: '"latest" is not a version such as 1.2.0' }],
    ],
    [
      'an instance the environment does not have',
      () => undefined,
      { instance: 'cache' },
      [{ path: '/instance', message: 'no instance named "cache" in dev (instances: db, app)' }],
    ],
    [
      '--to without --instance when there are several',
      () => undefined,
      { to: '1.1.0' },
      [{ path: '/instance', message: 'name the instance to move to 1.1.0: dev has 2 (db, app)' }],
    ],
    [
      'an instance not pinned yet',
      (d) => delete d.spec.catalogs[0]!.version,
      { instance: 'db' },
      [
        {
          path: '/spec/catalogs/0/version',
          message: 'db is not pinned to a version yet: wait until the engine has pinned it',
        },
      ],
    ],
    [
      'a parameter the target version removed',
      (d) => (d.spec.catalogs[0]!.parameters.backupRetentionDays = 7),
      { instance: 'db', to: '2.0.0' },
      [
        {
          path: '/spec/catalogs/0/parameters/backupRetentionDays',
          message:
            'is not a parameter of rds-postgres@2.0.0 (1.0.0 had it): remove it from the request (envcat env apply) before moving to 2.0.0, or choose another version',
        },
      ],
    ],
    [
      'a value the target version no longer accepts',
      (d) => (d.spec.catalogs[0]!.parameters.instanceClass = 'db.t3.micro'),
      { instance: 'db', to: '2.0.0' },
      [
        {
          path: '/spec/catalogs/0/parameters/instanceClass',
          message:
            'must be one of: "db.t3.small", "db.t3.medium" (in rds-postgres@2.0.0; the request was written for 1.0.0)',
        },
      ],
    ],
  ])('refuses %s, at its pointer', (_, given, request, problems) => {
    expect(planUpgrade({ document: running(given) as unknown as JsonValue, catalog, ...request })).toEqual({
      problems,
    });
  });

  it('a rollback is told as one; a mixed move is an upgrade', () => {
    const move = (from: string, to: string) => ({ instance: 'db', index: 0, entry: 'e', from, to });
    expect(upgradeVerb([move('1.1.0', '1.0.0')])).toBe('roll back');
    expect(upgradeVerb([move('1.1.0', '1.0.0'), move('1.0.0', '1.1.0')])).toBe('upgrade');
    expect(upgradeVerb([move('1.0.0', '2.0.0')])).toBe('upgrade');
  });

  it('refuses a document without instances', () => {
    expect(planUpgrade({ document: { spec: {} } as JsonValue, catalog })).toEqual({
      problems: [{ path: '', message: 'the committed request has no spec.catalogs: fix it in Git' }],
    });
  });
});
