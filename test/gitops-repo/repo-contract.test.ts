/**
 * The GitOpsRepo contract (repo-contract.ts) against every implementation: GitRepo on a bare
 * repository on this machine, written directly (fast-import moves the branch) and through a
 * working clone and `git push`; on a thread of its own (ThreadedGitRepo, as the service runs it;
 * written directly: where git writes does not change what crosses the thread); and the in-memory
 * twin the engine's tests can use instead.
 */
import { join } from 'node:path';
import { ensureBareRepo, GitRepo, ThreadedGitRepo, type GitRepoOptions } from '../../src/gitops/index.js';
import { MemoryGitOpsRepo, MemoryGitRemote } from '../support/memory-gitops-repo.js';
import { describeGitOpsRepoContract, type ContractSubject } from './repo-contract.js';
import { createSandbox, type Sandbox } from './support.js';

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await createSandbox('contract');
});
afterAll(async () => {
  await sandbox.cleanup();
});

function gitRepoSubject(
  localWrites: 'direct' | 'push',
  make: (options: GitRepoOptions) => GitRepo | ThreadedGitRepo = function inProcess(options) {
    return new GitRepo(options);
  },
): ContractSubject {
  const opened: Array<GitRepo | ThreadedGitRepo> = [];
  let remotes = 0;
  return {
    async create() {
      const id = `${make.name}-${localWrites}-${++remotes}`;
      const { path } = await ensureBareRepo(join(sandbox.root, `${id}.git`));
      return {
        open() {
          const repo = make({
            name: 'platform',
            url: path,
            workdir: join(sandbox.root, `${id}-work-${opened.length}`),
            localWrites,
            retry: { attempts: 8, baseDelayMs: 1, maxDelayMs: 20 },
          });
          opened.push(repo);
          return repo;
        },
      };
    },
    async cleanup() {
      await Promise.all(opened.map((repo) => repo.close()));
    },
  };
}

const memorySubject: ContractSubject = {
  async create() {
    const remote = new MemoryGitRemote();
    return { open: () => new MemoryGitOpsRepo({ name: 'platform', remote }) };
  },
  async cleanup() {},
};

describe('GitRepo written directly into a local bare repository', () => {
  describeGitOpsRepoContract(gitRepoSubject('direct'));
});

describe('GitRepo pushing from a working clone', () => {
  describeGitOpsRepoContract(gitRepoSubject('push'));
});

describe('ThreadedGitRepo written directly into a local bare repository', () => {
  describeGitOpsRepoContract(
    gitRepoSubject('direct', function threaded(options) {
      return new ThreadedGitRepo(options);
    }),
  );
});

describe('MemoryGitOpsRepo', () => {
  describeGitOpsRepoContract(memorySubject);
});
