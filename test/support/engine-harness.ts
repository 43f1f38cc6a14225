/**
 * The Engine (src/engine/engine.ts) on the in-memory twins of its two ports, for tests that run in
 * milliseconds: two MemoryGitOpsRepo (platform, apps), a MemoryClusterClient, the built-in catalog,
 * a fake clock for the engine's `now` and its work queue's timers, and the EnvironmentService the
 * API calls, so environments are created and deleted as users do it.
 *
 * No controller runs: the test plays provider-terraform and Argo CD itself, explicitly, with the
 * helpers below (apply a committed object, mark a Workspace Available with outputs, mark an
 * Application Synced and Healthy at a revision, create the AppProject, delete objects). What the
 * engine did is read back from the twins: the commits of each repo, the objects in the cluster,
 * the cluster calls, the statuses.
 *
 * `settle()` lets the engine work until it has nothing left to do at the current fake time;
 * `advance(ms)` moves the fake clock, one due timer at a time, settling after each.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import { pino, type Logger } from 'pino';
import type {
  ClusterClient,
  Informer,
  InformerOptions,
  KubeObject,
  ListOptions,
  ObjectRef,
  TypeRef,
} from '../../src/cluster/types.js';
import {
  EnvcatError,
  LABEL,
  NotFoundError,
  namespaceFile,
  parameterSecretName,
  parseYamlDocuments,
  stepFile,
  type Catalog,
  type JsonValue,
} from '../../src/core/index.js';
import type { BoundaryHook } from '../../src/engine/boundaries.js';
import { CatalogStore } from '../../src/engine/catalog-store.js';
import { Engine, type EnvironmentStatusView } from '../../src/engine/engine.js';
import { EnvironmentService } from '../../src/engine/service.js';
import type { RepoName } from '../../src/gitops/types.js';
import { FakeClock } from '../engine/fake-clock.js';
import { threeInstanceRequest } from '../bench/requests.js';
import { changeSetMessages } from './change-sets.js';
import { builtInCatalog, TEST_RENDER_OPTIONS } from './examples.js';
import { MemoryClusterClient } from './memory-cluster-client.js';
import { MemoryGitOpsRepo } from './memory-gitops-repo.js';

export const APPLICATION = { apiVersion: 'argoproj.io/v1alpha1', kind: 'Application' } as const;
export const APP_PROJECT = { apiVersion: 'argoproj.io/v1alpha1', kind: 'AppProject' } as const;
export const WORKSPACE = { apiVersion: 'tf.m.upbound.io/v1beta1', kind: 'Workspace' } as const;
export const SECRET = { apiVersion: 'v1', kind: 'Secret' } as const;
export const NAMESPACE = { apiVersion: 'v1', kind: 'Namespace' } as const;

/** Argo CD's namespace and the leader Lease's, besides a new cluster's own. */
const NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease', 'argocd', 'envcat-system'];
/** The engine's Git poll and resync run on real timers: far enough away never to fire in a test. */
const NEVER_MS = 3_600_000;
/** The field manager the test's Argo CD applies with. */
const ARGOCD = 'argocd-application-controller';

/** A deep copy of parsed YAML (objects, arrays, scalars), so that a caller may change what it gets. */
function copyOf<T>(value: T): T {
  if (Array.isArray(value)) return value.map(copyOf) as T;
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, copyOf(item)])) as T;
}

/** The engine kept working past the settle's time limit: a loop that does not wait for anything. */
export class EngineDidNotSettleError extends EnvcatError {
  constructor(message: string) {
    super('INTERNAL', message);
  }
}

export interface HarnessCommit {
  sha: string;
  /** The first line of the message: for a commit of several change sets, the first one's only. */
  subject: string;
  message: string;
  /** The message of each change set it carries (src/gitops/group-commit.ts), in the order asked for. */
  changeSets: string[];
  /** Paths written or removed, sorted. */
  files: string[];
}

/**
 * The twin as the engine reaches it over a network: each call takes effect at once (informers
 * see it before the call returns, as the twin promises), and its answer comes on the next turn of
 * the event loop, with the answers of every call made in the same turn. The engine then yields
 * between two cluster calls, as it does against a real API server: a reconcile loop that never
 * waits shows up as many passes (and a settle that times out), not as a process that hangs.
 */
class ClusterOverNetwork implements ClusterClient {
  private answers: Array<() => void> = [];

  constructor(private readonly twin: MemoryClusterClient) {}

  apply(object: KubeObject, options?: { fieldManager?: string; force?: boolean }): Promise<KubeObject> {
    return this.answered(this.twin.apply(object, options));
  }
  create(object: KubeObject): Promise<KubeObject> {
    return this.answered(this.twin.create(object));
  }
  replace(object: KubeObject): Promise<KubeObject> {
    return this.answered(this.twin.replace(object));
  }
  mergePatch(ref: ObjectRef, patch: Record<string, unknown>): Promise<KubeObject> {
    return this.answered(this.twin.mergePatch(ref, patch));
  }
  replaceStatus(object: KubeObject): Promise<KubeObject> {
    return this.answered(this.twin.replaceStatus(object));
  }
  get(ref: ObjectRef): Promise<KubeObject | undefined> {
    return this.answered(this.twin.get(ref));
  }
  list(type: TypeRef, options?: ListOptions): Promise<KubeObject[]> {
    return this.answered(this.twin.list(type, options));
  }
  delete(
    ref: ObjectRef,
    options?: { preconditions?: { uid?: string; resourceVersion?: string } },
  ): Promise<boolean> {
    return this.answered(this.twin.delete(ref, options));
  }
  informer(type: TypeRef, options?: InformerOptions): Informer {
    return this.twin.informer(type, options);
  }

  private async answered<T>(call: Promise<T>): Promise<T> {
    // Settled now, so that a rejection is handled while the answer is on its way.
    const outcome = call.then(
      (value) => ({ ok: true as const, value }),
      (error: unknown) => ({ ok: false as const, error }),
    );
    await new Promise<void>((resolve) => {
      this.answers.push(resolve);
      if (this.answers.length === 1)
        setImmediate(() => {
          for (const answer of this.answers.splice(0)) answer();
        });
    });
    const settled = await outcome;
    if (!settled.ok) throw settled.error;
    return settled.value;
  }
}

export interface EngineHarnessOptions {
  /** The engine's logger (default: silent; a debug one shows what each pass decided). */
  logger?: Logger;
  /** Told as the engine and the service pass each step boundary (src/engine/boundaries.ts). */
  atBoundary?: BoundaryHook;
}

export class EngineHarness {
  readonly clock: FakeClock;
  readonly platform = new MemoryGitOpsRepo({ name: 'platform' });
  readonly apps = new MemoryGitOpsRepo({ name: 'apps' });
  /** The cluster twin itself: the test's controllers write to it directly; its call log is the engine's and theirs. */
  readonly cluster: MemoryClusterClient;
  readonly engine: Engine;
  readonly service: EnvironmentService;
  readonly render = TEST_RENDER_OPTIONS;
  /** Environments the engine said were deleted, in order. */
  readonly deleted: string[] = [];
  /** How often the engine read its catalog: once per pass over an environment that has a request, and per status derivation. */
  private catalogReads = 0;
  /** The objects of each committed file, by content: the tests play Argo CD from the same files again and again. */
  private readonly parsedFiles = new Map<string, KubeObject[]>();
  private statusEvents = 0;

  private constructor(catalog: Catalog, options: EngineHarnessOptions) {
    // A whole second, not before now: the twins date commits by the real clock, in whole seconds,
    // so a commit made during the test is not later than the fake clock's start.
    this.clock = new FakeClock(Math.ceil(Date.now() / 1000) * 1000);
    const clock = this.clock;
    this.cluster = new MemoryClusterClient({ namespaces: NAMESPACES, now: () => new Date(clock.now()) });
    const logger = options.logger ?? pino({ level: 'silent' });
    const catalogs = new CatalogStore({ builtIn: catalog.entries(), repo: this.platform, logger });
    this.engine = new Engine({
      catalog: {
        current: () => {
          this.catalogReads++;
          return catalogs.current();
        },
      },
      platform: this.platform,
      apps: this.apps,
      cluster: new ClusterOverNetwork(this.cluster),
      render: this.render,
      logger,
      identity: 'engine-harness',
      gitPollMs: NEVER_MS,
      resyncMs: NEVER_MS,
      now: () => clock.now(),
      clock,
      ...(options.atBoundary ? { atBoundary: options.atBoundary } : {}),
    });
    this.engine.on('status', () => this.statusEvents++);
    this.engine.on('deleted', (name) => this.deleted.push(name));
    this.service = new EnvironmentService({
      engine: this.engine,
      catalogs,
      platform: this.platform,
      apps: this.apps,
      cluster: this.cluster,
      render: this.render,
      logger,
      ...(options.atBoundary ? { atBoundary: options.atBoundary } : {}),
    });
  }

  /** A started engine (it leads at once: it is the only replica), settled. */
  static async start(options: EngineHarnessOptions = {}): Promise<EngineHarness> {
    const harness = new EngineHarness(await builtInCatalog(), options);
    await harness.engine.start();
    await harness.settle();
    return harness;
  }

  async stop(): Promise<void> {
    await this.engine.stop();
  }

  // ---- time

  /**
   * Lets the engine work until nothing changes any more at the current fake time: no pass queued
   * or running, no background Git lookup or Argo CD request under way. Throws
   * EngineDidNotSettleError when it keeps working for `limitMs` of real time.
   */
  async settle(limitMs = 2_000): Promise<void> {
    const deadline = Date.now() + limitMs;
    let last = this.activity();
    for (let quiet = 0; quiet < 2;) {
      let timer: NodeJS.Timeout | undefined;
      const idle = await Promise.race([
        this.engine.idle().then(() => true),
        new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), deadline - Date.now()))),
      ]);
      clearTimeout(timer);
      // Lookups in Git and answers of the cluster that are on their way finish within a few turns.
      for (let turn = 0; turn < 4; turn++) await nextTurn();
      const now = this.activity();
      if (!idle || Date.now() > deadline)
        throw new EngineDidNotSettleError(
          `the engine kept working for ${limitMs} ms at one fake time (so far: ${now}); is a pass re-queued without a wait?`,
        );
      quiet = now === last ? quiet + 1 : 0;
      last = now;
    }
  }

  /** Moves the fake clock forward by `ms`, firing each timer when it is due and settling after each. */
  async advance(ms: number): Promise<void> {
    const until = this.clock.now() + ms;
    for (let fired = 0; ; fired++) {
      const next = this.clock.pending()[0];
      if (next === undefined || this.clock.now() + next > until) break;
      if (fired > 10_000) throw new EngineDidNotSettleError(`more than 10000 timers fired within ${ms} ms`);
      this.clock.advance(next);
      await this.settle();
    }
    this.clock.advance(until - this.clock.now());
    await this.settle();
  }

  /**
   * The engine's Git poll (every 2 s in production; on a real timer that never fires here): it
   * reads both repos again and sees what others committed.
   */
  async pollGit(): Promise<void> {
    await this.engine.pollGit();
    await this.settle();
  }

  /** What changes while the engine works; equal twice in a row means it has stopped. */
  private activity(): string {
    return [
      `${this.catalogReads} catalog reads (about one a pass)`,
      `${this.statusEvents} status changes`,
      `${this.cluster.calls().length} cluster calls`,
      `${this.platform.remote.commitCount + this.apps.remote.commitCount} commits`,
    ].join(', ');
  }

  // ---- requests, as the API makes them

  async create(document: JsonValue): Promise<void> {
    await this.service.create(document, { name: 'tester' });
  }

  async requestDeletion(name: string): Promise<void> {
    await this.service.delete(name, { name: 'tester' });
  }

  status(name: string): EnvironmentStatusView | undefined {
    return this.engine.status(name);
  }

  /** `instance/part: phase reason` for each step of the environment. */
  steps(name: string): string[] {
    return (this.status(name)?.steps ?? []).map((s) => `${s.instance}/${s.part}: ${s.phase} ${s.reason}`);
  }

  // ---- Git, read back from the twins

  /** The commits of a repo, oldest first. */
  commits(repo: RepoName): HarnessCommit[] {
    const { remote } = this.repo(repo);
    return [...remote.history(remote.head)].reverse().map((commit) => ({
      sha: commit.sha,
      subject: commit.message.split('\n')[0]!,
      message: commit.message.trimEnd(),
      changeSets: changeSetMessages(commit.message),
      files: [...commit.changed].sort(),
    }));
  }

  /** A file at the head of a repo. */
  file(repo: RepoName, path: string): string | undefined {
    return this.repo(repo).remote.files().get(path);
  }

  /** The objects of a committed file; NotFoundError when it is not in Git. */
  objectsIn(repo: RepoName, path: string): KubeObject[] {
    const content = this.file(repo, path);
    if (content === undefined) throw new NotFoundError(`${path} is not in the ${repo} repo`);
    let objects = this.parsedFiles.get(content);
    if (!objects) {
      objects = parseYamlDocuments(content) as unknown as KubeObject[];
      this.parsedFiles.set(content, objects);
    }
    return copyOf(objects);
  }

  /** Someone else commits to a repo (another writer on the same remote); returns the commit. */
  async outsideCommit(
    repo: RepoName,
    change: { write?: Array<{ path: string; content: string }>; remove?: string[]; message: string },
  ): Promise<string> {
    const writer = new MemoryGitOpsRepo({ name: repo, remote: this.repo(repo).remote });
    const result = await writer.commit({
      write: change.write ?? [],
      remove: change.remove ?? [],
      message: change.message,
    });
    return result.sha;
  }

  private repo(repo: RepoName): MemoryGitOpsRepo {
    return repo === 'platform' ? this.platform : this.apps;
  }

  // ---- the controllers' part, played by the test

  /** Argo CD syncs a committed step's object into the cluster (a Workspace, or an Application). */
  async applyStep(env: string, part: 'infra' | 'apps', instance: string): Promise<KubeObject> {
    const [object] = this.objectsIn(part === 'infra' ? 'platform' : 'apps', stepFile(env, part, instance));
    if (part === 'infra') {
      // The platform Application syncs the environment's Namespace first (it holds the Workspaces).
      const namespace = this.objectsIn('platform', namespaceFile(env)).find((o) => o.kind === 'Namespace');
      if (namespace && !(await this.cluster.get({ ...NAMESPACE, name: namespace.metadata.name })))
        await this.cluster.apply(namespace, { fieldManager: ARGOCD });
    }
    return this.cluster.apply(object!, { fieldManager: ARGOCD });
  }

  /**
   * The Application the bootstrap ApplicationSet (gitops/bootstrap) generates for an environment's
   * folder of a repo, `envcat-<repo>-<env>`, labelled with the environment: created if absent.
   */
  async parentApplication(repo: RepoName, env: string): Promise<KubeObject> {
    const ref = { ...APPLICATION, name: `envcat-${repo}-${env}`, namespace: this.render.argocd.namespace };
    const live = await this.cluster.get(ref);
    if (live) return live;
    return this.cluster.create({
      ...APPLICATION,
      metadata: {
        name: ref.name,
        namespace: ref.namespace,
        labels: { [LABEL.managedBy]: 'envcat', [LABEL.environment]: env },
        finalizers: ['resources-finalizer.argocd.argoproj.io'],
      },
      spec: {
        project: 'envcat-bootstrap',
        source: { repoURL: `memory://${repo}`, targetRevision: 'main', path: `environments/${env}` },
        destination: { server: 'https://kubernetes.default.svc' },
      },
    });
  }

  private async applyAndSettle(env: string, part: 'infra' | 'apps', instance: string): Promise<KubeObject> {
    const applied = await this.applyStep(env, part, instance);
    await this.settle();
    return applied;
  }

  /**
   * The platform Application syncs the environment's AppProject (from namespace.yaml) and reports
   * Synced at the platform repo's head: that status change is what wakes the engine.
   */
  async createAppProject(env: string): Promise<KubeObject> {
    const project = this.objectsIn('platform', namespaceFile(env)).find((o) => o.kind === 'AppProject');
    if (!project) throw new NotFoundError(`${namespaceFile(env)} renders no AppProject`);
    const applied = await this.cluster.apply(project, { fieldManager: ARGOCD });
    const parent = await this.parentApplication('platform', env);
    await this.cluster.mergePatch(this.refOf(parent), {
      status: {
        sync: { status: 'Synced', revision: this.platform.remote.head },
        health: { status: 'Healthy' },
        reconciledAt: this.timestamp(),
      },
    });
    return applied;
  }

  /**
   * provider-terraform has applied the Workspace: `Synced=True ReconcileSuccess`, `Ready=True
   * Available` for its generation, and the outputs in `status.atProvider.outputs`, as
   * terraform-controller.ts writes them. A Workspace not in the cluster yet is synced from Git
   * first, and the engine settles in between, as a terraform apply takes a while.
   */
  async markWorkspaceAvailable(
    env: string,
    instance: string,
    outputs: Record<string, JsonValue> = {},
  ): Promise<void> {
    const workspace =
      (await this.liveStep(env, 'infra', instance)) ?? (await this.applyAndSettle(env, 'infra', instance));
    const generation = workspace.metadata.generation ?? 1;
    const at = this.timestamp();
    const condition = (type: string, reason: string) => ({
      type,
      status: 'True',
      reason,
      lastTransitionTime: at,
      observedGeneration: generation,
    });
    await this.cluster.replaceStatus({
      ...workspace,
      status: {
        conditions: [condition('Synced', 'ReconcileSuccess'), condition('Ready', 'Available')],
        atProvider: { outputs },
      },
    });
  }

  /**
   * Argo CD has synced the Application: `Synced` at `revision` (default: the apps repo's head; a
   * Helm source syncs at its chart version), having compared the source it has now, and `Healthy`,
   * as argocd-controller.ts reports it. One not in the cluster yet is created from Git first, and
   * the engine settles in between.
   */
  async markApplicationSynced(
    env: string,
    instance: string,
    options: { revision?: string } = {},
  ): Promise<void> {
    const application =
      (await this.liveStep(env, 'apps', instance)) ?? (await this.applyAndSettle(env, 'apps', instance));
    const spec = application.spec as {
      source?: { chart?: string; targetRevision?: string };
      destination?: unknown;
    };
    const revision =
      options.revision ?? (spec.source?.chart ? (spec.source.targetRevision ?? '') : this.apps.remote.head);
    const at = this.timestamp();
    await this.cluster.mergePatch(this.refOf(application), {
      status: {
        sync: {
          status: 'Synced',
          revision,
          comparedTo: { source: spec.source ?? {}, destination: spec.destination ?? {} },
        },
        health: { status: 'Healthy', lastTransitionTime: at },
        operationState: {
          phase: 'Succeeded',
          message: 'successfully synced (all tasks run)',
          finishedAt: at,
        },
        reconciledAt: at,
      },
    });
  }

  /**
   * Every controller succeeds at once: the AppProject is synced, each committed Workspace becomes
   * Available with `outputs[instance]`, each committed Application Synced and Healthy, until the
   * environment is Ready.
   */
  async bringUp(env: string, outputs: Record<string, Record<string, JsonValue>> = {}): Promise<void> {
    await this.createAppProject(env);
    for (let round = 0; round < 10; round++) {
      await this.settle();
      const status = this.status(env);
      if (status?.phase === 'Ready') return;
      for (const step of status?.steps ?? []) {
        const { instance, part } = step;
        const committed = this.file(part === 'infra' ? 'platform' : 'apps', stepFile(env, part, instance));
        if (step.phase === 'Ready' || committed === undefined) continue;
        if (part === 'infra') await this.markWorkspaceAvailable(env, instance, outputs[instance]);
        else await this.markApplicationSynced(env, instance);
      }
    }
    throw new EngineDidNotSettleError(`${env} is not Ready after 10 rounds: ${this.steps(env).join('; ')}`);
  }

  /** A step's Workspace or Application as the cluster has it. */
  async liveStep(env: string, part: 'infra' | 'apps', instance: string): Promise<KubeObject | undefined> {
    return this.cluster.get(this.stepRef(env, part, instance));
  }

  /** Where a step's object is, from its file in Git (the step must have been committed). */
  stepRef(env: string, part: 'infra' | 'apps', instance: string): ObjectRef {
    const [object] = this.objectsIn(part === 'infra' ? 'platform' : 'apps', stepFile(env, part, instance));
    return this.refOf(object!);
  }

  /**
   * A controller has finished with an object and it goes: its finalizers are removed (Argo CD's
   * resources finalizer once the resources are pruned, provider-terraform's after the destroy).
   * True if it was there.
   */
  async deleteObject(ref: ObjectRef): Promise<boolean> {
    const live = await this.cluster.get(ref);
    if (!live) return false;
    if ((live.metadata.finalizers ?? []).length > 0)
      await this.cluster.mergePatch(ref, { metadata: { finalizers: null } });
    await this.cluster.delete(ref);
    return true;
  }

  /** The `<env>-<instance>-params` Secret the API wrote for an instance's secret parameters. */
  parameterSecretRef(env: string, instance: string, namespace = env): ObjectRef {
    return { ...SECRET, name: parameterSecretName(env, instance), namespace };
  }

  /** Writes a parameter Secret again, as a user following the remedy does. */
  async createParameterSecret(
    env: string,
    instance: string,
    data: Record<string, string>,
    namespace = env,
  ): Promise<KubeObject> {
    return this.cluster.create({
      ...SECRET,
      metadata: {
        name: parameterSecretName(env, instance),
        namespace,
        labels: {
          [LABEL.managedBy]: 'envcat',
          [LABEL.environment]: env,
          [LABEL.instance]: instance,
        },
      },
      type: 'Opaque',
      data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
    });
  }

  /** The fake time as Kubernetes writes it (whole seconds). */
  private timestamp(): string {
    return new Date(this.clock.now()).toISOString().replace(/\.\d{3}Z$/, 'Z');
  }

  private refOf(object: KubeObject): ObjectRef {
    return {
      apiVersion: object.apiVersion,
      kind: object.kind,
      name: object.metadata.name,
      ...(object.metadata.namespace !== undefined ? { namespace: object.metadata.namespace } : {}),
    };
  }
}

/**
 * Registers the hooks of a describe block on the twins: the built-in catalog loaded once per file
 * (not in the first case's time), a fresh harness per test, stopped after it. Returns the current
 * test's harness; call it inside a test or a hook, not while the block is being declared.
 */
export function useEngineHarness(options: EngineHarnessOptions = {}): () => EngineHarness {
  let harness: EngineHarness | undefined;
  beforeAll(async () => {
    await builtInCatalog();
  });
  beforeEach(async () => {
    harness = await EngineHarness.start(options);
  });
  afterEach(async () => {
    await harness?.stop();
    harness = undefined;
  });
  return () => {
    if (!harness) throw new Error('useEngineHarness(): the harness exists only while a test runs');
    return harness;
  };
}

// ---- requests the tests make

/**
 * The domain example under another name (the benchmarks' three-instance request, without its
 * description): wave 1 the database (rds-postgres), wave 2 monitoring (datadog-agent, Helm, a
 * secret apiKey) and app (sample-app manifests, `databaseEndpoint: {fromOutput: db.endpoint}`); ttl 24h.
 */
export function domainRequest(name: string): JsonValue {
  const request = threeInstanceRequest(name);
  delete request.spec.description;
  return request as unknown as JsonValue;
}

/**
 * Two infrastructure waves, then the applications: network (vpc), then db (rds-postgres) in the
 * network's VPC and private subnets, then monitoring and app (with db's endpoint).
 */
export function stackRequest(name: string): JsonValue {
  return {
    apiVersion: 'envcat.io/v1alpha1',
    kind: 'Environment',
    metadata: { name },
    spec: {
      namespace: name,
      type: 'pre-release',
      catalogs: [
        { name: 'network', entry: 'vpc@^1', parameters: { cidrBlock: '10.20.0.0/16' } },
        {
          name: 'db',
          entry: 'rds-postgres@^1',
          parameters: {
            databaseName: 'orders',
            vpcId: { fromOutput: 'network.vpcId' },
            subnetIds: { fromOutput: 'network.privateSubnetIds' },
          },
        },
        {
          name: 'monitoring',
          entry: 'datadog-agent',
          parameters: { clusterName: name, apiKey: '0123456789abcdef0123456789abcdef' },
        },
        { name: 'app', entry: 'sample-app', parameters: { databaseEndpoint: { fromOutput: 'db.endpoint' } } },
      ],
    },
  };
}

/** Outputs as provider-terraform reports them for the instances of both requests. */
export const OUTPUTS: Record<string, Record<string, JsonValue>> = {
  network: {
    vpcId: 'vpc-0a1b2c3d4e5f67890',
    privateSubnetIds: ['subnet-0a1b2c3d4e5f60001', 'subnet-0a1b2c3d4e5f60002'],
    publicSubnetIds: ['subnet-0f1e2d3c4b5a60001', 'subnet-0f1e2d3c4b5a60002'],
    cidrBlock: '10.20.0.0/16',
  },
  db: {
    endpoint: 'orders-1a2b3c4d.cx0example.eu-west-1.rds.amazonaws.com',
    port: 5432,
    username: 'envcat_admin',
    databaseName: 'orders',
  },
};
