/**
 * What a batch of change sets does to a tree, decided without git: the files of the head the
 * commit goes on (paths and blob ids), the change sets applied to it in order, which of them must
 * be refused, what differs, and what each caller is told. Pure: GitRepo runs it on the tree it
 * read with `git ls-tree`, the in-memory twin on the tree it keeps, so both decide alike.
 */
import { createHash } from 'node:crypto';
import { ConflictError, pointer, type EnvcatError } from '../core/index.js';
import type { CommitInfo, CommitResult, FileChange, RepoName } from './types.js';

export type ObjectFormat = 'sha1' | 'sha256';

/** The mode of every file envcat writes. */
export const FILE_MODE = '100644';
/** A symbolic link: never followed, never read as a file. */
export const SYMLINK_MODE = '120000';
/** A submodule (a commit in the tree). */
export const SUBMODULE_MODE = '160000';
/** A directory, as `git ls-tree` prints it. */
export const TREE_MODE = '040000';

export interface TreeEntry {
  mode: string;
  id: string;
}

/** The files of a commit: every blob (and symbolic link, submodule) by path, and the directories. */
export interface Tree {
  /** The commit ('' for an empty remote). */
  head: string;
  entries: Map<string, TreeEntry>;
  /**
   * Every directory that holds an entry. A plan leaves directories it emptied in here; they are
   * dropped when next asked about (see planChanges).
   */
  directories: Set<string>;
}

export interface Plan {
  entries: Map<string, TreeEntry>;
  directories: Set<string>;
  /** The content of every file written, by path (removed ones are absent). */
  contents: Map<string, string>;
  /** Paths whose content or existence differs from the base. */
  changed: Set<string>;
  /** Why a change set was refused, by index. */
  refused: Array<EnvcatError | undefined>;
  /** Whether a change set decided the content of a changed path (the last one to touch it), by index. */
  effective: boolean[];
  changes: readonly FileChange[];
}

/** What one caller of a batch learns: its result, or why its change set was refused. */
export type Outcome = { result: CommitResult } | { error: EnvcatError };

/** The tree of `head` from its entries (the directories are derived). */
export function treeOf(head: string, entries: Iterable<readonly [string, TreeEntry]>): Tree {
  const tree: Tree = { head, entries: new Map(), directories: new Set() };
  for (const [path, entry] of entries) {
    tree.entries.set(path, entry);
    for (let dir = parentOf(path); dir !== ''; dir = parentOf(dir)) tree.directories.add(dir);
  }
  return tree;
}

/** The tree a plan leaves, as the base of the next commit once `head` holds it. */
export function plannedTree(plan: Plan, head: string): Tree {
  return { head, entries: plan.entries, directories: plan.directories };
}

/**
 * The change sets applied in order to `base`: removals first, then writes, so removing a
 * directory and writing into it replaces its content. A change set that must not go on this
 * head (a mustNotExist path exists, a mustMatch file holds other content, a file over a directory, a path through a symbolic link or
 * a file) is refused whole and leaves the tree as it was. `base` is not modified.
 */
export function planChanges(options: {
  changes: readonly FileChange[];
  base: Tree;
  /** Named in refusals. */
  repo: RepoName;
  objectFormat: ObjectFormat;
}): Plan {
  const { changes, base, repo, objectFormat } = options;
  const entries = new Map(base.entries);
  const directories = new Set(base.directories);
  const contents = new Map<string, string>();
  const touched = new Set<string>();
  const lastTouch = new Map<string, number>();
  const refused: Array<EnvcatError | undefined> = changes.map(() => undefined);
  const isDirectory = (path: string) => {
    if (!directories.has(path)) return false;
    for (const key of entries.keys()) if (key.startsWith(`${path}/`)) return true;
    directories.delete(path); // emptied by an earlier removal
    return false;
  };
  changes.forEach((change, index) => {
    const problem = refusal({ change, entries, isDirectory, repo, objectFormat });
    if (problem) {
      refused[index] = problem;
      return;
    }
    for (const removed of change.remove) {
      const prefix = removed.endsWith('/') ? removed : undefined;
      for (const path of [...entries.keys()]) {
        if (prefix ? path.startsWith(prefix) : path === removed) {
          entries.delete(path);
          contents.delete(path);
          touched.add(path);
          lastTouch.set(path, index);
        }
      }
    }
    for (const file of change.write) {
      entries.set(file.path, { mode: FILE_MODE, id: blobId(file.content, objectFormat) });
      contents.set(file.path, file.content);
      touched.add(file.path);
      lastTouch.set(file.path, index);
      for (let dir = parentOf(file.path); dir !== ''; dir = parentOf(dir)) directories.add(dir);
    }
  });
  const changed = new Set<string>();
  for (const path of touched) {
    const before = base.entries.get(path);
    const after = entries.get(path);
    if (before?.id !== after?.id || before?.mode !== after?.mode) changed.add(path);
  }
  const effective = changes.map(() => false);
  for (const path of changed) effective[lastTouch.get(path)!] = true;
  return { entries, directories, contents, changed, refused, effective, changes };
}

/** Why `change` must not go on the tree as the change sets before it left it, or undefined. */
function refusal(options: {
  change: FileChange;
  entries: Map<string, TreeEntry>;
  isDirectory: (path: string) => boolean;
  repo: RepoName;
  objectFormat: ObjectFormat;
}): EnvcatError | undefined {
  const { change, entries, isDirectory, repo, objectFormat } = options;
  // Checked against the tree as the change sets before this one in the same commit left it, so
  // two creates of one path that wait for the same commit cannot both pass.
  for (const [index, path] of (change.mustNotExist ?? []).entries()) {
    if (entries.has(path) || isDirectory(path))
      return new ConflictError(`${path} already exists in the ${repo} repo`, {
        path: pointer('mustNotExist', index),
      });
  }
  for (const [index, { path, content }] of (change.mustMatch ?? []).entries()) {
    const entry = entries.get(path);
    if (!entry || entry.mode === SYMLINK_MODE || entry.id !== blobId(content, objectFormat))
      return new ConflictError(`${path} in the ${repo} repo changed since it was read`, {
        path: pointer('mustMatch', index),
      });
  }
  const removes = (path: string) =>
    change.remove.some((removed) => (removed.endsWith('/') ? path.startsWith(removed) : path === removed));
  const through = (path: string, at: string): EnvcatError | undefined => {
    for (let dir = parentOf(path); dir !== ''; dir = parentOf(dir)) {
      const entry = entries.get(dir);
      if (!entry || removes(dir)) continue;
      const kind = entry.mode === SYMLINK_MODE ? 'a symbolic link' : 'a file';
      return new ConflictError(`cannot change '${path}' in the ${repo} repo: '${dir}' is ${kind}`, {
        path: at,
      });
    }
    return undefined;
  };
  for (const [index, removed] of change.remove.entries()) {
    const problem = through(removed.replace(/\/$/, ''), pointer('remove', index));
    if (problem) return problem;
  }
  for (const [index, file] of change.write.entries()) {
    const at = pointer('write', index, 'path');
    const problem = through(file.path, at);
    if (problem) return problem;
    if (isDirectory(file.path) && !removes(`${file.path}/`)) {
      return new ConflictError(`cannot write '${file.path}' in the ${repo} repo: it is a directory`, {
        path: at,
      });
    }
  }
  return undefined;
}

/**
 * What each caller of a batch learns once its plan is settled: the refused ones their error, the
 * others whether they changed anything, the commit that holds the batch (`sha`) and the head it
 * was applied on (`base`); the ones that changed something also the commit as `log` lists it, when
 * `commit` says so (with the paths of the plan).
 */
export function outcomesOf(options: {
  plan: Plan;
  base: Tree;
  sha: string;
  attempts: number;
  commit?: CommitInfo;
}): Outcome[] {
  const { plan, base, sha, attempts, commit } = options;
  const made = commit && { ...commit, paths: [...plan.changed] };
  return plan.changes.map((_, index) => {
    const refused = plan.refused[index];
    if (refused) return { error: refused };
    const changed = plan.effective[index]!;
    return {
      result: { changed, sha, attempts, base: base.head, ...(changed && made ? { commit: made } : {}) },
    };
  });
}

/** The message of the commit of `plan`: of the change sets that changed something (all, if none did). */
export function planMessage(plan: Plan): string {
  const made = plan.changes.filter((_, index) => plan.effective[index]);
  return batchMessage(made.length > 0 ? made : plan.changes);
}

/**
 * The message of a commit carrying several change sets: the first one's subject says there are
 * more, and the body holds every message whole (each names its environment, instances and versions).
 */
export function batchMessage(changes: readonly FileChange[]): string {
  if (changes.length === 1) return changes[0]!.message;
  const subject = changes[0]!.message.split('\n')[0]!;
  const body = changes.map((change) => change.message.trim()).join('\n\n');
  return `${subject} (and ${changes.length - 1} more)\n\n${body}\n`;
}

/** The directory holding `path` ('' at the root). */
export function parentOf(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash < 0 ? '' : path.slice(0, slash);
}

/** Git's id of a blob with this content. */
export function blobId(content: string, format: ObjectFormat): string {
  return objectId('blob', Buffer.from(content, 'utf8'), format);
}

/** Git's id of an object of `type` with this body. */
export function objectId(type: 'blob' | 'tree' | 'commit', body: Buffer, format: ObjectFormat): string {
  return createHash(format).update(`${type} ${body.length}\0`).update(body).digest('hex');
}
