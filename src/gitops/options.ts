/** GitRepo's options, checked once: every problem with its JSON pointer in one InputError. */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InputError, pointer, type Problem } from '../core/index.js';
import { branchProblem } from './paths.js';
import { credentialProblems, parseRemote, type GitCredentials, type Remote } from './remote.js';
import { DEFAULT_RETRY, retryProblems, type RetryPolicy } from './retry.js';
import type { RepoName } from './types.js';

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
   * when it has no receive hooks (see bare.ts); `push` always uses a working clone and `git push`,
   * as for a network remote.
   */
  localWrites?: 'direct' | 'push';
  /**
   * Keep a `git fast-import` running between commits, started at each sync when none runs, so
   * that the first commit after a quiet spell does not wait for git to start (15–35 ms of the
   * first group commit in the engine bench, and every change set queued behind it). For a repo
   * this process commits to; default false. See FastImportSession.ready.
   */
  keepCommitterReady?: boolean;
}

/** The options with their defaults filled in. */
export interface GitRepoSettings {
  name: RepoName;
  remote: Remote;
  branch: string;
  /** Absolute. */
  workdir: string;
  credentials: GitCredentials | undefined;
  author: GitAuthor;
  retry: RetryPolicy;
  logger: GitOpsLogger;
  timeoutMs: number;
  localWrites: 'direct' | 'push';
  keepCommitterReady: boolean;
  /** The remote's directory when it is on this machine. */
  localPath: string | undefined;
}

export const DEFAULT_AUTHOR: GitAuthor = { name: 'envcat', email: 'envcat@localhost' };
export const SILENT: GitOpsLogger = { debug() {}, info() {}, warn() {}, error() {} };
export const REPO_NAMES: readonly RepoName[] = ['platform', 'apps'];
const DEFAULT_TIMEOUT_MS = 120_000;

/** The problems of a commit author (it goes into the commit header: no '<', '>' or line break). */
export function authorProblems(author: GitAuthor): Problem[] {
  const problems: Problem[] = [];
  for (const key of ['name', 'email'] as const) {
    const value = author[key];
    if (typeof value !== 'string' || value.trim() === '' || /[<>\n\r\0]/.test(value)) {
      problems.push({
        path: pointer('author', key),
        message: "must be non-empty, without '<', '>' or line breaks",
      });
    }
  }
  return problems;
}

export function repoNameProblems(name: RepoName): Problem[] {
  return REPO_NAMES.includes(name)
    ? []
    : [{ path: '/name', message: `must be one of ${REPO_NAMES.join(', ')}` }];
}

export function gitRepoSettings(options: GitRepoOptions): GitRepoSettings {
  const problems: Problem[] = [...repoNameProblems(options.name)];
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
  problems.push(...authorProblems(author));
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
  return {
    name: options.name,
    remote,
    branch,
    workdir: resolve(options.workdir),
    credentials: options.credentials,
    author: { name: author.name, email: author.email },
    retry: { ...DEFAULT_RETRY, ...options.retry },
    logger: options.logger ?? SILENT,
    timeoutMs,
    localWrites,
    keepCommitterReady: options.keepCommitterReady === true,
    localPath:
      remote.kind === 'local' ? remote.url : remote.kind === 'file' ? fileURLToPath(remote.url) : undefined,
  };
}
