/**
 * GitRepo's reads of objects, where git runs (the local remote, or the working clone): one `git
 * cat-file --batch` kept running (cat-file.ts) answers them all, the contents of blobs read before
 * are kept by id, and so are the tree objects of the last tree read, so that the tree of a new
 * head reads only the trees that changed (tree-read.ts). Objects never change: what is kept stays
 * true wherever git runs; only the process belongs to a place, and close() ends it.
 */
import { ExternalError } from '../core/index.js';
import { BlobCache } from './blob-cache.js';
import type { GitObject, TreeObjectEntry } from './cat-file.js';
import type { ObjectFormat, Tree } from './plan.js';
import { readCommitTree } from './tree-read.js';
import type { RepoName } from './types.js';

/** The process ends after this long without a read. */
const READER_IDLE_MS = 10_000;
/** Blob contents kept by id, in UTF-16 code units (a little over that in bytes of heap). */
const BLOB_CACHE_CHARS = 8 * 1024 * 1024;

/** What answers the reads: a CatFileSession, or a fake in tests. */
export interface ObjectSource {
  read(names: readonly string[]): Promise<Array<GitObject | undefined>>;
  close(): Promise<void>;
}

export interface ObjectReaderOptions {
  repo: RepoName;
  /** Starts the source where git runs now, ended after `idleMs` without a read. */
  open: (limits: { idleMs: number }) => ObjectSource;
  blobCacheChars?: number;
}

export class ObjectReader {
  private source: ObjectSource | undefined;
  private readonly blobCache: BlobCache;
  /** The tree objects of the last tree read, by id: a head read next reads only the ones that changed. */
  private treeObjects = new Map<string, TreeObjectEntry[]>();

  constructor(private readonly options: ObjectReaderOptions) {
    this.blobCache = new BlobCache(options.blobCacheChars ?? BLOB_CACHE_CHARS);
  }

  /** The objects `names` resolve to (a sha, `ref^{commit}`, `sha:path`), undefined where unknown. */
  read(names: readonly string[]): Promise<Array<GitObject | undefined>> {
    this.source ??= this.options.open({ idleMs: READER_IDLE_MS });
    return this.source.read(names);
  }

  /**
   * Ends the process once it has answered what was asked; the next read starts another where git
   * runs then (GitRepo closes it when it opens its repository again, and before maintenance).
   */
  async close(): Promise<void> {
    const source = this.source;
    this.source = undefined;
    await source?.close();
  }

  /** The commit `ref` names, undefined when it names none. */
  async commitId(ref: string): Promise<string | undefined> {
    const [object] = await this.read([`${ref}^{commit}`]);
    return object?.type === 'commit' ? object.id : undefined;
  }

  /** Whether every one of `shas` is a commit here. */
  async hasCommits(shas: readonly string[]): Promise<boolean> {
    const objects = await this.read(shas.map((sha) => `${sha}^{commit}`));
    return objects.every((object) => object?.type === 'commit');
  }

  /** The contents of blobs by id: from the cache, else read (and kept). */
  async blobs(ids: readonly string[]): Promise<Map<string, string>> {
    const contents = new Map<string, string>();
    const wanted: string[] = [];
    for (const id of new Set(ids)) {
      const cached = this.blobCache.get(id);
      if (cached === undefined) wanted.push(id);
      else contents.set(id, cached);
    }
    const objects = await this.read(wanted);
    const { repo } = this.options;
    wanted.forEach((id, index) => {
      const object = objects[index];
      if (!object) throw new ExternalError(`${repo} repo: object ${id} could not be read`);
      if (object.type !== 'blob')
        throw new ExternalError(`${repo} repo: git cat-file returned '${object.type}' for ${id}`);
      const text = object.content.toString('utf8');
      this.blobCache.set(id, text);
      contents.set(id, text);
    });
    return contents;
  }

  /**
   * The files of `head` ('' for none), from its tree objects: those of the tree read last are
   * known by id already, so after a commit only the few trees on the paths it changed are read,
   * level by level.
   */
  async tree(head: string, objectFormat: ObjectFormat): Promise<Tree> {
    const { tree, trees } = await readCommitTree({
      head,
      objectFormat,
      known: this.treeObjects,
      objects: (names) => this.read(names),
      repo: this.options.repo,
    });
    this.treeObjects = trees;
    return tree;
  }
}
