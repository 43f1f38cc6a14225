/**
 * Deterministic YAML: Kubernetes objects start with apiVersion, kind, metadata; every other map is
 * sorted by key, so the same input always gives the same bytes and a Git diff shows real changes only.
 */
import { Composer, Parser, stringify, type CST, type ErrorCode } from 'yaml';
import { MAX_NESTING_DEPTH, lineColumn } from '../json/index.js';
import type { JsonValue } from '../catalog/types.js';
import { emitFast, YAML_STRINGIFY_OPTIONS } from './emit.js';
import { yamlTooDeep } from './depth.js';

export { emitFast, YAML_STRINGIFY_OPTIONS } from './emit.js';

const TOP_LEVEL_ORDER = ['apiVersion', 'kind', 'metadata', 'spec', 'type', 'data', 'stringData', 'status'];
const METADATA_ORDER = ['name', 'namespace', 'labels', 'annotations', 'finalizers'];

function rank(order: string[], key: string): number {
  const i = order.indexOf(key);
  return i === -1 ? order.length : i;
}

function compareKeys(order: string[]) {
  return (a: string, b: string) => rank(order, a) - rank(order, b) || (a < b ? -1 : a > b ? 1 : 0);
}

/** A copy of `value` with map keys in canonical order (undefined members dropped). */
export function canonicalize(value: unknown, context: 'root' | 'metadata' | 'other' = 'root'): unknown {
  if (Array.isArray(value)) return value.map((v) => canonicalize(v, 'other'));
  if (value === null || typeof value !== 'object') return value;
  const keys = Object.keys(value);
  // Without a preferred order, the comparator reduces to code-unit order: the default sort's.
  if (context === 'other') keys.sort();
  else keys.sort(compareKeys(context === 'root' ? TOP_LEVEL_ORDER : METADATA_ORDER));
  const out: Record<string, unknown> = {};
  for (const key of keys) {
    const member = (value as Record<string, unknown>)[key];
    if (member === undefined) continue;
    out[key] = canonicalize(member, context === 'root' && key === 'metadata' ? 'metadata' : 'other');
  }
  return out;
}

/**
 * One or more objects as a (multi-document) YAML file in canonical form. Each document goes through
 * the fast emitter, or through the yaml library when the emitter is not sure to match it byte for byte.
 */
export function toYaml(documents: unknown | unknown[]): string {
  const docs = Array.isArray(documents) ? documents : [documents];
  return docs
    .map((doc) => {
      const canonical = canonicalize(doc);
      return emitFast(canonical) ?? stringify(canonical, YAML_STRINGIFY_OPTIONS);
    })
    .join('---\n');
}

/**
 * A YAML text that cannot be read. The message says what is wrong and where (line and column, or
 * the JSON pointer of a collection nested too deep), never the text itself: it may hold a secret.
 */
export class YamlSyntaxError extends Error {
  constructor(
    message: string,
    readonly line: number | undefined,
    readonly column?: number,
    /** Where the nesting limit was crossed. */
    readonly pointer?: string,
  ) {
    super(message);
  }
}

/** What each of the yaml library's error codes means, in words of ours (its messages quote the text). */
const YAML_ERRORS: Record<ErrorCode, string> = {
  ALIAS_PROPS: 'an alias cannot have an anchor or a tag',
  BAD_ALIAS: 'an alias names no anchor defined before it',
  BAD_DIRECTIVE: 'invalid directive',
  BAD_DQ_ESCAPE: 'invalid escape sequence in a double-quoted string',
  BAD_INDENT: 'bad indentation',
  BAD_PROP_ORDER: 'anchors and tags must come before the value',
  BAD_SCALAR_START: 'a plain value cannot start with this character',
  BLOCK_AS_IMPLICIT_KEY: 'a block collection cannot be a key',
  BLOCK_IN_FLOW: 'a block collection cannot be inside a flow collection',
  DUPLICATE_KEY: 'a mapping key is repeated',
  IMPOSSIBLE: 'invalid YAML',
  KEY_OVER_1024_CHARS: 'an implicit key is longer than 1024 characters',
  MISSING_CHAR: 'a closing quote or bracket is missing',
  MULTILINE_IMPLICIT_KEY: 'an implicit key spans several lines',
  MULTIPLE_ANCHORS: 'a value has more than one anchor',
  MULTIPLE_DOCS: 'expected a single YAML document',
  MULTIPLE_TAGS: 'a value has more than one tag',
  NON_STRING_KEY: 'a mapping key is not a string',
  RESOURCE_EXHAUSTION: 'too many alias expansions',
  TAB_AS_INDENT: 'tabs cannot indent YAML',
  TAG_RESOLVE_FAILED: 'unknown or invalid tag',
  UNEXPECTED_TOKEN: 'unexpected token',
  BAD_COLLECTION_TYPE: 'a collection does not fit its tag',
};

/** A YAML error as a problem: what and where, never the text. */
export function yamlProblem(error: unknown, file?: string): { file?: string; path: string; message: string } {
  const where =
    error instanceof YamlSyntaxError && error.line
      ? ` at line ${error.line}${error.column ? `, column ${error.column}` : ''}`
      : '';
  const what = error instanceof YamlSyntaxError ? error.message : 'cannot be read';
  const path = error instanceof YamlSyntaxError && error.pointer !== undefined ? error.pointer : '';
  return { ...(file !== undefined ? { file } : {}), path, message: `invalid YAML${where}: ${what}` };
}

/**
 * Parses every document of a YAML text into plain JSON values; throws YamlSyntaxError on the first
 * error. Collections nested deeper than `maxDepth` are refused before anything recursive runs.
 */
export function parseYamlDocuments(text: string, maxDepth = MAX_NESTING_DEPTH): JsonValue[] {
  const tokens: CST.Token[] = Array.from(new Parser().parse(text));
  const deep = yamlTooDeep(tokens, maxDepth);
  if (deep) {
    const { line, column } = lineColumn(text, deep.offset);
    throw new YamlSyntaxError(`nests deeper than ${maxDepth} levels`, line, column, deep.pointer);
  }
  const docs = Array.from(new Composer({ uniqueKeys: true }).compose(tokens));
  const result: JsonValue[] = [];
  for (const doc of docs) {
    const error = doc.errors[0];
    if (error) {
      const { line, column } = lineColumn(text, error.pos[0]);
      throw new YamlSyntaxError(YAML_ERRORS[error.code] ?? 'invalid YAML', line, column);
    }
    let value: JsonValue | undefined;
    try {
      value = doc.toJS({ maxAliasCount: 100 }) as JsonValue | undefined;
    } catch (error) {
      // toJS throws ReferenceErrors for aliases only: past maxAliasCount ("billion laughs"), or unresolved.
      const text = error instanceof Error ? error.message : '';
      const message = text.startsWith('Excessive alias count')
        ? YAML_ERRORS.RESOURCE_EXHAUSTION
        : text.startsWith('Unresolved alias')
          ? YAML_ERRORS.BAD_ALIAS
          : 'cannot be read as data';
      throw new YamlSyntaxError(message, undefined);
    }
    if (value !== null && value !== undefined) result.push(value);
  }
  return result;
}

export function parseYamlDocument(text: string, maxDepth = MAX_NESTING_DEPTH): JsonValue {
  const docs = parseYamlDocuments(text, maxDepth);
  if (docs.length > 1) throw new YamlSyntaxError('expected a single YAML document', undefined);
  return docs[0] ?? null;
}
