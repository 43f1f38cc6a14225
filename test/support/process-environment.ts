/**
 * Jest's node environment, and a check after each test file: the processes it started are gone
 * once its afterAll hooks have run. Those are its worker's children, and whatever carries the
 * file's name in ENVCAT_TEST_FILE (every child inherits it, also one re-parented to init or in a
 * process group of its own). A file that leaves one behind fails, naming it, and it is killed, so
 * that a worker running file after file does not pile them up. Linux only (/proc); elsewhere no check.
 *
 * It also gives each file `workerCache`: strings that the files run by one process (a worker, or
 * jest itself when it runs in band) hand on to the next. Each file has a realm of its own (its
 * module registry, its globals), so only strings cross. test/support/examples.ts keeps the
 * built-in catalog there, which each file would otherwise load and validate again (~0.3 s). Not in
 * watch mode, where the same process runs the tests again after files changed.
 *
 * Jest loads this module outside its module registry (no `.js` → `.ts` mapping): it imports nothing
 * of the repository.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { relative } from 'node:path';
import type { EnvironmentContext, JestEnvironmentConfig } from '@jest/environment';
import { TestEnvironment as NodeEnvironment } from 'jest-environment-node';

const FILE_VARIABLE = 'ENVCAT_TEST_FILE';
/** What the test files of this process share through `workerCache`. */
const workerCache = new Map<string, string>();
/**
 * How long a file's processes may take to end after its last hook: a killed server's git
 * processes, and a `git cat-file` or `fast-import` a read or commit still under way at shutdown
 * opened after its repo was closed, which ends itself after 10 s without use (src/gitops:
 * READER_IDLE_MS, IMPORTER_IDLE_MS). Once in a full run create-resume's in-process envcat left one
 * that way; one that never ends on its own still fails the file.
 */
const GRACE_MS = 12_000;

interface LiveProcess {
  pid: number;
  ppid: number;
  command: string;
  /** Its working directory (for git, which repository). */
  cwd: string;
}

export default class ProcessCheckingEnvironment extends NodeEnvironment {
  private readonly file: string;

  constructor(config: JestEnvironmentConfig, context: EnvironmentContext) {
    super(config, context);
    // The worker's pid too: two workers may run the same file at once (jest --projects, two checkouts).
    this.file = `${process.pid}:${relative(config.globalConfig.rootDir, context.testPath)}`;
    // Children inherit it whether they are given this process's environment or the test's copy of it.
    process.env[FILE_VARIABLE] = this.file;
    this.global.process.env[FILE_VARIABLE] = this.file;
    const { watch, watchAll } = config.globalConfig;
    if (!watch && !watchAll)
      this.global.workerCache = {
        get: (key: string) => workerCache.get(key),
        set: (key: string, value: string) => void workerCache.set(key, value),
      };
  }

  override async teardown(): Promise<void> {
    await super.teardown();
    const deadline = Date.now() + GRACE_MS;
    let left = processesOf(this.file);
    while (left.length > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      left = processesOf(this.file);
    }
    if (left.length === 0) return;
    for (const { pid } of left)
      for (const target of [-pid, pid]) {
        try {
          process.kill(target, 'SIGKILL'); // its group too, when it leads one
        } catch {
          // not a group leader, or gone already
        }
      }
    throw new Error(
      `${this.file.slice(this.file.indexOf(':') + 1)} left ${left.length} process(es) running after its last hook (now killed):\n` +
        left.map((p) => `  pid ${p.pid} (parent ${p.ppid}, in ${p.cwd}): ${p.command}`).join('\n'),
    );
  }
}

/** The live processes (not zombies) that are this process's children or carry `file` in FILE_VARIABLE. */
function processesOf(file: string): LiveProcess[] {
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return [];
  }
  const found: LiveProcess[] = [];
  for (const pid of pids) {
    if (Number(pid) === process.pid) continue;
    const stat = read(`/proc/${pid}/stat`);
    if (stat === undefined) continue;
    // "pid (comm) state ppid …", where comm may hold spaces and parentheses
    const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (state === 'Z') continue;
    const ours =
      Number(ppid) === process.pid ||
      (read(`/proc/${pid}/environ`) ?? '').split('\0').includes(`${FILE_VARIABLE}=${file}`);
    if (ours)
      found.push({
        pid: Number(pid),
        ppid: Number(ppid),
        command: (read(`/proc/${pid}/cmdline`) ?? '?').split('\0').join(' ').trim().slice(0, 300),
        cwd: link(`/proc/${pid}/cwd`),
      });
  }
  return found;
}

function link(path: string): string {
  try {
    return readlinkSync(path);
  } catch {
    return '?';
  }
}

/** A file under /proc, or undefined (the process is gone, or another user's). */
function read(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}
