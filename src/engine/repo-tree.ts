/**
 * What the engine keeps of a GitOps repo's environments/ tree: every path, indexed by
 * environment, with the content of environment.yaml files (the requests it parses) and only a
 * digest of the rendered files (it compares them with fresh renders, never reads them). With
 * 1,000 environments the rendered files, a Workspace's inline Terraform module above all, would
 * otherwise be most of the engine's heap, and a per-environment question would scan every path.
 */
import { createHash } from 'node:crypto';
import { ENVIRONMENTS_DIR } from './desired-state.js';

const REQUEST_FILE = '/environment.yaml';

export class RepoTree {
  private readonly files = new Map<string, string>();
  private readonly byEnvironment = new Map<string, Set<string>>();

  constructor(files: Iterable<[path: string, content: string]> = []) {
    for (const [path, content] of files) this.set(path, content);
  }

  /** The content of an environment.yaml file (other files keep a digest only). */
  request(path: string): string | undefined {
    return path.endsWith(REQUEST_FILE) ? this.files.get(path) : undefined;
  }

  has(path: string): boolean {
    return this.files.has(path);
  }

  /** True when the file is there with this content. */
  holds(path: string, content: string): boolean {
    return this.files.get(path) === kept(path, content);
  }

  set(path: string, content: string): void {
    this.files.set(path, kept(path, content));
    const environment = environmentOf(path);
    if (environment === undefined) return;
    let paths = this.byEnvironment.get(environment);
    if (!paths) this.byEnvironment.set(environment, (paths = new Set()));
    paths.add(path);
  }

  /** Removes a file, or every file under a directory (a path ending in '/'). */
  remove(path: string): void {
    if (!path.endsWith('/')) return this.delete(path);
    const environment = environmentOf(path);
    const candidates =
      environment === undefined ? this.files.keys() : (this.byEnvironment.get(environment) ?? []);
    for (const candidate of [...candidates]) if (candidate.startsWith(path)) this.delete(candidate);
  }

  /** The paths of one environment's files. */
  pathsOf(environment: string): ReadonlySet<string> {
    return this.byEnvironment.get(environment) ?? EMPTY;
  }

  /** True when the environment has a file under `prefix` (a directory path ending in '/'). */
  hasUnder(environment: string, prefix: string): boolean {
    for (const path of this.pathsOf(environment)) if (path.startsWith(prefix)) return true;
    return false;
  }

  environments(): IterableIterator<string> {
    return this.byEnvironment.keys();
  }

  /** The paths whose content differs between two trees (added, removed or changed). */
  static changed(before: RepoTree, after: RepoTree): Set<string> {
    const changed = new Set<string>();
    for (const [path, value] of after.files) if (before.files.get(path) !== value) changed.add(path);
    for (const path of before.files.keys()) if (!after.files.has(path)) changed.add(path);
    return changed;
  }

  private delete(path: string): void {
    if (!this.files.delete(path)) return;
    const environment = environmentOf(path);
    if (environment === undefined) return;
    const paths = this.byEnvironment.get(environment);
    paths?.delete(path);
    if (paths?.size === 0) this.byEnvironment.delete(environment);
  }
}

const EMPTY: ReadonlySet<string> = new Set();

function environmentOf(path: string): string | undefined {
  if (!path.startsWith(`${ENVIRONMENTS_DIR}/`)) return undefined;
  const end = path.indexOf('/', ENVIRONMENTS_DIR.length + 1);
  return end < 0 ? undefined : path.slice(ENVIRONMENTS_DIR.length + 1, end);
}

/** environment.yaml as it is; anything else as a digest (prefixed, so it cannot equal a content). */
function kept(path: string, content: string): string {
  if (path.endsWith(REQUEST_FILE)) return content;
  return `\0sha256:${createHash('sha256').update(content).digest('base64')}`;
}
