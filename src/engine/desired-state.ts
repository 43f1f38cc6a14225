/**
 * Desired state as the platform repo holds it: one `environments/<env>/environment.yaml` per
 * environment, whether the API wrote it or a person committed it. Parsing and validation are
 * cached by file content, so a resync of 1,000 unchanged environments costs map lookups.
 */
import {
  checkEnvironment,
  parseYamlDocument,
  type Catalog,
  type Plan,
  type Problem,
  type ResolvedEnvironment,
} from '../core/index.js';

export const ENVIRONMENTS_DIR = 'environments';
export const DELETION_ANNOTATION = 'envcat.io/deletion-requested';

export function environmentFile(name: string): string {
  return `${ENVIRONMENTS_DIR}/${name}/environment.yaml`;
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

export function namespaceClaim(namespace: string, environment: string): { path: string; content: string } {
  return {
    path: `${namespaceClaimDir(namespace)}/${environment}`,
    content: `# envcat: the namespace ${namespace} belongs to the environment ${environment}.\n# Written with the environment, removed after its namespace is gone; one per namespace.\n`,
  };
}

/** The namespace and environment of a claim's path, when it is one. */
export function parseNamespaceClaim(path: string): { namespace: string; environment: string } | undefined {
  const [dir, namespace, environment, ...rest] = path.split('/');
  if (dir !== NAMESPACE_CLAIMS_DIR || !namespace || !environment || rest.length > 0) return undefined;
  return { namespace, environment };
}

export type DesiredEnvironment =
  | {
      name: string;
      valid: true;
      environment: ResolvedEnvironment;
      plan: Plan;
      deletionRequested: boolean;
    }
  | {
      name: string;
      valid: false;
      problems: Problem[];
      deletionRequested: boolean;
    };

interface CacheEntry {
  source: string;
  catalogVersion: number;
  desired: DesiredEnvironment;
}

export class DesiredStateParser {
  private readonly cache = new Map<string, CacheEntry>();

  constructor(private readonly catalog: () => { catalog: Catalog; version: number }) {}

  /** The environment in `environments/<name>/environment.yaml`, from its text. */
  parse(name: string, source: string): DesiredEnvironment {
    const { catalog, version } = this.catalog();
    const cached = this.cache.get(name);
    if (cached && cached.source === source && cached.catalogVersion === version) return cached.desired;
    const desired = parseEnvironment({ name, source, catalog });
    this.cache.set(name, { source, catalogVersion: version, desired });
    return desired;
  }

  forget(name: string): void {
    this.cache.delete(name);
  }
}

/** Parses and validates one environment file as the reconciler sees it. */
export function parseEnvironment(args: {
  name: string;
  source: string;
  catalog: Catalog;
}): DesiredEnvironment {
  const { name, source, catalog } = args;
  const file = environmentFile(name);
  let document: unknown;
  try {
    document = parseYamlDocument(source);
  } catch (error) {
    return {
      name,
      valid: false,
      deletionRequested: false,
      problems: [{ file, path: '', message: error instanceof Error ? error.message : String(error) }],
    };
  }
  const deletionRequested = isDeletionRequested(document);
  const check = checkEnvironment(document, catalog);
  const problems: Problem[] = check.problems.map((p) => ({ ...p, file }));
  const metadataName = (document as { metadata?: { name?: unknown } } | null)?.metadata?.name;
  if (typeof metadataName === 'string' && metadataName !== name)
    problems.push({ file, path: '/metadata/name', message: `must be "${name}", the name of its directory` });
  if (check.environment) {
    // A literal secret in Git is a leak already; refuse to act on it so it gets noticed and removed.
    for (const instance of check.environment.instances) {
      for (const [parameter, source] of Object.entries(instance.secrets)) {
        if (source.kind === 'literal')
          problems.push({
            file,
            path: `/spec/catalogs/${instance.index}/parameters/${parameter}`,
            message: 'a secret parameter in Git must be a fromSecret reference, not a literal value',
          });
      }
    }
  }
  if (problems.length > 0 || !check.environment || !check.plan)
    return { name, valid: false, deletionRequested, problems };
  return { name, valid: true, environment: check.environment, plan: check.plan, deletionRequested };
}

function isDeletionRequested(document: unknown): boolean {
  const annotations = (document as { metadata?: { annotations?: Record<string, unknown> } } | null)?.metadata
    ?.annotations;
  return typeof annotations?.[DELETION_ANNOTATION] === 'string';
}

/** Environment names found in a tree of `environments/<env>/...` paths. */
export function environmentNames(paths: Iterable<string>): Set<string> {
  const names = new Set<string>();
  for (const path of paths) {
    const parts = path.split('/');
    if (parts[0] === ENVIRONMENTS_DIR && parts.length > 2 && parts[1]) names.add(parts[1]);
  }
  return names;
}
