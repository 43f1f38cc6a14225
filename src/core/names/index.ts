/** JSON pointers and Kubernetes names: the small vocabulary every validator shares. */

export function escapePointerToken(token: string | number): string {
  const text = String(token);
  return text.includes('~') || text.includes('/') ? text.replace(/~/g, '~0').replace(/\//g, '~1') : text;
}

export function pointer(...tokens: Array<string | number>): string {
  return tokens.map((t) => `/${escapePointerToken(t)}`).join('');
}

export function joinPointer(base: string, ...tokens: Array<string | number>): string {
  return base + pointer(...tokens);
}

export const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
export const DNS1123_LABEL_MAX = 63;
/** Dot-separated DNS-1123 labels: the name of most kinds of object, and a label key's prefix. */
export const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
export const DNS1123_SUBDOMAIN_MAX = 253;

/** Why `name` is not a DNS-1123 label, or undefined when it is one. */
export function dns1123LabelProblem(name: string, max = DNS1123_LABEL_MAX): string | undefined {
  if (name.length === 0) return 'must not be empty';
  if (name.length > max) return `must be at most ${max} characters (got ${name.length})`;
  if (!DNS1123_LABEL.test(name)) {
    return 'must be a DNS-1123 label: lower-case letters, digits and "-", starting and ending with a letter or digit';
  }
  return undefined;
}

/** Why `name` is not a DNS-1123 subdomain, or undefined when it is one. */
export function dns1123SubdomainProblem(name: string): string | undefined {
  if (name.length === 0) return 'must not be empty';
  if (name.length > DNS1123_SUBDOMAIN_MAX)
    return `must be at most ${DNS1123_SUBDOMAIN_MAX} characters (got ${name.length})`;
  if (!DNS1123_SUBDOMAIN.test(name))
    return 'must be a DNS-1123 subdomain: lower-case letters, digits, "-" and ".", each part starting and ending with a letter or digit';
  return undefined;
}

const QUALIFIED_NAME_PART = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;

/**
 * Why `key` is not a valid label or annotation key (a qualified name, `[prefix/]name`), or
 * undefined; the messages are apimachinery's (IsQualifiedName).
 */
export function labelKeyProblem(key: string): string | undefined {
  const slash = key.lastIndexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (prefix !== undefined) {
    if (prefix.length === 0) return 'prefix part must be non-empty';
    if (prefix.length > DNS1123_SUBDOMAIN_MAX || !DNS1123_SUBDOMAIN.test(prefix))
      return 'prefix part must be a lowercase RFC 1123 subdomain';
  }
  if (name.length === 0) return 'name part must be non-empty';
  if (name.length > 63) return 'name part must be no more than 63 characters';
  if (!QUALIFIED_NAME_PART.test(name))
    return "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
  return undefined;
}

/** Why `value` is not a valid label value, or undefined; the messages are apimachinery's (IsValidLabelValue). */
export function labelValueProblem(value: string): string | undefined {
  if (value.length === 0) return undefined;
  if (value.length > 63) return 'must be no more than 63 characters';
  if (!QUALIFIED_NAME_PART.test(value))
    return "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
  return undefined;
}

// Control characters (C0, DEL, C1) are never acceptable where a string becomes a path or a name.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/**
 * Why a relative path inside a catalog entry is unsafe, or undefined when it stays inside the
 * entry's folder.
 */
export function relativePathProblem(path: string): string | undefined {
  if (CONTROL.test(path)) return 'must not contain control characters';
  if (path.startsWith('/') || /^[a-zA-Z]:/.test(path)) return 'must be relative to the entry folder';
  if (path.includes('\\')) return 'must use "/" as separator';
  const parts = path.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.length === 0) return 'must name a file or folder inside the entry';
  if (parts.some((p) => p === '..')) return 'must not contain ".."';
  return undefined;
}

export function normalizeRelativePath(path: string): string {
  return path
    .split('/')
    .filter((p) => p !== '' && p !== '.')
    .join('/');
}
