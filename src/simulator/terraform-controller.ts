/**
 * A simulated Crossplane provider-terraform (DESIGN §4): it watches Workspaces through the cluster
 * API, as the real provider does, and plays `terraform apply` / `terraform destroy` with a delay
 * instead of running Terraform:
 * - a new generation: finalizer `finalizer.managedresource.crossplane.io`, `Synced=True
 *   ReconcileSuccess`, `Ready=False Creating`; after the delay the outputs the module declares
 *   (non-sensitive ones in `status.atProvider.outputs`, every one in the connection Secret) and
 *   `Ready=True Available`;
 * - deletion: `Ready=False Deleting`; after the delay the connection Secret is deleted and the
 *   finalizer removed;
 * - the simulator controls of the Workspace's instance (failApply, failDestroy, neverReady, delay);
 * - `--max-reconcile-rate`: at most that many applies and destroys at once per Workspace API, the
 *   others waiting untouched (see WorkerSlots).
 * Everything is derived from the object, so a restarted controller carries on where it stopped.
 */
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import {
  InputError,
  LABEL,
  labelSafeVersion,
  WORKSPACE_API,
  type Catalog,
  type CatalogEntry,
  type JsonValue,
  type WorkspaceApi,
} from '../core/index.js';
import { analyzeModule } from '../core/terraform/index.js';
import type { ClusterClient, Informer, KubeObject, ObjectRef } from '../cluster/index.js';
import type { ControlSource, SimulatorControls } from './controls.js';
import { connectionSecretData, publicOutputs, simulateOutputs, type OutputSpec } from './outputs.js';
import { ReconcileQueue } from './reconcile-queue.js';
import { WorkerSlots } from './worker-slots.js';
import {
  describeError,
  isRecord,
  jsonEqual,
  keyOf,
  refFromKey,
  refOf,
  timestamp,
  parseTimestamp,
} from './support.js';

export const MANAGED_RESOURCE_FINALIZER = 'finalizer.managedresource.crossplane.io';
export const CONNECTION_SECRET_TYPE = 'connection.crossplane.io/v1alpha1';
const FIELD_MANAGER = 'provider-terraform';
/**
 * The provider's `--max-reconcile-rate` as envcat installs it (gitops/provider-terraform/provider.yaml,
 * checked by test/simulator/reconcile-rate.test.ts); provider-terraform's own default is 1
 * (cmd/provider/main.go).
 */
export const DEFAULT_MAX_RECONCILE_RATE = 10;

export interface SimulatedProviderTerraformOptions {
  cluster: ClusterClient;
  /** Which Workspace APIs to serve: `namespaced` (tf.m.upbound.io) and/or `cluster` (tf.upbound.io). */
  apis: readonly WorkspaceApi[];
  controls: ControlSource;
  /** How long apply and destroy take when the instance has no `delay` control. */
  defaultDelayMs: number;
  /**
   * Resolves a Workspace's envcat.io/entry + entry-version labels, to type its outputs (a function:
   * the catalog as it is now, for catalogs that grow while the controller runs).
   */
  catalog?: Catalog | (() => Catalog | undefined);
  logger: Logger;
  /** How often a failed Workspace is retried (the provider's poll interval). Default 60 s. */
  retryMs?: number;
  /**
   * provider-terraform's `--max-reconcile-rate`: how many Workspaces of one API it applies or
   * destroys at once (a positive integer, or Infinity for no limit). Default
   * DEFAULT_MAX_RECONCILE_RATE.
   */
  maxReconcileRate?: number;
}

export interface WorkspaceCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message?: string;
  lastTransitionTime: string;
  observedGeneration: number;
}

type Conditions = Record<string, unknown>[];

function conditionsOf(object: KubeObject): Conditions {
  const status = isRecord(object.status) ? object.status : {};
  return Array.isArray(status.conditions) ? (status.conditions as Conditions) : [];
}

function find(conditions: Conditions, type: string): Record<string, unknown> | undefined {
  return conditions.find((c) => c.type === type);
}

function sameCondition(
  a: Record<string, unknown> | undefined,
  b: Omit<WorkspaceCondition, 'lastTransitionTime'>,
): boolean {
  return (
    a !== undefined &&
    a.status === b.status &&
    a.reason === b.reason &&
    (a.message ?? '') === (b.message ?? '') &&
    a.observedGeneration === b.observedGeneration
  );
}

/** Crossplane's SetConditions: an unchanged condition keeps its lastTransitionTime. */
function setConditions(
  existing: Conditions,
  updates: Array<Omit<WorkspaceCondition, 'lastTransitionTime'>>,
  now: number,
): Conditions {
  const result = existing.map((c) => ({ ...c }));
  for (const update of updates) {
    const index = result.findIndex((c) => c.type === update.type);
    const current = index < 0 ? undefined : result[index];
    if (sameCondition(current, update)) continue;
    const next: Record<string, unknown> = {
      type: update.type,
      status: update.status,
      reason: update.reason,
      ...(update.message ? { message: update.message } : {}),
      lastTransitionTime: timestamp(now),
      observedGeneration: update.observedGeneration,
    };
    if (index < 0) result.push(next);
    else result[index] = next;
  }
  return result;
}

interface Phase {
  phase: string;
  at: number;
  controls: SimulatorControls;
  /** When the controls were last read from Git. */
  checkedAt: number;
  /** A failure: the annotations then (a change makes the provider reconcile at once). */
  annotations?: string;
}

/**
 * crossplane-runtime reconciles a managed resource again at once when its annotations change
 * (pkg/resource/predicates.go DesiredStateChanged → AnnotationChangedPredicate), except for the
 * ones the managed reconciler itself writes.
 */
function desiredAnnotations(workspace: KubeObject): string {
  const annotations = { ...workspace.metadata.annotations };
  delete annotations['crossplane.io/external-create-pending'];
  delete annotations['crossplane.io/external-create-failed'];
  return JSON.stringify(annotations);
}

/**
 * How crossplane-runtime reports a failed apply (pkg/reconciler/managed/reconciler.go:
 * `errReconcileCreate = "create failed"`, `errReconcileUpdate = "update failed"`) of provider-terraform
 * (internal/controller/namespaced/workspace/workspace.go: `errApply = "cannot apply Terraform
 * configuration"`): an update once the workspace exists (it has reported outputs), a create before.
 */
function applyFailure(workspace: KubeObject, message: string): string {
  const status = isRecord(workspace.status) ? workspace.status : {};
  const step = isRecord(status.atProvider) ? 'update' : 'create';
  return `${step} failed: cannot apply Terraform configuration: ${message}`;
}

interface OutputPlan {
  specs: OutputSpec[];
  values: Record<string, JsonValue>;
}

export class SimulatedProviderTerraform {
  private readonly log: Logger;
  private readonly queue: ReconcileQueue;
  private readonly informers: Informer[] = [];
  /** The apply/destroy under way per object: when it began (precise; conditions hold seconds) and its controls. */
  private readonly phases = new Map<string, Phase>();
  private readonly modules = new Map<string, Promise<{ outputs: Map<string, boolean>; problem?: string }>>();
  /**
   * The workers of each Workspace controller. provider-terraform sets up one controller per API
   * (cluster-scoped and namespaced Workspaces), each with MaxConcurrentReconciles =
   * --max-reconcile-rate (cmd/provider/main.go: clusterOpts and namespacedOpts).
   */
  private readonly workers = new Map<string, WorkerSlots>();
  private readonly maxReconcileRate: number;
  private running = false;

  constructor(private readonly options: SimulatedProviderTerraformOptions) {
    const rate = options.maxReconcileRate ?? DEFAULT_MAX_RECONCILE_RATE;
    if (!(rate === Infinity || (Number.isInteger(rate) && rate >= 1)))
      throw new InputError([
        { path: '/maxReconcileRate', message: `must be a positive integer (or Infinity), not ${rate}` },
      ]);
    this.maxReconcileRate = rate;
    this.log = options.logger.child({ component: 'simulated-provider-terraform' });
    this.queue = new ReconcileQueue({
      name: 'provider-terraform',
      reconcile: (key) => this.reconcile(key),
      logger: this.log,
    });
  }

  /** The workers of the controller that serves this key's Workspace API. */
  private workersFor(key: string): WorkerSlots {
    const { apiVersion } = refFromKey(key);
    let slots = this.workers.get(apiVersion);
    if (!slots) {
      slots = new WorkerSlots(this.maxReconcileRate, (next) => this.queue.enqueue(next));
      this.workers.set(apiVersion, slots);
    }
    return slots;
  }

  /**
   * Takes a worker for an apply or destroy; false when all are busy: the Workspace waits, untouched
   * (it is woken when one frees).
   */
  private takeWorker(key: string, what: string): boolean {
    const workers = this.workersFor(key);
    if (workers.acquire(key)) return true;
    this.log.debug(
      { workspace: key, busy: workers.busy, queued: workers.queued, maxReconcileRate: this.maxReconcileRate },
      `terraform ${what} waits for a worker (--max-reconcile-rate)`,
    );
    return false;
  }

  private releaseWorker(key: string): void {
    this.workersFor(key).release(key);
  }

  /** How many Workspaces of each API are being applied or destroyed now, and how many wait for a worker. */
  workload(): Record<string, { busy: number; queued: number }> {
    return Object.fromEntries(
      [...this.workers].map(([api, slots]) => [api, { busy: slots.busy, queued: slots.queued }]),
    );
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    for (const api of new Set(this.options.apis)) {
      const informer = this.options.cluster.informer({ apiVersion: WORKSPACE_API[api], kind: 'Workspace' });
      const enqueue = (object: KubeObject) => this.queue.enqueue(keyOf(refOf(object)));
      informer.on('ADDED', enqueue);
      informer.on('MODIFIED', enqueue);
      informer.on('DELETED', (object) => {
        const key = keyOf(refOf(object));
        this.queue.forget(key);
        this.phases.delete(key);
        this.releaseWorker(key);
      });
      informer.on('error', (error) =>
        this.log.warn({ err: describeError(error) }, 'Workspace watch failed; restarting'),
      );
      this.informers.push(informer);
      await informer.start();
      for (const object of informer.list()) enqueue(object);
    }
    this.log.info(
      { apis: [...new Set(this.options.apis)], maxReconcileRate: this.maxReconcileRate },
      'simulated provider-terraform started',
    );
  }

  async stop(): Promise<void> {
    this.running = false;
    for (const informer of this.informers) informer.stop();
    this.informers.length = 0;
    await this.queue.stop();
  }

  private retryMs(): number {
    return this.options.retryMs ?? 60_000;
  }

  private delayOf(controls: SimulatorControls): number {
    return controls.delayMs ?? this.options.defaultDelayMs;
  }

  private async controlsOf(workspace: KubeObject): Promise<SimulatorControls> {
    const labels = workspace.metadata.labels ?? {};
    const environment = labels[LABEL.environment];
    const instance = labels[LABEL.instance];
    if (!environment || !instance) return {};
    return this.options.controls.forInstance({ environment, instance });
  }

  /** Starts a phase now, with the controls as Git has them now. */
  private async beginPhase(key: string, phase: string, workspace: KubeObject): Promise<Phase> {
    const controls = await this.controlsOf(workspace);
    const record = { phase, at: Date.now(), controls, checkedAt: Date.now() };
    this.phases.set(key, record);
    return record;
  }

  /**
   * The phase under way: this process's record, or (after a restart) one rebuilt from the
   * condition's lastTransitionTime. Controls are read again once they are older than the retry
   * interval, so that removing neverReady or failDestroy from Git takes effect.
   */
  private async currentPhase(
    key: string,
    phase: string,
    workspace: KubeObject,
    condition: Record<string, unknown> | undefined,
  ): Promise<Phase> {
    let record = this.phases.get(key);
    if (record?.phase !== phase) {
      const controls = await this.controlsOf(workspace);
      record = {
        phase,
        at: parseTimestamp(condition?.lastTransitionTime) ?? Date.now(),
        controls,
        checkedAt: Date.now(),
      };
      this.phases.set(key, record);
    } else if (Date.now() - record.checkedAt >= this.retryMs()) {
      record.controls = await this.controlsOf(workspace);
      record.checkedAt = Date.now();
    }
    return record;
  }

  private async reconcile(key: string): Promise<void> {
    const workspace = await this.options.cluster.get(refFromKey(key));
    if (!workspace) {
      this.queue.forget(key);
      this.phases.delete(key);
      this.releaseWorker(key);
      return;
    }
    if (workspace.metadata.deletionTimestamp) return this.reconcileDeletion(key, workspace);
    return this.reconcileApply(key, workspace);
  }

  /** crossplane-runtime's managed reconciler adds its finalizer before it creates anything. */
  private async withFinalizer(workspace: KubeObject): Promise<KubeObject> {
    if ((workspace.metadata.finalizers ?? []).includes(MANAGED_RESOURCE_FINALIZER)) return workspace;
    return this.options.cluster.replace({
      ...workspace,
      metadata: {
        ...workspace.metadata,
        finalizers: [...(workspace.metadata.finalizers ?? []), MANAGED_RESOURCE_FINALIZER],
      },
    });
  }

  private async reconcileApply(key: string, observed: KubeObject): Promise<void> {
    const generation = observed.metadata.generation ?? 1;
    const conditions = conditionsOf(observed);
    const ready = find(conditions, 'Ready');
    const synced = find(conditions, 'Synced');
    const available =
      ready?.status === 'True' &&
      ready.reason === 'Available' &&
      ready.observedGeneration === generation &&
      synced?.status === 'True' &&
      synced.observedGeneration === generation;
    if (available) {
      this.releaseWorker(key);
      // After a restart, or when someone deleted it: the connection Secret must be there.
      await this.ensureConnectionSecret(await this.withFinalizer(observed));
      return;
    }

    const failed = synced?.status === 'False' && synced.observedGeneration === generation;
    const creating =
      ready?.status === 'False' && ready.reason === 'Creating' && ready.observedGeneration === generation;
    if (failed) {
      // The provider retries a failed apply on its poll interval (a new generation retries at once).
      const record = await this.currentPhase(key, `failed/${generation}`, observed, synced);
      const annotations = desiredAnnotations(observed);
      record.annotations ??= annotations;
      const due = record.at + this.retryMs();
      if (Date.now() < due && record.annotations === annotations) {
        this.releaseWorker(key);
        this.queue.schedule(key, due - Date.now());
        return;
      }
    }
    // The apply (terraform runs inside the reconcile call upstream) needs one of the provider's
    // --max-reconcile-rate workers; without one the Workspace waits in the queue, untouched.
    if (!this.takeWorker(key, 'apply')) return;
    const workspace = await this.withFinalizer(observed);
    // The first apply of a Workspace runs before the provider writes any condition: crossplane-runtime
    // marks Creating + ReconcileSuccess only once external.Create (terraform apply) has returned.
    const applying = conditions.length === 0 && this.phases.get(key)?.phase === `apply/${generation}`;
    if ((!creating && !applying) || failed) {
      const record = await this.beginPhase(key, `apply/${generation}`, workspace);
      const missing = await this.providerConfigProblem(workspace);
      if (missing) {
        await this.writeStatus(workspace, [
          {
            type: 'Synced',
            status: 'False',
            reason: 'ReconcileError',
            message: missing,
            observedGeneration: generation,
          },
          { type: 'Ready', status: 'False', reason: 'Creating', observedGeneration: generation },
        ]);
        this.phases.set(key, {
          ...record,
          phase: `failed/${generation}`,
          annotations: desiredAnnotations(workspace),
        });
        this.releaseWorker(key);
        this.log.warn({ workspace: key, generation, reason: missing }, 'terraform apply failed (simulated)');
        return;
      }
      if (conditions.length > 0)
        await this.writeStatus(workspace, [
          { type: 'Synced', status: 'True', reason: 'ReconcileSuccess', observedGeneration: generation },
          { type: 'Ready', status: 'False', reason: 'Creating', observedGeneration: generation },
        ]);
      this.log.info({ workspace: key, generation }, 'terraform apply started (simulated)');
      this.queue.schedule(key, record.controls.neverReady ? this.retryMs() : this.delayOf(record.controls));
      return;
    }
    const record = await this.currentPhase(key, `apply/${generation}`, workspace, ready);
    const { controls } = record;
    const failedApply = (message: string, step: 'apply' | 'connect' = 'apply') =>
      this.writeStatus(workspace, [
        {
          type: 'Synced',
          status: 'False',
          reason: 'ReconcileError',
          // terraform init runs in Connect (provider-terraform workspace.go errInit): a connect failure
          message: step === 'apply' ? applyFailure(workspace, message) : `connect failed: ${message}`,
          observedGeneration: generation,
        },
        { type: 'Ready', status: 'False', reason: 'Creating', observedGeneration: generation },
      ]);
    if (controls.neverReady) {
      this.queue.schedule(key, record.checkedAt + this.retryMs() - Date.now());
      return;
    }
    const due = record.at + this.delayOf(controls);
    if (Date.now() < due) {
      this.queue.schedule(key, due - Date.now());
      return;
    }
    if (controls.failApply) {
      await failedApply(controls.failApply);
      this.phases.set(key, {
        ...record,
        phase: `failed/${generation}`,
        at: Date.now(),
        annotations: desiredAnnotations(workspace),
      });
      this.releaseWorker(key);
      this.log.info({ workspace: key, generation }, 'terraform apply failed (simulated failApply)');
      return;
    }
    const plan = await this.outputPlan(workspace);
    if ('problem' in plan) {
      await failedApply(plan.problem, 'connect');
      this.phases.set(key, {
        ...record,
        phase: `failed/${generation}`,
        at: Date.now(),
        annotations: desiredAnnotations(workspace),
      });
      this.releaseWorker(key);
      this.log.warn(
        { workspace: key, generation, reason: plan.problem },
        'terraform apply failed (simulated)',
      );
      return;
    }
    await this.writeConnectionSecret(workspace, plan.values);
    await this.writeStatus(
      workspace,
      [
        { type: 'Synced', status: 'True', reason: 'ReconcileSuccess', observedGeneration: generation },
        { type: 'Ready', status: 'True', reason: 'Available', observedGeneration: generation },
      ],
      { outputs: publicOutputs(plan.specs, plan.values) },
    );
    this.phases.delete(key);
    this.releaseWorker(key);
    this.log.info(
      { workspace: key, generation, outputs: plan.specs.map((s) => s.name) },
      'terraform apply done (simulated): Available',
    );
  }

  private async reconcileDeletion(key: string, workspace: KubeObject): Promise<void> {
    if (!(workspace.metadata.finalizers ?? []).includes(MANAGED_RESOURCE_FINALIZER)) {
      // Deleted before its apply had a worker: nothing was created, nothing to destroy.
      this.releaseWorker(key);
      return;
    }
    if (!this.takeWorker(key, 'destroy')) return;
    const generation = workspace.metadata.generation ?? 1;
    const conditions = conditionsOf(workspace);
    const ready = find(conditions, 'Ready');
    const synced = find(conditions, 'Synced');
    const phase = `destroy/${generation}`;

    if (ready?.reason !== 'Deleting') {
      const record = await this.beginPhase(key, phase, workspace);
      await this.writeStatus(workspace, [
        { type: 'Ready', status: 'False', reason: 'Deleting', observedGeneration: generation },
      ]);
      this.log.info({ workspace: key }, 'terraform destroy started (simulated)');
      this.queue.schedule(key, this.delayOf(record.controls));
      return;
    }
    const record = await this.currentPhase(key, phase, workspace, ready);
    const due = record.at + this.delayOf(record.controls);
    if (Date.now() < due) {
      this.queue.schedule(key, due - Date.now());
      return;
    }
    if (record.controls.failDestroy) {
      await this.writeStatus(workspace, [
        {
          type: 'Synced',
          status: 'False',
          reason: 'ReconcileError',
          message: record.controls.failDestroy,
          observedGeneration: generation,
        },
      ]);
      // The reconcile returns the error: its worker is free until the retry.
      this.releaseWorker(key);
      this.queue.schedule(key, record.checkedAt + this.retryMs() - Date.now());
      return;
    }
    if (synced?.status === 'False') {
      await this.writeStatus(workspace, [
        { type: 'Synced', status: 'True', reason: 'ReconcileSuccess', observedGeneration: generation },
      ]);
    }
    const secret = this.connectionSecretRef(workspace);
    if (secret) await this.options.cluster.delete(secret);
    const latest = await this.options.cluster.get(refOf(workspace));
    this.releaseWorker(key);
    if (!latest) return;
    await this.options.cluster.replace({
      ...latest,
      metadata: {
        ...latest.metadata,
        finalizers: (latest.metadata.finalizers ?? []).filter((f) => f !== MANAGED_RESOURCE_FINALIZER),
      },
    });
    this.phases.delete(key);
    this.log.info({ workspace: key }, 'terraform destroy done (simulated): finalizer removed');
  }

  private async writeStatus(
    workspace: KubeObject,
    updates: Array<Omit<WorkspaceCondition, 'lastTransitionTime'>>,
    atProvider?: { outputs: Record<string, JsonValue> },
  ): Promise<void> {
    const status = isRecord(workspace.status) ? workspace.status : {};
    const conditions = setConditions(conditionsOf(workspace), updates, Date.now());
    const next: Record<string, unknown> = { ...status, conditions };
    if (atProvider)
      next.atProvider = { ...(isRecord(status.atProvider) ? status.atProvider : {}), ...atProvider };
    if (jsonEqual(next, status)) return;
    await this.options.cluster.replaceStatus({ ...workspace, status: next });
  }

  /**
   * Why the provider cannot connect: the (Cluster)ProviderConfig the Workspace references does not
   * exist (Crossplane defaults the reference to `default`).
   */
  private async providerConfigProblem(workspace: KubeObject): Promise<string | undefined> {
    const spec = isRecord(workspace.spec) ? workspace.spec : {};
    const ref = isRecord(spec.providerConfigRef) ? spec.providerConfigRef : {};
    const name = typeof ref.name === 'string' && ref.name !== '' ? ref.name : 'default';
    const namespaced = workspace.metadata.namespace !== undefined;
    const kind = namespaced
      ? ref.kind === 'ProviderConfig'
        ? 'ProviderConfig'
        : 'ClusterProviderConfig'
      : 'ProviderConfig';
    const apiVersion = workspace.apiVersion;
    const config = await this.options.cluster.get({
      apiVersion,
      kind,
      name,
      ...(namespaced && kind === 'ProviderConfig' ? { namespace: workspace.metadata.namespace } : {}),
    });
    if (config) return undefined;
    const group = apiVersion.slice(0, apiVersion.indexOf('/'));
    return `connect failed: cannot get ${kind}: ${kind}.${group} "${name}" not found`;
  }

  /** Where the connection Secret goes: the Workspace's namespace (namespaced API) or the ref's. */
  private connectionSecretRef(workspace: KubeObject): ObjectRef | undefined {
    const spec = isRecord(workspace.spec) ? workspace.spec : {};
    const ref = isRecord(spec.writeConnectionSecretToRef) ? spec.writeConnectionSecretToRef : undefined;
    if (!ref || typeof ref.name !== 'string' || ref.name === '') return undefined;
    const namespace =
      workspace.metadata.namespace ?? (typeof ref.namespace === 'string' ? ref.namespace : undefined);
    if (!namespace) return undefined;
    return { apiVersion: 'v1', kind: 'Secret', name: ref.name, namespace };
  }

  private async ensureConnectionSecret(workspace: KubeObject): Promise<void> {
    const ref = this.connectionSecretRef(workspace);
    if (!ref || (await this.options.cluster.get(ref))) return;
    const plan = await this.outputPlan(workspace);
    if ('problem' in plan) return;
    await this.writeConnectionSecret(workspace, plan.values);
  }

  private async writeConnectionSecret(
    workspace: KubeObject,
    values: Record<string, JsonValue>,
  ): Promise<void> {
    const ref = this.connectionSecretRef(workspace);
    if (!ref) return;
    await this.options.cluster.apply(
      {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: {
          name: ref.name,
          namespace: ref.namespace!,
          ownerReferences: [
            {
              apiVersion: workspace.apiVersion,
              kind: workspace.kind,
              name: workspace.metadata.name,
              uid: workspace.metadata.uid,
              controller: true,
              blockOwnerDeletion: true,
            },
          ],
        },
        type: CONNECTION_SECRET_TYPE,
        data: connectionSecretData(values),
      },
      { fieldManager: FIELD_MANAGER, force: true },
    );
  }

  private entryOf(workspace: KubeObject): CatalogEntry | undefined {
    const labels = workspace.metadata.labels ?? {};
    const name = labels[LABEL.entry];
    const version = labels[LABEL.entryVersion];
    const source = this.options.catalog;
    const catalog = typeof source === 'function' ? source() : source;
    if (!catalog || !name || !version) return undefined;
    return catalog.versions(name).find((e) => labelSafeVersion(e.version) === version);
  }

  private moduleOutputs(content: string): Promise<{ outputs: Map<string, boolean>; problem?: string }> {
    const digest = createHash('sha256').update(content).digest('hex');
    let parsed = this.modules.get(digest);
    if (!parsed) {
      parsed = analyzeModule([{ path: 'main.tf', content }]).then(({ module, problems }) => {
        const outputs = new Map([...module.outputs.values()].map((o) => [o.name, o.sensitive]));
        const invalid = problems.find(
          (p) => p.message.startsWith('invalid HCL') || p.message.includes('no .tf'),
        );
        return invalid ? { outputs, problem: `terraform init failed: ${invalid.message}` } : { outputs };
      });
      if (this.modules.size > 200) this.modules.clear();
      this.modules.set(digest, parsed);
    }
    return parsed;
  }

  /** The outputs of the module with their simulated values, or why the apply fails. */
  private async outputPlan(workspace: KubeObject): Promise<OutputPlan | { problem: string }> {
    const spec = isRecord(workspace.spec) ? workspace.spec : {};
    const forProvider = isRecord(spec.forProvider) ? spec.forProvider : {};
    const entry = this.entryOf(workspace);
    const declared = new Map((entry?.document.spec.outputs ?? []).map((o) => [o.name, o]));
    const moduleText = typeof forProvider.module === 'string' ? forProvider.module : '';
    let specs: OutputSpec[];
    if (forProvider.source === 'Inline') {
      const parsed = await this.moduleOutputs(moduleText);
      if (parsed.problem) return { problem: parsed.problem };
      specs = [...parsed.outputs].map(([name, sensitive]) => {
        const schema = declared.get(name)?.schema;
        return { name, sensitive, ...(schema ? { schema } : {}) };
      });
    } else {
      // A Remote module is not fetched: its outputs are the ones the catalog entry declares.
      specs = [...declared.values()].map((o) => ({
        name: o.name,
        sensitive: o.sensitive === true,
        schema: o.schema,
      }));
    }
    const inputs: Record<string, JsonValue> = {};
    if (Array.isArray(forProvider.vars))
      for (const v of forProvider.vars as Array<Record<string, unknown>>)
        if (typeof v.key === 'string' && typeof v.value === 'string') inputs[v.key] = v.value;
    if (isRecord(forProvider.varmap)) Object.assign(inputs, forProvider.varmap as Record<string, JsonValue>);
    const postgres =
      /postgres/i.test(entry?.name ?? '') ||
      /resource\s+"aws_db_instance"|engine\s*=\s*"postgres"/.test(moduleText);
    const values = simulateOutputs(specs, { workspace: workspace.metadata.name, inputs, postgres });
    return { specs, values };
  }
}
