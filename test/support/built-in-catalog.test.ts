/**
 * The built-in catalog of the tests (examples.ts's builtInCatalog): loaded and validated by the
 * first test file of a jest process, rebuilt from a snapshot in the next ones
 * (catalog-snapshot.ts, process-environment.ts), which must give exactly the same entries.
 */
import type { CatalogEntry } from '../../src/core/index.js';
import { catalogSnapshot, entriesFromSnapshot } from './catalog-snapshot.js';
import { BUILT_IN_SNAPSHOT, builtInCatalog, type WorkerCache } from './examples.js';

let entries: CatalogEntry[];

beforeAll(async () => {
  entries = (await builtInCatalog()).entries();
});

it('GIVEN the built-in entries WHEN rebuilt from their snapshot THEN they are strictly equal, Maps and properties set to undefined included', () => {
  // GIVEN entries with what JSON alone would lose (the check below would pass without them)
  expect(entries.some((e) => e.terraform?.variables instanceof Map)).toBe(true);
  expect(entries.some((e) => 'module' in e && e.module === undefined)).toBe(true);

  // WHEN
  const snapshot = catalogSnapshot(entries);

  // THEN
  expect(snapshot).toBeDefined();
  expect(entriesFromSnapshot(snapshot!)).toStrictEqual(entries);
});

it.each([
  ['a negative zero', -0],
  ['an infinite number', Number.POSITIVE_INFINITY],
  ['a Set', new Set(['a'])],
  ['a key that looks like the Map marker', { '\u0000Map': [] }],
])('GIVEN an entry holding %s WHEN a snapshot is made THEN there is none', (_what, value) => {
  const [entry] = entries;
  const odd = { ...entry!, manifests: [{ path: 'manifests/odd.yaml', documents: [{ value } as never] }] };

  expect(catalogSnapshot([odd])).toBeUndefined();
});

it('GIVEN the jest environment WHEN the built-in catalog was loaded THEN its snapshot is in the worker cache for the next test file', () => {
  const workerCache = (globalThis as { workerCache?: WorkerCache }).workerCache;

  expect(workerCache?.get(BUILT_IN_SNAPSHOT)).toBe(catalogSnapshot(entries));
});
