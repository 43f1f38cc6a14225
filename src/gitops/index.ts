/** The GitOps adapter: the only import path into src/gitops from outside. */
export type { CommitInfo, CommitResult, FileChange, GitOpsRepo, RepoName } from './types.js';
export { GitRepo } from './repo.js';
export { DEFAULT_AUTHOR, type GitAuthor, type GitOpsLogger, type GitRepoOptions } from './options.js';
export { ensureBareRepo } from './bare.js';
export { parseRemote, type GitCredentials, type Remote, type RemoteKind } from './remote.js';
export { DEFAULT_RETRY, type RetryPolicy } from './retry.js';
