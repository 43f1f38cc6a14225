/**
 * The engine's latency target measured inside the REST API burst (issue 12: "keep the engine's
 * latency target, Workspace Available → app commit p95 < 100 ms, with the burst running"): for
 * each environment of the burst, from the moment its last infrastructure Workspace is seen
 * Available to the moment the engine reports the commit of its applications.
 *
 * - t_available: this process's watch on the simulated API server (which runs on the server's
 *   worker thread, so the service's busy loop does not delay it) reports the Workspace Ready. The
 *   watch's own delivery makes t_available a little late, so the figure is a lower bound by that
 *   much (a few ms; this process is idle but for the GET poller).
 * - t_committed: the engine's `committed` event for the environment's apps repo, timestamped in
 *   the server's process and mapped onto this one's clock (BenchProcess.clockOffset).
 */
import type { Informer, KubeObject } from '../../src/cluster/types.js';
import { WORKSPACE_API, workspaceState } from '../../src/core/index.js';
import type { EventMessage } from './engine-host.js';
import { distribution, type Distribution } from './measure.js';

const ENVIRONMENT_LABEL = 'envcat.io/environment';
const INSTANCE_LABEL = 'envcat.io/instance';

export interface BurstLatency {
  /** t_committed − t_available per environment, ms. */
  latency: Distribution | undefined;
  /** Environments with both moments known (the others are left out of the figure). */
  measured: number;
  /** Environments whose apps were committed before their last Workspace was seen Available (clock skew beyond the watch's delay). */
  negative: number;
}

/** Collects both moments; `result` pairs them. Pure apart from the clock it is given. */
export class AvailableToAppCommit {
  private readonly available = new Map<string, Map<string, number>>();
  private readonly committed = new Map<string, number>();

  constructor(
    private readonly options: {
      /** The instances whose Workspaces must all be Available before the apps are due. */
      infraInstances: readonly string[];
      clock: () => number;
      /** The server's clock minus this one's (ms). */
      offsetMs: () => number;
    },
  ) {}

  /** A Workspace as this process's watch reports it. */
  onWorkspace(workspace: KubeObject): void {
    const environment = workspace.metadata.labels?.[ENVIRONMENT_LABEL];
    const instance = workspace.metadata.labels?.[INSTANCE_LABEL];
    if (!environment || !instance || workspaceState(workspace).phase !== 'Ready') return;
    const seen = this.available.get(environment) ?? new Map<string, number>();
    if (!seen.has(instance)) seen.set(instance, this.options.clock());
    this.available.set(environment, seen);
  }

  /** The engine's committed event (its `at` in the server's clock). */
  onEvent(event: EventMessage): void {
    if (event.type !== 'committed' || event.repo !== 'apps' || this.committed.has(event.environment)) return;
    this.committed.set(event.environment, event.at - this.options.offsetMs());
  }

  result(): BurstLatency {
    const values: number[] = [];
    let negative = 0;
    for (const [environment, at] of this.committed) {
      const seen = this.available.get(environment);
      if (!seen || !this.options.infraInstances.every((i) => seen.has(i))) continue;
      const latency = at - Math.max(...this.options.infraInstances.map((i) => seen.get(i)!));
      if (latency < 0) negative++;
      else values.push(latency);
    }
    return {
      latency: values.length > 0 ? distribution(values) : undefined,
      measured: values.length,
      negative,
    };
  }
}

/** Watches the namespaced Workspaces envcat manages and reports each change to `onWorkspace`. */
export async function watchWorkspaces(
  cluster: {
    informer: (type: { apiVersion: string; kind: string }, options: { labelSelector: string }) => Informer;
  },
  onWorkspace: (workspace: KubeObject) => void,
): Promise<() => void> {
  const informer = cluster.informer(
    { apiVersion: WORKSPACE_API.namespaced, kind: 'Workspace' },
    { labelSelector: 'app.kubernetes.io/managed-by=envcat' },
  );
  for (const event of ['ADDED', 'MODIFIED'] as const) informer.on(event, onWorkspace);
  await informer.start();
  for (const workspace of informer.list()) onWorkspace(workspace);
  return () => informer.stop();
}
