/** The server's JSON pointers land at the wizard field they name. */
import { checkEnvironment } from '../../src/core/index.js';
import {
  emptyErrors,
  firstStepWithErrors,
  hasErrors,
  mapServerErrors,
  pointerTokens,
  withoutField,
  type MappedErrors,
} from '../../src/ui/logic/server-errors.js';
import { builtInCatalog } from '../support/examples.js';

const one = (path: string) => mapServerErrors([{ path, message: 'bad' }]);
const instance = (parameters = {}, rest: Partial<MappedErrors['instances'][number]> = {}) => ({
  name: [],
  entry: [],
  other: [],
  parameters,
  ...rest,
});

describe('mapServerErrors', () => {
  it.each<[string, Partial<MappedErrors>]>([
    ['/metadata/name', { details: { name: ['bad'] } }],
    ['/spec/namespace', { details: { namespace: ['bad'] } }],
    ['/spec/type', { details: { type: ['bad'] } }],
    ['/spec/description', { details: { description: ['bad'] } }],
    ['/spec/ttl', { details: { ttl: ['bad'] } }],
    ['/spec/catalogs', { catalogs: ['bad'] }],
    ['/spec/catalogs/1/name', { instances: { 1: instance({}, { name: ['bad'] }) } }],
    ['/spec/catalogs/1/entry', { instances: { 1: instance({}, { entry: ['bad'] }) } }],
    ['/spec/catalogs/1', { instances: { 1: instance({}, { other: ['bad'] }) } }],
    ['/spec/catalogs/0/parameters', { instances: { 0: instance({ __errors: ['bad'] }) } }],
    [
      '/spec/catalogs/0/parameters/allocatedStorage',
      { instances: { 0: instance({ allocatedStorage: { __errors: ['bad'] } }) } },
    ],
    [
      '/spec/catalogs/0/parameters/subnetIds/1',
      { instances: { 0: instance({ subnetIds: { 1: { __errors: ['bad'] } } }) } },
    ],
    [
      'the reference itself is shown at its parameter',
      { instances: { 2: instance({ databaseEndpoint: { __errors: ['bad'] } }) } },
    ],
    [
      '/spec/catalogs/0/parameters/a~1b~0c',
      { instances: { 0: instance({ 'a/b~c': { __errors: ['bad'] } }) } },
    ],
    ['/spec/catalogs/x/name', { catalogs: ['bad'] }],
    ['/spec/owner', { general: ['/spec/owner: bad'] }],
    ['/metadata/annotations/x', { general: ['/metadata/annotations/x: bad'] }],
    ['', { general: ['bad'] }],
    ['not a pointer', { general: ['not a pointer: bad'] }],
  ])('%s', (path, expected) => {
    const pointer =
      path === 'the reference itself is shown at its parameter'
        ? '/spec/catalogs/2/parameters/databaseEndpoint/fromOutput'
        : path;
    // GIVEN one problem at this pointer WHEN it is mapped THEN it lands exactly there
    expect(one(pointer)).toEqual({ ...emptyErrors(), ...expected });
  });

  it('keeps several messages for one field, in order, each once', () => {
    const mapped = mapServerErrors([
      { path: '/spec/catalogs/0/parameters/port', message: 'first' },
      { path: '/spec/catalogs/0/parameters/port', message: 'second' },
      { path: '/spec/catalogs/0/parameters/port', message: 'first' },
    ]);
    expect(mapped.instances[0]?.parameters).toEqual({ port: { __errors: ['first', 'second'] } });
  });

  it('places every problem the server finds in a bad request', async () => {
    // GIVEN a request with bad details, a bad instance and bad parameter values
    const document = {
      apiVersion: 'envcat.io/v1alpha1',
      kind: 'Environment',
      metadata: { name: 'Bad_Name' },
      spec: {
        type: 'pre-release',
        ttl: '5x',
        catalogs: [
          { name: 'db', entry: 'rds-postgres', parameters: { allocatedStorage: 5 } },
          { name: 'app', entry: 'nope' },
        ],
      },
    };
    // WHEN the server's checks run and their problems are mapped
    const problems = checkEnvironment(document, await builtInCatalog()).problems;
    const mapped = mapServerErrors(problems);
    // THEN each is at its field and none is left over
    expect(mapped.details.name).toHaveLength(1);
    expect(mapped.details.ttl).toEqual(['must be a duration such as 30m, 24h, 7d or 1d12h']);
    expect(mapped.instances[1]?.entry).toEqual(['no catalog entry named "nope"']);
    expect(mapped.instances[0]?.parameters).toEqual({
      databaseName: { __errors: ['Database name is required'] },
      allocatedStorage: { __errors: ['must be at least 20'] },
    });
    expect(mapped.general).toEqual([]);
    expect(firstStepWithErrors(mapped)).toBe('details');
  });
});

describe('firstStepWithErrors', () => {
  it.each([
    ['/spec/ttl', 'details'],
    ['/spec/catalogs', 'entries'],
    ['/spec/catalogs/0/name', 'entries'],
    ['/spec/catalogs/0/parameters/x', 'parameters'],
    ['/spec/owner', undefined],
  ])('an error at %s sends the user to %s', (path, step) =>
    expect(firstStepWithErrors(one(path))).toBe(step),
  );
});

describe('error trees', () => {
  it('tells whether a tree holds a message anywhere', () => {
    expect(hasErrors({})).toBe(false);
    expect(hasErrors({ a: { b: {} }, __errors: [] })).toBe(false);
    expect(hasErrors({ a: { b: { __errors: ['x'] } } })).toBe(true);
  });

  it('drops a field branch without touching the rest', () => {
    const tree = { a: { __errors: ['x'] }, b: { __errors: ['y'] } };
    expect(withoutField(tree, 'a')).toEqual({ b: { __errors: ['y'] } });
    expect(withoutField(tree, 'c')).toBe(tree);
  });

  it.each([
    ['', []],
    ['/a/b', ['a', 'b']],
    ['/a~1b/c~0d', ['a/b', 'c~d']],
    ['a', undefined],
  ])('pointerTokens(%j)', (pointer, tokens) => expect(pointerTokens(pointer)).toEqual(tokens));
});
