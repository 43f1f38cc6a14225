/**
 * The GitOps writer: a working clone of one remote, driven with simple-git (DESIGN §5).
 *
 * Every public method runs under a per-instance promise-chain mutex, because the working clone is
 * shared state. Two instances (two engine replicas) must use different workdirs; they race only
 * through push, which is why a rejected push is integrated (rebase, or re-apply of the change set
 * on a conflict) and retried with backoff.
 */
import { existsSync } from 'node:fs';
import { lstat, mkdir, readdir, realpath, rm, unlink, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import {
  ConflictError,
  EnvcatError,
  ExternalError,
  InputError,
  NotFoundError,
  pointer,
  type Problem,
} from '../core/index.js';
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
}

export const DEFAULT_AUTHOR: GitAuthor = { name: 'envcat', email: 'envcat@localhost' };
const DEFAULT_TIMEOUT_MS = 120_000;
const REPO_NAMES: readonly RepoName[] = ['platform', 'apps'];
const SHA = /^[0-9a-f]{40}([0-9a-f]{24})?$/;
const WRITE_CONCURRENCY = 32;
/** Reads of fetched commits running at once beside the lock. */
const MAX_CONCURRENT_READS = 4;
/** Most change sets one commit carries. */
const MAX_BATCH = 200;

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
   * The head the clone is at when its work tree is clean and it matched the remote last we
   * looked (after a fetch or our own push). A commit then starts from it without fetching: if the
   * remote moved meanwhile, the push is rejected and the usual rebase/re-apply path takes over.
   */
  private cleanHead: string | undefined;
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
  }

  async sync(): Promise<string> {
    return this.exclusive(async () => {
      // The engine polls every few seconds: when the remote head is the clean head we hold, one
      // ls-remote answers instead of fetch, reset and clean.
      if (this.ready && this.synced && this.cleanHead !== undefined) {
        const remoteHead = await this.remoteHead();
        if (remoteHead === this.cleanHead) return remoteHead;
      }
      return this.refresh();
    });
  }

  /** The branch head on the remote (undefined when it has no such branch), without fetching. */
  private async remoteHead(): Promise<string | undefined> {
    const output = await this.git(['ls-remote', '--quiet', 'origin', `refs/heads/${this.branch}`], {
      network: true,
    });
    const line = output.split('\n').find((entry) => entry.endsWith(`\trefs/heads/${this.branch}`));
    return line?.split('\t')[0];
  }

  async readTree(prefix: string): Promise<Map<string, string>> {
    const path = this.checkPrefix(prefix);
    return this.exclusive(async () => {
      const head = await this.currentHead();
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
    return this.exclusive(async () => read(await this.currentHead()));
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
      await this.currentHead();
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
      await this.currentHead();
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

  /** Commits a batch; a change that cannot be applied fails alone, the others still land. */
  private async commitBatch(batch: PendingCommit[]): Promise<void> {
    let outcomes: Outcome[];
    try {
      outcomes = await this.commitChanges(batch.map((pending) => pending.change));
    } catch (error) {
      this.ready = false;
      this.cleanHead = undefined;
      if (batch.length > 1 && error instanceof EnvcatError && !(error instanceof ExternalError)) {
        // One change is at fault (it writes over a directory, say): give each its own commit.
        for (const pending of batch) await this.commitBatch([pending]);
        return;
      }
      for (const pending of batch) pending.reject(this.external(error));
      return;
    }
    outcomes.forEach((outcome, index) => {
      if ('error' in outcome) batch[index]!.reject(outcome.error);
      else batch[index]!.resolve(outcome.result);
    });
  }

  private async commitChanges(changes: FileChange[]): Promise<Outcome[]> {
    const outcomes: Array<Outcome | undefined> = changes.map(() => undefined);
    const active = () => changes.filter((_, index) => outcomes[index] === undefined);
    /** Fails the changes whose mustNotExist paths exist at `rev`; true when any did. */
    const refuseExisting = async (rev: string | undefined): Promise<boolean> => {
      const found = await this.existing(changes, rev);
      let refused = false;
      found.forEach((path, index) => {
        if (path === undefined || outcomes[index] !== undefined) return;
        outcomes[index] = {
          error: new ConflictError(`${path} already exists in the ${this.name} repo`, {
            path: '/mustNotExist',
          }),
        };
        refused = true;
      });
      return refused;
    };
    const finish = (changed: Set<string>, sha: string, attempts: number): Outcome[] => {
      const live = active();
      const made = effective(live, changed);
      return changes.map(
        (change, index) =>
          outcomes[index] ?? { result: { changed: made[live.indexOf(change)]!, sha, attempts } },
      );
    };

    const optimistic = this.ready && this.cleanHead !== undefined;
    let base = optimistic ? (this.cleanHead as string) : await this.refresh();
    this.cleanHead = undefined;
    await refuseExisting(base);
    let changed = await this.applyAndStage(active());
    if (changed.size === 0 && optimistic) {
      // Nothing changed against what we last saw; the remote may have moved, so check against it.
      base = await this.refresh();
      await refuseExisting(base);
      changed = await this.applyAndStage(active());
    }
    if (changed.size === 0) {
      this.cleanHead = base || undefined;
      this.logger.debug({ repo: this.name, url: this.displayUrl, sha: base }, 'nothing to commit');
      return finish(changed, base, 0);
    }
    let sha = await this.commitStaged(messageFor(active(), changed));
    for (let attempt = 1; ; attempt++) {
      const pushed = await this.push();
      if (pushed.ok) {
        this.cleanHead = sha;
        this.publishedHead = sha;
        this.logger.info(
          { repo: this.name, url: this.displayUrl, sha, attempts: attempt, changes: active().length },
          'pushed commit',
        );
        return finish(changed, sha, attempt);
      }
      if (attempt >= this.retry.attempts) {
        this.logger.error(
          { repo: this.name, url: this.displayUrl, sha, attempts: attempt, reason: pushed.reason },
          'push failed after the last attempt',
        );
        throw new ExternalError(
          `push to the ${this.name} repo (${this.displayUrl}) failed after ${attempt} attempt(s): ${pushed.reason}`,
        );
      }
      const delayMs = backoffDelay(this.retry, attempt);
      this.logger.warn(
        { repo: this.name, url: this.displayUrl, sha, attempt, reason: pushed.reason, delayMs },
        'push rejected, integrating the remote head and retrying',
      );
      await sleep(delayMs);
      const next = await this.integrate(active, refuseExisting, attempt);
      changed = next.changed;
      if (changed.size === 0) {
        this.cleanHead = next.sha || undefined;
        this.publishedHead = next.sha;
        this.logger.info(
          { repo: this.name, url: this.displayUrl, sha: next.sha, attempts: attempt },
          'the remote head already holds the change',
        );
        return finish(changed, next.sha, attempt);
      }
      sha = next.sha;
    }
  }

  // ---- serialisation and errors ----

  private exclusive<T>(task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(async () => {
      try {
        return await task();
      } catch (error) {
        // Whatever failed, the next call re-checks the clone before trusting it.
        this.ready = false;
        this.cleanHead = undefined;
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
    while (this.reading >= MAX_CONCURRENT_READS) await new Promise<void>((resolve) => this.readers.push(resolve));
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
      cwd: this.workdir,
      base: this.baseEnv,
      env: auth.env,
      secrets: auth.secrets,
      timeoutMs: this.timeoutMs,
      ...(options.input === undefined ? {} : { input: options.input }),
    });
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
      cwd: this.workdir,
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
    if (existsSync(join(this.workdir, '.git'))) {
      const problem = await this.inspect();
      if (problem === undefined) {
        await this.removeStaleLock();
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
    this.synced = false;
    this.ready = true;
    this.logger.info(
      { repo: this.name, url: this.displayUrl, workdir: this.workdir },
      'created working clone',
    );
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

  /** An index.lock left by a killed git process; nothing else uses this clone (see the mutex). */
  private async removeStaleLock(): Promise<void> {
    const lock = join(this.workdir, '.git', 'index.lock');
    if (!existsSync(lock)) return;
    this.logger.warn({ repo: this.name, workdir: this.workdir }, 'removing a stale index.lock');
    await rm(lock, { force: true });
  }

  private async currentHead(): Promise<string | undefined> {
    await this.prepare();
    if (!this.synced) await this.refresh();
    return this.revParse('HEAD');
  }

  /** Fetch, then move the clone (branch, index, files) to the remote branch head. */
  private async refresh(): Promise<string> {
    await this.prepare();
    await this.fetch();
    const remoteHead = await this.revParse(`refs/remotes/origin/${this.branch}`);
    await this.resetTo(remoteHead);
    this.synced = true;
    this.cleanHead = remoteHead;
    this.publishedHead = remoteHead ?? '';
    return remoteHead ?? '';
  }

  private async fetch(): Promise<void> {
    await this.git(['fetch', '--quiet', '--prune', '--no-tags', 'origin'], { network: true });
  }

  /** Hard reset to `sha`, or to an empty unborn branch when the remote has no branch yet. */
  private async resetTo(sha: string | undefined): Promise<void> {
    if (
      existsSync(join(this.workdir, '.git', 'rebase-merge')) ||
      existsSync(join(this.workdir, '.git', 'rebase-apply'))
    ) {
      await this.git(['rebase', '--quit']);
    }
    await this.git(['symbolic-ref', 'HEAD', `refs/heads/${this.branch}`]);
    if (sha !== undefined) {
      await this.git(['reset', '--hard', '--quiet', sha]);
    } else {
      if ((await this.revParse('HEAD')) !== undefined)
        await this.git(['update-ref', '-d', `refs/heads/${this.branch}`]);
      await this.git(['read-tree', '--empty']);
    }
    await this.git(['clean', '-f', '-f', '-d', '-x', '-q']);
  }

  /** Removals first, then writes: removing a directory and writing into it replaces its content. */
  private async apply(change: FileChange): Promise<void> {
    const directories = new Set<string>();
    for (const [index, path] of change.remove.entries()) {
      const target = await this.target(path, pointer('remove', index), directories);
      await rm(target, { recursive: true, force: true });
    }
    directories.clear();
    await settleAll(change.write, WRITE_CONCURRENCY, async (file, index) => {
      const at = pointer('write', index, 'path');
      const target = await this.target(file.path, at, directories);
      const existing = await lstatOrUndefined(target);
      if (existing?.isDirectory()) {
        throw new ConflictError(`cannot write '${file.path}' in the ${this.name} repo: it is a directory`, {
          path: at,
        });
      }
      if (existing?.isSymbolicLink()) await unlink(target);
      const parent = dirname(target);
      if (!directories.has(parent)) {
        await mkdir(parent, { recursive: true });
        for (let dir = parent; dir.length > this.workdir.length; dir = dirname(dir)) directories.add(dir);
      }
      await writeFile(target, file.content, 'utf8');
    });
  }

  /**
   * The absolute path for a repo path, refusing to go through a symbolic link (which could point
   * outside the clone) or a file. `directories` caches ancestors already known to be real directories.
   */
  private async target(path: string, at: string, directories: Set<string>): Promise<string> {
    const segments = path.replace(/\/$/, '').split('/');
    let current = this.workdir;
    for (const segment of segments.slice(0, -1)) {
      current = join(current, segment);
      if (directories.has(current)) continue;
      const stat = await lstatOrUndefined(current);
      if (stat === undefined) break;
      if (stat.isSymbolicLink() || !stat.isDirectory()) {
        const kind = stat.isSymbolicLink() ? 'a symbolic link' : 'a file';
        throw new ConflictError(
          `cannot change '${path}' in the ${this.name} repo: '${current.slice(this.workdir.length + 1)}' is ${kind}`,
          { path: at },
        );
      }
      directories.add(current);
    }
    return join(this.workdir, ...segments);
  }

  private async commitStaged(message: string): Promise<string> {
    await this.git(['commit', '--quiet', '--no-verify', '--no-gpg-sign', '--file=-'], { input: message });
    return (await this.git(['rev-parse', 'HEAD'])).trim();
  }

  private async push(): Promise<PushOutcome> {
    try {
      await this.git(['push', '--porcelain', '--no-verify', 'origin', `HEAD:refs/heads/${this.branch}`], {
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

  /** For each change, the first of its mustNotExist paths that exists at `rev` (someone else's file there). */
  private async existing(changes: FileChange[], rev: string | undefined): Promise<Array<string | undefined>> {
    const queries = changes.flatMap((change, index) =>
      (change.mustNotExist ?? []).map((path) => ({ index, path })),
    );
    const found: Array<string | undefined> = changes.map(() => undefined);
    if (!rev || queries.length === 0) return found;
    const output = await this.git(['cat-file', '--batch-check=%(objecttype)'], {
      input: queries.map((query) => `${rev}:${query.path}\n`).join(''),
    });
    const lines = output.split('\n');
    queries.forEach((query, i) => {
      if (!lines[i]?.endsWith(' missing') && found[query.index] === undefined)
        found[query.index] = query.path;
    });
    return found;
  }

  /** Applies the changes in order to the clean work tree and stages it; returns the paths that differ from HEAD. */
  private async applyAndStage(changes: FileChange[]): Promise<Set<string>> {
    for (const change of changes) await this.apply(change);
    // --force: a .gitignore in the repo must not silently drop desired-state files.
    await this.git(['add', '--all', '--force']);
    const status = await this.git(['status', '--porcelain', '-z', '--untracked-files=no', '--no-renames']);
    return new Set(
      status
        .split('\0')
        .filter((entry) => entry.length > 3)
        .map((entry) => entry.slice(3)),
    );
  }

  private async diffPaths(from: string, to: string): Promise<Set<string>> {
    const output = await this.git(['diff', '--name-only', '-z', '--no-renames', from, to]);
    return new Set(output.split('\0').filter((path) => path !== ''));
  }

  /**
   * After a rejected push: fetch and rebase our commit onto the new remote head. When the rebase
   * stops on a conflict, or a change must now be refused (its mustNotExist path appeared), start
   * again from the remote head and apply the change sets once more: our files are desired state,
   * so they win over whatever the other writer put there.
   */
  private async integrate(
    active: () => FileChange[],
    refuseExisting: (rev: string | undefined) => Promise<boolean>,
    attempt: number,
  ): Promise<{ changed: Set<string>; sha: string }> {
    await this.fetch();
    const remoteHead = await this.revParse(`refs/remotes/origin/${this.branch}`);
    if (remoteHead !== undefined && !(await refuseExisting(remoteHead))) {
      try {
        await this.git(['rebase', '--quiet', '--no-autosquash', '--no-verify', '--empty=drop', remoteHead]);
        const head = (await this.revParse('HEAD')) ?? '';
        return {
          changed: head === remoteHead ? new Set() : await this.diffPaths(remoteHead, head),
          sha: head,
        };
      } catch (error) {
        if (!(error instanceof GitCommandError)) throw error;
        this.logger.warn(
          { repo: this.name, url: this.displayUrl, attempt, remoteHead, reason: error.message },
          'rebase stopped; re-applying the change set on the remote head',
        );
        await this.git(['rebase', '--abort']);
      }
    }
    await this.resetTo(remoteHead);
    const changed = await this.applyAndStage(active());
    if (changed.size === 0) return { changed, sha: remoteHead ?? '' };
    return {
      changed,
      sha: await this.commitStaged(messageFor(active(), changed)),
    };
  }
}

function touches(change: FileChange, path: string): boolean {
  if (change.write.some((file) => file.path === path)) return true;
  return change.remove.some((removed) =>
    removed.endsWith('/') ? path.startsWith(removed) : path === removed,
  );
}

/**
 * Which changes made a difference: a changed path is owed to the last change that wrote or
 * removed it (the one that decided its content); a change owed none changed nothing.
 */
function effective(changes: readonly FileChange[], changed: Set<string>): boolean[] {
  const result = changes.map(() => false);
  for (const path of changed) {
    for (let index = changes.length - 1; index >= 0; index--) {
      if (touches(changes[index]!, path)) {
        result[index] = true;
        break;
      }
    }
  }
  return result;
}

function messageFor(changes: readonly FileChange[], changed: Set<string>): string {
  const made = effective(changes, changed);
  return batchMessage(changes.filter((_, index) => made[index]));
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

/**
 * Runs `task` over `items`, at most `limit` at a time, and waits for every one to finish before
 * throwing the first failure (by index): nothing may still be writing into the clone once the
 * caller's lock is released.
 */
async function settleAll<T>(
  items: readonly T[],
  limit: number,
  task: (item: T, index: number) => Promise<void>,
): Promise<void> {
  const failures: Array<{ index: number; error: unknown }> = [];
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      try {
        await task(items[index]!, index);
      } catch (error) {
        failures.push({ index, error });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failures.length > 0) throw failures.sort((a, b) => a.index - b.index)[0]!.error;
}

async function lstatOrUndefined(path: string) {
  try {
    return await lstat(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}
