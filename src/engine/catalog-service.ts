/**
 * Reading the catalog and changing it (publishing a version, deprecating or yanking one): what the
 * REST API's catalog routes call. The catalog itself lives in Git (catalog-store.ts).
 */
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import {
  ENTRY_FILE,
  NotFoundError,
  outputUses,
  toYaml,
  type CatalogEntry,
  type EntryFile,
  type VersionState,
} from '../core/index.js';
import type { EntryFileContent, EntryFileList, EntryFileSummary } from '../api/contract.js';
import type { CatalogStore, PublishResult } from './catalog-store.js';
import type { EnvironmentDocuments } from './documents.js';
import type { Engine } from './engine.js';
import type { Actor } from './service.js';

export class CatalogService {
  private readonly log: Logger;

  constructor(
    private readonly options: {
      engine: Engine;
      catalogs: CatalogStore;
      documents: EnvironmentDocuments;
      logger: Logger;
    },
  ) {
    this.log = options.logger;
  }

  entries(): CatalogEntry[] {
    return this.options.catalogs.current().catalog.entries();
  }

  /** What a new request for the entry gets (`entry: <name>`), if any version is offered to new requests. */
  latest(name: string): CatalogEntry | undefined {
    const resolution = this.options.catalogs.current().catalog.for('new').resolve(name);
    return 'entry' in resolution ? resolution.entry : undefined;
  }

  versionState(name: string, version: string): VersionState {
    return this.options.catalogs.current().catalog.state(name, version);
  }

  versions(name: string): CatalogEntry[] {
    const versions = this.options.catalogs.current().catalog.versions(name);
    if (versions.length === 0) throw new NotFoundError(`no catalog entry named "${name}"`);
    return versions;
  }

  /** One version of an entry; a NotFoundError naming what is missing. */
  version(name: string, version: string): CatalogEntry {
    const entry = this.versions(name).find((v) => v.version === version);
    if (!entry) throw new NotFoundError(`${name} has no version ${version}`, { path: '/version' });
    return entry;
  }

  /** Every file of a version, by path, without content. */
  files(name: string, version: string): EntryFileList {
    const entry = this.version(name, version);
    return {
      name,
      version,
      digest: entry.digest,
      items: filesOf(entry).map((file) => summary(file)),
    };
  }

  /** One file of a version, with its content. */
  file(name: string, version: string, path: string): EntryFileContent {
    const file = filesOf(this.version(name, version)).find((f) => f.path === path);
    if (!file)
      throw new NotFoundError(`${name}@${version} has no file ${JSON.stringify(path)}`, { path: '/path' });
    return { name, version, ...summary(file), content: file.content };
  }

  /**
   * Publishes an entry version (or, with `dryRun`, checks it and writes nothing). Its breaking
   * changes name the running environments that take a removed output.
   */
  async publish(
    files: Array<{ path: string; content: string }>,
    actor: Actor,
    options: { dryRun?: boolean } = {},
  ): Promise<PublishResult> {
    const engine = this.options.engine;
    const result = await this.options.catalogs.publish({
      files,
      actor: actor.name,
      dryRun: options.dryRun === true,
      outputUses: (entry) =>
        outputUses({
          entry,
          environments: engine.knownEnvironments().map((name) => ({
            name,
            document: this.options.documents.of(name, engine.environmentSource(name)),
          })),
        }),
    });
    if (result.created) {
      this.log.info(
        { entry: result.entry.name, version: result.entry.version, actor: actor.name },
        'catalog entry published',
      );
      // Environments that were Invalid for want of this entry may be valid now.
      for (const name of this.options.engine.knownEnvironments()) this.options.engine.enqueue(name);
    }
    return result;
  }

  /** Deprecates, yanks or restores a version (the flags given); every replica sees it through Git. */
  async setVersionState(args: {
    name: string;
    version: string;
    patch: Partial<VersionState>;
    actor: Actor;
  }): Promise<{ entry: CatalogEntry; state: VersionState }> {
    const result = await this.options.catalogs.setState({ ...args, actor: args.actor.name });
    this.log.info(
      { entry: args.name, version: args.version, state: result.state, actor: args.actor.name },
      'catalog version state set',
    );
    return result;
  }
}

/** An entry's files; one built in code rather than from files has its document only. */
function filesOf(entry: CatalogEntry): readonly EntryFile[] {
  return entry.files ?? [{ path: ENTRY_FILE, content: toYaml(entry.document) }];
}

function summary(file: EntryFile): EntryFileSummary {
  return {
    path: file.path,
    size: Buffer.byteLength(file.content, 'utf8'),
    sha256: `sha256:${createHash('sha256').update(file.content).digest('hex')}`,
  };
}
