/**
 * ThreadedGitRepo beyond the GitOpsRepo contract (repo-contract.test.ts runs that on it): typed
 * errors cross the thread as themselves, the thread's log records reach the caller's logger, a
 * thread that ends mid-call fails those calls and the next call gets another, and close() lets
 * the calls made before it finish and is final.
 */
import { join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import {
  ConflictError,
  EnvcatError,
  ExternalError,
  InputError,
  NotFoundError,
  UnavailableError,
} from '../../src/core/index.js';
import { ensureBareRepo, ThreadedGitRepo, type FileChange } from '../../src/gitops/index.js';
import { receivedError, sendableError } from '../../src/gitops/repo-thread-protocol.js';
import { createSandbox, git, recordingLogger, type Sandbox } from './support.js';

let sandbox: Sandbox;
let counter = 0;
const opened: ThreadedGitRepo[] = [];

beforeAll(async () => {
  sandbox = await createSandbox('threaded');
});
afterEach(async () => {
  await Promise.all(opened.splice(0).map((repo) => repo.close()));
});
afterAll(async () => {
  await sandbox.cleanup();
});

async function setup() {
  const id = ++counter;
  const { path: bare } = await ensureBareRepo(join(sandbox.root, `remote-${id}.git`));
  const logger = recordingLogger();
  const repo = new ThreadedGitRepo({
    name: 'apps',
    url: bare,
    workdir: join(sandbox.root, `work-${id}`),
    logger,
  });
  opened.push(repo);
  return { bare, repo, logger };
}

const change = (path: string, content: string, message = `write ${path}`): FileChange => ({
  write: [{ path, content }],
  remove: [],
  message,
});

/** The thread under way (a test's way in, as kill -9 is for a process). */
const threadOf = (repo: ThreadedGitRepo) =>
  (repo as unknown as { thread?: { worker: Worker } }).thread?.worker;

describe('errors sent from the thread', () => {
  it.each<[string, Error]>([
    [
      'an InputError with every problem',
      new InputError([
        { path: '/a', message: 'x' },
        { file: 'f', path: '/b', message: 'y' },
      ]),
    ],
    ['a NotFoundError with its path', new NotFoundError('gone', { path: '/commit' })],
    ['a ConflictError with its path', new ConflictError('exists', { path: '/mustNotExist/0' })],
    ['an ExternalError', new ExternalError('push failed')],
    ['an UnavailableError', new UnavailableError('remote down')],
    ['an internal EnvcatError', new EnvcatError('INTERNAL', 'bug')],
  ])('are made again as the same class: %s', (_case, error) => {
    const received = receivedError(structuredClone(sendableError(error)));
    expect(received).toBeInstanceOf(error.constructor);
    expect(received).toMatchObject({
      name: error.name,
      message: error.message,
      code: (error as EnvcatError).code,
      path: (error as EnvcatError).path,
    });
    if (error instanceof InputError) expect((received as InputError).problems).toEqual(error.problems);
  });

  it('keep the name and message of any other error', () => {
    const received = receivedError(structuredClone(sendableError(new RangeError('too deep'))));
    expect(received).toMatchObject({ name: 'RangeError', message: 'too deep' });
    expect(received).not.toBeInstanceOf(EnvcatError);
    expect(receivedError(sendableError('a string'))).toMatchObject({ name: 'Error', message: 'a string' });
  });
});

describe('ThreadedGitRepo', () => {
  it('checks its options before any thread starts, with GitRepo’s InputError', () => {
    expect(() => new ThreadedGitRepo({ name: 'apps', url: 'ftp://x', workdir: '' })).toThrow(InputError);
  });

  it('gives the caller’s logger the records its thread writes', async () => {
    const { repo, logger } = await setup();
    const result = await repo.commit(change('a.yaml', 'a\n'));
    expect(logger.records).toContainEqual(
      expect.objectContaining({
        level: 'info',
        message: 'published commit',
        object: expect.objectContaining({ repo: 'apps', sha: result.sha }),
      }),
    );
  });

  it('fails the calls under way when its thread ends, and starts another for the next call', async () => {
    const { bare, repo, logger } = await setup();
    await repo.commit(change('a.yaml', 'a\n'));
    const worker = threadOf(repo)!;

    const underWay = repo.commit(change('b.yaml', 'b\n'));
    await worker.terminate();

    await expect(underWay).rejects.toThrow(ExternalError);
    await expect(underWay).rejects.toThrow(/the git thread of the apps repo .* exited/);
    expect(logger.records).toContainEqual(
      expect.objectContaining({ level: 'error', message: 'git thread ended' }),
    );
    // the next call: another thread, on the clone and the remote as they are
    const next = await repo.commit(change('c.yaml', 'c\n'));
    expect(threadOf(repo)).not.toBe(worker);
    expect((await git(sandbox, bare, 'rev-parse', 'main')).trim()).toBe(next.sha);
    expect((await repo.readTree('')).get('c.yaml')).toBe('c\n');
  });

  it('lets the calls made before close() finish, and fails a call after it', async () => {
    const { bare, repo } = await setup();
    const before = repo.commit(change('a.yaml', 'a\n'));
    const closed = repo.close();
    const after = repo.commit(change('b.yaml', 'b\n'));

    const made = await before;
    await closed;
    await expect(after).rejects.toThrow(/the apps repo .* was closed/);
    await expect(after).rejects.toBeInstanceOf(ExternalError);
    expect((await git(sandbox, bare, 'rev-parse', 'main')).trim()).toBe(made.sha);
    expect(threadOf(repo)).toBeUndefined();
  });

  it('fails a call whose argument cannot be sent to the thread, and carries on', async () => {
    const { repo } = await setup();
    const unsendable = { ...change('a.yaml', 'a\n'), message: (() => 'x') as unknown as string };
    await expect(repo.commit(unsendable)).rejects.toMatchObject({ code: 'INTERNAL' });
    await expect(repo.commit(change('a.yaml', 'a\n'))).resolves.toMatchObject({ changed: true });
  });
});
