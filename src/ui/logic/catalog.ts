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

/** `1.2.3` or `1.2.3-rc.1` as numbers and pre-release identifiers; undefined for anything else. */
function parseVersion(version: string): { core: number[]; pre: string[] } | undefined {
  const match = /^v?(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$/.exec(version);
  if (!match) return undefined;
  return { core: [1, 2, 3].map((i) => Number(match[i])), pre: match[4] ? match[4].split('.') : [] };
}

/** Semver precedence (semver.org §11): negative when `a` comes before `b`. */
export function compareVersions(a: string, b: string): number {
  const x = parseVersion(a);
  const y = parseVersion(b);
  if (!x || !y) return x ? 1 : y ? -1 : a.localeCompare(b);
  for (let i = 0; i < 3; i++) if (x.core[i] !== y.core[i]) return x.core[i]! - y.core[i]!;
  // A pre-release comes before its release.
  if (x.pre.length === 0 || y.pre.length === 0) return y.pre.length - x.pre.length;
  for (let i = 0; i < Math.min(x.pre.length, y.pre.length); i++) {
    const [p, q] = [x.pre[i]!, y.pre[i]!];
    if (p === q) continue;
    const [pn, qn] = [/^\d+$/.test(p), /^\d+$/.test(q)];
    if (pn && qn) return Number(p) - Number(q);
    if (pn !== qn) return pn ? -1 : 1;
    return p < q ? -1 : 1;
  }
  return x.pre.length - y.pre.length;
}

/** Every version of an entry, newest first, whatever order they came in. */
export function newestFirst<T extends { version: string }>(versions: readonly T[]): T[] {
  return [...versions].sort((a, b) => compareVersions(b.version, a.version));
}
