/**
 * The private copy of a request, as `JSON.parse(JSON.stringify(value))` gives it, without the
 * round trip through text: validation checks the request's size and keeps a copy of it on every
 * call, and the round trip was a third of its time.
 */
import type { JsonValue } from '../catalog/types.js';
import { MAX_NESTING_DEPTH } from '../json/index.js';

export interface JsonCopy {
  copy: JsonValue;
  /** At least the UTF-8 length of `JSON.stringify(value)` (a bound, not the exact size). */
  maxBytes: number;
}

// The nesting limit of every document (a request deeper than it is refused, core/json): beyond it
// (or on a cycle) the copy gives up and the caller decides.
const MAX_DEPTH = MAX_NESTING_DEPTH;
// A JSON number is at most 25 characters (e.g. -0.0000012345678901234567); rounded up.
const MAX_NUMBER_BYTES = 32;
// A UTF-16 code unit is at most 3 UTF-8 bytes, or 6 when JSON escapes it (\u001f).
const MAX_BYTES_PER_CODE_UNIT = 6;

class NotPlain extends Error {}
const NOT_PLAIN = new NotPlain();

/**
 * A deep copy equal to `JSON.parse(JSON.stringify(value))` and a bound of that JSON's byte size, or
 * undefined when `value` is not plain JSON data (a toJSON method, a non-plain object, an undefined,
 * function, symbol, bigint or non-finite member, a `__proto__` key, too deep) or when the bound
 * exceeds `limit`: then the caller does the round trip, which decides those cases exactly.
 */
export function copyJson(value: unknown, limit: number): JsonCopy | undefined {
  const state = { bytes: 0, limit };
  try {
    const copy = copyValue(value, state, 0);
    return { copy, maxBytes: state.bytes };
  } catch (error) {
    if (error === NOT_PLAIN) return undefined;
    throw error;
  }
}

function copyValue(value: unknown, state: { bytes: number; limit: number }, depth: number): JsonValue {
  switch (typeof value) {
    case 'string':
      state.bytes += value.length * MAX_BYTES_PER_CODE_UNIT + 2;
      break;
    case 'number':
      if (!Number.isFinite(value)) throw NOT_PLAIN;
      state.bytes += MAX_NUMBER_BYTES;
      if (state.bytes > state.limit) throw NOT_PLAIN;
      return value === 0 ? 0 : value; // JSON writes -0 as 0
    case 'boolean':
      state.bytes += 5;
      break;
    case 'object': {
      if (value === null) {
        state.bytes += 4;
        break;
      }
      if (depth >= MAX_DEPTH || typeof (value as { toJSON?: unknown }).toJSON === 'function') throw NOT_PLAIN;
      if (Array.isArray(value)) {
        const copy: JsonValue[] = new Array<JsonValue>(value.length);
        state.bytes += 2 + value.length;
        for (let i = 0; i < value.length; i++) {
          const item: unknown = value[i];
          if (item === undefined) throw NOT_PLAIN; // JSON writes null for it (and for holes)
          copy[i] = copyValue(item, state, depth + 1);
        }
        return copy;
      }
      const proto = Object.getPrototypeOf(value) as unknown;
      if (proto !== Object.prototype && proto !== null) throw NOT_PLAIN;
      const copy: { [key: string]: JsonValue } = {};
      const keys = Object.keys(value);
      state.bytes += 2;
      for (const key of keys) {
        const member = (value as Record<string, unknown>)[key];
        // JSON leaves such members out; assigning `__proto__` would set the copy's prototype.
        if (member === undefined || key === '__proto__') throw NOT_PLAIN;
        state.bytes += key.length * MAX_BYTES_PER_CODE_UNIT + 4;
        copy[key] = copyValue(member, state, depth + 1);
      }
      return copy;
    }
    default:
      throw NOT_PLAIN; // undefined, function, symbol, bigint
  }
  if (state.bytes > state.limit) throw NOT_PLAIN;
  return value as JsonValue;
}
