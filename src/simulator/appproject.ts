/**
 * AppProject rules as Argo CD applies them. Pure. Upstream (argoproj/argo-cd):
 * - pkg/apis/application/v1alpha1/app_project_types.go: `IsSourcePermitted` (repo URLs compared
 *   after `git.NormalizeGitURL`, gobwas globs with `/` as separator, `!` denies),
 *   `isDestinationMatched` (server or name, and namespace; `!` denies), `IsGroupKindNamePermitted`
 *   (namespaced kinds: no whitelist means all; cluster-scoped kinds: only whitelisted ones, an item
 *   with `name` matching that name only) and `globMatch`;
 * - types.go: `isResourceInList` / `isNamedResourceInList` (Go `filepath.Match` on group, kind and
 *   name; a malformed pattern matches nothing);
 * - util/glob/glob.go: `Match` (a pattern that does not compile matches nothing);
 * - util/git/git.go: `NormalizeGitURL`;
 * - controller/sync.go: `validateSyncPermissions` (the messages of `resourceProblem`).
 */
import { globMatch as gobwasMatch, GlobSyntaxError, pathMatch } from './glob.js';

export interface GroupKindRule {
  group?: string;
  kind?: string;
  /** Cluster resource items only (Argo CD 3.3+): a `filepath.Match` pattern for the name. */
  name?: string;
}

export interface AppProjectSpec {
  sourceRepos?: string[];
  destinations?: Array<{ server?: string; name?: string; namespace?: string }>;
  clusterResourceWhitelist?: GroupKindRule[];
  clusterResourceBlacklist?: GroupKindRule[];
  namespaceResourceWhitelist?: GroupKindRule[];
  namespaceResourceBlacklist?: GroupKindRule[];
}

export interface Destination {
  server?: string;
  name?: string;
  namespace?: string;
}

function isDenyPattern(pattern: string | undefined): boolean {
  return pattern?.startsWith('!') ?? false;
}

/** util/glob `Match`: a pattern that does not compile matches nothing. */
function glob(pattern: string, value: string, separator?: string): boolean {
  try {
    return gobwasMatch(pattern, value, separator);
  } catch (error) {
    if (error instanceof GlobSyntaxError) return false;
    throw error;
  }
}

/** app_project_types.go `globMatch(pattern, val, allowNegation=true, separators...)`. */
function globMatch(pattern: string | undefined, value: string, separator?: string): boolean {
  const p = pattern ?? '';
  if (isDenyPattern(p)) return !glob(p.slice(1), value, separator);
  if (p === '*') return true;
  return glob(p, value, separator);
}

/** Go `filepath.Match`; an error (a malformed pattern) is no match, as upstream's `ok && err == nil`. */
function filepathMatch(pattern: string, value: string): boolean {
  try {
    return pathMatch(pattern, value);
  } catch (error) {
    if (error instanceof GlobSyntaxError) return false;
    throw error;
  }
}

/** util/git NormalizeGitURL: lower case, trimmed, scp-like SSH made a path, `ssh://` and `.git` dropped. */
export function argoNormalizeGitUrl(url: string): string {
  let repo = url.trim().toLowerCase();
  const scp = /^([\w.-]+@[\w.-]+):(?!\/\/)(.*)$/.exec(repo);
  if (scp && !repo.startsWith('ssh://')) repo = `${scp[1]}/${scp[2]}`;
  repo = repo.replace(/\.git$/, '');
  return repo.replace(/^ssh:\/\//, '');
}

/**
 * How the simulator finds its clone of a repo URL (not an Argo CD rule): case, a trailing `.git`
 * or `/` do not matter.
 */
export function normalizeGitUrl(url: string): string {
  return url
    .trim()
    .toLowerCase()
    .replace(/\/+$/, '')
    .replace(/\.git$/, '');
}

export function isSourcePermitted(project: AppProjectSpec, repoURL: string): boolean {
  const source = argoNormalizeGitUrl(repoURL);
  let anySourceMatched = false;
  for (const entry of project.sourceRepos ?? []) {
    const pattern = isDenyPattern(entry)
      ? `!${argoNormalizeGitUrl(entry.slice(1))}`
      : argoNormalizeGitUrl(entry);
    const matched = globMatch(pattern, source, '/');
    if (matched) anySourceMatched = true;
    else if (isDenyPattern(pattern)) return false;
  }
  return anySourceMatched;
}

export function isDestinationPermitted(project: AppProjectSpec, destination: Destination): boolean {
  let anyDestinationMatched = false;
  for (const item of project.destinations ?? []) {
    const nameMatched = !!destination.name && globMatch(item.name, destination.name);
    const serverMatched = !!destination.server && globMatch(item.server, destination.server);
    const namespaceMatched = globMatch(item.namespace, destination.namespace ?? '');
    if ((serverMatched || nameMatched) && namespaceMatched) anyDestinationMatched = true;
    // Go's && binds tighter than ||, as upstream's switch reads.
    else if (
      (!nameMatched && isDenyPattern(item.name)) ||
      (!serverMatched && isDenyPattern(item.server) && namespaceMatched)
    )
      return false;
    else if (!namespaceMatched && isDenyPattern(item.namespace) && serverMatched) return false;
  }
  return anyDestinationMatched;
}

function inList(group: string, kind: string, rules: readonly GroupKindRule[]): boolean {
  return rules.some((r) => filepathMatch(r.kind ?? '', kind) && filepathMatch(r.group ?? '', group));
}

function inNamedList(
  resource: { group: string; kind: string; name: string },
  rules: readonly GroupKindRule[],
): boolean {
  return rules.some(
    (r) =>
      filepathMatch(r.kind ?? '', resource.kind) &&
      filepathMatch(r.group ?? '', resource.group) &&
      (!r.name || filepathMatch(r.name, resource.name)),
  );
}

export function isGroupKindPermitted(
  project: AppProjectSpec,
  resource: { group: string; kind: string; name?: string; namespaced: boolean },
): boolean {
  const { group, kind } = resource;
  if (resource.namespaced) {
    const white = project.namespaceResourceWhitelist;
    const black = project.namespaceResourceBlacklist ?? [];
    const whiteListed = white === undefined || (white.length !== 0 && inList(group, kind, white));
    return whiteListed && !(black.length !== 0 && inList(group, kind, black));
  }
  const named = { group, kind, name: resource.name ?? '' };
  const white = project.clusterResourceWhitelist ?? [];
  const black = project.clusterResourceBlacklist ?? [];
  return (
    white.length !== 0 && inNamedList(named, white) && !(black.length !== 0 && inNamedList(named, black))
  );
}

/** controller/sync.go validateSyncPermissions: why a resource may not be synced, or undefined when it may. */
export function resourceProblem(
  project: AppProjectSpec,
  projectName: string,
  resource: { group: string; kind: string; name: string; namespace?: string },
  destination: Destination,
): string | undefined {
  const namespaced = resource.namespace !== undefined && resource.namespace !== '';
  if (!isGroupKindPermitted(project, { ...resource, namespaced }))
    return `resource ${resource.group}:${resource.kind} is not permitted in project ${projectName}`;
  if (namespaced && !isDestinationPermitted(project, { ...destination, namespace: resource.namespace }))
    return `namespace ${resource.namespace} is not permitted in project '${projectName}'`;
  return undefined;
}
