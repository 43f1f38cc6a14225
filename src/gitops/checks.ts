/**
 * The argument checks of the GitOpsRepo port, made before anything is read or written: each
 * reports every problem with its JSON pointer in one InputError. Every implementation (GitRepo,
 * the in-memory twin of the tests) calls these, so they refuse exactly the same arguments.
 */
import { InputError, pointer, type Problem } from '../core/index.js';
import { changeProblems, repoPathProblem } from './paths.js';
import type { FileChange } from './types.js';

/** A full commit id (SHA-1, or SHA-256 for such a repository). */
export const SHA = /^[0-9a-f]{40}([0-9a-f]{24})?$/;

export function checkChange(change: FileChange): void {
  const problems = changeProblems(change);
  if (problems.length > 0) throw new InputError(problems);
}

/**
 * The directory prefix (or file) of readTree and log without its trailing '/': '' for the whole
 * repository.
 */
export function checkPrefix(prefix: string): string {
  const problem = repoPathProblem(prefix, { directory: true, allowRoot: true });
  if (problem) throw new InputError([{ path: '/prefix', message: problem }]);
  return prefix.replace(/\/$/, '');
}

export function checkLogLimit(limit: number | undefined): void {
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 1)) {
    throw new InputError([{ path: '/limit', message: 'must be an integer ≥ 1' }]);
  }
}

/** `<commit sha>:<path>` specs of objectIds (an empty path is the commit's root tree). */
export function checkObjectSpecs(specs: readonly string[]): void {
  const problems: Problem[] = [];
  specs.forEach((spec, index) => {
    const colon = spec.indexOf(':');
    const problem =
      colon < 0 || !SHA.test(spec.slice(0, colon))
        ? 'must be <commit sha>:<path>'
        : repoPathProblem(spec.slice(colon + 1), { directory: true, allowRoot: true });
    if (problem) problems.push({ path: pointer('specs', index), message: problem });
  });
  if (problems.length > 0) throw new InputError(problems);
}

/** The commit and file of readFileBefore. */
export function checkFileBefore(commit: string, path: string): void {
  const problems: Problem[] = [];
  if (!SHA.test(commit)) problems.push({ path: '/commit', message: 'must be a full commit sha' });
  const problem = repoPathProblem(path, { directory: false, allowRoot: false });
  if (problem) problems.push({ path: '/path', message: problem });
  if (problems.length > 0) throw new InputError(problems);
}

export function checkAncestry(ancestor: string, descendant: string): void {
  const problems: Problem[] = [];
  if (!SHA.test(ancestor)) problems.push({ path: '/ancestor', message: 'must be a full commit sha' });
  if (!SHA.test(descendant)) problems.push({ path: '/descendant', message: 'must be a full commit sha' });
  if (problems.length > 0) throw new InputError(problems);
}

/**
 * A checked `<commit sha>:<path>` spec split: the path without a trailing '/' ('' for the root),
 * and whether it had one (then only a directory answers to it, as in git).
 */
export function splitObjectSpec(spec: string): { commit: string; path: string; directory: boolean } {
  const colon = spec.indexOf(':');
  const path = spec.slice(colon + 1);
  return { commit: spec.slice(0, colon), path: path.replace(/\/$/, ''), directory: path.endsWith('/') };
}
