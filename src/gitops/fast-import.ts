/**
 * One `git fast-import` kept running across commits (see GitRepo). Starting a process costs the
 * engine a fork of itself, a few milliseconds of its event loop each: in a burst of commits that
 * was the largest share of its time. simple-git runs a command to its end, so this dialogue uses
 * child_process directly, with the same environment.
 *
 * Each commit is a request: the commit, `get-mark` (its sha), `checkpoint` (the pack is finished
 * and the ref moved, as fast-import does at its end: only to a commit that contains the ref's
 * current value, and under the ref lock against the value it read), `reset` (so the ref is not
 * written again at a later checkpoint or at exit), then `progress` to learn that all of it is
 * done. stderr goes into the same pipe as stdout (`2>&1`), so a ref fast-import did not move is
 * reported before the progress line, in order; two pipes are read in no guaranteed order.
 *
 * `--done`: input that ends without `done` (the engine died while writing a commit) makes
 * fast-import stop with an error instead of storing the commit as far as it got; close() sends it.
 *
 * commitCommand writes the text of one commit (pure, tested without git).
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import type { Socket } from 'node:net';
import { GitCommandError } from './git.js';
import type { CommitInfo } from './types.js';

export interface FastImportOptions {
  /** The bare repository. */
  cwd: string;
  env: Record<string, string>;
  /** `-c key=value` pairs and other options placed before `fast-import`. */
  gitArgs: string[];
  /** A request without an answer for this long kills the process. */
  timeoutMs: number;
  /** The process is ended after this long without a request (it holds memory for every object it wrote). */
  idleMs: number;
  /** The process is ended after this many requests, for the same reason. */
  maxRequests: number;
  /** A process started by ready() is ended after this long without its first request. */
  readyIdleMs?: number;
}

export interface FastImportAnswer {
  sha: string;
  /** Set when the branch was left alone: what fast-import said. */
  refused?: string;
}

/** What fast-import says when it does not move a branch: it moved since our base, or another git holds its lock. */
const NOT_MOVED = /Not updating refs\/|Unable to update branch|cannot lock ref/;
const SHA = /^[0-9a-f]{40}([0-9a-f]{24})?$/;
/** How long ready() starts nothing after a process ended by itself before its first request. */
const READY_PAUSE_MS = 60_000;

/** The process a session runs: git fast-import with its stderr on stdout, ended only by `done`. */
export function fastImportCommand(gitArgs: readonly string[]): { command: string; args: string[] } {
  return {
    command: 'sh',
    args: [
      '-c',
      'exec git "$@" 2>&1',
      'sh',
      ...gitArgs,
      'fast-import',
      '--quiet',
      '--date-format=raw',
      '--done',
    ],
  };
}

/**
 * The fast-import text of one commit on `ref` (mark :1): `files` written (content) or deleted (no
 * content), in path order, on top of `parent` ('' for the first commit of a branch). Author and
 * committer date: `when` (given rather than fast-import's `now`, so that the commit is known
 * without reading it back: see madeCommit).
 */
export function commitCommand(options: {
  ref: string;
  author: { name: string; email: string };
  message: string;
  parent: string;
  when: CommitTime;
  files: ReadonlyArray<{ path: string; content: string | undefined }>;
}): string {
  const person = `${options.author.name} <${options.author.email}> ${options.when.seconds} ${zone(options.when)}`;
  const lines = [
    `commit ${options.ref}`,
    'mark :1',
    `author ${person}`,
    `committer ${person}`,
    data(options.message),
    ...(options.parent ? [`from ${options.parent}`] : []),
  ];
  for (const file of [...options.files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))) {
    if (file.content === undefined) lines.push(`D ${quotePath(file.path)}`);
    else lines.push(`M 100644 inline ${quotePath(file.path)}`, data(file.content));
  }
  lines.push('');
  return lines.join('\n');
}

/** A commit's date as git writes it: seconds since the epoch and the offset of the time zone. */
export interface CommitTime {
  seconds: number;
  /** East of UTC, in minutes. */
  offsetMinutes: number;
}

/** `at` in this process's time zone, as `git commit` and fast-import's `now` would write it. */
export function commitTime(at: Date): CommitTime {
  return { seconds: Math.floor(at.getTime() / 1000), offsetMinutes: -at.getTimezoneOffset() };
}

/** The commit commitCommand writes, as `log` lists it (parseLog: `%aI`, the message trimmed). */
export function madeCommit(options: {
  sha: string;
  author: { name: string; email: string };
  message: string;
  when: CommitTime;
}): CommitInfo {
  const { seconds, offsetMinutes } = options.when;
  // The author's wall-clock time, then its offset (strict ISO 8601, as %aI prints it).
  const local = new Date((seconds + offsetMinutes * 60) * 1000).toISOString().slice(0, 19);
  const hhmm = zone(options.when);
  return {
    sha: options.sha,
    message: options.message.trimEnd(),
    date: `${local}${hhmm.slice(0, 3)}:${hhmm.slice(3)}`,
    author: `${options.author.name} <${options.author.email}>`,
  };
}

/** The offset as git writes it: +hhmm or -hhmm. */
function zone({ offsetMinutes }: CommitTime): string {
  const minutes = Math.abs(offsetMinutes);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${offsetMinutes < 0 ? '-' : '+'}${two(Math.floor(minutes / 60))}${two(minutes % 60)}`;
}

/** fast-import's `data` command with its exact byte count. */
function data(text: string): string {
  return `data ${Buffer.byteLength(text, 'utf8')}\n${text}`;
}

/** A fast-import path as a C-style quoted string (a path may hold spaces or start with a quote). */
function quotePath(path: string): string {
  return `"${path.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

export class FastImportSession {
  private child: ChildProcessWithoutNullStreams | undefined;
  private exited: Promise<void> | undefined;
  /** What the process wrote (stdout and stderr together) since the current request was sent. */
  private output = '';
  private requests = 0;
  private sequence = 0;
  /** A process that failed before its first request pauses ready() until then (no restart at every sync). */
  private readyPausedUntil = 0;
  private waiter:
    { child: ChildProcessWithoutNullStreams; progress: string; done: (error?: Error) => void } | undefined;
  private idleTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: FastImportOptions) {}

  /**
   * Starts the process now if none runs, so that the next commit does not wait for git to start.
   * Until that commit it ends after readyIdleMs (default idleMs) without one.
   */
  ready(): void {
    if (this.child || Date.now() < this.readyPausedUntil) return;
    this.start();
    this.clearIdle();
    this.scheduleIdle(this.options.readyIdleMs ?? this.options.idleMs);
  }

  /** The running process's id, if one is running. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /**
   * Runs one commit command (its text, defining mark :1 on `ref`, without get-mark or
   * checkpoint) and sets `ref` to it. Requests must not overlap: the caller serialises them.
   */
  async commit(command: string, ref: string): Promise<FastImportAnswer> {
    this.clearIdle();
    const child = this.child ?? this.start();
    const progress = `envcat ${++this.sequence}`;
    this.output = '';
    const answered = new Promise<void>((resolve, reject) => {
      this.waiter = { child, progress, done: (error) => (error ? reject(error) : resolve()) };
    });
    const timer = setTimeout(
      () => this.fail(`no answer within ${this.options.timeoutMs} ms`),
      this.options.timeoutMs,
    );
    child.stdin.write(`${command}get-mark :1\ncheckpoint\nreset ${ref}\nprogress ${progress}\n`);
    try {
      await answered;
    } finally {
      clearTimeout(timer);
      this.waiter = undefined;
    }
    const lines = this.output.split('\n');
    const sha = lines.find((line) => SHA.test(line));
    if (sha === undefined) throw this.error(null, 'git fast-import did not name the commit');
    const refused = lines
      .find((line) => NOT_MOVED.test(line))
      ?.replace(/^(warning|error): /, '')
      .trim();
    if (++this.requests >= this.options.maxRequests) await this.close();
    else this.scheduleIdle();
    return refused === undefined ? { sha } : { sha, refused };
  }

  /**
   * Ends the process (it finishes its pack and exits) and waits for it. The next commit starts a
   * new one, even while this one is still finishing.
   */
  async close(): Promise<void> {
    this.clearIdle();
    const child = this.child;
    const exited = this.exited;
    this.child = undefined;
    this.exited = undefined;
    if (!child || !exited) return;
    // Waiting for it now: keep the process alive until it has finished.
    child.ref();
    for (const stream of [child.stdout, child.stderr]) (stream as Partial<Socket>).ref?.();
    child.stdin.end('done\n');
    await exited;
  }

  private start(): ChildProcessWithoutNullStreams {
    const { command, args } = fastImportCommand(this.options.gitArgs);
    const child = spawn(command, args, { cwd: this.options.cwd, env: this.options.env, stdio: 'pipe' });
    this.child = child;
    this.requests = 0;
    // Between requests nothing waits for it: it must not keep the engine's process alive (at exit
    // its stdin closes, and it finishes its pack and ends).
    child.unref();
    for (const stream of [child.stdin, child.stdout, child.stderr]) (stream as Partial<Socket>).unref?.();
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      if (this.child !== child) return;
      this.output += chunk;
      const waiter = this.waiter;
      if (waiter?.child === child && this.output.split('\n').includes(`progress ${waiter.progress}`))
        waiter.done();
    });
    // Only the shell could write here (git's stderr goes to stdout).
    child.stderr.on('data', (chunk: string) => {
      if (this.child === child) this.output += chunk;
    });
    // A write after the process died is reported by its exit; this only keeps the error from being unhandled.
    child.stdin.on('error', () => undefined);
    this.exited = new Promise<void>((resolve) => {
      const finished = (code: number | null, reason?: string) => {
        if (this.child === child) {
          // It ended by itself (close() lets go of it first); before any request it failed to start.
          if (this.requests === 0) this.readyPausedUntil = Date.now() + READY_PAUSE_MS;
          this.child = undefined;
          this.exited = undefined;
        }
        if (this.waiter?.child === child)
          this.waiter.done(this.error(code, reason ?? `exited with code ${code}`));
        resolve();
      };
      child.once('error', (error) => finished(null, error.message));
      child.once('close', (code) => finished(code));
    });
    return child;
  }

  private fail(reason: string): void {
    const child = this.child;
    this.waiter?.done(this.error(null, reason));
    this.child = undefined;
    this.exited = undefined;
    child?.kill('SIGKILL');
  }

  private error(exitCode: number | null, reason: string): GitCommandError {
    return new GitCommandError({
      command: 'fast-import',
      exitCode,
      stdout: '',
      stderr: this.output.trim() ? this.output : reason,
    });
  }

  private scheduleIdle(ms = this.options.idleMs): void {
    this.idleTimer = setTimeout(() => void this.close(), ms);
    this.idleTimer.unref();
  }

  private clearIdle(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
  }
}
