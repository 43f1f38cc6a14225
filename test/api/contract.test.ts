/**
 * The REST contract against the running service. tsc holds the OpenAPI schemas (src/api/openapi.ts)
 * to the contract's types (src/api/contract.ts), field by field; this suite holds the service to
 * the schemas. Every response the OpenAPI document declares names a contract schema, and every
 * answer the service gives here validates against the schema the document names for its route and
 * status: no field missing, none extra (the schemas forbid unknown fields), no status the document
 * does not declare. The last test checks that each success response the document declares was
 * seen here at least once.
 */
import { jest } from '@jest/globals';
import type { ValidateFunction } from 'ajv';
import type { EnvironmentEvents } from '../../src/api/contract.js';
import { ajvProblems, createAjv } from '../../src/core/schema/index.js';
import {
  exampleText,
  parse,
  startTestEnvcat,
  TEST_TOKEN,
  waitFor,
  type TestEnvcat,
} from '../support/envcat.js';
import type { EditableRequest } from '../support/editable-request.js';
import { rdsPostgresFiles } from '../support/examples.js';

jest.setTimeout(90_000);

interface MediaType {
  schema: { $ref?: string; oneOf?: Array<{ $ref?: string }>; type?: string };
}
interface OpenApiDocument {
  paths: Record<
    string,
    Record<string, { responses: Record<string, { content?: Record<string, MediaType> }> }>
  >;
  components: { schemas: Record<string, object> };
}

const SCHEMAS = '#/components/schemas/';
/** The schema each server-sent event's data follows, by event type. */
const EVENT_SCHEMAS: { [K in keyof EnvironmentEvents]: string } = {
  status: `${SCHEMAS}EnvironmentStatus`,
  deleted: `${SCHEMAS}EnvironmentDeleted`,
};

let envcat: TestEnvcat;
let openapi: OpenApiDocument;
const ajv = createAjv();
const validators = new Map<string, ValidateFunction>();
/** `<method> <path template> <status>` of every answer checked so far. */
const seen = new Set<string>();

beforeAll(async () => {
  envcat = await startTestEnvcat({ env: { ENVCAT_TOKENS: 'alice:developer:alice-token-123' } });
  openapi = (await (await fetch(`${envcat.url}/api/openapi.json`)).json()) as OpenApiDocument;
});
afterAll(async () => {
  await envcat?.close();
});

/** The problems of `value` against a component schema, as `<pointer> <message>` lines. */
function problemsAgainst(ref: string, value: unknown): string[] {
  if (!ref.startsWith(SCHEMAS)) throw new Error(`${ref} is not a component schema`);
  const name = ref.slice(SCHEMAS.length);
  let validate = validators.get(name);
  if (!validate) {
    const schema = openapi.components.schemas[name];
    if (!schema) throw new Error(`the document has no schema ${name}`);
    validate = ajv.compile(schema);
    validators.set(name, validate);
  }
  return validate(value) ? [] : ajvProblems(validate.errors).map((p) => `${p.path || '/'} ${p.message}`);
}

function templateOf(path: string): string {
  const bare = path.split('?')[0] ?? path;
  const template = Object.keys(openapi.paths).find((t) =>
    new RegExp(`^${t.replace(/\{[^}]+\}/g, '[^/]+')}$`).test(bare),
  );
  if (!template) throw new Error(`the document has no path for ${bare}`);
  return template;
}

/** A request whose answer must be one the document declares, and validate against its schema. */
async function call<T = Record<string, unknown>>(
  method: string,
  path: string,
  body?: unknown,
  options?: { token?: string; contentType?: string },
): Promise<{ status: number; body: T }> {
  const response = await envcat.api<T>(method, path, body, options);
  const route = `${method.toLowerCase()} ${templateOf(path)}`;
  const declared =
    openapi.paths[templateOf(path)]?.[method.toLowerCase()]?.responses[String(response.status)];
  if (!declared)
    throw new Error(
      `${route} answered ${response.status}, which the document does not declare: ${response.text}`,
    );
  const schema = declared.content?.['application/json']?.schema;
  // One answer of several shapes (an update, or its dry run) must be one of them.
  const refs = schema?.$ref ? [schema.$ref] : (schema?.oneOf ?? []).flatMap((s) => (s.$ref ? [s.$ref] : []));
  if (refs.length === 0) throw new Error(`${route} ${response.status} has no JSON schema in the document`);
  const problems = refs
    .map((ref) => problemsAgainst(ref, response.body))
    .reduce((fewest, next) => (next.length < fewest.length ? next : fewest));
  expect({ route, status: response.status, problems }).toEqual({
    route,
    status: response.status,
    problems: [],
  });
  seen.add(`${route} ${response.status}`);
  return response;
}

/** Reads server-sent events until `until` returns true for one; each as `{ type, data }`. */
async function readEvents(
  stream: ReadableStream<Uint8Array>,
  until: (event: { type: string; data: unknown }) => boolean,
): Promise<Array<{ type: string; data: unknown }>> {
  const reader = stream.getReader();
  const decoder = new TextDecoder();
  const events: Array<{ type: string; data: unknown }> = [];
  let buffer = '';
  await waitFor(
    'the event that ends the stream',
    async () => {
      const { value, done } = await reader.read();
      if (done) throw new Error('the stream ended');
      buffer += decoder.decode(value, { stream: true });
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const frame = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const field = (name: string) =>
          frame
            .split('\n')
            .filter((line) => line.startsWith(`${name}:`))
            .map((line) => line.slice(name.length + 1).trimStart())
            .join('\n');
        const event = { type: field('event'), data: JSON.parse(field('data')) as unknown };
        events.push(event);
        if (until(event)) return true;
      }
      return undefined;
    },
    { timeoutMs: 30_000, intervalMs: 0 },
  );
  await reader.cancel();
  return events;
}

describe('the OpenAPI document', () => {
  it('names a contract schema for every response it declares, and each schema compiles', () => {
    const unnamed: string[] = [];
    for (const [path, operations] of Object.entries(openapi.paths))
      for (const [method, { responses }] of Object.entries(operations))
        for (const [status, response] of Object.entries(responses)) {
          const route = `${method} ${path} ${status}`;
          const media = Object.entries(response.content ?? {});
          if (media.length === 0) unnamed.push(`${route}: no content`);
          for (const [type, { schema }] of media) {
            const refs = schema.oneOf ? schema.oneOf.map((s) => s.$ref) : [schema.$ref];
            if (type === 'text/plain' && schema.type === 'string') continue;
            for (const ref of refs)
              if (!ref?.startsWith(SCHEMAS) || !(ref.slice(SCHEMAS.length) in openapi.components.schemas))
                unnamed.push(`${route} ${type}: ${JSON.stringify(schema)}`);
          }
        }
    expect(unnamed).toEqual([]);
    for (const ref of Object.keys(openapi.components.schemas))
      expect(() => problemsAgainst(`${SCHEMAS}${ref}`, null)).not.toThrow();
  });

  it('describes the event stream with the schema of each event', () => {
    const stream =
      openapi.paths['/api/v1/environments/{name}/events']?.get?.responses['200']?.content?.[
        'text/event-stream'
      ];
    expect(stream?.schema.oneOf?.map((s) => s.$ref).sort()).toEqual(Object.values(EVENT_SCHEMAS).sort());
  });
});

describe('the service answers as the document says', () => {
  it('for health, identity and catalogs', async () => {
    await call('GET', '/healthz');
    await call('GET', '/api/v1/whoami');
    await call('GET', '/api/v1/whoami', undefined, { token: 'not-a-token' });
    const list = await call<{ items: Array<{ name: string }> }>('GET', '/api/v1/catalogs');
    // Every entry, so each kind's optional fields (helm, module, outputs) are seen.
    for (const { name } of list.body.items) await call('GET', `/api/v1/catalogs/${name}`);
    await call('GET', '/api/v1/catalogs/no-such-entry');

    const entry = {
      files: [
        {
          path: 'catalog.yaml',
          content: [
            'apiVersion: envcat.io/v1alpha1',
            'kind: CatalogEntry',
            'metadata: { name: contract-cache, version: 1.0.0, annotations: { team: platform } }',
            'spec:',
            '  type: yaml',
            '  parameters: { type: object, properties: { memory: { type: string, default: 256Mi } } }',
            '  apps:',
            '    helm: { repoURL: "https://charts.bitnami.com/bitnami", chart: redis, targetRevision: 19.0.0 }',
            '',
          ].join('\n'),
        },
      ],
    };
    expect((await call('POST', '/api/v1/catalogs', entry)).status).toBe(201);
    expect((await call('POST', '/api/v1/catalogs', entry)).status).toBe(200);
    await call('GET', '/api/v1/catalogs/contract-cache');
    // Its files, one of them, and what is not there
    const files = await call<{ items: Array<{ path: string }> }>(
      'GET',
      '/api/v1/catalogs/contract-cache/versions/1.0.0/files',
    );
    expect(files.body.items.map((f) => f.path)).toEqual(['catalog.yaml']);
    await call('GET', '/api/v1/catalogs/contract-cache/versions/1.0.0/files/catalog.yaml');
    await call('GET', '/api/v1/catalogs/contract-cache/versions/1.0.0/files/nope.yaml');
    await call('GET', '/api/v1/catalogs/contract-cache/versions/9.9.9/files');
    await call('POST', '/api/v1/catalogs', entry, { token: 'alice-token-123' });
    await call('POST', '/api/v1/catalogs', { files: [] });

    // A dry run of the next version, a version below the highest, and the states of a version
    const next = {
      files: [{ path: 'catalog.yaml', content: entry.files[0]!.content.replace('1.0.0', '1.1.0') }],
    };
    const dry = await call<{ breakingChanges: unknown[] }>('POST', '/api/v1/catalogs?dryRun=true', next);
    expect(dry.status).toBe(200);
    expect(dry.body.breakingChanges).toEqual([]);
    await call('POST', '/api/v1/catalogs?dryRun=maybe', next);
    expect((await call('POST', '/api/v1/catalogs', next)).status).toBe(201);
    expect(
      (
        await call('POST', '/api/v1/catalogs', entry.files[0]!.content.replace('1.0.0', '0.9.0'), {
          contentType: 'application/yaml',
        })
      ).status,
    ).toBe(409);
    const state = await call('PATCH', '/api/v1/catalogs/contract-cache/versions/1.0.0', { deprecated: true });
    expect(state.body).toMatchObject({ deprecated: true });
    await call('GET', '/api/v1/catalogs/contract-cache');
    await call('PATCH', '/api/v1/catalogs/contract-cache/versions/1.0.0', { hidden: true });
    await call('PATCH', '/api/v1/catalogs/contract-cache/versions/9.9.9', { yanked: true });
    await call(
      'PATCH',
      '/api/v1/catalogs/contract-cache/versions/1.0.0',
      { yanked: true },
      { token: 'alice-token-123' },
    );
  });

  it('for an environment from its dry run to its deletion, and its event stream', async () => {
    const document = parse(await exampleText('sample-app', 'dev-feature-auth.yaml'));
    const planned = await call<{ edges: unknown[] }>('POST', '/api/v1/environments?dryRun=true', document);
    expect(planned.status).toBe(200);
    expect(planned.body.edges).toContainEqual({ from: 'db/infra', to: 'app/apps', outputs: ['db.endpoint'] });
    await call('POST', '/api/v1/environments?dryRun=maybe', document);
    await call('POST', '/api/v1/environments', 'a: b', { contentType: 'text/plain' });
    await call('POST', '/api/v1/environments', { ...document, spec: { type: 'release' } });

    expect((await call('GET', '/api/v1/environments/dev-feature-auth/availability')).status).toBe(200);
    expect((await call('POST', '/api/v1/environments', document)).status).toBe(201);
    await call('POST', '/api/v1/environments', document);
    const name = 'dev-feature-auth';
    const taken = await call<{ available: boolean }>('GET', `/api/v1/environments/${name}/availability`);
    expect(taken.body.available).toBe(false);
    await call('GET', `/api/v1/environments/${name}/availability?namespace=a&namespace=b`);
    // Ready, with steps, outputs and commits to check.
    await waitFor('the environment Ready', async () => {
      const view = await call<{ status: { phase: string } }>('GET', `/api/v1/environments/${name}`);
      return view.body.status.phase === 'Ready' ? true : undefined;
    });
    await call('GET', '/api/v1/environments');
    await call('GET', '/api/v1/environments/no-such-environment');
    // Each step's resource with its conditions, and the plan's edges; Argo CD asked to refresh.
    const resources = await call<{
      edges: unknown[];
      items: Array<{ step: string; kind: string; exists: boolean; conditions: Array<{ type: string }> }>;
    }>('GET', `/api/v1/environments/${name}/resources`);
    const db = resources.body.items.find((i) => i.step === 'db/infra');
    expect(db).toMatchObject({ kind: 'Workspace', exists: true });
    expect(db?.conditions.map((c) => c.type)).toEqual(expect.arrayContaining(['Ready', 'Synced']));
    expect(resources.body.items.find((i) => i.step === 'app/apps')?.kind).toBe('Application');
    expect(resources.body.edges).toContainEqual({
      from: 'db/infra',
      to: 'app/apps',
      outputs: ['db.endpoint'],
    });
    await call('GET', '/api/v1/environments/no-such-environment/resources');
    const refresh = await call<{ refreshing: Array<{ kind: string; name: string }> }>(
      'POST',
      `/api/v1/environments/${name}/refresh`,
    );
    expect(refresh.status).toBe(202);
    expect(refresh.body.refreshing).toContainEqual({ kind: 'Application', name: `${name}-app` });
    await call('POST', '/api/v1/environments/no-such-environment/refresh');
    expect((await call('POST', `/api/v1/environments/${name}/retry`)).status).toBe(202);
    await call('POST', '/api/v1/environments/no-such-environment/retry');

    // An update: its dry run, the update, a stale one, an invalid one, one of nothing.
    const read = (await call<EditableRequest>('GET', `/api/v1/environments/${name}`)).body;
    const { status: _status, ...request } = read;
    const changed = structuredClone(request);
    changed.spec.description = 'Auth feature work, reviewed';
    const dry = await call<{ files: Array<{ path: string; diff?: string }> }>(
      'PUT',
      `/api/v1/environments/${name}?dryRun=true`,
      changed,
    );
    expect(dry.body.files.find((f) => f.path.endsWith('environment.yaml'))?.diff).toMatch(/^\+.*reviewed$/m);
    expect((await call('PUT', `/api/v1/environments/${name}`, changed)).status).toBe(200);
    expect((await call('PUT', `/api/v1/environments/${name}`, changed)).status).toBe(409);
    await call('PUT', `/api/v1/environments/${name}`, {
      ...request,
      metadata: { name },
      spec: { type: 'release' },
    });
    await call('PUT', '/api/v1/environments/no-such-environment', changed);

    // An upgrade of db to a newly published rds-postgres: its dry run, the upgrade, the refusals.
    expect((await call('POST', '/api/v1/catalogs', { files: rdsPostgresFiles('1.1.0') })).status).toBe(201);
    const upgrade = `/api/v1/environments/${name}/upgrade`;
    const plan = await call<{ upgrades: Array<{ from: string; to: string; reference?: unknown }> }>(
      'POST',
      `${upgrade}?dryRun=true`,
      { instance: 'db' },
    );
    expect(plan.body.upgrades).toMatchObject([{ from: '1.0.0', to: '1.1.0' }]);
    const outside = await call<{ upgrades: Array<{ reference?: unknown }> }>(
      'POST',
      `${upgrade}?dryRun=All`,
      {
        instance: 'app',
        to: '1.0.0',
      },
    );
    expect(outside.body.upgrades).toEqual([]);
    await call('POST', `${upgrade}?dryRun=maybe`, {});
    const upgraded = await call<{ spec: { catalogs: Array<{ version: string }> } }>('POST', upgrade, {});
    expect(upgraded.status).toBe(200);
    expect(upgraded.body.spec.catalogs[0]?.version).toBe('1.1.0');
    await call('POST', upgrade, { instance: 'db', to: '9.9.9' });
    await call('POST', upgrade, { colour: 'red' });
    await call('POST', '/api/v1/environments/no-such-environment/upgrade', {});

    // A ttl patch: set, stale, other fields, not found; status.expiresAt is creation + ttl.
    const env = `/api/v1/environments/${name}`;
    const extended = await call<EditableRequest & { status: { expiresAt?: string } }>('PATCH', env, {
      spec: { ttl: '50h' },
    });
    expect(extended.status).toBe(200);
    expect(extended.body.spec.ttl).toBe('50h');
    const created = Date.parse(String(extended.body.metadata.creationTimestamp));
    expect(Date.parse(String(extended.body.status.expiresAt))).toBe(created + 50 * 3_600_000);
    const listed = await call<{ items: Array<{ name: string; expiresAt?: string }> }>(
      'GET',
      '/api/v1/environments',
    );
    expect(listed.body.items.find((i) => i.name === name)?.expiresAt).toBe(extended.body.status.expiresAt);
    const stale = await call('PATCH', env, { metadata: { resourceVersion: 'stale' }, spec: { ttl: '60h' } });
    expect(stale.status).toBe(409);
    const other = await call<{ errors: Array<{ path: string }> }>('PATCH', env, {
      spec: { ttl: '60h', owner: 'mallory' },
    });
    expect([other.status, other.body.errors.map((e) => e.path)]).toEqual([422, ['/spec/owner']]);
    await call('PATCH', '/api/v1/environments/no-such-environment', { spec: { ttl: '1h' } });

    const stream = await fetch(`${envcat.url}/api/v1/environments/${name}/events?access_token=${TEST_TOKEN}`);
    expect(stream.status).toBe(200);
    expect((await call('DELETE', `/api/v1/environments/${name}`)).status).toBe(202);
    await call('POST', `/api/v1/environments/${name}/retry`);
    await call('DELETE', '/api/v1/environments/no-such-environment');
    const events = await readEvents(stream.body!, (event) => event.type === 'deleted');
    expect(events.map((e) => e.type)).toContain('status');
    for (const event of events) {
      const ref = EVENT_SCHEMAS[event.type as keyof EnvironmentEvents];
      expect({
        type: event.type,
        problems: ref ? problemsAgainst(ref, event.data) : ['unknown event'],
      }).toEqual({
        type: event.type,
        problems: [],
      });
    }
    seen.add('get /api/v1/environments/{name}/events 200');
    expect((await call('GET', `/api/v1/environments/${name}`)).status).toBe(404);
  });

  it('has answered with every success response the document declares', () => {
    const declared = Object.entries(openapi.paths).flatMap(([path, operations]) =>
      Object.entries(operations).flatMap(([method, { responses }]) =>
        Object.keys(responses)
          .filter((status) => status.startsWith('2') && !(method === 'get' && path === '/metrics'))
          .map((status) => `${method} ${path} ${status}`),
      ),
    );
    expect(declared.filter((route) => !seen.has(route))).toEqual([]);
  });
});
