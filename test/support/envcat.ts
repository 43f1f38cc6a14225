/**
 * The whole of envcat in the test process: real bare repos in a temp dir, the simulated cluster
 * over HTTP, the engine and the REST API on a free port. Tests talk to it the way users do (HTTP)
 * and read Git and the cluster back the way a reviewer would.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { promisify } from 'node:util';
import { pino } from 'pino';
import { parseYamlDocument } from '../../src/core/index.js';
import { loadConfig, type ServiceConfig } from '../../src/server/config.js';
import { startEnvcat, type RunningEnvcat } from '../../src/server/compose.js';
import { changeSetMessages } from './change-sets.js';
import { CATALOGS } from './examples.js';

const run = promisify(execFile);

export const TEST_TOKEN = 'test-admin-token-0123456789';

export interface TestEnvcat extends RunningEnvcat {
  dir: string;
  /** Every log line written so far (pino JSON). */
  logs(): string;
  api<T = Record<string, unknown>>(
    method: string,
    path: string,
    body?: unknown,
    options?: { token?: string; contentType?: string },
  ): Promise<{ status: number; body: T; text: string }>;
  close(): Promise<void>;
}

export async function startTestEnvcat(
  options: {
    env?: Record<string, string>;
    config?: Partial<ServiceConfig>;
    uiDir?: string;
    /** The engine's clock (ttl expiry), for tests that move time forward. */
    now?: () => number;
    /** Between a notification's attempts. */
    notifyBackoff?: { initialMs: number; maxMs: number };
  } = {},
): Promise<TestEnvcat> {
  const dir = await mkdtemp(join(tmpdir(), 'envcat-e2e-'));
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(chunk.toString('utf8'));
      callback();
    },
  });
  const logger = pino({ level: 'debug' }, sink);
  const config: ServiceConfig = {
    ...loadConfig({
      PORT: '0',
      HOST: '127.0.0.1',
      ENVCAT_DATA_DIR: join(dir, 'data'),
      ENVCAT_CATALOGS: CATALOGS,
      ENVCAT_ADMIN_TOKEN: TEST_TOKEN,
      ENVCAT_SIMULATOR_DELAY: '150ms',
      // Inline: tests reach into the simulator (fault injection) and read its logs.
      ENVCAT_SIMULATOR_THREAD: '0',
      ENVCAT_GIT_POLL: '200ms',
      ENVCAT_RESYNC: '2s',
      ...options.env,
    }),
    ...options.config,
  };
  const envcat = await startEnvcat(config, {
    logger,
    ...(options.uiDir ? { uiDir: options.uiDir } : {}),
    ...(options.now ? { now: options.now } : {}),
    ...(options.notifyBackoff ? { notifyBackoff: options.notifyBackoff } : {}),
  });
  return {
    ...envcat,
    dir,
    logs: () => lines.join(''),
    async api(method, path, body, requestOptions = {}) {
      const contentType = requestOptions.contentType ?? 'application/json';
      const response = await fetch(`${envcat.url}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${requestOptions.token ?? TEST_TOKEN}`,
          ...(body !== undefined ? { 'content-type': contentType } : {}),
        },
        ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
      });
      const text = await response.text();
      return { status: response.status, body: parseJson(text) as never, text };
    },
    async close() {
      await envcat.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

function parseJson(text: string): unknown {
  try {
    return text ? JSON.parse(text) : undefined;
  } catch {
    return undefined; // not JSON (an SSE stream, a plain-text error): callers read `text`
  }
}

/** Polls until `probe` returns something other than undefined, or fails after `timeoutMs` naming `what`. */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  options: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 20_000);
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 50));
  }
}

export async function git(repo: string, args: string[]): Promise<string> {
  const { stdout } = await run('git', ['--git-dir', repo, ...args], { maxBuffer: 64 * 1024 * 1024 });
  return stdout;
}

export interface LoggedCommit {
  sha: string;
  /** The first line of its message: for a commit of several change sets, the first one's only. */
  subject: string;
  /** The message of each change set it carries (src/gitops/group-commit.ts), in the order asked for. */
  changeSets: string[];
  files: string[];
}

/** Commits of a bare repo's main branch, oldest first, with the change sets each carries and the files each touched. */
export async function commits(repo: string, branch = 'main'): Promise<LoggedCommit[]> {
  const out = await git(repo, ['log', '--reverse', '--format=%x1e%H%x1f%B%x1d', '--name-only', branch]).catch(
    () => '',
  );
  return out
    .split('\x1e')
    .filter((chunk) => chunk.trim())
    .map((chunk) => {
      const [head = '', names = ''] = chunk.split('\x1d');
      const [sha = '', message = ''] = head.split('\x1f');
      return {
        sha,
        subject: message.split('\n')[0]!,
        changeSets: changeSetMessages(message),
        files: names
          .split('\n')
          .map((l) => l.trim())
          .filter(Boolean),
      };
    });
}

/** Every version of every file ever committed, and every commit's whole message (for "never in any commit" checks). */
export async function fullHistory(repo: string): Promise<string> {
  return git(repo, ['log', '--all', '-p', '--format=%H%n%B']).catch(() => '');
}

export async function fileAt(repo: string, path: string, rev = 'main'): Promise<string | undefined> {
  try {
    return await git(repo, ['show', `${rev}:${path}`]);
  } catch {
    return undefined;
  }
}

export async function exampleText(entry: string, file: string): Promise<string> {
  return readFile(join(CATALOGS, entry, 'examples', file), 'utf8');
}

export function parse(text: string): Record<string, unknown> {
  return parseYamlDocument(text) as Record<string, unknown>;
}
