/** What GitRepo makes of git's output: pure parsers, one per command whose answer it reads. */
import { ExternalError } from '../core/index.js';
import { SHA } from './checks.js';
import type { CommitInfo, RepoName } from './types.js';

export interface ListedEntry {
  mode: string;
  /** `blob` for files and symbolic links, `commit` for a submodule. */
  type: string;
  id: string;
  path: string;
}

/** `git ls-tree -r -z`: one entry per blob (or submodule), by its full path. */
export function parseTreeListing(listing: string): ListedEntry[] {
  const entries: ListedEntry[] = [];
  for (const entry of listing.split('\0')) {
    if (entry === '') continue;
    const tab = entry.indexOf('\t');
    const [mode, type, id] = entry.slice(0, tab).split(' ');
    entries.push({ mode: mode!, type: type!, id: id!, path: entry.slice(tab + 1) });
  }
  return entries;
}

/** `git log -z --format=%H%n%aI%n%an <%ae>%n%B`, newest first as git lists them. */
export function parseLog(output: string): CommitInfo[] {
  return output
    .split('\0')
    .filter((record) => record.trim() !== '')
    .map((record) => {
      const [sha, date, author, ...message] = record.replace(/^\n/, '').split('\n');
      return { sha: sha!, date: date!, author: author!, message: message.join('\n').trimEnd() };
    });
}

/** `git cat-file --batch-check=%(objectname)`: the id on each spec's line, undefined where git said `missing`. */
export function parseObjectIds(output: string, count: number): Array<string | undefined> {
  const lines = output.split('\n');
  return Array.from({ length: count }, (_, index) => {
    const line = lines[index] ?? '';
    return SHA.test(line) ? line : undefined;
  });
}

/**
 * `git cat-file --batch` of the blobs `shas`: their contents by id. Anything but a blob, or a blob
 * that is not in the answer, is an ExternalError.
 */
export function parseBlobBatch(options: {
  output: Buffer;
  shas: readonly string[];
  repo: RepoName;
}): Map<string, string> {
  const { output, shas, repo } = options;
  const contents = new Map<string, string>();
  let offset = 0;
  while (offset < output.length) {
    const newline = output.indexOf(0x0a, offset);
    if (newline < 0) break;
    const [sha, type, size] = output.toString('utf8', offset, newline).split(' ');
    if (type !== 'blob' || size === undefined) {
      throw new ExternalError(`${repo} repo: git cat-file returned '${type ?? ''}' for ${sha ?? '?'}`);
    }
    const start = newline + 1;
    const end = start + Number(size);
    contents.set(sha!, output.toString('utf8', start, end));
    offset = end + 1;
  }
  const missing = shas.find((sha) => !contents.has(sha));
  if (missing) throw new ExternalError(`${repo} repo: object ${missing} could not be read`);
  return contents;
}

/** `git ls-remote <remote> refs/heads/<branch>`: the branch head, undefined when there is no such branch. */
export function parseRemoteHead(output: string, branch: string): string | undefined {
  const line = output.split('\n').find((entry) => entry.endsWith(`\trefs/heads/${branch}`));
  return line?.split('\t')[0];
}

/**
 * `git push --porcelain` marks a rejected ref with '!': another writer got there first, or a hook
 * declined. The reason it gives, or undefined when no ref was rejected.
 */
export function pushRejection(stdout: string): string | undefined {
  const rejected = stdout.split('\n').find((line) => line.startsWith('!\t'));
  return rejected?.split('\t').slice(2).join(' ').trim();
}
