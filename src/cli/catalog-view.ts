/**
 * `envcat catalog list` and `envcat catalog show <entry>[@version]`: the running service's catalog,
 * as a table, or the API's object with `-o json|yaml`.
 */
import type { Command } from 'commander';
import { NotFoundError } from '../core/index.js';
import type { CatalogDetail, CatalogList, CatalogVersion, JsonSchema, JsonValue } from '../api/contract.js';
import { ApiClient, withServer, type ServerOptions } from './env-commands.js';
import type { Io } from './io.js';
import { formatObject, NONE, table, withOutput, type OutputFormat } from './output.js';

type Options = ServerOptions & { output?: OutputFormat };

/** Adds `list` and `show` to the `catalog` command group. */
export function registerCatalogViewCommands(program: Command, io: Io): void {
  const catalog = program.commands.find((c) => c.name() === 'catalog');
  if (!catalog) throw new Error('the catalog command group must be registered first');

  withServer(
    withOutput(catalog.command('list').description('List the entries the running service offers')),
  ).action(async (options: Options) => {
    const list = await new ApiClient(options).request<CatalogList>('GET', '/api/v1/catalogs');
    io.stdout(formatObject(options.output, list) ?? table(catalogRows(list, options.output === 'wide')));
  });

  withServer(
    withOutput(
      catalog
        .command('show')
        .description(
          'An entry: its versions, and the parameters and outputs of the latest one (or of the version named)',
        )
        .argument('<entry>', 'an entry name, or name@version'),
    ),
  ).action(async (ref: string, options: Options) => {
    const at = ref.indexOf('@');
    const name = at === -1 ? ref : ref.slice(0, at);
    const wanted = at === -1 ? undefined : ref.slice(at + 1);
    const detail = await new ApiClient(options).request<CatalogDetail>(
      'GET',
      `/api/v1/catalogs/${encodeURIComponent(name)}`,
    );
    const version = detail.items.find((v) => v.version === (wanted ?? detail.latestVersion));
    if (!version)
      throw new NotFoundError(
        `${name} has no version ${wanted ?? detail.latestVersion}; it has ${detail.versions.join(', ')}`,
        { path: '/metadata/version' },
      );
    // A version named: that version's object, as it is an item of the entry's.
    const printed = formatObject(options.output, wanted === undefined ? detail : version);
    io.stdout(printed ?? describeEntry(detail, version, options.output === 'wide'));
  });
}

/** `catalog list`: NAME TYPE LATEST OWNER TITLE; wide adds every version and the tags. */
export function catalogRows(list: CatalogList, wide: boolean): string[][] {
  const header = ['NAME', 'TYPE', 'LATEST', 'OWNER', 'TITLE'];
  const rows = [wide ? [...header, 'VERSIONS', 'TAGS'] : header];
  for (const e of list.items) {
    const row = [e.name, e.type, e.latestVersion, e.owner || NONE, e.title];
    if (wide) row.push(e.versions.join(','), e.tags.length > 0 ? e.tags.join(',') : NONE);
    rows.push(row);
  }
  return rows;
}

/** `catalog show`: the entry, its versions and their states, then one version's parameters and outputs. */
export function describeEntry(detail: CatalogDetail, version: CatalogVersion, wide: boolean): string {
  const head = [
    `${detail.name}@${version.version} (${version.type}) - ${detail.title}`,
    ...(detail.description ? [`  ${detail.description}`] : []),
    `  owner: ${detail.owner || NONE}  tags: ${detail.tags.length > 0 ? detail.tags.join(', ') : NONE}`,
    ...(version.notice ? [`  ${version.notice}`] : []),
  ];
  if (wide) {
    head.push(`  digest: ${version.digest}`);
    if (version.module) head.push(`  module: ${version.module}`);
    if (version.helm)
      head.push(`  helm: ${version.helm.repoURL} ${version.helm.chart}@${version.helm.targetRevision}`);
  }
  const versions = [['VERSION', 'STATE', ...(wide ? ['DIGEST'] : [])]];
  for (const v of detail.items)
    versions.push([
      v.version,
      v.yanked ? 'yanked' : v.deprecated ? 'deprecated' : v.version === detail.latestVersion ? 'latest' : '',
      ...(wide ? [v.digest] : []),
    ]);
  const parameters = [
    ['PARAMETER', 'TYPE', 'REQUIRED', 'DEFAULT', ...(wide ? ['SECRET', 'CONSTRAINTS', 'DESCRIPTION'] : [])],
  ];
  const required = new Set(stringsOf(version.parameters.required));
  for (const [param, schema] of Object.entries(objectOf(version.parameters.properties))) {
    const s = objectOf(schema);
    parameters.push([
      param,
      typeOf(s),
      required.has(param) ? 'yes' : 'no',
      s.default === undefined ? NONE : JSON.stringify(s.default),
      ...(wide
        ? [
            version.secretParameters.includes(param) ? 'yes' : 'no',
            constraints(s) || NONE,
            typeof s.description === 'string' ? s.description : '',
          ]
        : []),
    ]);
  }
  const outputs = [['OUTPUT', 'TYPE', 'SENSITIVE', ...(wide ? ['DESCRIPTION'] : [])]];
  for (const o of version.outputs)
    outputs.push([
      o.name,
      typeOf(o.schema),
      o.sensitive ? 'yes' : 'no',
      ...(wide ? [o.description ?? ''] : []),
    ]);
  return [
    `${head.join('\n')}\n`,
    table(versions),
    parameters.length > 1 ? table(parameters) : '',
    outputs.length > 1 ? table(outputs) : '',
  ].join('\n');
}

function objectOf(value: JsonValue | undefined): JsonSchema {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? value : {};
}

function stringsOf(value: JsonValue | undefined): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

function typeOf(schema: JsonSchema): string {
  const type = schema.type;
  if (typeof type === 'string') return type;
  if (Array.isArray(type)) return type.join('|');
  return 'any';
}

/** `enum: a|b`, `20..1000`, `pattern: ^[a-z]+$`: what a value must be, in short. */
function constraints(schema: JsonSchema): string {
  const parts: string[] = [];
  if (Array.isArray(schema.enum)) parts.push(`enum: ${schema.enum.map((v) => String(v)).join('|')}`);
  const min = schema.minimum ?? schema.minLength;
  const max = schema.maximum ?? schema.maxLength;
  if (min !== undefined || max !== undefined) parts.push(`${String(min ?? '')}..${String(max ?? '')}`);
  if (typeof schema.pattern === 'string') parts.push(`pattern: ${schema.pattern}`);
  return parts.join(' ');
}
