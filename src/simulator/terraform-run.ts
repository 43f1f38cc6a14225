/**
 * The apply and destroy of a Workspace in the simulated provider-terraform, played with a delay
 * instead of running Terraform: the finalizer, the `Synced`/`Ready` conditions at each step, the
 * simulator controls of the Workspace's instance (failApply, failDestroy, neverReady, delay), the
 * outputs and connection Secret at the end of an apply, and the Secret and finalizer removed at the
 * end of a destroy. Each run holds one of the provider's workers from its start to its end.
 */
import type { Logger } from 'pino';
import { LABEL, isRecord, jsonEqual, type JsonValue } from '../core/index.js';
import { refOf, type ClusterClient, type KubeObject } from '../cluster/index.js';
import type { ControlSource, SimulatorControls } from './controls.js';
import { publicOutputs } from './outputs.js';
import type { WorkspaceOutputs } from './terraform-outputs.js';
import {
  applyFailure,
  conditionsOf,
  desiredAnnotations,
  findCondition,
  setConditions,
  type WorkspaceCondition,
} from './workspace-conditions.js';
import { parseTimestamp } from './support.js';

export const MANAGED_RESOURCE_FINALIZER = 'finalizer.managedresource.crossplane.io';

export interface TerraformRunsOptions {
  cluster: ClusterClient;
  controls: ControlSource;
  /** How long apply and destroy take when the instance has no `delay` control. */
  defaultDelayMs: number;
  /** How often a failed Workspace is retried (the provider's poll interval). */
  retryMs: number;
  outputs: WorkspaceOutputs;
  /** Reconciles the Workspace of `key` again after `ms`. */
  schedule(key: string, ms: number): void;
  /** Takes one of the provider's workers for an apply or destroy; false while all are busy. */
  takeWorker(key: string, what: string): boolean;
  releaseWorker(key: string): void;
  log: Logger;
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

export class TerraformRuns {
  private readonly log: Logger;
  /** The apply/destroy under way per object: when it began (precise; conditions hold seconds) and its controls. */
  private readonly phases = new Map<string, Phase>();
  /** How often the controls changed (controlsChanged): a read they overtook is read again. */
  private controlsChanges = 0;

  constructor(private readonly options: TerraformRunsOptions) {
    this.log = options.log;
  }

  /**
   * The controls may have changed: every run held back by neverReady reads them again now rather
   * than at its next retry.
   */
  controlsChanged(): void {
    this.controlsChanges++;
    for (const [key, record] of this.phases) {
      if (!record.controls.neverReady) continue;
      record.checkedAt = Number.NEGATIVE_INFINITY;
      this.options.schedule(key, 0);
    }
  }

  /** Forgets the run of a Workspace that is gone. */
  forget(key: string): void {
    this.phases.delete(key);
  }

  private retryMs(): number {
    return this.options.retryMs;
  }

  private delayOf(controls: SimulatorControls): number {
    return controls.delayMs ?? this.options.defaultDelayMs;
  }

  /** The controls as the source has them once no change overtook the read. */
  private async controlsOf(workspace: KubeObject): Promise<SimulatorControls> {
    const labels = workspace.metadata.labels ?? {};
    const environment = labels[LABEL.environment];
    const instance = labels[LABEL.instance];
    if (!environment || !instance) return {};
    for (;;) {
      const changes = this.controlsChanges;
      const controls = await this.options.controls.forInstance({ environment, instance });
      if (changes === this.controlsChanges) return controls;
    }
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

  async reconcileApply(key: string, observed: KubeObject): Promise<void> {
    const generation = observed.metadata.generation ?? 1;
    const conditions = conditionsOf(observed);
    const ready = findCondition(conditions, 'Ready');
    const synced = findCondition(conditions, 'Synced');
    const available =
      ready?.status === 'True' &&
      ready.reason === 'Available' &&
      ready.observedGeneration === generation &&
      synced?.status === 'True' &&
      synced.observedGeneration === generation;
    if (available) {
      this.options.releaseWorker(key);
      // After a restart, or when someone deleted it: the connection Secret must be there.
      await this.options.outputs.ensureConnectionSecret(await this.withFinalizer(observed));
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
        this.options.releaseWorker(key);
        this.options.schedule(key, due - Date.now());
        return;
      }
    }
    // The apply (terraform runs inside the reconcile call upstream) needs one of the provider's
    // --max-reconcile-rate workers; without one the Workspace waits in the queue, untouched.
    if (!this.options.takeWorker(key, 'apply')) return;
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
        this.options.releaseWorker(key);
        this.log.warn({ workspace: key, generation, reason: missing }, 'terraform apply failed (simulated)');
        return;
      }
      if (conditions.length > 0)
        await this.writeStatus(workspace, [
          { type: 'Synced', status: 'True', reason: 'ReconcileSuccess', observedGeneration: generation },
          { type: 'Ready', status: 'False', reason: 'Creating', observedGeneration: generation },
        ]);
      this.log.info({ workspace: key, generation }, 'terraform apply started (simulated)');
      this.options.schedule(key, record.controls.neverReady ? this.retryMs() : this.delayOf(record.controls));
      return;
    }
    const record = await this.currentPhase(key, `apply/${generation}`, workspace, ready);
    const { controls } = record;
    /** The apply ends in failure: the conditions say so, and the worker is free. */
    const failApply = async (message: string, step: 'apply' | 'connect' = 'apply') => {
      await this.writeStatus(workspace, [
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
      this.phases.set(key, {
        ...record,
        phase: `failed/${generation}`,
        at: Date.now(),
        annotations: desiredAnnotations(workspace),
      });
      this.options.releaseWorker(key);
    };
    if (controls.neverReady) {
      this.options.schedule(key, record.checkedAt + this.retryMs() - Date.now());
      return;
    }
    const due = record.at + this.delayOf(controls);
    if (Date.now() < due) {
      this.options.schedule(key, due - Date.now());
      return;
    }
    if (controls.failApply) {
      await failApply(controls.failApply);
      this.log.info({ workspace: key, generation }, 'terraform apply failed (simulated failApply)');
      return;
    }
    const plan = await this.options.outputs.outputPlan(workspace);
    if ('problem' in plan) {
      await failApply(plan.problem, 'connect');
      this.log.warn(
        { workspace: key, generation, reason: plan.problem },
        'terraform apply failed (simulated)',
      );
      return;
    }
    await this.options.outputs.writeConnectionSecret(workspace, plan.values);
    await this.writeStatus(
      workspace,
      [
        { type: 'Synced', status: 'True', reason: 'ReconcileSuccess', observedGeneration: generation },
        { type: 'Ready', status: 'True', reason: 'Available', observedGeneration: generation },
      ],
      { outputs: publicOutputs(plan.specs, plan.values) },
    );
    this.phases.delete(key);
    this.options.releaseWorker(key);
    this.log.info(
      { workspace: key, generation, outputs: plan.specs.map((s) => s.name) },
      'terraform apply done (simulated): Available',
    );
  }

  async reconcileDeletion(key: string, workspace: KubeObject): Promise<void> {
    if (!(workspace.metadata.finalizers ?? []).includes(MANAGED_RESOURCE_FINALIZER)) {
      // Deleted before its apply had a worker: nothing was created, nothing to destroy.
      this.options.releaseWorker(key);
      return;
    }
    if (!this.options.takeWorker(key, 'destroy')) return;
    const generation = workspace.metadata.generation ?? 1;
    const conditions = conditionsOf(workspace);
    const ready = findCondition(conditions, 'Ready');
    const synced = findCondition(conditions, 'Synced');
    const phase = `destroy/${generation}`;

    if (ready?.reason !== 'Deleting') {
      const record = await this.beginPhase(key, phase, workspace);
      await this.writeStatus(workspace, [
        { type: 'Ready', status: 'False', reason: 'Deleting', observedGeneration: generation },
      ]);
      this.log.info({ workspace: key }, 'terraform destroy started (simulated)');
      this.options.schedule(key, this.delayOf(record.controls));
      return;
    }
    const record = await this.currentPhase(key, phase, workspace, ready);
    const due = record.at + this.delayOf(record.controls);
    if (Date.now() < due) {
      this.options.schedule(key, due - Date.now());
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
      this.options.releaseWorker(key);
      this.options.schedule(key, record.checkedAt + this.retryMs() - Date.now());
      return;
    }
    if (synced?.status === 'False') {
      await this.writeStatus(workspace, [
        { type: 'Synced', status: 'True', reason: 'ReconcileSuccess', observedGeneration: generation },
      ]);
    }
    const secret = this.options.outputs.connectionSecretRef(workspace);
    if (secret) await this.options.cluster.delete(secret);
    const latest = await this.options.cluster.get(refOf(workspace));
    this.options.releaseWorker(key);
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
}
