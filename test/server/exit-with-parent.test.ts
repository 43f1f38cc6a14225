/**
 * test/support/exit-with-parent.ts, as the tests start their servers with it: a child in a process
 * group of its own, the watch loaded first, ends with what it started once its parent is gone, even
 * killed with SIGKILL (as jest ends a worker that does not stop, and as the OOM killer does), when
 * nothing of the parent's runs. Without the watch, the same child runs on.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { waitFor } from '../support/envcat.js';
import { EXIT_WITH_PARENT } from '../support/exit-with-parent.js';

/** Alive, and not a zombie waiting to be reaped. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return true; // no /proc: kill(pid, 0) said it is there
  }
}

/**
 * A parent (this file's stand-in for a jest worker) that starts a child with `flags` in a group of
 * its own, which starts a `sleep` (its own child, as the server starts git); answers their pids.
 */
async function family(flags: readonly string[]) {
  const childScript = `
    const { spawn } = require('node:child_process');
    const sleeper = spawn('sleep', ['600'], { stdio: 'ignore' });
    process.stdout.write(sleeper.pid + '\\n');
    setInterval(() => undefined, 1000);`;
  const parentScript = `
    const { spawn } = require('node:child_process');
    const child = spawn(process.execPath, [...${JSON.stringify(flags)}, '-e', ${JSON.stringify(childScript)}], {
      detached: true,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    child.stdout.once('data', (line) =>
      process.stdout.write(JSON.stringify({ child: child.pid, grandchild: Number(String(line).trim()) }) + '\\n'),
    );
    setInterval(() => undefined, 1000);`;
  const parent = spawn(process.execPath, ['-e', parentScript], { stdio: ['ignore', 'pipe', 'inherit'] });
  const pids = await new Promise<{ child: number; grandchild: number }>((resolve, reject) => {
    parent.stdout.once('data', (line: Buffer) => resolve(JSON.parse(String(line)) as never));
    parent.once('exit', (code) => reject(new Error(`the parent exited (${code}) before its child started`)));
  });
  return { parent, ...pids };
}

async function killed(parent: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => parent.once('exit', resolve));
  parent.kill('SIGKILL');
  await exited;
}

/** SIGKILL to what is left of a family (the child leads its group, the sleep in it). */
function endAll(pids: { child: number; grandchild: number }): void {
  for (const target of [-pids.child, pids.child, pids.grandchild]) {
    try {
      process.kill(target, 'SIGKILL');
    } catch {
      // gone already
    }
  }
}

it('a child started with EXIT_WITH_PARENT ends, with its own child, once its parent is killed with SIGKILL', async () => {
  // GIVEN a parent whose child (and the child's child) run
  const { parent, ...pids } = await family(EXIT_WITH_PARENT);
  try {
    expect([alive(pids.child), alive(pids.grandchild)]).toEqual([true, true]);
    // WHEN the parent is killed with SIGKILL
    await killed(parent);
    // THEN both are gone within a second or so
    await waitFor(
      'the child and its child to be gone',
      () => (!alive(pids.child) && !alive(pids.grandchild) ? true : undefined),
      { timeoutMs: 3_000, intervalMs: 50 },
    );
  } finally {
    endAll(pids);
  }
});

it('without it, the same child runs on after its parent is killed (what the tests left behind)', async () => {
  const { parent, ...pids } = await family([]);
  try {
    await killed(parent);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect([alive(pids.child), alive(pids.grandchild)]).toEqual([true, true]);
  } finally {
    endAll(pids);
  }
});
