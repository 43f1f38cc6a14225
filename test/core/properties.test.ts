/**
 * Properties of the request and entry formats over generated input (fast-check): the validators
 * answer every JSON value with problems instead of throwing; a valid request renders to the same
 * bytes every time; and no secret parameter value ever reaches a rendered file.
 */
import fc from 'fast-check';
import {
  canonicalize,
  checkEnvironment,
  environmentFile,
  parseYamlDocument,
  renderEnvironment,
  renderEnvironmentFiles,
  validateEntry,
  type Catalog,
  type JsonValue,
} from '../../src/core/index.js';
import { builtInCatalog, examples, sampleOutputs, TEST_RENDER_OPTIONS } from '../support/examples.js';

let catalog: Catalog;
beforeAll(async () => {
  catalog = await builtInCatalog();
});

const RUNS = { numRuns: 150 };
const json = fc.jsonValue({ maxDepth: 6 }) as fc.Arbitrary<JsonValue>;

/** Requests shaped like an Environment (so validation gets past the schema), with anything inside. */
const shapedRequest = fc.record(
  {
    apiVersion: fc.oneof(fc.constant('envcat.io/v1alpha1'), json),
    kind: fc.oneof(fc.constant('Environment'), json),
    metadata: fc.oneof(
      fc.record({ name: fc.oneof(fc.stringMatching(/^[a-z][a-z0-9-]{0,20}$/), json) }, { requiredKeys: [] }),
      json,
    ),
    spec: fc.oneof(
      fc.record(
        {
          namespace: fc.oneof(fc.string(), json),
          type: fc.constantFrom('pre-release', 'release', 'other'),
          ttl: fc.oneof(fc.constantFrom('1h', '24h', '0s', '999d'), fc.string()),
          catalogs: fc.array(
            fc.record(
              {
                name: fc.oneof(fc.stringMatching(/^[a-z][a-z0-9-]{0,10}$/), json),
                entry: fc.oneof(
                  fc.constantFrom(
                    'rds-postgres',
                    's3-bucket@^1',
                    'vpc',
                    'sample-app',
                    'datadog-agent',
                    'postgres-with-pgadmin@1.0.0',
                  ),
                  json,
                ),
                parameters: fc.oneof(
                  fc.dictionary(
                    fc.oneof(
                      fc.constantFrom(
                        'databaseName',
                        'masterPassword',
                        'vpcId',
                        'apiKey',
                        'replicas',
                        '__proto__',
                      ),
                      fc.string(),
                    ),
                    fc.oneof(
                      json,
                      fc.record({
                        fromOutput: fc.oneof(fc.constantFrom('db.endpoint', 'network.vpcId', 'a.b'), json),
                      }),
                    ),
                  ),
                  json,
                ),
              },
              { requiredKeys: [] },
            ),
            { maxLength: 4 },
          ),
        },
        { requiredKeys: [] },
      ),
      json,
    ),
  },
  { requiredKeys: [] },
);

describe('validators never throw: they return problems', () => {
  it('checkEnvironment on any JSON value', () => {
    fc.assert(
      fc.property(fc.oneof(json, shapedRequest), (input) => {
        // GIVEN any JSON value WHEN checked THEN problems (or an environment), never an exception
        const check = checkEnvironment(input, catalog);
        expect(Array.isArray(check.problems)).toBe(true);
        if (!check.environment) expect(check.problems.length).toBeGreaterThan(0);
        for (const p of check.problems)
          expect(typeof p.path === 'string' && typeof p.message === 'string').toBe(true);
      }),
      RUNS,
    );
  });

  it('validateEntry on any catalog.yaml and any files', async () => {
    const entryDoc = fc.record(
      {
        apiVersion: fc.constant('envcat.io/v1alpha1'),
        kind: fc.constant('CatalogEntry'),
        metadata: fc.record(
          {
            name: fc.stringMatching(/^[a-z][a-z0-9-]{0,10}$/),
            version: fc.constantFrom('1.0.0', '1.0', 'x'),
          },
          { requiredKeys: [] },
        ),
        spec: fc.record(
          {
            type: fc.constantFrom('yaml', 'iac', 'hybrid'),
            parameters: fc.oneof(
              fc.constant({ type: 'object', properties: { a: { type: 'string', default: 'x' } } }),
              json,
            ),
            apps: fc.oneof(fc.record({ manifests: fc.constantFrom('./manifests', '../x', '/etc') }), json),
            iac: fc.oneof(
              fc.record({ module: fc.constantFrom('./terraform', '../up', 'git::https://x/y.git') }),
              json,
            ),
            outputs: json,
          },
          { requiredKeys: [] },
        ),
      },
      { requiredKeys: [] },
    );
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(json, entryDoc).map((d) => JSON.stringify(d)),
        fc.array(
          fc.record({
            path: fc.constantFrom('manifests/a.yaml', 'terraform/main.tf', 'values.yaml', 'x'),
            content: fc.oneof(
              fc.string(),
              json.map((v) => JSON.stringify(v)),
            ),
          }),
          { maxLength: 3 },
        ),
        async (catalogYaml, files) => {
          // GIVEN any catalog.yaml text and files WHEN validated THEN problems or an entry, no exception
          const check = await validateEntry({
            dir: 'catalogs/x',
            files: [{ path: 'catalog.yaml', content: catalogYaml }, ...files],
          });
          expect(Array.isArray(check.problems)).toBe(true);
          if (!check.entry) expect(check.problems.length).toBeGreaterThan(0);
        },
      ),
      { numRuns: 100 },
    );
  });
});

/** Every shipped example, with a generated name, description and secret values. */
const validRequest = fc
  .record({
    example: fc.constantFrom(...examples()),
    name: fc.stringMatching(/^[a-z][a-z0-9]{0,8}(-[a-z0-9]{1,6})?$/),
    description: fc.string({ unit: 'grapheme', maxLength: 60 }),
    secret: fc.string({ unit: 'grapheme', minLength: 12, maxLength: 40 }).map((s) => `s3c!${s}`),
    hexKey: fc.stringMatching(/^[0-9a-f]{32}$/),
  })
  .map(({ example, name, description, secret, hexKey }) => {
    const document = structuredClone(example.document) as {
      metadata: Record<string, JsonValue>;
      spec: {
        namespace?: string;
        description?: string;
        catalogs: Array<{ entry: string; parameters?: Record<string, JsonValue> }>;
      };
    };
    document.metadata.name = name;
    document.spec.namespace = name;
    document.spec.description = description;
    const secrets: string[] = [];
    document.spec.catalogs.forEach((instance, i) => {
      const resolution = catalog.resolve(instance.entry);
      for (const s of 'entry' in resolution ? resolution.entry.secretParameters : []) {
        const value = s.name === 'apiKey' ? hexKey : `${secret}#${i}`;
        (instance.parameters ??= {})[s.name] = value;
        secrets.push(value);
      }
    });
    return { document, secrets, id: example.id };
  });

describe('problems never quote a parameter value', () => {
  it('whatever the value and wherever it is put', () => {
    fc.assert(
      fc.property(
        validRequest,
        fc.nat(),
        fc.string({ unit: 'grapheme', minLength: 8, maxLength: 30 }).map((s) => `zq!${s}`),
        fc.constantFrom('replace', 'nest', 'unknown'),
        ({ document }, pick, marker, how) => {
          // GIVEN a valid request where one parameter (or a new one) holds a marker value
          const instance = document.spec.catalogs[pick % document.spec.catalogs.length]!;
          const parameters = (instance.parameters ??= {});
          const names = Object.keys(parameters);
          const name =
            how === 'unknown' || names.length === 0 ? 'notAParameter' : names[pick % names.length]!;
          parameters[name] = how === 'nest' ? { value: [marker] } : marker;
          // WHEN validated THEN whatever the problems, none of them quotes the value
          const check = checkEnvironment(document, catalog);
          expect(JSON.stringify(check.problems)).not.toContain(marker);
        },
      ),
      RUNS,
    );
  });
});

describe('rendering valid requests', () => {
  it('is deterministic: rendering twice gives identical bytes', () => {
    fc.assert(
      fc.property(validRequest, ({ document }) => {
        // GIVEN a valid request WHEN validated and rendered twice (phase 1, then with outputs)
        const render = () => {
          const check = checkEnvironment(structuredClone(document), catalog);
          if (!check.environment || !check.plan) throw new Error(JSON.stringify(check.problems));
          const env = check.environment;
          return [
            renderEnvironment({ env, plan: check.plan, options: TEST_RENDER_OPTIONS }),
            renderEnvironment({
              env,
              plan: check.plan,
              outputs: sampleOutputs(env),
              options: TEST_RENDER_OPTIONS,
            }),
          ].map((r) => r.files.map((f) => `${f.repo}:${f.path}\n${f.content}`));
        };
        // THEN the files, their order and every byte are the same
        expect(render()).toEqual(render());
      }),
      RUNS,
    );
  });

  it('writes an environment.yaml that reads back as the document it was written from', () => {
    // (The API keeps the document a create wrote instead of parsing its file back: documents.ts.)
    const tricky = fc.constantFrom(
      ...['true', 'null', '~', '1e3', '0x1F', '-0', '.inf', '2024-01-01', '- a', 'a: b', '#c', '"q"', "'q'"],
      ...[' lead', 'trail ', 'two\nlines', 'tab\tx', '', '*alias', '&anchor', '!tag', '? k', '%YAML', '---'],
    );
    fc.assert(
      fc.property(
        validRequest,
        fc.oneof(tricky, fc.string({ unit: 'grapheme', maxLength: 40 })),
        ({ document }, description) => {
          // GIVEN a valid request, its description anything a user may type
          document.spec.description = description;
          const check = checkEnvironment(document, catalog);
          if (!check.environment) throw new Error(JSON.stringify(check.problems));
          const env = check.environment;
          // WHEN its environment.yaml is rendered
          const file = renderEnvironmentFiles(env, TEST_RENDER_OPTIONS).find(
            (f) => f.path === environmentFile(env.name),
          )!;
          // THEN it parses to the document, key order included
          expect(JSON.stringify(parseYamlDocument(file.content))).toBe(
            JSON.stringify(canonicalize(env.document)),
          );
        },
      ),
      RUNS,
    );
  });

  it('never writes a secret parameter value into a rendered file', () => {
    fc.assert(
      fc.property(
        validRequest.filter((r) => r.secrets.length > 0),
        ({ document, secrets }) => {
          // GIVEN a valid request with generated secret values
          const check = checkEnvironment(document, catalog);
          if (!check.environment || !check.plan) throw new Error(JSON.stringify(check.problems));
          const env = check.environment;
          // WHEN everything is rendered (environment.yaml, namespace, infra, apps with outputs)
          const rendered = renderEnvironment({
            env,
            plan: check.plan,
            outputs: sampleOutputs(env),
            options: TEST_RENDER_OPTIONS,
          });
          // THEN no file holds any of the values
          for (const file of rendered.files)
            for (const value of secrets) expect(file.content.includes(value)).toBe(false);
        },
      ),
      RUNS,
    );
  });
});
