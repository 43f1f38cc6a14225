/**
 * `-o json|yaml|wide`, as kubectl has it: json and yaml print the API's object as it came, wide
 * adds columns to the human output. Pure formatting; the commands fetch and print.
 */
import { Option, type Command } from 'commander';
import { stringify } from 'yaml';
import { parseDuration } from '../core/index.js';

export const OUTPUT_FORMATS = ['json', 'yaml', 'wide'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/**
 * `-o, --output <format>`. Commander refuses any other value, and main() turns that into exit 2.
 * Without it the command prints its human output.
 */
export function withOutput(command: Command): Command {
  return command.addOption(
    new Option('-o, --output <format>', 'output format (default: a human summary)').choices(OUTPUT_FORMATS),
  );
}

/** The API's object as JSON or YAML, or undefined for the human formats (the command renders those). */
export function formatObject(format: OutputFormat | undefined, value: unknown): string | undefined {
  if (format === 'json') return `${JSON.stringify(value, null, 2)}\n`;
  if (format === 'yaml') return stringify(value, { aliasDuplicateObjects: false, lineWidth: 0 });
  return undefined;
}

/** Columns padded to their widest cell, two spaces apart, the first row being the header. */
export function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return (
    rows
      .map((r) =>
        r
          .map((cell, i) => cell.padEnd(widths[i] ?? 0))
          .join('  ')
          .trimEnd(),
      )
      .join('\n') + '\n'
  );
}

/** What a wide column shows when there is nothing to show, as kubectl does. */
export const NONE = '<none>';

/**
 * A duration as kubectl shows an AGE: coarser the longer it is (`45s`, `3m20s`, `5h`, `2d3h`, `9d`,
 * `2y`). After HumanDuration in k8s.io/apimachinery/pkg/util/duration/duration.go.
 */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < 0) return '0s';
  if (seconds < 60 * 2) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) {
    const s = seconds % 60;
    return s === 0 ? `${minutes}m` : `${minutes}m${s}s`;
  }
  if (minutes < 60 * 3) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 8) {
    const m = minutes % 60;
    return m === 0 ? `${hours}h` : `${hours}h${m}m`;
  }
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) {
    const h = hours % 24;
    return h === 0 ? `${Math.floor(hours / 24)}d` : `${Math.floor(hours / 24)}d${h}h`;
  }
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24)}d`;
  if (hours < 24 * 365 * 8) {
    const days = Math.floor(hours / 24) % 365;
    return days === 0 ? `${Math.floor(hours / 24 / 365)}y` : `${Math.floor(hours / 24 / 365)}y${days}d`;
  }
  return `${Math.floor(hours / 24 / 365)}y`;
}

/** The AGE column: since `createdAt`, or NONE when the service does not know it yet. */
export function ageColumn(createdAt: string | undefined, now: number): string {
  const created = createdAt === undefined ? NaN : Date.parse(createdAt);
  return Number.isNaN(created) ? NONE : humanDuration(now - created);
}

/** The TTL column: how long until the ttl deletes it, `expired` once past, NONE without a ttl. */
export function ttlLeftColumn(ttl: string | undefined, createdAt: string | undefined, now: number): string {
  if (ttl === undefined) return NONE;
  const seconds = parseDuration(ttl);
  const created = createdAt === undefined ? NaN : Date.parse(createdAt);
  if (seconds === undefined) return ttl;
  if (Number.isNaN(created)) return ttl;
  const left = created + seconds * 1000 - now;
  return left <= 0 ? 'expired' : humanDuration(left);
}

/** `db=rds-postgres@1.0.0,app=sample-app@1.1.0`: each instance and the version it is pinned to. */
export function instancesColumn(
  instances: ReadonlyArray<{ name: string; entry: string; version?: string }>,
): string {
  if (instances.length === 0) return NONE;
  return instances
    .map((i) => {
      const name = entryName(i.entry);
      return `${i.name}=${i.version === undefined ? `${i.entry}(unpinned)` : `${name}@${i.version}`}`;
    })
    .join(',');
}

/** `rds-postgres@^1` → `rds-postgres`. */
export function entryName(entry: string): string {
  const at = entry.indexOf('@');
  return at === -1 ? entry : entry.slice(0, at);
}
