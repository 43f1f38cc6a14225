/**
 * What a JSON Schema validation error says, in words: the server's 422 problems, the CLI and the
 * portal's forms all show these. A schema may say it its own way with `x-envcat-messages` (keyword →
 * message, shown as written), and a missing property is named by its title. The failing value is
 * never echoed: it may be a secret.
 *
 * Nothing here imports a package: the portal uses it too (through core/browser.ts).
 */
import { isJsonObject } from '../json/values.js';
import type { JsonObject, JsonValue } from '../catalog/types.js';

/** The keyword holding a schema's own messages: `{ pattern: "lower-case letters, digits and _" }`. */
export const MESSAGES_KEYWORD = 'x-envcat-messages';

/** A validation error as Ajv (`keyword`) and react-jsonschema-form (`name`) report it. */
export interface SchemaErrorInput {
  keyword: string;
  params: Readonly<Record<string, unknown>>;
  /** The schema that holds the failing keyword, when it is known. */
  schema?: JsonValue;
}

const TYPE_WORDS: Record<string, string> = {
  string: 'text',
  integer: 'a whole number',
  number: 'a number',
  boolean: 'true or false',
  array: 'a list',
  object: 'an object',
  null: 'empty (null)',
};

const FORMAT_WORDS: Record<string, string> = {
  email: 'an email address',
  'idn-email': 'an email address',
  hostname: 'a host name',
  'idn-hostname': 'a host name',
  ipv4: 'an IPv4 address',
  ipv6: 'an IPv6 address',
  uri: 'a URL',
  'uri-reference': 'a URL or a relative reference',
  url: 'a URL',
  uuid: 'a UUID',
  date: 'a date (YYYY-MM-DD)',
  time: 'a time (hh:mm:ss)',
  'date-time': 'a date and time (RFC 3339)',
  duration: 'an ISO 8601 duration',
  regex: 'a regular expression',
};

function ownMessage(schema: JsonValue | undefined, keyword: string): string | undefined {
  if (!isJsonObject(schema)) return undefined;
  const messages = schema[MESSAGES_KEYWORD];
  if (!isJsonObject(messages)) return undefined;
  const message = messages[keyword];
  return typeof message === 'string' && message.trim() !== '' ? message : undefined;
}

function text(schema: JsonValue | undefined, key: 'title' | 'description'): string | undefined {
  if (!isJsonObject(schema)) return undefined;
  const value = schema[key];
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

function propertySchema(schema: JsonValue | undefined, name: string): JsonValue | undefined {
  if (!isJsonObject(schema) || !isJsonObject(schema.properties)) return undefined;
  return schema.properties[name];
}

function count(n: unknown, one: string, many: string): string {
  return n === 1 ? `1 ${one}` : `${String(n)} ${many}`;
}

function list(values: unknown[]): string {
  return values.map((v) => JSON.stringify(v)).join(', ');
}

function typeWords(type: unknown): string {
  const types = Array.isArray(type) ? type : String(type).split(',');
  const words = types.map((t) => TYPE_WORDS[String(t)] ?? String(t));
  return words.length <= 1 ? (words[0] ?? 'valid') : `${words.slice(0, -1).join(', ')} or ${words.at(-1)}`;
}

/** The subject of a message about a property: its title, or its name. */
function subject(schema: JsonValue | undefined, name: string): string {
  return text(propertySchema(schema, name), 'title') ?? name;
}

/** A required property with a title is named by it; without one, its path already names it. */
function requiredMessage(schema: JsonValue | undefined, name: string): string {
  const title = text(propertySchema(schema, name), 'title');
  return title ? `${title} is required` : 'is required';
}

/**
 * The message for one validation error. A message of the schema's own (`x-envcat-messages`) wins;
 * for a missing property, the property's own `required` message wins over its parent's.
 */
export function schemaErrorMessage(error: SchemaErrorInput): string {
  const { keyword, params, schema } = error;
  if (keyword === 'required') {
    const missing = String(params.missingProperty);
    return (
      ownMessage(propertySchema(schema, missing), 'required') ??
      ownMessage(schema, 'required') ??
      requiredMessage(schema, missing)
    );
  }
  const own = ownMessage(schema, keyword);
  if (own) return own;
  switch (keyword) {
    case 'type':
      return `must be ${typeWords(params.type)}`;
    case 'minimum':
      return `must be at least ${String(params.limit)}`;
    case 'maximum':
      return `must be at most ${String(params.limit)}`;
    case 'exclusiveMinimum':
      return `must be more than ${String(params.limit)}`;
    case 'exclusiveMaximum':
      return `must be less than ${String(params.limit)}`;
    case 'multipleOf':
      return `must be a multiple of ${String(params.multipleOf)}`;
    case 'minLength':
      return params.limit === 1
        ? 'must not be empty'
        : `must be at least ${count(params.limit, 'character', 'characters')} long`;
    case 'maxLength':
      return `must be at most ${count(params.limit, 'character', 'characters')} long`;
    case 'minItems':
      return params.limit === 1
        ? 'must have at least one item'
        : `must have at least ${count(params.limit, 'item', 'items')}`;
    case 'maxItems':
      return `must have at most ${count(params.limit, 'item', 'items')}`;
    case 'uniqueItems':
      return 'must not list the same item twice';
    case 'minProperties':
      return `must have at least ${count(params.limit, 'entry', 'entries')}`;
    case 'maxProperties':
      return `must have at most ${count(params.limit, 'entry', 'entries')}`;
    case 'minContains':
    case 'contains':
      return 'must contain an item of the expected kind';
    case 'maxContains':
      return `must contain at most ${count(params.limit, 'such item', 'such items')}`;
    case 'pattern': {
      const description = text(schema, 'description');
      return description
        ? `is not in the expected form: ${description}`
        : `is not in the expected form (pattern ${String(params.pattern)})`;
    }
    case 'format':
      return `must be ${FORMAT_WORDS[String(params.format)] ?? `in the format ${String(params.format)}`}`;
    case 'enum':
      return `must be one of: ${list((params.allowedValues as unknown[] | undefined) ?? [])}`;
    case 'const':
      return `must be ${JSON.stringify(params.allowedValue)}`;
    case 'additionalProperties':
    case 'unevaluatedProperties':
      return 'is not a known property';
    case 'additionalItems':
    case 'unevaluatedItems':
      return `must have at most ${count(params.limit, 'item', 'items')}`;
    case 'dependentRequired':
    case 'dependencies': {
      const missing = String(params.missingProperty);
      return `${subject(schema, missing)} is required when ${subject(schema, String(params.property))} is set`;
    }
    case 'oneOf':
      return 'must match exactly one of the allowed forms';
    case 'anyOf':
      return 'must match one of the allowed forms';
    case 'not':
      return 'is not allowed';
    case 'false schema':
      return 'is not allowed';
    default:
      return 'is not valid';
  }
}

/**
 * The schema that holds the failing keyword, from the error's schema path (`#/properties/port/minimum`
 * → the `port` property's schema) in the schema that was validated. A path that leaves that
 * schema (a remote `$ref`) resolves to nothing, and the message is the keyword's own.
 */
export function schemaAtPath(root: JsonValue | undefined, schemaPath: string): JsonValue | undefined {
  const tokens = schemaPath.replace(/^#/, '').split('/').slice(1, -1);
  let current: JsonValue | undefined = root;
  for (const raw of tokens) {
    const token = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(current)) current = current[Number(token)];
    else if (isJsonObject(current)) current = (current as JsonObject)[token];
    else return undefined;
  }
  return current;
}
