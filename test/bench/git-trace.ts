/**
 * What each git process costs, from git's own trace2 event stream: while tracing, every git
 * started by this process (and its children) writes one event file with its command, working
 * tree and run time. GitRepo passes HOME and XDG_CONFIG_HOME through to git (only GIT_* variables
 * are dropped), so a global config under a temporary XDG_CONFIG_HOME turns tracing on without
 * touching the code under test. It must be started before the GitRepo instances are created
 * (they take their environment once).
 */
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { median, percentile } from './measure.js';

export interface GitTrace {
  /** Ends tracing for git processes started from now on. */
  stop(): void;
  /**
   * Processes started by this process between `from` and `to` (ms since the epoch), grouped by
   * `owner(worktree)` and git command; processes whose owner is undefined are left out.
   */
  summary(args: {
    from: number;
    to: number;
    owner: (worktree: string) => string | undefined;
  }): Promise<GitCommandTimes[]>;
}

export interface GitCommandTimes {
  owner: string;
  command: string;
  count: number;
  totalMs: number;
  medianMs: number;
  p95Ms: number;
}

interface TraceEvent {
  event?: string;
  sid?: string;
  time?: string;
  t_abs?: number;
  worktree?: string;
  name?: string;
}

export async function startGitTrace(dir: string): Promise<GitTrace> {
  const target = join(dir, 'trace2');
  const config = join(dir, 'xdg');
  await mkdir(target, { recursive: true });
  await mkdir(join(config, 'git'), { recursive: true });
  await writeFile(
    join(config, 'git', 'config'),
    `[trace2]\n\teventTarget = ${target}\n\teventBrief = true\n\teventNesting = 1\n`,
  );
  const previous = process.env.XDG_CONFIG_HOME;
  process.env.XDG_CONFIG_HOME = config;
  let stopped = false;
  return {
    stop() {
      if (stopped) return;
      stopped = true;
      if (previous === undefined) delete process.env.XDG_CONFIG_HOME;
      else process.env.XDG_CONFIG_HOME = previous;
    },
    async summary({ from, to, owner }) {
      const groups = new Map<string, { owner: string; command: string; ms: number[] }>();
      for (const file of await readdir(target)) {
        const process = parseProcess(await readFile(join(target, file), 'utf8'));
        // Nested processes (receive-pack under push, …) are part of their parent's time.
        if (!process || process.nested || process.startedAt < from || process.startedAt > to) continue;
        const who = process.worktree === undefined ? undefined : owner(process.worktree);
        if (who === undefined) continue;
        const key = `${who}\u0000${process.command}`;
        const group = groups.get(key) ?? { owner: who, command: process.command, ms: [] };
        group.ms.push(process.ms);
        groups.set(key, group);
      }
      return [...groups.values()]
        .map((g) => ({
          owner: g.owner,
          command: g.command,
          count: g.ms.length,
          totalMs: g.ms.reduce((a, b) => a + b, 0),
          medianMs: median(g.ms),
          p95Ms: percentile(g.ms, 95),
        }))
        .sort((a, b) => a.owner.localeCompare(b.owner) || b.totalMs - a.totalMs);
    },
  };
}

function parseProcess(
  text: string,
): { nested: boolean; startedAt: number; worktree?: string; command: string; ms: number } | undefined {
  let sid: string | undefined;
  let startedAt: number | undefined;
  let worktree: string | undefined;
  let command: string | undefined;
  let ms: number | undefined;
  for (const line of text.split('\n')) {
    if (line === '') continue;
    let event: TraceEvent;
    try {
      event = JSON.parse(line) as TraceEvent;
    } catch {
      continue; // a process still writing its file
    }
    sid ??= event.sid;
    if (event.time && startedAt === undefined) startedAt = Date.parse(event.time);
    if (event.event === 'def_repo' && event.worktree) worktree ??= event.worktree;
    else if (event.event === 'cmd_name' && event.name) command ??= event.name;
    else if (event.event === 'atexit' && event.t_abs !== undefined) ms = event.t_abs * 1000;
  }
  if (sid === undefined || startedAt === undefined || command === undefined || ms === undefined)
    return undefined;
  return { nested: sid.includes('/'), startedAt, ...(worktree ? { worktree } : {}), command, ms };
}
