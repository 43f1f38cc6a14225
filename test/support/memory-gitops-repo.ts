/**
 * The in-memory twin of GitRepo: a GitOpsRepo whose remote is a MemoryGitRemote (commits, trees
 * and blobs in maps) instead of a Git repository. It runs GitRepo's own pure parts, so the two
 * cannot drift apart: the argument checks (checks.ts), the planning and refusals of a batch
 * (plan.ts), group commit and the compare-and-swap loop (commit-loop.ts). Only the storage is its
 * own: a publish moves the branch only if it still points at the base the batch was planned on,
 * as fast-import under the ref lock (or a push) does, and a moved branch is retried the same way.
 *
 * Ids are git's: blob and tree ids are what git computes for the same content (SHA-1), commit ids
 * those of the commit object as git would write it. Several twins on one MemoryGitRemote are
 * several writers (engine replicas), each with its own view of the head as of its last sync() or
 * commit(), like each GitRepo's clone; objectIds and isAncestor know every commit of the remote,
 * as GitRepo writing directly does. One branch, SHA-1 ids, no symbolic links (the port cannot write
 * one). test/gitops-repo/repo-contract.ts holds what both promise.
 */
import { InputError, NotFoundError, ExternalError } from '../../src/core/index.js';
import {
  checkAncestry,
  checkChange,
  checkFileBefore,
  checkLogLimit,
  checkObjectSpecs,
  checkPrefix,
  splitObjectSpec,
} from '../../src/gitops/checks.js';
import { commitWithRetry, type CommitTarget, type PushOutcome } from '../../src/gitops/commit-loop.js';
import { GroupCommit } from '../../src/gitops/group-commit.js';
import { RepoLock } from '../../src/gitops/lock.js';
import {
  authorProblems,
  DEFAULT_AUTHOR,
  repoNameProblems,
  SILENT,
  type GitAuthor,
  type GitOpsLogger,
} from '../../src/gitops/options.js';
import {
  objectId,
  planMessage,
  treeOf,
  type Plan,
  type Tree,
  type TreeEntry,
} from '../../src/gitops/plan.js';
import { retryProblems, type RetryPolicy } from '../../src/gitops/retry.js';
import type { CommitInfo, CommitResult, FileChange, GitOpsRepo, RepoName } from '../../src/gitops/types.js';

interface StoredCommit {
  sha: string;
  /** '' for the first commit. */
  parent: string;
  tree: Tree;
  message: string;
  /** `name <email>`, as CommitInfo has it. */
  author: string;
  /** ISO 8601 with offset, as `git log --format=%aI` prints it. */
  date: string;
  /** Paths whose content or existence differs from the parent's tree. */
  changed: ReadonlySet<string>;
}

/** The shared remote of one or more twins: one branch, its commits, their trees and blobs. */
export class MemoryGitRemote {
  private branchHead = '';
  private readonly commits = new Map<string, StoredCommit>();
  private readonly blobs = new Map<string, string>();
  /** Tree ids by commit, then by directory path ('' the root); computed when first asked. */
  private readonly treeIds = new Map<string, Map<string, string>>();
  private published = 0;

  /** The branch head ('' while the branch has no commit). */
  get head(): string {
    return this.branchHead;
  }

  /** Commits published in all (a no-op commit publishes none). */
  get commitCount(): number {
    return this.published;
  }

  /** The files of a commit (default: the head), by path. */
  files(sha = this.branchHead): Map<string, string> {
    const files = new Map<string, string>();
    for (const [path, entry] of this.treeAt(sha).entries) files.set(path, this.blob(entry.id));
    return files;
  }

  /** The content of a blob of a published commit. */
  blob(id: string): string {
    const content = this.blobs.get(id);
    if (content === undefined) throw new NotFoundError(`blob ${id} is not in this memory remote`);
    return content;
  }

  /** The tree of a commit ('' for the empty one). */
  treeAt(sha: string): Tree {
    if (sha === '') return treeOf('', []);
    const commit = this.commits.get(sha);
    if (!commit) throw new NotFoundError(`commit ${sha} is not in this memory remote`);
    return commit.tree;
  }

  has(sha: string): boolean {
    return this.commits.has(sha);
  }

  /**
   * The commit of `plan` on `base`, stored and made the head only if the head is still
   * `base.head` (the compare-and-swap); its sha either way.
   */
  publish(options: { base: Tree; plan: Plan; author: GitAuthor }): { sha: string; moved: boolean } {
    const { base, plan, author } = options;
    const tree: Tree = { head: '', entries: plan.entries, directories: plan.directories };
    const rootId = this.idsOf(tree).get('')!;
    const seconds = Math.floor(Date.now() / 1000);
    const message = planMessage(plan);
    const person = `${author.name} <${author.email}>`;
    const body = [
      `tree ${rootId}`,
      ...(base.head ? [`parent ${base.head}`] : []),
      `author ${person} ${seconds} +0000`,
      `committer ${person} ${seconds} +0000`,
      '',
      message,
    ].join('\n');
    const sha = objectId('commit', Buffer.from(body, 'utf8'), 'sha1');
    if (this.branchHead !== base.head) return { sha, moved: false };
    for (const [path, content] of plan.contents) this.blobs.set(plan.entries.get(path)!.id, content);
    tree.head = sha;
    this.commits.set(sha, {
      sha,
      parent: base.head,
      tree,
      message,
      author: person,
      date: new Date(seconds * 1000).toISOString().replace(/\.\d{3}Z$/, '+00:00'),
      changed: new Set(plan.changed),
    });
    this.branchHead = sha;
    this.published++;
    return { sha, moved: true };
  }

  /** The id git gives `path` (a file, or a directory when it holds files) in a commit, if it is there. */
  objectId(sha: string, path: string, directory: boolean): string | undefined {
    const commit = this.commits.get(sha);
    if (!commit) return undefined;
    if (!directory) {
      const entry = commit.tree.entries.get(path);
      if (entry) return entry.id;
    }
    let ids = this.treeIds.get(sha);
    if (!ids) this.treeIds.set(sha, (ids = this.idsOf(commit.tree)));
    return ids.get(path);
  }

  /** The first parent of a published commit ('' for the first commit). */
  parentOf(sha: string): string {
    const commit = this.commits.get(sha);
    if (!commit) throw new NotFoundError(`commit ${sha} is not in this memory remote`);
    return commit.parent;
  }

  /** A published commit as `log` lists it. */
  info(sha: string): CommitInfo {
    const { message, date, author } = this.commits.get(sha)!;
    return { sha, message: message.trimEnd(), date, author };
  }

  /** Whether `ancestor` is `descendant` or one of its ancestors (both known). */
  isAncestor(ancestor: string, descendant: string): boolean {
    for (let sha = descendant; sha !== ''; sha = this.commits.get(sha)!.parent)
      if (sha === ancestor) return true;
    return false;
  }

  /** The commits from `head` back to the first, newest first. */
  *history(head: string): Generator<StoredCommit> {
    for (let sha = head; sha !== '';) {
      const commit = this.commits.get(sha)!;
      yield commit;
      sha = commit.parent;
    }
  }

  /** Git's tree id of every directory of `tree` ('' the root), computed as git does. */
  private idsOf(tree: Tree): Map<string, string> {
    interface Dir {
      files: Map<string, TreeEntry>;
      dirs: Map<string, Dir>;
    }
    const root: Dir = { files: new Map(), dirs: new Map() };
    for (const [path, entry] of tree.entries) {
      const parts = path.split('/');
      let dir = root;
      for (const part of parts.slice(0, -1)) {
        let next = dir.dirs.get(part);
        if (!next) dir.dirs.set(part, (next = { files: new Map(), dirs: new Map() }));
        dir = next;
      }
      dir.files.set(parts[parts.length - 1]!, entry);
    }
    const ids = new Map<string, string>();
    const idOf = (dir: Dir, path: string): string => {
      // Git sorts a tree's entries by name, a directory's name as if it ended in '/'.
      const entries: Array<{ key: string; mode: string; name: string; id: string }> = [];
      for (const [name, entry] of dir.files)
        entries.push({ key: name, mode: entry.mode, name, id: entry.id });
      for (const [name, sub] of dir.dirs) {
        const id = idOf(sub, path === '' ? name : `${path}/${name}`);
        entries.push({ key: `${name}/`, mode: '40000', name, id });
      }
      entries.sort((a, b) => Buffer.compare(Buffer.from(a.key), Buffer.from(b.key)));
      const body = Buffer.concat(
        entries.map((entry) =>
          Buffer.concat([Buffer.from(`${entry.mode} ${entry.name}\0`), Buffer.from(entry.id, 'hex')]),
        ),
      );
      const id = objectId('tree', body, 'sha1');
      ids.set(path, id);
      return id;
    };
    idOf(root, '');
    return ids;
  }
}

export interface MemoryGitOpsRepoOptions {
  name: RepoName;
  /** Shared by every twin that writes the same repository; a new, empty one by default. */
  remote?: MemoryGitRemote;
  author?: GitAuthor;
  /** Default: 8 attempts, 1–20 ms apart (the remote is in memory: only other twins race it). */
  retry?: Partial<RetryPolicy>;
  logger?: GitOpsLogger;
}

const MEMORY_RETRY: RetryPolicy = { attempts: 8, baseDelayMs: 1, maxDelayMs: 20 };

export class MemoryGitOpsRepo implements GitOpsRepo {
  readonly name: RepoName;
  readonly displayUrl: string;
  readonly remote: MemoryGitRemote;
  private readonly author: GitAuthor;
  private readonly lock = new RepoLock({ maxConcurrentReads: 4 });
  private readonly group: GroupCommit;
  private readonly target: CommitTarget;
  /** The tree of the head as of this twin's last sync or commit (GitRepo's clone); none before the first. */
  private seen: Tree | undefined;

  constructor(options: MemoryGitOpsRepoOptions) {
    const author = options.author ?? DEFAULT_AUTHOR;
    const problems = [
      ...repoNameProblems(options.name),
      ...authorProblems(author),
      ...retryProblems(options.retry),
    ];
    if (problems.length > 0) throw new InputError(problems);
    this.name = options.name;
    this.displayUrl = `memory://${options.name}`;
    this.remote = options.remote ?? new MemoryGitRemote();
    this.author = { name: author.name, email: author.email };
    const logger = options.logger ?? SILENT;
    this.target = {
      repo: this.name,
      retry: { ...MEMORY_RETRY, ...options.retry },
      logger,
      logFields: { repo: this.name, url: this.displayUrl },
      objectFormat: () => 'sha1',
      cachedBase: () => this.seen,
      refresh: async () => this.refresh(),
      publish: (base, plan) => this.publish(base, plan),
      published: async ({ tree }) => {
        this.seen = tree;
      },
      gaveUp: ({ attempts, reason }) =>
        new ExternalError(
          `commit into the ${this.name} repo (${this.displayUrl}) failed after ${attempts} attempt(s): ${reason}`,
        ),
    };
    this.group = new GroupCommit({
      exclusive: (task) => this.lock.exclusive(task),
      commit: (changes) => commitWithRetry(changes, this.target),
      failed: (error) => error,
      unexpected: (error) =>
        logger.error({ repo: this.name, err: String(error) }, 'commit batch failed unexpectedly'),
    });
  }

  async sync(): Promise<string> {
    return this.lock.exclusive(async () => this.refresh().head);
  }

  async readTree(prefix: string): Promise<Map<string, string>> {
    const path = checkPrefix(prefix);
    return this.lock.exclusive(async () => {
      const files = new Map<string, string>();
      const tree = this.seen ?? this.refresh();
      // In git's order (by path, as `git ls-tree -r` lists them).
      for (const [name, entry] of [...tree.entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
        if (within(name, path)) files.set(name, this.remote.blob(entry.id));
      }
      return files;
    });
  }

  async log(prefix: string, options: { limit?: number } = {}): Promise<CommitInfo[]> {
    const path = checkPrefix(prefix);
    checkLogLimit(options.limit);
    const head = this.seen?.head ?? (await this.sync());
    const commits: CommitInfo[] = [];
    for (const commit of this.remote.history(head)) {
      if (options.limit !== undefined && commits.length >= options.limit) break;
      if (path !== '' && ![...commit.changed].some((changed) => within(changed, path))) continue;
      commits.push(this.remote.info(commit.sha));
    }
    return commits;
  }

  async objectIds(specs: readonly string[]): Promise<Array<string | undefined>> {
    checkObjectSpecs(specs);
    return specs.map((spec) => {
      const { commit, path, directory } = splitObjectSpec(spec);
      return this.remote.objectId(commit, path, directory);
    });
  }

  async readFileBefore(commit: string, path: string): Promise<string | undefined> {
    checkFileBefore(commit, path);
    if (!this.remote.has(commit))
      throw new NotFoundError(`commit ${commit} is not in the ${this.name} repo (${this.displayUrl})`);
    const parent = this.remote.parentOf(commit);
    return parent === '' ? undefined : this.remote.files(parent).get(path);
  }

  async isAncestor(ancestor: string, descendant: string): Promise<boolean> {
    checkAncestry(ancestor, descendant);
    if (!this.remote.has(ancestor) || !this.remote.has(descendant)) {
      throw new NotFoundError(
        `commit ${ancestor} or ${descendant} is not in the ${this.name} repo (${this.displayUrl})`,
      );
    }
    return this.remote.isAncestor(ancestor, descendant);
  }

  async commit(change: FileChange): Promise<CommitResult> {
    checkChange(change);
    return this.group.submit(change);
  }

  private refresh(): Tree {
    this.seen = this.remote.treeAt(this.remote.head);
    return this.seen;
  }

  private async publish(
    base: Tree,
    plan: Plan,
  ): Promise<{ sha: string; pushed: PushOutcome; commit?: CommitInfo }> {
    // Writing a commit takes a moment: writers that planned at the same time compare heads after it.
    await new Promise<void>((resolve) => setImmediate(resolve));
    const { sha, moved } = this.remote.publish({ base, plan, author: this.author });
    if (moved) return { sha, pushed: { ok: true }, commit: this.remote.info(sha) };
    return {
      sha,
      pushed: {
        ok: false,
        reason: `Not updating refs/heads/main (new tip ${sha} does not contain ${this.remote.head})`,
      },
    };
  }
}

/** Whether `path` is the checked prefix `prefix` or under it ('' is the whole repository). */
function within(path: string, prefix: string): boolean {
  return prefix === '' || path === prefix || path.startsWith(`${prefix}/`);
}
