/**
 * What envcat reads in the JSON Schema of an entry's parameters beyond JSON Schema itself. Nothing
 * here imports a package: the web portal uses it too (through core/browser.ts).
 */
import { isJsonObject } from '../json/values.js';
import type { JsonSchema, JsonValue } from './types.js';

/** Keywords envcat adds to parameter schemas: annotations, so every validator must accept and ignore them. */
export const ENVCAT_KEYWORDS = ['x-envcat-secret', 'x-envcat-secret-key', 'x-envcat-messages'] as const;

/** A schema object (not a boolean schema, not an array). */
export const isSchema: (value: JsonValue | undefined) => value is JsonSchema = isJsonObject;

/** A parameter whose value is secret: `x-envcat-secret: true`, or `writeOnly: true`. */
export function isSecretSchema(schema: JsonValue | undefined): boolean {
  return isSchema(schema) && (schema['x-envcat-secret'] === true || schema.writeOnly === true);
}
