/**
 * The states of an entry's versions, kept in Git beside the entry (layout's catalogStatesFile):
 * `deprecated` versions still run and upgrade but new requests do not pick them; `yanked` ones
 * are refused for new requests and upgrades, while running instances keep running. Pure.
 *
 *   apiVersion: envcat.io/v1alpha1
 *   kind: CatalogVersionStates
 *   metadata: { name: rds-postgres }
 *   versions:
 *     1.0.0: { deprecated: true }
 *     1.1.0: { yanked: true }
 */
import semver from 'semver';
import type { Problem } from '../errors/index.js';
import { pointer } from '../names/index.js';
import { parseYamlDocument, toYaml, yamlProblem } from '../yaml/index.js';

export interface VersionState {
  deprecated: boolean;
  yanked: boolean;
}

export const ACTIVE: VersionState = Object.freeze({ deprecated: false, yanked: false });

/** States by version; versions absent are active. */
export type VersionStates = ReadonlyMap<string, VersionState>;

/** The states a file holds, and what in it was not understood (those parts are ignored). */
export function parseVersionStates(args: { name: string; content: string; file: string }): {
  states: Map<string, VersionState>;
  problems: Problem[];
} {
  const { name, content, file } = args;
  const states = new Map<string, VersionState>();
  const problems: Problem[] = [];
  let document;
  try {
    document = parseYamlDocument(content);
  } catch (error) {
    return { states, problems: [yamlProblem(error, file)] };
  }
  const at = (path: string, message: string) => problems.push({ file, path, message });
  if (document === null) return { states, problems };
  if (typeof document !== 'object' || Array.isArray(document)) {
    at('', 'must be a mapping');
    return { states, problems };
  }
  const metadata = document.metadata as { name?: unknown } | undefined;
  if (metadata?.name !== undefined && metadata.name !== name)
    at('/metadata/name', `must be "${name}", the entry the file is beside`);
  const versions = document.versions ?? {};
  if (versions === null || typeof versions !== 'object' || Array.isArray(versions)) {
    at('/versions', 'must be a mapping of version to {deprecated, yanked}');
    return { states, problems };
  }
  for (const [version, value] of Object.entries(versions)) {
    const ptr = pointer('versions', version);
    if (semver.valid(version) !== version) {
      at(ptr, `"${version}" is not a semantic version`);
      continue;
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      at(ptr, 'must be {deprecated?: boolean, yanked?: boolean}');
      continue;
    }
    const state = { deprecated: value.deprecated === true, yanked: value.yanked === true };
    for (const [key, flag] of Object.entries(value))
      if ((key !== 'deprecated' && key !== 'yanked') || typeof flag !== 'boolean')
        at(pointer('versions', version, key), 'only deprecated and yanked, each true or false');
    if (state.deprecated || state.yanked) states.set(version, state);
  }
  return { states, problems };
}

/** The file for these states (active versions left out; keys sorted, as toYaml sorts every map). */
export function formatVersionStates(name: string, states: VersionStates): string {
  const versions: Record<string, Partial<VersionState>> = {};
  for (const version of states.keys()) {
    const state = states.get(version)!;
    if (!state.deprecated && !state.yanked) continue;
    versions[version] = {
      ...(state.deprecated ? { deprecated: true } : {}),
      ...(state.yanked ? { yanked: true } : {}),
    };
  }
  const header =
    `# The deprecated and yanked versions of the catalog entry ${name}: written by\n` +
    `# PATCH /api/v1/catalogs/${name}/versions/<version> (envcat catalog deprecate|yank).\n`;
  return (
    header +
    toYaml({ apiVersion: 'envcat.io/v1alpha1', kind: 'CatalogVersionStates', metadata: { name }, versions })
  );
}

/** A version's state after a PATCH: the fields given replace the current ones. */
export function patchVersionState(current: VersionState, patch: Partial<VersionState>): VersionState {
  return {
    deprecated: patch.deprecated ?? current.deprecated,
    yanked: patch.yanked ?? current.yanked,
  };
}

/** A short notice for a version in this state, or undefined when it is active. */
export function versionNotice(name: string, version: string, state: VersionState): string | undefined {
  if (state.yanked)
    return `${name}@${version} is yanked: new requests and upgrades cannot use it; running instances keep running`;
  if (state.deprecated)
    return `${name}@${version} is deprecated: running instances keep running and may upgrade to it, but new requests get another version unless they name this one exactly`;
  return undefined;
}
