/** Catalog browser: search and filters over the entry summaries. */
import type { CatalogSummary, EntryType } from '../../api/contract.js';

export interface CatalogFilter {
  /** Words that must all appear in the name, title, description, owner or tags. */
  query: string;
  type: EntryType | '';
  tag: string;
}

export const NO_FILTER: CatalogFilter = { query: '', type: '', tag: '' };

function haystack(entry: CatalogSummary): string {
  return [entry.name, entry.title, entry.description, entry.owner, ...entry.tags].join('\n').toLowerCase();
}

/** The entries that pass the filter, by title. */
export function filterCatalog(items: readonly CatalogSummary[], filter: CatalogFilter): CatalogSummary[] {
  const words = filter.query.toLowerCase().split(/\s+/).filter(Boolean);
  return items
    .filter((e) => filter.type === '' || e.type === filter.type)
    .filter((e) => filter.tag === '' || e.tags.includes(filter.tag))
    .filter((e) => {
      const text = haystack(e);
      return words.every((w) => text.includes(w));
    })
    .sort((a, b) => a.title.localeCompare(b.title) || a.name.localeCompare(b.name));
}

/** Every tag in use, sorted, each once. */
export function catalogTags(items: readonly CatalogSummary[]): string[] {
  return [...new Set(items.flatMap((e) => e.tags))].sort((a, b) => a.localeCompare(b));
}
