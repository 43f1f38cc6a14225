/**
 * What the kill -9 tests (test/server/crash-points*.test.ts) share: `npm start`'s compiled server
 * on one data directory, started with a crash hook at a step boundary (ENVCAT_CRASH_AT,
 * src/server/crash-hook.ts) and started again after it died there; a client whose request got no
 * answer (status 0); and what is checked in the end: each step file touched as often as expected,
 * nothing of an environment left in the cluster (each change set committed once: duplicates in
 * ./change-sets.ts).
 */
import { KubeClusterClient } from '../../src/cluster/client.js';
import type { Boundary } from '../../src/engine/boundaries.js';
import { git, type LoggedCommit } from './envcat.js';
import { startServer, type ServerProcess } from './server-process.js';
import { join } from 'node:path';

export interface CrashLifecycle {
  /** The server running now, if any (the test's afterAll kills it). */
  running: () => ServerProcess | undefined;
  /** Starts the server with a crash hook at `boundary` (or none); it may die before it serves. */
  start: (boundary?: Boundary) => Promise<ServerProcess>;
  /** Waits until the server killed itself at `boundary`, and checks that it was there. */
  crashedAt: (server: ServerProcess, boundary: Boundary) => Promise<void>;
  /** A request as a client sends it: no answer (the server died) is status 0. */
  api: (method: string, path: string, body?: unknown) => Promise<{ status: number; body?: unknown }>;
  phaseOf: (name: string) => Promise<string | undefined>;
  /** The simulated cluster of the running server. */
  cluster: () => KubeClusterClient;
  /** The bare repository of `platform` or `apps`. */
  repo: (name: 'platform' | 'apps') => string;
}

export function crashLifecycle(args: {
  dir: () => string;
  port: () => number;
  token: string;
}): CrashLifecycle {
  let running: ServerProcess | undefined;
  const api: CrashLifecycle['api'] = async (method, path, body) => {
    try {
      const response = await fetch(`http://127.0.0.1:${args.port()}${path}`, {
        method,
        headers: { authorization: `Bearer ${args.token}`, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await response.text();
      return { status: response.status, body: text ? JSON.parse(text) : undefined };
    } catch {
      return { status: 0 };
    }
  };
  return {
    running: () => running,
    start: async (boundary) => {
      running = await startServer({
        dir: args.dir(),
        port: args.port(),
        token: args.token,
        mayExitEarly: true,
        env: boundary ? { ENVCAT_CRASH_AT: boundary } : {},
      });
      return running;
    },
    crashedAt: async (server, boundary) => {
      let timer: NodeJS.Timeout | undefined;
      const signal = await Promise.race([
        server.exited,
        new Promise((resolve) => (timer = setTimeout(() => resolve('still running'), 120_000))),
      ]).finally(() => clearTimeout(timer));
      expect({ boundary, signal }).toEqual({ boundary, signal: 'SIGKILL' });
      expect(server.output()).toContain(`crash point ${boundary}#1 reached`);
      running = undefined;
    },
    api,
    phaseOf: async (name) => {
      const { status, body } = await api('GET', `/api/v1/environments/${name}`);
      return status === 200 ? (body as { status: { phase: string } }).status.phase : undefined;
    },
    cluster: () => KubeClusterClient.forServer({ url: running!.clusterUrl }),
    repo: (name) => join(args.dir(), 'repos', `${name}.git`),
  };
}

/** How many commits touched each file under environments/<name>/ (a step file: added once, removed once). */
export function touches(log: LoggedCommit[], name: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const commit of log)
    for (const file of commit.files)
      if (file.startsWith(`environments/${name}/`)) counts.set(file, (counts.get(file) ?? 0) + 1);
  return counts;
}

/** Workspaces, Applications and Secrets labelled as `name`'s, and its Namespace, still in the cluster. */
export async function leftInCluster(cluster: KubeClusterClient, name: string): Promise<string[]> {
  const selector = { labelSelector: `envcat.io/environment=${name}` };
  const left: string[] = [];
  for (const type of [
    { apiVersion: 'tf.m.upbound.io/v1beta1', kind: 'Workspace' },
    { apiVersion: 'argoproj.io/v1alpha1', kind: 'Application' },
    { apiVersion: 'v1', kind: 'Secret' },
  ])
    for (const object of await cluster.list(type, selector))
      left.push(`${type.kind} ${object.metadata.namespace ?? ''}/${object.metadata.name}`);
  if (await cluster.get({ apiVersion: 'v1', kind: 'Namespace', name })) left.push(`Namespace ${name}`);
  return left;
}

/** The files at the head of a bare repository's main branch. */
export async function lsTree(repoPath: string): Promise<string[]> {
  return (await git(repoPath, ['ls-tree', '-r', '--name-only', 'main'])).split('\n').filter(Boolean);
}
