/**
 * The two glob dialects Argo CD uses, as regular expressions. Pure.
 * - `pathMatch`: Go's `path.Match`, used by the ApplicationSet git generator for `directories`
 *   (`*` and `?` never cross `/`; `[...]` and `[^...]` classes; `\` escapes).
 * - `globMatch`: gobwas/glob, used for an Application's `directory.include` / `directory.exclude`
 *   (no separator: `*` crosses `/`) and AppProject rules; `{a,b}` alternatives, `[...]` classes.
 */

export class GlobSyntaxError extends Error {}

function escapeRegExp(char: string): string {
  return /[\\^$.*+?()[\]{}|/]/.test(char) ? `\\${char}` : char;
}

interface Dialect {
  /** What `*` and `?` may not match; undefined: anything. */
  separator?: string;
  /** gobwas: `**` crosses the separator (Go's path.Match has no such thing). */
  gobwas: boolean;
}

function translate(pattern: string, dialect: Dialect): string {
  const any = dialect.separator ? `[^${escapeRegExp(dialect.separator)}]` : '[\\s\\S]';
  let out = '';
  let braceDepth = 0;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern.charAt(i);
    switch (c) {
      case '*':
        if (dialect.gobwas && pattern.charAt(i + 1) === '*') {
          out += '[\\s\\S]*';
          i++;
        } else out += `${any}*`;
        break;
      case '?':
        out += any;
        break;
      case '\\': {
        i++;
        if (i >= pattern.length) throw new GlobSyntaxError(`"${pattern}": trailing backslash`);
        out += escapeRegExp(pattern.charAt(i));
        break;
      }
      case '[': {
        const negations = dialect.gobwas ? '!^' : '^';
        const end = classEnd(pattern, i, negations);
        if (end < 0) throw new GlobSyntaxError(`"${pattern}": unterminated character class`);
        let body = pattern.slice(i + 1, end);
        let negate = false;
        if (negations.includes(body.charAt(0)) && body !== '') {
          negate = true;
          body = body.slice(1);
        }
        if (body === '') throw new GlobSyntaxError(`"${pattern}": empty character class`);
        const escaped = body.replace(/\\(.)/g, '$1').replace(/[\\\]^[]/g, (m) => `\\${m}`);
        const sep = dialect.separator && negate ? escapeRegExp(dialect.separator) : '';
        out += negate ? `[^${escaped}${sep}]` : `[${escaped}]`;
        i = end;
        break;
      }
      case '{':
        if (!dialect.gobwas) {
          out += escapeRegExp(c);
          break;
        }
        braceDepth++;
        out += '(?:';
        break;
      case '}':
        if (!dialect.gobwas || braceDepth === 0) {
          if (dialect.gobwas) throw new GlobSyntaxError(`"${pattern}": unmatched "}"`);
          out += escapeRegExp(c);
          break;
        }
        braceDepth--;
        out += ')';
        break;
      case ',':
        out += dialect.gobwas && braceDepth > 0 ? '|' : ',';
        break;
      default:
        out += escapeRegExp(c);
    }
  }
  if (braceDepth > 0) throw new GlobSyntaxError(`"${pattern}": unterminated "{"`);
  return `^${out}$`;
}

function classEnd(pattern: string, start: number, negations: string): number {
  let i = start + 1;
  if (i < pattern.length && negations.includes(pattern.charAt(i))) i++;
  // A "]" right after the opening bracket is a member, not the end.
  if (pattern.charAt(i) === ']') i++;
  for (; i < pattern.length; i++) {
    const c = pattern.charAt(i);
    if (c === '\\') i++;
    else if (c === ']') return i;
  }
  return -1;
}

const cache = new Map<string, RegExp>();

function compile(pattern: string, dialect: Dialect): RegExp {
  const key = `${dialect.separator ?? ''}|${dialect.gobwas}|${pattern}`;
  let re = cache.get(key);
  if (!re) {
    re = new RegExp(translate(pattern, dialect), 'u');
    if (cache.size > 500) cache.clear();
    cache.set(key, re);
  }
  return re;
}

/** Go `path.Match(pattern, name)`; throws GlobSyntaxError for a malformed pattern. */
export function pathMatch(pattern: string, name: string): boolean {
  return compile(pattern, { separator: '/', gobwas: false }).test(name);
}

/**
 * gobwas `glob.Match(pattern, text, separators...)`: without a separator `*` matches anything; with
 * one (`'/'` for repo URLs) it stops there. Throws GlobSyntaxError for a malformed pattern.
 */
export function globMatch(pattern: string, text: string, separator?: string): boolean {
  return compile(pattern, { gobwas: true, ...(separator ? { separator } : {}) }).test(text);
}
