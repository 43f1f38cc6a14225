/**
 * The deletion pass: an environment whose deletion was asked for (or whose ttl ran
 * out, or whose request is gone) is removed in the reverse of the order it was created in, one
 * step per pass; core's nextDeletionAction decides the step from what Git and the cluster hold,
 * and this carries it out: a commit, a wait (Argo CD is asked to look again), the Secrets.
 */
import type { Logger } from 'pino';
import type { BoundaryHook } from './boundaries.js';
import {
  LABEL,
  deletionWaitMessage,
  environmentFile,
  environmentPrefix,
  managedSelector,
  nextDeletionAction,
  orderNotKept,
  parseNamespaceClaim,
  partDir,
  stepFile,
} from '../core/index.js';
import type { ClusterClient, KubeObject } from '../cluster/types.js';
import type { GitOpsRepo, RepoName } from '../gitops/types.js';
import type { Committer } from './committer.js';
import type { DesiredEnvironment } from './desired-state.js';
import type { RemovedRequest } from './removed-request.js';
import type { ArgoRefresher } from './refresh.js';
import type { RepoView } from './repo-view.js';
import type { StatusBoard } from './status-board.js';
import type { StepObserver } from './step-observer.js';
import type { Requeue } from '../shared/index.js';

const environmentOf = (object: KubeObject) => object.metadata.labels?.[LABEL.environment] ?? '';
/** How often a deletion looks again whether its Namespace is gone (not watched: asked only then). */
const NAMESPACE_POLL_MS = 2_000;

export interface DeletionOptions {
  view: Pick<RepoView, 'hasUnder' | 'pathsOf' | 'claimsOf'>;
  /** The Applications and Workspaces as the engine's caches have them. */
  applications: (environment: string) => readonly KubeObject[];
  workspaces: (environment: string) => readonly KubeObject[];
  cluster: Pick<ClusterClient, 'list' | 'delete' | 'get'>;
  /** The platform repo, read again at its remote before Secrets are deleted (see 'deleteSecrets'). */
  platform: Pick<GitOpsRepo, 'sync' | 'readTree'>;
  observer: Pick<StepObserver, 'observe'>;
  board: Pick<StatusBoard, 'publishDeleting'>;
  committer: Pick<Committer, 'commit'>;
  refresher: Pick<ArgoRefresher, 'ifStillWaiting' | 'againAfterMs'>;
  queue: Requeue;
  /** The environment is gone, its claim released: the engine forgets it and says so. */
  onDeleted: (name: string) => void;
  /**
   * The request of an environment whose environment.yaml was removed from Git by hand, as it was
   * before (removed-request.ts): its plan still orders the deletion.
   */
  removedRequest?: (name: string) => Promise<RemovedRequest | undefined>;
  /** Told as each step boundary of a deletion is passed (the kill -9 tests stop there). */
  atBoundary?: BoundaryHook;
  logger: Logger;
}

export class Deletion {
  /** Environments whose lost order was logged (once each). */
  private readonly orderLossLogged = new Set<string>();

  constructor(private readonly options: DeletionOptions) {}

  private async requestStillAsRead(name: string, source: string | undefined): Promise<boolean> {
    const { platform } = this.options;
    await platform.sync();
    const path = environmentFile(name);
    return (await platform.readTree(path)).get(path) === source;
  }

  /** The environment is gone: nothing more to say about it. */
  forget(name: string): void {
    this.orderLossLogged.delete(name);
  }

  /**
   * `source` is the environment.yaml this pass read (undefined when there is none). Every commit to
   * the platform repo is a compare-and-swap on it: a deletion decided on an old read (a request
   * removed, then a new environment of the same name created meanwhile) must not remove the new
   * one's files; the conflict ends the pass and the next one reads the new request.
   */
  async reconcile(name: string, requested: DesiredEnvironment | undefined, source?: string): Promise<void> {
    const prefix = environmentPrefix(name);
    const request = environmentFile(name);
    const asRead =
      source === undefined
        ? { mustNotExist: [request] }
        : { mustMatch: [{ path: request, content: source }] };
    const has = (repo: RepoName, dir: string) => this.options.view.hasUnder(repo, name, dir);
    const live = (objects: readonly KubeObject[]) =>
      objects
        .filter((o) => o.metadata.labels?.[LABEL.environment] === name && o.metadata.labels[LABEL.instance])
        .map((o) => o.metadata.labels?.[LABEL.instance] ?? o.metadata.name);
    const liveApplications = live(this.options.applications(name));
    const liveWorkspaces = live(this.options.workspaces(name));
    const committedApps = has('apps', prefix) ? ['apps'] : [];
    const infraDir = partDir(name, 'infra');
    const committedInfra = [...this.options.view.pathsOf('platform', name)]
      .filter((p) => p.startsWith(infraDir) && p.endsWith('.yaml'))
      .map((p) => p.slice(infraDir.length, -'.yaml'.length));
    const secrets =
      committedApps.length === 0 &&
      committedInfra.length === 0 &&
      liveApplications.length === 0 &&
      liveWorkspaces.length === 0
        ? await this.options.cluster.list(
            { apiVersion: 'v1', kind: 'Secret' },
            { labelSelector: managedSelector(name) },
          )
        : [];
    let desired = requested;
    let orderNote: string | undefined;
    const infraLeft = committedInfra.length > 0 || liveWorkspaces.length > 0;
    if (!requested && infraLeft && this.options.removedRequest) {
      const removed = await this.options.removedRequest(name);
      desired = removed?.desired;
      if (removed?.removedWithInfra) {
        orderNote = orderNotKept(name, removed.commit);
        if (!this.orderLossLogged.has(name)) {
          this.orderLossLogged.add(name);
          this.options.logger.warn({ environment: name, commit: removed.commit }, orderNote);
        }
      }
    }
    const environmentFilesLeft = has('platform', prefix);
    const belowGone =
      committedApps.length === 0 &&
      committedInfra.length === 0 &&
      liveApplications.length === 0 &&
      liveWorkspaces.length === 0 &&
      secrets.length === 0;
    const namespaceLeft = belowGone && !environmentFilesLeft ? await this.ownNamespaceLeft(name) : undefined;
    const folderApplicationsLeft = this.options
      .applications(name)
      .filter((o) => environmentOf(o) === name && !o.metadata.labels?.[LABEL.instance])
      .map((o) => o.metadata.name);
    const action = nextDeletionAction({
      committedApps,
      committedInfra,
      liveApplications,
      liveWorkspaces,
      secretsLeft: secrets.length > 0,
      environmentFilesLeft,
      ...(namespaceLeft ? { namespaceLeft } : {}),
      folderApplicationsLeft,
      ...(desired?.valid ? { plan: desired.plan } : {}),
    });
    const steps = desired?.valid
      ? desired.plan.steps.map((step) => this.options.observer.observe(desired.environment, step, undefined))
      : [];
    const publishDeleting = (message: string) =>
      this.options.board.publishDeleting(name, steps, orderNote ? `${message}. ${orderNote}` : message);
    // A wait on Argo CD: it is asked to look again, and its folder Application to sync again if its
    // last sync failed for good (refresh.ts); then the status says that, not what it waits for.
    const waitOn = (repo: RepoName, waiting: string) =>
      publishDeleting(deletionWaitMessage(waiting, this.options.refresher.ifStillWaiting(name, repo)));
    switch (action.kind) {
      case 'removeApps':
        await this.options.committer.commit({
          environment: name,
          repo: 'apps',
          remove: [prefix],
          message: `envcat: ${name}: delete applications`,
        });
        this.options.atBoundary?.('deletion:apps-removed');
        publishDeleting('removing the applications');
        this.options.queue.add(name);
        return;
      case 'waitForApps':
        waitOn('apps', `waiting for Argo CD to delete ${action.remaining.join(', ')}`);
        this.options.queue.addAfter(name, this.options.refresher.againAfterMs);
        return;
      case 'removeInfra':
        // The last wave first (core nextDeletionAction): a database goes before the VPC it is in.
        await this.options.committer.commit({
          environment: name,
          repo: 'platform',
          remove: action.instances.map((i) => stepFile(name, 'infra', i)),
          message: `envcat: ${name}: delete infrastructure of ${action.instances.join(', ')}`,
          ...asRead,
        });
        this.options.atBoundary?.('deletion:infra-removed');
        publishDeleting(action.message);
        this.options.queue.add(name);
        return;
      case 'waitForInfra':
        waitOn('platform', action.message);
        this.options.queue.addAfter(name, this.options.refresher.againAfterMs);
        return;
      case 'deleteSecrets':
        // A create of the same name commits its request before it writes its Secrets, maybe on
        // another replica whose commit this one has not fetched: the request is read again at the
        // remote, and nothing is deleted unless it is still the one this pass read. The Secrets go
        // by uid: only those listed, never one written since.
        if (!(await this.requestStillAsRead(name, source))) {
          this.options.queue.add(name);
          return;
        }
        for (const secret of secrets)
          await this.options.cluster.delete(
            {
              apiVersion: 'v1',
              kind: 'Secret',
              name: secret.metadata.name,
              ...(secret.metadata.namespace ? { namespace: secret.metadata.namespace } : {}),
            },
            secret.metadata.uid ? { preconditions: { uid: secret.metadata.uid } } : {},
          );
        this.options.atBoundary?.('deletion:secrets-deleted');
        publishDeleting('deleting the secrets');
        this.options.queue.add(name);
        return;
      case 'removeEnvironmentFiles':
        // The claim stays until the Namespace is gone (core nextDeletionAction says why); a claim
        // alone keeps the environment known, so this loop comes back for it, after a restart too.
        await this.options.committer.commit({
          environment: name,
          repo: 'platform',
          remove: [prefix],
          message: `envcat: ${name}: delete environment`,
          ...asRead,
        });
        this.options.atBoundary?.('deletion:files-removed');
        publishDeleting('removing the environment files; its namespace goes next');
        this.options.queue.add(name);
        return;
      case 'waitForNamespace':
        waitOn('platform', action.message);
        this.options.queue.addAfter(name, NAMESPACE_POLL_MS);
        return;
      case 'waitForFolderApplications':
        waitOn('platform', action.message);
        this.options.queue.addAfter(name, NAMESPACE_POLL_MS);
        return;
      case 'removeEnvironment': {
        const remove = this.options.view.claimsOf(name);
        if (remove.length > 0)
          await this.options.committer.commit({
            environment: name,
            repo: 'platform',
            remove,
            message: `envcat: ${name}: release namespace ${remove.map((c) => parseNamespaceClaim(c)?.namespace).join(', ')}`,
            ...asRead,
          });
        this.options.atBoundary?.('deletion:claim-released');
        this.options.onDeleted(name);
        return;
      }
    }
  }

  /**
   * The Namespace the environment claimed (or renders), while it still exists and is labelled as
   * this environment's. Read directly, not watched: it is asked only at the end of a deletion.
   */
  private async ownNamespaceLeft(name: string): Promise<{ name: string; terminating: boolean } | undefined> {
    const namespaces = new Set(
      this.options.view.claimsOf(name).flatMap((path) => parseNamespaceClaim(path)?.namespace ?? []),
    );
    for (const namespace of namespaces) {
      const live = await this.options.cluster.get({ apiVersion: 'v1', kind: 'Namespace', name: namespace });
      if (live && environmentOf(live) === name)
        return {
          name: namespace,
          terminating:
            live.metadata.deletionTimestamp !== undefined ||
            (live.status as { phase?: unknown } | undefined)?.phase === 'Terminating',
        };
    }
    return undefined;
  }
}
