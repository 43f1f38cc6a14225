/**
 * The engine's commits: a change to one repo for one environment, and what follows it (the view
 * of the repo moves, the commit is logged and announced, Argo CD is asked to look now); the steps
 * of a wave or an update, rendered, their Secrets written first, one commit per repo; and the
 * files of instances removed from the request.
 */
import type { Logger } from 'pino';
import {
  EnvcatError,
  LABEL,
  droppedInstances,
  manifestsDir,
  renderStep,
  repoOf,
  stepFile,
  stepsCommitMessage,
  type Part,
  type OutputValues,
  type RenderOptions,
  type RenderedFile,
  type ResolvedEnvironment,
  type SecretPlan,
  type Step,
} from '../core/index.js';
import type { KubeObject } from '../cluster/types.js';
import type { GitOpsRepo, RepoName } from '../gitops/types.js';
import type { Blocked } from './blocked.js';
import type { BoundaryHook } from './boundaries.js';
import type { ArgoRefresher } from './refresh.js';
import type { RenderedClean } from './rendered-clean.js';
import type { RepoView } from './repo-view.js';
import type { RevisionAcceptance } from './revisions.js';
import type { SecretWriter } from './secret-writer.js';
import type { StepClocks } from './step-clock.js';

/** One commit of the engine's: files written and removed in one repo, for one environment. */
export interface CommitOptions {
  environment: string;
  repo: RepoName;
  /** With `document` (RenderedFile): the object the content is the YAML of; only path and content go to Git. */
  write?: ReadonlyArray<{ path: string; content: string; document?: unknown }>;
  remove?: string[];
  message: string;
  /** Paths that must not exist yet (a compare-and-swap: see GitOpsRepo.commit). */
  mustNotExist?: string[];
  /** Files that must still hold what was read (a compare-and-swap: see GitOpsRepo.commit). */
  mustMatch?: Array<{ path: string; content: string }>;
  /** The wave committed, for the `committed` event. */
  wave?: number | undefined;
}

export interface CommittedEvent {
  environment: string;
  repo: RepoName;
  sha: string;
  message: string;
  wave?: number;
}

export interface CommitterOptions {
  repos: Record<RepoName, Pick<GitOpsRepo, 'commit'>>;
  view: Pick<
    RepoView,
    'noteOwnCommit' | 'fileVersion' | 'hasUnder' | 'pathsOf' | 'stepFilesVersion' | 'differs'
  >;
  render: RenderOptions;
  secrets: Pick<SecretWriter, 'ensure'>;
  revisions: Pick<RevisionAcceptance, 'noteCommitted'>;
  /** Told of each commit of rendered steps: a pass need not render them again to find them clean. */
  renderedClean: Pick<RenderedClean, 'advance'>;
  clocks: Pick<StepClocks, 'noteCommitted'>;
  refresher: Pick<ArgoRefresher, 'request'>;
  /** The Applications as the engine's cache has them. */
  applications: (environment: string) => readonly KubeObject[];
  onCommitted: (event: CommittedEvent) => void;
  now: () => number;
  /** Told as an update's boundaries in the engine are passed (the kill -9 tests stop there). */
  atBoundary?: BoundaryHook;
  logger: Logger;
}

/** A commit a change made, and the environment's file version before and after it (see commitNoted). */
interface CommitMade {
  repo: RepoName;
  sha: string;
  files: { before: number; after: number };
}

export class Committer {
  constructor(private readonly options: CommitterOptions) {}

  /** Commits a change for an environment; returns the commit, or undefined when it changed nothing. */
  async commit(options: CommitOptions): Promise<string | undefined> {
    return (await this.commitNoted(options))?.sha;
  }

  /**
   * commit(), and the environment's file version (RepoView.fileVersion) just before and just after
   * the view took the commit in: a pass that found the environment clean knows that only its own
   * commit changed the files since (RenderedClean.advance).
   */
  private async commitNoted(options: CommitOptions): Promise<CommitMade | undefined> {
    const { environment: name, repo, message, wave } = options;
    const change = {
      write: (options.write ?? []).map((f) => ({ path: f.path, content: f.content })),
      remove: options.remove ?? [],
      message,
      ...(options.mustNotExist ? { mustNotExist: options.mustNotExist } : {}),
      ...(options.mustMatch ? { mustMatch: options.mustMatch } : {}),
    };
    const result = await this.options.repos[repo].commit(change);
    const before = this.options.view.fileVersion(name);
    // the view takes in the rendered objects too: it need not parse back the YAML just written
    const noted = { ...change, write: options.write ?? [] };
    if (!this.options.view.noteOwnCommit(repo, noted, result)) return undefined;
    const files = { before, after: this.options.view.fileVersion(name) };
    this.options.logger.info(
      { environment: name, repo, sha: result.sha, attempts: result.attempts },
      message,
    );
    this.options.onCommitted({
      environment: name,
      repo,
      sha: result.sha,
      message,
      ...(wave ? { wave } : {}),
    });
    this.options.refresher.request(name, repo);
    return { repo, sha: result.sha, files };
  }

  /**
   * Renders the steps and commits them, one commit per repo, after writing the Secrets they read.
   * A step that does not render, or whose Secret cannot be written, is not committed: it goes in
   * `blocked` with why. Returns the commits made.
   */
  async commitSteps(args: {
    name: string;
    env: ResolvedEnvironment;
    steps: Step[];
    outputs: OutputValues;
    blocked: Map<string, Blocked>;
    wave?: number;
    update?: boolean;
  }): Promise<Array<{ repo: RepoName; sha: string }>> {
    const { name, env, outputs, blocked } = args;
    const { view } = this.options;
    const made: Array<{ repo: RepoName; sha: string }> = [];
    const byRepo: Record<RepoName, RenderedFile[]> = { platform: [], apps: [] };
    const secrets: SecretPlan[] = [];
    const committed: Step[] = [];
    for (const step of args.steps) {
      try {
        const rendered = renderStep({ env, step, outputs, options: this.options.render });
        for (const file of rendered.files) byRepo[file.repo].push(file);
        secrets.push(...rendered.secrets);
        committed.push(step);
      } catch (error) {
        if (!(error instanceof EnvcatError)) throw error;
        blocked.set(step.id, { reason: 'RenderFailed', message: error.message });
      }
    }
    for (const secret of secrets) {
      const problem = await this.options.secrets.ensure(env, secret, { revision: true });
      if (problem) {
        for (const step of committed) blocked.set(step.id, problem);
        return made;
      }
    }
    // The message names each step it commits: the history reads them back (core stepsCommitMessage).
    const message = (part: Part) =>
      stepsCommitMessage({
        environment: name,
        wave: args.update ? 'update' : args.wave,
        part,
        instances: committed.map((s) => {
          const instance = env.instances.find((i) => i.name === s.instance);
          return { name: s.instance, entry: instance?.entry.name, version: instance?.entry.version };
        }),
      });
    for (const repo of ['platform', 'apps'] as const) {
      const files = byRepo[repo];
      if (files.length === 0) continue;
      // An apps step's manifests directory is replaced whole, so a manifest dropped from the entry goes too.
      const remove =
        repo === 'apps'
          ? committed
              .filter((s) => s.part === 'apps')
              .map((s) => `${manifestsDir(name, s.instance)}/`)
              .filter((dir) => view.hasUnder('apps', name, dir))
          : [];
      const commit = await this.commitNoted({
        environment: name,
        repo,
        write: files,
        remove,
        message: message(repo === 'platform' ? 'infra' : 'apps'),
        wave: args.wave,
      });
      if (commit) {
        made.push({ repo, sha: commit.sha });
        this.options.renderedClean.advance({ name, env, outputs, files: commit.files });
      }
      const sha = commit?.sha;
      if (repo === 'apps' && sha) {
        for (const step of committed)
          if (step.part === 'apps') this.options.revisions.noteCommitted(name, step.instance, sha);
      }
      if (sha)
        for (const step of committed)
          if (repoOf(step.part) === repo)
            this.options.clocks.noteCommitted(name, step, {
              fileVersion: view.stepFilesVersion(name, step),
              at: this.options.now(),
              sha,
            });
    }
    if (args.update && made.length > 0) this.options.atBoundary?.('update:steps-committed');
    return made;
  }

  /** True when the step's files in Git are not what it renders to now (an output not known yet: false). */
  rendersDifferently(env: ResolvedEnvironment, step: Step, outputs: OutputValues): boolean {
    try {
      const rendered = renderStep({ env, step, outputs, options: this.options.render });
      return this.options.view.differs(repoOf(step.part), rendered.files);
    } catch (error) {
      if (error instanceof EnvcatError) return false; // an output is not known (yet): keep what is there
      throw error;
    }
  }

  /** Instances removed from the request: their apps go first, their infrastructure once those are gone. */
  async removeDroppedInstances(name: string, env: ResolvedEnvironment): Promise<void> {
    const kept = new Set(env.instances.map((i) => i.name));
    const dropped = (repo: RepoName, part: 'infra' | 'apps') =>
      droppedInstances({ environment: name, part, paths: this.options.view.pathsOf(repo, name), kept });
    const apps = dropped('apps', 'apps');
    if (apps.length > 0) {
      const remove = apps.flatMap((i) => [stepFile(name, 'apps', i), `${manifestsDir(name, i)}/`]);
      const sha = await this.commit({
        environment: name,
        repo: 'apps',
        remove,
        message: `envcat: ${name}: remove applications of ${apps.join(', ')}`,
      });
      if (sha) this.options.atBoundary?.('update:apps-removed');
    }
    const liveApps = new Set(
      this.options
        .applications(name)
        .filter((a) => a.metadata.labels?.[LABEL.environment] === name)
        .map((a) => a.metadata.labels?.[LABEL.instance]),
    );
    const infra = dropped('platform', 'infra').filter((i) => !liveApps.has(i));
    if (infra.length > 0) {
      const sha = await this.commit({
        environment: name,
        repo: 'platform',
        remove: infra.map((i) => stepFile(name, 'infra', i)),
        message: `envcat: ${name}: remove infrastructure of ${infra.join(', ')}`,
      });
      if (sha) this.options.atBoundary?.('update:infra-removed');
    }
  }
}
