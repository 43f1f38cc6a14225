/**
 * One `git cat-file --batch` kept running for the reads of a GitRepo: the head of a ref, whether
 * commits are there, object ids, blobs, tree objects. Like the fast-import beside it
 * (fast-import.ts), it saves a process start per read, which costs the engine a fork of itself:
 * under a burst of creates the simulated controllers and the engine read a few times per commit.
 *
 * git resolves every name it is sent afresh (a loose ref is read again, packed-refs is checked
 * for a change, and an object not found makes it look for new packs), so a long-running reader
 * sees commits made after it started. Requests are pipelined: each writes its names at once and
 * the answers come back in the same order. parseBatchHeader and parseTreeObject are pure.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import type { Socket } from 'node:net';
import { GitCommandError } from './git.js';

export interface CatFileOptions {
  /** Where git runs (the bare repository, or the working clone). */
  cwd: string;
  env: Record<string, string>;
  /** `-c key=value` pairs placed before `cat-file`. */
  gitArgs: string[];
  /** A request without any answer for this long kills the process. */
  timeoutMs: number;
  /** The process is ended after this long without a request. */
  idleMs: number;
}

/** An object as cat-file returns it. */
export interface GitObject {
  id: string;
  type: string;
  content: Buffer;
}

/** One entry of a tree object, its mode as `git ls-tree` prints it. */
export interface TreeObjectEntry {
  name: string;
  mode: string;
  id: string;
}

interface Request {
  names: readonly string[];
  objects: Array<GitObject | undefined>;
  resolve: (objects: Array<GitObject | undefined>) => void;
  reject: (error: Error) => void;
}

/**
 * The header cat-file writes before an object's content (`<id> <type> <size>`), or undefined for a
 * name it does not know (`<name> missing`, `<name> ambiguous`).
 */
export function parseBatchHeader(line: string): { id: string; type: string; size: number } | undefined {
  if (line.endsWith(' missing') || line.endsWith(' ambiguous')) return undefined;
  const [id, type, size] = line.split(' ');
  const bytes = Number(size);
  if (!id || !type || !Number.isInteger(bytes) || bytes < 0)
    throw new GitCommandError({ command: 'cat-file', exitCode: null, stdout: line, stderr: '' });
  return { id, type, size: bytes };
}

/** The entries of a tree object (`<octal mode> <name>\0<raw id>`…) in the order git stores them. */
export function parseTreeObject(content: Buffer, idBytes: number): TreeObjectEntry[] {
  const entries: TreeObjectEntry[] = [];
  let offset = 0;
  while (offset < content.length) {
    const space = content.indexOf(0x20, offset);
    const nul = content.indexOf(0, space + 1);
    if (space < 0 || nul < 0 || nul + 1 + idBytes > content.length)
      throw new GitCommandError({
        command: 'cat-file',
        exitCode: null,
        stdout: '',
        stderr: 'malformed tree object',
      });
    entries.push({
      mode: canonicalMode(content.toString('latin1', offset, space)),
      name: content.toString('utf8', space + 1, nul),
      id: content.toString('hex', nul + 1, nul + 1 + idBytes),
    });
    offset = nul + 1 + idBytes;
  }
  return entries;
}

/** The mode as git lists it (its canon_mode, six digits): '040000' for a tree. */
function canonicalMode(octal: string): string {
  const mode = parseInt(octal, 8);
  const kind = mode & 0o170000;
  if (kind === 0o100000) return mode & 0o100 ? '100755' : '100644';
  if (kind === 0o120000) return '120000';
  if (kind === 0o040000) return '040000';
  return '160000';
}

export class CatFileSession {
  private current: BatchProcess | undefined;
  private idleTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: CatFileOptions) {}

  /** The running process's id, if one is running. */
  get pid(): number | undefined {
    return this.current?.pid;
  }

  /** The objects `names` resolve to (any name git takes: a sha, `ref^{commit}`, `sha:path`), undefined where unknown. */
  async read(names: readonly string[]): Promise<Array<GitObject | undefined>> {
    if (names.length === 0) return [];
    const bad = names.find((name) => name === '' || /[\n\r]/.test(name));
    if (bad !== undefined)
      throw new GitCommandError({
        command: 'cat-file',
        exitCode: null,
        stdout: '',
        stderr: `not an object name: ${JSON.stringify(bad)}`,
      });
    this.clearIdle();
    let process = this.current;
    if (!process?.running) {
      process = new BatchProcess(this.options);
      this.current = process;
    }
    try {
      return await process.read(names);
    } finally {
      if (this.current === process && process.idle) this.scheduleIdle();
    }
  }

  /**
   * Ends the process once it has answered what was asked of it, and waits for it. The next read
   * starts a new one at once.
   */
  async close(): Promise<void> {
    this.clearIdle();
    const process = this.current;
    this.current = undefined;
    await process?.end();
  }

  private scheduleIdle(): void {
    this.clearIdle();
    this.idleTimer = setTimeout(() => void this.close(), this.options.idleMs);
    this.idleTimer.unref();
  }

  private clearIdle(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
  }
}

/** One cat-file process and the requests sent to it. */
class BatchProcess {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly exited: Promise<void>;
  /** Requests sent and not fully answered, oldest first. */
  private readonly queue: Request[] = [];
  /** Output not parsed yet. */
  private chunks: Buffer[] = [];
  private buffered = 0;
  /** The header of the object whose content is being received. */
  private header: { id: string; type: string; size: number } | undefined;
  private stderr = '';
  private answerTimer: NodeJS.Timeout | undefined;
  private failure: GitCommandError | undefined;
  private ending = false;

  constructor(private readonly options: CatFileOptions) {
    const child = spawn('git', [...options.gitArgs, 'cat-file', '--batch'], {
      cwd: options.cwd,
      env: options.env,
      stdio: 'pipe',
    });
    this.child = child;
    // Between requests nothing waits for it: it must not keep the process alive (at exit its
    // stdin closes and it ends). A request under way is kept alive by its answer timer.
    child.unref();
    for (const stream of [child.stdin, child.stdout, child.stderr]) (stream as Partial<Socket>).unref?.();
    child.stdout.on('data', (chunk: Buffer) => {
      if (this.failure) return;
      this.chunks.push(chunk);
      this.buffered += chunk.length;
      try {
        this.parse();
      } catch (error) {
        this.fail(error instanceof Error ? error.message : String(error));
        child.kill('SIGKILL');
      }
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      this.stderr = (this.stderr + chunk).slice(-4_000);
    });
    // A write after the process died is reported by its exit; this only keeps the error from being unhandled.
    child.stdin.on('error', () => undefined);
    this.exited = new Promise<void>((resolve) => {
      const finished = (code: number | null, reason?: string) => {
        this.fail(reason ?? `exited with code ${code}`, code);
        resolve();
      };
      child.once('error', (error) => finished(null, error.message));
      child.once('close', (code) => finished(code));
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Still taking requests. */
  get running(): boolean {
    return !this.failure && !this.ending;
  }

  /** Nothing asked of it is unanswered. */
  get idle(): boolean {
    return this.queue.length === 0;
  }

  read(names: readonly string[]): Promise<Array<GitObject | undefined>> {
    return new Promise((resolve, reject) => {
      this.queue.push({ names, objects: [], resolve, reject });
      this.armAnswerTimer();
      this.child.stdin.write(`${names.join('\n')}\n`);
    });
  }

  /** Closes its input: it answers what it was asked, then exits. */
  async end(): Promise<void> {
    this.ending = true;
    this.child.stdin.end();
    await this.exited;
  }

  /** Hands out every whole answer received. */
  private parse(): void {
    for (;;) {
      const request = this.queue[0];
      if (!request) {
        if (this.buffered > 0) throw new Error(`git cat-file wrote ${this.buffered} bytes nobody asked for`);
        return;
      }
      if (this.header === undefined) {
        const line = this.line();
        if (line === undefined) return;
        const header = parseBatchHeader(line);
        if (header === undefined) {
          this.answer(request, undefined);
          continue;
        }
        this.header = header;
      }
      const { id, type, size } = this.header;
      if (this.buffered < size + 1) return;
      const content = this.take(size + 1).subarray(0, size);
      this.header = undefined;
      this.answer(request, { id, type, content });
    }
  }

  private answer(request: Request, object: GitObject | undefined): void {
    request.objects.push(object);
    this.armAnswerTimer();
    if (request.objects.length < request.names.length) return;
    this.queue.shift();
    if (this.queue.length === 0) this.clearAnswerTimer();
    request.resolve(request.objects);
  }

  /** The next line of output without its newline, if it has arrived whole. */
  private line(): string | undefined {
    let newline = this.chunks[0]?.indexOf(0x0a) ?? -1;
    while (newline < 0 && this.chunks.length > 1) {
      this.chunks.splice(0, 2, Buffer.concat([this.chunks[0]!, this.chunks[1]!]));
      newline = this.chunks[0]!.indexOf(0x0a);
    }
    if (newline < 0) return undefined;
    return this.take(newline + 1).toString('utf8', 0, newline);
  }

  /** The next `bytes` bytes of output (there are at least that many). */
  private take(bytes: number): Buffer {
    const first = this.chunks[0]!;
    let taken: Buffer;
    if (first.length >= bytes) {
      taken = first.subarray(0, bytes);
      if (first.length === bytes) this.chunks.shift();
      else this.chunks[0] = first.subarray(bytes);
    } else {
      let count = 0;
      let length = 0;
      while (length < bytes) length += this.chunks[count++]!.length;
      const joined = Buffer.concat(this.chunks.splice(0, count));
      taken = joined.subarray(0, bytes);
      if (joined.length > bytes) this.chunks.unshift(joined.subarray(bytes));
    }
    this.buffered -= bytes;
    return taken;
  }

  /** No more answers will come: what was asked fails. */
  private fail(reason: string, exitCode: number | null = null): void {
    this.clearAnswerTimer();
    this.failure ??= new GitCommandError({
      command: 'cat-file',
      exitCode,
      stdout: '',
      stderr: this.stderr.trim() ? `${this.stderr.trim()}\n${reason}` : reason,
    });
    for (const request of this.queue.splice(0)) request.reject(this.failure);
  }

  /** Kills the process when no answer comes within timeoutMs (re-armed by every answer). */
  private armAnswerTimer(): void {
    this.clearAnswerTimer();
    this.answerTimer = setTimeout(() => {
      this.fail(`no answer within ${this.options.timeoutMs} ms`);
      this.child.kill('SIGKILL');
    }, this.options.timeoutMs);
  }

  private clearAnswerTimer(): void {
    if (this.answerTimer) clearTimeout(this.answerTimer);
    this.answerTimer = undefined;
  }
}
