/**
 * When each step's current attempt began (timeouts and graces count from a step's
 * commit, or from the last retry): the commit date of the step's files, as Git has it, or the
 * `envcat.io/retry-at` time of the committed request, whichever is later. Nothing here is state a
 * restart loses: the dates are looked up in Git (once per version of the step's files; a commit
 * this process made is known without a lookup) and the retry time is in environment.yaml.
 */
import type { Logger } from 'pino';
import {
  RETRY_AT_ANNOTATION,
  retryTime,
  stepFile,
  repoOf,
  manifestsDir,
  type ResolvedEnvironment,
  type Step,
  type StepClock,
} from '../core/index.js';
import type { GitOpsRepo } from '../gitops/types.js';

export interface StepClocksOptions {
  platform: GitOpsRepo;
  apps: GitOpsRepo;
  now: () => number;
  /** How long a transient controller error may last before it fails its step. */
  graceMs: number;
  /** A lookup finished: the environment's steps can be judged with it now. */
  onKnown: (environment: string) => void;
  logger: Logger;
}

export class StepClocks {
  /**
   * The last commit of each step's files (its time and sha), by `<env>/<step id>`, with the version
   * of the files it is for.
   */
  private readonly committedAt = new Map<
    string,
    { version: string; at: number | undefined; sha?: string | undefined }
  >();
  private readonly lookups = new Set<string>();
  private readonly running = new Set<Promise<void>>();

  constructor(private readonly options: StepClocksOptions) {}

  /**
   * The clock of a committed step; `since` is undefined until its commit date is known (a Git
   * lookup starts, and `onKnown` says when it is done). `fileVersion` identifies the content of the
   * step's files: when it changes, so may the answer.
   */
  clock(env: ResolvedEnvironment, step: Step, fileVersion: string): StepClock {
    const key = `${env.name}/${step.id}`;
    const known = this.committedAt.get(key);
    if (known?.version !== fileVersion) this.lookUp(env.name, step, key, fileVersion);
    const committed = known?.version === fileVersion ? known.at : undefined;
    const retried = retryTime(env.annotations[RETRY_AT_ANNOTATION]);
    let since: number | undefined;
    if (committed !== undefined) since = retried === undefined ? committed : Math.max(committed, retried);
    // While the commit date is being looked up, a retry later than the last known one counts: the
    // retry must not read as the old failure meanwhile.
    else if (retried !== undefined && (known?.at === undefined || retried >= known.at)) since = retried;
    return {
      ...(since === undefined ? {} : { since }),
      ...(retried !== undefined && since === retried ? { retriedAt: retried } : {}),
      now: this.options.now(),
      timeoutMs: env.timeouts[step.part] * 1000,
      graceMs: this.options.graceMs,
    };
  }

  /**
   * The environment's own last commit of the step's files (`fileVersion` as for clock), when known. It names a commit of this environment, whichever later commit of the
   * shared repo a controller synced.
   */
  commitOf(env: ResolvedEnvironment, step: Step, fileVersion: string): string | undefined {
    // Known from this process's commit or the clock's lookup of a converging step; not looked up
    // for itself: after a restart that would be a git log for every Ready step of every environment.
    const known = this.committedAt.get(`${env.name}/${step.id}`);
    return known?.version === fileVersion ? known.sha : undefined;
  }

  /** This process committed the step's files (at this version) just now: no lookup needed. */
  noteCommitted(
    environment: string,
    step: Step,
    commit: { fileVersion: string; at: number; sha: string },
  ): void {
    this.committedAt.set(`${environment}/${step.id}`, {
      version: commit.fileVersion,
      at: commit.at,
      sha: commit.sha,
    });
  }

  /** Resolves when every lookup started so far has finished. */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.all(this.running);
  }

  /** Forget an environment (deleted). */
  forget(environment: string): void {
    for (const key of this.committedAt.keys())
      if (key.startsWith(`${environment}/`)) this.committedAt.delete(key);
  }

  private lookUp(environment: string, step: Step, key: string, version: string): void {
    const lookup = `${key}@${version}`;
    if (this.lookups.has(lookup)) return;
    this.lookups.add(lookup);
    const file = stepFile(environment, step.part, step.instance);
    const repo = this.options[repoOf(step.part)];
    // An apps step is its Application file and, for a manifests entry, its directory.
    const paths = step.part === 'infra' ? [file] : [file, manifestsDir(environment, step.instance)];
    const run = Promise.all(paths.map((path) => repo.log(path, { limit: 1 })))
      .then((logs) => {
        const last = logs
          .flatMap((log) => (log[0] ? [{ at: Date.parse(log[0].date), sha: log[0].sha }] : []))
          .sort((a, b) => b.at - a.at)[0];
        this.committedAt.set(key, { version, at: last?.at, sha: last?.sha });
        this.options.onKnown(environment);
      })
      .catch((error: unknown) =>
        this.options.logger.warn(
          { environment, step: step.id, err: { message: (error as Error).message } },
          'git lookup of a step commit date failed',
        ),
      )
      .finally(() => {
        this.lookups.delete(lookup);
        this.running.delete(run);
      });
    this.running.add(run);
  }
}
