/**
 * The ApplicationSet controller's generation step for the git generator, as Argo CD does it
 * (applicationset/generators/repo_path_utils.go): parameters from the directories or files of a
 * commit, then one Application per parameter set from the Go template. Pure.
 */
import { parseYamlDocuments, isRecord } from '../core/index.js';
import type { KubeObject } from '../cluster/index.js';
import { globMatch, GlobSyntaxError, pathMatch } from './glob.js';
import { goTemplateOptions, renderTemplateValue, TemplateSyntaxError } from './go-template.js';

export class GenerationError extends Error {
  constructor(
    message: string,
    /** Which step failed: the parameters, or rendering the template with them. */
    readonly stage: 'parameters' | 'template',
  ) {
    super(message);
  }
}

export interface PathPattern {
  path: string;
  exclude?: boolean;
}

export interface GitGenerator {
  repoURL: string;
  revision?: string;
  directories?: PathPattern[];
  files?: PathPattern[];
  pathParamPrefix?: string;
  requeueAfterSeconds?: number;
  values?: Record<string, string>;
}

/** Every directory of a commit that holds a file, at any depth ('/'-separated, no trailing '/'). */
export function repoDirectories(paths: Iterable<string>): string[] {
  const dirs = new Set<string>();
  for (const path of paths) {
    const parts = path.split('/');
    for (let i = 1; i < parts.length; i++) dirs.add(parts.slice(0, i).join('/'));
  }
  return [...dirs].sort();
}

/** `filterPaths`: included by some non-exclude pattern and by no exclude pattern. */
export function filterPaths(patterns: readonly PathPattern[], paths: readonly string[]): string[] {
  return paths.filter((path) => {
    let include = false;
    let exclude = false;
    for (const pattern of patterns) {
      let matched: boolean;
      try {
        matched = pathMatch(pattern.path, path);
      } catch (error) {
        // Argo CD logs a malformed pattern and skips it.
        if (error instanceof GlobSyntaxError) continue;
        throw error;
      }
      if (matched && pattern.exclude) exclude = true;
      else if (matched) include = true;
    }
    return include && !exclude;
  });
}

/** utils.SanitizeName: lower case, characters other than [-a-z0-9.] become '-', at most 253, trimmed of '-' and '.'. */
export function sanitizeName(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^-a-z0-9.]/g, '-')
    .slice(0, 253)
    .replace(/^[-.]+|[-.]+$/g, '');
}

function basename(path: string): string {
  const parts = path.split('/');
  return parts[parts.length - 1] || '.';
}

function dirname(path: string): string {
  const i = path.lastIndexOf('/');
  return i < 0 ? '.' : path.slice(0, i);
}

function withPrefix(prefix: string | undefined, path: Record<string, unknown>): Record<string, unknown> {
  return prefix ? { [prefix]: { path } } : { path };
}

/** The parameters of a directory: `.path.path`, `.path.basename`, `.path.basenameNormalized`, `.path.segments`. */
export function directoryParams(path: string, prefix?: string): Record<string, unknown> {
  return withPrefix(prefix, {
    path,
    basename: basename(path),
    basenameNormalized: sanitizeName(basename(path)),
    segments: path.split('/'),
  });
}

function fileParams(path: string, content: string, prefix?: string): Array<Record<string, unknown>> {
  let documents: unknown[];
  try {
    documents = parseYamlDocuments(content);
  } catch (error) {
    throw new GenerationError(`unable to process file '${path}': ${(error as Error).message}`, 'parameters');
  }
  const first = documents[0];
  const objects = Array.isArray(first) ? first : [first ?? {}];
  const dir = dirname(path);
  return objects.map((object) => {
    if (!isRecord(object))
      throw new GenerationError(`unable to process file '${path}': not an object`, 'parameters');
    return {
      ...object,
      ...withPrefix(prefix, {
        path: dir,
        basename: basename(dir),
        filename: basename(path),
        basenameNormalized: sanitizeName(basename(dir)),
        filenameNormalized: sanitizeName(basename(path)),
        segments: dir.split('/'),
      }),
    };
  });
}

/** The parameter sets a git generator yields for the files of one commit. */
export function gitGeneratorParams(
  generator: GitGenerator,
  files: ReadonlyMap<string, string>,
): Array<Record<string, unknown>> {
  if (generator.values && Object.keys(generator.values).length > 0)
    throw new GenerationError(
      'git generator values are not supported by the simulated ApplicationSet controller',
      'parameters',
    );
  if (generator.directories && generator.directories.length > 0) {
    return filterPaths(generator.directories, repoDirectories(files.keys())).map((path) =>
      directoryParams(path, generator.pathParamPrefix),
    );
  }
  if (generator.files && generator.files.length > 0) {
    const paths = [...files.keys()].sort();
    const selected = new Set<string>();
    try {
      for (const p of generator.files.filter((f) => !f.exclude))
        for (const path of paths) if (globMatch(p.path, path, '/')) selected.add(path);
      for (const p of generator.files.filter((f) => f.exclude))
        for (const path of paths) if (globMatch(p.path, path, '/')) selected.delete(path);
    } catch (error) {
      if (error instanceof GlobSyntaxError) throw new GenerationError(error.message, 'parameters');
      throw error;
    }
    return [...selected]
      .sort()
      .flatMap((path) => fileParams(path, files.get(path) ?? '', generator.pathParamPrefix));
  }
  throw new GenerationError('ApplicationSet is empty', 'parameters');
}

export interface ApplicationSetLike {
  metadata: { name: string; namespace?: string; uid?: string };
  spec?: unknown;
}

/** The Applications the template yields for the parameter sets, each owned by the ApplicationSet. */
export function renderApplications(
  appset: ApplicationSetLike,
  paramSets: ReadonlyArray<Record<string, unknown>>,
): KubeObject[] {
  const spec = isRecord(appset.spec) ? appset.spec : {};
  if (spec.goTemplate !== true)
    throw new GenerationError(
      'only goTemplate: true ApplicationSets are supported by the simulated controller',
      'template',
    );
  const template = isRecord(spec.template) ? spec.template : {};
  const options = goTemplateOptions(
    Array.isArray(spec.goTemplateOptions) ? spec.goTemplateOptions : undefined,
  );
  const names = new Set<string>();
  return paramSets.map((params) => {
    let rendered: Record<string, unknown>;
    try {
      rendered = renderTemplateValue(template, params, options) as Record<string, unknown>;
    } catch (error) {
      if (error instanceof TemplateSyntaxError) throw new GenerationError(error.message, 'template');
      throw error;
    }
    const metadata = isRecord(rendered.metadata) ? rendered.metadata : {};
    const name = metadata.name;
    if (typeof name !== 'string' || name === '')
      throw new GenerationError('the template renders an Application without a name', 'template');
    if (names.has(name))
      throw new GenerationError(
        `ApplicationSet ${appset.metadata.name} contains applications with duplicate name: ${name}`,
        'template',
      );
    names.add(name);
    return {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Application',
      metadata: {
        ...metadata,
        name,
        namespace: appset.metadata.namespace ?? 'argocd',
        ownerReferences: [
          {
            apiVersion: 'argoproj.io/v1alpha1',
            kind: 'ApplicationSet',
            name: appset.metadata.name,
            uid: appset.metadata.uid,
            controller: true,
            blockOwnerDeletion: true,
          },
        ],
      },
      spec: rendered.spec ?? {},
    } as KubeObject;
  });
}
