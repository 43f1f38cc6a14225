/**
 * AppProject rules as Argo CD applies them (pkg/apis/application/v1alpha1 AppProject): permitted
 * source repos, destinations (with `!` deny entries, Argo CD >= 2.5) and resource kinds. Pure.
 */
import { globMatch } from './glob.js';

export interface GroupKindRule {
  group?: string;
  kind?: string;
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

function isDeny(pattern: string | undefined): boolean {
  return pattern?.startsWith('!') ?? false;
}

function match(pattern: string | undefined, value: string, separator?: string): boolean {
  const p = pattern ?? '';
  if (isDeny(p)) return !globMatch(p.slice(1), value, separator);
  if (p === '*') return true;
  return globMatch(p, value, separator);
}

/** util/git NormalizeGitURL, for the URL forms envcat uses: case and a trailing `.git` or `/` do not matter. */
export function normalizeGitUrl(url: string): string {
  return url
    .trim()
    .toLowerCase()
    .replace(/\/+$/, '')
    .replace(/\.git$/, '');
}

export function isSourcePermitted(project: AppProjectSpec, repoURL: string): boolean {
  const source = normalizeGitUrl(repoURL);
  let any = false;
  for (const entry of project.sourceRepos ?? []) {
    const pattern = isDeny(entry) ? `!${normalizeGitUrl(entry.slice(1))}` : normalizeGitUrl(entry);
    if (match(pattern, source, '/')) any = true;
    else if (isDeny(pattern)) return false;
  }
  return any;
}

export function isDestinationPermitted(project: AppProjectSpec, destination: Destination): boolean {
  let any = false;
  let noDeny = true;
  for (const item of project.destinations ?? []) {
    const nameMatched = !!destination.name && match(item.name, destination.name);
    const serverMatched = !!destination.server && match(item.server, destination.server);
    const namespaceMatched = match(item.namespace, destination.namespace ?? '');
    if ((serverMatched || nameMatched) && namespaceMatched) any = true;
    else if (
      (!nameMatched && isDeny(item.name)) ||
      (!serverMatched && isDeny(item.server)) ||
      (!namespaceMatched && isDeny(item.namespace))
    )
      noDeny = false;
  }
  return any && noDeny;
}

function inList(group: string, kind: string, rules: readonly GroupKindRule[]): boolean {
  return rules.some(
    (r) =>
      (r.group === group || globMatch(r.group ?? '', group)) &&
      (r.kind === kind || globMatch(r.kind ?? '', kind)),
  );
}

export function isGroupKindPermitted(
  project: AppProjectSpec,
  resource: { group: string; kind: string; namespaced: boolean },
): boolean {
  const { group, kind } = resource;
  if (resource.namespaced) {
    const white = project.namespaceResourceWhitelist;
    const black = project.namespaceResourceBlacklist ?? [];
    const whiteListed = white === undefined || (white.length !== 0 && inList(group, kind, white));
    return whiteListed && !(black.length !== 0 && inList(group, kind, black));
  }
  const white = project.clusterResourceWhitelist ?? [];
  const black = project.clusterResourceBlacklist ?? [];
  return (
    white.length !== 0 && inList(group, kind, white) && !(black.length !== 0 && inList(group, kind, black))
  );
}

/** Why a resource may not be synced by an Application of this project, or undefined when it may. */
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
