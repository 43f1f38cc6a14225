/**
 * Catalog entries as a string and back, for test/support/process-environment.ts's `workerCache`: JSON,
 * with the Maps (a Terraform module's variables and outputs) and the properties set to undefined
 * kept. A snapshot is made only when it rebuilds entries deeply and strictly equal to the ones it
 * was made from; anything JSON would change (a -0, a key that looks like a marker) means none.
 */
import { isDeepStrictEqual } from 'node:util';
import type { CatalogEntry } from '../../src/core/index.js';

const MAP = '\u0000Map';
const UNDEFINED = '\u0000undefined';

export function catalogSnapshot(entries: readonly CatalogEntry[]): string | undefined {
  const text = JSON.stringify(entries, (_key, value: unknown) =>
    value instanceof Map ? { [MAP]: [...value] } : value === undefined ? UNDEFINED : value,
  );
  return isDeepStrictEqual(entriesFromSnapshot(text), entries) ? text : undefined;
}

export function entriesFromSnapshot(snapshot: string): CatalogEntry[] {
  return JSON.parse(snapshot, (_key, value: unknown) => {
    if (value === null || typeof value !== 'object') return value;
    // Children are revived first: their UNDEFINED markers become properties set to undefined here.
    const record = value as Record<string, unknown>;
    for (const key of Object.keys(record)) if (record[key] === UNDEFINED) record[key] = undefined;
    const keys = Object.keys(record);
    return keys.length === 1 && keys[0] === MAP ? new Map(record[MAP] as Array<[unknown, unknown]>) : value;
  }) as CatalogEntry[];
}
