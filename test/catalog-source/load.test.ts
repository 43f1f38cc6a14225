/** loadCatalog: catalog entries read from folders on disk (temporary folders, and the built-in catalogs/). */
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadCatalog, LOAD_LIMITS } from '../../src/catalog-source/index.js';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const CATALOGS = join(REPO_ROOT, 'catalogs');

/** How the loader shows a path: relative to the working directory when inside it. */
function shown(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel && !rel.startsWith('..') ? rel.split(sep).join('/') : path;
}

/** A small valid yaml entry: one ConfigMap template. */
function yamlEntry(name: string, version = '1.0.0', message = 'hello'): Record<string, string> {
  return {
    'catalog.yaml': `apiVersion: envcat.io/v1alpha1
kind: CatalogEntry
metadata:
  name: ${name}
  version: ${version}
spec:
  type: yaml
  parameters:
    type: object
    properties:
      message: { type: string, default: ${message} }
  apps:
    manifests: ./manifests
`,
    'manifests/configmap.yaml': `apiVersion: v1
kind: ConfigMap
metadata:
  name: \${{ instance.name }}
data:
  MESSAGE: \${{ parameters.message }}
`,
    'examples/basic.yaml': `name: demo\ninstances:\n  - name: cm\n    entry: ${name}\n`,
  };
}

/** A small valid iac entry. */
function iacEntry(name: string, mainTf = 'variable "size" {\n  type    = number\n  default = 1\n}\n') {
  return {
    'catalog.yaml': `apiVersion: envcat.io/v1alpha1
kind: CatalogEntry
metadata:
  name: ${name}
  version: 1.0.0
spec:
  type: iac
  parameters:
    type: object
    properties:
      size: { type: integer, default: 1 }
  iac:
    module: ./terraform
`,
    'terraform/main.tf': mainTf,
  };
}

interface Expected {
  file: string;
  path: string;
  message: unknown;
}

let root: string;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'envcat-load-'));
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Writes files (paths relative to `dir`, '/'-separated) under `dir`. */
async function write(dir: string, files: Record<string, string>): Promise<void> {
  for (const [path, content] of Object.entries(files)) {
    const full = join(dir, ...path.split('/'));
    await mkdir(dirname(full), { recursive: true });
    await writeFile(full, content);
  }
}

describe('loadCatalog: layouts', () => {
  it('loads a folder of entries', async () => {
    // GIVEN a folder holding two entry folders and a hidden folder
    await write(join(root, 'web'), yamlEntry('web'));
    await write(join(root, 'db'), iacEntry('db'));
    await write(join(root, '.git'), yamlEntry('hidden'));
    // WHEN it is loaded
    const result = await loadCatalog([root]);
    // THEN both entries are published, the hidden folder ignored, with no problem
    expect(result.problems).toEqual([]);
    expect(result.entries.map((e) => `${e.name}@${e.version}`)).toEqual(['db@1.0.0', 'web@1.0.0']);
    expect(result.catalog.names()).toEqual(['db', 'web']);
    expect(result.entries.map((e) => e.source)).toEqual([
      shown(join(root, 'db', 'catalog.yaml')),
      shown(join(root, 'web', 'catalog.yaml')),
    ]);
  });

  it('loads a single entry folder', async () => {
    // GIVEN one entry folder
    await write(join(root, 'web'), yamlEntry('web'));
    // WHEN that folder itself is loaded
    const result = await loadCatalog([join(root, 'web')]);
    // THEN it is the one entry
    expect(result.problems).toEqual([]);
    expect(result.entries.map((e) => e.name)).toEqual(['web']);
    expect(result.entries[0]?.manifests?.map((m) => m.path)).toEqual(['manifests/configmap.yaml']);
  });

  it.each<[string, (root: string) => string]>([
    ['the folder of entries', (r) => r],
    ['the entry folder', (r) => join(r, 'web')],
  ])('loads a versioned layout <name>/<version>/catalog.yaml from %s', async (_what, dirOf) => {
    // GIVEN web/1.0.0/ and web/1.1.0/, each a full entry
    await write(join(root, 'web', '1.0.0'), yamlEntry('web', '1.0.0'));
    await write(join(root, 'web', '1.1.0'), yamlEntry('web', '1.1.0', 'bonjour'));
    // WHEN it is loaded
    const result = await loadCatalog([dirOf(root)]);
    // THEN both versions are published and the latest resolves by default
    expect(result.problems).toEqual([]);
    expect(result.catalog.versions('web').map((e) => e.version)).toEqual(['1.1.0', '1.0.0']);
    expect(result.catalog.resolve('web')).toEqual({ entry: expect.objectContaining({ version: '1.1.0' }) });
    expect(result.catalog.resolve('web@~1.0')).toEqual({
      entry: expect.objectContaining({ version: '1.0.0' }),
    });
  });

  it('loads an entry next to its older version subfolders, each with its own files', async () => {
    // GIVEN web/catalog.yaml (1.1.0) and web/1.0.0/catalog.yaml
    await write(join(root, 'web'), yamlEntry('web', '1.1.0'));
    await write(join(root, 'web', '1.0.0'), yamlEntry('web', '1.0.0'));
    // WHEN the folder of entries is loaded
    const result = await loadCatalog([root]);
    // THEN both versions are there
    expect(result.problems).toEqual([]);
    expect(result.catalog.versions('web').map((e) => e.version)).toEqual(['1.1.0', '1.0.0']);
    // AND the 1.0.0 folder is not part of the 1.1.0 entry: its digest is the same without it
    await rm(join(root, 'web', '1.0.0'), { recursive: true });
    const alone = await loadCatalog([root]);
    expect(alone.entries.map((e) => e.version)).toEqual(['1.1.0']);
    expect(alone.entries[0]?.digest).toBe(result.catalog.latest('web')?.digest);
  });
});

describe('loadCatalog: digest', () => {
  it('does not change when an example changes', async () => {
    // GIVEN an entry with an example request
    const dir = join(root, 'web');
    await write(dir, yamlEntry('web'));
    const before = await loadCatalog([root]);
    // WHEN only the example changes (and another one is added)
    await write(dir, {
      'examples/basic.yaml': 'name: other\ninstances: []\n',
      'examples/more.yaml': 'name: more\n',
    });
    const after = await loadCatalog([root]);
    // THEN the digest is the same
    expect(after.problems).toEqual([]);
    expect(after.entries[0]?.digest).toBe(before.entries[0]?.digest);
  });

  it.each<[string, Record<string, string>]>([
    ['a template', { 'manifests/configmap.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n' }],
    ['a file beside the templates', { 'README.md': '# web\n' }],
    [
      'a nested folder named examples',
      { 'manifests/examples/x.yaml': 'apiVersion: v1\nkind: A\nmetadata:\n  name: a\n' },
    ],
  ])('changes when %s changes', async (_what, files) => {
    // GIVEN an entry loaded once
    const dir = join(root, 'web');
    await write(dir, yamlEntry('web'));
    const before = await loadCatalog([root]);
    // WHEN a published file changes
    await write(dir, files);
    const after = await loadCatalog([root]);
    // THEN the digest changes
    expect(after.problems).toEqual([]);
    expect(after.entries[0]?.digest).not.toBe(before.entries[0]?.digest);
  });
});

describe('loadCatalog: problems', () => {
  it('rejects a symbolic link inside an entry', async () => {
    // GIVEN an entry with a symlink to a file outside it
    const dir = join(root, 'web');
    await write(dir, yamlEntry('web'));
    await writeFile(join(root, 'secret.txt'), 'not yours');
    await symlink(join(root, 'secret.txt'), join(dir, 'manifests', 'link.yaml'));
    // WHEN it is loaded
    const result = await loadCatalog([root]);
    // THEN the link is a problem and the entry is not published
    expect(result.problems).toEqual([
      {
        file: shown(join(dir, 'manifests', 'link.yaml')),
        path: '',
        message: 'symbolic links are not allowed in a catalog entry',
      },
    ]);
    expect(result.entries).toEqual([]);
    expect(result.catalog.names()).toEqual([]);
  });

  it.each<[string, (root: string) => Promise<string>, string]>([
    ['a missing folder', async (r) => join(r, 'missing'), 'no such folder'],
    [
      'a folder without catalog.yaml',
      async (r) => {
        await write(join(r, 'empty', 'web'), { 'README.md': '# not an entry\n' });
        return join(r, 'empty');
      },
      'no catalog.yaml found',
    ],
  ])('reports %s', async (_what, prepare, message) => {
    // GIVEN a path that holds no entry
    const dir = await prepare(root);
    // WHEN it is loaded
    const result = await loadCatalog([dir]);
    // THEN that is the one problem, for that path
    expect(result.problems).toEqual([{ file: shown(dir), path: '', message }]);
    expect(result.entries).toEqual([]);
  });

  it.each<{ what: string; dir: string; files: Record<string, string>; problem: Expected }>([
    {
      what: 'invalid HCL',
      dir: 'db',
      files: { ...iacEntry('db'), 'terraform/main.tf': 'variable "size" {\n' },
      problem: { file: 'db/terraform/main.tf', path: '', message: expect.stringContaining('invalid HCL') },
    },
    {
      what: 'a name that is not the folder name',
      dir: 'other',
      files: yamlEntry('web'),
      problem: {
        file: 'other/catalog.yaml',
        path: '/metadata/name',
        message: 'must equal the folder name "other"',
      },
    },
    {
      what: 'a versioned entry whose name is not its parent folder name',
      dir: 'web/1.0.0',
      files: yamlEntry('site'),
      problem: {
        file: 'web/1.0.0/catalog.yaml',
        path: '/metadata/name',
        message: 'must equal the folder name "web"',
      },
    },
    {
      what: 'an undeclared parameter in a template',
      dir: 'web',
      files: {
        ...yamlEntry('web'),
        'manifests/configmap.yaml':
          'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${{ parameters.nope }}\n',
      },
      problem: {
        file: 'web/manifests/configmap.yaml',
        path: '/0/metadata/name',
        message: 'parameter "nope" is not declared in spec.parameters',
      },
    },
  ])('reports $what at $problem.file', async ({ dir, files, problem }) => {
    // GIVEN an invalid entry in a folder of entries
    await write(join(root, ...dir.split('/')), files);
    // WHEN the folder of entries is loaded
    const result = await loadCatalog([root]);
    // THEN the problem names the file (as shown to the user) and the JSON pointer
    expect(result.problems).toContainEqual({
      ...problem,
      file: shown(join(root, ...problem.file.split('/'))),
    });
    expect(result.entries).toEqual([]);
  });

  it('reports a file over the size limit', async () => {
    // GIVEN an entry with a file larger than the per-file limit
    const dir = join(root, 'web');
    await write(dir, { ...yamlEntry('web'), 'big.txt': 'x'.repeat(LOAD_LIMITS.maxFileBytes + 1) });
    // WHEN it is loaded
    const result = await loadCatalog([root]);
    // THEN the file is a problem and the entry is not published
    expect(result.problems).toEqual([
      {
        file: shown(join(dir, 'big.txt')),
        path: '',
        message: `file is ${LOAD_LIMITS.maxFileBytes + 1} bytes; the limit is ${LOAD_LIMITS.maxFileBytes}`,
      },
    ]);
    expect(result.entries).toEqual([]);
  });

  it('reports the same version with different content in two folders as a conflict', async () => {
    // GIVEN web@1.0.0 in two catalog folders, with different content
    await write(join(root, 'a', 'web'), yamlEntry('web', '1.0.0', 'hello'));
    await write(join(root, 'b', 'web'), yamlEntry('web', '1.0.0', 'bonjour'));
    // WHEN both are loaded
    const result = await loadCatalog([join(root, 'a'), join(root, 'b')]);
    // THEN the first is published and the second is a conflict at its version
    expect(result.problems).toEqual([
      {
        file: shown(join(root, 'b', 'web', 'catalog.yaml')),
        path: '/metadata/version',
        message: 'web@1.0.0 is already published with different content; publish a new version',
      },
    ]);
    expect(result.catalog.resolve('web@1.0.0')).toEqual({
      entry: expect.objectContaining({ source: shown(join(root, 'a', 'web', 'catalog.yaml')) }),
    });
  });

  it('accepts the same version with identical content in two folders', async () => {
    // GIVEN web@1.0.0 twice, identical
    await write(join(root, 'a', 'web'), yamlEntry('web'));
    await write(join(root, 'b', 'web'), yamlEntry('web'));
    // WHEN both are loaded
    const result = await loadCatalog([join(root, 'a'), join(root, 'b')]);
    // THEN there is no problem and one version
    expect(result.problems).toEqual([]);
    expect(result.catalog.versions('web')).toHaveLength(1);
  });

  it('loads an entry whose name starts with a digit', async () => {
    // GIVEN a folder of entries holding 3scale/catalog.yaml named 3scale
    await write(join(root, '3scale'), yamlEntry('3scale'));
    // WHEN it is loaded
    const result = await loadCatalog([root]);
    // THEN it is published without problems
    expect(result.problems).toEqual([]);
    expect(result.catalog.names()).toEqual(['3scale']);
  });
});

describe('loadCatalog: built-in catalogs/', () => {
  it('loads the six built-in entries without problems', async () => {
    // GIVEN the repository's catalogs/ folder
    // WHEN it is loaded
    const result = await loadCatalog([CATALOGS]);
    // THEN the six built-in entries are there, each with its type, and nothing is wrong
    expect(result.problems).toEqual([]);
    expect(result.catalog.names()).toEqual([
      'datadog-agent',
      'postgres-with-pgadmin',
      'rds-postgres',
      's3-bucket',
      'sample-app',
      'vpc',
    ]);
    expect(Object.fromEntries(result.entries.map((e) => [e.name, e.document.spec.type]))).toEqual({
      'datadog-agent': 'yaml',
      'postgres-with-pgadmin': 'hybrid',
      'rds-postgres': 'iac',
      's3-bucket': 'iac',
      'sample-app': 'yaml',
      vpc: 'iac',
    });
    for (const e of result.entries) {
      expect(e.source).toBe(shown(join(CATALOGS, e.name, 'catalog.yaml')));
      expect(e.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
      if (e.document.spec.type !== 'yaml') expect(e.module?.source).toBe('Inline');
    }
  });
});
