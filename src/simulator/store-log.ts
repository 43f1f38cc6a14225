/**
 * The simulated API server's state on disk, as a real store keeps it (etcd's WAL and snapshots,
 * in miniature): every stored change is one JSON line appended to a write-ahead log, written
 * synchronously before the store returns (so before the API server answers: an acknowledged write
 * survives a kill -9), and flushed to the disk (fdatasync) once per burst, beside the event loop.
 * Once the log has grown past twice the last snapshot, the store's objects at one revision are
 * written to a new snapshot in the background, and the log segments it covers are removed.
 *
 * On open: the snapshot, then the log segments in order, each record with a revision above the
 * snapshot's; a torn last line (a write cut short by a crash, never acknowledged) is dropped and
 * cut off. resourceVersions go on from the last one stored; uids and managed fields are kept.
 * Any other unreadable line stops the open with an error naming the file and line.
 *
 * Layout of the directory (one process at a time: a LOCK file holds the owner's pid):
 *   snapshot.jsonl        header {format, revision, count}, then one object per line
 *   wal-<revision>.jsonl  changes from <revision> on, one per line ({rv, s, ns, n, o, w} or {rv, s, ns, n, d})
 */
import {
  closeSync,
  existsSync,
  fdatasync,
  fsyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { open } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ExternalError } from '../core/errors/index.js';
import type { KubeObject } from '../cluster/index.js';

export const SNAPSHOT_FORMAT = 'envcat-simulator-snapshot/v1';
const SNAPSHOT = 'snapshot.jsonl';
const LOCK = 'LOCK';
const SEGMENT = /^wal-(\d{20})\.jsonl$/;
/** Directories open in this process (the LOCK file's pid cannot tell two of them apart). */
const OPEN_DIRS = new Set<string>();

/** One stored object with its apply owners (the store's Entry, as plain JSON). */
export interface PersistedEntry {
  /** The storage key (src/cluster/kinds.ts storageKey). */
  storage: string;
  /** '' when cluster-scoped. */
  namespace: string;
  name: string;
  object: KubeObject;
  /** Apply owners by key (manager, or manager/status). */
  owners: Array<[string, unknown]>;
}

/** One change: the object as stored at `revision`, or its removal (`object` absent). */
export interface PersistedChange {
  revision: number;
  storage: string;
  namespace: string;
  name: string;
  object?: KubeObject;
  owners?: Array<[string, unknown]>;
}

export interface LoadedState {
  /** The last revision stored (0 for an empty store). */
  revision: number;
  entries: PersistedEntry[];
}

/** What the ObjectStore needs of its persistence (FileStoreLog, or nothing for the in-memory mode). */
export interface StorePersistence {
  load(): LoadedState;
  /** Appends one change; returns once the OS holds it (survives the process, if not the machine). */
  append(change: PersistedChange): void;
  /** Called after appends: may start a snapshot of `state()` (objects are never modified in place). */
  maybeCompact(state: () => LoadedState): void;
  close(): Promise<void>;
}

export interface FileStoreLogOptions {
  dir: string;
  /** A snapshot is taken once the log holds this many bytes and twice the last snapshot (default 16 MiB). */
  compactMinBytes?: number;
  /** fdatasync the log after each burst of writes (default true); false: leave it to the OS. */
  sync?: boolean;
  /** Called with a background failure (a failed snapshot or fdatasync); the log keeps working. */
  onError?: (error: Error) => void;
}

interface WalLine {
  rv: number;
  s: string;
  ns: string;
  n: string;
  o?: KubeObject;
  w?: Array<[string, unknown]>;
  d?: 1;
}

function segmentName(revision: number): string {
  return `wal-${String(revision).padStart(20, '0')}.jsonl`;
}

function key(storage: string, namespace: string, name: string): string {
  return `${storage}\u0000${namespace}\u0000${name}`;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export class FileStoreLog implements StorePersistence {
  private readonly dir: string;
  private readonly compactMinBytes: number;
  private readonly sync: boolean;
  private readonly onError: (error: Error) => void;
  private fd: number | undefined;
  /** Bytes of log written since the last snapshot (all segments). */
  private logBytes = 0;
  private snapshotBytes = 0;
  private syncing = false;
  private syncAgain = false;
  private compaction: Promise<void> | undefined;
  private loaded = false;

  constructor(options: FileStoreLogOptions) {
    this.dir = options.dir;
    this.compactMinBytes = options.compactMinBytes ?? 16 * 1024 * 1024;
    this.sync = options.sync ?? true;
    this.onError = options.onError ?? (() => undefined);
  }

  /** Takes the directory's lock, reads the snapshot and the log, and opens the log for appends. */
  load(): LoadedState {
    if (this.loaded) throw new Error('the store log is already loaded');
    mkdirSync(this.dir, { recursive: true });
    this.lock();
    try {
      return this.read();
    } catch (error) {
      this.loaded = false;
      this.unlock();
      throw error;
    }
  }

  private read(): LoadedState {
    this.loaded = true;
    rmSync(join(this.dir, `${SNAPSHOT}.tmp`), { force: true });
    const objects = new Map<string, PersistedEntry>();
    let revision = this.readSnapshot(objects);
    const snapshotRevision = revision;
    const segments = this.segments();
    for (const segment of segments) {
      const path = join(this.dir, segment.file);
      const text = readFileSync(path, 'utf8');
      const end = text.lastIndexOf('\n') + 1;
      if (end < text.length) {
        // a write cut short: never acknowledged, so dropped; cut off so that appends start on a new line
        const fd = openSync(path, 'r+');
        try {
          ftruncateSync(fd, Buffer.byteLength(text.slice(0, end)));
        } finally {
          closeSync(fd);
        }
      }
      const lines = text.slice(0, end).split('\n');
      lines.pop();
      for (const [number, line] of lines.entries()) {
        let record: WalLine;
        try {
          record = JSON.parse(line) as WalLine;
        } catch (error) {
          throw this.corrupt(segment.file, number + 1, 'is not JSON', error);
        }
        if (typeof record.rv !== 'number' || typeof record.s !== 'string' || typeof record.n !== 'string')
          throw this.corrupt(segment.file, number + 1, 'is not a change record');
        if (record.rv <= revision) {
          if (record.rv <= snapshotRevision) continue; // the snapshot holds it
          throw this.corrupt(
            segment.file,
            number + 1,
            `goes back to revision ${record.rv} after ${revision}`,
          );
        }
        revision = record.rv;
        const id = key(record.s, record.ns, record.n);
        if (record.d || !record.o) objects.delete(id);
        else
          objects.set(id, {
            storage: record.s,
            namespace: record.ns,
            name: record.n,
            object: record.o,
            owners: record.w ?? [],
          });
      }
      this.logBytes += Buffer.byteLength(text.slice(0, end));
    }
    const last = segments.at(-1);
    this.fd = openSync(join(this.dir, last ? last.file : segmentName(revision + 1)), 'a');
    if (!last) this.syncDirectory();
    return { revision, entries: [...objects.values()] };
  }

  append(change: PersistedChange): void {
    if (this.fd === undefined) throw new Error('the store log is not open');
    const line: WalLine = { rv: change.revision, s: change.storage, ns: change.namespace, n: change.name };
    if (change.object) {
      line.o = change.object;
      if (change.owners && change.owners.length > 0) line.w = change.owners;
    } else line.d = 1;
    const bytes = Buffer.from(`${JSON.stringify(line)}\n`, 'utf8');
    let written = 0;
    while (written < bytes.length) written += writeSync(this.fd, bytes, written);
    this.logBytes += bytes.length;
    if (this.sync) this.scheduleSync();
  }

  maybeCompact(state: () => LoadedState): void {
    if (this.compaction || this.fd === undefined) return;
    if (this.logBytes < Math.max(this.compactMinBytes, 2 * this.snapshotBytes)) return;
    this.compaction = this.compact(state()).then(
      () => {
        this.compaction = undefined;
      },
      (error: unknown) => {
        this.compaction = undefined;
        this.onError(error as Error);
      },
    );
  }

  /** Waits for a snapshot under way, closes the log and releases the lock. */
  async close(): Promise<void> {
    await this.compaction;
    if (this.fd !== undefined) {
      try {
        fsyncSync(this.fd);
      } finally {
        closeSync(this.fd);
        this.fd = undefined;
      }
    }
    if (this.loaded) this.unlock();
    this.loaded = false;
  }

  /**
   * A new segment for what comes after `state.revision`; the objects (shared with the store, never
   * modified in place) written to a new snapshot a slice at a time; then the covered segments go.
   */
  private async compact(state: LoadedState): Promise<void> {
    const covered = this.segments().map((s) => s.file);
    if (this.fd !== undefined) {
      fsyncSync(this.fd);
      closeSync(this.fd);
    }
    this.fd = openSync(join(this.dir, segmentName(state.revision + 1)), 'a');
    this.syncDirectory();
    this.logBytes = 0;
    const tmp = join(this.dir, `${SNAPSHOT}.tmp`);
    const file = await open(tmp, 'w');
    let bytes = 0;
    try {
      const header = { format: SNAPSHOT_FORMAT, revision: state.revision, count: state.entries.length };
      let chunk = `${JSON.stringify(header)}\n`;
      for (const entry of state.entries) {
        chunk += `${JSON.stringify({ s: entry.storage, ns: entry.namespace, n: entry.name, o: entry.object, w: entry.owners })}\n`;
        if (chunk.length >= 1024 * 1024) {
          bytes += Buffer.byteLength(chunk);
          await file.write(chunk); // the event loop serves requests between slices
          chunk = '';
        }
      }
      bytes += Buffer.byteLength(chunk);
      await file.write(chunk);
      await file.datasync();
    } finally {
      await file.close();
    }
    renameSync(tmp, join(this.dir, SNAPSHOT));
    this.syncDirectory();
    this.snapshotBytes = bytes;
    for (const segment of covered) rmSync(join(this.dir, segment), { force: true });
  }

  private readSnapshot(objects: Map<string, PersistedEntry>): number {
    const path = join(this.dir, SNAPSHOT);
    if (!existsSync(path)) return 0;
    const text = readFileSync(path, 'utf8');
    this.snapshotBytes = Buffer.byteLength(text);
    const lines = text.split('\n');
    if (lines.at(-1) === '') lines.pop();
    let header: { format?: unknown; revision?: unknown; count?: unknown };
    try {
      header = JSON.parse(lines[0] ?? '') as typeof header;
    } catch (error) {
      throw this.corrupt(SNAPSHOT, 1, 'is not JSON', error);
    }
    if (header.format !== SNAPSHOT_FORMAT || typeof header.revision !== 'number')
      throw this.corrupt(SNAPSHOT, 1, `is not a ${SNAPSHOT_FORMAT} header`);
    if (header.count !== lines.length - 1)
      throw this.corrupt(
        SNAPSHOT,
        lines.length,
        `holds ${lines.length - 1} objects, not ${String(header.count)}`,
      );
    for (let i = 1; i < lines.length; i += 1) {
      let line: { s: string; ns: string; n: string; o: KubeObject; w?: Array<[string, unknown]> };
      try {
        line = JSON.parse(lines[i]!) as typeof line;
      } catch (error) {
        throw this.corrupt(SNAPSHOT, i + 1, 'is not JSON', error);
      }
      objects.set(key(line.s, line.ns, line.n), {
        storage: line.s,
        namespace: line.ns,
        name: line.n,
        object: line.o,
        owners: line.w ?? [],
      });
    }
    return header.revision;
  }

  private segments(): Array<{ file: string; start: number }> {
    return readdirSync(this.dir)
      .map((file) => ({ file, match: SEGMENT.exec(file) }))
      .filter((s) => s.match)
      .map((s) => ({ file: s.file, start: Number(s.match![1]) }))
      .sort((a, b) => a.start - b.start);
  }

  /** One process per directory: two appending to one log would interleave their revisions. */
  private lock(): void {
    const path = join(this.dir, LOCK);
    if (OPEN_DIRS.has(resolve(this.dir)))
      throw new ExternalError(`the simulated cluster's state in ${this.dir} is already open in this process`);
    try {
      writeFileSync(path, `${process.pid}\n`, { flag: 'wx' });
      OPEN_DIRS.add(resolve(this.dir));
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const pid = Number(readFileSync(path, 'utf8').trim());
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && isAlive(pid))
      throw new ExternalError(
        `the simulated cluster's state in ${this.dir} is in use by process ${pid}; stop it first (or remove ${path} if that process is not envcat)`,
      );
    // left by a process that ended without closing (kill -9, a crash): taken over
    writeFileSync(path, `${process.pid}\n`);
    OPEN_DIRS.add(resolve(this.dir));
  }

  private unlock(): void {
    OPEN_DIRS.delete(resolve(this.dir));
    rmSync(join(this.dir, LOCK), { force: true });
  }

  private scheduleSync(): void {
    if (this.syncing) {
      this.syncAgain = true;
      return;
    }
    const fd = this.fd;
    if (fd === undefined) return;
    this.syncing = true;
    fdatasync(fd, (error) => {
      this.syncing = false;
      // EBADF: the segment was closed (compaction, close), which synced it
      if (error && error.code !== 'EBADF') this.onError(error);
      if (this.syncAgain) {
        this.syncAgain = false;
        this.scheduleSync();
      }
    });
  }

  private syncDirectory(): void {
    try {
      const fd = openSync(this.dir, 'r');
      try {
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
    } catch {
      // not every platform can fsync a directory (Windows); the rename is then as durable as the OS makes it
    }
  }

  private corrupt(file: string, line: number, what: string, cause?: unknown): ExternalError {
    return new ExternalError(
      `the simulated cluster's state is unreadable: ${join(this.dir, file)} line ${line} ${what}; move ${this.dir} away to start with an empty cluster`,
      { cause },
    );
  }
}
