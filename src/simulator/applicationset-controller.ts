/**
 * The simulated ApplicationSet controller: the git generator (`directories`, `files`) over
 * read-only repo snapshots, Go templates (applicationset.ts), generated Applications owned by their
 * ApplicationSet and deleted when their directory goes (unless `applicationsSync` says otherwise),
 * and the ApplicationSet's conditions. An ApplicationSet is re-evaluated on its poll interval
 * (`requeueAfterSeconds`), on the `argocd.argoproj.io/application-set-refresh` annotation (what
 * Argo CD's webhook sets) and when an Application it generated is asked to refresh.
 */
import type { Logger } from 'pino';
import { EnvcatError, isRecord, jsonEqual, describeError } from '../core/index.js';
import { refOf, type ClusterClient, type KubeObject } from '../cluster/index.js';
import {
  GenerationError,
  gitGeneratorParams,
  renderApplications,
  type GitGenerator,
} from './applicationset.js';
import { ReconcileQueue } from './reconcile-queue.js';
import type { RepoSnapshot, RepoSnapshots } from './repo-snapshots.js';
import { refFromKey, timestamp } from './support.js';

export const APPSET_REFRESH_ANNOTATION = 'argocd.argoproj.io/application-set-refresh';
const APPSET_FIELD_MANAGER = 'argocd-applicationset-controller';

export interface ApplicationSetControllerOptions {
  cluster: ClusterClient;
  pollMs: number;
  /** The snapshots of a repo URL, undefined for an unknown repo. */
  snapshotsFor(url: string): RepoSnapshots | undefined;
  /** The Applications in Argo CD's namespace, as the application controller's watch has them. */
  applications(): KubeObject[];
  log: Logger;
}

export class ApplicationSetController {
  private readonly log: Logger;
  private readonly pollMs: number;
  private readonly appsetQueue: ReconcileQueue;
  /** The commits each ApplicationSet last generated from, by repo. */
  private readonly appsetTargets = new Map<string, Map<string, RepoSnapshot>>();
  private readonly appsetRefresh = new Set<string>();

  constructor(private readonly options: ApplicationSetControllerOptions) {
    this.log = options.log;
    this.pollMs = options.pollMs;
    this.appsetQueue = new ReconcileQueue({
      name: 'argocd-applicationset-controller',
      reconcile: (key) => this.reconcileApplicationSet(key),
      logger: this.log,
    });
  }

  enqueue(key: string): void {
    this.appsetQueue.enqueue(key);
  }

  /** Generates the ApplicationSet again now, reading its repos afresh. */
  refresh(key: string): void {
    this.appsetRefresh.add(key);
    this.appsetQueue.enqueue(key);
  }

  /** The ApplicationSet is gone. */
  forget(key: string): void {
    this.appsetQueue.forget(key);
    this.appsetTargets.delete(key);
  }

  stop(): Promise<void> {
    return this.appsetQueue.stop();
  }

  private async reconcileApplicationSet(key: string): Promise<void> {
    const appset = await this.options.cluster.get(refFromKey(key));
    if (!appset || appset.metadata.deletionTimestamp) return;
    const refresh =
      this.appsetRefresh.delete(key) || appset.metadata.annotations?.[APPSET_REFRESH_ANNOTATION] === 'true';
    const spec = isRecord(appset.spec) ? appset.spec : {};
    const generators = Array.isArray(spec.generators)
      ? (spec.generators as Array<Record<string, unknown>>)
      : [];
    const targets = this.appsetTargets.get(key) ?? new Map<string, RepoSnapshot>();
    this.appsetTargets.set(key, targets);
    const now = Date.now();
    let nextPollAt = now + this.pollMs;

    let desired: KubeObject[];
    try {
      const params: Array<Record<string, unknown>> = [];
      if (generators.length === 0)
        throw new GenerationError('ApplicationSet has no generators', 'parameters');
      for (const generator of generators) {
        if (!isRecord(generator.git)) {
          const type = Object.keys(generator)[0] ?? 'unknown';
          throw new GenerationError(
            `the ${type} generator is not supported by the simulated ApplicationSet controller`,
            'parameters',
          );
        }
        const git = generator.git as unknown as GitGenerator;
        const snapshots =
          typeof git.repoURL === 'string' ? this.options.snapshotsFor(git.repoURL) : undefined;
        if (!snapshots)
          throw new GenerationError(`repository not found: ${String(git.repoURL)}`, 'parameters');
        const interval =
          typeof git.requeueAfterSeconds === 'number' ? git.requeueAfterSeconds * 1000 : this.pollMs;
        let snapshot = targets.get(git.repoURL);
        if (refresh || !snapshot || now - snapshot.fetchedAt >= interval) {
          snapshot = await snapshots.fetch();
          targets.set(git.repoURL, snapshot);
        }
        nextPollAt = Math.min(nextPollAt, snapshot.fetchedAt + interval);
        params.push(...gitGeneratorParams(git, snapshot.files));
      }
      desired = renderApplications(appset, params);
    } catch (error) {
      if (!(error instanceof GenerationError || error instanceof EnvcatError)) throw error;
      const stage = error instanceof GenerationError ? error.stage : 'parameters';
      await this.writeAppSetStatus(appset, { error: error.message, stage }, refresh);
      this.appsetQueue.schedule(key, Math.max(0, nextPollAt - Date.now()));
      this.log.warn(
        { applicationSet: appset.metadata.name, reason: error.message },
        'ApplicationSet generation failed',
      );
      return;
    }

    const policy = isRecord(spec.syncPolicy) ? spec.syncPolicy.applicationsSync : undefined;
    const existing = this.ownedApplications(appset);
    for (const app of desired) {
      const current = existing.find((a) => a.metadata.name === app.metadata.name);
      if (current && policy === 'create-only') continue;
      if (current && this.generatedUpToDate(current, app)) continue;
      await this.options.cluster.apply(app, { fieldManager: APPSET_FIELD_MANAGER, force: true });
      this.log.info(
        { applicationSet: appset.metadata.name, application: app.metadata.name },
        current ? 'Application updated' : 'Application created',
      );
    }
    if (policy !== 'create-only' && policy !== 'create-update') {
      const names = new Set(desired.map((a) => a.metadata.name));
      for (const app of existing) {
        if (names.has(app.metadata.name) || app.metadata.deletionTimestamp) continue;
        await this.options.cluster.delete(refOf(app));
        this.log.info(
          { applicationSet: appset.metadata.name, application: app.metadata.name },
          'Application deleted',
        );
      }
    }
    await this.writeAppSetStatus(appset, { count: desired.length }, refresh);
    this.appsetQueue.schedule(key, Math.max(0, nextPollAt - Date.now()));
  }

  private generatedUpToDate(current: KubeObject, desired: KubeObject): boolean {
    const meta = desired.metadata;
    const labelsOk = Object.entries(meta.labels ?? {}).every(([k, v]) => current.metadata.labels?.[k] === v);
    const annotationsOk = Object.entries(meta.annotations ?? {}).every(
      ([k, v]) => current.metadata.annotations?.[k] === v,
    );
    const finalizersOk = (meta.finalizers ?? []).every((f) =>
      (current.metadata.finalizers ?? []).includes(f),
    );
    return labelsOk && annotationsOk && finalizersOk && jsonEqual(current.spec, desired.spec);
  }

  private ownedApplications(appset: KubeObject): KubeObject[] {
    const uid = appset.metadata.uid;
    return this.options
      .applications()
      .filter((app) =>
        (app.metadata.ownerReferences ?? []).some(
          (o) => o.kind === 'ApplicationSet' && (uid ? o.uid === uid : o.name === appset.metadata.name),
        ),
      );
  }

  /** Stands in for the Kubernetes garbage collector, which this cluster does not run. */
  async deleteOwnedApplications(appset: KubeObject): Promise<void> {
    for (const app of this.ownedApplications(appset)) {
      try {
        await this.options.cluster.delete(refOf(app));
      } catch (error) {
        this.log.warn(
          { application: app.metadata.name, err: describeError(error) },
          'could not delete an Application of a deleted ApplicationSet',
        );
      }
    }
  }

  private async writeAppSetStatus(
    appset: KubeObject,
    outcome: { error: string; stage: 'parameters' | 'template' } | { count: number },
    refresh: boolean,
  ): Promise<void> {
    const now = timestamp(Date.now());
    const status = isRecord(appset.status) ? appset.status : {};
    const previous = Array.isArray(status.conditions)
      ? (status.conditions as Array<Record<string, unknown>>)
      : [];
    const wanted =
      'error' in outcome
        ? [
            {
              type: 'ErrorOccurred',
              status: 'True',
              reason: 'ApplicationGenerationFromParamsError',
              message: outcome.error,
            },
            outcome.stage === 'parameters'
              ? {
                  type: 'ParametersGenerated',
                  status: 'False',
                  reason: 'ErrorOccurred',
                  message: outcome.error,
                }
              : {
                  type: 'ParametersGenerated',
                  status: 'True',
                  reason: 'ParametersGenerated',
                  message: 'Successfully generated parameters for all Applications',
                },
            {
              type: 'ResourcesUpToDate',
              status: 'False',
              reason: 'ApplicationGenerationFromParamsError',
              message: outcome.error,
            },
          ]
        : [
            {
              type: 'ErrorOccurred',
              status: 'False',
              reason: 'ApplicationSetUpToDate',
              message: 'Successfully generated parameters for all Applications',
            },
            {
              type: 'ParametersGenerated',
              status: 'True',
              reason: 'ParametersGenerated',
              message: 'Successfully generated parameters for all Applications',
            },
            {
              type: 'ResourcesUpToDate',
              status: 'True',
              reason: 'ApplicationSetUpToDate',
              message: 'ApplicationSet up to date',
            },
          ];
    const conditions = wanted.map((c) => {
      const old = previous.find((p) => p.type === c.type);
      const same = old && old.status === c.status && old.reason === c.reason && old.message === c.message;
      return {
        ...c,
        lastTransitionTime: same && typeof old.lastTransitionTime === 'string' ? old.lastTransitionTime : now,
      };
    });
    const next = { ...status, conditions, ...('count' in outcome ? { resourcesCount: outcome.count } : {}) };
    let current = appset;
    if (!jsonEqual(next, status))
      current = await this.options.cluster.replaceStatus({ ...appset, status: next });
    if (refresh && current.metadata.annotations?.[APPSET_REFRESH_ANNOTATION] !== undefined) {
      await this.options.cluster.mergePatch(refOf(current), {
        metadata: { annotations: { [APPSET_REFRESH_ANNOTATION]: null } },
      });
    }
  }
}
