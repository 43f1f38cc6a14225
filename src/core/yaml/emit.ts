/**
 * A fast YAML emitter for plain JSON values that produces exactly the bytes of
 * `stringify(value, YAML_STRINGIFY_OPTIONS)` from the `yaml` library, or `undefined` when it is not
 * sure it would: the caller then falls back to the library for that document.
 *
 * It mirrors yaml 2.x's stringifier (dist/stringify/*) for the subset it accepts: block maps and
 * sequences indented by two spaces, `{}` / `[]` for empty collections, no line folding (lineWidth 0),
 * plain scalars unless the library would quote them, double quotes (or single quotes when the text has
 * `"` but no `'`) for one-line strings, and `|` / `|-` literal blocks for multi-line strings. Anything
 * else — non-JSON values, control characters, strings whose quoting would span lines, keep-chomped or
 * indentation-indicated blocks, document markers, very long keys, a scalar at the root — is left to
 * the library.
 */
import { Document } from 'yaml';

/** The options toYaml passes to yaml's stringify; the fast path is only valid for these. */
export const YAML_STRINGIFY_OPTIONS = Object.freeze({ lineWidth: 0, aliasDuplicateObjects: false });

const INDENT_STEP = '  ';

// yaml quotes a would-be plain string that another default tag of the core schema would resolve
// (null, booleans, ints, floats). The patterns come from the library's own schema so they cannot drift.
const RESOLVING_TAG_TESTS: readonly RegExp[] = new Document(null).schema.tags.flatMap((tag) =>
  tag.default && tag.tag !== 'tag:yaml.org,2002:str' && 'test' in tag && tag.test instanceof RegExp
    ? [tag.test]
    : [],
);
// Without them (a yaml release that hides them) the emitter cannot know what to quote: it stands aside.
const ENABLED = RESOLVING_TAG_TESTS.length > 0;

// Every core-schema scalar other than str starts with one of these, or is empty (null).
const RESOLVING_FIRST_CHAR = /^[-+.~0-9nNtTfF]/;

/** Characters for which yaml forces a double-quoted string with escapes (stringifyString.js). */
// eslint-disable-next-line no-control-regex
const FORCE_DOUBLE_QUOTES = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u{D800}-\u{DFFF}]/u;

/** yaml's test for a string that cannot be plain (stringifyString.js, plainString). */
const NOT_PLAIN = /^[\n\t ,[\]{}#&*!|>'"%@`]|^[?-]$|^[?-][ \t]|[\n:][ \t]|[ \t]\n|[\n\t ]#|[\n\t :]$/;

/** A line starting with `%`, `---` or `...`, for which yaml changes indentation or quoting. */
const DOCUMENT_MARKER = /^(%|---|\.\.\.)/m;

const NEWLINES = /\n+/g;

/** yaml makes a key longer than this explicit (`? key`). */
const MAX_IMPLICIT_KEY_LENGTH = 1024;

function resolvesToOtherType(value: string): boolean {
  if (value !== '' && !RESOLVING_FIRST_CHAR.test(value)) return false;
  for (const test of RESOLVING_TAG_TESTS) if (test.test(value)) return true;
  return false;
}

/** A one-line string as yaml quotes it: JSON-style double quotes unless it has `"` and no `'`. */
function quoted(value: string): string {
  return value.includes('"') && !value.includes("'") ? `'${value}'` : JSON.stringify(value);
}

function keyString(key: string): string | undefined {
  if (key.includes('\n') || FORCE_DOUBLE_QUOTES.test(key) || DOCUMENT_MARKER.test(key)) return undefined;
  const text = NOT_PLAIN.test(key) || resolvesToOtherType(key) ? quoted(key) : key;
  return text.length > MAX_IMPLICIT_KEY_LENGTH ? undefined : text;
}

/** A string value; `indent` is the indentation of the node's own context. */
function valueString(value: string, indent: string): string | undefined {
  if (FORCE_DOUBLE_QUOTES.test(value)) return undefined;
  if (value.includes('\n')) return literalBlock(value, indent);
  return NOT_PLAIN.test(value) || resolvesToOtherType(value) ? quoted(value) : value;
}

/**
 * A multi-line string as yaml's blockString makes it with lineWidth 0 (always literal): `|` when the
 * text ends with exactly one newline, `|-` when it ends with none. Keep chomping, a whitespace-only
 * last line, and a leading space or newline (indentation indicator) are left to the library.
 */
function literalBlock(value: string, indent: string): string | undefined {
  const first = value.charCodeAt(0);
  if (first === 0x20 || first === 0x0a) return undefined;
  let body = value;
  let header = '|-';
  const last = value.charCodeAt(value.length - 1);
  if (last === 0x0a) {
    body = value.slice(0, -1);
    header = '|';
  }
  const end = body.charCodeAt(body.length - 1);
  if (end === 0x0a || end === 0x20 || end === 0x09) return undefined;
  // `indent` is only spaces, so it is safe in a replacement pattern.
  return `${header}\n${indent}${body.replace(NEWLINES, `$&${indent}`)}`;
}

function isPlainObject(value: object): value is Record<string, unknown> {
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/** A scalar as yaml writes it, or undefined when not sure; `null` result means "not a scalar". */
function scalar(value: unknown, indent: string): string | undefined | null {
  switch (typeof value) {
    case 'string':
      return valueString(value, indent);
    case 'number':
      if (!Number.isFinite(value)) return undefined;
      return Object.is(value, -0) ? '-0' : JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object':
      return value === null ? 'null' : null;
    default:
      return undefined;
  }
}

/** A non-empty collection's block text at `indent`, an empty one's flow text, or undefined. */
function node(value: unknown, indent: string): string | undefined {
  const text = scalar(value, indent);
  if (text !== null) return text;
  const object = value as object;
  if (Array.isArray(object)) return sequence(object, indent);
  if (!isPlainObject(object)) return undefined;
  return mapping(object, indent);
}

function sequence(items: readonly unknown[], indent: string): string | undefined {
  if (items.length === 0) return '[]';
  const itemIndent = indent + INDENT_STEP;
  let out = '';
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    // Holes and undefined members become null in yaml; not JSON, so not ours to decide.
    if (item === undefined) return undefined;
    const text = node(item, itemIndent);
    if (text === undefined) return undefined;
    out += i === 0 ? `- ${text}` : `\n${indent}- ${text}`;
  }
  return out;
}

function mapping(object: Record<string, unknown>, indent: string): string | undefined {
  const keys = Object.keys(object);
  if (keys.length === 0) return '{}';
  const pairIndent = indent + INDENT_STEP;
  let out = '';
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    const value = object[key];
    // yaml drops undefined members; a JSON value has none, so stay out of it.
    if (value === undefined) return undefined;
    const k = keyString(key);
    if (k === undefined) return undefined;
    const text = node(value, pairIndent);
    if (text === undefined) return undefined;
    // A non-empty collection starts on the next line; scalars and `{}` / `[]` stay on the key's line.
    // (A key can never print as `{}` or `[]`: those are quoted.)
    const block = typeof value === 'object' && value !== null && text !== '{}' && text !== '[]';
    const pair = block ? `${k}:\n${pairIndent}${text}` : `${k}: ${text}`;
    out += i === 0 ? pair : `\n${indent}${pair}`;
  }
  return out;
}

/**
 * The YAML document for `value` exactly as `stringify(value, YAML_STRINGIFY_OPTIONS)` writes it, or
 * undefined when the value holds anything this emitter is not sure to reproduce byte for byte.
 * Only maps and sequences at the root; scalars at the root are left to the library.
 */
export function emitFast(value: unknown): string | undefined {
  if (!ENABLED || value === null || typeof value !== 'object') return undefined;
  const text = Array.isArray(value)
    ? sequence(value, '')
    : isPlainObject(value)
      ? mapping(value, '')
      : undefined;
  return text === undefined ? undefined : `${text}\n`;
}
