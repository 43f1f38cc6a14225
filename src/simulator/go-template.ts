/**
 * The part of Go's text/template the simulated ApplicationSet controller understands (`goTemplate:
 * true`): field references such as `{{ .path.path }}`, `{{ .path.basename }}`,
 * `{{ .path.basenameNormalized }}`, and `{{ index .path.segments N }}`, with `{{-`/`-}}` trimming.
 * Anything else (pipelines, functions, conditionals) is rejected with a TemplateSyntaxError, which
 * the controller reports as the ApplicationSet's `ErrorOccurred` condition, as Argo CD reports a
 * template it cannot render. Pure.
 */

export class TemplateSyntaxError extends Error {}

export interface GoTemplateOptions {
  /** `goTemplateOptions: ["missingkey=error"]`: a missing key fails instead of printing `<no value>`. */
  missingKeyError: boolean;
}

export function goTemplateOptions(options: readonly unknown[] | undefined): GoTemplateOptions {
  return { missingKeyError: (options ?? []).includes('missingkey=error') };
}

type Token =
  | { kind: 'field'; path: string[] }
  | { kind: 'int'; value: number }
  | { kind: 'string'; value: string }
  | { kind: 'index' };

const ACTION = /\{\{(-\s)?([\s\S]*?)(\s-)?\}\}/g;

/** Renders one string; throws TemplateSyntaxError when it cannot. */
export function renderGoTemplate(
  template: string,
  params: Readonly<Record<string, unknown>>,
  options: GoTemplateOptions,
): string {
  if (!template.includes('{{')) return template;
  let out = '';
  let last = 0;
  let trimNext = false;
  for (const match of template.matchAll(ACTION)) {
    let text = template.slice(last, match.index);
    if (trimNext) text = text.replace(/^\s+/, '');
    if (match[1]) text = text.replace(/\s+$/, '');
    out += text;
    out += format(evaluate((match[2] ?? '').trim(), params, options, template));
    last = match.index + match[0].length;
    trimNext = match[3] !== undefined;
  }
  let rest = template.slice(last);
  if (trimNext) rest = rest.replace(/^\s+/, '');
  if (rest.includes('{{')) throw new TemplateSyntaxError(`template "${template}": unclosed action`);
  return out + rest;
}

function tokenize(action: string, template: string): Token[] {
  const tokens: Token[] = [];
  const re = /\s*(?:(\.[A-Za-z_][\w]*(?:\.[A-Za-z_][\w]*)*|\.)|(-?\d+)|"((?:[^"\\]|\\.)*)"|(\S+))/gy;
  let m: RegExpExecArray | null;
  while (re.lastIndex < action.length && (m = re.exec(action)) !== null) {
    if (m[1] !== undefined)
      tokens.push({ kind: 'field', path: m[1] === '.' ? [] : m[1].slice(1).split('.') });
    else if (m[2] !== undefined) tokens.push({ kind: 'int', value: Number(m[2]) });
    else if (m[3] !== undefined) tokens.push({ kind: 'string', value: JSON.parse(`"${m[3]}"`) as string });
    else if (m[4] === 'index' && tokens.length === 0) tokens.push({ kind: 'index' });
    else
      throw new TemplateSyntaxError(
        `template "${template}": "${m[4] ?? ''}" is not supported by the simulated ApplicationSet controller (only field references and index)`,
      );
  }
  return tokens;
}

function evaluate(
  action: string,
  params: Readonly<Record<string, unknown>>,
  options: GoTemplateOptions,
  template: string,
): unknown {
  if (action === '') throw new TemplateSyntaxError(`template "${template}": missing value for command`);
  const tokens = tokenize(action, template);
  const head = tokens[0];
  if (head?.kind === 'index') {
    const [target, ...indexes] = tokens.slice(1);
    if (!target || target.kind !== 'field' || indexes.length === 0)
      throw new TemplateSyntaxError(`template "${template}": index needs a field and at least one index`);
    let value = lookup(target.path, params, options, template);
    for (const index of indexes) {
      if (index.kind !== 'int' && index.kind !== 'string')
        throw new TemplateSyntaxError(`template "${template}": only literal indexes are supported`);
      value = indexInto(value, index.value, template);
    }
    return value;
  }
  if (tokens.length !== 1 || head?.kind !== 'field')
    throw new TemplateSyntaxError(
      `template "${template}": "${action}" is not supported by the simulated ApplicationSet controller (only field references and index)`,
    );
  return lookup(head.path, params, options, template);
}

const NO_VALUE = Symbol('no value');

function lookup(
  path: readonly string[],
  params: Readonly<Record<string, unknown>>,
  options: GoTemplateOptions,
  template: string,
): unknown {
  let value: unknown = params;
  for (const key of path) {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw new TemplateSyntaxError(
        `template "${template}": can't evaluate field ${key} in ${describe(value)}`,
      );
    }
    const record = value as Record<string, unknown>;
    if (!Object.prototype.hasOwnProperty.call(record, key)) {
      if (options.missingKeyError)
        throw new TemplateSyntaxError(`template "${template}": map has no entry for key "${key}"`);
      return NO_VALUE;
    }
    value = record[key];
  }
  return value;
}

function indexInto(value: unknown, index: number | string, template: string): unknown {
  if (Array.isArray(value)) {
    if (typeof index !== 'number' || index < 0 || index >= value.length)
      throw new TemplateSyntaxError(
        `template "${template}": error calling index: index out of range: ${index}`,
      );
    return value[index];
  }
  if (value !== null && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    return Object.prototype.hasOwnProperty.call(record, String(index)) ? record[String(index)] : NO_VALUE;
  }
  throw new TemplateSyntaxError(
    `template "${template}": error calling index: cannot index ${describe(value)}`,
  );
}

function describe(value: unknown): string {
  if (value === null || value === undefined) return 'nil';
  if (Array.isArray(value)) return 'slice';
  return typeof value === 'object' ? 'map' : `type ${typeof value}`;
}

/** Go's `%v` for the values parameters hold. */
function format(value: unknown): string {
  if (value === NO_VALUE) return '<no value>';
  if (value === null || value === undefined) return '<nil>';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return `[${value.map(format).join(' ')}]`;
  const record = value as Record<string, unknown>;
  return `map[${Object.keys(record)
    .sort()
    .map((k) => `${k}:${format(record[k])}`)
    .join(' ')}]`;
}

/** Every string in a JSON-like value rendered (map keys stay as they are). */
export function renderTemplateValue(
  value: unknown,
  params: Readonly<Record<string, unknown>>,
  options: GoTemplateOptions,
): unknown {
  if (typeof value === 'string') return renderGoTemplate(value, params, options);
  if (Array.isArray(value)) return value.map((v) => renderTemplateValue(v, params, options));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = renderTemplateValue(v, params, options);
    return out;
  }
  return value;
}
