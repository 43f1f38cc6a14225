/**
 * Entry versions of a request's instances. An instance's version is resolved once, when it is
 * created, and written into the committed request as `spec.catalogs[i].version` beside the
 * requested `entry: name@range`; from then on that exact version is what it runs, whatever is
 * published later (README.md, "Pinned versions"). Which newer version it could move to is a
 * separate question, answered here too. Pure.
 */
import semver from 'semver';
import { parseEntryReference, type Catalog } from '../catalog/catalog.js';
import type { CatalogEntry } from '../catalog/types.js';
import { labelSafeVersion } from '../render/labels.js';
import type { AvailableUpdate, InstanceVersion, PinSource } from './types.js';

/** Prereleases count as inside a range like `^1` when their numbers are (a pinned `1.1.0-rc.1`). */
const RANGE_OPTIONS = { includePrerelease: true } as const;

export type InstanceResolution =
  { entry: CatalogEntry; pinnedFrom: PinSource } | { problem: string; field: 'entry' | 'version' };

/**
 * The entry version an instance runs:
 * - `version` given (the request is pinned): exactly that one, which must be published and
 *   inside the requested range;
 * - else, when its files in Git already render a version (`rendered`: the `envcat.io/entry-version`
 *   labels found there, a request from before versions were pinned), the newest of those that is
 *   published and inside the range: what runs stays what runs;
 * - else the newest version the range allows (the latest, without a range).
 * A problem names the field it is about: `entry` or `version`.
 */
export function resolveInstanceVersion(args: {
  catalog: Catalog;
  /** `name` or `name@range`. */
  entry: string;
  version?: string;
  rendered?: readonly string[];
}): InstanceResolution {
  const { catalog, entry, version, rendered = [] } = args;
  const reference = parseEntryReference(entry);
  if ('problem' in reference) return { problem: reference.problem, field: 'entry' };
  const published = catalog.versions(reference.name);
  if (published.length === 0)
    return { problem: `no catalog entry named "${reference.name}"`, field: 'entry' };
  const inRange = (candidate: string) =>
    reference.range === undefined || semver.satisfies(candidate, reference.range, RANGE_OPTIONS);

  if (version !== undefined) {
    const pinned = published.find((e) => e.version === version);
    if (!pinned)
      return {
        problem: `${reference.name}@${version} is not published (published: ${published.map((e) => e.version).join(', ')})`,
        field: 'version',
      };
    if (!inRange(version))
      return {
        problem: `${version} does not satisfy the requested range "${reference.range ?? ''}" of ${entry}`,
        field: 'version',
      };
    return { entry: pinned, pinnedFrom: 'requested' };
  }
  if (rendered.length > 0) {
    // Newest first: of two rendered versions (an update that was under way), the newer one.
    const running = published.find(
      (e) => rendered.includes(labelSafeVersion(e.version)) && inRange(e.version),
    );
    if (running) return { entry: running, pinnedFrom: 'rendered' };
  }
  const resolution = catalog.resolve(entry);
  if ('problem' in resolution) return { problem: resolution.problem, field: 'entry' };
  return { entry: resolution.entry, pinnedFrom: 'resolved' };
}

/**
 * Which newer version an instance could move to: the newest one above `current` that the
 * requested range allows (every version, without a range), and the newest one above both that
 * it does not allow (a new major, say). Prereleases are never offered.
 *
 * `candidates` are the published versions, in any order; `eligible` leaves out the ones not to
 * offer (deprecated or yanked versions, once the catalog knows such states). Default: all.
 */
export function availableUpdate(args: {
  current: string;
  range?: string;
  candidates: readonly string[];
  eligible?: (version: string) => boolean;
}): AvailableUpdate {
  const { current, range, candidates, eligible = () => true } = args;
  if (semver.valid(current) === null) return {};
  const newer = candidates
    .filter((v) => semver.valid(v) !== null && semver.prerelease(v) === null)
    .filter((v) => semver.gt(v, current) && eligible(v))
    .sort(semver.rcompare);
  const allowed = (v: string) => range === undefined || semver.satisfies(v, range, RANGE_OPTIONS);
  const withinRange = newer.find(allowed);
  const outsideRange = newer.find(
    (v) => !allowed(v) && (withinRange === undefined || semver.gt(v, withinRange)),
  );
  return {
    ...(withinRange !== undefined ? { withinRange } : {}),
    ...(outsideRange !== undefined ? { outsideRange } : {}),
  };
}

/** The versions a committed request pins, by instance name; read defensively (it may hold anything). */
export function pinnedVersions(spec: unknown): Map<string, string> {
  const pinned = new Map<string, string>();
  const catalogs = (spec as { catalogs?: unknown } | undefined)?.catalogs;
  if (!Array.isArray(catalogs)) return pinned;
  for (const item of catalogs as unknown[]) {
    const { name, version } = (item ?? {}) as Record<string, unknown>;
    if (typeof name === 'string' && typeof version === 'string' && !pinned.has(name))
      pinned.set(name, version);
  }
  return pinned;
}

/**
 * Each instance of a committed request with the version it is pinned to and the update
 * available, for the API and the portal. Reads the request defensively: an Invalid one may hold
 * anything, and an instance whose entry is not a reference is left out.
 */
export function instanceVersions(args: {
  spec: unknown;
  catalog: Catalog;
  eligible?: (name: string, version: string) => boolean;
}): InstanceVersion[] {
  const catalogs = (args.spec as { catalogs?: unknown } | undefined)?.catalogs;
  if (!Array.isArray(catalogs)) return [];
  const result: InstanceVersion[] = [];
  for (const item of catalogs as unknown[]) {
    const { name, entry, version } = (item ?? {}) as Record<string, unknown>;
    if (typeof name !== 'string' || typeof entry !== 'string') continue;
    const reference = parseEntryReference(entry);
    if ('problem' in reference) continue;
    const pinned = typeof version === 'string' ? version : undefined;
    const update =
      pinned === undefined
        ? {}
        : availableUpdate({
            current: pinned,
            ...(reference.range !== undefined ? { range: reference.range } : {}),
            candidates: args.catalog.versions(reference.name).map((e) => e.version),
            ...(args.eligible ? { eligible: (v: string) => args.eligible!(reference.name, v) } : {}),
          });
    result.push({
      instance: name,
      entry: reference.name,
      ...(reference.range !== undefined ? { range: reference.range } : {}),
      ...(pinned !== undefined ? { version: pinned } : {}),
      ...(Object.keys(update).length > 0 ? { update } : {}),
    });
  }
  return result;
}
