/**
 * GitRepo, the GitOpsRepo adapter for one remote (ARCHITECTURE.md, The ports). It runs the git
 * CLI: one-shot commands (fetch, push, log, …) through simple-git (git.ts), every commit through
 * one long-running `git fast-import` (commit-writer.ts) and every read of objects (heads, blobs,
 * trees) through one long-running `git cat-file --batch` (object-reader.ts). The files of the
 * head are kept in memory (paths and blob ids), so reading a tree needs git only for blobs not
 * read before. What a commit does to the tree is decided in memory, without git (plan.ts), and
 * the compare-and-swap loop around it is commit-loop.ts. This file holds what they share: where
 * git runs, the head as last seen, and which calls wait for which.
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
import { EnvcatError, ExternalError, NotFoundError } from '../core/index.js';
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
import { CommitWriter, type Place } from './commit-writer.js';
import { CatFileSession } from './cat-file.js';
import { FastImportSession } from './fast-import.js';
import { baseGitEnv, GitCommandError, runGit } from './git.js';
import { parseLog, parseRemoteHead } from './git-output.js';
import { GroupCommit } from './group-commit.js';
import { filesUnder } from './tree-read.js';
import { LogBatch, logArgs } from './log-batch.js';
import { RepoLock } from './lock.js';
import { openClone } from './clone.js';
import { gitRepoSettings, type GitOpsLogger, type GitRepoOptions, type GitRepoSettings } from './options.js';
import { ObjectReader } from './object-reader.js';
import type { ObjectFormat, Outcome, Plan, Tree } from './plan.js';
import { networkAuth } from './remote.js';
import type { CommitInfo, CommitResult, FileChange, GitOpsRepo, RepoName } from './types.js';

/** Kept for test/engine/commit-message.test.ts, which imports it from here (it lives in plan.ts). */
export { batchMessage } from './plan.js';

/** Reads of fetched commits running at once beside the lock. */
const MAX_CONCURRENT_READS = 4;

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
  /** Reads of objects where git runs (see gitDir). */
  private readonly reader: ObjectReader;
  /** Writes commits where git runs, and publishes them. */
  private readonly writer: CommitWriter;
  private readonly lock = new RepoLock({ maxConcurrentReads: MAX_CONCURRENT_READS });
  /** Change sets waiting for the next commit (see commit). */
  private readonly group: GroupCommit;
  /** Logs of fetched commits waiting for the next batch (see log). */
  private readonly logs: LogBatch;
  /** The workdir has been checked (or created) as a clone of our remote. */
  private ready = false;
  /** A batch published a commit since the last maintenance check. */
  private publishedSinceMaintenance = false;
  /** Set by close(): no git process is kept running any more. */
  private closed = false;
  /** The clone has been fetched and reset at least once by this instance. */
  private synced = false;
  /**
   * The files of the remote head as of our last fetch or push: the base of the next commit. A
   * commit starts from it without fetching: if the remote moved meanwhile, the push is rejected
   * and the change sets are applied again on the new head.
   */
  private tree: Tree | undefined;
  private objectFormat: ObjectFormat = 'sha1';
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
    this.reader = new ObjectReader({
      repo: this.name,
      open: (limits) => {
        this.assertOpen();
        return new CatFileSession({
          cwd: this.gitDir(),
          env: this.baseEnv,
          gitArgs: this.configArgs(),
          timeoutMs: this.settings.timeoutMs,
          ...limits,
        });
      },
    });
    this.writer = new CommitWriter({
      repo: this.name,
      branch: this.branch,
      author: settings.author,
      logger: this.logger,
      place: () => this.place(),
      startImporter: (limits) => {
        this.assertOpen();
        return new FastImportSession({
          cwd: this.gitDir(),
          env: this.baseEnv,
          gitArgs: [...this.configArgs(), '-c', 'fastimport.unpackLimit=0'],
          timeoutMs: this.settings.timeoutMs,
          ...limits,
        });
      },
      git: (args, options) => this.git(args, options),
      closeReads: () => this.reader.close(),
    });
    this.group = new GroupCommit({
      exclusive: (task) => this.exclusive(task),
      commit: (changes) => this.commitChanges(changes),
      failed: (error) => {
        this.ready = false;
        this.tree = undefined;
        return this.external(error);
      },
      afterBatch: () => this.maintain(),
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

  /**
   * Ends the git processes kept running between commits and reads, for good, once the work queued
   * before has run: a read or commit after it that would start one fails instead (a read still
   * under way when its owner shut down used to start a `cat-file` that outlived it).
   */
  async close(): Promise<void> {
    await this.exclusive(async () => {
      this.closed = true;
      await Promise.all([this.writer.close(), this.reader.close()]);
    });
  }

  /** Before a git process that is kept running is started. */
  private assertOpen(): void {
    if (this.closed) throw new ExternalError(`the ${this.name} repo (${this.displayUrl}) was closed`);
  }

  async sync(): Promise<string> {
    return this.exclusive(async () => {
      // The engine polls every few seconds: when the remote head is the one whose tree we hold, one
      // ls-remote answers instead of fetch, reset and clean.
      let head: string | undefined;
      if (this.ready && this.synced && this.tree !== undefined) {
        const remoteHead = (await this.remoteHead()) ?? '';
        if (remoteHead === this.tree.head) head = remoteHead;
      }
      head ??= await this.refresh();
      if (this.settings.keepCommitterReady) this.writer.ready();
      return head;
    });
  }

  /** The branch head on the remote (undefined when it has no such branch), without fetching. */
  private async remoteHead(): Promise<string | undefined> {
    if (this.direct) return this.reader.commitId(this.trackingRef());
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
      const contents = await this.reader.blobs(blobs.map(([, id]) => id));
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
    const read = async () => (await this.reader.read(specs)).map((object) => object?.id);
    if (this.publishedReadable() !== undefined) return this.concurrently(read);
    return this.exclusive(async () => {
      await this.head();
      return read();
    });
  }

  async readFileBefore(commit: string, path: string): Promise<string | undefined> {
    checkFileBefore(commit, path);
    const read = async (): Promise<string | undefined> => {
      const [known, before] = await this.reader.read([`${commit}^{commit}`, `${commit}^:${path}`]);
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
      const known = await this.concurrently(() => this.reader.hasCommits([ancestor, descendant]));
      if (known) return this.concurrently(decide);
    }
    return this.exclusive(async () => {
      await this.head();
      // A revision reported by someone else (Argo CD) may be newer than our last fetch.
      if (!(await this.reader.hasCommits([ancestor, descendant]))) {
        await this.fetch();
        if (!(await this.reader.hasCommits([ancestor, descendant]))) {
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
        void this.writer.close();
        void this.reader.close();
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

  private place(): Place {
    return this.direct
      ? { direct: true, gitDir: this.settings.localPath! }
      : { direct: false, workdir: this.workdir };
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

  // ---- where git runs, and the head ----

  /**
   * Decides where git runs (once, and again after any failure): in the local remote itself when
   * it may be written directly (bare.ts), else in a working clone, checked or (re)made.
   */
  private async prepare(): Promise<void> {
    if (this.ready) return;
    this.direct = false;
    await Promise.all([this.writer.close(), this.reader.close()]);
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
      this.logger.info(
        { repo: this.name, url: this.displayUrl },
        'committing directly into the local repository',
      );
    } else {
      await openClone({
        repo: this.name,
        logger: this.logger,
        git: (args) => this.git(args),
        workdir: this.workdir,
        branch: this.branch,
        url: this.settings.remote.url,
        displayUrl: this.displayUrl,
      });
    }
    await this.readObjectFormat();
    this.ready = true;
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
    const remoteHead = (await this.reader.commitId(this.trackingRef())) ?? '';
    this.tree = await this.loadTree(remoteHead);
    this.synced = true;
    this.publishedHead = remoteHead;
    return remoteHead;
  }

  private loadTree(head: string): Promise<Tree> {
    return this.reader.tree(head, this.objectFormat);
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
        this.publishedSinceMaintenance = true;
      },
      beforeRetry: (reason) => this.writer.beforeRetry(reason),
      gaveUp: ({ attempts, reason }) =>
        new ExternalError(
          `${this.direct ? 'commit into' : 'push to'} the ${this.name} repo (${this.displayUrl}) failed after ${attempts} attempt(s): ${reason}`,
        ),
    };
  }

  /**
   * Maintenance after a batch that published a commit (CommitWriter.published). Its callers already
   * have their outcome, so a failure here is not theirs: it is logged, and the clone checked again
   * before the next commit.
   */
  private async maintain(): Promise<void> {
    if (!this.publishedSinceMaintenance) return;
    this.publishedSinceMaintenance = false;
    try {
      await this.writer.published(this.group.waiting);
    } catch (error) {
      this.ready = false;
      this.logger.error(
        { repo: this.name, url: this.displayUrl, err: String(error) },
        'maintenance after a commit failed; the clone is checked again before the next commit',
      );
    }
  }

  /**
   * The commit of `plan` on `base`, written and published: pushed, or imported straight into the
   * local remote; once published, as `log` lists it.
   */
  private publish(base: Tree, plan: Plan): Promise<{ sha: string; pushed: PushOutcome; commit: CommitInfo }> {
    return this.writer.write(base, plan);
  }
}

/** The pathspec of a checked prefix: none for the whole repository. */
function pathspec(prefix: string): string[] {
  return prefix === '' ? [] : [prefix];
}
