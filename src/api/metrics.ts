/** Prometheus metrics through prom-client, in a registry of the app's own (not the global one). */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { ENVIRONMENT_PHASES } from '../core/index.js';

export class Metrics {
  readonly registry = new Registry();
  readonly httpRequests: Counter<'method' | 'route' | 'status'>;
  readonly httpDuration: Histogram<'method' | 'route'>;
  readonly commits: Counter<'repo'>;
  readonly reconcileErrors: Counter;

  constructor(options: { environmentsByPhase: () => Map<string, number> }) {
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
    this.reconcileErrors = new Counter({
      name: 'envcat_reconcile_errors_total',
      help: 'Reconcile passes that failed and were retried',
      registers: [this.registry],
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
