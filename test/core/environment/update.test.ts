/**
 * An update replaces the whole request (core mergeUpdate): what it leaves out of a running
 * instance's secrets and pinned version is carried over, and what may not change is refused with
 * a pointer into what the client sent.
 */
import { mergeUpdate, type Catalog, type JsonValue } from '../../../src/core/index.js';
import { builtInCatalog } from '../../support/examples.js';
import type { EditableRequest } from '../../support/editable-request.js';

let catalog: Catalog;
beforeAll(async () => {
  catalog = await builtInCatalog();
});

const SECRET_REF = { fromSecret: { name: 'dev-db-params', key: 'masterPassword' } };

const current = {
  apiVersion: 'envcat.io/v1alpha1',
  kind: 'Environment',
  metadata: { name: 'dev', annotations: { 'envcat.io/retry-at': '2026-12-01T10:00:00.000Z' } },
  spec: {
    namespace: 'dev-ns',
    type: 'pre-release',
    owner: 'alice',
    catalogs: [
      {
        name: 'db',
        entry: 'rds-postgres@^1',
        version: '1.0.0',
        parameters: { databaseName: 'orders', masterPassword: SECRET_REF },
      },
      { name: 'app', entry: 'sample-app', parameters: { replicas: 2 } },
    ],
  },
} as unknown as Record<string, JsonValue>;

function sent(change: (doc: EditableRequest) => void): EditableRequest {
  const doc = structuredClone(current) as EditableRequest;
  delete doc.spec.owner;
  delete doc.metadata.annotations;
  delete doc.spec.catalogs[0]!.version;
  delete doc.spec.catalogs[0]!.parameters.masterPassword;
  doc.metadata.resourceVersion = 'abc';
  change(doc);
  return doc;
}

describe('mergeUpdate', () => {
  it('carries over the secret references, pinned versions, owner and envcat annotations it leaves out, and drops read-only metadata', () => {
    const merged = mergeUpdate({
      name: 'dev',
      current,
      input: sent((d) => (d.spec.catalogs[1]!.parameters.replicas = 3)),
      catalog,
    });
    expect(merged).toEqual({
      document: {
        ...current,
        spec: {
          ...(current.spec as object),
          catalogs: [
            (current as unknown as EditableRequest).spec.catalogs[0],
            { name: 'app', entry: 'sample-app', parameters: { replicas: 3 } },
          ],
        },
      },
    });
  });

  it.each<[string, (doc: EditableRequest) => void, Array<{ path: string; message: RegExp }>]>([
    [
      'a rename',
      (d) => (d.metadata.name = 'prod'),
      [{ path: '/metadata/name', message: /cannot be renamed/ }],
    ],
    [
      'another namespace',
      (d) => (d.spec.namespace = 'other'),
      [{ path: '/spec/namespace', message: /must stay "dev-ns"/ }],
    ],
    ['the namespace left out, when it is not the name', (d) => delete d.spec.namespace, []],
    [
      'another entry for a running instance',
      (d) => (d.spec.catalogs[0]!.entry = 's3-bucket'),
      [{ path: '/spec/catalogs/0/entry', message: /must stay "rds-postgres"/ }],
    ],
    ['another range of the same entry', (d) => (d.spec.catalogs[0]!.entry = 'rds-postgres'), []],
    ['a document that is not an object', () => undefined, []],
  ])('%s', (_, change, problems) => {
    const input = _ === 'a document that is not an object' ? 'not an object' : sent(change);
    const merged = mergeUpdate({ name: 'dev', current, input, catalog });
    if (typeof input === 'string') {
      expect(merged).toEqual({ problems: [{ path: '', message: 'must be an Environment object' }] });
      return;
    }
    if (problems.length === 0) {
      expect('document' in merged).toBe(true);
      if ('document' in merged)
        expect((merged.document as unknown as EditableRequest).spec.namespace).toBe('dev-ns');
      return;
    }
    expect(
      'problems' in merged && merged.problems.map((p) => ({ path: p.path, message: p.message })),
    ).toEqual(problems.map((p) => ({ path: p.path, message: expect.stringMatching(p.message) })));
  });

  it('keeps a secret value the update gives (a new one), and carries nothing to a new instance', () => {
    const merged = mergeUpdate({
      name: 'dev',
      current,
      input: sent((d) => {
        d.spec.catalogs[0]!.parameters.masterPassword = 'n3w-Passw0rd-long';
        d.spec.catalogs.push({ name: 'db2', entry: 'rds-postgres', parameters: { databaseName: 'other' } });
      }),
      catalog,
    });
    const catalogs =
      'document' in merged ? (merged.document as unknown as EditableRequest).spec.catalogs : [];
    expect(catalogs[0]!.parameters.masterPassword).toBe('n3w-Passw0rd-long');
    expect(catalogs[2]).toEqual({
      name: 'db2',
      entry: 'rds-postgres',
      parameters: { databaseName: 'other' },
    });
  });
});
