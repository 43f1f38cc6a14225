/**
 * Where envcat's files live in the GitOps repos, and the label and annotation keys it marks
 * objects with: one module, so the renderer, the engine, the API and the simulator agree by
 * construction. Pure.
 *
 *   platform repo                                  apps repo
 *     environments/<env>/environment.yaml            environments/<env>/apps/<instance>.yaml
 *     environments/<env>/namespace.yaml              environments/<env>/apps/<instance>/<manifest>
 *     environments/<env>/infra/<instance>.yaml
 *     namespaces/<namespace>/<env>
 *     catalog/<entry>/<version>/<file>
 *     catalog/<entry>/states.yaml
 */
import type { Part } from '../plan/index.js';

export type Repo = 'platform' | 'apps';

export const LABEL = {
  environment: 'envcat.io/environment',
  instance: 'envcat.io/instance',
  entry: 'envcat.io/entry',
  entryVersion: 'envcat.io/entry-version',
  part: 'envcat.io/part',
  type: 'envcat.io/type',
  managedBy: 'app.kubernetes.io/managed-by',
} as const;

/** The value of LABEL.managedBy on everything envcat writes. */
export const MANAGED_BY = 'envcat';

export const ANNOTATION = {
  entryDigest: 'envcat.io/entry-digest',
  /**
   * On a Workspace: a digest of the spec envcat rendered. The live object carries the one Argo CD
   * last applied, so a step is Ready only once the cluster holds the version in Git (a Workspace
   * Ready at its previous spec is not Ready at ours).
   */
  specDigest: 'envcat.io/spec-digest',
  ttl: 'envcat.io/ttl',
  owner: 'envcat.io/owner',
  description: 'envcat.io/description',
  /** On environment.yaml: the environment is to be deleted (its value says when, or by whom). */
  deletionRequested: 'envcat.io/deletion-requested',
  /** On environment.yaml: when the failed steps were last asked to run again (`envcat env retry`). */
  retryAt: 'envcat.io/retry-at',
  /** On a Workspace or Application: the retry (retryAt) its controller was last asked for. */
  retriedAt: 'envcat.io/retried-at',
  /**
   * On an instance's `-params` Secret: the revision of the secret values it holds. On the
   * Application and the pod templates of a step that reads them: the revision it was committed at
   * (core environment/secret-revision.ts).
   */
  secretRevision: 'envcat.io/secret-revision',
} as const;

/**
 * On environment.yaml, one per instance whose secret values were changed by an update:
 * `secret-revision.envcat.io/<instance>: "<n>"` (core environment/secret-revision.ts).
 */
export const SECRET_REVISION_PREFIX = 'secret-revision.envcat.io/';

/**
 * The environment variable a Workspace that reads secret values carries their revision in: a
 * change of `spec.forProvider` moves the Workspace's generation, which an annotation does not.
 */
export const SECRET_REVISION_ENV = 'ENVCAT_SECRET_REVISION';

/** Argo CD's own annotations that envcat sets, as its Git webhook would. */
export const ARGOCD_ANNOTATION = {
  /** An Application compares with Git now. */
  refresh: 'argocd.argoproj.io/refresh',
  /**
   * Beside `refresh`: newer Argo CD removes `refresh` only if this still holds the value it read
   * when its refresh began, so a request made during a refresh is not lost (argo-cd
   * controller/appcontroller.go handleRefreshAnnotation, after v3.5.1). Older versions ignore it.
   */
  refreshTimestamp: 'argocd.argoproj.io/refresh-timestamp',
  /** An ApplicationSet's generators read Git now. */
  applicationSetRefresh: 'argocd.argoproj.io/application-set-refresh',
} as const;

/** A label selector for envcat's objects, of one environment when given. */
export function managedSelector(environment?: string): string {
  const managed = `${LABEL.managedBy}=${MANAGED_BY}`;
  return environment === undefined ? managed : `${managed},${LABEL.environment}=${environment}`;
}

export const ENVIRONMENTS_DIR = 'environments';
export const ENVIRONMENT_FILE = 'environment.yaml';
export const NAMESPACE_FILE = 'namespace.yaml';

/** The repo that holds a part's files: infrastructure in the platform repo, applications in the apps repo. */
export function repoOf(part: Part): Repo {
  return part === 'infra' ? 'platform' : 'apps';
}

/** `environments/<env>` */
export function environmentDir(environment: string): string {
  return `${ENVIRONMENTS_DIR}/${environment}`;
}

/** `environments/<env>/`: every file of the environment, in either repo, is under it. */
export function environmentPrefix(environment: string): string {
  return `${environmentDir(environment)}/`;
}

/** The request, without secret values (platform repo). */
export function environmentFile(environment: string): string {
  return `${environmentDir(environment)}/${ENVIRONMENT_FILE}`;
}

/** The Namespace, its isolation objects and the environment's AppProject (platform repo). */
export function namespaceFile(environment: string): string {
  return `${environmentDir(environment)}/${NAMESPACE_FILE}`;
}

/** True for an environment's request file, `environments/<env>/environment.yaml`. */
export function isEnvironmentFile(path: string): boolean {
  return path.endsWith(`/${ENVIRONMENT_FILE}`);
}

/** `environments/<env>/<part>/`: the directory of a part's step files. */
export function partDir(environment: string, part: Part): string {
  return `${environmentDir(environment)}/${part}/`;
}

/** A step's own file: the Workspace (`infra/<instance>.yaml`) or the Application (`apps/<instance>.yaml`). */
export function stepFile(environment: string, part: Part, instance: string): string {
  return `${partDir(environment, part)}${instance}.yaml`;
}

/** `environments/<env>/apps/<instance>`: the rendered manifests an Application points at (no trailing '/'). */
export function manifestsDir(environment: string, instance: string): string {
  return `${partDir(environment, 'apps')}${instance}`;
}

/**
 * Where a manifest template of an entry lands: its path without the entry's first directory
 * (`manifests/deployment.yaml` → `<manifestsDir>/deployment.yaml`), or the path itself when it
 * has no directory.
 */
export function manifestFile(environment: string, instance: string, templatePath: string): string {
  const relative = templatePath.split('/').slice(1).join('/') || templatePath;
  return `${manifestsDir(environment, instance)}/${relative}`;
}

/**
 * The instance a path under `partDir(environment, part)` belongs to (`<instance>.yaml`, or for apps
 * also `<instance>/...`), or undefined for a path elsewhere.
 */
export function instanceOfPath(environment: string, part: Part, path: string): string | undefined {
  const dir = partDir(environment, part);
  if (!path.startsWith(dir)) return undefined;
  const instance = path
    .slice(dir.length)
    .split('/')[0]
    ?.replace(/\.yaml$/, '');
  return instance || undefined;
}

/** The environment a path under `environments/<env>/` belongs to. */
export function environmentOfPath(path: string): string | undefined {
  if (!path.startsWith(`${ENVIRONMENTS_DIR}/`)) return undefined;
  const end = path.indexOf('/', ENVIRONMENTS_DIR.length + 1);
  return end < 0 ? undefined : path.slice(ENVIRONMENTS_DIR.length + 1, end);
}

/** Environment names found among paths (`environments/<env>/...`). */
export function environmentNames(paths: Iterable<string>): Set<string> {
  const names = new Set<string>();
  for (const path of paths) {
    const parts = path.split('/');
    if (parts[0] === ENVIRONMENTS_DIR && parts.length > 2 && parts[1]) names.add(parts[1]);
  }
  return names;
}

const APPLICATION_FILE = new RegExp(`^${ENVIRONMENTS_DIR}/[^/]+/apps/[^/]+\\.yaml$`);

const WORKSPACE_FILE = new RegExp(`^${ENVIRONMENTS_DIR}/[^/]+/infra/[^/]+\\.yaml$`);

/** True for a step's Workspace file, `environments/<env>/infra/<instance>.yaml`. */
export function isWorkspaceFile(path: string): boolean {
  return WORKSPACE_FILE.test(path);
}

/** True for a step's Application file, `environments/<env>/apps/<instance>.yaml`. */
export function isApplicationFile(path: string): boolean {
  return APPLICATION_FILE.test(path);
}

const STEP_FILE = new RegExp(`^${ENVIRONMENTS_DIR}/[^/]+/(infra|apps)/[^/]+\\.yaml$`);

/** True for a step's own file: its Workspace (`infra/<instance>.yaml`) or its Application (`apps/<instance>.yaml`). */
export function isStepFile(path: string): boolean {
  return STEP_FILE.test(path);
}

/**
 * Namespace claims: `namespaces/<namespace>/<environment>` in the platform repo, outside what the
 * bootstrap ApplicationSets deploy. An environment claims its namespace in the same commit that
 * creates it, with the directory as a compare-and-swap (`mustNotExist`), so of two environments
 * asking for one namespace at the same moment exactly one gets it; the claim goes with the
 * environment's last files, after its namespace is gone. The owner is in the path, so removing
 * one's own claim can never remove another environment's.
 */
export const NAMESPACE_CLAIMS_DIR = 'namespaces';

export function namespaceClaimDir(namespace: string): string {
  return `${NAMESPACE_CLAIMS_DIR}/${namespace}`;
}

export function namespaceClaimPath(namespace: string, environment: string): string {
  return `${namespaceClaimDir(namespace)}/${environment}`;
}

/** The claim file, as committed. */
export function namespaceClaim(namespace: string, environment: string): { path: string; content: string } {
  return {
    path: namespaceClaimPath(namespace, environment),
    content: `# envcat: the namespace ${namespace} belongs to the environment ${environment}.\n# Written with the environment, removed after its namespace is gone; one per namespace.\n`,
  };
}

/** True when the path is under the claims directory. */
export function isNamespaceClaimPath(path: string): boolean {
  return path.startsWith(`${NAMESPACE_CLAIMS_DIR}/`);
}

/** The namespace and environment of a claim's path, when it is one. */
export function parseNamespaceClaim(path: string): { namespace: string; environment: string } | undefined {
  const [dir, namespace, environment, ...rest] = path.split('/');
  if (dir !== NAMESPACE_CLAIMS_DIR || !namespace || !environment || rest.length > 0) return undefined;
  return { namespace, environment };
}

/** Catalog entries published through the API: `catalog/<name>/<version>/<file>` in the platform repo. */
export const CATALOG_DIR = 'catalog';

export function catalogEntryDir(name: string, version: string): string {
  return `${CATALOG_DIR}/${name}/${version}`;
}

/** The entry, version and file (relative to the entry's folder) of a path under CATALOG_DIR. */
export function parseCatalogPath(path: string): { name: string; version: string; file: string } | undefined {
  const [dir, name, version, ...rest] = path.split('/');
  if (dir !== CATALOG_DIR || !name || !version || rest.length === 0) return undefined;
  return { name, version, file: rest.join('/') };
}

/**
 * The deprecated and yanked versions of an entry, built-in or published:
 * `catalog/<name>/states.yaml` in the platform repo, beside the entry's version folders (a name
 * that is not a version, so never taken for one).
 */
export const CATALOG_STATES_FILE = 'states.yaml';

export function catalogStatesFile(name: string): string {
  return `${CATALOG_DIR}/${name}/${CATALOG_STATES_FILE}`;
}

/** The entry whose states file `path` is, or undefined. */
export function parseCatalogStatesPath(path: string): string | undefined {
  const [dir, name, file, ...rest] = path.split('/');
  if (dir !== CATALOG_DIR || !name || file !== CATALOG_STATES_FILE || rest.length > 0) return undefined;
  return name;
}

/**
 * The highest version of an entry published through envcat: every publish must be above it, and
 * writes it with a compare-and-swap on what it read, so two publishes at the same moment cannot
 * both pass the check (`catalog/<name>/latest.yaml`).
 */
export function catalogLatestFile(name: string): string {
  return `${CATALOG_DIR}/${name}/latest.yaml`;
}
