/**
 * Loads catalog entries from folders on disk (the I/O edge of the catalog). A folder is an entry
 * when it holds catalog.yaml; otherwise each subfolder is tried, and inside an entry folder each
 * version subfolder (`<entry>/<version>/catalog.yaml`).
 */
import { lstat, readdir, readFile, stat } from 'node:fs/promises';
import { basename, join, relative, sep } from 'node:path';
import semver from 'semver';
import {
  Catalog,
  ENTRY_FILE,
  validateEntry,
  type CatalogEntry,
  type EntryFile,
} from '../core/catalog/index.js';
import { checkExamples } from '../core/render/index.js';
import { ConflictError, type Problem } from '../core/errors/index.js';
import type { TerraformAllowance } from '../core/terraform/index.js';

export const LOAD_LIMITS = { maxFileBytes: 1024 * 1024, maxEntryBytes: 8 * 1024 * 1024, maxFiles: 500 };

/** Folders inside an entry that are not part of what it publishes. */
const NOT_CONTENT = new Set(['.terraform', 'node_modules']);

export interface LoadResult {
  catalog: Catalog;
  entries: CatalogEntry[];
  problems: Problem[];
}

async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch {
    return false;
  }
}

async function pathKind(path: string): Promise<'folder' | 'file' | 'missing' | 'unreadable'> {
  try {
    if (!(await stat(path)).isDirectory()) return 'file';
    await readdir(path);
    return 'folder';
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : 'unreadable';
  }
}

/** Shown paths are relative to the working directory when inside it. */
export function shown(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel && !rel.startsWith('..') ? rel.split(sep).join('/') : path;
}

/** Every file of the entry in `dir` (catalog.yaml, what it names, its examples); what cannot be read goes to `problems`. */
export async function readEntryFiles(dir: string, problems: Problem[]): Promise<EntryFile[]> {
  const files: EntryFile[] = [];
  let total = 0;
  const walk = async (current: string): Promise<void> => {
    for (const item of (await readdir(current, { withFileTypes: true })).sort((a, b) =>
      a.name < b.name ? -1 : 1,
    )) {
      const full = join(current, item.name);
      const rel = relative(dir, full).split(sep).join('/');
      if (item.isSymbolicLink()) {
        problems.push({
          file: shown(full),
          path: '',
          message: 'symbolic links are not allowed in a catalog entry',
        });
      } else if (item.isDirectory()) {
        if (current === dir && NOT_CONTENT.has(item.name)) continue;
        if (current === dir && (await exists(join(full, ENTRY_FILE)))) continue; // a version subfolder
        await walk(full);
      } else if (item.isFile()) {
        const size = (await lstat(full)).size;
        total += size;
        if (size > LOAD_LIMITS.maxFileBytes) {
          problems.push({
            file: shown(full),
            path: '',
            message: `file is ${size} bytes; the limit is ${LOAD_LIMITS.maxFileBytes}`,
          });
        } else if (files.length >= LOAD_LIMITS.maxFiles || total > LOAD_LIMITS.maxEntryBytes) {
          problems.push({ file: shown(dir), path: '', message: 'entry has too many files or bytes' });
          return;
        } else files.push({ path: rel, content: await readFile(full, 'utf8') });
      }
    }
  };
  await walk(dir);
  return files;
}

/** The entry folders in `dir`: itself, its subfolders with catalog.yaml, and their version subfolders. */
export async function entryFolders(dir: string, problems: Problem[]): Promise<string[]> {
  const folders: string[] = [];
  if (await exists(join(dir, ENTRY_FILE))) folders.push(dir);
  for (const item of (await readdir(dir, { withFileTypes: true })).sort((a, b) =>
    a.name < b.name ? -1 : 1,
  )) {
    if (item.isSymbolicLink()) {
      problems.push({
        file: shown(join(dir, item.name)),
        path: '',
        message: 'symbolic links are not allowed in a catalog',
      });
      continue;
    }
    if (!item.isDirectory() || item.name.startsWith('.')) continue;
    const sub = join(dir, item.name);
    if (await exists(join(sub, ENTRY_FILE))) folders.push(sub);
    if (folders[0] === dir) continue; // inside an entry, only version subfolders count
    for (const version of (await readdir(sub, { withFileTypes: true })).filter((d) => d.isDirectory())) {
      if (await exists(join(sub, version.name, ENTRY_FILE))) folders.push(join(sub, version.name));
    }
  }
  return [...new Set(folders)];
}

export interface LoadOptions {
  /** Terraform constructs the platform allows in modules (see core/terraform/policy.ts). */
  terraformAllow?: ReadonlySet<TerraformAllowance>;
  /**
   * Check each entry's examples (`examples/*.yaml`) against the loaded entries; entries they use
   * that were not loaded are taken from `fallback` (the built-in catalog, for `catalog validate`).
   */
  examples?: { fallback?: Catalog };
}

export async function loadEntry(
  dir: string,
  expectedName?: string,
  options: LoadOptions = {},
): Promise<{ entry?: CatalogEntry; problems: Problem[] }> {
  const problems: Problem[] = [];
  const files = await readEntryFiles(dir, problems);
  const check = await validateEntry({
    dir: shown(dir),
    files,
    expectedName,
    terraformAllow: options.terraformAllow,
  });
  return {
    entry: problems.length === 0 ? check.entry : undefined,
    problems: [...problems, ...check.problems],
  };
}

export async function loadCatalog(dirs: readonly string[], options: LoadOptions = {}): Promise<LoadResult> {
  const catalog = new Catalog();
  const entries: CatalogEntry[] = [];
  const problems: Problem[] = [];
  for (const dir of dirs) {
    const kind = await pathKind(dir);
    if (kind !== 'folder') {
      problems.push({
        file: shown(dir),
        path: '',
        message:
          kind === 'missing'
            ? 'no such folder'
            : kind === 'unreadable'
              ? 'cannot be read (permission denied)'
              : 'is a file, not a folder: give the folder of the entry (the one holding catalog.yaml) or of several entries',
      });
      continue;
    }
    const folders = await entryFolders(dir, problems);
    if (folders.length === 0)
      problems.push({ file: shown(dir), path: '', message: `no ${ENTRY_FILE} found` });
    for (const folder of folders) {
      // `<entry>/catalog.yaml` carries the folder's name; `<entry>/<version>/catalog.yaml` the parent's.
      const name = basename(folder);
      const versionFolder = semver.valid(name) === name;
      const result = await loadEntry(folder, versionFolder ? basename(join(folder, '..')) : name, options);
      if (result.entry && versionFolder && result.entry.version !== name) {
        problems.push({
          file: result.entry.source,
          path: '/metadata/version',
          message: `must equal the version folder name "${name}"`,
        });
        continue;
      }
      problems.push(...result.problems);
      if (!result.entry) continue;
      try {
        if (catalog.publish(result.entry) === 'published') entries.push(result.entry);
      } catch (error) {
        if (!(error instanceof ConflictError)) throw error;
        problems.push({ file: result.entry.source, path: error.path ?? '', message: error.message });
      }
    }
  }
  if (options.examples) {
    const loaded = new Set(catalog.names());
    const others = new Catalog([
      ...catalog.entries(),
      ...(options.examples.fallback?.entries() ?? []).filter((e) => !loaded.has(e.name)),
    ]);
    for (const entry of entries) problems.push(...checkExamples({ entry, others }));
  }
  return { catalog, entries, problems };
}
