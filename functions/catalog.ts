/**
 * The catalog the function renders with, built from its input by the same checks `envcat catalog
 * validate` runs (validateEntry). Those checks parse Terraform, so a catalog is built once per
 * distinct input and kept: Crossplane sends the same input on every reconcile until the
 * Composition changes.
 */
import { createHash } from 'node:crypto';
import {
  Catalog,
  ConflictError,
  InputError,
  joinPointer,
  pointer,
  validateEntry,
  type Problem,
} from '../src/core/index.js';
import type { CatalogSourceEntry } from './input.js';

/** Builds a Catalog from the input's entries; every problem points into the input (`/catalog/<i>/...`). */
export async function buildCatalog(entries: readonly CatalogSourceEntry[]): Promise<Catalog> {
  const catalog = new Catalog();
  const problems: Problem[] = [];
  for (const [index, source] of entries.entries()) {
    const base = pointer('catalog', index);
    const check = await validateEntry({ dir: source.source, files: source.files });
    for (const p of check.problems)
      problems.push({ path: base, message: `${p.file ?? source.source}#${p.path}: ${p.message}` });
    if (!check.entry) continue;
    try {
      catalog.publish(check.entry);
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error;
      problems.push({ path: joinPointer(base, 'source'), message: error.message });
    }
  }
  if (problems.length > 0) throw new InputError(problems);
  return catalog;
}

/** Catalogs by the digest of the input entries they were built from (a few, most recent first). */
export class CatalogCache {
  private readonly built = new Map<string, Promise<Catalog>>();

  constructor(private readonly options: { capacity?: number } = {}) {}

  load(entries: readonly CatalogSourceEntry[]): Promise<Catalog> {
    const key = createHash('sha256').update(JSON.stringify(entries)).digest('hex');
    let catalog = this.built.get(key);
    if (catalog) {
      this.built.delete(key);
    } else {
      const building = buildCatalog(entries);
      catalog = building;
      // A failed build is not kept: the next reconcile reports the problems again.
      building.catch(() => {
        if (this.built.get(key) === building) this.built.delete(key);
      });
    }
    this.built.set(key, catalog);
    const capacity = this.options.capacity ?? 4;
    for (const old of this.built.keys()) {
      if (this.built.size <= capacity) break;
      this.built.delete(old);
    }
    return catalog;
  }
}
