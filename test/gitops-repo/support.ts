/**
 * Shared fixtures for the GitRepo tests: a temp sandbox with its own HOME (so the machine's global
 * git config, and its user.name, play no part), plain `git` for reading results back, hooks that
 * force races deterministically, a recording logger and a `git daemon` on a free port.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { GitRepo, type GitOpsLogger, type GitRepoOptions } from '../../src/gitops/index.js';

const execFileAsync = promisify(execFile);

export interface Sandbox {
  root: string;
  /** Environment for plain git in tests: no GIT_* variables, HOME inside the sandbox. */
  env: NodeJS.ProcessEnv;
  /** A GitRepo that cleanup closes (its cat-file and fast-import processes would outlive the file). */
  open(options: GitRepoOptions): GitRepo;
  cleanup(): Promise<void>;
}

/**
 * A temp directory with an empty HOME, installed as `process.env.HOME` for the code under test
 * too (restored by cleanup).
 */
export async function createSandbox(prefix: string): Promise<Sandbox> {
  const root = await mkdtemp(join(tmpdir(), `envcat-${prefix}-`));
  const home = join(root, 'home');
  await mkdir(home);
  const saved = { HOME: process.env.HOME, XDG_CONFIG_HOME: process.env.XDG_CONFIG_HOME };
  process.env.HOME = home;
  process.env.XDG_CONFIG_HOME = join(home, '.config');
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.toUpperCase().startsWith('GIT_')) env[key] = value;
  }
  env.GIT_TERMINAL_PROMPT = '0';
  const opened: GitRepo[] = [];
  return {
    root,
    env,
    open(options) {
      const repo = new GitRepo(options);
      opened.push(repo);
      return repo;
    },
    async cleanup() {
      await Promise.all(opened.splice(0).map((repo) => repo.close()));
      for (const [key, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
      await rm(root, { recursive: true, force: true });
    },
  };
}

/** Runs plain git and returns stdout. */
export async function git(sandbox: Sandbox, cwd: string, ...args: string[]): Promise<string> {
  const { stdout } = await execFileAsync('git', args, { cwd, env: sandbox.env, maxBuffer: 64 * 1024 * 1024 });
  return stdout;
}

/** Identity flags for commits made by "someone else" in tests. */
export const OTHER = ['-c', 'user.name=Other Writer', '-c', 'user.email=other@example.test'];

/** A clone of `remote` in `dir` made with plain git (another writer). */
export async function otherClone(sandbox: Sandbox, remote: string, dir: string): Promise<string> {
  await git(sandbox, sandbox.root, 'clone', '--quiet', remote, dir);
  return dir;
}

/** Subjects of the remote branch, newest first. */
export async function remoteSubjects(sandbox: Sandbox, bare: string, branch = 'main'): Promise<string[]> {
  const out = await git(sandbox, bare, 'log', '--format=%s', branch);
  return out.split('\n').filter((line) => line !== '');
}

export async function remoteFile(
  sandbox: Sandbox,
  bare: string,
  path: string,
  ref = 'main',
): Promise<string> {
  return git(sandbox, bare, 'show', `${ref}:${path}`);
}

export async function remoteFiles(sandbox: Sandbox, bare: string, ref = 'main'): Promise<string[]> {
  const out = await git(sandbox, bare, 'ls-tree', '-r', '--name-only', ref);
  return out.split('\n').filter((line) => line !== '');
}

export async function writeHook(repoGitDir: string, name: string, script: string): Promise<void> {
  const path = join(repoGitDir, 'hooks', name);
  await mkdir(join(repoGitDir, 'hooks'), { recursive: true });
  await writeFile(path, `#!/bin/sh\n${script}\n`);
  await chmod(path, 0o755);
}

/** Single-quotes a value for the hook scripts. */
export function sh(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/**
 * A reference-transaction hook for a GitRepo's working clone that, once, makes another clone
 * commit `files` and push — so that the remote moves after our fetch and before our push (the
 * first ref our clone updates after this is its commit, or the fetch before it).
 */
export async function raceOnce(options: {
  workdir: string;
  other: string;
  files: Record<string, string>;
  message: string;
}): Promise<void> {
  const marker = join(options.workdir, '..', `race-${Date.now()}-${Math.random().toString(36).slice(2)}`);
  const writes = Object.entries(options.files)
    .map(
      ([path, content]) =>
        `mkdir -p "$(dirname ${sh(path)})" && printf %s ${sh(content)} > ${sh(path)} && git add ${sh(path)}`,
    )
    .join(' && ');
  await writeHook(
    join(options.workdir, '.git'),
    'reference-transaction',
    [
      'set -e',
      '[ "$1" = committed ] || exit 0',
      `[ -e ${sh(marker)} ] && exit 0`,
      `: > ${sh(marker)}`,
      // A hook inherits GIT_INDEX_FILE and friends from our commit: they must not leak into the other clone.
      'unset $(git rev-parse --local-env-vars)',
      `cd ${sh(options.other)} || exit 1`,
      'git fetch --quiet origin',
      'git reset --quiet --hard origin/main',
      writes,
      `git ${OTHER.map(sh).join(' ')} commit --quiet -m ${sh(options.message)}`,
      'git push --quiet origin HEAD:main',
    ].join('\n'),
  );
}

/** A logger that keeps every record, for assertions (and for checking nothing secret is logged). */
export function recordingLogger(): GitOpsLogger & {
  records: Array<{ level: string; object: Record<string, unknown>; message: string }>;
} {
  const records: Array<{ level: string; object: Record<string, unknown>; message: string }> = [];
  const at = (level: string) => (object: Record<string, unknown>, message: string) => {
    records.push({ level, object, message });
  };
  return { records, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export async function gitDaemonAvailable(sandbox: Sandbox): Promise<boolean> {
  try {
    const execPath = (await git(sandbox, sandbox.root, '--exec-path')).trim();
    return existsSync(join(execPath, 'git-daemon'));
  } catch {
    return false;
  }
}

export interface Daemon {
  port: number;
  stop(): Promise<void>;
}

/** Starts `git daemon` serving `basePath` on a free port; resolves once it is accepting connections. */
export async function startGitDaemon(sandbox: Sandbox, basePath: string): Promise<Daemon> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    const child = spawn(
      'git',
      [
        'daemon',
        '--export-all',
        '--enable=receive-pack',
        `--base-path=${basePath}`,
        `--port=${port}`,
        '--reuseaddr',
        '--listen=127.0.0.1',
        '--verbose',
        basePath,
      ],
      { env: sandbox.env, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    try {
      await readyOrExit(child);
      return { port, stop: () => stopChild(child) };
    } catch (error) {
      // Most likely the port was taken between freePort() and the daemon's bind: try another.
      lastError = error;
      await stopChild(child);
    }
  }
  throw new Error(`git daemon did not start: ${String(lastError)}`);
}

function readyOrExit(child: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`no 'Ready to rumble' within 10 s: ${output}`)), 10_000);
    child.stderr!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Ready to rumble')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`git daemon exited with ${code}: ${output}`));
    });
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}
