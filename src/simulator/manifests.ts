/**
 * What Argo CD's repo server does for a plain `directory` source: the YAML and JSON files under the
 * source path (recursively with `directory.recurse`, filtered by `directory.include`/`exclude`), as
 * Kubernetes objects. Pure, apart from ParsedManifests, a cache of what each file's content parses to.
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

type ParsedFile = { documents: readonly unknown[] } | { error: string };

/** Bytes ParsedManifests keeps by default, counted as below. */
const PARSED_MANIFESTS_MAX_BYTES = 32 * 1024 * 1024;
/** A file's cost to the cache per character of its text: the text and its parsed objects (several times as large). */
const PARSED_BYTES_PER_CHAR = 8;

/**
 * What each manifest file's content parses to, kept by content (least recently used out first).
 * Every commit of the apps repo is a new revision, and an Application reads its files again at
 * each one although they rarely changed: parsing YAML was the largest share of the simulated
 * cluster's time in the engine bench (Argo CD's repo server keeps generated manifests in a cache
 * too, reposerver/cache/cache.go, though by revision). The documents are frozen: they are shared
 * by every reader. `maxBytes` bounds the text and its parsed objects, estimated at
 * PARSED_BYTES_PER_CHAR a character.
 */
export class ParsedManifests {
  private readonly entries = new Map<string, { parsed: ParsedFile; bytes: number }>();
  private bytes = 0;

  constructor(private readonly maxBytes = PARSED_MANIFESTS_MAX_BYTES) {}

  parse(file: { path: string; content: string }): ParsedFile {
    const json = file.path.endsWith('.json');
    const key = `${json ? 'json' : 'yaml'}\n${file.content}`;
    const cached = this.entries.get(key);
    if (cached) {
      this.entries.delete(key);
      this.entries.set(key, cached);
      return cached.parsed;
    }
    const parsed = parseFile(file.content, json);
    const bytes = key.length * PARSED_BYTES_PER_CHAR;
    if (bytes > this.maxBytes) return parsed;
    this.entries.set(key, { parsed, bytes });
    this.bytes += bytes;
    for (const [oldest, entry] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.entries.delete(oldest);
      this.bytes -= entry.bytes;
    }
    return parsed;
  }

  /** Files parsed and kept. */
  get size(): number {
    return this.entries.size;
  }
}

function parseFile(content: string, json: boolean): ParsedFile {
  try {
    const documents = json ? [JSON.parse(content) as unknown] : parseYamlDocuments(content);
    return { documents: deepFreeze(documents) };
  } catch (error) {
    return { error: (error as Error).message };
  }
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

/** Every object of the source, or the first reason the source cannot be rendered (Argo CD's ComparisonError). */
export function loadManifests(
  files: ReadonlyMap<string, string>,
  source: DirectorySource,
  parsed: ParsedManifests = new ParsedManifests(0),
): ManifestResult {
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
    const result = parsed.parse(file);
    if ('error' in result) return { problem: `failed to unmarshal ${file.path}: ${result.error}` };
    for (const document of result.documents) {
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
