/** One way to build ajv instances and to turn ajv errors into problems with JSON pointers. */
import { Ajv2020, type ErrorObject, type Options } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { ENVCAT_KEYWORDS } from '../catalog/schema-keywords.js';
import type { JsonValue } from '../catalog/types.js';
import { escapePointerToken } from '../names/index.js';
import { MESSAGES_KEYWORD, schemaAtPath, schemaErrorMessage } from './messages.js';

export { MESSAGES_KEYWORD, schemaAtPath, schemaErrorMessage, type SchemaErrorInput } from './messages.js';

// ajv-formats is CommonJS with a default export; under NodeNext it arrives as the module object.
type AddFormats = (ajv: Ajv2020) => Ajv2020;
const addFormats: AddFormats =
  (addFormatsModule as unknown as { default?: AddFormats }).default ??
  (addFormatsModule as unknown as AddFormats);

export { ENVCAT_KEYWORDS };

export function createAjv(options: Options = {}): Ajv2020 {
  const ajv = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true, ...options });
  addFormats(ajv);
  for (const keyword of ENVCAT_KEYWORDS)
    ajv.addKeyword({
      keyword,
      schemaType: keyword === MESSAGES_KEYWORD ? ['object'] : ['boolean', 'string'],
    });
  return ajv;
}

export interface SchemaProblem {
  path: string;
  message: string;
  /** The JSON Schema keyword that failed (`required`, `pattern`, …). */
  keyword: string;
}

/**
 * ajv errors as problems, in words (`schemaErrorMessage`): with the schema that was validated, a
 * missing property is named by its title and the schema's own `x-envcat-messages` are used. Never
 * echoes the offending value, which may be a secret. Paths point at the offending member, including
 * missing and unknown properties; the keyword is kept for callers that treat one specially.
 */
export function ajvProblems(
  errors: readonly ErrorObject[] | null | undefined,
  base = '',
  schema?: JsonValue,
): SchemaProblem[] {
  const seen = new Set<string>();
  const problems: SchemaProblem[] = [];
  for (const error of errors ?? []) {
    let path = base + error.instancePath;
    const params = error.params as Record<string, unknown>;
    let message = schemaErrorMessage({
      keyword: error.keyword,
      params,
      schema: schema === undefined ? undefined : schemaAtPath(schema, error.schemaPath),
    });
    // Errors about a property's *name* (propertyNames) carry the name: point at that property.
    if (error.propertyName !== undefined) {
      path += `/${escapePointerToken(error.propertyName)}`;
      message = `is not a valid name: ${message}`;
    }
    switch (error.keyword) {
      case 'propertyNames':
      case 'if':
        continue; // the wrapper of the errors that say what is wrong
      case 'required':
        path += `/${escapePointerToken(String(params.missingProperty))}`;
        break;
      case 'additionalProperties':
        path += `/${escapePointerToken(String(params.additionalProperty))}`;
        break;
      case 'unevaluatedProperties':
        path += `/${escapePointerToken(String(params.unevaluatedProperty))}`;
        break;
      default:
        break;
    }
    const key = `${path}\u0000${message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    problems.push({ path, message, keyword: error.keyword });
  }
  return problems;
}

const SCHEMA_MAPS = ['properties', 'patternProperties', '$defs', 'definitions', 'dependentSchemas'];
const SCHEMA_ARRAYS = ['allOf', 'anyOf', 'oneOf', 'prefixItems'];
const SCHEMA_SINGLE = [
  'items',
  'additionalProperties',
  'unevaluatedProperties',
  'propertyNames',
  'contains',
  'not',
  'if',
  'then',
  'else',
  'additionalItems',
  'unevaluatedItems',
];

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

/**
 * Calls `visit` for every subschema of a JSON Schema (not for the root), with its pointer. Only
 * keywords that hold schemas are followed, so a property named `default` or `enum` is a subschema
 * and the value of a `default` keyword is not.
 */
export function forEachSubschema(
  schema: Json,
  base: string,
  visit: (subschema: { [key: string]: Json }, pointer: string) => void,
): void {
  if (schema === null || typeof schema !== 'object' || Array.isArray(schema)) return;
  const go = (sub: Json | undefined, ptr: string) => {
    if (sub === null || typeof sub !== 'object' || Array.isArray(sub)) return;
    visit(sub, ptr);
    forEachSubschema(sub, ptr, visit);
  };
  for (const key of SCHEMA_MAPS) {
    const map = schema[key];
    if (map && typeof map === 'object' && !Array.isArray(map)) {
      for (const [name, sub] of Object.entries(map)) go(sub, `${base}/${key}/${escapePointerToken(name)}`);
    }
  }
  for (const key of SCHEMA_ARRAYS) {
    const list = schema[key];
    if (Array.isArray(list)) list.forEach((sub, i) => go(sub, `${base}/${key}/${i}`));
  }
  for (const key of SCHEMA_SINGLE) {
    const sub = schema[key];
    if (Array.isArray(sub)) sub.forEach((s, i) => go(s, `${base}/${key}/${i}`));
    else go(sub, `${base}/${key}`);
  }
}
