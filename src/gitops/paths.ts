/**
 * Repository-relative paths as the GitOps port takes them: '/'-separated, relative to the repo
 * root, never escaping it and never touching `.git`. Pure checks; the caller turns problems into
 * one InputError.
 */
import { pointer, type Problem } from '../core/index.js';
import type { FileChange } from './types.js';

const MAX_PATH_LENGTH = 4096;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

/** The problem with a repo path, or undefined when it is acceptable. `directory` allows a trailing '/'. */
export function repoPathProblem(
  path: string,
  options: { directory?: boolean; allowRoot?: boolean } = {},
): string | undefined {
  if (typeof path !== 'string') return 'must be a string';
  if (path === '') return options.allowRoot ? undefined : 'must not be empty';
  if (path.length > MAX_PATH_LENGTH) return `must be at most ${MAX_PATH_LENGTH} characters`;
  if (CONTROL.test(path)) return 'must not contain control characters';
  if (path.includes('\\')) return "must use '/' as separator, not '\\'";
  if (path.startsWith('/')) return 'must be relative to the repository root';
  const body = options.directory && path.endsWith('/') ? path.slice(0, -1) : path;
  for (const segment of body.split('/')) {
    if (segment === '') return 'must not contain empty segments';
    if (segment === '.' || segment === '..') return "must not contain '.' or '..' segments";
    if (segment.toLowerCase() === '.git') return "must not touch '.git'";
  }
  return undefined;
}

/** Every problem of a change set, each with its JSON pointer into the FileChange. */
export function changeProblems(change: FileChange): Problem[] {
  const problems: Problem[] = [];
  if (typeof change !== 'object' || change === null)
    return [{ path: '', message: 'must be a change set object' }];
  if (typeof change.message !== 'string' || change.message.trim() === '') {
    problems.push({ path: '/message', message: 'must be a non-empty commit message' });
  }
  if (!Array.isArray(change.write)) problems.push({ path: '/write', message: 'must be an array' });
  if (!Array.isArray(change.remove)) problems.push({ path: '/remove', message: 'must be an array' });
  if (problems.some((problem) => problem.path !== '/message')) return problems;

  const written = new Set<string>();
  change.write.forEach((file, index) => {
    const problem = repoPathProblem(file.path);
    if (problem) problems.push({ path: pointer('write', index, 'path'), message: problem });
    else if (written.has(file.path)) {
      problems.push({ path: pointer('write', index, 'path'), message: `'${file.path}' is written twice` });
    }
    written.add(file.path);
    if (typeof file.content !== 'string') {
      problems.push({ path: pointer('write', index, 'content'), message: 'must be a string' });
    }
  });
  change.write.forEach((file, index) => {
    if (typeof file.path !== 'string') return;
    const parts = file.path.split('/');
    for (let depth = 1; depth < parts.length; depth++) {
      const ancestor = parts.slice(0, depth).join('/');
      if (written.has(ancestor)) {
        problems.push({
          path: pointer('write', index, 'path'),
          message: `'${ancestor}' is written as a file too`,
        });
        break;
      }
    }
  });
  change.remove.forEach((path, index) => {
    const problem = repoPathProblem(path, { directory: true });
    if (problem) problems.push({ path: pointer('remove', index), message: problem });
  });
  change.mustMatch?.forEach((file, index) => {
    const problem = repoPathProblem(file.path);
    if (problem) problems.push({ path: pointer('mustMatch', index, 'path'), message: problem });
    if (typeof file.content !== 'string')
      problems.push({ path: pointer('mustMatch', index, 'content'), message: 'must be a string' });
  });
  return problems;
}

/** Why `branch` is not a plain branch name (a subset of `git check-ref-format --branch`), or undefined. */
export function branchProblem(branch: string): string | undefined {
  if (typeof branch !== 'string' || branch === '') return 'must be a non-empty branch name';
  if (!/^[A-Za-z0-9._/-]+$/.test(branch)) return "may contain only letters, digits, '.', '_', '-' and '/'";
  if (branch.startsWith('-')) return "must not start with '-'";
  if (branch.split('/').some((part) => part === '' || part.startsWith('.') || part.endsWith('.lock'))) {
    return "must not have empty components, components starting with '.' or ending with '.lock'";
  }
  if (branch.includes('..') || branch.endsWith('.')) return "must not contain '..' or end with '.'";
  return undefined;
}
