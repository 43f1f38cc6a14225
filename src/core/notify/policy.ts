/**
 * Where a notification may go: an https URL, or any http(s) URL whose host is on the allow-list
 * (`ENVCAT_NOTIFY_ALLOW`); never an internal address (loopback, link-local, private, unspecified)
 * unless its host is allow-listed. The URL's host is checked when a request is validated, and the
 * address it resolves to again when a notification is sent (a name may point anywhere).
 * Pure: no DNS here; the sender resolves the name and asks `internalAddress` about the result.
 */

/** Host patterns: `hooks.example.com` (that host), `*.example.com` (its subdomains), an IP literal. */
export function parseNotifyAllow(text: string | undefined): { patterns: string[]; invalid: string[] } {
  const patterns: string[] = [];
  const invalid: string[] = [];
  for (const raw of (text ?? '').split(',')) {
    const item = raw.trim().toLowerCase();
    if (!item) continue;
    const host = item.startsWith('*.') ? item.slice(2) : item;
    if (/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(host) || parseIpv6(stripBrackets(host)) !== undefined)
      patterns.push(item.startsWith('*.') ? item : stripBrackets(item));
    else invalid.push(raw.trim());
  }
  return { patterns, invalid };
}

/** The host (lower case, IPv6 without brackets) matches one of the patterns. */
export function hostAllowed(host: string, patterns: readonly string[]): boolean {
  const name = stripBrackets(host.toLowerCase()).replace(/\.$/, '');
  return patterns.some((p) => (p.startsWith('*.') ? name.endsWith(p.slice(1)) : name === p));
}

/** Why this is no webhook URL at all (whatever the allow-list says), or undefined. */
export function notifyUrlShapeProblem(text: string): string | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return 'must be an absolute URL such as https://hooks.example.com/envcat';
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'must be an https URL';
  if (url.username || url.password) return 'must not hold credentials';
  return undefined;
}

/** Why a notification may not go to this URL, or undefined when it may. */
export function notifyUrlProblem(text: string, allow: readonly string[]): string | undefined {
  const shape = notifyUrlShapeProblem(text);
  if (shape) return shape;
  const url = new URL(text);
  const allowed = hostAllowed(url.hostname, allow);
  if (!allowed && internalHost(url.hostname))
    return `must not be an internal address (${url.hostname}) unless its host is on ENVCAT_NOTIFY_ALLOW`;
  if (url.protocol === 'http:' && !allowed)
    return 'must be an https URL (or its host on ENVCAT_NOTIFY_ALLOW)';
  return undefined;
}

/** A host name that means this machine, or an IP literal that is internal. */
export function internalHost(host: string): boolean {
  const name = stripBrackets(host.toLowerCase()).replace(/\.$/, '');
  if (name === 'localhost' || name.endsWith('.localhost')) return true;
  return internalAddress(name);
}

/**
 * An IP address that is loopback, link-local, private (RFC 1918, RFC 6598 shared, IPv6 unique
 * local), unspecified or multicast, in either family (an IPv4-mapped IPv6 address as its IPv4).
 * Not an IP address: false.
 */
export function internalAddress(address: string): boolean {
  const v4 = parseIpv4(address);
  if (v4) return internalIpv4(v4);
  const v6 = parseIpv6(address);
  if (!v6) return false;
  const mapped = v6.slice(0, 5).every((g) => g === 0) && v6[5] === 0xffff;
  if (mapped) return internalIpv4([v6[6]! >> 8, v6[6]! & 255, v6[7]! >> 8, v6[7]! & 255]);
  if (v6.every((g) => g === 0)) return true; // ::
  if (v6.slice(0, 7).every((g) => g === 0) && v6[7] === 1) return true; // ::1
  const first = v6[0]!;
  return (
    (first & 0xffc0) === 0xfe80 || // link-local fe80::/10
    (first & 0xfe00) === 0xfc00 || // unique local fc00::/7
    (first & 0xff00) === 0xff00 // multicast
  );
}

function internalIpv4([a, b]: number[]): boolean {
  return (
    a === 0 ||
    a === 10 ||
    a === 127 ||
    (a === 100 && b! >= 64 && b! < 128) ||
    (a === 169 && b === 254) ||
    (a === 172 && b! >= 16 && b! < 32) ||
    (a === 192 && b === 168) ||
    a! >= 224
  );
}

function stripBrackets(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

/** Dotted decimal only (what URL and DNS give back: `new URL` already normalizes 0x7f.1 and friends). */
export function parseIpv4(text: string): number[] | undefined {
  const parts = text.split('.');
  if (parts.length !== 4 || !parts.every((p) => /^\d{1,3}$/.test(p))) return undefined;
  const bytes = parts.map(Number);
  return bytes.every((b) => b <= 255) ? bytes : undefined;
}

/** Eight 16-bit groups, or undefined; `::` shortening and a dotted IPv4 tail are accepted. */
export function parseIpv6(text: string): number[] | undefined {
  const address = text.split('%')[0]!; // a zone index does not change the address
  if (!address.includes(':')) return undefined;
  let head = address;
  const lastColon = address.lastIndexOf(':');
  if (address.slice(lastColon + 1).includes('.')) {
    const v4 = parseIpv4(address.slice(lastColon + 1));
    if (!v4) return undefined;
    const hex = (hi: number, lo: number) => ((hi << 8) | lo).toString(16);
    head = `${address.slice(0, lastColon + 1)}${hex(v4[0]!, v4[1]!)}:${hex(v4[2]!, v4[3]!)}`;
  }
  const halves = head.split('::');
  if (halves.length > 2) return undefined;
  const groups = (part: string) => (part === '' ? [] : part.split(':'));
  const left = groups(halves[0]!);
  const right = halves.length === 2 ? groups(halves[1]!) : [];
  if (![...left, ...right].every((g) => /^[0-9a-f]{1,4}$/i.test(g))) return undefined;
  const missing = 8 - left.length - right.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  return [
    ...left.map((g) => parseInt(g, 16)),
    ...new Array<number>(halves.length === 2 ? missing : 0).fill(0),
    ...right.map((g) => parseInt(g, 16)),
  ];
}
