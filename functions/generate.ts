/**
 * `npm run compositions:generate [-- --check] [-- --scope Cluster --out <dir>]`: writes
 * compositions/xrd.yaml and compositions/composition.yaml from the Environment schema and the
 * built-in catalog. `--check` writes nothing and exits 1 when the committed files differ.
 * `--scope Cluster --out <dir>` writes the cluster-scoped variant elsewhere (see compositions/README.md).
 */
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as prettier from 'prettier';
import { loadCatalog } from '../src/catalog-source/index.js';
import { DEFAULT_RENDER_OPTIONS, ENTRY_FILE, formatProblem, type EntryFile } from '../src/core/index.js';
import {
  DEFAULT_FUNCTION_PROJECT,
  DEFAULT_MANIFESTS_CHART,
  type CatalogSourceEntry,
  type FunctionInput,
} from './input.js';
import { compositionFiles, type XrdScope } from './xrd.js';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** The render settings the generated Composition states explicitly (the function's defaults). */
export const GENERATED_RENDER: NonNullable<FunctionInput['render']> = {
  workspaceApi: DEFAULT_RENDER_OPTIONS.workspaceApi,
  providerConfig: DEFAULT_RENDER_OPTIONS.providerConfig,
  argocd: {
    namespace: DEFAULT_RENDER_OPTIONS.argocd.namespace,
    project: DEFAULT_FUNCTION_PROJECT,
    destinationServer: DEFAULT_RENDER_OPTIONS.argocd.destinationServer,
  },
  manifestsChart: DEFAULT_MANIFESTS_CHART,
};

/** Folders inside an entry that are not part of it (as src/catalog-source reads an entry). */
const NOT_CONTENT = new Set(['examples', '.terraform', 'node_modules']);

async function entryFiles(dir: string): Promise<EntryFile[]> {
  const files: EntryFile[] = [];
  const walk = async (current: string): Promise<void> => {
    const items = (await readdir(current, { withFileTypes: true })).sort((a, b) =>
      a.name < b.name ? -1 : 1,
    );
    for (const item of items) {
      const full = join(current, item.name);
      if (item.isDirectory()) {
        if (current === dir && (NOT_CONTENT.has(item.name) || existsSync(join(full, ENTRY_FILE)))) continue;
        await walk(full);
      } else if (item.isFile()) {
        files.push({ path: relative(dir, full).split(sep).join('/'), content: await readFile(full, 'utf8') });
      }
    }
  };
  await walk(dir);
  return files;
}

/** Every entry of the catalog folders, validated as `envcat catalog validate` does, with its files. */
export async function catalogSource(
  dirs: readonly string[],
  root = REPO_ROOT,
): Promise<CatalogSourceEntry[]> {
  const { entries, problems } = await loadCatalog(dirs);
  if (problems.length > 0)
    throw new Error(`the catalog is invalid:\n${problems.map(formatProblem).join('\n')}`);
  const sources = await Promise.all(
    entries.map(async (entry) => {
      // entry.source is `<entry folder>/catalog.yaml`, relative to the working directory.
      const folder = dirname(resolve(entry.source));
      return { source: relative(root, folder).split(sep).join('/'), files: await entryFiles(folder) };
    }),
  );
  return sources.sort((a, b) => (a.source < b.source ? -1 : a.source > b.source ? 1 : 0));
}

/** The generated files, formatted as the repository's Prettier configuration wants them. */
export async function generate(options: { scope?: XrdScope; root?: string } = {}) {
  const root = options.root ?? REPO_ROOT;
  const catalog = await catalogSource([join(root, 'catalogs')], root);
  const files = compositionFiles({ scope: options.scope ?? 'Namespaced', catalog, render: GENERATED_RENDER });
  return Promise.all(
    files.map(async (file) => {
      const filepath = join(root, file.path);
      const config = (await prettier.resolveConfig(filepath)) ?? {};
      return { ...file, content: await prettier.format(file.content, { ...config, filepath }) };
    }),
  );
}

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      check: { type: 'boolean', default: false },
      scope: { type: 'string', default: 'Namespaced' },
      out: { type: 'string' },
    },
  });
  if (values.scope !== 'Namespaced' && values.scope !== 'Cluster') {
    process.stderr.write(`--scope must be Namespaced or Cluster, not ${values.scope}\n`);
    return 2;
  }
  if (values.scope === 'Cluster' && values.out === undefined) {
    process.stderr.write('--scope Cluster needs --out <dir>: compositions/ holds the namespaced API\n');
    return 2;
  }
  const files = await generate({ scope: values.scope });
  const target = (path: string) =>
    values.out ? join(resolve(values.out), basename(path)) : join(REPO_ROOT, path);
  if (values.check) {
    const stale: string[] = [];
    for (const file of files) {
      const path = target(file.path);
      const current = existsSync(path) ? await readFile(path, 'utf8') : undefined;
      if (current !== file.content) stale.push(relative(process.cwd(), path));
    }
    for (const path of stale)
      process.stderr.write(`${path} is out of date: run npm run compositions:generate\n`);
    return stale.length > 0 ? 1 : 0;
  }
  for (const file of files) {
    const path = target(file.path);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, file.content);
    process.stdout.write(`wrote ${relative(process.cwd(), path)}\n`);
  }
  return 0;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(3);
    },
  );
}
