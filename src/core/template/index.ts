/**
 * The template expressions of catalog entries (catalogs/README.md, Templates):
 * `${{ parameters.<name> }}`, `${{ outputs.<name> }}`, `${{ environment.name }}`,
 * `${{ environment.namespace }}`, `${{ instance.name }}`; for secret parameters and sensitive
 * outputs also `.secretName` / `.secretKey`. A string that is exactly one expression takes the value
 * with its type; inside a longer string it is interpolated as text. Nothing else: no loops, no
 * conditionals, no functions.
 */
import type { JsonValue } from '../catalog/types.js';
import { joinPointer } from '../names/index.js';

const EXPRESSION = /\$\{\{(.*?)\}\}/g;
const PATH =
  /^(parameters|outputs)\.([A-Za-z][A-Za-z0-9_]*)(?:\.(secretName|secretKey))?$|^(environment)\.(name|namespace)$|^(instance)\.(name)$/;

export type Accessor = 'secretName' | 'secretKey';

/** The body of the expression when `text` is exactly one expression, else undefined. */
function wholeExpression(text: string): string | undefined {
  const matches = [...text.matchAll(EXPRESSION)];
  return matches.length === 1 && matches[0]![0] === text ? matches[0]![1] : undefined;
}

export type Expression =
  | { scope: 'parameters' | 'outputs'; name: string; accessor?: Accessor }
  | { scope: 'environment'; name: 'name' | 'namespace' }
  | { scope: 'instance'; name: 'name' };

export type TemplateReference = Expression & { whole: boolean; pointer: string };

export interface TemplateSyntaxProblem {
  pointer: string;
  message: string;
}

export interface TemplateScan {
  references: TemplateReference[];
  problems: TemplateSyntaxProblem[];
}

function parseExpression(body: string): Expression | undefined {
  const m = PATH.exec(body.trim());
  if (!m) return undefined;
  if (m[1]) {
    const ref = { scope: m[1] as 'parameters' | 'outputs', name: m[2] as string };
    return m[3] ? { ...ref, accessor: m[3] as Accessor } : ref;
  }
  if (m[4]) return { scope: 'environment', name: m[5] as 'name' | 'namespace' };
  return { scope: 'instance', name: 'name' };
}

function walk(
  value: JsonValue,
  pointer: string,
  visit: (text: string, pointer: string) => void,
  onKey: (key: string, pointer: string) => void,
): void {
  if (typeof value === 'string') visit(value, pointer);
  else if (Array.isArray(value)) value.forEach((v, i) => walk(v, joinPointer(pointer, i), visit, onKey));
  else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      onKey(k, joinPointer(pointer, k));
      walk(v, joinPointer(pointer, k), visit, onKey);
    }
  }
}

/** Every expression in a template document, and every malformed one, with JSON pointers. */
export function scanTemplate(document: JsonValue, basePointer = ''): TemplateScan {
  const references: TemplateReference[] = [];
  const problems: TemplateSyntaxProblem[] = [];
  walk(
    document,
    basePointer,
    (text, pointer) => {
      const whole = wholeExpression(text) !== undefined;
      for (const match of text.matchAll(EXPRESSION)) {
        const parsed = parseExpression(match[1] ?? '');
        if (!parsed) {
          problems.push({
            pointer,
            message: `unsupported expression "\${{${match[1]}}}": use parameters.<name>, outputs.<name>, environment.name, environment.namespace or instance.name`,
          });
        } else {
          references.push({ ...parsed, whole, pointer } as TemplateReference);
        }
      }
      const unclosed = text.replace(EXPRESSION, '');
      if (unclosed.includes('${{')) problems.push({ pointer, message: 'unterminated "${{" expression' });
    },
    (key, pointer) => {
      if (key.includes('${{'))
        problems.push({ pointer, message: 'expressions are allowed in string values only, not in keys' });
    },
  );
  return { references, problems };
}

/** What an expression resolves to while rendering. */
export type TemplateValue =
  { kind: 'value'; value: JsonValue } | { kind: 'secret'; secretName: string; secretKey: string };

export interface TemplateContext {
  environment: { name: string; namespace: string };
  instance: { name: string };
  parameters: Readonly<Record<string, TemplateValue>>;
  outputs: Readonly<Record<string, TemplateValue>>;
}

export class TemplateRenderError extends Error {
  constructor(
    message: string,
    readonly pointer: string,
  ) {
    super(message);
  }
}

function resolve(ref: Expression, ctx: TemplateContext, pointer: string): JsonValue {
  switch (ref.scope) {
    case 'environment':
      return ctx.environment[ref.name];
    case 'instance':
      return ctx.instance.name;
    default: {
      const value = ctx[ref.scope][ref.name];
      if (value === undefined) {
        // Declared but not given and without default: a whole value renders as null, text as ''.
        return null;
      }
      if (value.kind === 'value') {
        if (ref.accessor) throw new TemplateRenderError(`${ref.scope}.${ref.name} is not a secret`, pointer);
        return value.value;
      }
      if (ref.accessor === 'secretName') return value.secretName;
      if (ref.accessor === 'secretKey') return value.secretKey;
      return { secretKeyRef: { name: value.secretName, key: value.secretKey } };
    }
  }
}

function renderString(text: string, ctx: TemplateContext, pointer: string): JsonValue {
  if (!text.includes('${{')) return text;
  const body = wholeExpression(text);
  if (body !== undefined) {
    const ref = parseExpression(body);
    if (!ref) throw new TemplateRenderError(`unsupported expression ${text}`, pointer);
    return resolve(ref, ctx, pointer);
  }
  return text.replace(EXPRESSION, (_all, body: string) => {
    const ref = parseExpression(body);
    if (!ref) throw new TemplateRenderError(`unsupported expression \${{${body}}}`, pointer);
    const value = resolve(ref, ctx, pointer);
    if (value !== null && typeof value === 'object') {
      throw new TemplateRenderError(
        `${body.trim()} is not text and cannot be interpolated into a string`,
        pointer,
      );
    }
    return value === null ? '' : String(value);
  });
}

/**
 * Renders a template document; pure, the input is not modified. Rendered without keeping track of
 * where it is (building a pointer for every value was most of the cost), and only when that fails
 * rendered again with pointers, to name where.
 */
export function renderTemplate(document: JsonValue, ctx: TemplateContext, pointer = ''): JsonValue {
  try {
    return renderValue(document, ctx);
  } catch (error) {
    if (!(error instanceof TemplateRenderError)) throw error;
    return renderAt(document, ctx, pointer);
  }
}

function renderValue(document: JsonValue, ctx: TemplateContext): JsonValue {
  if (typeof document === 'string') return renderString(document, ctx, '');
  if (Array.isArray(document)) return document.map((v) => renderValue(v, ctx));
  if (document !== null && typeof document === 'object') {
    const out: Record<string, JsonValue> = {};
    for (const [k, v] of Object.entries(document)) out[k] = renderValue(v, ctx);
    return out;
  }
  return document;
}

function renderAt(document: JsonValue, ctx: TemplateContext, pointer: string): JsonValue {
  if (typeof document === 'string') return renderString(document, ctx, pointer);
  if (Array.isArray(document)) return document.map((v, i) => renderAt(v, ctx, joinPointer(pointer, i)));
  if (document !== null && typeof document === 'object') {
    const out: Record<string, JsonValue> = {};
    for (const [k, v] of Object.entries(document)) out[k] = renderAt(v, ctx, joinPointer(pointer, k));
    return out;
  }
  return document;
}
