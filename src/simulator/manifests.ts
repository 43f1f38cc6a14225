/**
 * What Argo CD's repo server does for a plain `directory` source: the YAML and JSON files under the
 * source path (recursively with `directory.recurse`, filtered by `directory.include`/`exclude`), as
 * Kubernetes objects. Pure.
 */
import { isRecord, normalizeRelativePath, parseYamlDocuments } from '../core/index.js';
import type { KubeObject } from '../cluster/index.js';
import { globMatch, GlobSyntaxError } from './glob.js';

export interface DirectorySource {
  path: string;
  directory?: { recurse?: boolean; include?: string; exclude?: string };
}

const MANIFEST_FILE = /\.(ya?ml|json)$/;

/** The files a directory source reads, by repo path, in path order. */
export function directoryFiles(
  files: ReadonlyMap<string, string>,
  source: DirectorySource,
): Array<{ path: string; content: string }> {
  const base = normalizeRelativePath(source.path);
  const prefix = base === '' ? '' : `${base}/`;
  const { recurse = false, include, exclude } = source.directory ?? {};
  const result: Array<{ path: string; content: string }> = [];
  for (const [path, content] of files) {
    if (!path.startsWith(prefix) || !MANIFEST_FILE.test(path)) continue;
    const relative = path.slice(prefix.length);
    if (!recurse && relative.includes('/')) continue;
    if (include && !globMatch(include, relative)) continue;
    if (exclude && globMatch(exclude, relative)) continue;
    result.push({ path, content });
  }
  return result.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

export type ManifestResult = { objects: KubeObject[] } | { problem: string };

/** Every object of the source, or the first reason the source cannot be rendered (Argo CD's ComparisonError). */
export function loadManifests(files: ReadonlyMap<string, string>, source: DirectorySource): ManifestResult {
  let selected: Array<{ path: string; content: string }>;
  try {
    selected = directoryFiles(files, source);
  } catch (error) {
    if (error instanceof GlobSyntaxError)
      return { problem: `invalid directory include/exclude: ${error.message}` };
    throw error;
  }
  const base = normalizeRelativePath(source.path);
  if (base !== '' && ![...files.keys()].some((p) => p.startsWith(`${base}/`)))
    return { problem: `${source.path}: app path does not exist` };
  const objects: KubeObject[] = [];
  for (const file of selected) {
    let documents: unknown[];
    try {
      documents = file.path.endsWith('.json')
        ? [JSON.parse(file.content) as unknown]
        : parseYamlDocuments(file.content);
    } catch (error) {
      return { problem: `failed to unmarshal ${file.path}: ${(error as Error).message}` };
    }
    for (const document of documents) {
      if (document === null) continue;
      const items =
        isRecord(document) && document.kind === 'List' && Array.isArray(document.items)
          ? document.items
          : [document];
      for (const item of items) {
        const problem = objectProblem(item);
        if (problem) return { problem: `${file.path}: ${problem}` };
        objects.push(item as KubeObject);
      }
    }
  }
  return { objects };
}

function objectProblem(value: unknown): string | undefined {
  if (!isRecord(value)) return 'a document is not a Kubernetes object';
  if (typeof value.apiVersion !== 'string' || value.apiVersion === '')
    return "Object 'apiVersion' is missing";
  if (typeof value.kind !== 'string' || value.kind === '') return "Object 'Kind' is missing";
  const metadata = value.metadata;
  if (!isRecord(metadata) || typeof metadata.name !== 'string' || metadata.name === '')
    return `${value.kind}: metadata.name is missing`;
  return undefined;
}
