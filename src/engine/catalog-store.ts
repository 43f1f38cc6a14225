/**
 * The catalog the engine validates against: the built-in entries plus the ones published through
 * the API, which live in the platform repo under `catalog/<name>/<version>/`, and the states of
 * their versions (`catalog/<name>/states.yaml`), so that every replica and every restart sees the
 * same catalog (Git is the store, as for environments). Another replica's publish or state change
 * reaches this one through `refresh`, which the engine calls after each Git poll.
 */
import type { Logger } from 'pino';
import semver from 'semver';
import {
  CATALOG_DIR,
  Catalog,
  ConflictError,
  ExternalError,
  InputError,
  NotFoundError,
  UnavailableError,
  breakingChanges,
  catalogEntryDir,
  catalogLatestFile,
  catalogStatesFile,
  checkExamples,
  entryFilesProblems,
  formatVersionStates,
  mayBreak,
  parseCatalogPath,
  parseCatalogStatesPath,
  parseVersionStates,
  patchVersionState,
  validateEntry,
  ENTRY_FILE,
  type BreakingChange,
  type CatalogEntry,
  type EntryFile,
  type OutputUse,
  type TerraformAllowance,
  type VersionState,
} from '../core/index.js';
import type { FileChange, GitOpsRepo } from '../gitops/types.js';
import type { CatalogSource } from './engine.js';

const MAX_FILES = 200;
const MAX_BYTES = 4 * 1024 * 1024;
/** Compare-and-swap attempts of one request before it answers 409 (each reads Git again). */
const CAS_ATTEMPTS = 3;

export interface PublishResult {
  entry: CatalogEntry;
  /** False when the same version with the same content was there already, or for a dry run. */
  created: boolean;
  /** The same version with the same content was published already: publishing it is a no-op. */
  existed: boolean;
  /** Against the highest version published before this one (only a new major version may have any). */
  breakingChanges: BreakingChange[];
}

export class CatalogStore implements CatalogSource {
  private catalog: Catalog;
  private version = 0;
  /** States by entry, and each states file as read from Git (what a compare-and-swap expects). */
  private states = new Map<string, Map<string, VersionState>>();
  private statesSources = new Map<string, string>();
  private latestSources = new Map<string, string>();
  /** The head and the `catalog/` tree id the catalog was last read at (refresh). */
  private seenHead?: string;
  private loadedTree?: string;

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

  /**
   * Reads the catalog again when `head` (just fetched) changed anything under `catalog/`; true
   * when it did.
   */
  async refresh(head: string): Promise<boolean> {
    if (head === this.seenHead || head === '') return false;
    const [tree] = await this.options.repo.objectIds([`${head}:${CATALOG_DIR}`]);
    const changed = tree !== this.loadedTree;
    if (changed) await this.load();
    // Only once read: a failed read is tried again at the next poll.
    this.seenHead = head;
    this.loadedTree = tree;
    return changed;
  }

  /** Reads the published entries and the version states from the platform repo (after a sync). Bad ones are logged and skipped. */
  async load(): Promise<void> {
    const tree = await this.options.repo.readTree(`${CATALOG_DIR}/`);
    const folders = new Map<string, EntryFile[]>();
    const states = new Map<string, Map<string, VersionState>>();
    const statesSources = new Map<string, string>();
    const latestSources = new Map<string, string>();
    for (const [path, content] of tree) {
      const statesOf = parseCatalogStatesPath(path);
      if (statesOf !== undefined) {
        statesSources.set(statesOf, content);
        const parsed = parseVersionStates({ name: statesOf, content, file: path });
        if (parsed.problems.length > 0)
          this.options.logger.warn(
            { file: path, problems: parsed.problems },
            'version states: parts ignored',
          );
        states.set(statesOf, parsed.states);
        continue;
      }
      if (path === catalogLatestFile(path.split('/')[1] ?? '')) {
        latestSources.set(path.split('/')[1]!, content);
        continue;
      }
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
    // All at once, after the awaits above: a compare-and-swap must expect the file its states came from.
    this.states = states;
    this.statesSources = statesSources;
    this.latestSources = latestSources;
    this.catalog = new Catalog(catalog.entries(), { states });
    this.version++;
  }

  /**
   * Validates an entry (catalog.yaml, the files it names, its examples) and commits it. The same
   * version again is a no-op when identical and a conflict when not: a published version never
   * changes. A new version must be above every published one, its examples must validate and
   * render, and only a new major version may break what the previous one accepted. A dry run
   * checks the same and writes nothing.
   */
  async publish(args: {
    files: readonly EntryFile[];
    actor: string;
    /** The outputs of an entry that running environments take (for the breaking changes). */
    outputUses: (entry: string) => OutputUse[];
    dryRun?: boolean;
  }): Promise<PublishResult> {
    const entry = await this.validate(args.files);
    for (let attempt = 1; ; attempt++) {
      const checked = this.check(entry, args.outputUses);
      if ('existing' in checked) return checked.existing;
      if (args.dryRun) return { entry, created: false, existed: false, breakingChanges: checked.breaking };
      const outcome = await this.commitVersion(entry, args.files, args.actor);
      if (outcome === 'landed') {
        // Registered in memory only once its commit has landed.
        this.register(entry);
        return { entry, created: true, existed: false, breakingChanges: checked.breaking };
      }
      // Someone else published in between: read what Git holds and check again.
      if (attempt >= CAS_ATTEMPTS)
        throw new ConflictError(
          `${entry.name} was published by others at the same moment ${CAS_ATTEMPTS} times; send the request again`,
          { path: '/metadata/version' },
        );
      await this.options.repo.sync();
      await this.load();
    }
  }

  /**
   * Sets a version's deprecated and yanked flags (the ones given) in the entry's states file, by
   * compare-and-swap on the file as read; a lost race reads Git again and applies the change there.
   */
  async setState(args: {
    name: string;
    version: string;
    patch: Partial<VersionState>;
    actor: string;
  }): Promise<{ entry: CatalogEntry; state: VersionState }> {
    const { name, version, patch, actor } = args;
    for (let attempt = 1; ; attempt++) {
      const versions = this.catalog.versions(name);
      if (versions.length === 0)
        throw new NotFoundError(`no catalog entry named "${name}"`, { path: '/name' });
      const entry = versions.find((e) => e.version === version);
      if (!entry)
        throw new NotFoundError(
          `${name} has no version ${version} (published: ${versions.map((e) => e.version).join(', ')})`,
          { path: '/version' },
        );
      const current = this.catalog.state(name, version);
      const next = patchVersionState(current, patch);
      if (next.deprecated === current.deprecated && next.yanked === current.yanked)
        return { entry, state: current };
      const states = new Map(this.states.get(name) ?? []);
      states.set(version, next);
      const path = catalogStatesFile(name);
      const read = this.statesSources.get(name);
      const content = formatVersionStates(name, states);
      const flags = [
        next.deprecated ? 'deprecated' : 'not deprecated',
        next.yanked ? 'yanked' : 'not yanked',
      ];
      const change: FileChange = {
        write: [{ path, content }],
        remove: [],
        message: `envcat: catalog entry ${name}@${version} is ${flags.join(', ')} (by ${actor})`,
        ...(read === undefined ? { mustNotExist: [path] } : { mustMatch: [{ path, content: read }] }),
      };
      try {
        await this.options.repo.commit(change);
      } catch (error) {
        if (error instanceof ExternalError) throw unavailable(error, 'no state was changed');
        if (!(error instanceof ConflictError) || !/^\/must(Match|NotExist)\/0$/.test(error.path ?? ''))
          throw error;
        if (attempt >= CAS_ATTEMPTS)
          throw new ConflictError(
            `the states of ${name} were changed by others at the same moment ${CAS_ATTEMPTS} times; send the request again`,
            { path: '/version' },
          );
        await this.options.repo.sync();
        await this.load();
        continue;
      }
      this.states.set(name, states);
      this.statesSources.set(name, content);
      this.catalog = new Catalog(this.catalog.entries(), { states: this.states });
      this.version++;
      return { entry, state: next };
    }
  }

  private async validate(files: readonly EntryFile[]): Promise<CatalogEntry> {
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
    return check.entry;
  }

  /** The checks against the catalog as this replica knows it; Git's compare-and-swap confirms them. */
  private check(
    entry: CatalogEntry,
    outputUses: (entry: string) => OutputUse[],
  ): { existing: PublishResult } | { breaking: BreakingChange[] } {
    const versions = this.catalog.versions(entry.name);
    const existing = versions.find((e) => e.version === entry.version);
    const previous = versions.find((e) => semver.lt(e.version, entry.version));
    const breaking = previous
      ? breakingChanges({
          previous: previous.document,
          next: entry.document,
          outputUses: outputUses(entry.name),
        })
      : [];
    if (existing) {
      if (existing.digest === entry.digest)
        return { existing: { entry: existing, created: false, existed: true, breakingChanges: breaking } };
      throw alreadyPublished(entry);
    }
    const highest = versions[0];
    if (highest && semver.lt(entry.version, highest.version))
      throw new ConflictError(
        `${entry.name}@${entry.version} is not above ${highest.version}, the highest published version: publish a version above it`,
        { path: '/metadata/version' },
      );
    const examples = checkExamples({ entry, others: this.catalog });
    if (examples.length > 0)
      throw new InputError(examples, {
        message: `the examples of ${entry.name}@${entry.version} do not validate and render`,
      });
    if (previous && breaking.length > 0 && !mayBreak(previous.version, entry.version))
      throw new InputError([
        ...breaking.map((b) => ({ file: ENTRY_FILE, ...b })),
        {
          file: ENTRY_FILE,
          path: '/metadata/version',
          message: `${entry.version} may not break what ${previous.version} accepted: only a new major version may (${nextMajor(previous.version)})`,
        },
      ]);
    return { breaking };
  }

  /** Commits the version's folder and the entry's latest.yaml; 'raced' when another publish got there first. */
  private async commitVersion(
    entry: CatalogEntry,
    files: readonly EntryFile[],
    actor: string,
  ): Promise<'landed' | 'raced'> {
    const dir = catalogEntryDir(entry.name, entry.version);
    const latest = catalogLatestFile(entry.name);
    const read = this.latestSources.get(entry.name);
    const latestContent = latestFile(entry);
    try {
      // The version's folder must not exist yet, and latest.yaml must be as this replica read it:
      // of two publishes at the same moment (here or on another replica), exactly one lands.
      await this.options.repo.commit({
        write: [
          ...files.map((f) => ({ path: `${dir}/${f.path}`, content: f.content })),
          { path: latest, content: latestContent },
        ],
        remove: [],
        message: `envcat: publish catalog entry ${entry.name}@${entry.version} (by ${actor})`,
        mustNotExist: read === undefined ? [dir, latest] : [dir],
        ...(read === undefined ? {} : { mustMatch: [{ path: latest, content: read }] }),
      });
    } catch (error) {
      if (error instanceof ExternalError) throw unavailable(error, 'nothing was published');
      if (!(error instanceof ConflictError) || !/^\/must(NotExist|Match)\/\d+$/.test(error.path ?? ''))
        throw error;
      return 'raced';
    }
    this.latestSources.set(entry.name, latestContent);
    return 'landed';
  }

  private register(entry: CatalogEntry): void {
    if (this.catalog.versions(entry.name).some((e) => e.version === entry.version)) return;
    this.catalog = new Catalog([...this.catalog.entries(), entry], { states: this.states });
    this.version++;
  }
}

function latestFile(entry: CatalogEntry): string {
  return `# The highest version of ${entry.name} published through envcat: a new one must be above it.\nversion: ${entry.version}\n`;
}

/** The version a breaking change needs: the next one a caret range on `version` does not admit. */
function nextMajor(version: string): string {
  const v = semver.parse(version)!;
  if (v.major > 0) return `${v.major + 1}.0.0`;
  if (v.minor > 0) return `0.${v.minor + 1}.0`;
  return `0.0.${v.patch + 1}`;
}

function alreadyPublished(entry: CatalogEntry): ConflictError {
  return new ConflictError(
    `${entry.name}@${entry.version} is already published with different content; publish a new version`,
    { path: '/metadata/version' },
  );
}

/** A Git remote that cannot be written now: a 503 saying so, with what was (not) done. */
function unavailable(error: ExternalError, outcome: string): UnavailableError {
  return new UnavailableError(
    `the platform repo cannot be written now (${error.message}); ${outcome}: send the request again later`,
    { cause: error },
  );
}
