/** Every example request shipped under catalogs/<entry>/examples/, rendered with synthesized outputs. */
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadCatalog } from '../../src/catalog-source/index.js';
import {
  parseYamlDocument,
  renderEnvironment,
  renderOptions,
  sampleOutputs,
  sampleValue,
  validateEnvironment,
  type Catalog,
  type JsonValue,
  type RenderOptions,
  type RenderResult,
  type ResolvedEnvironment,
} from '../../src/core/index.js';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const CATALOGS = join(REPO_ROOT, 'catalogs');
export const SHARED_CRDS = resolve(REPO_ROOT, '../shared/crds');

export const TEST_RENDER_OPTIONS: RenderOptions = renderOptions({
  appsRepo: { url: 'https://git.example.test/envcat/apps.git', revision: 'main' },
});

let cached: Promise<Catalog> | undefined;
/** The built-in catalog, loaded once per test file. */
export function builtInCatalog(): Promise<Catalog> {
  cached ??= loadCatalog([CATALOGS]).then(({ catalog, problems }) => {
    if (problems.length > 0)
      throw new Error(
        `built-in catalogs are invalid:\n${problems.map((p) => `${p.file}#${p.path}: ${p.message}`).join('\n')}`,
      );
    return catalog;
  });
  return cached;
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
