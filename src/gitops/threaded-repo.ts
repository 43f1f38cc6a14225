/**
 * A GitRepo on a worker thread of its own (repo-thread.ts), behind the same GitOpsRepo interface.
 *
 * The engine's event loop is busy while many environments move at once (rendering, status,
 * watch events); every step of a commit (fast-import's answer, the next batch handed to git)
 * waited for a turn of that loop, and every git process it started forked the whole process from
 * that loop. On a thread of its own, the repository answers git as soon as git answers it, and the
 * forks block only that thread; the engine only waits for its calls' answers.
 *
 * Options are checked here, before any thread starts (the same InputError as GitRepo's). The
 * thread starts with the first call and keeps the process alive only while a call is under way.
 * A thread that fails or exits fails the calls under way with an ExternalError; the next call
 * starts another, which finds the clone on disk as a restarted process would. close() closes
 * the repository and ends the thread for good, as GitRepo.close() does.
 */
import type { Worker } from 'node:worker_threads';
import { EnvcatError, ExternalError } from '../core/errors/index.js';
import { startWorkerThread } from '../shared/worker-thread.js';
import { gitRepoSettings, type GitOpsLogger, type GitRepoOptions } from './options.js';
import {
  receivedError,
  type RepoCall,
  type RepoMethod,
  type RepoThreadData,
  type RepoThreadMessage,
} from './repo-thread-protocol.js';
import type { CommitInfo, CommitResult, FileChange, GitOpsRepo, RepoName } from './types.js';

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

export class ThreadedGitRepo implements GitOpsRepo {
  readonly name: RepoName;
  readonly displayUrl: string;
  readonly branch: string;
  readonly workdir: string;

  private readonly data: RepoThreadData;
  private readonly logger: GitOpsLogger;
  private thread: RepoThread | undefined;
  /** Set by close(). */
  private closed = false;

  constructor(options: GitRepoOptions) {
    const settings = gitRepoSettings(options);
    this.name = settings.name;
    this.displayUrl = settings.remote.displayUrl;
    this.branch = settings.branch;
    this.workdir = settings.workdir;
    this.logger = settings.logger;
    const { logger: _logger, ...data } = options;
    this.data = data;
  }

  sync(): Promise<string> {
    return this.call('sync', []);
  }

  readTree(prefix: string): Promise<Map<string, string>> {
    return this.call('readTree', [prefix]);
  }

  commit(change: FileChange): Promise<CommitResult> {
    return this.call('commit', [change]);
  }

  isAncestor(ancestor: string, descendant: string): Promise<boolean> {
    return this.call('isAncestor', [ancestor, descendant]);
  }

  objectIds(specs: readonly string[]): Promise<Array<string | undefined>> {
    return this.call('objectIds', [specs]);
  }

  log(prefix: string, options?: { limit?: number }): Promise<CommitInfo[]> {
    return this.call('log', options === undefined ? [prefix] : [prefix, options]);
  }

  readFileBefore(commit: string, path: string): Promise<string | undefined> {
    return this.call('readFileBefore', [commit, path]);
  }

  /**
   * Ends the git processes kept running and the thread, for good, once the calls made before are
   * answered (as GitRepo.close()): a call after it fails.
   */
  async close(): Promise<void> {
    this.closed = true;
    const thread = this.thread;
    this.thread = undefined;
    if (!thread) return;
    try {
      await thread.call('close', []);
    } finally {
      await thread.end();
    }
  }

  private call<T>(method: RepoMethod, args: unknown[]): Promise<T> {
    if (this.closed)
      return Promise.reject(new ExternalError(`the ${this.name} repo (${this.displayUrl}) was closed`));
    if (!this.thread?.running) {
      this.thread = new RepoThread({
        data: this.data,
        logger: this.logger,
        describe: `the git thread of the ${this.name} repo (${this.displayUrl})`,
        logFields: { repo: this.name, url: this.displayUrl },
      });
    }
    return this.thread.call(method, args) as Promise<T>;
  }
}

/** One thread and the calls it has not answered yet. */
class RepoThread {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  /** The calls made in this tick: sent together (see repo-thread.ts). */
  private readonly outbox: RepoCall[] = [];
  private nextId = 0;
  /** False once the thread failed or exited. */
  running = true;

  constructor(
    private readonly options: {
      data: RepoThreadData;
      logger: GitOpsLogger;
      describe: string;
      logFields: Record<string, unknown>;
    },
  ) {
    const worker = startWorkerThread(import.meta.url, 'gitops/repo-thread', {
      workerData: options.data,
      // Credentials may name an environment variable (tokenEnv): the thread reads this process's.
      shareEnv: true,
    });
    this.worker = worker;
    worker.unref();
    worker.on('message', (message: RepoThreadMessage) => this.received(message));
    worker.on('error', (error) => this.ended(`failed: ${error.message}`));
    worker.on('exit', (code) => this.ended(`exited (${code})`));
  }

  call(method: RepoMethod, args: unknown[]): Promise<unknown> {
    const id = ++this.nextId;
    return new Promise((resolve, reject) => {
      if (!this.running) {
        reject(new ExternalError(`${this.options.describe} has ended`));
        return;
      }
      this.pending.set(id, { resolve, reject });
      // A call under way keeps the process alive, as the git process it waits for would.
      this.worker.ref();
      this.outbox.push({ id, method, args });
      if (this.outbox.length === 1) queueMicrotask(() => this.flush());
    });
  }

  private flush(): void {
    const calls = this.outbox.splice(0);
    try {
      this.worker.postMessage(calls);
    } catch (error) {
      // An argument that cannot be copied to the thread (a DataCloneError, a bug of the caller).
      const failure = new EnvcatError(
        'INTERNAL',
        `a call could not be sent to ${this.options.describe}: ${(error as Error).message}`,
      );
      for (const call of calls) this.settle(call.id, { error: failure });
    }
  }

  async end(): Promise<void> {
    await this.worker.terminate();
  }

  private received(message: RepoThreadMessage): void {
    if ('log' in message) {
      const { level, object, message: text } = message.log;
      this.options.logger[level](object, text);
      return;
    }
    this.settle(message.id, 'error' in message ? { error: receivedError(message.error) } : message);
  }

  private settle(id: number, outcome: { result: unknown } | { error: unknown }): void {
    const pending = this.pending.get(id);
    if (!pending) return;
    this.pending.delete(id);
    if (this.pending.size === 0) this.worker.unref();
    if ('error' in outcome) pending.reject(outcome.error);
    else pending.resolve(outcome.result);
  }

  private ended(reason: string): void {
    this.running = false;
    const failed = [...this.pending.values()];
    this.pending.clear();
    if (failed.length === 0) return;
    this.options.logger.error(
      { ...this.options.logFields, calls: failed.length, reason },
      'git thread ended',
    );
    for (const call of failed) call.reject(new ExternalError(`${this.options.describe} ${reason}`));
  }
}
