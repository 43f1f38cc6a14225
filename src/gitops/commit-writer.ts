/**
 * How GitRepo writes a planned commit and publishes it, and the maintenance its commits need. The
 * commit is written by one `git fast-import` kept running (fast-import.ts). Into a local remote
 * written directly, fast-import moves the branch itself, only to a commit that contains the
 * branch's head, under the ref lock against the value it read: the check a (non-forced) push
 * makes, so a branch that moved is answered as a rejected push would be. From a working clone,
 * the commit is pushed; a rejected ref is a race to retry (commit-loop.ts), anything else fails.
 */
import { join } from 'node:path';
import type { PushOutcome } from './commit-loop.js';
import type { FastImportAnswer } from './fast-import.js';
import { commitCommand, commitTime, madeCommit } from './fast-import.js';
import { GitCommandError } from './git.js';
import { pushRejection } from './git-output.js';
import { releaseAbandonedPacks, removeStaleBranchLock } from './maintenance.js';
import type { GitAuthor, GitOpsLogger } from './options.js';
import { planMessage, type Plan, type Tree } from './plan.js';
import type { CommitInfo, RepoName } from './types.js';

/** The fast-import ends after this long without a commit, or after this many commits. */
const IMPORTER_IDLE_MS = 10_000;
const IMPORTER_MAX_COMMITS = 1_000;
/** A fast-import started ahead of a commit (ready()) ends after this long without one. */
const IMPORTER_READY_IDLE_MS = 10 * 60_000;
/** Commits (each a small pack) between two geometric repacks; see maintenanceDue. */
export const REPACK_EVERY = 50;
/** The ref that keeps a commit of the working clone reachable until it is pushed. */
const CLONE_COMMIT_REF = 'refs/envcat/commit';

/** What writes commits: a FastImportSession, or a fake in tests. */
export interface Importer {
  commit(command: string, ref: string): Promise<FastImportAnswer>;
  /** Starts the process ahead of the next commit, if none runs. */
  ready(): void;
  close(): Promise<void>;
}

/** Where git runs now: in the local remote itself (`direct`), or in the working clone `workdir`. */
export type Place = { direct: true; gitDir: string } | { direct: false; workdir: string };

export interface CommitWriterOptions {
  repo: RepoName;
  branch: string;
  author: GitAuthor;
  logger: GitOpsLogger;
  place(): Place;
  /**
   * A fast-import where git runs now, ended after `idleMs` without a commit (`readyIdleMs` before
   * its first) or after `maxRequests`.
   */
  startImporter(limits: { idleMs: number; readyIdleMs: number; maxRequests: number }): Importer;
  /** Runs one git command where git runs now (`network`: with the remote's credentials). */
  git(args: string[], options?: { network?: boolean }): Promise<string>;
  /** Ends the reads' process: maintenance deletes packs it may hold open. */
  closeReads(): Promise<void>;
}

/**
 * Whether maintenance is due after `commits` commits since the last: every REPACK_EVERY when no
 * commit is waiting, or after twice as many in any case, so a repo under constant load is
 * maintained too.
 */
export function maintenanceDue(commits: number, waiting: number): boolean {
  return commits >= REPACK_EVERY && (waiting === 0 || commits >= 2 * REPACK_EVERY);
}

export class CommitWriter {
  private importer: Importer | undefined;
  private commitsSinceMaintenance = 0;

  constructor(private readonly options: CommitWriterOptions) {}

  /** Starts the fast-import of the next commit now, if none runs (GitRepoOptions.keepCommitterReady). */
  ready(): void {
    this.importer ??= this.startImporter();
    this.importer.ready();
  }

  /** Ends the fast-import; the next commit starts another where git runs then. */
  async close(): Promise<void> {
    const importer = this.importer;
    this.importer = undefined;
    await importer?.close();
  }

  /**
   * The commit of `plan` on `base`, written, and published unless the branch moved since `base`
   * (then `pushed` says why not).
   */
  async write(base: Tree, plan: Plan): Promise<{ sha: string; pushed: PushOutcome; commit: CommitInfo }> {
    const place = this.options.place();
    // Into the working clone, the ref only keeps the commit reachable until it is pushed: whether
    // fast-import moved it does not matter.
    const ref = place.direct ? `refs/heads/${this.options.branch}` : CLONE_COMMIT_REF;
    this.importer ??= this.startImporter();
    const { author } = this.options;
    const message = planMessage(plan);
    const when = commitTime(new Date());
    const answer = await this.importer.commit(
      commitCommand({
        ref,
        author,
        message,
        parent: base.head,
        when,
        files: [...plan.changed].map((path) => ({ path, content: plan.contents.get(path) })),
      }),
      ref,
    );
    const { sha } = answer;
    const commit = madeCommit({ sha, author, message, when });
    if (!place.direct) return { sha, pushed: await this.push(sha), commit };
    return { sha, pushed: answer.refused ? { ok: false, reason: answer.refused } : { ok: true }, commit };
  }

  /** After a rejection: a branch lock a killed git left in the local remote would refuse every retry. */
  async beforeRetry(reason: string): Promise<void> {
    const place = this.options.place();
    if (!place.direct || !/cannot lock ref/.test(reason)) return;
    const { repo, logger, branch } = this.options;
    await removeStaleBranchLock({ repo, logger, gitDir: place.gitDir, branch });
  }

  /**
   * Each fast-import checkpoint leaves a small pack (writing its objects loose instead costs 5–10
   * times as long): when due (maintenanceDue; `waiting` commits wait), the small packs are merged
   * geometrically (cheap, proportional to the new packs), and `git gc --auto` takes care of the
   * loose objects small fetches leave.
   */
  async published(waiting: number): Promise<void> {
    if (!maintenanceDue(++this.commitsSinceMaintenance, waiting)) return;
    this.commitsSinceMaintenance = 0;
    // The packs it wrote are merged and deleted: it must not read them afterwards, nor the reader.
    await Promise.all([this.close(), this.options.closeReads()]);
    const place = this.options.place();
    await releaseAbandonedPacks({
      repo: this.options.repo,
      logger: this.options.logger,
      gitDir: place.direct ? place.gitDir : join(place.workdir, '.git'),
    });
    await this.options.git(['repack', '-d', '-q', '--geometric=2']);
    await this.options.git(['-c', 'gc.autoDetach=false', 'gc', '--auto', '--quiet']);
  }

  private startImporter(): Importer {
    return this.options.startImporter({
      idleMs: IMPORTER_IDLE_MS,
      readyIdleMs: IMPORTER_READY_IDLE_MS,
      maxRequests: IMPORTER_MAX_COMMITS,
    });
  }

  private async push(sha: string): Promise<PushOutcome> {
    try {
      await this.options.git(
        ['push', '--porcelain', '--no-verify', 'origin', `${sha}:refs/heads/${this.options.branch}`],
        { network: true },
      );
      return { ok: true };
    } catch (error) {
      // A rejected ref (another writer got there first, or a hook declined) is a race to retry;
      // anything else (network, auth) is not retried here.
      if (error instanceof GitCommandError) {
        const reason = pushRejection(error.stdout);
        if (reason !== undefined) return { ok: false, reason };
      }
      throw error;
    }
  }
}
