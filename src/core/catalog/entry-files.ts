/**
 * The paths of an entry's files as a publish request names them (`{files: [{path, content}]}`).
 * They become paths in the platform repo under `catalog/<name>/<version>/`, so each must be a
 * plain relative path inside the entry, written one way only. Problems point into the request
 * (`/files/<i>/path`), not into the Git change made from it.
 */
import type { Problem } from '../errors/index.js';
import { pointer, relativePathProblem } from '../names/index.js';

const MAX_PATH_LENGTH = 1024;

/** Why `path` cannot name a file of a published entry, or undefined. */
export function entryFilePathProblem(path: string): string | undefined {
  if (path.length > MAX_PATH_LENGTH) return `must be at most ${MAX_PATH_LENGTH} characters`;
  const relative = relativePathProblem(path);
  if (relative) return relative;
  const segments = path.split('/');
  if (segments.some((s) => s === '')) return 'must not contain empty segments ("//") or end with "/"';
  if (segments.some((s) => s === '.')) return 'must not contain "." segments';
  if (segments.some((s) => s.toLowerCase() === '.git')) return 'must not touch ".git"';
  return undefined;
}

/** Every problem with the paths of a publish request's files, each at `/files/<i>/path`. */
export function entryFilesProblems(files: ReadonlyArray<{ path: string }>): Problem[] {
  const problems: Problem[] = [];
  const seen = new Map<string, number>();
  files.forEach((file, index) => {
    const at = pointer('files', index, 'path');
    const problem = entryFilePathProblem(file.path);
    if (problem) problems.push({ path: at, message: problem });
    const first = seen.get(file.path);
    if (first !== undefined) problems.push({ path: at, message: `the same path as /files/${first}/path` });
    else seen.set(file.path, index);
  });
  const paths = new Set(files.map((f) => f.path));
  files.forEach((file, index) => {
    const parts = file.path.split('/');
    for (let depth = 1; depth < parts.length; depth++)
      if (paths.has(parts.slice(0, depth).join('/'))) {
        problems.push({ path: pointer('files', index, 'path'), message: 'is inside a path that is a file' });
        break;
      }
  });
  return problems;
}
