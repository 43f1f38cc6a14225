/**
 * The upgrade panel's pure parts: which versions its picker offers (and how each is labelled), and
 * where each of the server's problems with an upgrade is shown (`POST …/upgrade` answers with
 * pointers: `/to`, `/instance`, `/spec/catalogs/<i>/parameters/<p>`).
 */
import type { CatalogVersion, Problem } from '../../api/contract.js';
import { compareVersions, newestFirst } from './catalog.js';
import { pointerTokens } from './server-errors.js';

export type VersionKind = 'current' | 'upgrade' | 'rollback';

export interface VersionChoice {
  version: string;
  kind: VersionKind;
  /** What the picker shows: `1.0.0 (rollback)`, `1.2.0 (yanked)`, `1.1.0 (deprecated)`. */
  label: string;
  /** The version it runs (nothing to move) and yanked ones (the server refuses them) cannot be chosen. */
  disabled: boolean;
}

/** Every version of the entry, newest first, each marked as an upgrade, a rollback or the current one. */
export function versionChoices(
  current: string | undefined,
  versions: readonly CatalogVersion[],
): VersionChoice[] {
  return newestFirst(versions).map((v) => {
    const order = current === undefined ? 1 : compareVersions(v.version, current);
    const kind: VersionKind = order === 0 ? 'current' : order > 0 ? 'upgrade' : 'rollback';
    const notes = [
      ...(kind === 'current' ? ['current'] : kind === 'rollback' ? ['rollback'] : []),
      ...(v.yanked ? ['yanked'] : v.deprecated ? ['deprecated'] : []),
    ];
    return {
      version: v.version,
      kind,
      label: notes.length === 0 ? v.version : `${v.version} (${notes.join(', ')})`,
      disabled: kind === 'current' || v.yanked === true,
    };
  });
}

export interface ParameterProblem {
  instance: string;
  /** The parameter's name, or its path below `parameters` (`tags/0`). */
  parameter: string;
  message: string;
}

export interface UpgradeErrors {
  /** At the version picker. */
  to: string[];
  /** At the instance the panel moves. */
  instance: string[];
  /** At the parameter the target version removed or no longer accepts. */
  parameters: ParameterProblem[];
  /** Anything else, with its pointer. */
  general: string[];
}

/** Sorts the server's problems to the panel's fields; `instances` is `spec.catalogs` by position. */
export function upgradeErrors(
  problems: readonly Problem[],
  instances: readonly { name: string }[],
): UpgradeErrors {
  const errors: UpgradeErrors = { to: [], instance: [], parameters: [], general: [] };
  for (const problem of problems) {
    const tokens = pointerTokens(problem.path);
    if (tokens?.length === 1 && tokens[0] === 'to') errors.to.push(problem.message);
    else if (tokens?.length === 1 && tokens[0] === 'instance') errors.instance.push(problem.message);
    else if (
      tokens !== undefined &&
      tokens.length >= 5 &&
      tokens[0] === 'spec' &&
      tokens[1] === 'catalogs' &&
      tokens[3] === 'parameters' &&
      instances[Number(tokens[2])] !== undefined
    )
      errors.parameters.push({
        instance: instances[Number(tokens[2])]!.name,
        parameter: tokens.slice(4).join('/'),
        message: problem.message,
      });
    else errors.general.push(problem.path ? `${problem.path}: ${problem.message}` : problem.message);
  }
  return errors;
}
