/** Small display helpers: ages and expiry like kubectl prints them, entry type labels. */
import { parseDuration } from '../../core/browser.js';
import type { EntryType } from '../../api/contract.js';

export const ENTRY_TYPE_LABEL: Record<EntryType, string> = { iac: 'IaC', yaml: 'YAML', hybrid: 'Hybrid' };

/** `45s`, `12m`, `3h5m`, `2d4h`, `12d`: a compact duration, as in kubectl's AGE column. */
export function shortDuration(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 24) return m % 60 === 0 || h >= 10 ? `${h}h` : `${h}h${m % 60}m`;
  const d = Math.floor(h / 24);
  return d < 10 && h % 24 !== 0 ? `${d}d${h % 24}h` : `${d}d`;
}

function secondsSince(timestamp: string | undefined, now: number): number | undefined {
  if (!timestamp) return undefined;
  const t = Date.parse(timestamp);
  return Number.isNaN(t) ? undefined : (now - t) / 1000;
}

/** The age of something created at `createdAt`, or undefined when that is unknown. */
export function age(createdAt: string | undefined, now: number): string | undefined {
  const seconds = secondsSince(createdAt, now);
  return seconds === undefined ? undefined : shortDuration(seconds);
}

/** `expires in 3h5m` / `expired`, from the creation time and the ttl; undefined without both. */
export function expiry(args: { createdAt?: string; ttl?: string; now: number }): string | undefined {
  const seconds = secondsSince(args.createdAt, args.now);
  const ttl = args.ttl ? parseDuration(args.ttl) : undefined;
  if (seconds === undefined || ttl === undefined) return undefined;
  const left = ttl - seconds;
  return left <= 0 ? 'expired' : `expires in ${shortDuration(left)}`;
}

/** The first 7 characters of a commit SHA, as Git shows it. */
export function shortSha(sha: string): string {
  return sha.slice(0, 7);
}
