/**
 * The reconciler (DESIGN §4–§6): level-triggered and idempotent. Desired state is what the
 * platform repo holds, observed state is what the cluster reports through watches; each pass
 * over an environment commits at most the next wave, or the next deletion step, and derives the
 * status from scratch. Nothing is kept that a restart could lose: Git and the cluster are the state.
 */
import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import {
  ARGOCD_ANNOTATION,
  ENVIRONMENTS_DIR,
  LABEL,
  NAMESPACE_CLAIMS_DIR,
  environmentFile,
  environmentNames,
  environmentPrefix,
  managedSelector,
  manifestsDir,
  namespaceClaim,
  namespaceClaimDir,
  partDir,
  repoOf,
  stepFile,
  DEFAULT_ERROR_GRACE_MS,
  judgeApplication,
  judgeWorkspace,
  environmentStatus,
  EnvcatError,
  NotFoundError,
  nextDeletionAction,
  nextProvisionAction,
  outputSecretName,
  qualifiedName,
  renderEnvironmentFiles,
  renderStep,
  secretData,
  workspaceOutputs,
  workspaceState,
  WORKSPACE_API,
  type Verdict,
  type Catalog,
  type EnvironmentPhase,
  type EnvironmentStatusSummary,
  type JsonValue,
  type OutputValues,
  type Plan,
  type Problem,
  type RenderOptions,
  type RenderedFile,
  type ResolvedEnvironment,
  type SecretPlan,
  type SecretSource,
  type Step,
  type StepObservation,
  type StepStatus,
} from '../core/index.js';
import type { ClusterClient, Informer, KubeObject } from '../cluster/types.js';
import { KindNotServedError } from '../cluster/index.js';
import type { CommitResult, FileChange, GitOpsRepo, RepoName } from '../gitops/types.js';
import { DesiredStateParser, type DesiredEnvironment } from './desired-state.js';
import { NamespaceClaims } from './namespace-claims.js';
import { applicationForCache, workspaceForCache } from './cache-transform.js';
import { type Blocked, blockedChanges } from './blocked.js';
import { missingParameterSecrets, secretForCache, unreadableSource } from './secrets.js';
import { LeaderElector } from './leader.js';
import { projectInPlace } from './project-gate.js';
import { RepoTree } from './repo-tree.js';
import { Coalescer } from './coalescer.js';
import { WorkQueue } from './work-queue.js';
import { StepClocks } from './step-clock.js';
import { RetryNudger } from './retry-nudge.js';

const environmentOf = (object: KubeObject) => object.metadata.labels?.[LABEL.environment] ?? '';
const REFRESH_ANNOTATION = ARGOCD_ANNOTATION.refresh;
/** What Argo CD's Git webhook sets on an ApplicationSet: its generators read Git now. */
const APPSET_REFRESH_ANNOTATION = ARGOCD_ANNOTATION.applicationSetRefresh;
/**
 * A refresh asked for while Argo CD still had the previous one pending is a no-op (the annotation
 * is already there), and Argo CD may have read Git before our push: ask again after this long
 * while a committed step is still not in the cluster (or at an older revision).
 */
const REFRESH_AGAIN_MS = 10_000;

export interface CatalogSource {
  /** The catalog now, and a number that changes whenever it does. */
  current(): { catalog: Catalog; version: number };
}

export interface EngineOptions {
  catalog: CatalogSource;
  platform: GitOpsRepo;
  apps: GitOpsRepo;
  cluster: ClusterClient;
  render: RenderOptions;
  logger: Logger;
  /** This replica's name, for the leader Lease. */
  identity: string;
  /** Namespace of the leader Lease. */
  namespace?: string;
  /** How often both repos are fetched for changes made outside the engine. */
  gitPollMs?: number;
  /** How often every environment is reconciled even without a trigger. */
  resyncMs?: number;
  concurrency?: number;
  leaseDurationMs?: number;
  /** Name of the Argo CD Application the bootstrap ApplicationSet generates for an environment's directory. */
  parentApplication?: (repo: RepoName, environment: string) => string;
  /** Names of the bootstrap ApplicationSets (gitops/bootstrap) that watch each repo. */
  applicationSets?: Record<RepoName, string>;
  now?: () => number;
  /** How long a transient controller error (ComparisonError, a Workspace connect error) may last. Default 60 s. */
  errorGraceMs?: number;
}

export interface EnvironmentStatusView extends EnvironmentStatusSummary {
  /** Non-sensitive outputs of the infrastructure steps, by instance. */
  outputs: Record<string, Record<string, JsonValue>>;
  /** Validation problems of an Invalid environment. */
  problems?: Problem[];
  observedAt: string;
}

export interface EngineEvents {
  status: [name: string, status: EnvironmentStatusView];
  deleted: [name: string];
  committed: [event: { environment: string; repo: RepoName; sha: string; message: string; wave?: number }];
}

/** An Argo CD object asked to look at Git now, through an annotation. */
interface RefreshTarget {
  kind: 'ApplicationSet' | 'Application';
  name: string;
  annotation: string;
  value: string;
}

export class Engine extends EventEmitter<EngineEvents> {
  private readonly parser: DesiredStateParser;
  private readonly queue: WorkQueue;
  private readonly leader: LeaderElector;
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly trees: Record<RepoName, RepoTree> = { platform: new RepoTree(), apps: new RepoTree() };
  private readonly heads: Record<RepoName, string> = { platform: '', apps: '' };
  /** Commits of this process noted while a poll reads a repo's tree (applied again on what it read). */
  private readonly notedDuringRead: Record<RepoName, ChangeToTree[] | undefined> = {
    platform: undefined,
    apps: undefined,
  };
  /** The tree in memory may lack someone else's commit: the next poll reads it whole again. */
  private readonly reloadNeeded: Record<RepoName, boolean> = { platform: false, apps: false };
  /** Who holds which namespace (the platform repo's namespaces/ claims). */
  private claims = new NamespaceClaims();
  private readonly statuses = new Map<string, EnvironmentStatusView>();
  private readonly createdAt = new Map<string, number>();
  private readonly lastAppCommit = new Map<string, string>();
  /**
   * Heads of the apps repo seen by this process (its pushes, its fetches), in order: the branch
   * only moves forward, so a later head holds every earlier one. Answers most revision checks
   * without Git (a force-push to the branch is not supported).
   */
  private readonly appHeads = new Map<string, number>();
  private appHeadCount = 0;
  private readonly revisionCache = new Map<string, boolean>();
  private readonly revisionQuestions = new Map<
    string,
    { environment: string; instance: string; revision: string; head: string }
  >();
  private revisionLookup: NodeJS.Immediate | undefined;
  /** Environments whose committed files were found to be what they render to, and from what. */
  private readonly renderedClean = new Map<
    string,
    { env: ResolvedEnvironment; outputs: string; files: number }
  >();
  /** A number per environment that changes whenever any of its files in either repo does. */
  private readonly fileVersions = new Map<string, number>();
  private fileVersionCount = 0;
  /** When a refresh was last asked for, by repo and environment. */
  private readonly refreshedAt = new Map<string, number>();
  /** Since when a committed step has waited to show up in the cluster at our revision, by repo and environment. */
  private readonly waitingSince = new Map<string, number>();
  /** Git lookups under way, so a burst of watch events starts each one once. */
  private readonly lookups = new Set<string>();
  /** Steps the last pass could not commit, by environment (transient: the next pass recomputes them). */
  private readonly blockedSteps = new Map<string, Map<string, Blocked>>();
  /** Refresh requests, one under way per object (see refreshTarget). */
  private readonly refreshes = new Coalescer();
  private readonly clocks: StepClocks;
  private readonly retries: RetryNudger;
  private workspaces!: Informer;
  private applications!: Informer;
  /** envcat's Secrets, key names only (secretForCache): a committed step's parameter Secret must stay. */
  private secrets!: Informer;
  private timers: NodeJS.Timeout[] = [];
  private polling = false;
  /** While start() looks up the step clocks: statuses are derived but not published yet. */
  private priming = false;
  private started = false;

  constructor(private readonly options: EngineOptions) {
    super();
    this.log = options.logger.child({ component: 'engine' });
    this.now = options.now ?? Date.now;
    this.parser = new DesiredStateParser(() => options.catalog.current());
    this.clocks = new StepClocks({
      platform: options.platform,
      apps: options.apps,
      now: this.now,
      graceMs: options.errorGraceMs ?? DEFAULT_ERROR_GRACE_MS,
      onKnown: (name) => {
        this.refreshStatus(name);
        this.queue.add(name);
      },
      logger: this.log,
    });
    this.retries = new RetryNudger({ cluster: options.cluster, logger: this.log });
    this.queue = new WorkQueue({
      // Workers mostly wait for Git and the API server, and commits that wait together are pushed
      // together (GitRepo groups them), so more workers mean fuller commits, not more git processes.
      concurrency: options.concurrency ?? 64,
      process: (name) => this.reconcile(name),
      onError: (name, error, attempt) =>
        this.log.error(
          { environment: name, attempt, err: describeError(error) },
          'reconcile failed; retrying',
        ),
    });
    this.leader = new LeaderElector({
      cluster: options.cluster,
      namespace: options.namespace ?? 'envcat-system',
      name: 'envcat-engine',
      identity: options.identity,
      leaseDurationMs: options.leaseDurationMs ?? 15_000,
      logger: this.log,
      onStartedLeading: () => this.enqueueAll(),
    });
  }

  /** Loads both repos, starts the watches, then reconciles every environment while this replica leads. */
  async start(): Promise<void> {
    await Promise.all([this.refreshRepo('platform'), this.refreshRepo('apps')]);
    const workspaceApi = WORKSPACE_API[this.options.render.workspaceApi];
    const selector = managedSelector();
    this.workspaces = this.options.cluster.informer(
      { apiVersion: workspaceApi, kind: 'Workspace' },
      { labelSelector: selector, transform: workspaceForCache },
    );
    this.applications = this.options.cluster.informer(
      { apiVersion: 'argoproj.io/v1alpha1', kind: 'Application' },
      {
        namespace: this.options.render.argocd.namespace,
        labelSelector: selector,
        transform: applicationForCache,
      },
    );
    this.secrets = this.options.cluster.informer(
      { apiVersion: 'v1', kind: 'Secret' },
      { labelSelector: selector, transform: secretForCache },
    );
    for (const informer of [this.workspaces, this.applications, this.secrets]) {
      for (const event of ['ADDED', 'MODIFIED', 'DELETED'] as const)
        informer.on(event, (object) => {
          // The API writes an environment's Secrets before its file: they wake only environments in Git.
          if (informer !== this.secrets || this.environmentSource(environmentOf(object)) !== undefined)
            this.onObjectEvent(object);
        });
      informer.on('error', (error) =>
        this.log.warn({ err: describeError(error) }, 'watch failed; restarting'),
      );
    }
    await Promise.all([this.workspaces.start(), this.applications.start(), this.secrets.start()]);
    this.started = true;
    // First the commit dates of the steps still converging (a pass that publishes nothing starts
    // their lookups), then the first statuses: after a restart a step that timed out is Failed from
    // the start, not converging again for a moment.
    this.priming = true;
    for (const name of this.knownEnvironments()) this.refreshStatus(name);
    await this.clocks.idle();
    this.priming = false;
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
    if (this.revisionLookup) clearImmediate(this.revisionLookup);
    this.revisionLookup = undefined;
    this.queue.stop();
    await this.queue.idle();
    await this.refreshes.stop();
    await this.retries.stop();
    await this.leader.stop();
    this.workspaces?.stop();
    this.applications?.stop();
    this.secrets?.stop();
    this.started = false;
  }

  get isLeader(): boolean {
    return this.leader.isLeader;
  }

  /** Reconcile an environment soon (after the API wrote it, say). */
  enqueue(name: string): void {
    this.queue.add(name);
  }

  /** Resolves when no reconcile is queued or running, and no refresh request is under way. */
  async idle(): Promise<void> {
    await this.queue.idle();
    await this.refreshes.idle();
    await this.retries.idle();
  }

  /** Fetch both repos now and reconcile what changed. */
  async pollGit(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      const changed = new Set<string>();
      for (const repo of ['platform', 'apps'] as const) {
        for (const name of await this.refreshRepo(repo)) changed.add(name);
      }
      for (const name of changed) {
        this.refreshStatus(name);
        this.queue.add(name);
      }
    } catch (error) {
      this.log.warn({ err: describeError(error) }, 'git poll failed');
    } finally {
      this.polling = false;
    }
  }

  /** Every environment that has files in either repo. */
  knownEnvironments(): string[] {
    const names = new Set(this.trees.platform.environments());
    for (const name of this.trees.apps.environments()) names.add(name);
    // A claim left alone (its environment's folder removed by hand) is an environment still to delete.
    for (const name of this.claims.environments()) names.add(name);
    return [...names].sort();
  }

  /** The environment file as the platform repo holds it (no secret values ever are). */
  environmentSource(name: string): string | undefined {
    return this.trees.platform.request(environmentFile(name));
  }

  /** The environment that holds a namespace's claim in the platform repo, if any. */
  namespaceOwner(namespace: string): string | undefined {
    return this.claims.owner(namespace);
  }

  status(name: string): EnvironmentStatusView | undefined {
    if (!this.statuses.has(name) && this.started && this.knownEnvironments().includes(name))
      this.refreshStatus(name);
    return this.statuses.get(name);
  }

  /** The commits that touched an environment, newest first, in both repos. */
  async commits(
    name: string,
    limit = 50,
  ): Promise<Array<{ repo: RepoName; sha: string; message: string; date: string }>> {
    const prefix = environmentPrefix(name);
    const [platform, apps] = await Promise.all([
      this.options.platform.log(prefix, { limit }),
      this.options.apps.log(prefix, { limit }),
    ]);
    return [
      ...platform.map((c) => ({
        repo: 'platform' as const,
        sha: c.sha,
        message: messageAbout(name, c.message),
        date: c.date,
      })),
      ...apps.map((c) => ({
        repo: 'apps' as const,
        sha: c.sha,
        message: messageAbout(name, c.message),
        date: c.date,
      })),
    ]
      .sort((a, b) => b.date.localeCompare(a.date))
      .slice(0, limit);
  }

  /** When the environment's file was first committed (known after its first reconcile), as an ISO time. */
  createdAtOf(name: string): string | undefined {
    const created = this.createdAt.get(name);
    if (created === undefined) {
      if (this.environmentSource(name) !== undefined)
        this.lookup(`created:${name}`, () => this.loadCreatedAt(name));
      return undefined;
    }
    return new Date(created).toISOString();
  }

  /** Record a commit made by someone else in this process (the API), so the next pass sees it without a fetch. */
  noteCommit(
    repo: RepoName,
    change: { write: Array<{ path: string; content: string }>; remove: string[] },
    result: CommitResult,
  ): void {
    this.applyToTree(repo, change);
    this.advanceHead(repo, result);
    if (repo === 'apps') this.noteAppHead(result.sha);
    // The status follows Git at once (a retry's request reads as retrying, not as the old failure).
    for (const name of environmentNames([...change.remove, ...change.write.map((f) => f.path)]))
      this.refreshStatus(name);
  }

  /**
   * Moves the known head to a commit this process made, when the tree in memory is that commit's:
   * the commit was made on the head the tree was read at (or another change of the same grouped
   * commit moved it there already). Otherwise someone else committed in between, and the next Git
   * poll reads the whole tree again rather than miss their change.
   */
  private advanceHead(repo: RepoName, result: CommitResult): void {
    if (result.sha === this.heads[repo]) return;
    if (result.base !== undefined && result.base !== this.heads[repo]) {
      this.reloadNeeded[repo] = true;
      return;
    }
    this.heads[repo] = result.sha;
  }

  private enqueueAll(): void {
    for (const name of this.knownEnvironments()) this.queue.add(name);
  }

  private onObjectEvent(object: KubeObject): void {
    const name = object.metadata.labels?.[LABEL.environment];
    if (!name) return;
    this.refreshStatus(name);
    this.queue.add(name);
  }

  /**
   * Syncs a repo and reloads its tree when the head moved (or a commit of this process was made on
   * top of someone else's); returns the environments whose files changed. Commits this process
   * notes while the tree is read are applied again on what was read: the read may predate them,
   * and dropping them would make a fresh environment look deleted. (Applying one the read already
   * holds changes nothing.) Then the next poll reads again, to settle on what Git holds.
   */
  private async refreshRepo(repo: RepoName): Promise<Set<string>> {
    const head = await this.options[repo].sync();
    if (head === this.heads[repo] && !this.reloadNeeded[repo]) return new Set();
    const during: ChangeToTree[] = [];
    this.notedDuringRead[repo] = during;
    let tree: RepoTree;
    let claims: NamespaceClaims | undefined;
    try {
      tree = new RepoTree(await this.options[repo].readTree(`${ENVIRONMENTS_DIR}/`));
      if (repo === 'platform')
        claims = new NamespaceClaims(
          (await this.options.platform.readTree(`${NAMESPACE_CLAIMS_DIR}/`)).keys(),
        );
    } finally {
      this.notedDuringRead[repo] = undefined;
    }
    for (const change of during) applyChange(tree, claims ?? this.claims, repo, change);
    const changed = RepoTree.changed(this.trees[repo], tree);
    if (claims) {
      for (const name of claims.environments())
        if (!this.claims.environments().has(name)) changed.add(environmentPrefix(name));
      for (const name of this.claims.environments())
        if (!claims.environments().has(name)) changed.add(environmentPrefix(name));
      this.claims = claims;
    }
    this.reloadNeeded[repo] = during.length > 0;
    this.trees[repo] = tree;
    this.heads[repo] = head;
    if (repo === 'apps') this.noteAppHead(head);
    const names = environmentNames(changed);
    for (const name of names) this.fileVersions.set(name, ++this.fileVersionCount);
    return names;
  }

  private async reconcile(name: string): Promise<void> {
    // A follower only re-derives the status (a grace or a timeout that ran out).
    if (!this.leader.isLeader) return this.refreshStatus(name);
    const source = this.environmentSource(name);
    const desired = source === undefined ? undefined : this.parser.parse(name, source);
    if (!desired || desired.deletionRequested || (desired.valid && this.expired(name, desired.environment))) {
      await this.reconcileDeletion(name, desired);
      return;
    }
    if (!desired.valid) {
      this.publish(name, this.invalidStatus(desired.problems));
      return;
    }
    await this.reconcileProvisioning(name, desired.environment, desired.plan);
  }

  private async reconcileProvisioning(name: string, env: ResolvedEnvironment, plan: Plan): Promise<void> {
    const log = this.log.child({ environment: name });
    // The namespace file goes first: namespaced Workspaces live in it. It is rendered only for the
    // environment that holds the namespace's claim (claimed here for one committed by hand).
    const owner = this.claims.owner(env.namespace);
    const taken = this.namespaceTaken(name, env);
    if (taken) {
      this.publish(name, this.invalidStatus([taken]));
      return;
    }
    const environmentFiles = renderEnvironmentFiles(env, this.options.render).filter((f) =>
      f.path.endsWith('/namespace.yaml'),
    );
    if (owner === undefined || this.differs('platform', environmentFiles)) {
      const claim = owner === undefined ? [namespaceClaim(env.namespace, name)] : [];
      await this.commitChange({
        environment: name,
        repo: 'platform',
        change: {
          write: [...environmentFiles.map((f) => ({ path: f.path, content: f.content })), ...claim],
          remove: [],
          message: `envcat: ${name}: namespace and isolation`,
          ...(claim.length > 0 ? { mustNotExist: [namespaceClaimDir(env.namespace)] } : {}),
        },
      });
    }

    const outputs = this.observedOutputs(env);
    const previouslyBlocked = this.blockedSteps.get(name);
    const blocked = new Map<string, Blocked>();
    this.blockedSteps.set(name, blocked);
    // Steps whose parameter Secret is gone are Failed until it is back; its return is a watch event.
    const missingSecrets = await missingParameterSecrets({
      env,
      steps: plan.steps.filter((step) => this.isCommitted(env, step)),
      cached: (ref) => this.secrets.get(ref.name, ref.namespace),
      get: (ref) => this.options.cluster.get({ apiVersion: 'v1', kind: 'Secret', ...ref }),
      rewrite: (secret) => this.ensureSecret(env, secret),
    });
    for (const [step, problem] of missingSecrets) blocked.set(step, problem);
    const observe = () => plan.steps.map((step) => this.observeStep(env, step, blocked.get(step.id)));

    // Committed steps whose rendering changed (the request was edited, an output changed) are updated in place.
    // Rendering every committed step on every pass is most of an idle engine's work (and garbage):
    // skip it while the request, the outputs and the environment's files are what they were.
    const outputsKey = JSON.stringify(outputs);
    const clean = this.renderedClean.get(name);
    const upToDate =
      clean?.env === env && clean.outputs === outputsKey && clean.files === this.fileVersion(name);
    const stale = upToDate
      ? []
      : observe().filter((o) => o.committed && this.rendersDifferently(env, o.step, outputs));
    const projectReady = () => this.projectReady(name, env, log);
    for (const part of ['infra', 'apps'] as const) {
      const steps = stale.filter((o) => o.step.part === part).map((o) => o.step);
      if (steps.length > 0 && (part === 'infra' || (await projectReady())))
        await this.commitSteps({ name, env, steps, outputs, blocked, update: true });
    }
    await this.removeDroppedInstances(name, env);
    if (stale.length === 0 && blocked.size === 0)
      this.renderedClean.set(name, { env, outputs: outputsKey, files: this.fileVersion(name) });
    else this.renderedClean.delete(name);

    const action = nextProvisionAction({ plan, steps: observe() });
    if (action.kind === 'commit') {
      const wave = plan.waves.find((w) => w.number === action.wave);
      const steps = plan.steps.filter((s) => wave?.steps.includes(s.id) && !this.isCommitted(env, s));
      if (wave?.phase !== 2 || (await projectReady())) {
        const commits = await this.commitSteps({ name, env, steps, outputs, blocked, wave: action.wave });
        if (commits.length > 0)
          log.info({ wave: action.wave, steps: steps.map((s) => s.id), commits }, 'wave committed');
      }
    } else {
      log.debug({ reason: action.reason }, 'waiting');
    }
    const observed = observe();
    for (const o of observed) if (o.committed) this.nudgeRetry(env, o);
    const summary = environmentStatus({ steps: observed, deleting: false });
    this.publish(name, {
      ...summary,
      outputs: this.publicOutputs(env, outputs),
      observedAt: this.timestamp(),
    });
    for (const change of blockedChanges(previouslyBlocked, blocked)) {
      if (change.kind === 'blocked')
        log.warn({ step: change.step, reason: change.reason, message: change.message }, 'step blocked');
      else log.info({ step: change.step, reason: change.reason }, 'step no longer blocked');
    }
    if ([...blocked.keys()].some((id) => !missingSecrets.has(id))) this.queue.addAfter(name, 5_000);
    else if (action.kind === 'commit') this.queue.add(name);
    await this.refreshAgainIfStuck(name, observed);
  }

  private async commitSteps(args: {
    name: string;
    env: ResolvedEnvironment;
    steps: Step[];
    outputs: OutputValues;
    blocked: Map<string, Blocked>;
    wave?: number;
    update?: boolean;
  }): Promise<Array<{ repo: RepoName; sha: string }>> {
    const { name, env, outputs, blocked } = args;
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
      const problem = await this.ensureSecret(env, secret);
      if (problem) {
        for (const step of committed) blocked.set(step.id, problem);
        return made;
      }
    }
    const described = committed
      .map((s) => {
        const instance = env.instances.find((i) => i.name === s.instance);
        return `${s.instance} (${instance?.entry.name}@${instance?.entry.version})`;
      })
      .join(', ');
    const what = args.update ? 'update' : `wave ${args.wave ?? '?'}`;
    for (const repo of ['platform', 'apps'] as const) {
      const files = byRepo[repo];
      if (files.length === 0) continue;
      const part = repo === 'platform' ? 'infrastructure' : 'applications';
      // An apps step's manifests directory is replaced whole, so a manifest dropped from the entry goes too.
      const remove =
        repo === 'apps'
          ? committed
              .filter((s) => s.part === 'apps')
              .map((s) => `${manifestsDir(name, s.instance)}/`)
              .filter((dir) => this.trees.apps.hasUnder(name, dir))
          : [];
      const sha = await this.commit(
        name,
        repo,
        files,
        remove,
        `envcat: ${name}: ${what}, ${part}: ${described}`,
        args.wave,
      );
      if (sha) made.push({ repo, sha });
      if (repo === 'apps' && sha) {
        for (const step of committed)
          if (step.part === 'apps') this.lastAppCommit.set(`${name}/${step.instance}`, sha);
      }
      if (sha)
        for (const step of committed)
          if ((step.part === 'infra') === (repo === 'platform'))
            this.clocks.noteCommitted(name, step, this.stepFilesVersion(name, step), this.now());
    }
    return made;
  }

  private async commit(
    name: string,
    repo: RepoName,
    files: RenderedFile[] | Array<{ path: string; content: string }>,
    remove: string[],
    message: string,
    wave?: number,
  ): Promise<string | undefined> {
    const write = files.map((f) => ({ path: f.path, content: f.content }));
    return this.commitChange({ environment: name, repo, change: { write, remove, message }, wave });
  }

  private async commitChange(args: {
    environment: string;
    repo: RepoName;
    change: FileChange;
    wave?: number | undefined;
  }): Promise<string | undefined> {
    const { environment: name, repo, change, wave } = args;
    const { message } = change;
    const result = await this.options[repo].commit(change);
    this.applyToTree(repo, change);
    if (repo === 'apps') this.noteAppHead(result.sha);
    if (!result.changed) {
      if (result.sha !== this.heads[repo]) this.reloadNeeded[repo] = true;
      return undefined;
    }
    this.advanceHead(repo, result);
    this.log.info({ environment: name, repo, sha: result.sha, attempts: result.attempts }, message);
    this.emit('committed', { environment: name, repo, sha: result.sha, message, ...(wave ? { wave } : {}) });
    this.requestRefresh(name, repo);
    return result.sha;
  }

  /**
   * Argo CD polls Git every 3 minutes; instead, the engine does what Argo CD's Git webhook does
   * (DESIGN §4): the bootstrap ApplicationSet regenerates now (a new or removed environment
   * directory), and the environment's Applications re-read Git now. The requests go out beside
   * the reconcile, which does not wait for them (see refreshTarget).
   */
  private requestRefresh(name: string, repo: RepoName): void {
    this.refreshedAt.set(`${repo}/${name}`, this.now());
    const appset = (this.options.applicationSets ?? DEFAULT_APPLICATION_SETS)[repo];
    const parent = (this.options.parentApplication ?? defaultParentApplication)(repo, name);
    this.refreshTarget(name, {
      kind: 'ApplicationSet',
      name: appset,
      annotation: APPSET_REFRESH_ANNOTATION,
      value: 'true',
    });
    this.refreshTarget(name, {
      kind: 'Application',
      name: parent,
      annotation: REFRESH_ANNOTATION,
      value: 'normal',
    });
    if (repo === 'apps')
      for (const app of this.applications.list())
        if (app.metadata.labels?.[LABEL.environment] === name && app.metadata.labels[LABEL.instance])
          this.refreshTarget(name, {
            kind: 'Application',
            name: app.metadata.name,
            annotation: REFRESH_ANNOTATION,
            value: 'normal',
          });
  }

  /**
   * One refresh request per object at a time: asked again while one is under way, it is sent once
   * more after it (the commit that asked may have landed after the first was sent). A burst of
   * 100 environments committed within a second is then a few patches of the ApplicationSet, not
   * 100, and no reconcile worker waits on the API for them.
   */
  private refreshTarget(environment: string, target: RefreshTarget): void {
    this.refreshes.run(`${target.kind}/${target.name}`, () => this.sendRefresh(environment, target));
  }

  private async sendRefresh(environment: string, target: RefreshTarget): Promise<void> {
    const namespace = this.options.render.argocd.namespace;
    const ref = { apiVersion: 'argoproj.io/v1alpha1', kind: target.kind, name: target.name, namespace };
    try {
      await this.options.cluster.mergePatch(ref, {
        metadata: { annotations: { [target.annotation]: target.value } },
      });
    } catch (error) {
      // Not there (yet): the ApplicationSet creates it from the commit, and it reads Git when it starts.
      if (error instanceof NotFoundError && !(error instanceof KindNotServedError)) return;
      // Argo CD still finds the commit on its next poll; a failed refresh only costs time.
      this.log.warn(
        { environment, kind: target.kind, name: target.name, err: describeError(error) },
        'refresh request failed',
      );
    }
  }

  /**
   * Apps wait until the environment's AppProject is in the cluster as rendered (project-gate.ts).
   * Meanwhile Argo CD is asked to sync the platform folder (the request may have been committed by
   * the API, which asks for no refresh), again every REFRESH_AGAIN_MS; the platform Application's
   * status changes trigger the next pass.
   */
  private async projectReady(name: string, env: ResolvedEnvironment, log: Logger): Promise<boolean> {
    const { cluster, render } = this.options;
    if (await projectInPlace({ cluster, env, render, logger: log })) return true;
    log.debug('waiting for the AppProject of the environment');
    if (this.now() - (this.refreshedAt.get(`platform/${name}`) ?? 0) >= REFRESH_AGAIN_MS)
      this.requestRefresh(name, 'platform');
    this.queue.addAfter(name, REFRESH_AGAIN_MS);
    return false;
  }

  /**
   * A step counts as stuck once it has been absent from the cluster (or at an older revision) for
   * REFRESH_AGAIN_MS, and no refresh was asked for meanwhile. Right after a restart most Applications
   * are "at an older revision" only until the Git lookup of our last commit returns: no refresh for them.
   */
  private async refreshAgainIfStuck(name: string, observed: StepObservation[]): Promise<void> {
    for (const repo of ['platform', 'apps'] as const) {
      const part = repo === 'platform' ? 'infra' : 'apps';
      const key = `${repo}/${name}`;
      const waiting = observed.some(
        (o) =>
          o.committed &&
          o.step.part === part &&
          ['NotApplied', 'OutdatedRevision', 'OutdatedSource'].includes(o.state.reason),
      );
      if (!waiting) {
        this.waitingSince.delete(key);
        continue;
      }
      this.refreshIfStillWaiting(name, repo);
      this.queue.addAfter(name, REFRESH_AGAIN_MS);
    }
  }

  /**
   * While a commit (or a removal, in a deletion) waits for Argo CD, ask it to look again once the
   * wait has lasted REFRESH_AGAIN_MS with no refresh asked meanwhile: the first request may have
   * been lost (refused by a busy API server, or set while another was pending), and Argo CD's own
   * poll is minutes away.
   */
  private refreshIfStillWaiting(name: string, repo: RepoName): void {
    const key = `${repo}/${name}`;
    const now = this.now();
    const since = this.waitingSince.get(key) ?? now;
    this.waitingSince.set(key, since);
    const asked = this.refreshedAt.get(key) ?? 0;
    if (now - since >= REFRESH_AGAIN_MS && now - asked >= REFRESH_AGAIN_MS) {
      this.log.info({ environment: name, repo }, 'asking Argo CD to refresh again');
      this.requestRefresh(name, repo);
    }
  }

  /** Creates or updates a planned Secret from the values it refers to; returns why not when one is missing. */
  private async ensureSecret(env: ResolvedEnvironment, plan: SecretPlan): Promise<Blocked | undefined> {
    const cache = new Map<string, Record<string, string> | undefined>();
    const readSecret = async (namespace: string, secretName: string) => {
      const key = `${namespace}/${secretName}`;
      if (!cache.has(key)) {
        const secret = await this.options.cluster.get({
          apiVersion: 'v1',
          kind: 'Secret',
          name: secretName,
          namespace,
        });
        cache.set(key, secret ? decodeSecretData(secret) : undefined);
      }
      return cache.get(key);
    };
    const locate = (source: SecretSource): { name: string; key: string } | undefined => {
      if (source.kind === 'secretRef') return { name: source.name, key: source.key };
      if (source.kind === 'output')
        return { name: outputSecretName(env.name, source.reference.from), key: source.reference.output };
      return undefined;
    };
    const values = new Map<SecretSource, string>();
    for (const source of [...plan.keys.map((k) => k.source), ...plan.tfvars.map((v) => v.source)]) {
      if (source.kind === 'literal') {
        values.set(source, source.value);
        continue;
      }
      const where = locate(source);
      if (!where) continue;
      const data = await readSecret(env.namespace, where.name);
      const value = data?.[where.key];
      if (value === undefined)
        return unreadableSource({
          plan,
          instance: plan.labels[LABEL.instance] ?? '',
          ref: where,
          exists: !!data,
        });
      values.set(source, value);
    }
    const data = secretData(plan, (source) => values.get(source) ?? '');
    const ref = { apiVersion: 'v1', kind: 'Secret', name: plan.name, namespace: plan.namespace };
    const existing = await readSecret(plan.namespace, plan.name);
    if (existing && Object.entries(data).every(([k, v]) => existing[k] === v)) return undefined;
    const encoded = Object.fromEntries(
      Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString('base64')]),
    );
    if (existing)
      await this.options.cluster.mergePatch(ref, { metadata: { labels: plan.labels }, data: encoded });
    else
      await this.options.cluster.create({
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: plan.name, namespace: plan.namespace, labels: plan.labels },
        type: 'Opaque',
        data: encoded,
      });
    return undefined;
  }

  /** Instances removed from the request: their apps go first, their infrastructure once those are gone. */
  private async removeDroppedInstances(name: string, env: ResolvedEnvironment): Promise<void> {
    const kept = new Set(env.instances.map((i) => i.name));
    const dropped = (repo: RepoName, part: 'infra' | 'apps') => {
      const prefix = partDir(name, part);
      const found = new Set<string>();
      for (const path of this.trees[repo].pathsOf(name)) {
        if (!path.startsWith(prefix)) continue;
        const instance = path
          .slice(prefix.length)
          .split('/')[0]
          ?.replace(/\.yaml$/, '');
        if (instance && !kept.has(instance)) found.add(instance);
      }
      return [...found];
    };
    const apps = dropped('apps', 'apps');
    if (apps.length > 0) {
      const remove = apps.flatMap((i) => [stepFile(name, 'apps', i), `${manifestsDir(name, i)}/`]);
      await this.commit(
        name,
        'apps',
        [],
        remove,
        `envcat: ${name}: remove applications of ${apps.join(', ')}`,
      );
    }
    const liveApps = new Set(
      this.applications
        .list()
        .filter((a) => a.metadata.labels?.[LABEL.environment] === name)
        .map((a) => a.metadata.labels?.[LABEL.instance]),
    );
    const infra = dropped('platform', 'infra').filter((i) => !liveApps.has(i));
    if (infra.length > 0) {
      const remove = infra.map((i) => stepFile(name, 'infra', i));
      await this.commit(
        name,
        'platform',
        [],
        remove,
        `envcat: ${name}: remove infrastructure of ${infra.join(', ')}`,
      );
    }
  }

  private async reconcileDeletion(name: string, desired: DesiredEnvironment | undefined): Promise<void> {
    const prefix = environmentPrefix(name);
    const has = (repo: RepoName, dir: string) => this.trees[repo].hasUnder(name, dir);
    const live = (informer: Informer) =>
      informer
        .list()
        .filter((o) => o.metadata.labels?.[LABEL.environment] === name && o.metadata.labels[LABEL.instance])
        .map((o) => o.metadata.labels?.[LABEL.instance] ?? o.metadata.name);
    const liveApplications = live(this.applications);
    const liveWorkspaces = live(this.workspaces);
    const committedApps = has('apps', prefix) ? ['apps'] : [];
    const infraDir = partDir(name, 'infra');
    const committedInfra = [...this.trees.platform.pathsOf(name)]
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
    const action = nextDeletionAction({
      committedApps,
      committedInfra,
      liveApplications,
      liveWorkspaces,
      secretsLeft: secrets.length > 0,
      ...(desired?.valid ? { plan: desired.plan } : {}),
    });
    const steps = desired?.valid
      ? desired.plan.steps.map((step) => this.observeStep(desired.environment, step, undefined))
      : [];
    const publishDeleting = (message: string) =>
      this.publish(name, {
        ...environmentStatus({ steps, deleting: true }),
        message,
        outputs: {},
        observedAt: this.timestamp(),
      });
    switch (action.kind) {
      case 'removeApps':
        await this.commit(name, 'apps', [], [prefix], `envcat: ${name}: delete applications`);
        publishDeleting('removing the applications');
        this.queue.add(name);
        return;
      case 'waitForApps':
        publishDeleting(`waiting for Argo CD to delete ${action.remaining.join(', ')}`);
        this.refreshIfStillWaiting(name, 'apps');
        this.queue.addAfter(name, 10_000);
        return;
      case 'removeInfra':
        // The last wave first (core nextDeletionAction): a database goes before the VPC it is in.
        await this.commit(
          name,
          'platform',
          [],
          action.instances.map((i) => `${infraDir}${i}.yaml`),
          `envcat: ${name}: delete infrastructure of ${action.instances.join(', ')}`,
        );
        publishDeleting(action.message);
        this.queue.add(name);
        return;
      case 'waitForInfra':
        publishDeleting(action.message);
        this.refreshIfStillWaiting(name, 'platform');
        this.queue.addAfter(name, 10_000);
        return;
      case 'deleteSecrets':
        for (const secret of secrets)
          await this.options.cluster.delete({
            apiVersion: 'v1',
            kind: 'Secret',
            name: secret.metadata.name,
            ...(secret.metadata.namespace ? { namespace: secret.metadata.namespace } : {}),
          });
        publishDeleting('deleting the secrets');
        this.queue.add(name);
        return;
      case 'removeEnvironment': {
        // The namespace claim goes in the same commit as the environment's last files.
        const remove = [...(has('platform', prefix) ? [prefix] : []), ...this.claims.claimsOf(name)];
        if (remove.length > 0)
          await this.commit(name, 'platform', [], remove, `envcat: ${name}: delete environment`);
        this.statuses.delete(name);
        this.blockedSteps.delete(name);
        this.renderedClean.delete(name);
        this.fileVersions.delete(name);
        for (const repo of ['platform', 'apps']) {
          this.refreshedAt.delete(`${repo}/${name}`);
          this.waitingSince.delete(`${repo}/${name}`);
        }
        this.parser.forget(name);
        this.clocks.forget(name);
        this.createdAt.delete(name);
        this.log.info({ environment: name }, 'environment deleted');
        this.emit('deleted', name);
        return;
      }
    }
  }

  private expired(name: string, env: ResolvedEnvironment): boolean {
    if (env.ttlSeconds === undefined) return false;
    const created = this.createdAt.get(name);
    if (created === undefined) {
      this.lookup(`created:${name}`, () => this.loadCreatedAt(name));
      return false;
    }
    const expiresAt = created + env.ttlSeconds * 1000;
    const left = expiresAt - this.now();
    if (left > 0) this.queue.addAfter(name, Math.min(left + 1_000, 2 ** 31 - 1));
    return left <= 0;
  }

  /** An environment's creation time is the date of the first commit of its file: Git, not local state. */
  private async loadCreatedAt(name: string): Promise<void> {
    const commits = await this.options.platform.log(environmentFile(name), {
      limit: 1000,
    });
    const first = commits.at(-1);
    if (!first) return;
    this.createdAt.set(name, Date.parse(first.date));
    this.queue.add(name);
  }

  private observeStep(env: ResolvedEnvironment, step: Step, blocked: Blocked | undefined): StepObservation {
    const committed = this.isCommitted(env, step);
    if (blocked) return { step, committed, state: { phase: 'Failed', ...blocked } };
    const object = this.stepObject(env, step);
    // Time counts only for a committed step that is not there yet (see step-clock.ts).
    const judge = (clock?: ReturnType<StepClocks['clock']>): Verdict => {
      if (step.part === 'infra') return judgeWorkspace(object, clock);
      // A Helm source syncs at the chart version; what we committed is the Application itself
      // (its values): it is current once Argo CD compared the source we rendered.
      const helm = Boolean((object?.spec as { source?: { chart?: unknown } } | undefined)?.source?.chart);
      return judgeApplication(object, {
        revisionAccepted: (revision) => helm || this.revisionAccepted(env.name, step.instance, revision),
        sourceDigest: this.trees.apps.sourceDigest(stepFile(env.name, 'apps', step.instance)),
        ...(clock ? { clock } : {}),
      });
    };
    let verdict = judge();
    if (committed && verdict.state.phase !== 'Ready' && verdict.state.phase !== 'Deleting')
      verdict = judge(this.clocks.clock(env, step, this.stepFilesVersion(env.name, step)));
    if (verdict.recheckAt !== undefined)
      this.queue.addAfter(env.name, Math.max(0, verdict.recheckAt - this.now()) + 250);
    return { step, committed, state: verdict.state };
  }

  /** Identifies the content of a step's files (the Workspace file; the Application file and its manifests). */
  private stepFilesVersion(environment: string, step: Step): string {
    const file = stepFile(environment, step.part, step.instance);
    const tree = this.trees[repoOf(step.part)];
    const parts = [tree.version(file) ?? ''];
    const dir = `${manifestsDir(environment, step.instance)}/`;
    if (step.part === 'apps')
      for (const path of [...tree.pathsOf(environment)].sort())
        if (path.startsWith(dir)) parts.push(path, tree.version(path) ?? '');
    return createHash('sha256').update(parts.join('\0')).digest('base64');
  }

  /** The Workspace or Application of a step, as the cache has it. */
  private stepObject(env: ResolvedEnvironment, step: Step): KubeObject | undefined {
    const instance = env.instances.find((i) => i.name === step.instance);
    if (!instance) throw new Error(`plan step ${step.id} has no instance`);
    const name = qualifiedName(env, instance);
    if (step.part === 'apps') return this.applications.get(name, this.options.render.argocd.namespace);
    const namespace = this.options.render.workspaceApi === 'namespaced' ? env.namespace : undefined;
    return this.workspaces.get(name, namespace);
  }

  /** After `envcat env retry`: asks the step's controller to try again, once per retry (retry-nudge.ts). */
  private nudgeRetry(env: ResolvedEnvironment, observed: StepObservation): void {
    const { step, state } = observed;
    const cached = this.stepObject(env, step);
    const apps = step.part === 'apps';
    this.retries.nudge({
      environment: env.name,
      annotations: env.annotations,
      part: step.part,
      ref: {
        apiVersion: apps ? 'argoproj.io/v1alpha1' : WORKSPACE_API[this.options.render.workspaceApi],
        kind: apps ? 'Application' : 'Workspace',
        name: cached?.metadata.name ?? '',
        ...(cached?.metadata.namespace ? { namespace: cached.metadata.namespace } : {}),
      },
      cached,
      state,
    });
  }

  /**
   * A revision is good when it holds our step as we have it: our last commit of the step or a later
   * head (known in memory for what this process pushed or fetched), or else, as Git says, a commit
   * whose files of the step are the ones at our head (after a restart, or someone else's commit).
   */
  private revisionAccepted(environment: string, instance: string, revision: string): boolean {
    const ours = this.lastAppCommit.get(`${environment}/${instance}`);
    if (ours !== undefined) {
      if (revision === ours) return true;
      const oursAt = this.appHeads.get(ours);
      const revisionAt = this.appHeads.get(revision);
      if (oursAt !== undefined && revisionAt !== undefined) return revisionAt >= oursAt;
    }
    const head = this.heads.apps;
    if (!head || !/^[0-9a-f]{40}$/.test(revision)) return false;
    if (revision === head) return true;
    const key = `${revision}|${head}|${environment}/${instance}`;
    const known = this.revisionCache.get(key);
    if (known !== undefined) return known;
    this.revisionQuestions.set(key, { environment, instance, revision, head });
    this.revisionLookup ??= setImmediate(() => void this.answerRevisionQuestions());
    return false;
  }

  /** Answers every revision question asked since the last time with one Git process. */
  private async answerRevisionQuestions(): Promise<void> {
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
    let ids: Array<string | undefined>;
    try {
      ids = await this.options.apps.objectIds(specs);
    } catch (error) {
      this.log.warn({ err: describeError(error) }, 'git lookup of Application revisions failed');
      for (const [, q] of questions) this.queue.addAfter(q.environment, 5_000);
      return;
    }
    if (this.revisionCache.size > 10_000) this.revisionCache.clear();
    questions.forEach(([key, q], index) => {
      const [revisionKnown, fileThere, fileHere, dirThere, dirHere] = ids.slice(index * 5, index * 5 + 5);
      if (revisionKnown === undefined) {
        // Newer than our last fetch: the Git poll brings it.
        this.queue.addAfter(q.environment, 2_000);
        return;
      }
      this.revisionCache.set(key, fileHere !== undefined && fileThere === fileHere && dirThere === dirHere);
      this.queue.add(q.environment);
    });
  }

  private fileVersion(name: string): number {
    return this.fileVersions.get(name) ?? 0;
  }

  private noteAppHead(sha: string): void {
    if (!sha || this.appHeads.has(sha)) return;
    this.appHeads.set(sha, this.appHeadCount++);
    // Oldest first out: a revision older than these is answered by Git.
    if (this.appHeads.size > 50_000) this.appHeads.delete(this.appHeads.keys().next().value!);
  }

  /** Runs a Git lookup in the background unless the same one is already running. */
  private lookup(key: string, task: () => Promise<void>): void {
    if (this.lookups.has(key)) return;
    this.lookups.add(key);
    task()
      .catch((error: unknown) =>
        this.log.warn({ lookup: key, err: describeError(error) }, 'git lookup failed'),
      )
      .finally(() => this.lookups.delete(key));
  }

  private isCommitted(env: ResolvedEnvironment, step: Step): boolean {
    return this.trees[repoOf(step.part)].has(stepFile(env.name, step.part, step.instance));
  }

  private rendersDifferently(env: ResolvedEnvironment, step: Step, outputs: OutputValues): boolean {
    try {
      const rendered = renderStep({ env, step, outputs, options: this.options.render });
      return this.differs(step.part === 'infra' ? 'platform' : 'apps', rendered.files);
    } catch (error) {
      if (error instanceof EnvcatError) return false; // an output is not known (yet): keep what is there
      throw error;
    }
  }

  private differs(repo: RepoName, files: Array<{ path: string; content: string }>): boolean {
    return files.some((f) => !this.trees[repo].holds(f.path, f.content));
  }

  private observedOutputs(env: ResolvedEnvironment): OutputValues {
    const outputs: Record<string, Record<string, JsonValue>> = {};
    for (const instance of env.instances) {
      if (!instance.entry.document.spec.iac) continue;
      const namespace = this.options.render.workspaceApi === 'namespaced' ? env.namespace : undefined;
      const workspace = this.workspaces.get(qualifiedName(env, instance), namespace);
      if (workspace && workspaceState(workspace).phase === 'Ready')
        outputs[instance.name] = workspaceOutputs(workspace);
    }
    return outputs;
  }

  /** Outputs a user may see: the ones the entry does not declare sensitive. */
  private publicOutputs(
    env: ResolvedEnvironment,
    outputs: OutputValues,
  ): Record<string, Record<string, JsonValue>> {
    const result: Record<string, Record<string, JsonValue>> = {};
    for (const instance of env.instances) {
      const values = outputs[instance.name];
      if (!values) continue;
      const visible: Record<string, JsonValue> = {};
      for (const declared of instance.entry.document.spec.outputs ?? []) {
        const value = values[declared.name];
        if (!declared.sensitive && value !== undefined) visible[declared.name] = value;
      }
      result[instance.name] = visible;
    }
    return result;
  }

  /** Status from what is known now, without writing anything (any replica may do this). */
  private refreshStatus(name: string): void {
    if (!this.started) return;
    const source = this.environmentSource(name);
    const desired = source === undefined ? undefined : this.parser.parse(name, source);
    if (!desired) {
      if (this.statuses.has(name))
        this.publish(name, {
          ...environmentStatus({ steps: [], deleting: true }),
          outputs: {},
          observedAt: this.timestamp(),
        });
      return;
    }
    if (!desired.valid) {
      this.publish(name, this.invalidStatus(desired.problems));
      return;
    }
    const taken = this.namespaceTaken(name, desired.environment);
    if (taken) {
      this.publish(name, this.invalidStatus([taken]));
      return;
    }
    const blocked = this.blockedSteps.get(name);
    const steps = desired.plan.steps.map((step) =>
      this.observeStep(desired.environment, step, blocked?.get(step.id)),
    );
    const outputs = this.observedOutputs(desired.environment);
    const summary = environmentStatus({ steps, deleting: desired.deletionRequested });
    this.publish(name, {
      ...summary,
      outputs: this.publicOutputs(desired.environment, outputs),
      observedAt: this.timestamp(),
    });
  }

  /** The problem of an environment whose namespace another environment holds (only possible by hand). */
  private namespaceTaken(name: string, env: ResolvedEnvironment): Problem | undefined {
    const owner = this.claims.owner(env.namespace);
    if (owner === undefined || owner === name) return undefined;
    return {
      path: '/spec/namespace',
      message: `the namespace "${env.namespace}" is already taken by another environment`,
    };
  }

  private invalidStatus(problems: Problem[]): EnvironmentStatusView {
    const phase: EnvironmentPhase = 'Invalid';
    const message = `${problems.length} problem(s) in the request`;
    return {
      phase,
      message,
      conditions: [{ type: 'Ready', status: 'False', reason: 'Invalid', message }],
      steps: [] as StepStatus[],
      outputs: {},
      problems,
      observedAt: this.timestamp(),
    };
  }

  private publish(name: string, status: EnvironmentStatusView): void {
    if (this.priming) return;
    const previous = this.statuses.get(name);
    this.statuses.set(name, status);
    if (previous && sameStatus(previous, status)) return;
    if (previous?.phase !== status.phase)
      this.log.info({ environment: name, phase: status.phase, from: previous?.phase }, status.message);
    this.emit('status', name, status);
  }

  private applyToTree(repo: RepoName, change: ChangeToTree) {
    this.notedDuringRead[repo]?.push(change);
    for (const name of environmentNames([...change.remove, ...change.write.map((f) => f.path)]))
      this.fileVersions.set(name, ++this.fileVersionCount);
    applyChange(this.trees[repo], this.claims, repo, change);
  }

  private timestamp(): string {
    return new Date(this.now()).toISOString();
  }
}

type ChangeToTree = { write: Array<{ path: string; content: string }>; remove: string[] };

/** A change to a repo as the engine keeps it: namespace claims apart, the rest in the tree. */
function applyChange(tree: RepoTree, claims: NamespaceClaims, repo: RepoName, change: ChangeToTree): void {
  for (const removed of change.remove) {
    if (repo === 'platform' && NamespaceClaims.isClaimPath(removed)) claims.remove(removed);
    else tree.remove(removed);
  }
  for (const file of change.write) {
    if (repo === 'platform' && NamespaceClaims.isClaimPath(file.path)) claims.set(file.path);
    else tree.set(file.path, file.content);
  }
}

export const DEFAULT_APPLICATION_SETS: Record<RepoName, string> = {
  platform: 'envcat-platform',
  apps: 'envcat-apps',
};

export function defaultParentApplication(repo: RepoName, environment: string): string {
  return `envcat-${repo}-${environment}`;
}

/**
 * A commit that carries several environments' changes (see GitRepo.commit) holds each one's
 * message as a paragraph of its body: the paragraphs about `environment`, or the whole message.
 */
export function messageAbout(environment: string, message: string): string {
  const [subject, ...body] = message.split('\n\n');
  if (!/ \(and \d+ more\)$/.test(subject ?? '') || body.length === 0) return message;
  const own = body.filter((paragraph) => paragraph.startsWith(`envcat: ${environment}: `));
  return own.length > 0 ? own.map((paragraph) => paragraph.trimEnd()).join('\n\n') : message;
}

function sameStatus(a: EnvironmentStatusView, b: EnvironmentStatusView): boolean {
  const { observedAt: _a, ...restA } = a;
  const { observedAt: _b, ...restB } = b;
  return JSON.stringify(restA) === JSON.stringify(restB);
}

function decodeSecretData(secret: KubeObject): Record<string, string> {
  const data = (secret.data ?? {}) as Record<string, string>;
  const stringData = (secret.stringData ?? {}) as Record<string, string>;
  const decoded: Record<string, string> = { ...stringData };
  for (const [key, value] of Object.entries(data))
    decoded[key] = Buffer.from(value, 'base64').toString('utf8');
  return decoded;
}

/** Error details for logs: code, path and message only (messages never carry secret values). */
export function describeError(error: unknown): Record<string, unknown> {
  if (error instanceof EnvcatError) return { code: error.code, path: error.path, message: error.message };
  if (error instanceof Error) return { message: error.message, name: error.name };
  return { message: String(error) };
}
