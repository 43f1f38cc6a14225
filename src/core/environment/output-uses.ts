/**
 * Which outputs of an entry running environments take (`{fromOutput: <instance>.<output>}`), read
 * from their requests as committed: a publish names them when a new version removes one. Pure.
 */
import type { OutputUse } from '../catalog/breaking-changes.js';
import { parseEntryReference } from '../catalog/catalog.js';
import { asOutputReference } from './schema.js';

export function outputUses(args: {
  entry: string;
  environments: Iterable<{ name: string; document: unknown }>;
}): OutputUse[] {
  const uses: OutputUse[] = [];
  for (const { name, document } of args.environments) {
    const catalogs = (document as { spec?: { catalogs?: unknown } } | undefined)?.spec?.catalogs;
    if (!Array.isArray(catalogs)) continue;
    const ofEntry = new Set<string>();
    for (const item of catalogs as Array<{ name?: unknown; entry?: unknown }>) {
      if (typeof item?.name !== 'string' || typeof item.entry !== 'string') continue;
      const reference = parseEntryReference(item.entry);
      if ('name' in reference && reference.name === args.entry) ofEntry.add(item.name);
    }
    if (ofEntry.size === 0) continue;
    for (const item of catalogs as Array<{ parameters?: unknown }>) {
      const parameters = item?.parameters;
      if (parameters === null || typeof parameters !== 'object' || Array.isArray(parameters)) continue;
      for (const value of Object.values(parameters)) {
        const reference = asOutputReference(value);
        if (!reference) continue;
        const dot = reference.indexOf('.');
        const instance = reference.slice(0, dot);
        if (dot > 0 && ofEntry.has(instance))
          uses.push({ environment: name, instance, output: reference.slice(dot + 1) });
      }
    }
  }
  return uses;
}
