/** The built-in catalog entries as the portal receives them from `GET /api/v1/catalogs/{name}`. */
import type { CatalogEntry } from '../../src/core/index.js';
import type { CatalogVersion } from '../../src/api/contract.js';
import { builtInCatalog } from '../support/examples.js';

export function asCatalogVersion(entry: CatalogEntry): CatalogVersion {
  const { spec } = entry.document;
  return {
    version: entry.version,
    digest: entry.digest,
    type: spec.type,
    parameters: spec.parameters,
    outputs: spec.outputs ?? [],
    secretParameters: entry.secretParameters.map((s) => s.name),
  };
}

/** The latest version of a built-in entry. */
export async function builtInVersion(name: string): Promise<CatalogVersion> {
  const entry = (await builtInCatalog()).latest(name);
  if (!entry) throw new Error(`no built-in entry ${name}`);
  return asCatalogVersion(entry);
}
