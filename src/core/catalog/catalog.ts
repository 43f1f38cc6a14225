/** A set of published catalog entry versions; a version, once published, never changes. */
import semver from 'semver';
import { ConflictError } from '../errors/index.js';
import type { CatalogEntry } from './types.js';

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

export class Catalog {
  private readonly byName = new Map<string, Map<string, CatalogEntry>>();
  /** Resolutions by reference text; semver range matching dominates validation time otherwise. */
  private readonly resolved = new Map<string, Resolution>();

  constructor(entries: Iterable<CatalogEntry> = []) {
    for (const entry of entries) this.publish(entry);
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
}
