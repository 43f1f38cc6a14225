/**
 * What ThreadedGitRepo (threaded-repo.ts) and its thread (repo-thread.ts) say to each other: a
 * call of a GitOpsRepo method and its answer, and the thread's log records. An error crosses as
 * its code, message, path and problems, and is made again as the same typed error on the other
 * side (a structured clone would keep only an Error's name and message).
 */
import {
  ConflictError,
  EnvcatError,
  ExternalError,
  InputError,
  NotFoundError,
  UnavailableError,
  type ErrorCode,
  type Problem,
} from '../core/errors/index.js';
import type { GitRepoOptions } from './options.js';
import type { GitOpsRepo } from './types.js';

/** The methods a thread answers, with close(). */
export type RepoMethod = Exclude<keyof GitOpsRepo, 'name' | 'displayUrl'> | 'close';

/** The thread's options: GitRepo's, but for the logger (its records come back as messages). */
export type RepoThreadData = Omit<GitRepoOptions, 'logger'>;

export interface RepoCall {
  id: number;
  method: RepoMethod;
  args: unknown[];
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export type RepoThreadMessage =
  | { id: number; result: unknown }
  | { id: number; error: SentError }
  | { log: { level: LogLevel; object: Record<string, unknown>; message: string } };

export interface SentError {
  name: string;
  message: string;
  code?: ErrorCode;
  path?: string;
  problems?: readonly Problem[];
}

export function sendableError(error: unknown): SentError {
  if (error instanceof InputError)
    return { name: error.name, message: error.message, code: error.code, problems: error.problems };
  if (error instanceof EnvcatError)
    return {
      name: error.name,
      message: error.message,
      code: error.code,
      ...(error.path === undefined ? {} : { path: error.path }),
    };
  if (error instanceof Error) return { name: error.name, message: error.message };
  return { name: 'Error', message: String(error) };
}

/** The error as it was thrown in the thread: the same class for envcat's typed errors. */
export function receivedError(sent: SentError): Error {
  const options = sent.path === undefined ? {} : { path: sent.path };
  switch (sent.code) {
    case 'INVALID_INPUT':
      return new InputError(sent.problems ?? [], { message: sent.message });
    case 'NOT_FOUND':
      return new NotFoundError(sent.message, options);
    case 'CONFLICT':
      return new ConflictError(sent.message, options);
    case 'EXTERNAL':
      return new ExternalError(sent.message, options);
    case 'UNAVAILABLE':
      return new UnavailableError(sent.message, options);
    case 'INTERNAL':
      return new EnvcatError('INTERNAL', sent.message, options);
    default: {
      const error = new Error(sent.message);
      error.name = sent.name;
      return error;
    }
  }
}
