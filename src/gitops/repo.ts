/**
 * The GitOps writer: a working clone of one remote, driven with simple-git (DESIGN §5).
 *
 * Every public method runs under a per-instance promise-chain mutex, because the working clone is
 * shared state. Two instances (two engine replicas) must use different workdirs; they race only
 * through push, which is why a rejected push is integrated (re-apply of the change sets on the new
 * head) and retried with backoff.
 *
 * A bare repository on this machine without receive hooks (the embedded default) is written
 * directly instead: the commit is imported into it and its branch moved by the same `git
 * fast-import`, only to a commit that contains the branch's head, under the ref lock against the
 * value it read. That is what a (non-forced) push checks, without the five processes of a push
 * over the local transport; a branch that moved is handled exactly as a rejected push. No working
 * clone is made then.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { access, constants, mkdir, readdir, readFile, realpath, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  ConflictError,
  EnvcatError,
  ExternalError,
  InputError,
  NotFoundError,
  pointer,
  type Problem,
} from '../core/index.js';
import { FastImportSession } from './fast-import.js';
import { baseGitEnv, GitCommandError, runGit, runGitBuffer } from './git.js';
import { branchProblem, changeProblems, repoPathProblem } from './paths.js';
import { credentialProblems, networkAuth, parseRemote, type GitCredentials, type Remote } from './remote.js';
import { backoffDelay, DEFAULT_RETRY, retryProblems, sleep, type RetryPolicy } from './retry.js';
import type { CommitInfo, CommitResult, FileChange, GitOpsRepo, RepoName } from './types.js';

/** A structured logger with pino's `(object, message)` signature. */
export interface GitOpsLogger {
  debug(object: Record<string, unknown>, message: string): void;
  info(object: Record<string, unknown>, message: string): void;
  warn(object: Record<string, unknown>, message: string): void;
  error(object: Record<string, unknown>, message: string): void;
}

export interface GitAuthor {
  name: string;
  email: string;
}

export interface GitRepoOptions {
  name: RepoName;
  /** Local path, file://, git://, http(s):// or ssh:// / scp-style `user@host:path`. */
  url: string;
  /** Default `main`. */
  branch?: string;
  /** The working clone's directory; owned by this instance (no other instance may share it). */
  workdir: string;
  credentials?: GitCredentials;
  /** Author and committer of every commit. Default `envcat <envcat@localhost>`. */
  author?: GitAuthor;
  retry?: Partial<RetryPolicy>;
  logger?: GitOpsLogger;
  /** A git process that produces no output for this long is killed (default 120 s). */
  commandTimeoutMs?: number;
  /**
   * How commits reach a bare repository on this machine: `direct` (default) imports them into it
   * when it has no receive hooks (see the module comment); `push` always uses a working clone and
   * `git push`, as for a network remote.
   */
  localWrites?: 'direct' | 'push';
}

export const DEFAULT_AUTHOR: GitAuthor = { name: 'envcat', email: 'envcat@localhost' };
const DEFAULT_TIMEOUT_MS = 120_000;
const REPO_NAMES: readonly RepoName[] = ['platform', 'apps'];
const SHA = /^[0-9a-f]{40}([0-9a-f]{24})?$/;
/** Reads of fetched commits running at once beside the lock. */
const MAX_CONCURRENT_READS = 4;
/** Commits (each a small pack) between two geometric repacks; see maintain. */
const REPACK_EVERY = 50;
/** Most change sets one commit carries. */
const MAX_BATCH = 200;

/**
 * Hooks a push runs in the receiving repository: one that has any of them is always pushed to, so
 * they run. (A reference-transaction hook that declines would make fast-import abort, not refuse.)
 */
const RECEIVE_HOOKS = [
  'pre-receive',
  'update',
  'proc-receive',
  'reference-transaction',
  'post-receive',
  'post-update',
];
/** A direct writer's fast-import ends after this long without a commit, or after this many commits. */
const IMPORTER_IDLE_MS = 10_000;
const IMPORTER_MAX_COMMITS = 1_000;
/** A `.keep` mark of fast-import this old belongs to a process that is gone (see releaseAbandonedPacks). */
const ABANDONED_KEEP_MS = 10 * 60_000;
/** A ref lock this old belongs to a process that is gone (see removeStaleBranchLock). */
const STALE_LOCK_MS = 60_000;

const SILENT: GitOpsLogger = { debug() {}, info() {}, warn() {}, error() {} };

type PushOutcome = { ok: true } | { ok: false; reason: string };
type Outcome = { result: CommitResult } | { error: EnvcatError };

interface PendingCommit {
  change: FileChange;
  resolve: (result: CommitResult) => void;
  reject: (error: unknown) => void;
}

export class GitRepo implements GitOpsRepo {
  readonly name: RepoName;
  readonly displayUrl: string;
  readonly branch: string;
  readonly workdir: string;

  private readonly remote: Remote;
  private readonly credentials: GitCredentials | undefined;
  private readonly author: GitAuthor;
  private readonly retry: RetryPolicy;
  private readonly logger: GitOpsLogger;
  private readonly timeoutMs: number;
  private readonly baseEnv: Record<string, string>;
  private readonly localWrites: 'direct' | 'push';
  /** The remote's directory when it is on this machine. */
  private readonly localPath: string | undefined;
  /** Commits go straight into the local remote (decided by prepare); git then runs in it, not in workdir. */
  private direct = false;
  /** The fast-import kept running between direct commits. */
  private importer: FastImportSession | undefined;
  private queue: Promise<void> = Promise.resolve();
  /** Reads running beside the lock (see concurrently), and reads waiting for a slot. */
  private reading = 0;
  private readonly readers: Array<() => void> = [];
  /** Change sets waiting for the next commit (see commit). */
  private pending: PendingCommit[] = [];
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
  private objectFormat: 'sha1' | 'sha256' = 'sha1';
  private commitsSinceMaintenance = 0;
  /** The remote branch head as of our last fetch or push: what `log` reads without the lock. */
  private publishedHead: string | undefined;

  constructor(options: GitRepoOptions) {
    const problems: Problem[] = [];
    if (!REPO_NAMES.includes(options.name)) {
      problems.push({ path: '/name', message: `must be one of ${REPO_NAMES.join(', ')}` });
    }
    let remote: Remote | undefined;
    try {
      remote = parseRemote(options.url);
    } catch (error) {
      if (!(error instanceof InputError)) throw error;
      problems.push(...error.problems);
    }
    const branch = options.branch ?? 'main';
    const branchIssue = branchProblem(branch);
    if (branchIssue) problems.push({ path: '/branch', message: branchIssue });
    if (typeof options.workdir !== 'string' || options.workdir.trim() === '') {
      problems.push({ path: '/workdir', message: 'must be a directory path' });
    }
    const author = options.author ?? DEFAULT_AUTHOR;
    for (const key of ['name', 'email'] as const) {
      const value = author[key];
      if (typeof value !== 'string' || value.trim() === '' || /[<>\n\r\0]/.test(value)) {
        problems.push({
          path: pointer('author', key),
          message: "must be non-empty, without '<', '>' or line breaks",
        });
      }
    }
    if (remote) problems.push(...credentialProblems(remote, options.credentials));
    problems.push(...retryProblems(options.retry));
    const timeoutMs = options.commandTimeoutMs ?? DEFAULT_TIMEOUT_MS;
    if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
      problems.push({ path: '/commandTimeoutMs', message: 'must be a positive number' });
    }
    const localWrites = options.localWrites ?? 'direct';
    if (localWrites !== 'direct' && localWrites !== 'push') {
      problems.push({ path: '/localWrites', message: "must be 'direct' or 'push'" });
    }
    if (problems.length > 0 || !remote) throw new InputError(problems);

    this.name = options.name;
    this.remote = remote;
    this.displayUrl = remote.displayUrl;
    this.branch = branch;
    this.workdir = resolve(options.workdir);
    this.credentials = options.credentials;
    this.author = { name: author.name, email: author.email };
    this.retry = { ...DEFAULT_RETRY, ...options.retry };
    this.logger = options.logger ?? SILENT;
    this.timeoutMs = timeoutMs;
    this.baseEnv = baseGitEnv();
    this.localWrites = localWrites;
    if (remote.kind === 'local') this.localPath = remote.url;
    else if (remote.kind === 'file') this.localPath = fileURLToPath(remote.url);
  }

  /** Ends the git process kept running between direct commits (the next commit starts another). */
  async close(): Promise<void> {
    await this.exclusive(async () => {
      await this.importer?.close();
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
    const line = output.split('\n').find((entry) => entry.endsWith(`\trefs/heads/${this.branch}`));
    return line?.split('\t')[0];
  }

  async readTree(prefix: string): Promise<Map<string, string>> {
    const path = this.checkPrefix(prefix);
    return this.exclusive(async () => {
      const head = await this.head();
      const files = new Map<string, string>();
      if (head === undefined) return files;
      const listing = await this.git(['--literal-pathspecs', 'ls-tree', '-r', '-z', head, '--', ...path]);
      const blobs: Array<{ path: string; sha: string }> = [];
      for (const entry of listing.split('\0')) {
        if (entry === '') continue;
        const tab = entry.indexOf('\t');
        const [mode, type, sha] = entry.slice(0, tab).split(' ');
        // Symbolic links and submodules are not files envcat reads or writes.
        if (type === 'blob' && mode !== '120000' && sha) blobs.push({ path: entry.slice(tab + 1), sha });
      }
      if (blobs.length === 0) return files;
      const contents = await this.readBlobs(blobs.map((blob) => blob.sha));
      for (const blob of blobs) files.set(blob.path, contents.get(blob.sha)!);
      return files;
    });
  }

  async log(prefix: string, options: { limit?: number } = {}): Promise<CommitInfo[]> {
    const path = this.checkPrefix(prefix);
    const limit = options.limit;
    if (limit !== undefined && (!Number.isInteger(limit) || limit < 1)) {
      throw new InputError([{ path: '/limit', message: 'must be an integer ≥ 1' }]);
    }
    const read = async (head: string | undefined): Promise<CommitInfo[]> => {
      if (head === undefined) return [];
      const output = await this.git([
        '-c',
        'log.showSignature=false',
        '--literal-pathspecs',
        'log',
        '-z',
        '--format=%H%n%aI%n%an <%ae>%n%B',
        ...(limit === undefined ? [] : [`--max-count=${limit}`]),
        head,
        '--',
        ...path,
      ]);
      return output
        .split('\0')
        .filter((record) => record.trim() !== '')
        .map((record) => {
          const [sha, date, author, ...message] = record.replace(/^\n/, '').split('\n');
          return { sha: sha!, date: date!, author: author!, message: message.join('\n').trimEnd() };
        });
    };
    const published = this.publishedReadable();
    if (published !== undefined) return this.concurrently(() => read(published || undefined));
    return this.exclusive(async () => read(await this.head()));
  }

  async objectIds(specs: readonly string[]): Promise<Array<string | undefined>> {
    const problems: Problem[] = [];
    specs.forEach((spec, index) => {
      const colon = spec.indexOf(':');
      const problem =
        colon < 0 || !SHA.test(spec.slice(0, colon))
          ? 'must be <commit sha>:<path>'
          : repoPathProblem(spec.slice(colon + 1), { directory: true, allowRoot: true });
      if (problem) problems.push({ path: pointer('specs', index), message: problem });
    });
    if (problems.length > 0) throw new InputError(problems);
    if (specs.length === 0) return [];
    const read = async () => {
      const output = await this.git(['cat-file', '--batch-check=%(objectname)'], {
        input: `${specs.join('\n')}\n`,
      });
      const lines = output.split('\n');
      return specs.map((_, index) => {
        const line = lines[index] ?? '';
        return SHA.test(line) ? line : undefined;
      });
    };
    if (this.publishedReadable() !== undefined) return this.concurrently(read);
    return this.exclusive(async () => {
      await this.head();
      return read();
    });
  }

  async isAncestor(ancestor: string, descendant: string): Promise<boolean> {
    const problems: Problem[] = [];
    if (!SHA.test(ancestor)) problems.push({ path: '/ancestor', message: 'must be a full commit sha' });
    if (!SHA.test(descendant)) problems.push({ path: '/descendant', message: 'must be a full commit sha' });
    if (problems.length > 0) throw new InputError(problems);
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
    const problems = changeProblems(change);
    if (problems.length > 0) throw new InputError(problems);
    return new Promise<CommitResult>((resolve, reject) => {
      this.pending.push({ change, resolve, reject });
      if (this.pending.length === 1) this.scheduleFlush();
    });
  }

  private scheduleFlush(): void {
    void this.exclusive(async () => {
      const batch = this.pending.splice(0, MAX_BATCH);
      if (this.pending.length > 0) this.scheduleFlush();
      await this.commitBatch(batch);
    }).catch((error: unknown) =>
      // commitBatch settles every caller itself; this is only reached by a bug.
      this.logger.error({ repo: this.name, err: String(error) }, 'commit batch failed unexpectedly'),
    );
  }

  // ---- serialisation and errors ----

  private exclusive<T>(task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(async () => {
      try {
        return await task();
      } catch (error) {
        // Whatever failed, the next call re-checks the clone before trusting it.
        this.ready = false;
        this.tree = undefined;
        void this.importer?.close();
        throw this.external(error);
      }
    });
    this.queue = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  /**
   * A read of commits that are already in the clone: objects never change, so it runs beside
   * whatever holds the clone (a commit being pushed) instead of queueing behind it.
   */
  private async concurrently<T>(task: () => Promise<T>): Promise<T> {
    // A burst of reads (an engine restarting on 1,000 environments) must not start a git process each at once.
    while (this.reading >= MAX_CONCURRENT_READS)
      await new Promise<void>((resolve) => this.readers.push(resolve));
    this.reading++;
    try {
      return await task();
    } catch (error) {
      throw this.external(error);
    } finally {
      this.reading--;
      this.readers.shift()?.();
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

  private checkPrefix(prefix: string): string[] {
    const problem = repoPathProblem(prefix, { directory: true, allowRoot: true });
    if (problem) throw new InputError([{ path: '/prefix', message: problem }]);
    const path = prefix.replace(/\/$/, '');
    return path === '' ? [] : [path];
  }

  // ---- git ----

  private async git(args: string[], options: { network?: boolean; input?: string } = {}): Promise<string> {
    const auth = options.network
      ? await networkAuth(this.remote, this.credentials)
      : { env: {} as Record<string, string>, secrets: [] as string[] };
    return runGit([...this.configArgs(), ...args], {
      cwd: this.gitDir(),
      base: this.baseEnv,
      env: auth.env,
      secrets: auth.secrets,
      timeoutMs: this.timeoutMs,
      ...(options.input === undefined ? {} : { input: options.input }),
    });
  }

  /** Where git runs: the local remote itself when writing to it directly, else the working clone. */
  private gitDir(): string {
    return this.direct ? this.localPath! : this.workdir;
  }

  /** The ref holding the remote branch head as we last saw it. */
  private trackingRef(): string {
    return this.direct ? `refs/heads/${this.branch}` : `refs/remotes/origin/${this.branch}`;
  }

  /** Per-command configuration, so the machine's global git config cannot change what we commit. */
  private configArgs(): string[] {
    return [
      '-c',
      `user.name=${this.author.name}`,
      '-c',
      `user.email=${this.author.email}`,
      '-c',
      'core.autocrlf=false',
      '-c',
      'commit.gpgSign=false',
    ];
  }

  private async revParse(ref: string): Promise<string | undefined> {
    try {
      return (await this.git(['rev-parse', '--verify', '--quiet', `${ref}^{commit}`])).trim();
    } catch (error) {
      if (error instanceof GitCommandError && error.exitCode === 1) return undefined;
      throw error;
    }
  }

  private async hasCommits(...shas: string[]): Promise<boolean> {
    for (const sha of shas) if ((await this.revParse(sha)) === undefined) return false;
    return true;
  }

  private async readBlobs(shas: string[]): Promise<Map<string, string>> {
    const unique = [...new Set(shas)];
    const output = await runGitBuffer(['--batch'], {
      cwd: this.gitDir(),
      base: this.baseEnv,
      input: `${unique.join('\n')}\n`,
      timeoutMs: this.timeoutMs,
    });
    const contents = new Map<string, string>();
    let offset = 0;
    while (offset < output.length) {
      const newline = output.indexOf(0x0a, offset);
      if (newline < 0) break;
      const [sha, type, size] = output.toString('utf8', offset, newline).split(' ');
      if (type !== 'blob' || size === undefined) {
        throw new ExternalError(`${this.name} repo: git cat-file returned '${type ?? ''}' for ${sha ?? '?'}`);
      }
      const start = newline + 1;
      const end = start + Number(size);
      contents.set(sha!, output.toString('utf8', start, end));
      offset = end + 1;
    }
    const missing = unique.find((sha) => !contents.has(sha));
    if (missing) throw new ExternalError(`${this.name} repo: object ${missing} could not be read`);
    return contents;
  }

  // ---- the working clone ----

  /** Makes sure the workdir is a usable clone of our remote: checked once, (re)created when not. */
  private async prepare(): Promise<void> {
    if (this.ready) return;
    this.direct = false;
    await this.importer?.close();
    this.importer = undefined;
    // What was read may come from the other place git ran in (the local remote or the clone).
    this.synced = false;
    this.publishedHead = undefined;
    this.tree = undefined;
    if (await this.canWriteDirectly()) {
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
      const problem = await this.inspect();
      if (problem === undefined) {
        await this.removeStaleLocks();
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
    await this.git(['remote', 'add', 'origin', this.remote.url]);
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
      timeoutMs: this.timeoutMs,
      idleMs: IMPORTER_IDLE_MS,
      maxRequests: IMPORTER_MAX_COMMITS,
    });
  }

  /**
   * Whether commits may go straight into the remote: it is a bare repository on this machine and
   * has no receive hook that a push would run. Anything unexpected leaves it to the working clone,
   * whose fetch reports the problem.
   */
  private async canWriteDirectly(): Promise<boolean> {
    const path = this.localPath;
    if (this.localWrites !== 'direct' || path === undefined || !existsSync(path)) return false;
    let answer: string;
    try {
      answer = await runGit(
        ['rev-parse', '--is-bare-repository', '--absolute-git-dir', '--git-path', 'hooks'],
        {
          cwd: path,
          base: this.baseEnv,
          timeoutMs: this.timeoutMs,
        },
      );
    } catch (error) {
      if (error instanceof GitCommandError) return false;
      throw error;
    }
    const [bare, gitDir, hooks] = answer.trim().split('\n');
    if (bare !== 'true' || gitDir !== (await realpath(path)) || hooks === undefined) return false;
    for (const hook of RECEIVE_HOOKS) {
      try {
        await access(resolve(gitDir, hooks, hook), constants.X_OK);
        return false;
      } catch {
        // Not there or not executable: git would not run it either.
      }
    }
    return true;
  }

  /** Why the existing workdir is not a clone we can use, or undefined when it is. */
  private async inspect(): Promise<string | undefined> {
    try {
      // A broken .git makes git search the parent directories: make sure it found ours.
      const gitDir = (await this.git(['rev-parse', '--absolute-git-dir'])).trim();
      if (gitDir !== (await realpath(join(this.workdir, '.git')))) return 'not a git repository';
      const url = (await this.git(['config', '--get', 'remote.origin.url'])).trim();
      if (url !== this.remote.url) return 'a clone of another remote';
      await this.git(['symbolic-ref', '--quiet', 'HEAD']);
      return undefined;
    } catch (error) {
      if (error instanceof GitCommandError) return `unreadable clone (${error.message.split('\n')[0]})`;
      throw error;
    }
  }

  /** SHA-1 or SHA-256: how blob ids are computed in memory (see plan). */
  private async readObjectFormat(): Promise<void> {
    const format = (await this.git(['rev-parse', '--show-object-format'])).trim();
    this.objectFormat = format === 'sha256' ? 'sha256' : 'sha1';
  }

  /**
   * Lock files left by a killed git process (fast-import's ref, a fetch's remote-tracking ref):
   * they would make every later command fail. Nothing else uses this clone (see the mutex).
   */
  private async removeStaleLocks(): Promise<void> {
    const git = join(this.workdir, '.git');
    for (const lock of [
      join(git, 'index.lock'),
      join(git, 'packed-refs.lock'),
      join(git, 'refs', 'envcat', 'commit.lock'),
      join(git, 'refs', 'remotes', 'origin', `${this.branch}.lock`),
    ]) {
      if (!existsSync(lock)) continue;
      this.logger.warn(
        { repo: this.name, workdir: this.workdir, lock: lock.slice(git.length + 1) },
        'removing a stale lock',
      );
      await rm(lock, { force: true });
    }
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

  private async refreshTree(): Promise<Tree> {
    await this.refresh();
    return this.tree!;
  }

  private async loadTree(head: string): Promise<Tree> {
    const entries = new Map<string, TreeEntry>();
    const directories = new Set<string>();
    if (head) {
      const listing = await this.git(['ls-tree', '-r', '-z', '--full-tree', head]);
      for (const entry of listing.split('\0')) {
        if (entry === '') continue;
        const tab = entry.indexOf('\t');
        const [mode, , id] = entry.slice(0, tab).split(' ');
        const path = entry.slice(tab + 1);
        entries.set(path, { mode: mode!, id: id! });
        for (let dir = parentOf(path); dir !== ''; dir = parentOf(dir)) directories.add(dir);
      }
    }
    return { head, entries, directories };
  }

  private async fetch(): Promise<void> {
    // Everything in the local remote is readable where git runs.
    if (this.direct) return;
    await this.git(['fetch', '--quiet', '--prune', '--no-tags', 'origin'], { network: true });
  }

  /** Commits a batch; a change set that cannot be applied fails alone, the others still land. */
  private async commitBatch(batch: PendingCommit[]): Promise<void> {
    let outcomes: Outcome[];
    try {
      outcomes = await this.commitChanges(batch.map((pending) => pending.change));
    } catch (error) {
      this.ready = false;
      this.tree = undefined;
      for (const pending of batch) pending.reject(this.external(error));
      return;
    }
    outcomes.forEach((outcome, index) => {
      if ('error' in outcome) batch[index]!.reject(outcome.error);
      else batch[index]!.resolve(outcome.result);
    });
  }

  /**
   * The change sets are applied in memory to the tree of the head they go on (no work tree, no
   * index): what changed is known without git, and the commit is written by one `git fast-import`
   * and pushed by one `git push`. A rejected push means the remote moved: the change sets are
   * applied again to its new head (our files are desired state, so they win over whatever the
   * other writer put there; its commit stays in history).
   */
  private async commitChanges(changes: FileChange[]): Promise<Outcome[]> {
    const optimistic = this.ready && this.synced && this.tree !== undefined;
    let base = optimistic ? this.tree! : await this.refreshTree();
    let plan = this.plan(changes, base);
    if (plan.changed.size === 0 && optimistic) {
      // Nothing changed against what we last saw; the remote may have moved, so check against it.
      base = await this.refreshTree();
      plan = this.plan(changes, base);
    }
    const finish = (attempts: number, sha: string): Outcome[] =>
      changes.map((_, index) => {
        const refused = plan.refused[index];
        return refused
          ? { error: refused }
          : { result: { changed: plan.effective[index]!, sha, attempts, base: base.head } };
      });
    if (plan.changed.size === 0) {
      this.logger.debug({ repo: this.name, url: this.displayUrl, sha: base.head }, 'nothing to commit');
      return finish(0, base.head);
    }
    let { sha, pushed } = await this.publish(base, plan);
    for (let attempt = 1; ; attempt++) {
      if (pushed.ok) {
        this.tree = { head: sha, entries: plan.entries, directories: plan.directories };
        this.publishedHead = sha;
        this.logger.info(
          {
            repo: this.name,
            url: this.displayUrl,
            sha,
            attempts: attempt,
            changes: plan.effective.filter(Boolean).length,
            via: this.direct ? 'direct' : 'push',
          },
          'published commit',
        );
        await this.maintain();
        return finish(attempt, sha);
      }
      if (attempt >= this.retry.attempts) {
        this.logger.error(
          { repo: this.name, url: this.displayUrl, sha, attempts: attempt, reason: pushed.reason },
          'commit not published after the last attempt',
        );
        throw new ExternalError(
          `${this.direct ? 'commit into' : 'push to'} the ${this.name} repo (${this.displayUrl}) failed after ${attempt} attempt(s): ${pushed.reason}`,
        );
      }
      if (this.direct && /cannot lock ref/.test(pushed.reason)) await this.removeStaleBranchLock();
      const delayMs = backoffDelay(this.retry, attempt);
      this.logger.warn(
        { repo: this.name, url: this.displayUrl, sha, attempt, reason: pushed.reason, delayMs },
        'commit rejected, applying the change sets again on the remote head and retrying',
      );
      await sleep(delayMs);
      base = await this.refreshTree();
      plan = this.plan(changes, base);
      if (plan.changed.size === 0) {
        this.logger.info(
          { repo: this.name, url: this.displayUrl, sha: base.head, attempts: attempt },
          'the remote head already holds the change',
        );
        return finish(attempt, base.head);
      }
      ({ sha, pushed } = await this.publish(base, plan));
    }
  }

  /** The commit of `plan` on `base`, written and published: pushed, or imported straight into the local remote. */
  private async publish(base: Tree, plan: Plan): Promise<{ sha: string; pushed: PushOutcome }> {
    if (this.direct) return this.writeCommit(base, plan, `refs/heads/${this.branch}`);
    const { sha } = await this.writeCommit(base, plan, 'refs/envcat/commit');
    return { sha, pushed: await this.push(sha) };
  }

  /**
   * The change sets applied in order to `base`: removals first, then writes, so removing a
   * directory and writing into it replaces its content. A change set that must not go on this
   * head (a mustNotExist path exists, a file over a directory, a path through a symbolic link or
   * a file) is refused whole and leaves the tree as it was.
   */
  private plan(changes: readonly FileChange[], base: Tree): Plan {
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
      const problem = this.refusal(change, entries, isDirectory);
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
        entries.set(file.path, { mode: '100644', id: blobId(file.content, this.objectFormat) });
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

  private refusal(
    change: FileChange,
    entries: Map<string, TreeEntry>,
    isDirectory: (path: string) => boolean,
  ): EnvcatError | undefined {
    // Checked against the tree as the change sets before this one in the same commit left it, so
    // two creates of one path that wait for the same commit cannot both pass.
    for (const [index, path] of (change.mustNotExist ?? []).entries()) {
      if (entries.has(path) || isDirectory(path))
        return new ConflictError(`${path} already exists in the ${this.name} repo`, {
          path: pointer('mustNotExist', index),
        });
    }
    const removes = (path: string) =>
      change.remove.some((removed) => (removed.endsWith('/') ? path.startsWith(removed) : path === removed));
    const through = (path: string, at: string): EnvcatError | undefined => {
      for (let dir = parentOf(path); dir !== ''; dir = parentOf(dir)) {
        const entry = entries.get(dir);
        if (!entry || removes(dir)) continue;
        const kind = entry.mode === '120000' ? 'a symbolic link' : 'a file';
        return new ConflictError(`cannot change '${path}' in the ${this.name} repo: '${dir}' is ${kind}`, {
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
        return new ConflictError(`cannot write '${file.path}' in the ${this.name} repo: it is a directory`, {
          path: at,
        });
      }
    }
    return undefined;
  }

  /**
   * The commit of `plan` on `base`, with its blobs and trees, written by the long-running `git
   * fast-import` (see FastImportSession). Into the local remote directly, `ref` is the branch: it
   * is moved only if the commit contains its head (it moved since `base`: no); when it was not,
   * that is the answer, as a rejected push would be. Into the working clone, `ref` only keeps the commit reachable until it
   * is pushed; whether it moved does not matter.
   */
  private async writeCommit(
    base: Tree,
    plan: Plan,
    ref: string,
  ): Promise<{ sha: string; pushed: PushOutcome }> {
    const made = plan.changes.filter((_, index) => plan.effective[index]);
    const message = batchMessage(made.length > 0 ? made : plan.changes);
    const person = `${this.author.name} <${this.author.email}> now`;
    const lines = [
      `commit ${ref}`,
      'mark :1',
      `author ${person}`,
      `committer ${person}`,
      data(message),
      ...(base.head ? [`from ${base.head}`] : []),
    ];
    for (const path of [...plan.changed].sort()) {
      const content = plan.contents.get(path);
      if (content === undefined) lines.push(`D ${quotePath(path)}`);
      else lines.push(`M 100644 inline ${quotePath(path)}`, data(content));
    }
    lines.push('');
    const answer = await this.importer!.commit(lines.join('\n'), ref);
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
      // `--porcelain` marks a rejected ref with '!': another writer got there first, or a hook
      // declined. Anything else (network, auth) is not a race and is not retried here.
      if (error instanceof GitCommandError) {
        const rejected = error.stdout.split('\n').find((line) => line.startsWith('!\t'));
        if (rejected) return { ok: false, reason: rejected.split('\t').slice(2).join(' ').trim() };
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
    if (due < REPACK_EVERY || (this.pending.length > 0 && due < 2 * REPACK_EVERY)) return;
    this.commitsSinceMaintenance = 0;
    // The packs it wrote are merged and deleted: it must not read them afterwards.
    await this.importer?.close();
    await this.releaseAbandonedPacks();
    await this.git(['repack', '-d', '-q', '--geometric=2']);
    await this.git(['-c', 'gc.autoDetach=false', 'gc', '--auto', '--quiet']);
  }

  /**
   * fast-import marks each pack it writes with a `.keep` file until it exits normally, and repack
   * never merges a kept pack. A fast-import that was killed (a timeout, the engine killed) leaves
   * its marks behind: those older than ABANDONED_KEEP_MS are removed. A pack's objects are never
   * lost by repacking it (geometric repack keeps every object of the packs it merges).
   */
  private async releaseAbandonedPacks(): Promise<void> {
    const dir = join(this.direct ? this.localPath! : join(this.workdir, '.git'), 'objects', 'pack');
    const now = Date.now();
    for (const name of await readdir(dir).catch(() => [] as string[])) {
      if (!name.endsWith('.keep')) continue;
      const path = join(dir, name);
      try {
        const [content, info] = await Promise.all([readFile(path, 'utf8'), stat(path)]);
        if (content.trim() !== 'fast-import' || now - info.mtimeMs < ABANDONED_KEEP_MS) continue;
        await rm(path, { force: true });
        this.logger.info({ repo: this.name, pack: name }, 'released a pack an interrupted fast-import kept');
      } catch (error) {
        // Gone meanwhile (its fast-import ended): nothing to release.
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
    }
  }

  /**
   * A branch lock left by a git process that was killed while holding it (fast-import killed on a
   * timeout) would refuse every later commit: one older than STALE_LOCK_MS is removed (no git holds
   * a ref lock for more than a moment).
   */
  private async removeStaleBranchLock(): Promise<void> {
    const lock = join(this.localPath!, 'refs', 'heads', `${this.branch}.lock`);
    try {
      if (Date.now() - (await stat(lock)).mtimeMs < STALE_LOCK_MS) return;
      await rm(lock, { force: true });
      this.logger.warn(
        { repo: this.name, lock: `refs/heads/${this.branch}.lock` },
        'removed a stale branch lock',
      );
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
}

interface TreeEntry {
  mode: string;
  id: string;
}

/** The files of a commit: every blob (and symbolic link, submodule) by path, and the directories. */
interface Tree {
  /** The commit ('' for an empty remote). */
  head: string;
  entries: Map<string, TreeEntry>;
  directories: Set<string>;
}

interface Plan {
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

function parentOf(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash < 0 ? '' : path.slice(0, slash);
}

/** Git's id of a blob with this content. */
function blobId(content: string, format: 'sha1' | 'sha256'): string {
  const bytes = Buffer.from(content, 'utf8');
  return createHash(format).update(`blob ${bytes.length}\0`).update(bytes).digest('hex');
}

/** fast-import's `data` command with its exact byte count. */
function data(text: string): string {
  return `data ${Buffer.byteLength(text, 'utf8')}\n${text}`;
}

/** A fast-import path as a C-style quoted string (a path may hold spaces or start with a quote). */
function quotePath(path: string): string {
  return `"${path.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
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
