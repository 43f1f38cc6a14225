/**
 * The GitOps port: one Git repository the engine writes desired state into (ARCHITECTURE.md,
 * The state model; which file goes where is src/core/layout's).
 * GitRepo (repo.ts) implements it with the git CLI, straight into a bare repository on this
 * machine or through a working clone of a remote; test/support/memory-gitops-repo.ts is its
 * in-memory twin, and test/gitops-repo/repo-contract.ts what both promise. Writes serialise per
 * instance; reads of commits already fetched do not.
 */

export type RepoName = 'platform' | 'apps';

export interface FileChange {
  /** Files to write (created or overwritten), paths relative to the repo root, '/'-separated. */
  write: Array<{ path: string; content: string }>;
  /** Files or whole directories (a path ending in '/') to remove; absent ones are ignored. */
  remove: string[];
  message: string;
  /** Paths that must not exist at the remote head when the change is applied (else a ConflictError, nothing committed). */
  mustNotExist?: string[];
  /**
   * Files that must hold exactly this content at the remote head when the change is applied (else
   * a ConflictError at `/mustMatch/<i>`, nothing committed): a compare-and-swap on a file someone
   * read, changed and writes back.
   */
  mustMatch?: Array<{ path: string; content: string }>;
}

export interface CommitResult {
  /** False when the change set left the tree as it was: no commit was made and nothing pushed. */
  changed: boolean;
  /** The commit that holds the change (or the current head when nothing changed). */
  sha: string;
  /** Push attempts made (1 when the first push went through). */
  attempts: number;
  /**
   * The remote head the change was applied on: the new commit's parent, or `sha` itself when
   * nothing changed. A reader that knows this head's files knows the new commit's too; one that
   * does not must read the tree again (someone else committed in between).
   */
  base?: string;
  /**
   * The commit that holds the change, when `changed`: as `log` lists it, with every path it
   * changed (of all the change sets it holds), so a reader of the history can add it without
   * reading the history again. Absent when it could not be read back.
   */
  commit?: MadeCommit;
}

export interface CommitInfo {
  sha: string;
  message: string;
  /** ISO 8601 with its offset, as `git log --format=%aI` prints it. */
  date: string;
  /** `name <email>`. */
  author: string;
}

export interface MadeCommit extends CommitInfo {
  /** Every path whose content or existence the commit changed. */
  paths: readonly string[];
}

export interface GitOpsRepo {
  readonly name: RepoName;
  /** The remote URL with any credentials removed (safe to log and show). */
  readonly displayUrl: string;
  /** Clone (first call) or fetch, and move the working clone to the remote branch head; returns its sha. */
  sync(): Promise<string>;
  /** The files under a directory prefix at the working clone's head, by path (after the last sync). */
  readTree(prefix: string): Promise<Map<string, string>>;
  /**
   * Applies the change on top of the remote head, commits if anything changed, pushes with retry.
   * Changes that wait for the clone together go into one commit and one push (each whole, in
   * exactly one commit; the message holds every one's message); `changed` is per change.
   */
  commit(change: FileChange): Promise<CommitResult>;
  /** True when `ancestor` is `descendant` or one of its ancestors (both fetched already). */
  isAncestor(ancestor: string, descendant: string): Promise<boolean>;
  /**
   * The object ids of `<commit sha>:<path>` specs (a blob for a file, a tree for a directory),
   * undefined where the path does not exist there or the commit has not been fetched; one git
   * process for all of them.
   */
  objectIds(specs: readonly string[]): Promise<Array<string | undefined>>;
  /** Commits that touched a path prefix, newest first. */
  log(prefix: string, options?: { limit?: number }): Promise<CommitInfo[]>;
}
