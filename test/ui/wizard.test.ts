/** The wizard's state: details, instances, values, references, server errors, and the document it sends. */
import { checkEnvironment, parseYamlDocument } from '../../src/core/index.js';
import type { CatalogVersion, JsonSchema } from '../../src/api/contract.js';
import { referenceCandidates } from '../../src/ui/logic/references.js';
import { mapServerErrors } from '../../src/ui/logic/server-errors.js';
import {
  buildDocument,
  chosenInstances,
  detailsProblems,
  draftOf,
  hasInput,
  initialWizardState,
  parseDraft,
  instanceProblems,
  suggestInstanceName,
  wizardReducer,
  type WizardAction,
  type WizardState,
} from '../../src/ui/logic/wizard.js';
import { builtInCatalog, CATALOGS } from '../support/examples.js';
import { builtInVersion } from './entries.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const run = (...actions: WizardAction[]): WizardState => actions.reduce(wizardReducer, initialWizardState());
const add = (entry: string, version = '1.0.0'): WizardAction => ({ type: 'addInstance', entry, version });

describe('details', () => {
  it('lets the namespace follow the name until the user types one', () => {
    let state = run({ type: 'setDetails', patch: { name: 'dev-a' } });
    expect(state.details.namespace).toBe('dev-a');
    state = wizardReducer(state, { type: 'setDetails', patch: { namespace: 'team-ns' } });
    state = wizardReducer(state, { type: 'setDetails', patch: { name: 'dev-b' } });
    expect(state.details).toMatchObject({ name: 'dev-b', namespace: 'team-ns' });
    // Clearing it hands it back to the name.
    state = wizardReducer(state, { type: 'setDetails', patch: { namespace: '' } });
    state = wizardReducer(state, { type: 'setDetails', patch: { name: 'dev-c' } });
    expect(state.details.namespace).toBe('dev-c');
  });

  it.each([
    [{ name: '' }, { name: 'is required' }],
    [{ name: 'Dev_A' }, { name: expect.stringContaining('DNS-1123') }],
    [{ name: 'dev-a', ttl: '1 day' }, { ttl: 'must be a duration such as 30m, 24h, 7d or 1d12h' }],
    [{ name: 'dev-a', ttl: '1d12h' }, {}],
    [{ name: 'dev-a', namespace: 'Bad NS' }, { namespace: expect.stringContaining('DNS-1123') }],
  ])('checks %j before asking the server', (patch, expected) => {
    expect(detailsProblems(run({ type: 'setDetails', patch }).details)).toEqual(expected);
  });

  it('clears the server error of a field the user edits, and only that one', () => {
    let state = run({ type: 'setDetails', patch: { name: 'dev-a' } });
    state = wizardReducer(state, {
      type: 'serverErrors',
      errors: mapServerErrors([
        { path: '/metadata/name', message: 'taken' },
        { path: '/spec/ttl', message: 'too long' },
      ]),
    });
    expect(state.step).toBe('details');
    state = wizardReducer(state, { type: 'setDetails', patch: { ttl: '24h' } });
    expect(state.errors.details).toEqual({ name: ['taken'] });
  });
});

describe('instances', () => {
  it('names instances after their entry, unique within the environment', () => {
    const state = run(add('sample-app'), add('sample-app'), add('sample-app'));
    expect(state.instances.map((i) => i.name)).toEqual(['sample-app', 'sample-app-2', 'sample-app-3']);
    expect(suggestInstanceName('x'.repeat(60), new Set())).toHaveLength(53);
    expect(suggestInstanceName('x'.repeat(60), new Set(['x'.repeat(53)]))).toBe(`${'x'.repeat(51)}-2`);
  });

  it('follows a rename in the references of other instances and drops them when the producer goes', () => {
    let state = run(add('rds-postgres'), add('sample-app'));
    const [db, app] = state.instances.map((i) => i.id) as [number, number];
    state = wizardReducer(state, {
      type: 'setReference',
      id: app,
      parameter: 'databaseEndpoint',
      reference: 'rds-postgres.endpoint',
    });
    state = wizardReducer(state, { type: 'renameInstance', id: db, name: 'db' });
    expect(state.instances[1]?.references).toEqual({ databaseEndpoint: 'db.endpoint' });
    state = wizardReducer(state, { type: 'removeInstance', id: db });
    expect(state.instances.map((i) => [i.name, i.references])).toEqual([['sample-app', {}]]);
  });

  it('keeps a literal or a reference for a parameter, never both', () => {
    let state = run(add('sample-app'));
    const id = state.instances[0]!.id;
    state = wizardReducer(state, {
      type: 'setValues',
      id,
      values: { replicas: 2, databaseEndpoint: 'x', logLevel: undefined },
    });
    expect(state.instances[0]?.values).toEqual({ replicas: 2, databaseEndpoint: 'x' });
    state = wizardReducer(state, {
      type: 'setReference',
      id,
      parameter: 'databaseEndpoint',
      reference: 'db.endpoint',
    });
    expect(state.instances[0]).toMatchObject({
      values: { replicas: 2 },
      references: { databaseEndpoint: 'db.endpoint' },
    });
    // The form reports the referenced field back; it stays a reference.
    state = wizardReducer(state, { type: 'setValues', id, values: { replicas: 3, databaseEndpoint: 'y' } });
    expect(state.instances[0]).toMatchObject({
      values: { replicas: 3 },
      references: { databaseEndpoint: 'db.endpoint' },
    });
    state = wizardReducer(state, { type: 'clearReference', id, parameter: 'databaseEndpoint' });
    expect(state.instances[0]).toMatchObject({ values: { replicas: 3 }, references: {} });
  });

  it('starts over the values when another version (another schema) is chosen', () => {
    let state = run(add('sample-app'));
    const id = state.instances[0]!.id;
    state = wizardReducer(state, { type: 'setValues', id, values: { replicas: 2 } });
    state = wizardReducer(state, { type: 'setVersion', id, version: '2.0.0' });
    expect(state.instances[0]).toMatchObject({ version: '2.0.0', values: {}, references: {} });
  });

  it('checks instance names before asking the server', () => {
    let state = run(
      { type: 'setDetails', patch: { name: 'e'.repeat(50) } },
      add('sample-app'),
      add('datadog-agent'),
      add('vpc'),
      add('s3-bucket'),
    );
    const [a, b, c, d] = state.instances.map((i) => i.id) as [number, number, number, number];
    state = wizardReducer(state, { type: 'renameInstance', id: c, name: 'Net' });
    state = wizardReducer(state, { type: 'renameInstance', id: d, name: 'sample-app' });
    expect(instanceProblems(state).names).toEqual({
      [a]: 'is used by another instance',
      [b]: `"${'e'.repeat(50)}-datadog-agent" must be at most 63 characters; choose a shorter name`,
      [c]: expect.stringContaining('DNS-1123'),
      [d]: 'is used by another instance',
    });
    expect(instanceProblems(initialWizardState())).toEqual({
      names: {},
      catalogs: 'choose at least one entry',
    });
  });

  it('moves parameter errors from positions to instances and sends the user to the first step with one', () => {
    let state = run(add('rds-postgres'), add('sample-app'));
    const app = state.instances[1]!.id;
    state = wizardReducer(state, {
      type: 'serverErrors',
      errors: mapServerErrors([{ path: '/spec/catalogs/1/parameters/replicas', message: 'must be <= 20' }]),
    });
    expect(state.step).toBe('parameters');
    expect(state.errors.instances[app]?.parameters).toEqual({ replicas: { __errors: ['must be <= 20'] } });
    // Editing another field keeps it; editing that field clears it.
    state = wizardReducer(state, { type: 'setValues', id: app, values: { replicas: 50, port: 9000 } });
    expect(state.errors.instances[app]?.parameters).toEqual({});
  });
});

describe('the document', () => {
  async function versions(): Promise<Map<string, CatalogVersion>> {
    const names = ['rds-postgres', 'datadog-agent', 'sample-app'];
    return new Map(await Promise.all(names.map(async (n) => [n, await builtInVersion(n)] as const)));
  }

  it('builds the domain example through the wizard, reference picked from the candidates, and the server accepts it', async () => {
    const byEntry = await versions();
    // GIVEN the steps a user takes in the wizard
    let state = run(
      {
        type: 'setDetails',
        patch: { name: 'dev-feature-auth', description: 'Auth feature work', ttl: '24h' },
      },
      add('rds-postgres'),
      add('datadog-agent'),
      add('sample-app'),
    );
    const [db, monitoring, app] = state.instances.map((i) => i.id) as [number, number, number];
    state = [
      { type: 'renameInstance', id: db, name: 'db' },
      { type: 'renameInstance', id: monitoring, name: 'monitoring' },
      { type: 'renameInstance', id: app, name: 'app' },
      { type: 'setValues', id: db, values: { databaseName: 'feature_auth_db', allocatedStorage: 20 } },
      {
        type: 'setValues',
        id: monitoring,
        values: { clusterName: 'dev-feature-auth', apiKey: '0123456789abcdef0123456789abcdef' },
      },
      { type: 'setValues', id: app, values: { replicas: 2 } },
    ].reduce<WizardState>((s, a) => wizardReducer(s, a as WizardAction), state);
    const chosen = chosenInstances(state.instances, (entry) => byEntry.get(entry));
    const appSchema = byEntry.get('sample-app')!.parameters.properties as Record<string, JsonSchema>;
    const candidates = referenceCandidates(chosen, {
      instance: 'app',
      parameter: 'databaseEndpoint',
      schema: appSchema.databaseEndpoint!,
    });
    expect(candidates.map((c) => c.value)).toEqual(['db.endpoint', 'db.username', 'db.databaseName']);
    state = wizardReducer(state, {
      type: 'setReference',
      id: app,
      parameter: 'databaseEndpoint',
      reference: candidates[0]!.value,
    });

    // WHEN the document is built
    const document = buildDocument(state);

    // THEN it is the example of catalogs/sample-app/examples, with exact versions
    const example = parseYamlDocument(
      readFileSync(join(CATALOGS, 'sample-app/examples/dev-feature-auth.yaml'), 'utf8'),
    ) as {
      spec: { catalogs: Array<{ entry: string }> };
    };
    expect(document).toEqual({
      ...example,
      spec: {
        ...example.spec,
        catalogs: example.spec.catalogs.map((c) => ({ ...c, entry: `${c.entry.split('@')[0]}@1.0.0` })),
      },
    });
    // AND the server's validation accepts it
    expect(checkEnvironment(document, await builtInCatalog()).problems).toEqual([]);
  });

  it('leaves out empty optional details and instances without parameters', () => {
    const document = buildDocument(
      run({ type: 'setDetails', patch: { name: ' demo ', description: '  ' } }, add('sample-app')),
    );
    expect(document).toEqual({
      apiVersion: 'envcat.io/v1alpha1',
      kind: 'Environment',
      metadata: { name: 'demo' },
      spec: {
        namespace: 'demo',
        type: 'pre-release',
        catalogs: [{ name: 'sample-app', entry: 'sample-app@1.0.0' }],
      },
    });
  });
});

describe('the draft kept over a reload', () => {
  it('keeps the input without secret values, and reads it back', () => {
    let state = run(
      { type: 'setDetails', patch: { name: 'dev-a', ttl: '8h' } },
      add('datadog-agent'),
      add('vpc'),
    );
    const [monitoring, network] = state.instances.map((i) => i.id) as [number, number];
    state = wizardReducer(state, {
      type: 'setValues',
      id: monitoring,
      values: { clusterName: 'dev-a', apiKey: '0123456789abcdef0123456789abcdef' },
    });
    state = wizardReducer(state, { type: 'setValues', id: network, values: { name: 'net' } });
    state = wizardReducer(state, { type: 'goto', step: 'parameters' });

    // GIVEN the monitoring schema is known (apiKey secret) and the network one is not yet
    const draft = draftOf(state, (i) => (i.entry === 'datadog-agent' ? ['apiKey'] : undefined));
    const text = JSON.stringify(draft);

    expect(text).not.toContain('0123456789abcdef');
    expect(draft.instances.map((i) => i.values)).toEqual([{ clusterName: 'dev-a' }, {}]);
    const restored = wizardReducer(initialWizardState(), { type: 'restore', draft: parseDraft(text)! });
    expect(restored).toMatchObject({ step: 'parameters', details: state.details, nextId: state.nextId });
    expect(restored.instances.map((i) => [i.id, i.name])).toEqual(state.instances.map((i) => [i.id, i.name]));
  });

  it.each([
    ['nothing', null],
    ['not JSON', '{'],
    ['another shape', '{"details":{"name":1},"instances":[]}'],
    [
      'a bad instance',
      JSON.stringify({ ...draftOf(initialWizardState(), () => []), instances: [{ id: 'x' }] }),
    ],
  ])('ignores %s', (_, text) => expect(parseDraft(text)).toBeUndefined());

  it.each([
    ['an empty wizard', initialWizardState(), false],
    ['a name', run({ type: 'setDetails', patch: { name: 'a' } }), true],
    ['an entry', run(add('vpc')), true],
    ['only the type changed', run({ type: 'setDetails', patch: { type: 'release' } }), false],
  ])('%s is input to keep: %s', (_, state, expected) => expect(hasInput(state)).toBe(expected));
});
