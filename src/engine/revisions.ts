/**
 * Whether the revision an Application synced holds our step as we have it (core/status/judge.ts
 * asks, through step-observer.ts, for each Application step). Most answers come from memory: the
 * heads of the apps repo this process pushed or fetched, in order (the branch only moves forward,
 * so a later head holds every earlier one; a force-push to the branch is not supported). The rest
 * are asked of Git in the background, all the questions of a moment in one process, and the
 * environment is looked at again with the answer.
 */
import type { Logger } from 'pino';
import { manifestsDir, stepFile, describeError } from '../core/index.js';
import type { GitOpsRepo } from '../gitops/types.js';
import type { Requeue } from '../shared/index.js';

export interface RevisionAcceptanceOptions {
  apps: Pick<GitOpsRepo, 'objectIds'>;
  /** The head of the apps repo as the engine knows it ('' before the first read). */
  head: () => string;
  queue: Requeue;
  logger: Logger;
}

interface Question {
  environment: string;
  instance: string;
  revision: string;
  head: string;
}

/** How many heads are remembered; a revision older than these is answered by Git. */
const MAX_HEADS = 50_000;
/** How many Git answers are remembered before they are all dropped. */
const MAX_ANSWERS = 10_000;

export class RevisionAcceptance {
  /** Our last commit of each Application step, by `<env>/<instance>`. */
  private readonly lastAppCommit = new Map<string, string>();
  /** Heads of the apps repo seen by this process, with the order they were seen in. */
  private readonly appHeads = new Map<string, number>();
  private appHeadCount = 0;
  private readonly revisionCache = new Map<string, boolean>();
  private readonly revisionQuestions = new Map<string, Question>();
  private revisionLookup: NodeJS.Immediate | undefined;
  private answering: Promise<void> | undefined;

  constructor(private readonly options: RevisionAcceptanceOptions) {}

  /**
   * A revision is good when it holds our step as we have it: our last commit of the step or a later
   * head (known in memory for what this process pushed or fetched), or else, as Git says, a commit
   * whose files of the step are the ones at our head (after a restart, or someone else's commit).
   * Until Git has answered, false.
   */
  accepted(environment: string, instance: string, revision: string): boolean {
    const ours = this.lastAppCommit.get(`${environment}/${instance}`);
    if (ours !== undefined) {
      if (revision === ours) return true;
      const oursAt = this.appHeads.get(ours);
      const revisionAt = this.appHeads.get(revision);
      if (oursAt !== undefined && revisionAt !== undefined) return revisionAt >= oursAt;
    }
    const head = this.options.head();
    if (!head || !/^[0-9a-f]{40}$/.test(revision)) return false;
    if (revision === head) return true;
    const key = `${revision}|${head}|${environment}/${instance}`;
    const known = this.revisionCache.get(key);
    if (known !== undefined) return known;
    this.revisionQuestions.set(key, { environment, instance, revision, head });
    this.revisionLookup ??= setImmediate(() => {
      this.answering = this.answerQuestions().finally(() => (this.answering = undefined));
    });
    return false;
  }

  /** A head of the apps repo this process pushed or fetched, newer than every one noted before. */
  noteHead(sha: string): void {
    if (!sha || this.appHeads.has(sha)) return;
    this.appHeads.set(sha, this.appHeadCount++);
    // Oldest first out: a revision older than these is answered by Git.
    if (this.appHeads.size > MAX_HEADS) this.appHeads.delete(this.appHeads.keys().next().value!);
  }

  /** This process committed the Application step's files in `sha`. */
  noteCommitted(environment: string, instance: string, sha: string): void {
    this.lastAppCommit.set(`${environment}/${instance}`, sha);
  }

  /** Resolves when the questions asked so far are answered. */
  async idle(): Promise<void> {
    while (this.revisionLookup !== undefined || this.answering !== undefined) {
      if (this.answering) await this.answering;
      else await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }

  /** Asks nothing more of Git (the questions not asked yet are dropped). */
  stop(): void {
    if (this.revisionLookup) clearImmediate(this.revisionLookup);
    this.revisionLookup = undefined;
  }

  /** Answers every revision question asked since the last time with one Git process. */
  private async answerQuestions(): Promise<void> {
    this.revisionLookup = undefined;
    const questions = [...this.revisionQuestions];
    this.revisionQuestions.clear();
    const specs = questions.flatMap(([, q]) => {
      const file = stepFile(q.environment, 'apps', q.instance);
      const dir = manifestsDir(q.environment, q.instance);
      return [
        `${q.revision}:`,
        `${q.revision}:${file}`,
        `${q.head}:${file}`,
        `${q.revision}:${dir}`,
        `${q.head}:${dir}`,
      ];
    });
    const { queue } = this.options;
    let ids: Array<string | undefined>;
    try {
      ids = await this.options.apps.objectIds(specs);
    } catch (error) {
      this.options.logger.warn({ err: describeError(error) }, 'git lookup of Application revisions failed');
      for (const [, q] of questions) queue.addAfter(q.environment, 5_000);
      return;
    }
    if (this.revisionCache.size > MAX_ANSWERS) this.revisionCache.clear();
    questions.forEach(([key, q], index) => {
      const [revisionKnown, fileThere, fileHere, dirThere, dirHere] = ids.slice(index * 5, index * 5 + 5);
      if (revisionKnown === undefined) {
        // Newer than our last fetch: the Git poll brings it.
        queue.addAfter(q.environment, 2_000);
        return;
      }
      this.revisionCache.set(key, fileHere !== undefined && fileThere === fileHere && dirThere === dirHere);
      queue.add(q.environment);
    });
  }
}
