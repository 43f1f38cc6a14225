/**
 * Fixtures for the simulated controllers' tests: real bare repos with a writer clone each, the
 * simulated API server on a free port with the real client-node adapter over HTTP, a recording
 * logger, and a polling wait with a timeout (no fixed sleeps).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';
import { KubeClusterClient } from '../../src/cluster/index.js';
import { SimulatedApiServer } from '../../src/simulator/index.js';
import type { KubeObject } from '../../src/cluster/types.js';
import { ensureBareRepo, GitRepo } from '../../src/gitops/index.js';

export interface Sandbox {
  root: string;
  /** The repos of createRepos: cleanup closes them (their git processes would outlive the file). */
  readonly repos: GitRepo[];
  cleanup(): Promise<void>;
}

export async function createSandbox(prefix: string): Promise<Sandbox> {
  const root = await mkdtemp(join(tmpdir(), `envcat-sim-${prefix}-`));
  const repos: GitRepo[] = [];
  return {
    root,
    repos,
    async cleanup() {
      await Promise.all(repos.splice(0).map((repo) => repo.close()));
      await rm(root, { recursive: true, force: true });
    },
  };
}

export interface RecordingLogger {
  logger: Logger;
  /** Every line logged so far, parsed. */
  lines(): Array<Record<string, unknown>>;
}

/** A pino logger that keeps its lines (and prints them with SIM_LOG=debug|info). */
export function recordingLogger(): RecordingLogger {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(chunk.toString('utf8'));
      if (process.env.SIM_LOG) process.stderr.write(chunk);
      callback();
    },
  });
  return {
    logger: pino({ level: process.env.SIM_LOG ?? 'info' }, sink),
    lines: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

let repoCounter = 0;

export interface TestRepos {
  platformUrl: string;
  appsUrl: string;
  /** The test's own writers (the engine's role). */
  platform: GitRepo;
  apps: GitRepo;
  /** A fresh read-only clone for a controller, in its own workdir. */
  reader(name: 'platform' | 'apps'): GitRepo;
}

export async function createRepos(sandbox: Sandbox): Promise<TestRepos> {
  const id = ++repoCounter;
  const platformUrl = (await ensureBareRepo(join(sandbox.root, `platform-${id}.git`))).path;
  const appsUrl = (await ensureBareRepo(join(sandbox.root, `apps-${id}.git`))).path;
  let readers = 0;
  const repo = (name: 'platform' | 'apps', workdir: string) => {
    const opened = new GitRepo({ name, url: name === 'platform' ? platformUrl : appsUrl, workdir });
    sandbox.repos.push(opened);
    return opened;
  };
  return {
    platformUrl,
    appsUrl,
    platform: repo('platform', join(sandbox.root, `writer-platform-${id}`)),
    apps: repo('apps', join(sandbox.root, `writer-apps-${id}`)),
    reader: (name) => repo(name, join(sandbox.root, `reader-${name}-${id}-${++readers}`)),
  };
}

export interface TestCluster {
  server: SimulatedApiServer;
  client: KubeClusterClient;
  stop(): Promise<void>;
}

export async function startTestCluster(namespaces: string[] = []): Promise<TestCluster> {
  const server = new SimulatedApiServer({
    namespaces: ['default', 'kube-system', 'argocd', 'crossplane-system', ...namespaces],
  });
  const { url } = await server.start();
  return { server, client: KubeClusterClient.forServer({ url }), stop: () => server.stop() };
}

/** Polls `probe` until it returns a value other than undefined/false; fails after the timeout. */
export async function waitFor<T>(
  description: string,
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  options: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 20_000;
  const intervalMs = options.intervalMs ?? 20;
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
      last = undefined;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline)
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${description}${last ? `: ${String(last)}` : ''}`,
      );
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

export interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  observedGeneration?: number;
  lastTransitionTime?: string;
}

export function conditionOf(object: KubeObject | undefined, type: string): Condition | undefined {
  const conditions = (object?.status as { conditions?: Condition[] } | undefined)?.conditions ?? [];
  return conditions.find((c) => c.type === type);
}

export function statusOf<T = Record<string, unknown>>(object: KubeObject | undefined): T {
  return (object?.status ?? {}) as T;
}

export function decodeSecret(secret: KubeObject | undefined): Record<string, string> {
  const data = (secret as { data?: Record<string, string> } | undefined)?.data ?? {};
  return Object.fromEntries(
    Object.entries(data).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]),
  );
}

/** Commits files (path → content) and removals; returns the commit sha. */
export async function commit(
  repo: GitRepo,
  write: Record<string, string>,
  remove: string[] = [],
  message = 'test change',
): Promise<string> {
  const result = await repo.commit({
    write: Object.entries(write).map(([path, content]) => ({ path, content })),
    remove,
    message,
  });
  return result.sha;
}
