/**
 * JSON merge patch (RFC 7386) and equality of JSON values, for the in-memory cluster twin. Written
 * here rather than imported from the simulator, so that the twin and the simulated API server are
 * two implementations the cluster contract (test/cluster/client-contract.ts) holds to one another.
 */
import type { JsonObject, JsonValue } from '../../src/core/index.js';

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Sets an own property even for `__proto__`, which plain assignment would treat as the prototype. */
export function setOwn(object: JsonObject, key: string, value: JsonValue): void {
  Object.defineProperty(object, key, { value, enumerable: true, writable: true, configurable: true });
}

/**
 * Equality of JSON values. Not util.isDeepStrictEqual: that compares prototypes, and under jest an
 * object from structuredClone (made in Node's realm) and a literal (made in the test's) differ.
 */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((item, i) => jsonEqual(item, b[i]));
  }
  const aKeys = Object.keys(a);
  const bRecord = b as Record<string, unknown>;
  if (aKeys.length !== Object.keys(bRecord).length) return false;
  return aKeys.every(
    (key) => Object.hasOwn(bRecord, key) && jsonEqual((a as Record<string, unknown>)[key], bRecord[key]),
  );
}

/**
 * RFC 7386 §2: objects merge key by key, `null` removes a key, anything else (arrays too) replaces.
 * Neither argument is modified, and the result shares no object or array with the patch.
 */
export function mergePatch(target: JsonValue | undefined, patch: JsonValue): JsonValue {
  if (!isJsonObject(patch)) return structuredClone(patch);
  // spread defines own properties, so a `__proto__` member of the target stays a member
  const result: JsonObject = isJsonObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else setOwn(result, key, mergePatch(Object.hasOwn(result, key) ? result[key] : undefined, value));
  }
  return result;
}
