/**
 * A rollout (`envcat catalog rollout <entry> --to <version>`) is a series of upgrades: which
 * environments it takes, and which of their instances, from the environments as listed. Pure.
 */
import semver from 'semver';
import { parseEntryReference } from '../catalog/catalog.js';

/** An environment as the list shows it, with its labels when the selector needs them. */
export interface RolloutCandidate {
  name: string;
  namespace?: string;
  type?: string;
  owner?: string;
  labels?: Record<string, string>;
  instances: ReadonlyArray<{ name: string; entry: string; version?: string }>;
}

export interface RolloutTarget {
  environment: string;
  /** The instances of the entry that run an older version, with the version each runs. */
  instances: Array<{ instance: string; from: string }>;
}

/** Keys a selector matches against the environment itself; any other key is a label. */
export const SELECTOR_FIELDS = ['name', 'namespace', 'type', 'owner'] as const;

/** `type=pre-release,team=payments` (as `kubectl -l`, equality only) → pairs, or why not. */
export function parseSelector(text: string): { selector: Record<string, string> } | { problem: string } {
  const selector: Record<string, string> = {};
  for (const part of text.split(',').map((p) => p.trim())) {
    const m = /^([A-Za-z0-9./_-]+)==?(.*)$/.exec(part);
    if (!m) return { problem: `"${part}" is not key=value` };
    const [, key, value] = m as unknown as [string, string, string];
    if (key in selector && selector[key] !== value)
      return { problem: `${key} is given twice with different values` };
    selector[key] = value;
  }
  return { selector };
}

/** Whether the selector needs the environments' labels (a key that is not one of SELECTOR_FIELDS). */
export function selectsLabels(selector: Readonly<Record<string, string>>): boolean {
  return Object.keys(selector).some((k) => !(SELECTOR_FIELDS as readonly string[]).includes(k));
}

/**
 * The environments, sorted by name, that the selector matches and that run an instance of `entry`
 * at a version older than `to` (an instance not pinned yet is left out: it gets a version of its
 * own first).
 */
export function rolloutTargets(args: {
  environments: readonly RolloutCandidate[];
  entry: string;
  to: string;
  selector?: Readonly<Record<string, string>>;
}): RolloutTarget[] {
  const { entry, to, selector = {} } = args;
  const matches = (env: RolloutCandidate) =>
    Object.entries(selector).every(([key, value]) =>
      (SELECTOR_FIELDS as readonly string[]).includes(key)
        ? env[key as (typeof SELECTOR_FIELDS)[number]] === value
        : env.labels?.[key] === value,
    );
  const targets: RolloutTarget[] = [];
  for (const env of [...args.environments].sort((a, b) => a.name.localeCompare(b.name))) {
    if (!matches(env)) continue;
    const instances = env.instances.flatMap((i) => {
      const reference = parseEntryReference(i.entry);
      if ('problem' in reference || reference.name !== entry) return [];
      if (i.version === undefined || semver.valid(i.version) === null || !semver.lt(i.version, to)) return [];
      return [{ instance: i.name, from: i.version }];
    });
    if (instances.length > 0) targets.push({ environment: env.name, instances });
  }
  return targets;
}
