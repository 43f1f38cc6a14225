/**
 * What the engine keeps of a GitOps repo's environments/ tree: every path, indexed by
 * environment, with the content of environment.yaml files (the requests it parses) and only a
 * digest of the rendered files (it compares them with fresh renders, never reads them). With
 * 1,000 environments the rendered files, a Workspace's inline Terraform module above all, would
 * otherwise be most of the engine's heap, and a per-environment question would scan every path.
 */
import { createHash } from 'node:crypto';
import {
  environmentOfPath,
  committedSpecDigest,
  isApplicationFile,
  isEnvironmentFile,
  isStepFile,
  isWorkspaceFile,
  LABEL,
  parseYamlDocument,
  renderedEntryVersion,
  sourceDigest,
} from '../core/index.js';

export class RepoTree {
  private readonly files = new Map<string, string>();
  private readonly byEnvironment = new Map<string, Set<string>>();
  /** The digest of each Application file's `spec.source`/`sources` (see core sourceDigest). */
  private readonly sources = new Map<string, string>();
  /** The `envcat.io/entry-version` label of each step's own file (what a request not pinned yet runs). */
  private readonly entryVersions = new Map<string, string>();
  /** The spec digest each Workspace file carries (core ANNOTATION.specDigest). */
  private readonly specs = new Map<string, string>();

  constructor(files: Iterable<[path: string, content: string]> = []) {
    for (const [path, content] of files) this.set(path, content);
  }

  /** The content of an environment.yaml file (other files keep a digest only). */
  request(path: string): string | undefined {
    return isEnvironmentFile(path) ? this.files.get(path) : undefined;
  }

  /** What is kept of a file (its content for environment.yaml, else a digest), to tell versions apart. */
  version(path: string): string | undefined {
    return this.files.get(path);
  }

  has(path: string): boolean {
    return this.files.has(path);
  }

  /** True when the file is there with this content. */
  holds(path: string, content: string): boolean {
    return this.files.get(path) === kept(path, content);
  }

  /**
   * The digest of the source an Application file in `environments/<env>/apps/<instance>.yaml`
   * holds: what Argo CD must have compared (`status.sync.comparedTo`) for the step to be current.
   */
  sourceDigest(path: string): string | undefined {
    return this.sources.get(path);
  }

  /** The entry version a step's own file (Workspace, Application) is labelled with. */
  entryVersion(path: string): string | undefined {
    return this.entryVersions.get(path);
  }

  /**
   * The spec digest a Workspace file in `environments/<env>/infra/<instance>.yaml` carries: what
   * the live Workspace's annotation must show for the step to be at the version in Git.
   */
  specDigest(path: string): string | undefined {
    return this.specs.get(path);
  }

  /** `document`, when given, is what `content` is the YAML of: an Application file is not parsed again. */
  set(path: string, content: string, document?: unknown): void {
    this.files.set(path, kept(path, content));
    // An Application file is parsed once, for its source and its label.
    const application = !isApplicationFile(path)
      ? undefined
      : document !== undefined
        ? asApplication(document)
        : parsedApplication(content);
    const source = application?.spec
      ? sourceDigest(application.spec.sources ?? application.spec.source)
      : undefined;
    if (source === undefined) this.sources.delete(path);
    else this.sources.set(path, source);
    const version = !isStepFile(path)
      ? undefined
      : application
        ? entryVersionLabel(application)
        : renderedEntryVersion(content);
    if (version === undefined) this.entryVersions.delete(path);
    else this.entryVersions.set(path, version);
    const spec = isWorkspaceFile(path) ? committedSpecDigest(content) : undefined;
    if (spec === undefined) this.specs.delete(path);
    else this.specs.set(path, spec);
    const environment = environmentOfPath(path);
    if (environment === undefined) return;
    let paths = this.byEnvironment.get(environment);
    if (!paths) this.byEnvironment.set(environment, (paths = new Set()));
    paths.add(path);
  }

  /** Removes a file, or every file under a directory (a path ending in '/'). */
  remove(path: string): void {
    if (!path.endsWith('/')) return this.delete(path);
    const environment = environmentOfPath(path);
    const candidates =
      environment === undefined ? this.files.keys() : (this.byEnvironment.get(environment) ?? []);
    for (const candidate of [...candidates]) if (candidate.startsWith(path)) this.delete(candidate);
  }

  /** The paths of one environment's files. */
  pathsOf(environment: string): ReadonlySet<string> {
    return this.byEnvironment.get(environment) ?? EMPTY;
  }

  /** True when the environment has a file under `prefix` (a directory path ending in '/'). */
  hasUnder(environment: string, prefix: string): boolean {
    for (const path of this.pathsOf(environment)) if (path.startsWith(prefix)) return true;
    return false;
  }

  environments(): IterableIterator<string> {
    return this.byEnvironment.keys();
  }

  /** The paths whose content differs between two trees (added, removed or changed). */
  static changed(before: RepoTree, after: RepoTree): Set<string> {
    const changed = new Set<string>();
    for (const [path, value] of after.files) if (before.files.get(path) !== value) changed.add(path);
    for (const path of before.files.keys()) if (!after.files.has(path)) changed.add(path);
    return changed;
  }

  private delete(path: string): void {
    if (!this.files.delete(path)) return;
    this.sources.delete(path);
    this.entryVersions.delete(path);
    this.specs.delete(path);
    const environment = environmentOfPath(path);
    if (environment === undefined) return;
    const paths = this.byEnvironment.get(environment);
    paths?.delete(path);
    if (paths?.size === 0) this.byEnvironment.delete(environment);
  }
}

const EMPTY: ReadonlySet<string> = new Set();

interface ApplicationFile {
  metadata?: { labels?: Record<string, unknown> };
  spec?: { source?: unknown; sources?: unknown };
}

function parsedApplication(content: string): ApplicationFile | undefined {
  try {
    return asApplication(parseYamlDocument(content));
  } catch {
    return undefined; // not YAML: a file someone else put there, not one of ours
  }
}

function asApplication(document: unknown): ApplicationFile | undefined {
  return (document as { kind?: unknown } | null)?.kind === 'Application'
    ? (document as ApplicationFile)
    : undefined;
}

function entryVersionLabel(application: ApplicationFile): string | undefined {
  const version = application.metadata?.labels?.[LABEL.entryVersion];
  return typeof version === 'string' ? version : undefined;
}

/** environment.yaml as it is; anything else as a digest (prefixed, so it cannot equal a content). */
function kept(path: string, content: string): string {
  if (isEnvironmentFile(path)) return content;
  return `\0sha256:${createHash('sha256').update(content).digest('base64')}`;
}
