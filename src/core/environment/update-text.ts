/**
 * The words for an instance's pinned version and the update available, as the CLI and the
 * portal both show them. Browser-safe: no imports but types.
 */
import type { InstanceVersion } from './types.js';

/**
 * `1.2.0 (within ^1), 2.0.0 (outside ^1)`: each newer version available and which it is (inside the
 * requested range: an upgrade takes it; outside it: the request's range must change too), or
 * undefined when the instance runs the newest.
 */
export function describeUpdate(version: InstanceVersion): string | undefined {
  const { update, range } = version;
  const offers: string[] = [];
  if (update?.withinRange !== undefined)
    offers.push(`${update.withinRange} (${range === undefined ? 'newest' : `within ${range}`})`);
  if (update?.outsideRange !== undefined) offers.push(`${update.outsideRange} (outside ${range ?? ''})`);
  return offers.length > 0 ? offers.join(', ') : undefined;
}

/** `app: sample-app@1.0.0, requested sample-app@^1; update available: 1.2.0 (within ^1)` */
export function describeInstanceVersion(version: InstanceVersion): string {
  const requested = version.range === undefined ? '' : `, requested ${version.entry}@${version.range}`;
  const pinned =
    version.version === undefined
      ? `${version.entry} (not pinned yet)`
      : `${version.entry}@${version.version}`;
  const update = describeUpdate(version);
  return `${version.instance}: ${pinned}${requested}${update ? `; update available: ${update}` : ''}`;
}
