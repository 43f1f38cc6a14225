/**
 * JSON merge patch (RFC 7386) and JSON patch (RFC 6902) over plain JSON values. Pure; inputs are
 * never modified. Errors are InputErrors whose path points into the patch document.
 */
import { isJsonObject, jsonEqual, type JsonObject, type JsonValue } from '../core/index.js';
import { InputError } from '../core/errors/index.js';

/** Sets an own property even for `__proto__`, which plain assignment would treat as the prototype. */
export function setOwn(object: JsonObject, key: string, value: JsonValue): void {
  Object.defineProperty(object, key, { value, enumerable: true, writable: true, configurable: true });
}

/**
 * RFC 7386: objects merge key by key, `null` deletes, anything else (arrays too) replaces. The
 * result shares no object or array with the patch.
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

export interface JsonPatchOperation {
  op: 'add' | 'remove' | 'replace' | 'move' | 'copy' | 'test';
  path: string;
  value?: JsonValue;
  from?: string;
}

/** RFC 6901: '' is the whole document; `~1` is '/', `~0` is '~'. */
export function parsePointer(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw new Error(`a JSON pointer must start with "/"`);
  return pointer
    .slice(1)
    .split('/')
    .map((token) => token.replace(/~1/g, '/').replace(/~0/g, '~'));
}

class PatchFailure extends Error {}

function arrayIndex(container: JsonValue[], token: string, allowEnd: boolean): number {
  if (token === '-' && allowEnd) return container.length;
  if (!/^(0|[1-9]\d*)$/.test(token)) throw new PatchFailure(`"${token}" is not an array index`);
  const index = Number(token);
  if (index > container.length || (!allowEnd && index === container.length))
    throw new PatchFailure(`index ${index} is out of bounds`);
  return index;
}

/** The container of the value `tokens` points at, and the last token. */
function parentOf(doc: JsonValue, tokens: string[]): { parent: JsonValue; last: string } {
  let node = doc;
  for (const token of tokens.slice(0, -1)) {
    if (Array.isArray(node)) node = node[arrayIndex(node, token, false)]!;
    else if (isJsonObject(node) && Object.prototype.hasOwnProperty.call(node, token)) node = node[token]!;
    else throw new PatchFailure(`path does not exist`);
  }
  return { parent: node, last: tokens[tokens.length - 1]! };
}

function getAt(doc: JsonValue, tokens: string[]): JsonValue {
  if (tokens.length === 0) return doc;
  const { parent, last } = parentOf(doc, tokens);
  if (Array.isArray(parent)) return parent[arrayIndex(parent, last, false)]!;
  if (isJsonObject(parent) && Object.prototype.hasOwnProperty.call(parent, last)) return parent[last]!;
  throw new PatchFailure('path does not exist');
}

function addAt(doc: JsonValue, tokens: string[], value: JsonValue): JsonValue {
  if (tokens.length === 0) return value;
  const { parent, last } = parentOf(doc, tokens);
  if (Array.isArray(parent)) parent.splice(arrayIndex(parent, last, true), 0, value);
  else if (isJsonObject(parent)) parent[last] = value;
  else throw new PatchFailure('parent is not an object or array');
  return doc;
}

function removeAt(doc: JsonValue, tokens: string[]): { doc: JsonValue; removed: JsonValue } {
  if (tokens.length === 0) throw new PatchFailure('cannot remove the whole document');
  const { parent, last } = parentOf(doc, tokens);
  if (Array.isArray(parent)) {
    const [removed] = parent.splice(arrayIndex(parent, last, false), 1);
    return { doc, removed: removed! };
  }
  if (isJsonObject(parent) && Object.prototype.hasOwnProperty.call(parent, last)) {
    const removed = parent[last]!;
    delete parent[last];
    return { doc, removed };
  }
  throw new PatchFailure('path does not exist');
}

/** Applies RFC 6902 operations in order; the first failing one fails the whole patch. */
export function jsonPatch(document: JsonValue, operations: unknown): JsonValue {
  if (!Array.isArray(operations))
    throw new InputError([{ path: '', message: 'a JSON patch must be an array of operations' }]);
  let doc = structuredClone(document);
  operations.forEach((raw, index) => {
    const at = `/${index}`;
    if (!isJsonObject(raw) || typeof raw.op !== 'string' || typeof raw.path !== 'string')
      throw new InputError([{ path: at, message: 'an operation needs "op" and "path" strings' }]);
    const op = raw as unknown as JsonPatchOperation;
    try {
      const path = parsePointer(op.path);
      const needValue = op.op === 'add' || op.op === 'replace' || op.op === 'test';
      if (needValue && !('value' in raw)) throw new PatchFailure(`"${op.op}" needs a value`);
      switch (op.op) {
        case 'add':
          doc = addAt(doc, path, structuredClone(op.value!));
          break;
        case 'remove':
          doc = removeAt(doc, path).doc;
          break;
        case 'replace':
          getAt(doc, path);
          doc =
            path.length === 0
              ? structuredClone(op.value!)
              : addAt(removeAt(doc, path).doc, path, structuredClone(op.value!));
          break;
        case 'move':
        case 'copy': {
          if (typeof op.from !== 'string') throw new PatchFailure(`"${op.op}" needs "from"`);
          const from = parsePointer(op.from);
          if (op.op === 'move' && path.length > from.length && from.every((t, i) => t === path[i]))
            throw new PatchFailure('cannot move a value into one of its children');
          const value = op.op === 'move' ? removeAt(doc, from).removed : structuredClone(getAt(doc, from));
          doc = addAt(doc, path, value);
          break;
        }
        case 'test':
          if (!jsonEqual(getAt(doc, path), op.value))
            throw new PatchFailure('test failed: the value differs');
          break;
        default:
          throw new PatchFailure(`unknown operation "${String(op.op)}"`);
      }
    } catch (error) {
      if (error instanceof InputError) throw error;
      const message = error instanceof Error ? error.message : String(error);
      throw new InputError([{ path: at, message: `${op.op} ${op.path}: ${message}` }]);
    }
  });
  return doc;
}
