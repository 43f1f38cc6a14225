/**
 * The two ways to install envcat on top of gitops/bootstrap: gitops/engine (the envcat service) and
 * gitops/crossplane-native (function-envcat, the XRD and Composition, no service). Their manifests
 * are checked against the CRDs and core models by bootstrap.test.ts (it reads all of gitops/); this
 * file checks their wiring: kustomizations, what Crossplane and envcat may do, what Argo CD admits.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_RENDER_OPTIONS, parseYamlDocuments } from '../../src/core/index.js';
import { DEFAULT_FUNCTION_PROJECT, DEFAULT_MANIFESTS_CHART } from '../../functions/input.js';
import { FUNCTION_NAME } from '../../functions/xrd.js';
import { XR_GROUP, XR_KIND } from '../../functions/composite.js';
import { builtInCatalog, REPO_ROOT } from '../support/examples.js';

type Obj = Record<string, unknown>;
interface Rule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}

const GITOPS = join(REPO_ROOT, 'gitops');

function documents(dir: string): Obj[] {
  return readdirSync(join(GITOPS, dir))
    .filter((f) => /\.ya?ml$/.test(f) && !/^kustomization\.ya?ml$/.test(f))
    .sort()
    .flatMap((f) => parseYamlDocuments(readFileSync(join(GITOPS, dir, f), 'utf8')) as Obj[]);
}

function find(docs: Obj[], kind: string, name: string): Obj {
  const found = docs.filter((d) => d.kind === kind && (d.metadata as Obj).name === name);
  if (found.length !== 1) throw new Error(`expected one ${kind} ${name}, found ${found.length}`);
  return found[0] as Obj;
}

/** Whether RBAC rules grant `verb` on `resource` of `group`. */
function allows(rules: Rule[], group: string, resource: string, verb: string): boolean {
  return rules.some(
    (r) =>
      (r.apiGroups.includes(group) || r.apiGroups.includes('*')) &&
      (r.resources.includes(resource) || r.resources.includes('*')) &&
      (r.verbs.includes(verb) || r.verbs.includes('*')),
  );
}

function kustomization(dir: string): { kind: string; resources: string[] } {
  return parseYamlDocuments(readFileSync(join(GITOPS, dir, 'kustomization.yaml'), 'utf8'))[0] as never;
}

describe.each(['engine', 'crossplane-native'])('gitops/%s/kustomization.yaml', (dir) => {
  it('builds on the bootstrap and lists exactly the YAML files of its folder', () => {
    const k = kustomization(dir);
    const files = readdirSync(join(GITOPS, dir))
      .filter((f) => /\.ya?ml$/.test(f) && !/^kustomization\.ya?ml$/.test(f))
      .sort();
    expect(k.kind).toBe('Kustomization');
    expect(k.resources).toContain('../bootstrap');
    expect(k.resources.filter((r) => !r.startsWith('..')).sort()).toEqual(files);
  });
});

describe('gitops/crossplane-native', () => {
  const docs = documents('crossplane-native');

  it('installs the function the Composition runs, and the generated API', () => {
    expect(find(docs, 'Function', FUNCTION_NAME)).toMatchObject({
      apiVersion: 'pkg.crossplane.io/v1',
      spec: { package: expect.stringMatching(/^[a-z0-9.-]+\/[a-z0-9/-]+:v\d+\.\d+\.\d+$/) },
    });
    expect(kustomization('crossplane-native').resources).toContain('../../compositions');
  });

  it('lets Crossplane compose every kind the function composes', () => {
    const role = find(docs, 'ClusterRole', 'crossplane-envcat-composed-resources') as {
      metadata: { labels: Record<string, string> };
      rules: Rule[];
    };
    // Aggregated into Crossplane's own ClusterRole by its label.
    expect(role.metadata.labels['rbac.crossplane.io/aggregate-to-crossplane']).toBe('true');
    const composed: Array<[string, string]> = [
      ['', 'namespaces'],
      ['', 'resourcequotas'],
      ['', 'limitranges'],
      ['networking.k8s.io', 'networkpolicies'],
      ['tf.m.upbound.io', 'workspaces'],
      ['tf.upbound.io', 'workspaces'],
      ['argoproj.io', 'applications'],
    ];
    for (const [group, resource] of composed)
      for (const verb of ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'])
        expect([group, resource, verb, allows(role.rules, group, resource, verb)]).toEqual([
          group,
          resource,
          verb,
          true,
        ]);
  });

  it("admits the function's Applications from any namespace, with the chart repos they use", async () => {
    const project = find(docs, 'AppProject', DEFAULT_FUNCTION_PROJECT) as {
      metadata: Obj;
      spec: Obj & { sourceRepos: string[] };
    };
    expect(project.metadata.namespace).toBe(DEFAULT_RENDER_OPTIONS.argocd.namespace);
    expect(project.spec.sourceNamespaces).toEqual(['*']);
    const catalog = await builtInCatalog();
    const helmRepos = catalog
      .entries()
      .map((e) => e.document.spec.apps?.helm?.repoURL)
      .filter((url): url is string => url !== undefined);
    expect(project.spec.sourceRepos).toEqual(
      expect.arrayContaining([DEFAULT_MANIFESTS_CHART.repoURL, ...helmRepos]),
    );
    expect((project.spec.destinations as Array<{ namespace: string }>).map((d) => d.namespace)).toEqual(
      expect.arrayContaining(['*', '!kube-system', '!argocd', '!crossplane-system']),
    );
  });

  it('allows every cluster-scoped kind the built-in entries declare (a shared project, listed by hand)', async () => {
    // GIVEN the shared project of the function's Applications (a namespaced Environment cannot
    // compose an AppProject into the argocd namespace, so there is no project per environment)
    const project = find(docs, 'AppProject', DEFAULT_FUNCTION_PROJECT) as {
      spec: { clusterResourceWhitelist: Obj[] };
    };
    const declared = (await builtInCatalog())
      .entries()
      .flatMap((e) => e.document.spec.apps?.clusterResources ?? []);
    expect(declared.length).toBeGreaterThan(0);
    // THEN each declared kind is on its whitelist, with Namespace (CreateNamespace=true)
    expect(project.spec.clusterResourceWhitelist).toEqual(
      expect.arrayContaining([{ group: '', kind: 'Namespace' }, ...declared]),
    );
  });

  it('lets the platform ApplicationSet sync Environment composite resources from the platform repo', () => {
    const bootstrap = documents('bootstrap');
    const project = find(bootstrap, 'AppProject', 'envcat-bootstrap') as {
      spec: { namespaceResourceWhitelist: Obj[] };
    };
    expect(project.spec.namespaceResourceWhitelist).toContainEqual({ group: XR_GROUP, kind: XR_KIND });
  });
});

describe('gitops/engine', () => {
  const docs = documents('engine');
  const deployment = find(docs, 'Deployment', 'envcat') as {
    metadata: Obj;
    spec: {
      selector: { matchLabels: Record<string, string> };
      template: { metadata: { labels: Record<string, string> }; spec: Obj };
    };
  };
  const pod = deployment.spec.template.spec as {
    serviceAccountName: string;
    containers: Array<{
      ports: Array<{ name: string; containerPort: number }>;
      env: Array<{ name: string; value?: string; valueFrom?: Obj }>;
      readinessProbe: Obj;
    }>;
  };
  const container = pod.containers[0] as (typeof pod.containers)[number];

  it('runs the service in envcat-system on port 8080, probed on /healthz, behind a Service', () => {
    expect(find(docs, 'Namespace', 'envcat-system')).toBeDefined();
    expect(deployment.metadata.namespace).toBe('envcat-system');
    expect(container.ports).toEqual([{ name: 'http', containerPort: 8080, protocol: 'TCP' }]);
    expect(container.env).toContainEqual({ name: 'PORT', value: '8080' });
    expect(container.readinessProbe).toMatchObject({ httpGet: { path: '/healthz', port: 'http' } });
    const service = find(docs, 'Service', 'envcat') as {
      spec: { selector: Record<string, string>; ports: Obj[] };
    };
    expect(deployment.spec.template.metadata.labels).toMatchObject(service.spec.selector);
    expect(deployment.spec.selector.matchLabels).toEqual(service.spec.selector);
    expect(service.spec.ports).toEqual([{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }]);
  });

  it('runs in-cluster against the repos the ApplicationSets read (src/server/config.ts variables)', () => {
    const value = (name: string) => container.env.find((e) => e.name === name)?.value;
    expect(value('ENVCAT_IN_CLUSTER')).toBe('true');
    const generatorRepo = (name: string) =>
      (
        find(documents('bootstrap'), 'ApplicationSet', name) as {
          spec: { generators: Array<{ git: { repoURL: string } }> };
        }
      ).spec.generators[0]?.git.repoURL;
    expect(value('ENVCAT_PLATFORM_REPO')).toBe(generatorRepo('envcat-platform'));
    expect(value('ENVCAT_APPS_REPO')).toBe(generatorRepo('envcat-apps'));
  });

  it('takes the admin token and Git credentials from Secrets, never from the manifest', () => {
    for (const name of ['ENVCAT_ADMIN_TOKEN', 'ENVCAT_GIT_USERNAME', 'ENVCAT_GIT_TOKEN']) {
      const variable = container.env.find((e) => e.name === name);
      expect([name, variable?.value, variable?.valueFrom]).toEqual([
        name,
        undefined,
        { secretKeyRef: expect.any(Object) },
      ]);
    }
  });

  it("grants its service account what the engine does, and Argo CD's namespace only for Applications", () => {
    const subject = { kind: 'ServiceAccount', name: pod.serviceAccountName, namespace: 'envcat-system' };
    expect(find(docs, 'ServiceAccount', pod.serviceAccountName)).toBeDefined();
    const granted = (bindingKind: string, roleKind: string, namespace?: string): Rule[] =>
      docs
        .filter(
          (d) =>
            d.kind === bindingKind &&
            (namespace === undefined || (d.metadata as Obj).namespace === namespace),
        )
        .filter((b) => (b.subjects as Obj[]).some((s) => JSON.stringify(s) === JSON.stringify(subject)))
        .flatMap((b) => {
          const ref = b.roleRef as { kind: string; name: string };
          return ref.kind === roleKind ? ((find(docs, roleKind, ref.name).rules as Rule[]) ?? []) : [];
        });
    const cluster = granted('ClusterRoleBinding', 'ClusterRole');
    for (const verb of ['get', 'create', 'delete']) expect(allows(cluster, '', 'secrets', verb)).toBe(true);
    for (const verb of ['get', 'create']) expect(allows(cluster, '', 'namespaces', verb)).toBe(true);
    for (const group of ['tf.m.upbound.io', 'tf.upbound.io'])
      expect(allows(cluster, group, 'workspaces', 'watch')).toBe(true);
    // Applications: watched and annotated for a refresh, in the Argo CD namespace only
    expect(allows(cluster, 'argoproj.io', 'applications', 'get')).toBe(false);
    const argocd = granted('RoleBinding', 'Role', DEFAULT_RENDER_OPTIONS.argocd.namespace);
    for (const verb of ['get', 'list', 'watch', 'patch'])
      expect(allows(argocd, 'argoproj.io', 'applications', verb)).toBe(true);
    // Leader election on a Lease in its own namespace
    const own = granted('RoleBinding', 'Role', 'envcat-system');
    for (const verb of ['get', 'create', 'update'])
      expect(allows(own, 'coordination.k8s.io', 'leases', verb)).toBe(true);
    // Nothing it does not need
    expect(allows(cluster, '', 'secrets', 'escalate')).toBe(false);
    expect(cluster.some((r) => r.apiGroups.includes('*') || r.resources.includes('*'))).toBe(false);
  });
});
