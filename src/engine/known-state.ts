/**
 * An environment as it is known between passes, derived without writing anything, so any replica,
 * leader or not, may do it: its status from the file in the platform repo, the caches of the
 * cluster and the steps the last pass found blocked (published on the status board), and its
 * steps' objects for the portal's resources view. A pass publishes what it observes itself
 * (engine.ts, deletion.ts); this is what a watch event, a Git poll or a follower publishes.
 */
import type { RepoName } from '../gitops/types.js';
import type { BlockedSteps } from './blocked.js';
import type { DesiredEnvironment, DesiredStateParser } from './desired-state.js';
import type { RepoView } from './repo-view.js';
import type { StepObjects } from './resources.js';
import type { StatusBoard } from './status-board.js';
import { namespaceTaken } from './status-board.js';
import type { StepClocks } from './step-clock.js';
import type { StepObserver } from './step-observer.js';

export interface KnownStateOptions {
  view: Pick<RepoView, 'environmentSource' | 'namespaceOwner' | 'stepFilesVersion'>;
  parser: Pick<DesiredStateParser, 'parse'>;
  observer: Pick<StepObserver, 'observe' | 'outputs' | 'object'>;
  blocked: Pick<BlockedSteps, 'of'>;
  board: Pick<StatusBoard, 'has' | 'publishDeleting' | 'publishInvalid' | 'publishObserved'>;
  clocks: Pick<StepClocks, 'commitOf'>;
  /** The Argo CD Application that syncs an environment's folder of a repo. */
  parentApplication: (repo: RepoName, environment: string) => string;
}

export class KnownState {
  constructor(private readonly options: KnownStateOptions) {}

  /** The environment's request as the platform repo holds it, parsed; undefined when it has no file. */
  desired(name: string): DesiredEnvironment | undefined {
    const source = this.options.view.environmentSource(name);
    return source === undefined ? undefined : this.options.parser.parse(name, source);
  }

  /** Publishes the environment's status as derived from what is known now. */
  publishStatus(name: string): void {
    const { view, observer, blocked, board } = this.options;
    const desired = this.desired(name);
    if (!desired) {
      if (board.has(name)) board.publishDeleting(name, []);
      return;
    }
    if (!desired.valid) {
      board.publishInvalid(name, desired.problems);
      return;
    }
    const taken = namespaceTaken(
      name,
      desired.environment,
      view.namespaceOwner(desired.environment.namespace),
    );
    if (taken) {
      board.publishInvalid(name, [taken]);
      return;
    }
    const stepsBlocked = blocked.of(name);
    const steps = desired.plan.steps.map((step) =>
      observer.observe(desired.environment, step, stepsBlocked?.get(step.id)),
    );
    const outputs = observer.outputs(desired.environment);
    board.publishObserved(name, {
      env: desired.environment,
      steps,
      outputs,
      deleting: desired.deletionRequested,
    });
  }

  /** Each step's Workspace or Application as the caches have it, and its commit when known (resources.ts). */
  stepObjects(name: string): StepObjects | undefined {
    const desired = this.desired(name);
    if (!desired?.valid) return undefined;
    const { environment: env, plan } = desired;
    const { view, observer, clocks, parentApplication: parent } = this.options;
    return {
      env,
      plan,
      steps: plan.steps.map((step) => ({
        step,
        object: observer.object(env, step),
        commit: clocks.commitOf(env, step, view.stepFilesVersion(name, step)),
      })),
      parents: { platform: parent('platform', name), apps: parent('apps', name) },
    };
  }
}
