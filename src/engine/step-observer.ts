/**
 * What the cluster says about each step of an environment, as the engine's caches have it: its
 * Workspace or Application judged by core (status/judge.ts), with the step's clock once it is
 * committed and not there yet (step-clock.ts), and the outputs of the Workspaces that are Ready.
 * A verdict that time alone will change has the environment looked at again then. A step waiting
 * for Argo CD to apply its folder, whose folder Application's sync failed for good, says so.
 */
import {
  NOT_CAUGHT_UP_REASONS,
  judgeApplication,
  repoOf,
  waitingOnFolder,
  judgeWorkspace,
  qualifiedName,
  stepFile,
  workspaceOutputs,
  workspaceState,
  type FolderSync,
  type JsonValue,
  type OutputValues,
  type RenderOptions,
  type ResolvedEnvironment,
  type Step,
  type StepClock,
  type StepObservation,
  type Verdict,
} from '../core/index.js';
import type { KubeObject } from '../cluster/types.js';
import type { Blocked } from './blocked.js';
import type { RepoView } from './repo-view.js';
import type { RevisionAcceptance } from './revisions.js';
import type { StepClocks } from './step-clock.js';
import type { Requeue } from '../shared/index.js';

export interface StepObserverOptions {
  view: Pick<RepoView, 'isCommitted' | 'sourceDigest' | 'specDigest' | 'stepFilesVersion'>;
  /** A Workspace as the cache has it (namespace undefined: the cluster-scoped API). */
  workspace: (name: string, namespace: string | undefined) => KubeObject | undefined;
  /** An Application (in Argo CD's namespace) as the cache has it. */
  application: (name: string) => KubeObject | undefined;
  render: RenderOptions;
  clocks: Pick<StepClocks, 'clock' | 'commitOf'>;
  revisions: Pick<RevisionAcceptance, 'accepted'>;
  queue: Requeue;
  now: () => number;
  /** What the environment's folder Application of a repo says of its last sync (refresh.ts folderSync). */
  folder?: (environment: string, repo: 'platform' | 'apps') => FolderSync;
}

/** Looked at again this long after a verdict's recheckAt, so that the time has surely passed. */
const RECHECK_MARGIN_MS = 250;

export class StepObserver {
  constructor(private readonly options: StepObserverOptions) {}

  /** The step as Git and the cluster have it; a step the last pass found blocked is Failed (or waits) with why. */
  observe(env: ResolvedEnvironment, step: Step, blocked: Blocked | undefined): StepObservation {
    const { view } = this.options;
    const committed = view.isCommitted(env, step);
    if (blocked)
      return {
        step,
        committed,
        state: { phase: blocked.phase ?? 'Failed', reason: blocked.reason, message: blocked.message },
      };
    const object = this.object(env, step);
    // Time counts only for a committed step that is not there yet (see step-clock.ts).
    const judge = (clock?: StepClock): Verdict => {
      if (step.part === 'infra')
        return judgeWorkspace(object, clock, view.specDigest(stepFile(env.name, 'infra', step.instance)));
      // A Helm source syncs at the chart version; what we committed is the Application itself
      // (its values): it is current once Argo CD compared the source we rendered.
      const helm = Boolean((object?.spec as { source?: { chart?: unknown } } | undefined)?.source?.chart);
      // The apps repo is shared: the revision Argo CD synced may be another environment's commit.
      const commit = committed
        ? this.options.clocks.commitOf(env, step, view.stepFilesVersion(env.name, step))
        : undefined;
      return judgeApplication(object, {
        ...(commit ? { commit } : {}),
        revisionAccepted: (revision) =>
          helm || this.options.revisions.accepted(env.name, step.instance, revision),
        sourceDigest: view.sourceDigest(stepFile(env.name, 'apps', step.instance)),
        ...(clock ? { clock } : {}),
      });
    };
    let verdict = judge();
    if (committed && verdict.state.phase !== 'Ready' && verdict.state.phase !== 'Deleting')
      verdict = judge(this.options.clocks.clock(env, step, view.stepFilesVersion(env.name, step)));
    if (verdict.recheckAt !== undefined)
      this.options.queue.addAfter(
        env.name,
        Math.max(0, verdict.recheckAt - this.options.now()) + RECHECK_MARGIN_MS,
      );
    const { folder } = this.options;
    const state =
      committed && folder && NOT_CAUGHT_UP_REASONS.has(verdict.state.reason)
        ? waitingOnFolder(verdict.state, folder(env.name, repoOf(step.part)))
        : verdict.state;
    return {
      step,
      committed,
      state,
      ...(verdict.since === undefined ? {} : { since: verdict.since }),
    };
  }

  /** The Workspace or Application of a step, as the cache has it. */
  object(env: ResolvedEnvironment, step: Step): KubeObject | undefined {
    const instance = env.instances.find((i) => i.name === step.instance);
    if (!instance) throw new Error(`plan step ${step.id} has no instance`);
    const name = qualifiedName(env, instance);
    if (step.part === 'apps') return this.options.application(name);
    return this.options.workspace(name, this.workspaceNamespace(env));
  }

  /** The outputs of the environment's Workspaces that are Ready, by instance. */
  outputs(env: ResolvedEnvironment): OutputValues {
    const outputs: Record<string, Record<string, JsonValue>> = {};
    for (const instance of env.instances) {
      if (!instance.entry.document.spec.iac) continue;
      const workspace = this.options.workspace(qualifiedName(env, instance), this.workspaceNamespace(env));
      if (workspace && workspaceState(workspace).phase === 'Ready')
        outputs[instance.name] = workspaceOutputs(workspace);
    }
    return outputs;
  }

  private workspaceNamespace(env: ResolvedEnvironment): string | undefined {
    return this.options.render.workspaceApi === 'namespaced' ? env.namespace : undefined;
  }
}
