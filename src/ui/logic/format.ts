/** Small display helpers: ages and expiry like kubectl prints them, entry type labels. */
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

/** `45s`, `3m20s`: how long a phase lasted, to the second below an hour; then as shortDuration. */
export function phaseDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60 || s >= 3600) return shortDuration(s);
  return s % 60 === 0 ? `${s / 60}m` : `${Math.floor(s / 60)}m${s % 60}s`;
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

/** Under this much time left, the portal warns that the ttl is about to delete the environment. */
export const EXPIRY_WARNING_SECONDS = 3600;

export interface Countdown {
  /** `expires in 2d4h`; under an hour to the second, `expires in 42m07s`; `expired`. */
  text: string;
  secondsLeft: number;
  /** Less than EXPIRY_WARNING_SECONDS left (or none). */
  warning: boolean;
}

/** The time left before `expiresAt` (the API's `expiresAt`), or undefined when there is none. */
export function countdown(expiresAt: string | undefined, now: number): Countdown | undefined {
  const end = expiresAt ? Date.parse(expiresAt) : Number.NaN;
  if (Number.isNaN(end)) return undefined;
  const left = Math.floor((end - now) / 1000);
  if (left <= 0) return { text: 'expired', secondsLeft: 0, warning: true };
  const text =
    left < EXPIRY_WARNING_SECONDS
      ? `${Math.floor(left / 60)}m${String(left % 60).padStart(2, '0')}s`
      : shortDuration(left);
  return { text: `expires in ${text}`, secondsLeft: left, warning: left < EXPIRY_WARNING_SECONDS };
}

/** The first 7 characters of a commit SHA, as Git shows it. */
export function shortSha(sha: string): string {
  return sha.slice(0, 7);
}
