/**
 * An upgrade moves instances of a running request to another version of their entry, as
 * `helm upgrade --version` moves a release: the parameters carry over as they are in the request
 * (defaults are applied when it is validated, never written into it, so a new version's defaults
 * apply by themselves), and the request is checked against the target version, so a parameter the
 * target removed or no longer accepts is an error at its pointer.
 *
 * Which version:
 * - without `to`, the newest version the requested range allows that a new request could get
 *   (neither deprecated nor yanked, no prerelease) and that is newer than the pinned one;
 * - with `to`, exactly that version, older ones included (a rollback), deprecated ones included
 *   (they still run and upgrade), yanked ones refused. A `to` outside the requested range rewrites
 *   the range the way `npm install name@<version>` writes package.json: `name@^<version>`, so
 *   later upgrades stay within that major; a request that asked for one exact version gets the
 *   new exact version.
 * Pure: the caller reads the request and commits the result.
 */
import semver from 'semver';
import { isRecord } from '../json/index.js';
import { parseEntryReference, type Catalog } from '../catalog/catalog.js';
import type { JsonValue } from '../catalog/types.js';
import type { Problem } from '../errors/index.js';
import { availableUpdate } from './versions.js';
import { checkEnvironment } from './validate.js';
import type { InstanceUpgrade } from './types.js';

/** Prereleases count as inside a range like `^1` when their numbers are, as for pinned versions. */
const RANGE_OPTIONS = { includePrerelease: true } as const;

export type UpgradePlan =
  { document: Record<string, JsonValue>; upgrades: InstanceUpgrade[] } | { problems: Problem[] };

export interface UpgradeRequest {
  /** The instance to move; all of them when left out (each to its newest version). */
  instance?: string;
  /** The exact version to move to. */
  to?: string;
}

export function planUpgrade(args: UpgradeRequest & { document: unknown; catalog: Catalog }): UpgradePlan {
  const { catalog, instance, to } = args;
  if (
    !isRecord(args.document) ||
    !isRecord(args.document.spec) ||
    !Array.isArray(args.document.spec.catalogs)
  )
    return { problems: [{ path: '', message: 'the committed request has no spec.catalogs: fix it in Git' }] };
  const document = structuredClone(args.document) as Record<string, JsonValue>;
  const name = isRecord(document.metadata) ? String(document.metadata.name) : '';
  const instances = ((document.spec as Record<string, JsonValue>).catalogs as JsonValue[]).flatMap(
    (item, index) =>
      isRecord(item) && typeof item.name === 'string' && typeof item.entry === 'string'
        ? [{ index, request: item as Record<string, JsonValue>, name: item.name, entry: item.entry }]
        : [],
  );
  const names = instances.map((i) => i.name).join(', ') || 'none';

  if (to !== undefined && semver.valid(to) === null)
    return { problems: [{ path: '/to', message: `"${to}" is not a version such as 1.2.0` }] };
  let targets = instances;
  if (instance !== undefined) {
    targets = instances.filter((i) => i.name === instance);
    if (targets.length === 0)
      return {
        problems: [
          { path: '/instance', message: `no instance named "${instance}" in ${name} (instances: ${names})` },
        ],
      };
  } else if (to !== undefined && instances.length !== 1)
    return {
      problems: [
        {
          path: '/instance',
          message: `name the instance to move to ${to}: ${name} has ${instances.length} (${names})`,
        },
      ],
    };

  const problems: Problem[] = [];
  const upgrades: InstanceUpgrade[] = [];
  for (const target of targets) {
    const base = `/spec/catalogs/${target.index}`;
    const reference = parseEntryReference(target.entry);
    if ('problem' in reference) {
      problems.push({ path: `${base}/entry`, message: reference.problem });
      continue;
    }
    const from = target.request.version;
    if (typeof from !== 'string') {
      problems.push({
        path: `${base}/version`,
        message: `${target.name} is not pinned to a version yet: wait until the engine has pinned it`,
      });
      continue;
    }
    const published = catalog.versions(reference.name);
    let version: string | undefined;
    if (to !== undefined) {
      const exact = published.find((e) => semver.eq(e.version, to));
      if (!exact) {
        problems.push({
          path: '/to',
          message: `${reference.name} has no version ${to} (published: ${published.map((e) => e.version).join(', ') || 'none'})`,
        });
        continue;
      }
      if (catalog.state(reference.name, exact.version).yanked) {
        problems.push({
          path: '/to',
          message: `${reference.name}@${exact.version} is yanked: choose another version`,
        });
        continue;
      }
      version = exact.version;
    } else {
      version = availableUpdate({
        current: from,
        ...(reference.range !== undefined ? { range: reference.range } : {}),
        candidates: published.map((e) => e.version),
        eligible: (v) => {
          const state = catalog.state(reference.name, v);
          return !state.deprecated && !state.yanked;
        },
      }).withinRange;
    }
    if (version === undefined || version === from) continue;

    const upgrade: InstanceUpgrade = {
      instance: target.name,
      index: target.index,
      entry: reference.name,
      from,
      to: version,
    };
    if (reference.range !== undefined && !semver.satisfies(version, reference.range, RANGE_OPTIONS)) {
      const exactRange = semver.valid(reference.range.replace(/^=/, '')) !== null;
      const rewritten = `${reference.name}@${exactRange ? version : `^${version}`}`;
      upgrade.reference = { from: target.entry, to: rewritten };
      target.request.entry = rewritten;
    }
    target.request.version = version;
    upgrades.push(upgrade);
  }
  if (problems.length > 0) return { problems };
  if (upgrades.length === 0) return { document, upgrades };

  // The carried parameters against the target versions (the same check as any request's).
  const check = checkEnvironment(document, catalog);
  if (!check.environment) return { problems: check.problems.map((p) => explain(p, upgrades, document)) };
  return { document, upgrades };
}

/** A problem in an upgraded instance's parameters, said in terms of the upgrade. */
function explain(
  problem: Problem,
  upgrades: readonly InstanceUpgrade[],
  document: Record<string, JsonValue>,
): Problem {
  const match = /^\/spec\/catalogs\/(\d+)\/parameters(?:\/([^/]+))?/.exec(problem.path);
  const upgrade = match ? upgrades.find((u) => u.index === Number(match[1])) : undefined;
  if (!match || !upgrade) return problem;
  const parameter = match[2]?.replace(/~1/g, '/').replace(/~0/g, '~');
  const given = (document.spec as { catalogs: Array<{ parameters?: Record<string, JsonValue> }> }).catalogs[
    upgrade.index
  ]?.parameters;
  const removed =
    parameter !== undefined &&
    problem.path === `/spec/catalogs/${upgrade.index}/parameters/${match[2]}` &&
    given?.[parameter] !== undefined &&
    /is not a (known property|parameter of)/.test(problem.message);
  return {
    ...problem,
    message: removed
      ? `is not a parameter of ${upgrade.entry}@${upgrade.to} (${upgrade.from} had it): remove it from the request (envcat env apply) before moving to ${upgrade.to}, or choose another version`
      : `${problem.message} (in ${upgrade.entry}@${upgrade.to}; the request was written for ${upgrade.from})`,
  };
}

/** `db rds-postgres 1.0.0 → 1.1.0, app sample-app 1.0.0 → 1.1.0`: for commit messages and the CLI. */
export function describeUpgrades(upgrades: readonly InstanceUpgrade[]): string {
  return upgrades.map((u) => `${u.instance} ${u.entry} ${u.from} → ${u.to}`).join(', ');
}

/** `roll back` when every instance moves to an older version, else `upgrade`. */
export function upgradeVerb(upgrades: readonly InstanceUpgrade[]): 'upgrade' | 'roll back' {
  return upgrades.length > 0 && upgrades.every((u) => semver.lt(u.to, u.from)) ? 'roll back' : 'upgrade';
}
