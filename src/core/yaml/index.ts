/**
 * Deterministic YAML: Kubernetes objects start with apiVersion, kind, metadata; every other map is
 * sorted by key, so the same input always gives the same bytes and a Git diff shows real changes only.
 */
import { parseAllDocuments, stringify } from 'yaml';
import type { JsonValue } from '../catalog/types.js';
import { emitFast, YAML_STRINGIFY_OPTIONS } from './emit.js';

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

export class YamlSyntaxError extends Error {
  constructor(
    message: string,
    readonly line: number | undefined,
  ) {
    super(message);
  }
}

/** Parses every document of a YAML text into plain JSON values; throws YamlSyntaxError on the first error. */
export function parseYamlDocuments(text: string): JsonValue[] {
  const docs = parseAllDocuments(text, { uniqueKeys: true, prettyErrors: false });
  const result: JsonValue[] = [];
  for (const doc of docs) {
    const error = doc.errors[0];
    if (error) {
      const line = text.slice(0, error.pos[0]).split('\n').length;
      throw new YamlSyntaxError(error.message.split('\n')[0] ?? error.message, line);
    }
    const value = doc.toJS({ maxAliasCount: 100 }) as JsonValue | undefined;
    if (value !== null && value !== undefined) result.push(value);
  }
  return result;
}

export function parseYamlDocument(text: string): JsonValue {
  const docs = parseYamlDocuments(text);
  if (docs.length > 1) throw new YamlSyntaxError('expected a single YAML document', undefined);
  return docs[0] ?? null;
}
