/**
 * The reconciler (ARCHITECTURE.md): level-triggered and idempotent. Desired state is what the
 * platform repo holds, observed state is what the cluster reports through watches; each pass
 * over an environment commits at most the next wave, or the next deletion step, and derives the
 * status from scratch. Nothing is kept that a restart could lose: Git and the cluster are the state.
 *
 * This file is the loop: start/stop, the queue, reconcile and the provisioning pass; the deletion
 * pass is deletion.ts. What they ask of others: the view of both repos (repo-view.ts) and its Git
 * poll (git-poll.ts), what the cluster says about each step (step-observer.ts), commits
 * (committer.ts), Argo CD refresh requests (refresh.ts), which revisions hold a step
 * (revisions.ts), the Secrets steps read and those of removed instances (secret-writer.ts,
 * blocked.ts, dropped-secrets.ts), an environment's age (ttl.ts), and the statuses
 * (status-board.ts; between passes, known-state.ts); the decisions are core's (src/core/status).
 */
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import {
  LABEL,
  DEFAULT_ERROR_GRACE_MS,
  WORKSPACE_API,
  namespaceClaim,
  namespaceClaimDir,
  nextProvisionAction,
  updatableSteps,
  renderNamespaceFile,
  type Plan,
  type OutputValues,
  type RefreshTarget,
  type ResolvedEnvironment,
  type StepObservation,
  describeError,
} from '../core/index.js';
import type { Informer, KubeObject } from '../cluster/types.js';
import type { CommitResult, RepoName } from '../gitops/types.js';
import { DesiredStateParser, parseEnvironment } from './desired-state.js';
import { RemovedRequests } from './removed-request.js';
import { BlockedSteps } from './blocked.js';
import { LeaderElector } from './leader.js';
import { ProjectGate } from './project-gate.js';
import { WorkQueue } from '../shared/index.js';
import { StepClocks } from './step-clock.js';
import { PassWaiters } from './pass-waiters.js';
import { RetryNudger } from './retry-nudge.js';
import { RepoView, type ChangeToTree, type EnvironmentCommit } from './repo-view.js';
import { StepObserver } from './step-observer.js';
import { ArgoRefresher, defaultParentApplication } from './refresh.js';
import type { StepObjects } from './resources.js';
import { RevisionAcceptance } from './revisions.js';
import { SecretWriter } from './secret-writer.js';
import { EnvironmentAges } from './ttl.js';
import { Committer } from './committer.js';
import { Deletion } from './deletion.js';
import { DroppedSecrets } from './dropped-secrets.js';
import { pinVersions } from './pinning.js';
import { RenderedClean } from './rendered-clean.js';
import { LOW_PRIORITY_KINDS, watchEnvcatObjects } from './watches.js';
import { StatusBoard, namespaceTaken, type EnvironmentStatusView } from './status-board.js';
import { KnownState } from './known-state.js';
import { GitPoll } from './git-poll.js';

export type { EnvironmentStatusView } from './status-board.js';
export { DEFAULT_APPLICATION_SETS, defaultParentApplication } from './refresh.js';
export type { CatalogSource, EngineEvents, EngineOptions } from './engine-options.js';
import { DEFAULT_RECONCILE_WORKERS, type EngineEvents, type EngineOptions } from './engine-options.js';

const environmentOf = (object: KubeObject) => object.metadata.labels?.[LABEL.environment] ?? '';

export class Engine extends EventEmitter<EngineEvents> {
  /** Environment files parsed and checked; its `documents` are the API's and the notifier's too. */
  readonly parser: DesiredStateParser;
  private readonly queue: WorkQueue;
  private readonly leader: LeaderElector;
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly view: RepoView;
  private readonly board: StatusBoard;
  private readonly observer: StepObserver;
  private readonly refresher: ArgoRefresher;
  private readonly revisions: RevisionAcceptance;
  private readonly secretWriter: SecretWriter;
  private readonly committer: Committer;
  private readonly deletion: Deletion;
  private readonly droppedSecrets: DroppedSecrets;
  private readonly removedRequests: RemovedRequests;
  private readonly blocked = new BlockedSteps();
  private readonly ages: EnvironmentAges;
  private readonly clocks: StepClocks;
  private readonly passes: PassWaiters;
  private readonly retries: RetryNudger;
  private readonly projects: ProjectGate;
  /** Environments whose committed files were found to be what they render to, and from what. */
  private readonly renderedClean = new RenderedClean();
  private workspaces!: Informer;
  private applications!: Informer;
  /** envcat's Secrets, key names only (secretForCache): a committed step's parameter Secret must stay. */
  private secrets!: Informer;
  private readonly known: KnownState;
  private readonly gitPoll: GitPoll;
  private timers: NodeJS.Timeout[] = [];
  private started = false;

  constructor(private readonly options: EngineOptions) {
    super();
    const log = (this.log = options.logger.child({ component: 'engine' }));
    const now = (this.now = options.now ?? Date.now);
    this.parser = new DesiredStateParser({
      catalog: () => options.catalog.current(),
      rendered: (environment, instance) => this.view.renderedVersions(environment, instance),
    });
    this.passes = new PassWaiters(options.clock);
    const queue = (this.queue = new WorkQueue({
      // Workers mostly wait for Git and the API server, and commits that wait together are pushed
      // together (GitRepo groups them), so more workers mean fuller commits, not more git processes.
      concurrency: options.concurrency ?? DEFAULT_RECONCILE_WORKERS,
      ...(options.clock ? { clock: options.clock } : {}),
      process: (name) => this.pass(name),
      onError: (name, error, attempt) =>
        log.error({ environment: name, attempt, err: describeError(error) }, 'reconcile failed; retrying'),
    }));
    this.revisions = new RevisionAcceptance({
      apps: options.apps,
      head: () => this.view.head('apps'),
      queue,
      logger: log,
    });
    this.view = new RepoView({
      platform: options.platform,
      apps: options.apps,
      onAppsHead: (sha) => this.revisions.noteHead(sha),
    });
    this.clocks = new StepClocks({
      platform: options.platform,
      apps: options.apps,
      now,
      graceMs: options.errorGraceMs ?? DEFAULT_ERROR_GRACE_MS,
      onKnown: (name) => {
        this.refreshStatus(name);
        queue.add(name);
      },
      logger: log,
    });
    this.board = new StatusBoard({
      now,
      logger: log,
      onChange: (name, status) => this.emit('status', name, status),
    });
    this.observer = new StepObserver({
      view: this.view,
      workspace: (name, namespace) => this.workspaces.get(name, namespace),
      application: (name) => this.applications.get(name, options.render.argocd.namespace),
      render: options.render,
      clocks: this.clocks,
      revisions: this.revisions,
      queue,
      now,
      folder: (environment, repo) => this.refresher.folderSync(environment, repo),
    });
    this.refresher = new ArgoRefresher({
      ...options, // the cluster, applicationSets and parentApplication
      namespace: options.render.argocd.namespace,
      applications: (environment) => this.applications.indexed(environment),
      application: (name) => this.applications.get(name, options.render.argocd.namespace),
      head: (repo) => this.view.head(repo),
      now,
      queue,
      logger: log,
      onRequested: (outcome) => this.emit('refreshRequested', outcome),
      onSyncRequested: (outcome) => this.emit('syncRequested', outcome),
      againAfterMs: options.refreshAgainMs,
    });
    this.secretWriter = new SecretWriter({
      cluster: options.cluster,
      cached: (ref) => this.secrets.get(ref.name, ref.namespace),
    });
    this.committer = new Committer({
      repos: { platform: options.platform, apps: options.apps },
      view: this.view,
      render: options.render,
      secrets: this.secretWriter,
      revisions: this.revisions,
      renderedClean: this.renderedClean,
      clocks: this.clocks,
      refresher: this.refresher,
      applications: (environment) => this.applications.indexed(environment),
      onCommitted: (event) => this.emit('committed', event),
      now,
      ...(options.atBoundary ? { atBoundary: options.atBoundary } : {}),
      logger: log,
    });
    this.deletion = new Deletion({
      view: this.view,
      applications: (environment) => this.applications.indexed(environment),
      workspaces: (environment) => this.workspaces.indexed(environment),
      cluster: options.cluster,
      platform: options.platform,
      observer: this.observer,
      board: this.board,
      committer: this.committer,
      refresher: this.refresher,
      queue,
      onDeleted: (name) => {
        // A pass after the environment was forgotten (woken by an event of its last Application)
        // finds nothing left either: it was deleted once, and is said so once.
        if (!this.board.has(name)) return;
        this.forget(name);
        log.info({ environment: name }, 'environment deleted');
        this.emit('deleted', name);
      },
      removedRequest: (name) => this.removedRequests.of(name),
      ...(options.atBoundary ? { atBoundary: options.atBoundary } : {}),
      logger: log,
    });
    this.droppedSecrets = new DroppedSecrets({
      ...options,
      view: this.view,
      cached: (source, environment) => this[source].indexed(environment),
      logger: log,
    });
    this.removedRequests = new RemovedRequests({
      platform: options.platform,
      parse: (name, source) => parseEnvironment({ name, source, catalog: options.catalog.current().catalog }),
    });
    this.ages = new EnvironmentAges({ platform: options.platform, now, queue, logger: log });
    this.retries = new RetryNudger({
      cluster: options.cluster,
      workspaceApiVersion: WORKSPACE_API[options.render.workspaceApi],
      logger: log,
    });
    this.projects = new ProjectGate({ cluster: options.cluster, render: options.render, logger: log });
    this.leader = new LeaderElector({
      cluster: options.cluster,
      namespace: options.namespace ?? 'envcat-system',
      name: 'envcat-engine',
      identity: options.identity,
      leaseDurationMs: options.leaseDurationMs ?? 15_000,
      logger: log,
      onStartedLeading: () => this.enqueueAll(),
    });
    this.known = new KnownState({
      view: this.view,
      parser: this.parser,
      observer: this.observer,
      blocked: this.blocked,
      board: this.board,
      clocks: this.clocks,
      parentApplication: options.parentApplication ?? defaultParentApplication,
    });
    this.gitPoll = new GitPoll({
      view: this.view,
      catalog: options.catalog,
      isLeader: () => this.leader.isLeader,
      refresher: this.refresher,
      changed: (name) => {
        this.refreshStatus(name);
        queue.add(name);
      },
      logger: log,
    });
  }

  /** Loads both repos, starts the watches, then reconciles every environment while this replica leads. */
  async start(): Promise<void> {
    await Promise.all([this.view.refresh('platform'), this.view.refresh('apps')]);
    const watches = watchEnvcatObjects({
      cluster: this.options.cluster,
      render: this.options.render,
      logger: this.log,
      onEvent: (source, object) => {
        // The API writes an environment's Secrets before its file: they wake only environments in Git.
        if (source !== 'secrets' || this.environmentSource(environmentOf(object)) !== undefined)
          this.onObjectEvent(object);
      },
    });
    ({ workspaces: this.workspaces, applications: this.applications, secrets: this.secrets } = watches);
    this.projects.onChange((project) => this.onObjectEvent(project));
    this.projects.start();
    await Promise.all([this.workspaces.start(), this.applications.start(), this.secrets.start()]);
    this.started = true;
    // First the commit dates of the steps still converging (a pass that publishes nothing starts
    // their lookups), then the first statuses: after a restart a step that timed out is Failed from
    // the start, not converging again for a moment.
    this.board.priming = true;
    for (const name of this.knownEnvironments()) this.refreshStatus(name);
    await this.clocks.idle();
    this.board.priming = false;
    for (const name of this.knownEnvironments()) this.refreshStatus(name);
    await this.leader.start();
    const poll = setInterval(() => void this.pollGit(), this.options.gitPollMs ?? 2_000);
    const resync = setInterval(() => this.enqueueAll(), this.options.resyncMs ?? 300_000);
    poll.unref();
    resync.unref();
    this.timers.push(poll, resync);
    this.log.info({ identity: this.options.identity }, 'engine started');
  }

  async stop(): Promise<void> {
    for (const timer of this.timers) clearInterval(timer);
    this.timers = [];
    this.revisions.stop();
    this.queue.stop();
    await this.queue.idle();
    await this.refresher.stop();
    await this.retries.stop();
    await this.leader.stop();
    this.workspaces?.stop();
    this.applications?.stop();
    this.secrets?.stop();
    this.projects.stop();
    this.started = false;
  }

  get isLeader(): boolean {
    return this.leader.isLeader;
  }

  /** Reconcile an environment soon (after the API wrote it, say). */
  enqueue(name: string): void {
    this.queue.add(name);
  }

  /** Until its release, at most 2 passes start at once: the API's creates go first (WorkQueue.yieldTo). */
  readonly apiRequest = (): (() => void) => this.queue.yieldTo(2);

  /** Reconcile an environment now, and resolve once that pass has ended (see PassWaiters), or after `timeoutMs`. */
  planned(name: string, timeoutMs = 10_000): Promise<void> {
    // A follower's pass plans nothing (the leader's does, after its next Git poll): no wait.
    const passed = this.leader.isLeader ? this.passes.next(name, timeoutMs) : Promise.resolve();
    this.queue.add(name);
    return passed;
  }

  private async pass(name: string): Promise<void> {
    this.passes.started(name);
    try {
      await this.reconcile(name);
      this.emit('reconciled', name, 'success');
    } catch (error) {
      this.emit('reconciled', name, 'error');
      throw error;
    } finally {
      this.passes.ended(name);
    }
  }

  /** Resolves when no reconcile is queued or running, and no refresh request is under way. */
  async idle(): Promise<void> {
    await this.queue.idle();
    await this.refresher.idle();
    await this.retries.idle();
  }

  /** Fetch both repos now and reconcile what changed (git-poll.ts). */
  pollGit(): Promise<void> {
    return this.gitPoll.poll();
  }

  /** Every environment that has files in either repo. */
  knownEnvironments(): string[] {
    return this.view.environments();
  }

  /** The environment file as the platform repo holds it (no secret values ever are). */
  environmentSource(name: string): string | undefined {
    return this.view.environmentSource(name);
  }

  /** The environment that holds a namespace's claim in the platform repo, if any. */
  namespaceOwner(namespace: string): string | undefined {
    return this.view.namespaceOwner(namespace);
  }

  status(name: string): EnvironmentStatusView | undefined {
    if (!this.board.has(name) && this.started && this.knownEnvironments().includes(name))
      this.refreshStatus(name);
    return this.board.get(name);
  }

  /** The outputs of the environment's Workspaces that are Ready now, by instance (non-sensitive and sensitive). */
  outputsOf(env: ResolvedEnvironment): OutputValues {
    return this.observer.outputs(env);
  }

  /** Each step's Workspace or Application as the caches have it, and its commit when known (resources.ts). */
  stepObjects(name: string): StepObjects | undefined {
    return this.known.stepObjects(name);
  }

  /** Asks Argo CD to look at the environment's folders in both repos now, as after a commit; the objects asked. */
  refreshArgo(name: string): RefreshTarget[] {
    return [...this.refresher.request(name, 'platform'), ...this.refresher.request(name, 'apps')];
  }

  /** The commits that touched an environment, newest first, in both repos. */
  async commits(name: string, limit = 50): Promise<EnvironmentCommit[]> {
    return this.view.commits(name, limit);
  }

  /** When the environment's file was first committed (known after its first reconcile), as an ISO time. */
  createdAtOf(name: string): string | undefined {
    const created = this.ages.createdAt(name, this.environmentSource(name) !== undefined);
    return created === undefined ? undefined : new Date(created).toISOString();
  }

  /** Record a commit made by someone else in this process (the API), so the next pass sees it without a fetch. */
  noteCommit(repo: RepoName, change: ChangeToTree, result: CommitResult): void {
    // The status follows Git at once (a retry's request reads as retrying, not as the old failure).
    for (const name of this.view.noteCommit(repo, change, result)) this.refreshStatus(name);
  }

  /**
   * The API created the environment with `result`'s commit (its file could not exist before: the
   * commit's compare-and-swap said so): its age counts from that commit.
   */
  noteCreated(name: string, result: CommitResult): void {
    if (result.changed && result.commit) this.ages.noteCreated(name, Date.parse(result.commit.date));
  }

  private enqueueAll(): void {
    for (const name of this.knownEnvironments()) this.queue.add(name);
  }

  private onObjectEvent(object: KubeObject): void {
    const name = object.metadata.labels?.[LABEL.environment];
    if (!name) return;
    this.refreshStatus(name);
    this.queue.add(name, LOW_PRIORITY_KINDS.has(object.kind) ? 'low' : 'normal');
  }

  private async reconcile(name: string): Promise<void> {
    // A follower only re-derives the status (a grace or a timeout that ran out).
    if (!this.leader.isLeader) return this.refreshStatus(name);
    const source = this.environmentSource(name);
    if (source !== undefined) this.removedRequests.forget(name);
    const desired = source === undefined ? undefined : this.parser.parse(name, source);
    if (
      !desired ||
      desired.deletionRequested ||
      (desired.valid && this.ages.expired(name, desired.environment))
    ) {
      await this.deletion.reconcile(name, desired, source);
      return;
    }
    if (!desired.valid) {
      this.board.publishInvalid(name, desired.problems);
      return;
    }
    await this.reconcileProvisioning(name, desired.environment, desired.plan, source!);
  }

  private async reconcileProvisioning(
    name: string,
    env: ResolvedEnvironment,
    plan: Plan,
    source: string,
  ): Promise<void> {
    const log = this.log.child({ environment: name });
    // The namespace file goes first: namespaced Workspaces live in it. It is rendered only for the
    // environment that holds the namespace's claim (claimed here for one committed by hand).
    const owner = this.view.namespaceOwner(env.namespace);
    const taken = namespaceTaken(name, env, owner);
    if (taken) {
      this.board.publishInvalid(name, [taken]);
      return;
    }
    // Before anything is rendered, a request without versions gets them (pinning.ts). If its file
    // changed since it was read, the Git poll brings the change and this environment back.
    if ((await pinVersions({ committer: this.committer, env, source, logger: log })) === 'changed-since') {
      this.queue.addAfter(name, this.options.gitPollMs ?? 2_000);
      return;
    }
    const environmentFiles = [renderNamespaceFile(env, this.options.render)];
    if (owner === undefined || this.view.differs('platform', environmentFiles)) {
      const claim = owner === undefined ? [namespaceClaim(env.namespace, name)] : [];
      await this.committer.commit({
        environment: name,
        repo: 'platform',
        write: [...environmentFiles, ...claim],
        message: `envcat: ${name}: namespace and isolation`,
        ...(claim.length > 0 ? { mustNotExist: [namespaceClaimDir(env.namespace)] } : {}),
      });
    }

    const outputs = this.observer.outputs(env);
    // Steps whose parameter Secret is gone are Failed until it is back; its return is a watch event.
    const missingSecrets = await this.secretWriter.missing(
      env,
      plan.steps.filter((step) => this.view.isCommitted(env, step)),
    );
    // Only now does the last pass's verdict give way: a status derived while a Secret was still
    // being checked (or written again) would read the step as unblocked before it is.
    const blocked = this.blocked.begin(name);
    for (const [step, problem] of missingSecrets) blocked.set(step, problem);
    const observe = () => plan.steps.map((step) => this.observer.observe(env, step, blocked.get(step.id)));

    // Committed steps whose rendering changed (the request was edited, an output changed) are updated in place.
    const files = this.view.fileVersion(name);
    const toRender = this.renderedClean.toRender({ name, env, files, outputs, steps: plan.steps });
    const rendersDifferently = (o: StepObservation) =>
      o.committed && toRender.has(o.step.id) && this.committer.rendersDifferently(env, o.step, outputs);
    const stale = toRender.size === 0 ? [] : observe().filter(rendersDifferently);
    const projectReady = () => this.projectReady(name, env, log);
    // Infrastructure first: a changed step that reads infrastructure being changed waits until it
    // is Ready at the version in Git (core updatableSteps); its Workspace's watch event wakes it.
    const update =
      stale.length > 0
        ? updatableSteps({ plan, changed: stale.map((o) => o.step), observed: observe() })
        : undefined;
    for (const part of ['infra', 'apps'] as const) {
      const steps = (update?.now ?? []).filter((step) => step.part === part);
      if (steps.length > 0 && (part === 'infra' || (await projectReady())))
        await this.committer.commitSteps({ name, env, steps, outputs, blocked, update: true });
    }
    for (const { step, on } of update?.waiting ?? [])
      log.debug({ step: step.id, waitingFor: on }, 'changed step waits for the infrastructure it reads');
    await this.committer.removeDroppedInstances(name, env);
    await this.droppedSecrets.reconcile(name, env);
    if (stale.length === 0 && blocked.size === 0)
      this.renderedClean.noteClean({ name, env, files: this.view.fileVersion(name), outputs });
    else this.renderedClean.forget(name);

    // Read in the same turn as the steps the action is decided on: a Workspace that became
    // Available during an await above must bring its outputs to the wave it lets through.
    const action = nextProvisionAction({ plan, steps: observe() });
    const waveOutputs = this.observer.outputs(env);
    // An apps wave waiting for its AppProject is not re-queued at once (that spun hundreds of passes
    // a second): the platform Application's sync wakes it; projectReady asks again in a while.
    let waitingForProject = false;
    if (action.kind === 'commit') {
      const wave = plan.waves.find((w) => w.number === action.wave);
      const steps = plan.steps.filter((s) => wave?.steps.includes(s.id) && !this.view.isCommitted(env, s));
      waitingForProject = wave?.phase === 2 && !(await projectReady());
      if (!waitingForProject) {
        const commits = await this.committer.commitSteps({
          name,
          env,
          steps,
          outputs: waveOutputs,
          blocked,
          wave: action.wave,
        });
        if (commits.length > 0) {
          log.info({ wave: action.wave, steps: steps.map((s) => s.id), commits }, 'wave committed');
          this.options.atBoundary?.('wave:committed');
        }
      }
    } else {
      log.debug({ reason: action.reason }, 'waiting');
    }
    const observed = observe();
    // After `envcat env retry`: each step's controller is asked to try again, once per retry.
    for (const o of observed)
      if (o.committed) this.retries.nudgeStep(env, o, this.observer.object(env, o.step));
    this.board.publishObserved(name, {
      env,
      steps: observed,
      outputs: this.observer.outputs(env),
      deleting: false,
    });
    for (const change of this.blocked.changes(name)) {
      if (change.kind === 'blocked')
        log.warn({ step: change.step, reason: change.reason, message: change.message }, 'step blocked');
      else log.info({ step: change.step, reason: change.reason }, 'step no longer blocked');
    }
    if ([...blocked.keys()].some((id) => !missingSecrets.has(id))) this.queue.addAfter(name, 5_000);
    else if (
      action.kind === 'commit' &&
      !waitingForProject &&
      nextProvisionAction({ plan, steps: observed }).kind === 'commit'
    )
      this.queue.add(name); // the next wave can go at once (most wait for a watch event)
    this.refresher.againIfStuck(name, observed);
  }

  /** Apps wait until the environment's AppProject is in the cluster as rendered (project-gate.ts). */
  private async projectReady(name: string, env: ResolvedEnvironment, log: Logger): Promise<boolean> {
    if (await this.projects.ready(env, log)) return true;
    log.debug('waiting for the AppProject of the environment');
    this.refresher.whileProjectMissing(name);
    return false;
  }

  /** What the engine keeps about an environment that is gone. */
  private forget(name: string): void {
    this.board.forget(name);
    this.blocked.forget(name);
    this.renderedClean.forget(name);
    this.view.forget(name);
    this.refresher.forget(name);
    this.parser.forget(name);
    this.removedRequests.forget(name);
    this.deletion.forget(name);
    this.clocks.forget(name);
    this.ages.forget(name);
  }

  /** Status from what is known now, without writing anything (any replica may do this; known-state.ts). */
  private refreshStatus(name: string): void {
    if (this.started) this.known.publishStatus(name);
  }
}
