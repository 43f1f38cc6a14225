/** Prometheus metrics through prom-client, in a registry of the app's own (not the global one). */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { ENVIRONMENT_PHASES } from '../core/index.js';

export class Metrics {
  readonly registry = new Registry();
  readonly httpRequests: Counter<'method' | 'route' | 'status'>;
  readonly httpDuration: Histogram<'method' | 'route'>;
  readonly commits: Counter<'repo'>;
  readonly reconcilePasses: Counter<'result'>;
  readonly argocdRefreshes: Counter<'kind' | 'result'>;
  readonly argocdSyncs: Counter<'result'>;
  readonly readySeconds: Histogram<'entry'>;
  readonly stepFailures: Counter<'part' | 'reason'>;

  constructor(options: { environmentsByPhase: () => Map<string, number>; isLeader: () => boolean }) {
    collectDefaultMetrics({ register: this.registry, prefix: 'envcat_' });
    this.httpRequests = new Counter({
      name: 'envcat_http_requests_total',
      help: 'HTTP requests by method, route and status',
      labelNames: ['method', 'route', 'status'],
      registers: [this.registry],
    });
    this.httpDuration = new Histogram({
      name: 'envcat_http_request_duration_seconds',
      help: 'HTTP request duration',
      labelNames: ['method', 'route'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [this.registry],
    });
    this.commits = new Counter({
      name: 'envcat_git_commits_total',
      help: 'Commits pushed to the GitOps repos',
      labelNames: ['repo'],
      registers: [this.registry],
    });
    this.reconcilePasses = new Counter({
      name: 'envcat_reconcile_passes_total',
      help: 'Reconcile passes by result (an error is retried with backoff)',
      labelNames: ['result'],
      registers: [this.registry],
    });
    this.argocdRefreshes = new Counter({
      name: 'envcat_argocd_refresh_requests_total',
      help: 'Requests to Argo CD to read Git now, by object kind and result (sent, not_found, failed)',
      labelNames: ['kind', 'result'],
      registers: [this.registry],
    });
    this.argocdSyncs = new Counter({
      name: 'envcat_argocd_sync_requests_total',
      help: "Requests to Argo CD for a new sync of an environment's folder whose sync failed for good, by result (sent, not_found, conflict, failed)",
      labelNames: ['result'],
      registers: [this.registry],
    });
    // Labelled by catalog entry only: entries are few, environment names are not.
    this.readySeconds = new Histogram({
      name: 'envcat_environment_ready_seconds',
      help: "Time from an environment's creation (its first commit) to Ready, once per catalog entry it uses",
      labelNames: ['entry'],
      buckets: [1, 5, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200],
      registers: [this.registry],
    });
    this.stepFailures = new Counter({
      name: 'envcat_step_failures_total',
      help: 'Steps that became Failed, by part (infra, apps) and reason',
      labelNames: ['part', 'reason'],
      registers: [this.registry],
    });
    new Gauge({
      name: 'envcat_leader',
      help: 'Whether this replica holds the Lease and reconciles (1) or follows (0)',
      registers: [this.registry],
      collect() {
        this.set(options.isLeader() ? 1 : 0);
      },
    });
    new Gauge({
      name: 'envcat_environments',
      help: 'Environments by phase',
      labelNames: ['phase'],
      registers: [this.registry],
      collect() {
        const counts = options.environmentsByPhase();
        for (const phase of ENVIRONMENT_PHASES) this.set({ phase }, counts.get(phase) ?? 0);
      },
    });
  }
}
