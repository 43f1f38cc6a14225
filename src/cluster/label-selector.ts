/**
 * Kubernetes label and field selectors (the `labelSelector` / `fieldSelector` query parameters),
 * parsed with the grammar of apimachinery's `labels.Parse` and `fields.ParseSelector`. Pure: the
 * simulator uses it to filter, the client to reject a malformed selector before any request.
 */
import { InputError } from '../core/errors/index.js';
import { labelKeyProblem, labelValueProblem } from '../core/names/index.js';

export type LabelOperator = 'exists' | '!exists' | '=' | '!=' | 'in' | 'notin' | 'gt' | 'lt';

export interface LabelRequirement {
  key: string;
  operator: LabelOperator;
  /** Empty for `exists`/`!exists`; one value for `=`, `!=`, `gt`, `lt`. */
  values: string[];
}

export type LabelSelector = readonly LabelRequirement[];

export interface FieldRequirement {
  field: string;
  operator: '=' | '!=';
  value: string;
}

export type FieldSelector = readonly FieldRequirement[];

type Token =
  { kind: 'ident'; text: string } | { kind: '!' | '=' | '==' | '!=' | '(' | ')' | ',' | '>' | '<' };

const SPECIAL = new Set(['!', '=', '(', ')', ',', '<', '>']);

function tokenize(input: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < input.length) {
    const ch = input[i]!;
    if (/\s/.test(ch)) {
      i += 1;
    } else if (ch === '!' && input[i + 1] === '=') {
      tokens.push({ kind: '!=' });
      i += 2;
    } else if (ch === '=' && input[i + 1] === '=') {
      tokens.push({ kind: '==' });
      i += 2;
    } else if (SPECIAL.has(ch)) {
      tokens.push({ kind: ch as '!' | '=' | '(' | ')' | ',' | '<' | '>' });
      i += 1;
    } else {
      let j = i;
      while (j < input.length && !SPECIAL.has(input[j]!) && !/\s/.test(input[j]!)) j += 1;
      tokens.push({ kind: 'ident', text: input.slice(i, j) });
      i = j;
    }
  }
  return tokens;
}

function selectorError(selector: string, message: string): InputError {
  return new InputError([{ path: '', message: `unable to parse requirement: ${message}` }], {
    message: `invalid label selector "${selector}": ${message}`,
  });
}

/** Parses a label selector; the empty string selects everything. Throws InputError when malformed. */
export function parseLabelSelector(selector: string): LabelSelector {
  const tokens = tokenize(selector);
  const requirements: LabelRequirement[] = [];
  let pos = 0;
  const peek = () => tokens[pos];
  const fail = (message: string) => selectorError(selector, message);
  const ident = (what: string): string => {
    const token = tokens[pos];
    if (token?.kind !== 'ident') throw fail(`expected ${what}`);
    pos += 1;
    return token.text;
  };
  const checkKey = (key: string) => {
    const problem = labelKeyProblem(key);
    if (problem) throw fail(`invalid label key "${key}": ${problem}`);
  };
  const checkValue = (value: string) => {
    const problem = labelValueProblem(value);
    if (problem) throw fail(`invalid label value "${value}": ${problem}`);
  };

  while (pos < tokens.length) {
    if (peek()?.kind === '!') {
      pos += 1;
      const key = ident('a label key after "!"');
      checkKey(key);
      requirements.push({ key, operator: '!exists', values: [] });
    } else {
      const key = ident('a label key');
      checkKey(key);
      const op = peek();
      if (op === undefined || op.kind === ',') {
        requirements.push({ key, operator: 'exists', values: [] });
      } else if (op.kind === '=' || op.kind === '==' || op.kind === '!=') {
        pos += 1;
        // `key=` selects the empty value.
        const next = peek();
        const value = next?.kind === 'ident' ? (pos++, next.text) : '';
        checkValue(value);
        requirements.push({ key, operator: op.kind === '!=' ? '!=' : '=', values: [value] });
      } else if (op.kind === '>' || op.kind === '<') {
        pos += 1;
        const value = ident('an integer value');
        if (!/^-?\d+$/.test(value))
          throw fail(`for '${op.kind}' the value must be an integer, got "${value}"`);
        requirements.push({ key, operator: op.kind === '>' ? 'gt' : 'lt', values: [value] });
      } else if (op.kind === 'ident' && (op.text === 'in' || op.text === 'notin')) {
        pos += 1;
        if (peek()?.kind !== '(') throw fail(`expected "(" after "${op.text}"`);
        pos += 1;
        if (peek()?.kind === ')') throw fail(`for '${op.text}' the set of values must not be empty`);
        const values: string[] = [];
        for (;;) {
          const token = peek();
          // an empty element, as in `(a,)`, is the empty value
          const value = token?.kind === 'ident' ? (pos++, token.text) : '';
          checkValue(value);
          values.push(value);
          const separator = tokens[pos++];
          if (separator?.kind === ')') break;
          if (separator?.kind !== ',') throw fail(`expected "," or ")" in the value list for "${key}"`);
        }
        requirements.push({ key, operator: op.text, values: [...new Set(values)].sort() });
      } else {
        throw fail(`unexpected "${op.kind === 'ident' ? op.text : op.kind}" after "${key}"`);
      }
    }
    if (pos < tokens.length) {
      if (peek()?.kind !== ',') throw fail('expected "," between requirements');
      pos += 1;
      if (pos === tokens.length) throw fail('trailing ","');
    }
  }
  return requirements;
}

export function matchesLabels(
  selector: LabelSelector,
  labels: Readonly<Record<string, string>> | undefined,
): boolean {
  return selector.every((requirement) => matchesRequirement(requirement, labels ?? {}));
}

function matchesRequirement(req: LabelRequirement, labels: Readonly<Record<string, string>>): boolean {
  const has = Object.prototype.hasOwnProperty.call(labels, req.key);
  const value = has ? labels[req.key]! : undefined;
  switch (req.operator) {
    case 'exists':
      return has;
    case '!exists':
      return !has;
    case '=':
    case 'in':
      return has && req.values.includes(value!);
    case '!=':
    case 'notin':
      return !has || !req.values.includes(value!);
    case 'gt':
    case 'lt': {
      if (!has || !/^-?\d+$/.test(value!)) return false;
      const actual = Number(value);
      const bound = Number(req.values[0]);
      return req.operator === 'gt' ? actual > bound : actual < bound;
    }
  }
}

/** The field selector keys every kind supports, as on a real API server. */
export const COMMON_SELECTABLE_FIELDS: readonly string[] = ['metadata.name', 'metadata.namespace'];

/** Parses `a=b,c!=d` (`==` too). Throws InputError for bad syntax or a field outside `supported`. */
export function parseFieldSelector(
  selector: string,
  supported: readonly string[] = COMMON_SELECTABLE_FIELDS,
): FieldSelector {
  const requirements: FieldRequirement[] = [];
  if (selector.trim() === '') return requirements;
  for (const term of selector.split(',')) {
    const match = /^\s*([^!=\s]+)\s*(==|=|!=)\s*([^\s]*)\s*$/.exec(term);
    if (!match) {
      throw new InputError([
        { path: '', message: `invalid selector: '${selector}'; can't understand '${term}'` },
      ]);
    }
    const [, field, op, value] = match as unknown as [string, string, string, string];
    if (!supported.includes(field)) {
      throw new InputError([{ path: '', message: `field label not supported: ${field}` }]);
    }
    requirements.push({ field, operator: op === '!=' ? '!=' : '=', value });
  }
  return requirements;
}

export function matchesFields(
  selector: FieldSelector,
  fields: (field: string) => string | undefined,
): boolean {
  return selector.every((req) => {
    const actual = fields(req.field) ?? '';
    return req.operator === '=' ? actual === req.value : actual !== req.value;
  });
}
