/**
 * What the simulated Argo CD knows of Helm charts without Helm: for the charts of the built-in
 * catalog entries, the objects each renders with envcat's values, by kind and name (no specs), so
 * that a sync checks them against the Application's AppProject as Argo CD does
 * (controller/sync.go validateSyncPermissions). They are checked, not applied: nothing runs here.
 * An unknown chart renders nothing. Pure.
 */
import { normalizeGitUrl } from './appproject.js';

export interface ChartObject {
  apiVersion: string;
  kind: string;
  name: string;
  /** False for a cluster-scoped object. */
  namespaced: boolean;
}

export interface SimulatedChart {
  repoURL: string;
  chart: string;
  /** The objects a release renders (names from the release name). */
  objects: (release: string) => ChartObject[];
}

/** The `<chart>.fullname` helper of most charts: the release name, or `<release>-<chart>`, at most 63 characters. */
export function chartFullname(release: string, chart: string): string {
  const name = release.includes(chart) ? release : `${release}-${chart}`;
  return name.slice(0, 63).replace(/-+$/, '');
}

const RBAC = 'rbac.authorization.k8s.io/v1';

/**
 * datadog 3.69.3 (github.com/DataDog/helm-charts, tag datadog-3.69.3) with
 * catalogs/datadog-agent/values.yaml: templates/rbac.yaml (agents.rbac.create), cluster-agent-rbac.yaml
 * (clusterAgent.enabled and rbac.create) and kube-state-metrics-core-rbac.yaml
 * (datadog.kubeStateMetricsCore.enabled) render ClusterRoles and ClusterRoleBindings; the
 * APIService needs clusterAgent.metricsProvider.enabled (off), and the admission controller's
 * MutatingWebhookConfiguration is created by the Cluster Agent at run time, not by Helm.
 */
const DATADOG: SimulatedChart = {
  repoURL: 'https://helm.datadoghq.com',
  chart: 'datadog',
  objects: (release) => {
    const full = chartFullname(release, 'datadog');
    const clusterRbac = (name: string): ChartObject[] => [
      { apiVersion: RBAC, kind: 'ClusterRole', name, namespaced: false },
      { apiVersion: RBAC, kind: 'ClusterRoleBinding', name, namespaced: false },
    ];
    return [
      ...clusterRbac(full),
      ...clusterRbac(`${full}-cluster-agent`),
      ...clusterRbac(`${full}-ksm-core`),
      { apiVersion: 'v1', kind: 'ServiceAccount', name: full, namespaced: true },
      { apiVersion: 'v1', kind: 'ServiceAccount', name: `${full}-cluster-agent`, namespaced: true },
      { apiVersion: RBAC, kind: 'Role', name: `${full}-cluster-agent-main`, namespaced: true },
      { apiVersion: RBAC, kind: 'RoleBinding', name: `${full}-cluster-agent-main`, namespaced: true },
      { apiVersion: 'apps/v1', kind: 'DaemonSet', name: full, namespaced: true },
      { apiVersion: 'apps/v1', kind: 'Deployment', name: `${full}-cluster-agent`, namespaced: true },
    ];
  },
};

/** pgadmin4 1.37.0 (helm.runix.net): namespaced objects only. */
const PGADMIN4: SimulatedChart = {
  repoURL: 'https://helm.runix.net',
  chart: 'pgadmin4',
  objects: (release) => {
    const full = chartFullname(release, 'pgadmin4');
    return [
      { apiVersion: 'v1', kind: 'Secret', name: full, namespaced: true },
      { apiVersion: 'v1', kind: 'Service', name: full, namespaced: true },
      { apiVersion: 'apps/v1', kind: 'Deployment', name: full, namespaced: true },
    ];
  },
};

export const KNOWN_CHARTS: readonly SimulatedChart[] = [DATADOG, PGADMIN4];

/** The objects a chart source renders, in `namespace`; none for a chart the simulator does not know. */
export function chartObjects(args: {
  charts: readonly SimulatedChart[];
  repoURL: string;
  chart: string;
  release: string;
}): ChartObject[] {
  const known = args.charts.find(
    (c) => normalizeGitUrl(c.repoURL) === normalizeGitUrl(args.repoURL) && c.chart === args.chart,
  );
  return known ? known.objects(args.release) : [];
}
