/**
 * New secret values for running instances (core environment/secret-revision.ts): which values an
 * update changes against what the instance's Secret holds, the revision each change is committed
 * at, how the revisions are carried through an update and checked in a request, and how a step that
 * reads the Secret renders its revision (never a value, never a digest of one).
 */
import {
  ANNOTATION,
  SECRET_REVISION_ENV,
  carrySecretRevisions,
  checkEnvironment,
  mergeUpdate,
  parseSecretRevision,
  parseYamlDocuments,
  renderStep,
  secretValueChanges,
  validateEnvironment,
  withSecretRevisions,
  type Catalog,
  type JsonValue,
  type ResolvedEnvironment,
  type StoredSecretValues,
} from '../../../src/core/index.js';
import { builtInCatalog, TEST_RENDER_OPTIONS } from '../../support/examples.js';

let catalog: Catalog;
beforeAll(async () => {
  catalog = await builtInCatalog();
});

const OLD = 'old-password-0001';
const NEW = 'new-password-0002';

/** db (rds-postgres: masterPassword is a Terraform variable), app (sample-app: databasePassword for its pods). */
function request(
  parameters: { db?: Record<string, JsonValue>; app?: Record<string, JsonValue> },
  annotations?: Record<string, string>,
): Record<string, JsonValue> {
  return {
    apiVersion: 'envcat.io/v1alpha1',
    kind: 'Environment',
    metadata: { name: 'dev', ...(annotations ? { annotations } : {}) },
    spec: {
      type: 'pre-release',
      catalogs: [
        { name: 'db', entry: 'rds-postgres@^1', parameters: { databaseName: 'orders', ...parameters.db } },
        { name: 'app', entry: 'sample-app@^1', parameters: { ...parameters.app } },
      ],
    },
  };
}

function resolved(document: Record<string, JsonValue>): ResolvedEnvironment {
  return validateEnvironment(document, catalog).environment;
}

describe('secretValueChanges', () => {
  it.each<{
    case: string;
    given: { db?: string; app?: string };
    committed?: Record<string, string>;
    stored: Record<string, StoredSecretValues | undefined>;
    /** The parameters the committed request refers to the instance's own Secret for. */
    referenced?: Record<string, string[]>;
    added?: string[];
    changes: Array<{ instance: string; parameters: string[]; revision: number; completes: boolean }>;
  }>([
    {
      case: 'a new value: the first revision',
      given: { db: NEW },
      stored: { db: { revision: 0, values: { masterPassword: OLD } } },
      changes: [{ instance: 'db', parameters: ['masterPassword'], revision: 1, completes: false }],
    },
    {
      case: 'the value the Secret holds: no change',
      given: { db: OLD },
      stored: { db: { revision: 0, values: { masterPassword: OLD } } },
      changes: [],
    },
    {
      case: 'a new value after two: the count goes on from the committed revision',
      given: { db: NEW },
      committed: { 'secret-revision.envcat.io/db': '2' },
      stored: { db: { revision: 2, values: { masterPassword: OLD } } },
      changes: [{ instance: 'db', parameters: ['masterPassword'], revision: 3, completes: false }],
    },
    {
      case: 'committed but never written (cut off): completed at the committed revision',
      given: { db: NEW },
      committed: { 'secret-revision.envcat.io/db': '2' },
      stored: { db: { revision: 1, values: { masterPassword: OLD } } },
      changes: [{ instance: 'db', parameters: ['masterPassword'], revision: 2, completes: true }],
    },
    {
      case: 'committed but never written, with the value it holds: still completed',
      given: { db: OLD },
      committed: { 'secret-revision.envcat.io/db': '2' },
      stored: { db: { revision: 1, values: { masterPassword: OLD } } },
      changes: [{ instance: 'db', parameters: ['masterPassword'], revision: 2, completes: true }],
    },
    {
      case: 'a Secret ahead of Git (a revision reverted by hand): above both',
      given: { db: NEW },
      committed: { 'secret-revision.envcat.io/db': '1' },
      stored: { db: { revision: 4, values: { masterPassword: OLD } } },
      changes: [{ instance: 'db', parameters: ['masterPassword'], revision: 5, completes: false }],
    },
    {
      case: 'a value for a secret never given, and no Secret yet',
      given: { app: NEW },
      stored: {},
      changes: [{ instance: 'app', parameters: ['databasePassword'], revision: 1, completes: false }],
    },
    {
      case: 'a Secret an update that added the instance never wrote (cut off): written as a create, no revision',
      given: { db: NEW },
      stored: {},
      referenced: { db: ['masterPassword'] },
      changes: [{ instance: 'db', parameters: ['masterPassword'], revision: 0, completes: true }],
    },
    {
      case: 'a Secret gone while Git holds a revision: completed at that revision',
      given: { db: NEW },
      committed: { 'secret-revision.envcat.io/db': '3' },
      stored: {},
      referenced: { db: ['masterPassword'] },
      changes: [{ instance: 'db', parameters: ['masterPassword'], revision: 3, completes: true }],
    },
    {
      case: 'an added instance: its Secret is written as a create writes it',
      given: { app: NEW },
      stored: {},
      added: ['app'],
      changes: [],
    },
    {
      case: 'both instances, each counted on its own',
      given: { db: NEW, app: NEW },
      committed: { 'secret-revision.envcat.io/app': '7' },
      stored: {
        db: { revision: 0, values: { masterPassword: OLD } },
        app: { revision: 7, values: { databasePassword: OLD } },
      },
      changes: [
        { instance: 'db', parameters: ['masterPassword'], revision: 1, completes: false },
        { instance: 'app', parameters: ['databasePassword'], revision: 8, completes: false },
      ],
    },
  ])('$case', ({ given, committed, stored, referenced, added, changes }) => {
    // GIVEN the request an update makes, with the revisions it carries over from Git
    const env = resolved(
      request(
        {
          ...(given.db !== undefined ? { db: { masterPassword: given.db } } : {}),
          ...(given.app !== undefined ? { app: { databasePassword: given.app } } : {}),
        },
        committed,
      ),
    );
    // WHEN compared with what the Secrets hold
    const result = secretValueChanges({
      env,
      added: added ?? [],
      stored: (i) => stored[i],
      referenced: (i) => new Set(referenced?.[i] ?? []),
    });
    // THEN only real changes count, by name
    expect(result.map(({ index: _index, ...c }) => c)).toEqual(changes);
    expect(JSON.stringify(result)).not.toContain(NEW);
  });

  it('gives nothing for an instance whose secrets are references, whatever the Secret holds', () => {
    const env = resolved(
      request({ db: { masterPassword: { fromSecret: { name: 'dev-db-params', key: 'masterPassword' } } } }),
    );
    expect(
      secretValueChanges({
        env,
        added: [],
        stored: () => ({ revision: 0, values: { masterPassword: OLD } }),
        referenced: () => new Set(['masterPassword']),
      }),
    ).toEqual([]);
  });
});

describe('withSecretRevisions', () => {
  it('names each revision in environment.yaml and on its instance; the document keeps references, never values', () => {
    const env = resolved(request({ db: { masterPassword: NEW } }));
    const next = withSecretRevisions(env, [
      { instance: 'db', index: 0, parameters: ['masterPassword'], revision: 3, completes: false },
    ]);
    expect(next.document.metadata.annotations).toEqual({ 'secret-revision.envcat.io/db': '3' });
    expect(next.instances.map((i) => i.secretRevision)).toEqual([3, 0]);
    expect(JSON.stringify(next.document)).not.toContain(NEW);
    // the environment it was made from is unchanged
    expect(env.document.metadata.annotations).toBeUndefined();
    expect(env.instances[0]?.secretRevision).toBe(0);
    // a Secret written as a create writes it names no revision
    const created = withSecretRevisions(env, [
      { instance: 'db', index: 0, parameters: ['masterPassword'], revision: 0, completes: true },
    ]);
    expect(created).toBe(env);
  });
});

describe('the revision in a request', () => {
  it.each<[string, unknown, number | undefined]>([
    ['absent', undefined, 0],
    ['a count', '12', 12],
    ['zero', '0', undefined],
    ['negative', '-1', undefined],
    ['not a number', 'abc', undefined],
    ['a number, not text', 3, undefined],
    ['a leading zero', '01', undefined],
  ])('%s', (_, value, parsed) => {
    expect(parseSecretRevision(value)).toBe(parsed);
  });

  it('is checked in a request with a pointer, and read onto its instance', () => {
    const bad = checkEnvironment(request({}, { 'secret-revision.envcat.io/db': 'two' }), catalog);
    expect(bad.problems).toEqual([
      {
        path: '/metadata/annotations/secret-revision.envcat.io~1db',
        message: expect.stringMatching(/^must be a positive whole number/),
      },
    ]);
    const good = resolved(request({}, { 'secret-revision.envcat.io/app': '2' }));
    expect(good.instances.map((i) => [i.name, i.secretRevision])).toEqual([
      ['db', 0],
      ['app', 2],
    ]);
  });

  it("is envcat's in an update: carried over for the instances kept, whatever the client sent", () => {
    const current = request(
      {},
      { 'secret-revision.envcat.io/db': '2', 'secret-revision.envcat.io/app': '5' },
    );
    // GIVEN a client that sends another revision for db, removes app and names a new instance
    const input = request(
      {},
      { 'secret-revision.envcat.io/db': '9', 'secret-revision.envcat.io/cache': '1', team: 'a' },
    );
    (input.spec as { catalogs: unknown[] }).catalogs.splice(1, 1);
    const merged = mergeUpdate({ name: 'dev', current, input, catalog });
    expect('document' in merged && merged.document.metadata).toEqual({
      name: 'dev',
      annotations: { team: 'a', 'secret-revision.envcat.io/db': '2' },
    });
    expect(
      carrySecretRevisions({
        annotations: { 'secret-revision.envcat.io/db': '9' },
        current: {},
        kept: new Set(['db']),
      }),
    ).toBeUndefined();
  });
});

describe('rendering the revision', () => {
  const render = (env: ResolvedEnvironment, instance: string, part: 'infra' | 'apps') => {
    const step = {
      id: `${instance}/${part}`,
      instance,
      part,
      phase: part === 'infra' ? 1 : 2,
      wave: 1,
      dependsOn: [],
    };
    const outputs = { db: { endpoint: 'db.example.com', port: 5432, username: 'u', databaseName: 'orders' } };
    return renderStep({ env, step: step as never, outputs, options: TEST_RENDER_OPTIONS });
  };
  /** The fields of a rendered object these tests read. */
  interface Rendered {
    kind: string;
    metadata: { annotations?: Record<string, string> };
    spec: {
      forProvider: { env?: unknown; varFiles?: unknown };
      template: { metadata: { annotations?: Record<string, string>; labels?: Record<string, string> } };
    };
  }
  const docs = (content: string) => parseYamlDocuments(content) as unknown as Rendered[];

  it('revision 0 renders what it always did', () => {
    const env = resolved(request({ db: { masterPassword: OLD }, app: { databasePassword: OLD } }));
    const [workspace] = docs(render(env, 'db', 'infra').files[0]!.content);
    expect(workspace!.spec.forProvider.env).toBeUndefined();
    for (const file of render(env, 'app', 'apps').files)
      expect(file.content).not.toContain(ANNOTATION.secretRevision);
  });

  it('puts it in the spec of a Workspace that reads the Secret (its generation moves), on the Application and on the pod templates', () => {
    const env = withSecretRevisions(
      resolved(request({ db: { masterPassword: OLD }, app: { databasePassword: OLD } })),
      [
        { instance: 'db', index: 0, parameters: ['masterPassword'], revision: 2, completes: false },
        { instance: 'app', index: 1, parameters: ['databasePassword'], revision: 4, completes: false },
      ],
    );
    const [workspace] = docs(render(env, 'db', 'infra').files[0]!.content);
    expect(workspace!.spec.forProvider.env).toEqual([{ name: SECRET_REVISION_ENV, value: '2' }]);
    const apps = render(env, 'app', 'apps').files.flatMap((f) => docs(f.content));
    const application = apps.find((d) => d.kind === 'Application')!;
    expect(application.metadata.annotations?.[ANNOTATION.secretRevision]).toBe('4');
    const deployment = apps.find((d) => d.kind === 'Deployment')!;
    expect(deployment.spec.template.metadata.annotations).toEqual({ [ANNOTATION.secretRevision]: '4' });
    expect(deployment.spec.template.metadata.labels).toBeDefined();
    // everything that is not a workload is as it was
    const before = render(resolved(request({ app: { databasePassword: OLD } })), 'app', 'apps').files;
    const after = render(env, 'app', 'apps').files;
    for (const [i, file] of after.entries())
      if (!/Deployment|Application/.test(file.content)) expect(file.content).toBe(before[i]!.content);
  });

  it('leaves a Workspace that reads no secret alone', () => {
    // GIVEN a revision for db, whose Workspace reads no secret (no masterPassword given)
    const env = withSecretRevisions(resolved(request({ db: {}, app: { databasePassword: OLD } })), [
      { instance: 'db', index: 0, parameters: [], revision: 3, completes: false },
    ]);
    // THEN db's Workspace, which has no varFiles, does not carry it
    const [workspace] = docs(render(env, 'db', 'infra').files[0]!.content);
    expect(workspace!.spec.forProvider.varFiles).toBeUndefined();
    expect(workspace!.spec.forProvider.env).toBeUndefined();
  });
});
