/**
 * `git log` reads that wait together share one process. Every read of an environment's history is
 * a `git log` of one path, and starting a process blocks the event loop until it has exec'd (a few
 * ms, far more on a loaded machine): a burst of creates, each answered with its history, spent a
 * third of its time there. So, as group-commit.ts does for commits, reads asked for while a batch
 * is under way wait, and then go together to one `sh`, which runs one `git log` per read, one
 * after another, each exactly as it would run alone (the same options, one path each: merges are
 * simplified per path as before), their outputs separated by a marker no output can hold.
 */
import { execFile } from 'node:child_process';
import { GitCommandError } from './git.js';

/** Reads one batch carries at most (the arguments of one process). */
export const MAX_LOG_BATCH = 100;

/**
 * Between two outputs: NUL cannot occur in `git log -z` output except between commits, and every
 * commit starts with its hex id, so NUL followed by \x01 is never output.
 */
const MARKER = '\0\x01END\x01\0';

/** What every log reads of a commit, as parseLog reads it. */
const LOG_OPTIONS = [
  '-c',
  'log.showSignature=false',
  '--literal-pathspecs',
  'log',
  '-z',
  '--format=%H%n%aI%n%an <%ae>%n%B',
];

/** `git log` of one path (or the whole repository) at a head, alone. */
export function logArgs(read: { head: string; path?: string; limit?: number }): string[] {
  return [
    ...LOG_OPTIONS,
    ...(read.limit === undefined ? [] : [`--max-count=${read.limit}`]),
    read.head,
    '--',
    ...(read.path === undefined ? [] : [read.path]),
  ];
}

/** The script `sh` runs: per read, its head, its `--max-count` (-1: none) and its path. */
const SCRIPT = [
  'while [ $# -ge 3 ]; do',
  `  git ${LOG_OPTIONS.map(quote).join(' ')} --max-count="$2" "$1" -- "$3" || exit $?`,
  "  printf '\\000\\001END\\001\\000'",
  '  shift 3',
  'done',
].join('\n');

/** A constant as one word of sh. */
function quote(word: string): string {
  return `'${word.replaceAll("'", "'\\''")}'`;
}

export interface LogRead {
  head: string;
  /** A path in the repository (not empty: the whole repository is not batched). */
  path: string;
  limit?: number;
}

interface Pending extends LogRead {
  resolve: (output: string) => void;
  reject: (error: unknown) => void;
}

export class LogBatch {
  private pending: Pending[] = [];
  private running = false;

  constructor(
    private readonly options: {
      cwd: string | (() => string);
      env: Record<string, string>;
      timeoutMs: number;
      /** Runs a batch beside the repository's other reads (its read slots). */
      slot: <T>(task: () => Promise<T>) => Promise<T>;
      /** One read alone, as `log` runs it without batching: for the reads of a batch that failed. */
      alone: (read: LogRead) => Promise<string>;
    },
  ) {}

  /** The raw `git log -z` output of one read. */
  read(read: LogRead): Promise<string> {
    return new Promise<string>((resolve, reject) => {
      this.pending.push({ ...read, resolve, reject });
      if (!this.running) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.running = true;
    try {
      while (this.pending.length > 0) {
        const batch = this.pending.splice(0, MAX_LOG_BATCH);
        await this.options.slot(() => this.run(batch));
      }
    } finally {
      this.running = false;
    }
  }

  private async run(batch: Pending[]): Promise<void> {
    if (batch.length === 1) {
      await settle(batch[0]!, this.options.alone(batch[0]!));
      return;
    }
    let outputs: string[];
    try {
      outputs = await this.together(batch);
    } catch {
      // Which read failed, and why, is told by running each alone.
      await Promise.all(batch.map((read) => settle(read, this.options.alone(read))));
      return;
    }
    batch.forEach((read, index) => read.resolve(outputs[index]!));
  }

  private together(batch: readonly LogRead[]): Promise<string[]> {
    const args = batch.flatMap((read) => [read.head, String(read.limit ?? -1), read.path]);
    const cwd = typeof this.options.cwd === 'function' ? this.options.cwd() : this.options.cwd;
    return new Promise<string[]>((resolve, reject) => {
      execFile(
        'sh',
        ['-c', SCRIPT, 'sh', ...args],
        {
          cwd,
          env: this.options.env,
          timeout: this.options.timeoutMs,
          maxBuffer: 256 * 1024 * 1024,
          encoding: 'utf8',
        },
        (error, stdout, stderr) => {
          const outputs = stdout.split(MARKER);
          // One more part than reads: what follows the last marker (nothing).
          if (error || outputs.length !== batch.length + 1 || outputs.at(-1) !== '') {
            reject(
              new GitCommandError({
                command: 'log',
                exitCode: typeof error?.code === 'number' ? error.code : null,
                stdout: '',
                stderr: stderr || String(error?.message ?? 'unexpected output'),
              }),
            );
            return;
          }
          resolve(outputs.slice(0, -1));
        },
      );
    });
  }
}

async function settle(read: Pending, output: Promise<string>): Promise<void> {
  try {
    read.resolve(await output);
  } catch (error) {
    read.reject(error);
  }
}
