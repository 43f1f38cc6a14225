/**
 * A commit's tree as GitRepo keeps it in memory (plan.ts's Tree), read through the long-running
 * `git cat-file --batch` (cat-file.ts): level by level, the subtrees it already knows from the
 * last head not read again; and the files under a prefix in the order `git ls-tree -r` lists them.
 */
import { ExternalError } from '../core/index.js';
import { parseTreeObject, type GitObject, type TreeObjectEntry } from './cat-file.js';
import { SUBMODULE_MODE, SYMLINK_MODE, TREE_MODE, treeOf, type Tree } from './plan.js';
import type { RepoName } from './types.js';

export async function readCommitTree(args: {
  head: string;
  objectFormat: 'sha1' | 'sha256';
  /** The tree objects of the last head read, by id (reused: a subtree with the same id is the same). */
  known: ReadonlyMap<string, TreeObjectEntry[]>;
  objects: (names: readonly string[]) => Promise<Array<GitObject | undefined>>;
  repo: RepoName;
}): Promise<{ tree: Tree; trees: Map<string, TreeObjectEntry[]> }> {
  const { head, known, objects, repo } = args;
  const trees = new Map<string, TreeObjectEntry[]>();
  if (!head) return { tree: treeOf(head, []), trees };
  const idBytes = args.objectFormat === 'sha256' ? 32 : 20;
  const parse = (object: GitObject | undefined, name: string): TreeObjectEntry[] => {
    if (object?.type !== 'tree') throw new ExternalError(`${repo} repo: tree ${name} could not be read`);
    return parseTreeObject(object.content, idBytes);
  };
  const [root] = await objects([`${head}^{tree}`]);
  const rootEntries = parse(root, `${head}^{tree}`);
  trees.set(root!.id, rootEntries);
  for (let level = [root!.id]; level.length > 0;) {
    const below = new Set<string>();
    for (const id of level)
      for (const entry of trees.get(id)!)
        if (entry.mode === TREE_MODE && !trees.has(entry.id)) below.add(entry.id);
    const unknown = [...below].filter((id) => !known.has(id));
    const read = await objects(unknown);
    unknown.forEach((id, index) => trees.set(id, parse(read[index], id)));
    for (const id of below) if (!trees.has(id)) trees.set(id, known.get(id)!);
    level = [...below];
  }
  // Depth first in the order git stores entries: the order `git ls-tree -r` lists them in.
  const files: Array<[string, { mode: string; id: string }]> = [];
  const walk = (entries: TreeObjectEntry[], dir: string) => {
    for (const entry of entries) {
      const path = dir ? `${dir}/${entry.name}` : entry.name;
      if (entry.mode === TREE_MODE) walk(trees.get(entry.id)!, path);
      else files.push([path, { mode: entry.mode, id: entry.id }]);
    }
  };
  walk(rootEntries, '');
  return { tree: treeOf(head, files), trees };
}

/**
 * The files (not symbolic links, not submodules) that `git ls-tree -r <head> -- <prefix>` lists:
 * the file `prefix` itself, or everything under the directory `prefix` ('' for all), as
 * [path, blob id] in the order git lists them (by path, byte-wise).
 */
export function filesUnder(tree: Tree, prefix: string): Array<[string, string]> {
  const files: Array<[string, string]> = [];
  const isFile = (entry: { mode: string }) => entry.mode !== SYMLINK_MODE && entry.mode !== SUBMODULE_MODE;
  const own = prefix === '' ? undefined : tree.entries.get(prefix);
  if (own) return isFile(own) ? [[prefix, own.id]] : [];
  if (prefix !== '' && !tree.directories.has(prefix)) return files;
  const under = prefix === '' ? '' : `${prefix}/`;
  let sorted = true;
  for (const [path, entry] of tree.entries) {
    if (!path.startsWith(under) || !isFile(entry)) continue;
    if (sorted && files.length > 0 && files[files.length - 1]![0] > path) sorted = false;
    files.push([path, entry.id]);
  }
  // A tree a commit of this instance left has its new paths last.
  if (!sorted) files.sort((a, b) => compareBytes(a[0], b[0]));
  return files;
}

function compareBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}
