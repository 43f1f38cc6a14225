/**
 * One GitRepo on a thread of its own, answering ThreadedGitRepo's calls (threaded-repo.ts says
 * why). Its log records go back to the caller's logger as messages.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { GitOpsLogger } from './options.js';
import { GitRepo } from './repo.js';
import {
  sendableError,
  type LogLevel,
  type RepoCall,
  type RepoThreadData,
  type RepoThreadMessage,
} from './repo-thread-protocol.js';

const port = parentPort;
if (!port) throw new Error('src/gitops/repo-thread.ts runs as a worker thread only');
const send = (message: RepoThreadMessage) => port.postMessage(message);

const forward =
  (level: LogLevel) =>
  (object: Record<string, unknown>, message: string): void => {
    try {
      send({ log: { level, object, message } });
    } catch {
      // A field that cannot be copied (a DataCloneError) goes as text: the record is not lost.
      const fields = Object.fromEntries(Object.entries(object).map(([key, value]) => [key, String(value)]));
      send({ log: { level, object: fields, message } });
    }
  };
const logger: GitOpsLogger = {
  debug: forward('debug'),
  info: forward('info'),
  warn: forward('warn'),
  error: forward('error'),
};

const repo = new GitRepo({ ...(workerData as RepoThreadData), logger });

// The calls a caller made in one tick come in one message and start in one tick here, as they
// would in its thread: change sets that arrive together go into one commit.
port.on('message', (calls: RepoCall[]) => {
  for (const call of calls) {
    let answer: Promise<unknown>;
    try {
      answer = (repo[call.method] as (...args: unknown[]) => Promise<unknown>).apply(repo, call.args);
    } catch (error) {
      answer = Promise.reject(error);
    }
    answer.then(
      (result) => send({ id: call.id, result }),
      (error: unknown) => send({ id: call.id, error: sendableError(error) }),
    );
  }
});
