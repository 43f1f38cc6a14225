/**
 * JSON text checked before it is parsed: one pass, no recursion, so a hostile body (10,000 nested
 * arrays, a truncated string) is refused with where it went wrong and never reaches a recursive
 * walker (JSON.parse, JSON.stringify, ajv, the renderers). Messages say what and where, never
 * which characters: a request body can hold secret values.
 */
import type { Problem } from '../errors/index.js';
import { escapePointerToken } from '../names/index.js';

export { asJsonObject, isJsonObject, isRecord, jsonEqual } from './values.js';

/** How deep a request, a catalog entry or a template may nest (the root object is level 1). */
export const MAX_NESTING_DEPTH = 64;

export type JsonScan =
  | { ok: true }
  | { ok: false; kind: 'syntax'; offset: number; line: number; column: number; message: string }
  | { ok: false; kind: 'depth'; pointer: string };

interface Frame {
  kind: 'object' | 'array';
  /** The member being read: a key in an object, an index in an array. */
  token: string | number;
}

type Expect = 'value' | 'value-or-close' | 'key' | 'key-or-close' | 'colon' | 'comma-or-close' | 'end';

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const ESCAPE = /["\\/bfnrt]|u[0-9a-fA-F]{4}/y;

/** 1-based line and column of an offset. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let start = 0;
  for (let i = 0; i < offset && i < text.length; i++)
    if (text.charCodeAt(i) === 10) {
      line++;
      start = i + 1;
    }
  return { line, column: offset - start + 1 };
}

/** Checks the syntax of a JSON text (RFC 8259) and that it nests at most `maxDepth` levels. */
export function scanJson(text: string, maxDepth = MAX_NESTING_DEPTH): JsonScan {
  const stack: Frame[] = [];
  let expect = 'value' as Expect;
  let i = 0;
  const fail = (message: string, at = i): JsonScan => ({
    ok: false,
    kind: 'syntax',
    offset: at,
    ...lineColumn(text, at),
    message,
  });
  /** Index after the closing quote of the string starting at `i`, or a failure. */
  const string = (): number | JsonScan => {
    let j = i + 1;
    for (;;) {
      if (j >= text.length) return fail('unterminated string', i);
      const c = text.charCodeAt(j);
      if (c === 34) return j + 1;
      if (c < 0x20) return fail('control character in a string', j);
      if (c === 92) {
        ESCAPE.lastIndex = j + 1;
        if (!ESCAPE.test(text)) return fail('invalid escape sequence in a string', j);
        j = ESCAPE.lastIndex;
      } else j++;
    }
  };
  const afterValue = () => {
    expect = stack.length === 0 ? 'end' : 'comma-or-close';
  };
  while (i < text.length) {
    const c = text[i]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
      continue;
    }
    switch (expect) {
      case 'end':
        return fail('unexpected text after the JSON value');
      case 'colon':
        if (c !== ':') return fail('expected ":" after an object key');
        i++;
        expect = 'value';
        continue;
      case 'key':
      case 'key-or-close': {
        if (c === '}' && expect === 'key-or-close') {
          stack.pop();
          i++;
          afterValue();
          continue;
        }
        if (c !== '"') return fail('expected an object key in double quotes');
        const end = string();
        if (typeof end !== 'number') return end;
        stack[stack.length - 1]!.token = JSON.parse(text.slice(i, end)) as string;
        i = end;
        expect = 'colon';
        continue;
      }
      case 'comma-or-close': {
        const top = stack[stack.length - 1]!;
        if (c === ',') {
          i++;
          if (top.kind === 'array') {
            top.token = (top.token as number) + 1;
            expect = 'value';
          } else expect = 'key';
          continue;
        }
        if ((c === ']' && top.kind === 'array') || (c === '}' && top.kind === 'object')) {
          stack.pop();
          i++;
          afterValue();
          continue;
        }
        return fail(top.kind === 'array' ? 'expected "," or "]"' : 'expected "," or "}"');
      }
      case 'value':
      case 'value-or-close': {
        if (c === ']' && expect === 'value-or-close') {
          stack.pop();
          i++;
          afterValue();
          continue;
        }
        if (c === '{' || c === '[') {
          if (stack.length >= maxDepth)
            return {
              ok: false,
              kind: 'depth',
              pointer: stack.map((f) => `/${escapePointerToken(f.token)}`).join(''),
            };
          stack.push({ kind: c === '{' ? 'object' : 'array', token: c === '{' ? '' : 0 });
          i++;
          expect = c === '{' ? 'key-or-close' : 'value-or-close';
          continue;
        }
        if (c === '"') {
          const end = string();
          if (typeof end !== 'number') return end;
          i = end;
        } else if (text.startsWith('true', i)) i += 4;
        else if (text.startsWith('false', i)) i += 5;
        else if (text.startsWith('null', i)) i += 4;
        else {
          NUMBER.lastIndex = i;
          if (!NUMBER.test(text)) return fail('expected a JSON value');
          i = NUMBER.lastIndex;
        }
        afterValue();
        continue;
      }
    }
  }
  if (expect === 'end') return { ok: true };
  return fail('unexpected end of the JSON text');
}

export type JsonParse =
  { ok: true; value: unknown } | { ok: false; kind: 'syntax' | 'depth'; problem: Problem };

/** Parses JSON text that passed `scanJson`; problems name the line and column or the JSON pointer. */
export function parseJsonText(text: string, maxDepth = MAX_NESTING_DEPTH): JsonParse {
  const scan = scanJson(text, maxDepth);
  if (scan.ok) return { ok: true, value: JSON.parse(text) as unknown };
  if (scan.kind === 'depth')
    return { ok: false, kind: 'depth', problem: depthProblem(scan.pointer, maxDepth) };
  return {
    ok: false,
    kind: 'syntax',
    problem: {
      path: '',
      message: `malformed JSON at line ${scan.line}, column ${scan.column}: ${scan.message}`,
    },
  };
}

export function depthProblem(pointer: string, maxDepth = MAX_NESTING_DEPTH): Problem {
  return { path: pointer, message: `nests deeper than ${maxDepth} levels` };
}

/**
 * For data that did not come through `scanJson` (an object built in memory, a committed file
 * parsed elsewhere): the pointer of the first object or array nested deeper than `maxDepth`, or
 * undefined. Iterative, and bounded by the depth, so a cycle ends too (as "too deep").
 */
export function valueTooDeep(value: unknown, maxDepth = MAX_NESTING_DEPTH): string | undefined {
  const stack: Array<{ value: unknown; depth: number; pointer: string }> = [{ value, depth: 1, pointer: '' }];
  while (stack.length > 0) {
    const item = stack.pop()!;
    if (item.value === null || typeof item.value !== 'object') continue;
    if (item.depth > maxDepth) return item.pointer;
    const members: Array<[string, unknown]> = Array.isArray(item.value)
      ? item.value.map((v, i): [string, unknown] => [String(i), v])
      : Object.entries(item.value);
    for (const [key, member] of members)
      if (member !== null && typeof member === 'object')
        stack.push({
          value: member,
          depth: item.depth + 1,
          pointer: `${item.pointer}/${escapePointerToken(key)}`,
        });
  }
  return undefined;
}
