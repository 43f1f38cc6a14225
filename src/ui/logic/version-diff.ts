/**
 * What changed between two versions of a catalog entry, computed in the browser: from
 * `GET /api/v1/catalogs/{name}`, each version as stable, pretty JSON (parameters, outputs, secrets,
 * module, chart) and a line diff of the two; from `GET …/versions/{version}/files`, the files the
 * two do not share (by sha256), each with a unified diff of its content (jsdiff).
 */
import { createTwoFilesPatch, FILE_HEADERS_ONLY } from 'diff';
import type { CatalogVersion, EntryFileList, JsonValue } from '../../api/contract.js';

/** Objects with their keys sorted, so that the same schema prints the same way. */
function sorted(value: unknown): JsonValue {
  if (Array.isArray(value)) return value.map(sorted);
  if (typeof value === 'object' && value !== null)
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, sorted((value as Record<string, unknown>)[k])]),
    );
  return value as JsonValue;
}

export function versionText(version: CatalogVersion): string {
  const shown = {
    type: version.type,
    parameters: version.parameters,
    secretParameters: [...version.secretParameters].sort(),
    outputs: version.outputs,
    ...(version.module === undefined ? {} : { module: version.module }),
    ...(version.helm === undefined ? {} : { helm: version.helm }),
  };
  return JSON.stringify(sorted(shown), null, 2);
}

/**
 * A unified diff of two texts, whole (one hunk, every line with its context): `-` for a line only
 * in `from`, `+` for one only in `to`. Empty when they are the same.
 */
export function lineDiff(args: { from: string; to: string; fromLabel: string; toLabel: string }): string {
  const a = args.from.split('\n');
  const b = args.to.split('\n');
  if (args.from === args.to) return '';
  // Longest common subsequence, by dynamic programming from the end (entries are small).
  const lcs: number[][] = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
  for (let i = a.length - 1; i >= 0; i--)
    for (let j = b.length - 1; j >= 0; j--)
      lcs[i]![j] = a[i] === b[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
  const lines = [`--- ${args.fromLabel}`, `+++ ${args.toLabel}`, `@@ -1,${a.length} +1,${b.length} @@`];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) {
      lines.push(` ${a[i]}`);
      i++;
      j++;
    } else if (i < a.length && (j === b.length || lcs[i + 1]![j]! >= lcs[i]![j + 1]!)) {
      // Removals before additions, as git prints them.
      lines.push(`-${a[i]}`);
      i++;
    } else {
      lines.push(`+${b[j]}`);
      j++;
    }
  }
  return `${lines.join('\n')}\n`;
}

export interface VersionDiff {
  /** The unified diff of the two versions' schemas and outputs; '' when they are the same. */
  schema: string;
}

export function versionDiff(from: CatalogVersion, to: CatalogVersion): VersionDiff {
  return {
    schema: lineDiff({
      from: versionText(from),
      to: versionText(to),
      fromLabel: from.version,
      toLabel: to.version,
    }),
  };
}

export interface EntryFileChange {
  path: string;
  change: 'added' | 'removed' | 'changed';
}

/** The files two versions do not share, by path: added, removed, or with another content (sha256). */
export function fileChanges(from: EntryFileList, to: EntryFileList): EntryFileChange[] {
  const before = new Map(from.items.map((f) => [f.path, f.sha256]));
  const after = new Map(to.items.map((f) => [f.path, f.sha256]));
  const changes: EntryFileChange[] = [];
  for (const path of [...new Set([...before.keys(), ...after.keys()])].sort()) {
    const a = before.get(path);
    const b = after.get(path);
    if (a === undefined) changes.push({ path, change: 'added' });
    else if (b === undefined) changes.push({ path, change: 'removed' });
    else if (a !== b) changes.push({ path, change: 'changed' });
  }
  return changes;
}

/**
 * A unified diff of one file between two versions, three lines of context, its sides named
 * `<version>/<path>`; an added or removed file is diffed against nothing.
 */
export function fileDiff(args: {
  path: string;
  from: string | undefined;
  to: string | undefined;
  fromLabel: string;
  toLabel: string;
}): string {
  const { path } = args;
  return createTwoFilesPatch(
    args.from === undefined ? '/dev/null' : `${args.fromLabel}/${path}`,
    args.to === undefined ? '/dev/null' : `${args.toLabel}/${path}`,
    args.from ?? '',
    args.to ?? '',
    undefined,
    undefined,
    { context: 3, headerOptions: FILE_HEADERS_ONLY },
  );
}
