/** Every example request shipped under catalogs/<entry>/examples/, rendered with synthesized outputs. */
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadCatalog } from '../../src/catalog-source/index.js';
import {
  Catalog,
  parseYamlDocument,
  renderEnvironment,
  renderOptions,
  sampleOutputs,
  sampleValue,
  validateEnvironment,
  type JsonValue,
  type RenderOptions,
  type RenderResult,
  type ResolvedEnvironment,
} from '../../src/core/index.js';
import { catalogSnapshot, entriesFromSnapshot } from './catalog-snapshot.js';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const CATALOGS = join(REPO_ROOT, 'catalogs');
export const SHARED_CRDS = resolve(REPO_ROOT, '../shared/crds');

export const TEST_RENDER_OPTIONS: RenderOptions = renderOptions({
  appsRepo: { url: 'https://git.example.test/envcat/apps.git', revision: 'main' },
});

/** What test/support/process-environment.ts shares between the test files of one process; absent outside jest. */
export interface WorkerCache {
  get(key: string): string | undefined;
  set(key: string, value: string): void;
}
/** Where the built-in catalog's snapshot is in the worker cache. */
export const BUILT_IN_SNAPSHOT = 'built-in catalog';

let cached: Promise<Catalog> | undefined;
/**
 * The built-in catalog, once per test file. The first file of a jest process loads and validates
 * it from catalogs/; the next ones rebuild the same entries from its snapshot (~1 ms instead of
 * 0.3–0.5 s: parsing YAML and HCL, compiling schemas), and never from a catalog that had problems.
 */
export function builtInCatalog(): Promise<Catalog> {
  cached ??= loadBuiltInCatalog();
  return cached;
}

async function loadBuiltInCatalog(): Promise<Catalog> {
  const workerCache = (globalThis as { workerCache?: WorkerCache }).workerCache;
  const snapshot = workerCache?.get(BUILT_IN_SNAPSHOT);
  if (snapshot !== undefined) return new Catalog(entriesFromSnapshot(snapshot));
  const { catalog, problems } = await loadCatalog([CATALOGS]);
  if (problems.length > 0)
    throw new Error(
      `built-in catalogs are invalid:\n${problems.map((p) => `${p.file}#${p.path}: ${p.message}`).join('\n')}`,
    );
  if (workerCache) {
    const made = catalogSnapshot(catalog.entries());
    if (made !== undefined) workerCache.set(BUILT_IN_SNAPSHOT, made);
  }
  return catalog;
}

export interface Example {
  /** e.g. `sample-app/dev-feature-auth` */
  id: string;
  file: string;
  document: JsonValue;
}

export function examples(): Example[] {
  const result: Example[] = [];
  for (const entry of readdirSync(CATALOGS).sort()) {
    const dir = join(CATALOGS, entry, 'examples');
    if (!existsSync(dir)) continue;
    for (const file of readdirSync(dir)
      .filter((f) => f.endsWith('.yaml'))
      .sort()) {
      const path = join(dir, file);
      result.push({
        id: `${entry}/${file.replace(/\.yaml$/, '')}`,
        file: path,
        document: parseYamlDocument(readFileSync(path, 'utf8')),
      });
    }
  }
  return result;
}

export { sampleOutputs, sampleValue };

export async function renderExample(
  example: Example,
  options: RenderOptions = TEST_RENDER_OPTIONS,
): Promise<{ env: ResolvedEnvironment; result: RenderResult }> {
  const catalog = await builtInCatalog();
  const { environment, plan } = validateEnvironment(example.document, catalog);
  return {
    env: environment,
    result: renderEnvironment({ env: environment, plan, outputs: sampleOutputs(environment), options }),
  };
}

/**
 * The files of sample-app 1.1.0, to publish: sample-app 1.0.0 (catalogs/sample-app) with another
 * default log level (info → warn), so that an environment re-rendered on it would differ.
 */
export function sampleApp110Files(): Array<{ path: string; content: string }> {
  const dir = join(CATALOGS, 'sample-app');
  const catalog = readFileSync(join(dir, 'catalog.yaml'), 'utf8');
  const changed = catalog
    .replace('version: 1.0.0', 'version: 1.1.0')
    .replace('default: info', 'default: warn');
  if (!changed.includes('version: 1.1.0') || !changed.includes('default: warn'))
    throw new Error(
      'catalogs/sample-app/catalog.yaml no longer has version 1.0.0 and a default log level info',
    );
  const manifests = readdirSync(join(dir, 'manifests'))
    .sort()
    .map((file) => ({
      path: `manifests/${file}`,
      content: readFileSync(join(dir, 'manifests', file), 'utf8'),
    }));
  return [{ path: 'catalog.yaml', content: changed }, ...manifests];
}

/**
 * rds-postgres as a platform team would publish its next versions, from catalogs/rds-postgres:
 * `1.1.0` adds a parameter with a default (deletionProtection, false), which reaches the Terraform
 * module; `2.0.0` (a major version) also removes the parameter backupRetentionDays (its variable
 * keeps its default).
 */
export function rdsPostgresFiles(version: '1.1.0' | '2.0.0'): Array<{ path: string; content: string }> {
  const dir = join(CATALOGS, 'rds-postgres');
  const read = (file: string) => readFileSync(join(dir, file), 'utf8');
  let catalog = read('catalog.yaml').replace('version: 1.0.0', `version: ${version}`);
  catalog = catalog.replace(
    '      skipFinalSnapshot:\n',
    [
      '      deletionProtection:',
      '        type: boolean',
      '        title: Deletion protection',
      '        description: Refuse to delete the database while this is true.',
      '        default: false',
      '      skipFinalSnapshot:',
      '',
    ].join('\n'),
  );
  if (version === '2.0.0') catalog = catalog.replace(/ {6}backupRetentionDays:\n( {8}.*\n)+/, '');
  let main = read('terraform/main.tf').replace(
    'deletion_protection         = false',
    'deletion_protection         = var.deletionProtection',
  );
  const variables = `${read('terraform/variables.tf')}\nvariable "deletionProtection" {\n  description = "Refuse to delete the database while this is true."\n  type        = bool\n  default     = false\n}\n`;
  if (
    !catalog.includes(`version: ${version}`) ||
    !catalog.includes('deletionProtection:') ||
    !main.includes('var.deletionProtection') ||
    (version === '2.0.0') === catalog.includes('backupRetentionDays:')
  )
    throw new Error('catalogs/rds-postgres no longer has the shape rdsPostgresFiles expects');
  main = main.trimEnd() + '\n';
  return [
    { path: 'catalog.yaml', content: catalog },
    { path: 'terraform/main.tf', content: main },
    { path: 'terraform/variables.tf', content: variables },
    ...['outputs.tf', 'versions.tf'].map((file) => ({
      path: `terraform/${file}`,
      content: read(`terraform/${file}`),
    })),
  ];
}
