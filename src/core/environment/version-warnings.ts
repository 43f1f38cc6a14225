/**
 * The instances of a committed request that run a deprecated or yanked entry version: they keep
 * running, and the environment says so. The version is the pinned one (`version`) when the request
 * has it, else the one its entry resolves to among every published version, as the engine resolves
 * a running environment. Pure.
 */
import type { Catalog } from '../catalog/catalog.js';
import { versionNotice } from '../catalog/version-states.js';
import type { Problem } from '../errors/index.js';

export function versionWarnings(document: unknown, catalog: Catalog): Problem[] {
  const catalogs = (document as { spec?: { catalogs?: unknown } } | undefined)?.spec?.catalogs;
  if (!Array.isArray(catalogs)) return [];
  const warnings: Problem[] = [];
  catalogs.forEach((item: { entry?: unknown; version?: unknown } | null, index) => {
    if (typeof item?.entry !== 'string') return;
    const resolution = catalog.for('all').resolve(item.entry);
    if (!('entry' in resolution)) return;
    const { name } = resolution.entry;
    const pinned = typeof item.version === 'string';
    const version = pinned ? (item.version as string) : resolution.entry.version;
    const notice = versionNotice(name, version, catalog.state(name, version));
    if (notice)
      warnings.push({ path: `/spec/catalogs/${index}/${pinned ? 'version' : 'entry'}`, message: notice });
  });
  return warnings;
}
