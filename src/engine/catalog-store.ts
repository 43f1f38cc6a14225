/**
 * The catalog the engine validates against: the built-in entries plus the ones published through
 * the API, which live in the platform repo under `catalog/<name>/<version>/` so that every replica
 * and every restart sees the same catalog (Git is the store, as for environments).
 */
import type { Logger } from 'pino';
import {
  CATALOG_DIR,
  Catalog,
  ConflictError,
  ExternalError,
  InputError,
  UnavailableError,
  catalogEntryDir,
  entryFilesProblems,
  parseCatalogPath,
  validateEntry,
  type CatalogEntry,
  type EntryFile,
  type TerraformAllowance,
} from '../core/index.js';
import type { GitOpsRepo } from '../gitops/types.js';
import type { CatalogSource } from './engine.js';

const MAX_FILES = 200;
const MAX_BYTES = 4 * 1024 * 1024;

export class CatalogStore implements CatalogSource {
  private catalog: Catalog;
  private version = 0;

  constructor(
    private readonly options: {
      builtIn: readonly CatalogEntry[];
      repo: GitOpsRepo;
      logger: Logger;
      /** Terraform constructs the platform allows in modules (ENVCAT_TERRAFORM_ALLOW). */
      terraformAllow?: ReadonlySet<TerraformAllowance>;
    },
  ) {
    this.catalog = new Catalog(options.builtIn);
  }

  current(): { catalog: Catalog; version: number } {
    return { catalog: this.catalog, version: this.version };
  }

  /** Reads the published entries from the platform repo (after a sync). Bad ones are logged and skipped. */
  async load(): Promise<void> {
    const tree = await this.options.repo.readTree(`${CATALOG_DIR}/`);
    const folders = new Map<string, EntryFile[]>();
    for (const [path, content] of tree) {
      const published = parseCatalogPath(path);
      if (!published) continue;
      const dir = catalogEntryDir(published.name, published.version);
      const files = folders.get(dir) ?? [];
      files.push({ path: published.file, content });
      folders.set(dir, files);
    }
    const catalog = new Catalog(this.options.builtIn);
    for (const [dir, files] of [...folders].sort(([a], [b]) => a.localeCompare(b))) {
      const name = dir.split('/')[1];
      const check = await validateEntry({
        dir,
        files,
        expectedName: name,
        terraformAllow: this.options.terraformAllow,
      });
      if (!check.entry) {
        this.options.logger.warn(
          { dir, problems: check.problems },
          'published catalog entry is invalid; skipped',
        );
        continue;
      }
      try {
        catalog.publish(check.entry);
      } catch (error) {
        this.options.logger.warn(
          { dir, err: { message: (error as Error).message } },
          'catalog entry skipped',
        );
      }
    }
    this.catalog = catalog;
    this.version++;
  }

  /**
   * Validates an entry (catalog.yaml plus the files it names) and commits it. The same version
   * again is a no-op when identical and a conflict when not: a published version never changes.
   */
  async publish(
    files: readonly EntryFile[],
    actor: string,
  ): Promise<{ entry: CatalogEntry; created: boolean }> {
    if (files.length > MAX_FILES)
      throw new InputError([{ path: '/files', message: `at most ${MAX_FILES} files` }]);
    const bytes = files.reduce((n, f) => n + Buffer.byteLength(f.content), 0);
    if (bytes > MAX_BYTES)
      throw new InputError([{ path: '/files', message: `at most ${MAX_BYTES} bytes in all` }]);
    const pathProblems = entryFilesProblems(files);
    if (pathProblems.length > 0) throw new InputError(pathProblems);
    // Problems name the files as the request does (`catalog.yaml`, `terraform/main.tf`).
    const check = await validateEntry({
      dir: '',
      files: [...files],
      terraformAllow: this.options.terraformAllow,
    });
    if (!check.entry) throw new InputError(check.problems);
    const entry = check.entry;
    const existing = this.catalog.versions(entry.name).find((e) => e.version === entry.version);
    if (existing) {
      if (existing.digest === entry.digest) return { entry: existing, created: false };
      throw alreadyPublished(entry);
    }
    const dir = catalogEntryDir(entry.name, entry.version);
    try {
      // The version's folder must not exist yet: of two publishes at the same moment (on this
      // replica or another), exactly one lands.
      await this.options.repo.commit({
        write: files.map((f) => ({ path: `${dir}/${f.path}`, content: f.content })),
        remove: [],
        message: `envcat: publish catalog entry ${entry.name}@${entry.version} (by ${actor})`,
        mustNotExist: [dir],
      });
    } catch (error) {
      if (error instanceof ExternalError)
        throw new UnavailableError(
          `the platform repo cannot be written now (${error.message}); nothing was published: send the request again later`,
          { cause: error },
        );
      if (!(error instanceof ConflictError) || error.path !== '/mustNotExist/0') throw error;
      // What Git holds decides: the same content is a no-op, other content a conflict.
      await this.options.repo.sync();
      await this.load();
      const landed = this.catalog.versions(entry.name).find((e) => e.version === entry.version);
      if (landed?.digest === entry.digest) return { entry: landed, created: false };
      throw alreadyPublished(entry);
    }
    // Registered in memory only once its commit has landed.
    if (!this.catalog.versions(entry.name).some((e) => e.version === entry.version)) {
      this.catalog.publish(entry);
      this.version++;
    }
    return { entry, created: true };
  }
}

function alreadyPublished(entry: CatalogEntry): ConflictError {
  return new ConflictError(
    `${entry.name}@${entry.version} is already published with different content; publish a new version`,
    { path: '/metadata/version' },
  );
}
