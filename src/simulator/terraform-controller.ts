/**
 * A simulated Crossplane provider-terraform (CONTROLLERS.md): it watches Workspaces through the cluster
 * API, as the real provider does, and plays `terraform apply` / `terraform destroy` with a delay
 * instead of running Terraform (terraform-run.ts):
 * - a new generation: finalizer `finalizer.managedresource.crossplane.io`, `Synced=True
 *   ReconcileSuccess`, `Ready=False Creating`; after the delay the outputs the module declares
 *   (non-sensitive ones in `status.atProvider.outputs`, every one in the connection Secret,
 *   terraform-outputs.ts) and `Ready=True Available`;
 * - deletion: `Ready=False Deleting`; after the delay the connection Secret is deleted and the
 *   finalizer removed;
 * - the simulator controls of the Workspace's instance (failApply, failDestroy, neverReady, delay);
 * - `--max-reconcile-rate`: at most that many applies and destroys at once per Workspace API, the
 *   others waiting untouched (see WorkerSlots).
 * Everything is derived from the object, so a restarted controller carries on where it stopped.
 * This file is the controller: its watches, its reconcile queue and its workers.
 */
import type { Logger } from 'pino';
import { InputError, WORKSPACE_API, describeError, type Catalog, type WorkspaceApi } from '../core/index.js';
import { refOf, type ClusterClient, type Informer, type KubeObject } from '../cluster/index.js';
import type { ControlSource } from './controls.js';
import { ReconcileQueue } from './reconcile-queue.js';
import { TerraformRuns } from './terraform-run.js';
import { WorkspaceOutputs } from './terraform-outputs.js';
import { WorkerSlots } from './worker-slots.js';
import { keyOf, refFromKey } from './support.js';

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

export class SimulatedProviderTerraform {
  private readonly log: Logger;
  private readonly queue: ReconcileQueue;
  private readonly informers: Informer[] = [];
  /** The apply or destroy under way of each Workspace. */
  private readonly runs: TerraformRuns;
  /**
   * The workers of each Workspace controller. provider-terraform sets up one controller per API
   * (cluster-scoped and namespaced Workspaces), each with MaxConcurrentReconciles =
   * --max-reconcile-rate (cmd/provider/main.go: clusterOpts and namespacedOpts).
   */
  private readonly workers = new Map<string, WorkerSlots>();
  private readonly maxReconcileRate: number;
  private running = false;
  private unsubscribe: (() => void) | undefined;

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
    this.runs = new TerraformRuns({
      cluster: options.cluster,
      controls: options.controls,
      defaultDelayMs: options.defaultDelayMs,
      retryMs: options.retryMs ?? 60_000,
      outputs: new WorkspaceOutputs({
        cluster: options.cluster,
        ...(options.catalog ? { catalog: options.catalog } : {}),
      }),
      schedule: (key, ms) => this.queue.schedule(key, ms),
      takeWorker: (key, what) => this.takeWorker(key, what),
      releaseWorker: (key) => this.releaseWorker(key),
      log: this.log,
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
    this.unsubscribe = this.options.controls.onChange?.(() => this.runs.controlsChanged());
    for (const api of new Set(this.options.apis)) {
      const informer = this.options.cluster.informer({ apiVersion: WORKSPACE_API[api], kind: 'Workspace' });
      const enqueue = (object: KubeObject) => this.queue.enqueue(keyOf(refOf(object)));
      informer.on('ADDED', enqueue);
      informer.on('MODIFIED', enqueue);
      informer.on('DELETED', (object) => {
        const key = keyOf(refOf(object));
        this.queue.forget(key);
        this.runs.forget(key);
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
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    for (const informer of this.informers) informer.stop();
    this.informers.length = 0;
    await this.queue.stop();
  }

  private async reconcile(key: string): Promise<void> {
    const workspace = await this.options.cluster.get(refFromKey(key));
    if (!workspace) {
      this.queue.forget(key);
      this.runs.forget(key);
      this.releaseWorker(key);
      return;
    }
    if (workspace.metadata.deletionTimestamp) return this.runs.reconcileDeletion(key, workspace);
    return this.runs.reconcileApply(key, workspace);
  }
}
