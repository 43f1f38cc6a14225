/** Where rendered objects point: Workspace API flavour, Argo CD project, the application repo. */

export type WorkspaceApi = 'namespaced' | 'cluster';

export interface RenderOptions {
  /** `namespaced`: tf.m.upbound.io/v1beta1 in the environment namespace (Crossplane v2, default); `cluster`: tf.upbound.io/v1beta1. */
  workspaceApi: WorkspaceApi;
  /** provider-terraform (Cluster)ProviderConfig name. */
  providerConfig: string;
  argocd: {
    /** Namespace the Application objects live in. */
    namespace: string;
    /**
     * The Applications' project. With `{env}` (default `envcat-{env}`), a project
     * per environment that envcat renders into the environment's namespace.yaml; without it, a
     * shared project that someone else creates (envcat renders none).
     */
    project: string;
    destinationServer: string;
  };
  /** The application GitOps repo, for entries whose manifests are rendered into it. */
  appsRepo: { url: string; revision: string };
}

export const DEFAULT_RENDER_OPTIONS: RenderOptions = {
  workspaceApi: 'namespaced',
  providerConfig: 'default',
  argocd: {
    namespace: 'argocd',
    project: 'envcat-{env}',
    destinationServer: 'https://kubernetes.default.svc',
  },
  appsRepo: { url: 'https://git.example.com/platform/envcat-apps.git', revision: 'main' },
};

export function renderOptions(overrides: DeepPartial<RenderOptions> = {}): RenderOptions {
  return {
    ...DEFAULT_RENDER_OPTIONS,
    ...overrides,
    argocd: { ...DEFAULT_RENDER_OPTIONS.argocd, ...overrides.argocd },
    appsRepo: { ...DEFAULT_RENDER_OPTIONS.appsRepo, ...overrides.appsRepo },
  } as RenderOptions;
}

export type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? DeepPartial<T[K]> : T[K] };
