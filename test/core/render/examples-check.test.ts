/** checkExamples: an entry's examples validate against the catalog with this version in it, use it, and render. */
import type { CatalogEntry, EntryFile } from '../../../src/core/catalog/index.js';
import { checkExamples } from '../../../src/core/render/index.js';
import { builtInCatalog } from '../../support/examples.js';

const request = (catalogs: string, name = 'dev-example') =>
  `apiVersion: envcat.io/v1alpha1\nkind: Environment\nmetadata: { name: ${name} }\nspec:\n  type: pre-release\n  catalogs:\n${catalogs}`;
const DB = '    - { name: db, entry: rds-postgres@^1, parameters: { databaseName: orders } }\n';

async function rdsPostgres(examples: EntryFile[], version = '1.0.0'): Promise<CatalogEntry> {
  const builtIn = (await builtInCatalog()).latest('rds-postgres')!;
  return {
    ...builtIn,
    version,
    document: { ...builtIn.document, metadata: { ...builtIn.document.metadata, version } },
    source: 'catalog.yaml',
    examples,
  };
}

describe('checkExamples', () => {
  it('finds nothing wrong with the built-in entries’ own examples', async () => {
    // GIVEN every built-in entry, with the examples shipped beside it
    const catalog = await builtInCatalog();
    // WHEN each one's examples are checked THEN there are examples, and no problems
    for (const name of catalog.names()) {
      const entry = catalog.latest(name)!;
      expect(entry.examples?.length).toBeGreaterThan(0);
      expect(checkExamples({ entry, others: catalog })).toEqual([]);
    }
  });

  it.each<[string, string, string, Array<{ file: string; path: string; message: string | RegExp }>]>([
    ['a valid example', '1.0.0', request(DB), []],
    [
      'a parameter the entry refuses',
      '1.0.0',
      request('    - { name: db, entry: rds-postgres, parameters: { databaseName: Orders } }\n'),
      [
        {
          file: 'examples/a.yaml',
          path: '/spec/catalogs/0/parameters/databaseName',
          message: /must be lower-case letters/,
        },
      ],
    ],
    [
      'an example that does not use the entry',
      '1.0.0',
      request('    - { name: net, entry: vpc, parameters: { cidrBlock: 10.0.0.0/16 } }\n'),
      [
        {
          file: 'examples/a.yaml',
          path: '/spec/catalogs',
          message: 'no instance uses the entry rds-postgres',
        },
      ],
    ],
    [
      'an example that asks for another major version of the entry',
      '2.0.0',
      request(DB),
      [
        {
          file: 'examples/a.yaml',
          path: '/spec/catalogs/0/entry',
          message: 'no version of "rds-postgres" matches "^1" (published: 2.0.0)',
        },
      ],
    ],
    [
      'YAML that does not parse',
      '1.0.0',
      'spec: [',
      [{ file: 'examples/a.yaml', path: expect.any(String) as never, message: expect.any(String) as never }],
    ],
  ])('%s', async (_case, version, content, expected) => {
    // GIVEN rds-postgres at a version, with one example
    const entry = await rdsPostgres([{ path: 'examples/a.yaml', content }], version);
    // WHEN its examples are checked against the built-in catalog
    const problems = checkExamples({ entry, others: await builtInCatalog() });
    // THEN exactly these problems, each naming the example file
    expect(problems).toEqual(
      expected.map((p) => ({
        ...p,
        message: p.message instanceof RegExp ? expect.stringMatching(p.message) : p.message,
      })),
    );
  });
});
