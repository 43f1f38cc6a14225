/**
 * Desired state as the platform repo holds it: one `environments/<env>/environment.yaml` per
 * environment, whether the API wrote it or a person committed it. Parsing and validation are
 * cached by file content, so a resync of 1,000 unchanged environments costs map lookups. A request
 * without pinned versions (committed by hand, or from before versions were pinned) resolves to what
 * its files render, so its result also depends on those, until the engine pins it.
 */
import {
  ANNOTATION,
  checkEnvironment,
  environmentFile,
  parseYamlDocument,
  type Catalog,
  type Plan,
  type Problem,
  type ResolvedEnvironment,
} from '../core/index.js';
import { EnvironmentDocuments } from './documents.js';

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
  /**
   * For a request not pinned yet: what the files of its unpinned instances rendered when it was
   * parsed (the result depends on it), by instance.
   */
  rendered?: Map<string, string>;
}

/** What the parser reads: the catalog, and the versions an instance's files in Git render. */
export interface DesiredStateSources {
  catalog: () => { catalog: Catalog; version: number };
  /** The `envcat.io/entry-version` labels of an instance's own files (RepoView.renderedVersions). */
  rendered: (environment: string, instance: string) => readonly string[];
}

export class DesiredStateParser {
  private readonly cache = new Map<string, CacheEntry>();
  /** Each file parsed once per version, here and for the API and the notifier (documents.ts). */
  readonly documents = new EnvironmentDocuments();

  constructor(private readonly sources: DesiredStateSources) {}

  /** The environment in `environments/<name>/environment.yaml`, from its text. */
  parse(name: string, source: string): DesiredEnvironment {
    const { catalog, version } = this.sources.catalog();
    const cached = this.cache.get(name);
    if (
      cached &&
      cached.source === source &&
      cached.catalogVersion === version &&
      [...(cached.rendered ?? [])].every(([instance, key]) => this.renderedKey(name, instance) === key)
    )
      return cached.desired;
    const rendered = new Map<string, string>();
    const parsed = this.documents.of(name, source);
    const desired = parseEnvironment({
      name,
      source,
      ...(parsed === undefined ? {} : { parsed }),
      catalog,
      rendered: (instance) => {
        const versions = this.sources.rendered(name, instance);
        rendered.set(instance, versions.join(' '));
        return versions;
      },
    });
    this.cache.set(name, {
      source,
      catalogVersion: version,
      desired,
      ...(rendered.size > 0 ? { rendered } : {}),
    });
    return desired;
  }

  private renderedKey(name: string, instance: string): string {
    return this.sources.rendered(name, instance).join(' ');
  }

  forget(name: string): void {
    this.cache.delete(name);
    this.documents.forget(name);
  }
}

/** Parses and validates one environment file as the reconciler sees it. */
export function parseEnvironment(args: {
  name: string;
  source: string;
  /** `source` parsed already (read, never changed: checkEnvironment works on its own copy). */
  parsed?: unknown;
  catalog: Catalog;
  /** The entry versions an instance's files render, for a request not pinned yet (see checkEnvironment). */
  rendered?: (instance: string) => readonly string[];
}): DesiredEnvironment {
  const { name, source, catalog, rendered } = args;
  const file = environmentFile(name);
  let document: unknown = args.parsed;
  try {
    if (document === undefined) document = parseYamlDocument(source);
  } catch (error) {
    return {
      name,
      valid: false,
      deletionRequested: false,
      problems: [{ file, path: '', message: error instanceof Error ? error.message : String(error) }],
    };
  }
  const deletionRequested = isDeletionRequested(document);
  const check = checkEnvironment(document, catalog, rendered ? { rendered } : {});
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
  return typeof annotations?.[ANNOTATION.deletionRequested] === 'string';
}
