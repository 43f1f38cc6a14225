/**
 * The GitOpsRepo contract (repo-contract.ts) against every implementation: GitRepo on a bare
 * repository on this machine, written directly (fast-import moves the branch) and through a
 * working clone and `git push`, and the in-memory twin the engine's tests can use instead.
 */
import { join } from 'node:path';
import { ensureBareRepo, GitRepo } from '../../src/gitops/index.js';
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

function gitRepoSubject(localWrites: 'direct' | 'push'): ContractSubject {
  const opened: GitRepo[] = [];
  let remotes = 0;
  return {
    async create() {
      const id = `${localWrites}-${++remotes}`;
      const { path } = await ensureBareRepo(join(sandbox.root, `${id}.git`));
      return {
        open() {
          const repo = new GitRepo({
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

describe('MemoryGitOpsRepo', () => {
  describeGitOpsRepoContract(memorySubject);
});
