/**
 * The embedded default's cluster: a simulated API server, a client-node client on it, and the
 * simulated provider-terraform and Argo CD, each with read-only clones of the GitOps repos, set up
 * with the same bootstrap a real cluster gets (gitops/bootstrap: AppProjects, the two
 * ApplicationSets, the provider configs), the placeholder repo URLs replaced by the real ones.
 * It is not a real Kubernetes cluster: nothing runs, Terraform is never called.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import {
  ExternalError,
  InputError,
  parseYamlDocuments,
  type Catalog,
  type WorkspaceApi,
  isRecord,
} from '../core/index.js';
import { GitRepo } from '../gitops/index.js';
import { packageRoot } from '../install/index.js';
import { KubeClusterClient, type KubeObject } from '../cluster/index.js';
import { SimulatedApiServer } from './api-server.js';
import { normalizeGitUrl } from './appproject.js';
import { SimulatedArgoCD } from './argocd-controller.js';
import type { TrackingMethod } from './resource-tracking.js';
import { RepoControlSource } from './controls.js';
import { FileStoreLog } from './store-log.js';
import { SimulatedProviderTerraform } from './terraform-controller.js';

export const DEFAULT_BOOTSTRAP_DIR = join(packageRoot(), 'gitops', 'bootstrap');

/** The ApplicationSets of the bootstrap whose repo URLs stand for the platform and the app repo. */
const PLATFORM_APPSET = 'envcat-platform';
const APPS_APPSET = 'envcat-apps';
const BOOTSTRAP_FIELD_MANAGER = 'envcat-bootstrap';

export interface SimulatedClusterOptions {
  platformRepoUrl: string;
  appsRepoUrl: string;
  /** Branches of the repos (default `main`). */
  branches?: { platform?: string; apps?: string };
  /** Where the controllers keep their clones of the repos. */
  workdir: string;
  catalog?: Catalog | (() => Catalog | undefined);
  /** How long a simulated apply or destroy takes without a `delay` control. */
  defaultDelayMs: number;
  logger: Logger;
  /** The API server's port (default: a free one). */
  port?: number;
  /** Argo CD's Git polling interval (default 3 minutes, as Argo CD's). */
  pollMs?: number;
  /** Argo CD's `application.resourceTrackingMethod` (default `annotation`, as Argo CD 3's). */
  trackingMethod?: TrackingMethod;
  /** How often the provider retries a failed Workspace (default 60 s). */
  retryMs?: number;
  /** provider-terraform's --max-reconcile-rate (default DEFAULT_MAX_RECONCILE_RATE, as gitops/provider-terraform sets it). */
  maxReconcileRate?: number;
  /** Workspace APIs the provider serves (default both). */
  workspaceApis?: readonly WorkspaceApi[];
  /** The bootstrap manifests (default gitops/bootstrap of this checkout). */
  bootstrapDir?: string;
  /**
   * Where the API server keeps its objects (a write-ahead log and snapshots, see store-log.ts), so
   * that a restart, even a kill -9, finds them again. Absent: in memory only.
   */
  stateDir?: string;
}

export interface SimulatedCluster {
  /** The API server's base URL (plain HTTP on 127.0.0.1). */
  url: string;
  client: KubeClusterClient;
  server: SimulatedApiServer;
  terraform: SimulatedProviderTerraform;
  argocd: SimulatedArgoCD;
  stop(): Promise<void>;
}

/** The bootstrap documents, in kustomization order, with the placeholder repo URLs replaced. */
export async function loadBootstrap(args: {
  dir: string;
  platformRepoUrl: string;
  appsRepoUrl: string;
}): Promise<KubeObject[]> {
  const read = async (file: string) => {
    try {
      return await readFile(join(args.dir, file), 'utf8');
    } catch (error) {
      throw new ExternalError(`cannot read the GitOps bootstrap ${join(args.dir, file)}`, { cause: error });
    }
  };
  const kustomization = parseYamlDocuments(await read('kustomization.yaml'))[0];
  const files =
    isRecord(kustomization) && Array.isArray(kustomization.resources)
      ? kustomization.resources.filter((f): f is string => typeof f === 'string')
      : [];
  if (files.length === 0)
    throw new InputError([
      { file: join(args.dir, 'kustomization.yaml'), path: '/resources', message: 'lists no files' },
    ]);
  const documents: KubeObject[] = [];
  for (const file of files) {
    for (const [index, doc] of parseYamlDocuments(await read(file)).entries()) {
      if (
        !isRecord(doc) ||
        typeof doc.apiVersion !== 'string' ||
        typeof doc.kind !== 'string' ||
        !isRecord(doc.metadata)
      )
        throw new InputError([{ file, path: `/${index}`, message: 'is not a Kubernetes object' }]);
      documents.push(doc as unknown as KubeObject);
    }
  }
  const placeholders = new Map<string, string>();
  for (const doc of documents) {
    if (doc.kind !== 'ApplicationSet') continue;
    const url =
      doc.metadata.name === PLATFORM_APPSET
        ? args.platformRepoUrl
        : doc.metadata.name === APPS_APPSET
          ? args.appsRepoUrl
          : undefined;
    if (url) for (const placeholder of repoUrlsIn(doc)) placeholders.set(normalizeGitUrl(placeholder), url);
  }
  if (new Set(placeholders.values()).size < 2)
    throw new InputError([
      {
        file: args.dir,
        path: '',
        message: `the bootstrap must hold the ApplicationSets ${PLATFORM_APPSET} and ${APPS_APPSET} (their repoURLs are replaced by the local repos)`,
      },
    ]);
  return documents.map((doc) => replaceStrings(doc, placeholders) as KubeObject);
}

function repoUrlsIn(value: unknown, found: string[] = []): string[] {
  if (Array.isArray(value)) for (const v of value) repoUrlsIn(v, found);
  else if (isRecord(value))
    for (const [k, v] of Object.entries(value)) {
      if (k === 'repoURL' && typeof v === 'string') found.push(v);
      else repoUrlsIn(v, found);
    }
  return found;
}

function replaceStrings(value: unknown, replacements: ReadonlyMap<string, string>): unknown {
  if (typeof value === 'string') return replacements.get(normalizeGitUrl(value)) ?? value;
  if (Array.isArray(value)) return value.map((v) => replaceStrings(v, replacements));
  if (isRecord(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = replaceStrings(v, replacements);
    return out;
  }
  return value;
}

export async function startSimulatedCluster(options: SimulatedClusterOptions): Promise<SimulatedCluster> {
  const { logger } = options;
  const log = logger.child({ component: 'simulated-cluster' });
  const bootstrap = await loadBootstrap({
    dir: options.bootstrapDir ?? DEFAULT_BOOTSTRAP_DIR,
    platformRepoUrl: options.platformRepoUrl,
    appsRepoUrl: options.appsRepoUrl,
  });
  const argocdNamespace =
    bootstrap.find((d) => d.kind === 'ApplicationSet' || d.kind === 'AppProject')?.metadata.namespace ??
    'argocd';

  const server = new SimulatedApiServer({
    namespaces: [
      'default',
      'kube-system',
      'kube-public',
      'kube-node-lease',
      argocdNamespace,
      'crossplane-system',
    ],
    ...(options.stateDir
      ? {
          persistence: new FileStoreLog({
            dir: options.stateDir,
            onError: (error) =>
              log.error(
                { err: { message: error.message } },
                'simulated cluster state: background write failed',
              ),
          }),
        }
      : {}),
  });
  if (server.restored)
    log.info(
      {
        stateDir: options.stateDir,
        objects: server.objects.objectCount,
        resourceVersion: server.objects.resourceVersion,
      },
      'simulated cluster state loaded from disk',
    );
  const started: Array<() => Promise<void>> = [() => server.close()];
  let url: string;
  try {
    ({ url } = await server.start(options.port === undefined ? {} : { port: options.port }));
  } catch (error) {
    await server.close(); // releases the state directory's lock
    throw error;
  }
  const stopAll = async () => {
    // Last started, first stopped; each only once.
    for (let stop = started.pop(); stop; stop = started.pop()) await stop();
  };
  try {
    const client = KubeClusterClient.forServer({ url });
    const repos: GitRepo[] = [];
    // Stopped after the controllers that read them: their git processes end with the cluster.
    started.push(() => Promise.all(repos.map((r) => r.close())).then(() => undefined));
    const repo = (name: 'platform' | 'apps', owner: string) => {
      const opened = new GitRepo({
        name,
        url: name === 'platform' ? options.platformRepoUrl : options.appsRepoUrl,
        ...(options.branches?.[name] ? { branch: options.branches[name] } : {}),
        workdir: join(options.workdir, owner, name),
        logger: logger.child({ component: `simulated-${owner}-git` }),
      });
      repos.push(opened);
      return opened;
    };
    const controls = new RepoControlSource({ repo: repo('platform', 'controls'), logger: log });
    const argoRepos = new Map([
      [normalizeGitUrl(options.platformRepoUrl), repo('platform', 'argocd')],
      [normalizeGitUrl(options.appsRepoUrl), repo('apps', 'argocd')],
    ]);
    const apis = options.workspaceApis ?? (['namespaced', 'cluster'] as const);
    const terraform = new SimulatedProviderTerraform({
      cluster: client,
      apis,
      controls,
      defaultDelayMs: options.defaultDelayMs,
      ...(options.catalog ? { catalog: options.catalog } : {}),
      ...(options.retryMs !== undefined ? { retryMs: options.retryMs } : {}),
      ...(options.maxReconcileRate !== undefined ? { maxReconcileRate: options.maxReconcileRate } : {}),
      logger,
    });
    const argocd = new SimulatedArgoCD({
      cluster: client,
      repos: (repoUrl) => argoRepos.get(normalizeGitUrl(repoUrl)),
      namespace: argocdNamespace,
      controls,
      defaultDelayMs: options.defaultDelayMs,
      ...(options.pollMs !== undefined ? { pollMs: options.pollMs } : {}),
      ...(options.trackingMethod ? { trackingMethod: options.trackingMethod } : {}),
      workspaceApis: apis,
      logger,
    });
    await terraform.start();
    started.push(() => terraform.stop());
    await argocd.start();
    started.push(() => argocd.stop());
    for (const doc of bootstrap)
      await client.apply(doc, { fieldManager: BOOTSTRAP_FIELD_MANAGER, force: true });
    log.info(
      {
        url,
        platformRepo: options.platformRepoUrl,
        appsRepo: options.appsRepoUrl,
        defaultDelayMs: options.defaultDelayMs,
      },
      'simulated cluster (not a real Kubernetes cluster) started: simulated API server, provider-terraform and Argo CD',
    );
    return {
      url,
      client,
      server,
      terraform,
      argocd,
      stop: async () => {
        await stopAll();
        log.info({ url }, 'simulated cluster stopped');
      },
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
