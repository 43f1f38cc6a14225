/** Tests on JSON values, as parsed or as built in memory. */
import type { JsonObject } from '../catalog/types.js';

/** A plain object: not null and not an array. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `isRecord` for a value that came from JSON (a request body, a stored object): a JSON object. */
export function isJsonObject(value: unknown): value is JsonObject {
  return isRecord(value);
}

/**
 * Equality of JSON values: key order is ignored, and a key whose value is undefined counts as
 * absent, as it is once serialised. Not util.isDeepStrictEqual: that also compares prototypes, and
 * an object from structuredClone (made in Node's realm) and a literal made in a jest test's realm
 * would differ.
 */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b))
    return (
      Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((v, i) => jsonEqual(v, b[i]))
    );
  if (!isRecord(a) || !isRecord(b)) return false;
  const keys = Object.keys(a).filter((key) => a[key] !== undefined);
  return (
    keys.length === Object.keys(b).filter((key) => b[key] !== undefined).length &&
    keys.every((key) => Object.hasOwn(b, key) && jsonEqual(a[key], b[key]))
  );
}

/** `value` when it is a JSON object, else undefined: for chains such as `asJsonObject(doc.spec)?.names`. */
export function asJsonObject(value: unknown): JsonObject | undefined {
  return isJsonObject(value) ? value : undefined;
}
