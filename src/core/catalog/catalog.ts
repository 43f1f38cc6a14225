/** A set of published catalog entry versions; a version, once published, never changes. */
import semver from 'semver';
import { ConflictError } from '../errors/index.js';
import type { CatalogEntry } from './types.js';
import { ACTIVE, type VersionState, type VersionStates } from './version-states.js';

export interface EntryReference {
  name: string;
  /** Semver range; undefined means the latest version. */
  range?: string;
}

const REFERENCE = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?)(?:@(.+))?$/;

/** `rds-postgres@^1` → { name, range }, or a reason it is not a reference. */
export function parseEntryReference(text: string): EntryReference | { problem: string } {
  const m = REFERENCE.exec(text.trim());
  if (!m) return { problem: 'must be <entry name> or <entry name>@<semver range>' };
  const name = m[1] as string;
  const range = m[3];
  if (range === undefined) return { name };
  if (semver.validRange(range) === null) return { problem: `"${range}" is not a semver range` };
  return { name, range };
}

export type Resolution = { entry: CatalogEntry } | { problem: string };

/**
 * Which versions a resolution may pick: `all` (what runs already resolves against), `upgrades`
 * (not yanked), `new` (neither deprecated nor yanked, though a deprecated version named exactly,
 * `name@1.2.3`, still resolves).
 */
export type Audience = 'all' | 'upgrades' | 'new';

export class Catalog {
  private byName = new Map<string, Map<string, CatalogEntry>>();
  private states = new Map<string, VersionStates>();
  private audience: Audience = 'all';
  /** Resolutions by reference text; semver range matching dominates validation time otherwise. */
  private readonly resolved = new Map<string, Resolution>();
  private readonly views = new Map<Audience, Catalog>();

  constructor(
    entries: Iterable<CatalogEntry> = [],
    options: {
      /** Deprecated and yanked versions, by entry name. */
      states?: ReadonlyMap<string, VersionStates>;
    } = {},
  ) {
    for (const entry of entries) this.publish(entry);
    for (const [name, states] of options.states ?? []) this.states.set(name, states);
  }

  /** A version's state; active unless deprecated or yanked. */
  state(name: string, version: string): VersionState {
    return this.states.get(name)?.get(version) ?? ACTIVE;
  }

  /**
   * The same catalog, resolving for an audience: new requests (`new`) or upgrades (`upgrades`)
   * skip the versions they must not pick. Listing is unchanged.
   */
  for(audience: Audience): Catalog {
    if (audience === this.audience) return this;
    let view = this.views.get(audience);
    if (!view) {
      view = new Catalog();
      view.byName = this.byName;
      view.states = this.states;
      view.audience = audience;
      this.views.set(audience, view);
    }
    return view;
  }

  /** Adds a version; the same version again is a no-op if identical, a ConflictError if not. */
  publish(entry: CatalogEntry): 'published' | 'unchanged' {
    let versions = this.byName.get(entry.name);
    if (!versions) {
      versions = new Map();
      this.byName.set(entry.name, versions);
    }
    const existing = versions.get(entry.version);
    if (existing) {
      if (existing.digest === entry.digest) return 'unchanged';
      throw new ConflictError(
        `${entry.name}@${entry.version} is already published with different content; publish a new version`,
        {
          path: '/metadata/version',
        },
      );
    }
    versions.set(entry.version, entry);
    this.resolved.clear();
    this.views.clear();
    return 'published';
  }

  names(): string[] {
    return [...this.byName.keys()].sort();
  }

  /** Versions of an entry, newest first. */
  versions(name: string): CatalogEntry[] {
    const versions = this.byName.get(name);
    if (!versions) return [];
    return [...versions.values()].sort((a, b) => semver.rcompare(a.version, b.version));
  }

  latest(name: string): CatalogEntry | undefined {
    return this.versions(name).find((e) => semver.prerelease(e.version) === null) ?? this.versions(name)[0];
  }

  entries(): CatalogEntry[] {
    return this.names().flatMap((n) => this.versions(n));
  }

  resolve(reference: string): Resolution {
    let resolution = this.resolved.get(reference);
    if (!resolution) {
      resolution = this.resolveUncached(reference);
      if (this.resolved.size > 10_000) this.resolved.clear();
      this.resolved.set(reference, resolution);
    }
    return resolution;
  }

  private resolveUncached(reference: string): Resolution {
    const parsed = parseEntryReference(reference);
    if ('problem' in parsed) return parsed;
    const versions = this.versions(parsed.name);
    if (versions.length === 0) return { problem: `no catalog entry named "${parsed.name}"` };
    if (this.audience !== 'all') return this.resolveFor(parsed, versions);
    if (parsed.range === undefined) return { entry: this.latest(parsed.name) as CatalogEntry };
    const match = semver.maxSatisfying(
      versions.map((v) => v.version),
      parsed.range,
    );
    if (match === null) {
      return {
        problem: `no version of "${parsed.name}" matches "${parsed.range}" (published: ${versions.map((v) => v.version).join(', ')})`,
      };
    }
    return { entry: versions.find((v) => v.version === match) as CatalogEntry };
  }

  /** Resolution that skips what this audience must not pick, saying which versions it skipped. */
  private resolveFor(parsed: EntryReference, versions: CatalogEntry[]): Resolution {
    const { name, range } = parsed;
    const state = (e: CatalogEntry) => this.state(name, e.version);
    const exact = range !== undefined && semver.valid(range) !== null;
    if (exact) {
      const entry = versions.find((v) => semver.eq(v.version, range));
      if (entry && state(entry).yanked)
        return { problem: `${name}@${entry.version} is yanked: choose another version` };
      if (entry) return { entry };
    }
    const skip = (e: CatalogEntry) => state(e).yanked || (this.audience === 'new' && state(e).deprecated);
    const usable = versions.filter((v) => !skip(v));
    const picked =
      range === undefined
        ? (usable.find((e) => semver.prerelease(e.version) === null) ?? usable[0])
        : usable.find(
            (e) =>
              e.version ===
              semver.maxSatisfying(
                usable.map((v) => v.version),
                range,
              ),
          );
    if (picked) return { entry: picked };
    const matching = versions.filter((v) => range === undefined || semver.satisfies(v.version, range));
    const skipped = matching.filter(skip);
    if (skipped.length === 0)
      return {
        problem: `no version of "${name}" matches "${range}" (published: ${versions.map((v) => v.version).join(', ')})`,
      };
    const describe = (e: CatalogEntry) => `${e.version} ${state(e).yanked ? 'yanked' : 'deprecated'}`;
    return {
      problem: `${range === undefined ? `every version of "${name}"` : `every version of "${name}" that matches "${range}"`} is ${this.audience === 'new' ? 'deprecated or yanked' : 'yanked'} (${skipped.map(describe).join(', ')}): name a version, or ask the platform team`,
    };
  }
}
