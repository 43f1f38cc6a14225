/**
 * GitRepo, the GitOpsRepo adapter for one remote (ARCHITECTURE.md, The ports). It runs the git CLI: one-shot
 * commands (fetch, push, log, …) through simple-git (git.ts), every commit through one
 * long-running `git fast-import` (fast-import.ts) and every read of objects (heads, blobs, trees)
 * through one long-running `git cat-file --batch` (cat-file.ts), both spawned by itself. The files
 * of the head are kept in memory (paths and blob ids, and recently read contents by blob id), so
 * reading a tree needs git only for blobs not read before. What a commit does to the tree is
 * decided in memory, without git (plan.ts), and the compare-and-swap loop around it is
 * commit-loop.ts; this file only reads and writes git.
 *
 * Every public method runs under a per-instance lock, because the working clone is shared state.
 * Two instances (two engine replicas) must use different workdirs; they race only through push,
 * which is why a rejected push is integrated (re-apply of the change sets on the new head) and
 * retried with backoff.
 *
 * A bare repository on this machine without receive hooks (the embedded default) is written
 * directly instead: the commit is imported into it and its branch moved by the same `git
 * fast-import`, only to a commit that contains the branch's head, under the ref lock against the
 * value it read. That is what a (non-forced) push checks, without the five processes of a push
 * over the local transport; a branch that moved is handled exactly as a rejected push. No working
 * clone is made then.
 */
import { existsSync } from 'node:fs';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ConflictError, EnvcatError, ExternalError, NotFoundError } from '../core/index.js';
import { directlyWritable } from './bare.js';
import {
  checkAncestry,
  checkFileBefore,
  checkChange,
  checkLogLimit,
  checkObjectSpecs,
  checkPrefix,
} from './checks.js';
import { commitWithRetry, type CommitTarget, type PushOutcome } from './commit-loop.js';
import { BlobCache } from './blob-cache.js';
import { CatFileSession, type GitObject, type TreeObjectEntry } from './cat-file.js';
import { commitCommand, FastImportSession } from './fast-import.js';
import { baseGitEnv, GitCommandError, runGit } from './git.js';
import { parseCommitObject, parseLog, parseRemoteHead, pushRejection } from './git-output.js';
import { GroupCommit } from './group-commit.js';
import { filesUnder, readCommitTree } from './tree-read.js';
import { LogBatch, logArgs } from './log-batch.js';
import { RepoLock } from './lock.js';
import { cloneProblem, removeCloneLocks } from './clone.js';
import { releaseAbandonedPacks, removeStaleBranchLock } from './maintenance.js';
import { gitRepoSettings, type GitOpsLogger, type GitRepoOptions, type GitRepoSettings } from './options.js';
import { planMessage, type ObjectFormat, type Outcome, type Plan, type Tree } from './plan.js';
import { networkAuth } from './remote.js';
import type { CommitInfo, CommitResult, FileChange, GitOpsRepo, RepoName } from './types.js';

/** Kept for test/engine/commit-message.test.ts, which imports it from here (it lives in plan.ts). */
export { batchMessage } from './plan.js';

/** Reads of fetched commits running at once beside the lock. */
const MAX_CONCURRENT_READS = 4;
/** Commits (each a small pack) between two geometric repacks; see maintain. */
const REPACK_EVERY = 50;

/** A direct writer's fast-import ends after this long without a commit, or after this many commits. */
const IMPORTER_IDLE_MS = 10_000;
const IMPORTER_MAX_COMMITS = 1_000;
/** The cat-file reader ends after this long without a read. */
const READER_IDLE_MS = 10_000;
/** Blob contents kept by id, in UTF-16 code units (a little over that in bytes of heap). */
const BLOB_CACHE_CHARS = 8 * 1024 * 1024;

export class GitRepo implements GitOpsRepo {
  readonly name: RepoName;
  readonly displayUrl: string;
  readonly branch: string;
  readonly workdir: string;

  private readonly settings: GitRepoSettings;
  private readonly logger: GitOpsLogger;
  private readonly baseEnv: Record<string, string>;
  /** Commits go straight into the local remote (decided by prepare); git then runs in it, not in workdir. */
  private direct = false;
  /** The fast-import kept running between direct commits. */
  private importer: FastImportSession | undefined;
  /** The cat-file kept running for reads (where git runs: see gitDir). */
  private reader: CatFileSession | undefined;
  private readonly blobs = new BlobCache(BLOB_CACHE_CHARS);
  /** The tree objects of the last tree read from git, by id: a head read next reads only the ones that changed. */
  private treeObjects = new Map<string, TreeObjectEntry[]>();
  private readonly lock = new RepoLock({ maxConcurrentReads: MAX_CONCURRENT_READS });
  /** Change sets waiting for the next commit (see commit). */
  private readonly group: GroupCommit;
  /** Logs of fetched commits waiting for the next batch (see log). */
  private readonly logs: LogBatch;
  /** The workdir has been checked (or created) as a clone of our remote. */
  private ready = false;
  /** The clone has been fetched and reset at least once by this instance. */
  private synced = false;
  /**
   * The files of the remote head as of our last fetch or push: the base of the next commit. A
   * commit starts from it without fetching: if the remote moved meanwhile, the push is rejected
   * and the change sets are applied again on the new head.
   */
  private tree: Tree | undefined;
  private objectFormat: ObjectFormat = 'sha1';
  private commitsSinceMaintenance = 0;
  /** The remote branch head as of our last fetch or push: what `log` reads without the lock. */
  private publishedHead: string | undefined;

  constructor(options: GitRepoOptions) {
    const settings = gitRepoSettings(options);
    this.settings = settings;
    this.name = settings.name;
    this.displayUrl = settings.remote.displayUrl;
    this.branch = settings.branch;
    this.workdir = settings.workdir;
    this.logger = settings.logger;
    this.baseEnv = baseGitEnv();
    this.group = new GroupCommit({
      exclusive: (task) => this.exclusive(task),
      commit: (changes) => this.commitChanges(changes),
      failed: (error) => {
        this.ready = false;
        this.tree = undefined;
        return this.external(error);
      },
      unexpected: (error) =>
        this.logger.error({ repo: this.name, err: String(error) }, 'commit batch failed unexpectedly'),
    });
    this.logs = new LogBatch({
      cwd: () => this.gitDir(),
      env: this.baseEnv,
      timeoutMs: this.settings.timeoutMs,
      slot: (task) => this.lock.concurrently(task),
      alone: (read) => this.git(logArgs(read)),
    });
  }

  /** Ends the git processes kept running between commits and reads (the next one starts another). */
  async close(): Promise<void> {
    await this.exclusive(async () => {
      await Promise.all([this.importer?.close(), this.reader?.close()]);
    });
  }

  async sync(): Promise<string> {
    return this.exclusive(async () => {
      // The engine polls every few seconds: when the remote head is the one whose tree we hold, one
      // ls-remote answers instead of fetch, reset and clean.
      if (this.ready && this.synced && this.tree !== undefined) {
        const remoteHead = (await this.remoteHead()) ?? '';
        if (remoteHead === this.tree.head) return remoteHead;
      }
      return this.refresh();
    });
  }

  /** The branch head on the remote (undefined when it has no such branch), without fetching. */
  private async remoteHead(): Promise<string | undefined> {
    if (this.direct) return this.revParse(this.trackingRef());
    const output = await this.git(['ls-remote', '--quiet', 'origin', `refs/heads/${this.branch}`], {
      network: true,
    });
    return parseRemoteHead(output, this.branch);
  }

  async readTree(prefix: string): Promise<Map<string, string>> {
    const path = pathspec(checkPrefix(prefix));
    return this.exclusive(async () => {
      const head = await this.head();
      const files = new Map<string, string>();
      if (head === undefined) return files;
      const tree = this.tree?.head === head ? this.tree : await this.loadTree(head);
      // Symbolic links and submodules are not files envcat reads or writes.
      const blobs = filesUnder(tree, path[0] ?? '');
      if (blobs.length === 0) return files;
      const contents = await this.readBlobs(blobs.map(([, id]) => id));
      for (const [file, id] of blobs) files.set(file, contents.get(id)!);
      return files;
    });
  }

  /**
   * Reads of commits already fetched run beside the lock, and those that wait together share one
   * process (log-batch.ts); before the first fetch, under the lock.
   */
  async log(prefix: string, options: { limit?: number } = {}): Promise<CommitInfo[]> {
    const path = pathspec(checkPrefix(prefix))[0];
    const limit = options.limit;
    checkLogLimit(limit);
    const read = async (head: string | undefined): Promise<CommitInfo[]> => {
      if (head === undefined) return [];
      const request = {
        head,
        ...(path === undefined ? {} : { path }),
        ...(limit === undefined ? {} : { limit }),
      };
      return parseLog(await this.git(logArgs(request)));
    };
    const published = this.publishedReadable();
    if (published === '') return [];
    if (published !== undefined && path !== undefined) {
      try {
        return parseLog(
          await this.logs.read({ head: published, path, ...(limit === undefined ? {} : { limit }) }),
        );
      } catch (error) {
        throw this.external(error);
      }
    }
    if (published !== undefined) return this.concurrently(() => read(published));
    return this.exclusive(async () => read(await this.head()));
  }

  async objectIds(specs: readonly string[]): Promise<Array<string | undefined>> {
    checkObjectSpecs(specs);
    if (specs.length === 0) return [];
    const read = async () => (await this.objects(specs)).map((object) => object?.id);
    if (this.publishedReadable() !== undefined) return this.concurrently(read);
    return this.exclusive(async () => {
      await this.head();
      return read();
    });
  }

  async readFileBefore(commit: string, path: string): Promise<string | undefined> {
    checkFileBefore(commit, path);
    const read = async (): Promise<string | undefined> => {
      const [known, before] = await this.objects([`${commit}^{commit}`, `${commit}^:${path}`]);
      if (known?.type !== 'commit')
        throw new NotFoundError(`commit ${commit} is not in the ${this.name} repo (${this.displayUrl})`);
      return before?.type === 'blob' ? before.content.toString('utf8') : undefined;
    };
    if (this.publishedReadable() !== undefined) return this.concurrently(read);
    return this.exclusive(async () => {
      await this.head();
      return read();
    });
  }

  async isAncestor(ancestor: string, descendant: string): Promise<boolean> {
    checkAncestry(ancestor, descendant);
    const decide = async (): Promise<boolean> => {
      try {
        await this.git(['merge-base', '--is-ancestor', ancestor, descendant]);
        return true;
      } catch (error) {
        if (error instanceof GitCommandError && error.exitCode === 1) return false;
        throw error;
      }
    };
    // Both commits already here: the answer needs no fetch, so it need not wait for the clone.
    if (this.publishedReadable() !== undefined) {
      const known = await this.concurrently(() => this.hasCommits(ancestor, descendant));
      if (known) return this.concurrently(decide);
    }
    return this.exclusive(async () => {
      await this.head();
      // A revision reported by someone else (Argo CD) may be newer than our last fetch.
      if (!(await this.hasCommits(ancestor, descendant))) {
        await this.fetch();
        if (!(await this.hasCommits(ancestor, descendant))) {
          throw new NotFoundError(
            `commit ${ancestor} or ${descendant} is not in the ${this.name} repo (${this.displayUrl})`,
          );
        }
      }
      return decide();
    });
  }

  /**
   * Changes that arrive while the clone is busy (another commit being pushed) are committed
   * together once it is free: one commit and one push for all of them (group commit). Each change
   * is still whole in exactly one commit, and its caller learns whether it changed anything.
   */
  async commit(change: FileChange): Promise<CommitResult> {
    checkChange(change);
    return this.group.submit(change);
  }

  // ---- serialisation and errors ----

  private exclusive<T>(task: () => Promise<T>): Promise<T> {
    return this.lock.exclusive(async () => {
      try {
        return await task();
      } catch (error) {
        // Whatever failed, the next call re-checks the clone before trusting it.
        this.ready = false;
        this.tree = undefined;
        void this.importer?.close();
        void this.reader?.close();
        throw this.external(error);
      }
    });
  }

  /**
   * A read of commits that are already in the clone: objects never change, so it runs beside
   * whatever holds the clone (a commit being pushed) instead of queueing behind it. A burst of
   * reads (an engine restarting on 1,000 environments) must not start a git process each at once.
   */
  private async concurrently<T>(task: () => Promise<T>): Promise<T> {
    try {
      return await this.lock.concurrently(task);
    } catch (error) {
      throw this.external(error);
    }
  }

  /** The head last seen on the remote ('' for an empty one), when reads may use it without the lock. */
  private publishedReadable(): string | undefined {
    return this.ready && this.synced ? this.publishedHead : undefined;
  }

  private external(error: unknown): EnvcatError {
    if (error instanceof EnvcatError) return error;
    const message = error instanceof Error ? error.message : String(error);
    return new ExternalError(`${this.name} repo (${this.displayUrl}): ${message}`, { cause: error });
  }

  // ---- git ----

  private async git(args: string[], options: { network?: boolean; input?: string } = {}): Promise<string> {
    const auth = options.network
      ? await networkAuth(this.settings.remote, this.settings.credentials)
      : { env: {} as Record<string, string>, secrets: [] as string[] };
    return runGit([...this.configArgs(), ...args], {
      cwd: this.gitDir(),
      base: this.baseEnv,
      env: auth.env,
      secrets: auth.secrets,
      timeoutMs: this.settings.timeoutMs,
      ...(options.input === undefined ? {} : { input: options.input }),
    });
  }

  /** Where git runs: the local remote itself when writing to it directly, else the working clone. */
  private gitDir(): string {
    return this.direct ? this.settings.localPath! : this.workdir;
  }

  /** The ref holding the remote branch head as we last saw it. */
  private trackingRef(): string {
    return this.direct ? `refs/heads/${this.branch}` : `refs/remotes/origin/${this.branch}`;
  }

  /** Per-command configuration, so the machine's global git config cannot change what we commit. */
  private configArgs(): string[] {
    return [
      '-c',
      `user.name=${this.settings.author.name}`,
      '-c',
      `user.email=${this.settings.author.email}`,
      '-c',
      'core.autocrlf=false',
      '-c',
      'commit.gpgSign=false',
    ];
  }

  /** The objects `names` resolve to where git runs, through the long-running reader. */
  private objects(names: readonly string[]): Promise<Array<GitObject | undefined>> {
    this.reader ??= new CatFileSession({
      cwd: this.gitDir(),
      env: this.baseEnv,
      gitArgs: this.configArgs(),
      timeoutMs: this.settings.timeoutMs,
      idleMs: READER_IDLE_MS,
    });
    return this.reader.read(names);
  }

  private async revParse(ref: string): Promise<string | undefined> {
    const [object] = await this.objects([`${ref}^{commit}`]);
    return object?.type === 'commit' ? object.id : undefined;
  }

  private async hasCommits(...shas: string[]): Promise<boolean> {
    const objects = await this.objects(shas.map((sha) => `${sha}^{commit}`));
    return objects.every((object) => object?.type === 'commit');
  }

  /** The contents of blobs by id: from the cache, else read (and kept). */
  private async readBlobs(ids: string[]): Promise<Map<string, string>> {
    const contents = new Map<string, string>();
    const wanted: string[] = [];
    for (const id of new Set(ids)) {
      const cached = this.blobs.get(id);
      if (cached === undefined) wanted.push(id);
      else contents.set(id, cached);
    }
    const objects = await this.objects(wanted);
    wanted.forEach((id, index) => {
      const object = objects[index];
      if (!object) throw new ExternalError(`${this.name} repo: object ${id} could not be read`);
      if (object.type !== 'blob')
        throw new ExternalError(`${this.name} repo: git cat-file returned '${object.type}' for ${id}`);
      const text = object.content.toString('utf8');
      this.blobs.set(id, text);
      contents.set(id, text);
    });
    return contents;
  }

  // ---- the working clone ----

  /** Makes sure the workdir is a usable clone of our remote: checked once, (re)created when not. */
  private async prepare(): Promise<void> {
    if (this.ready) return;
    this.direct = false;
    await Promise.all([this.importer?.close(), this.reader?.close()]);
    this.importer = undefined;
    this.reader = undefined;
    // What was read may come from the other place git ran in (the local remote or the clone).
    this.synced = false;
    this.publishedHead = undefined;
    this.tree = undefined;
    if (
      this.settings.localWrites === 'direct' &&
      this.settings.localPath !== undefined &&
      (await directlyWritable(this.settings.localPath, {
        env: this.baseEnv,
        timeoutMs: this.settings.timeoutMs,
      }))
    ) {
      this.direct = true;
      await this.readObjectFormat();
      this.synced = false;
      this.ready = true;
      this.importer = this.newImporter();
      this.logger.info(
        { repo: this.name, url: this.displayUrl },
        'committing directly into the local repository',
      );
      return;
    }
    if (existsSync(join(this.workdir, '.git'))) {
      const problem = await cloneProblem({
        git: (args) => this.git(args),
        workdir: this.workdir,
        url: this.settings.remote.url,
      });
      if (problem === undefined) {
        await removeCloneLocks({
          repo: this.name,
          logger: this.logger,
          workdir: this.workdir,
          branch: this.branch,
        });
        await this.readObjectFormat();
        this.importer = this.newImporter();
        this.ready = true;
        return;
      }
      this.logger.warn(
        { repo: this.name, url: this.displayUrl, workdir: this.workdir, problem },
        'recreating the working clone',
      );
      await rm(this.workdir, { recursive: true, force: true });
    } else if (existsSync(this.workdir) && (await readdir(this.workdir)).length > 0) {
      throw new ConflictError(
        `workdir ${this.workdir} of the ${this.name} repo is not empty and not a git clone; refusing to overwrite it`,
        { path: '/workdir' },
      );
    }
    await mkdir(this.workdir, { recursive: true });
    await this.git(['init', '--quiet', `--initial-branch=${this.branch}`]);
    await this.git(['remote', 'add', 'origin', this.settings.remote.url]);
    await this.readObjectFormat();
    this.importer = this.newImporter();
    this.synced = false;
    this.ready = true;
    this.logger.info(
      { repo: this.name, url: this.displayUrl, workdir: this.workdir },
      'created working clone',
    );
  }

  /** The fast-import kept running where commits are written (see FastImportSession). */
  private newImporter(): FastImportSession {
    return new FastImportSession({
      cwd: this.gitDir(),
      env: this.baseEnv,
      gitArgs: [...this.configArgs(), '-c', 'fastimport.unpackLimit=0'],
      timeoutMs: this.settings.timeoutMs,
      idleMs: IMPORTER_IDLE_MS,
      maxRequests: IMPORTER_MAX_COMMITS,
    });
  }

  /** SHA-1 or SHA-256: how blob ids are computed in memory (see plan.ts). */
  private async readObjectFormat(): Promise<void> {
    const format = (await this.git(['rev-parse', '--show-object-format'])).trim();
    this.objectFormat = format === 'sha256' ? 'sha256' : 'sha1';
  }

  /** The head as of the last fetch or push ('' for an empty remote); fetches first when there is none yet. */
  private async head(): Promise<string | undefined> {
    await this.prepare();
    if (!this.synced || this.publishedHead === undefined) await this.refresh();
    return this.publishedHead || undefined;
  }

  /** Fetch, and load the tree of the remote branch head (the base of the next commit). */
  private async refresh(): Promise<string> {
    await this.prepare();
    await this.fetch();
    const remoteHead = (await this.revParse(this.trackingRef())) ?? '';
    this.tree = await this.loadTree(remoteHead);
    this.synced = true;
    this.publishedHead = remoteHead;
    return remoteHead;
  }

  /**
   * The files of `head`, from its tree objects: those of the tree read last are known by id
   * already (objects never change), so after a commit only the few trees on the paths it changed
   * are read, level by level.
   */
  private async loadTree(head: string): Promise<Tree> {
    const { tree, trees } = await readCommitTree({
      head,
      objectFormat: this.objectFormat,
      known: this.treeObjects,
      objects: (names) => this.objects(names),
      repo: this.name,
    });
    this.treeObjects = trees;
    return tree;
  }

  private async fetch(): Promise<void> {
    // Everything in the local remote is readable where git runs.
    if (this.direct) return;
    await this.git(['fetch', '--quiet', '--prune', '--no-tags', 'origin'], { network: true });
  }

  // ---- commits ----

  /**
   * The change sets are applied in memory to the tree of the head they go on (no work tree, no
   * index): what changed is known without git, and the commit is written by one `git fast-import`
   * and pushed by one `git push`, or moved into place by fast-import itself (see commitWithRetry).
   */
  private commitChanges(changes: FileChange[]): Promise<Outcome[]> {
    return commitWithRetry(changes, this.commitTarget());
  }

  private commitTarget(): CommitTarget {
    const logFields = { repo: this.name, url: this.displayUrl };
    return {
      repo: this.name,
      retry: this.settings.retry,
      logger: this.logger,
      logFields,
      objectFormat: () => this.objectFormat,
      cachedBase: () => (this.ready && this.synced ? this.tree : undefined),
      refresh: async () => {
        await this.refresh();
        return this.tree!;
      },
      publish: (base, plan) => this.publish(base, plan),
      published: async ({ tree, attempts, changes }) => {
        this.tree = tree;
        this.publishedHead = tree.head;
        this.logger.info(
          { ...logFields, sha: tree.head, attempts, changes, via: this.direct ? 'direct' : 'push' },
          'published commit',
        );
        await this.maintain();
      },
      beforeRetry: async (reason) => {
        if (this.direct && /cannot lock ref/.test(reason))
          await removeStaleBranchLock({
            repo: this.name,
            logger: this.logger,
            gitDir: this.settings.localPath!,
            branch: this.branch,
          });
      },
      gaveUp: ({ attempts, reason }) =>
        new ExternalError(
          `${this.direct ? 'commit into' : 'push to'} the ${this.name} repo (${this.displayUrl}) failed after ${attempts} attempt(s): ${reason}`,
        ),
    };
  }

  /**
   * The commit of `plan` on `base`, written and published: pushed, or imported straight into the
   * local remote; once published, as `log` lists it.
   */
  private async publish(
    base: Tree,
    plan: Plan,
  ): Promise<{ sha: string; pushed: PushOutcome; commit?: CommitInfo }> {
    const written = this.direct
      ? await this.writeCommit(base, plan, `refs/heads/${this.branch}`)
      : await this.writeCommit(base, plan, 'refs/envcat/commit');
    const { sha } = written;
    const pushed = this.direct ? written.pushed : await this.push(sha);
    if (!pushed.ok) return { sha, pushed };
    const commit = await this.describeCommit(sha);
    return { sha, pushed, ...(commit ? { commit } : {}) };
  }

  /**
   * The commit as `log` lists it, read back from git (its date is the one fast-import gave it).
   * It is published already: a failure to read it only leaves it undescribed.
   */
  private async describeCommit(sha: string): Promise<CommitInfo | undefined> {
    try {
      const [object] = await this.objects([sha]);
      return object?.type === 'commit' ? parseCommitObject(sha, object.content.toString('utf8')) : undefined;
    } catch (error) {
      this.logger.warn({ repo: this.name, sha, err: String(error) }, 'could not read back the commit made');
      return undefined;
    }
  }

  /**
   * The commit of `plan` on `base`, with its blobs and trees, written by the long-running `git
   * fast-import` (see FastImportSession). Into the local remote directly, `ref` is the branch: it
   * is moved only if the commit contains its head (it moved since `base`: no); when it was not,
   * that is the answer, as a rejected push would be. Into the working clone, `ref` only keeps the
   * commit reachable until it is pushed; whether it moved does not matter.
   */
  private async writeCommit(
    base: Tree,
    plan: Plan,
    ref: string,
  ): Promise<{ sha: string; pushed: PushOutcome }> {
    const command = commitCommand({
      ref,
      author: this.settings.author,
      message: planMessage(plan),
      parent: base.head,
      files: [...plan.changed].map((path) => ({ path, content: plan.contents.get(path) })),
    });
    const answer = await this.importer!.commit(command, ref);
    if (this.direct && answer.refused)
      return { sha: answer.sha, pushed: { ok: false, reason: answer.refused } };
    return { sha: answer.sha, pushed: { ok: true } };
  }

  private async push(sha: string): Promise<PushOutcome> {
    try {
      await this.git(['push', '--porcelain', '--no-verify', 'origin', `${sha}:refs/heads/${this.branch}`], {
        network: true,
      });
      return { ok: true };
    } catch (error) {
      // A rejected ref (another writer got there first, or a hook declined) is a race to retry;
      // anything else (network, auth) is not retried here.
      if (error instanceof GitCommandError) {
        const reason = pushRejection(error.stdout);
        if (reason !== undefined) return { ok: false, reason };
      }
      throw error;
    }
  }

  /**
   * Each fast-import checkpoint leaves a small pack (writing its objects loose instead costs 5–10
   * times as long): every REPACK_EVERY commits, when no commit is waiting (or after twice as many
   * in any case, so a repo under constant load is maintained too), the small packs are merged
   * geometrically (cheap, proportional to the new packs), and `git gc --auto` takes care of the
   * loose objects small fetches leave.
   */
  private async maintain(): Promise<void> {
    const due = ++this.commitsSinceMaintenance;
    if (due < REPACK_EVERY || (this.group.waiting > 0 && due < 2 * REPACK_EVERY)) return;
    this.commitsSinceMaintenance = 0;
    // The packs it wrote are merged and deleted: it must not read them afterwards, nor the reader.
    await Promise.all([this.importer?.close(), this.reader?.close()]);
    await releaseAbandonedPacks({
      repo: this.name,
      logger: this.logger,
      gitDir: this.direct ? this.settings.localPath! : join(this.workdir, '.git'),
    });
    await this.git(['repack', '-d', '-q', '--geometric=2']);
    await this.git(['-c', 'gc.autoDetach=false', 'gc', '--auto', '--quiet']);
  }
}

/** The pathspec of a checked prefix: none for the whole repository. */
function pathspec(prefix: string): string[] {
  return prefix === '' ? [] : [prefix];
}
