/**
 * ENVCAT_CRASH_AT, a test hook: a comma-separated list of step boundaries (src/engine/boundaries.ts),
 * each optionally `#n` for its n-th passing (default the first). At each, the process says so on
 * stderr and kills itself with SIGKILL, as `kill -9` would: no exit handlers, no flushing, sockets
 * left unanswered. test/server/crash-points*.test.ts drive a whole lifecycle through every
 * boundary this way. Unset in production, where nothing is hooked.
 */
import { writeSync } from 'node:fs';
import { BOUNDARIES, type Boundary, type BoundaryHook } from '../engine/boundaries.js';

/** The boundaries to stop at, each with the passing (1 = first) to stop at; or what is wrong. */
export function parseCrashPoints(spec: string): Map<Boundary, number> | { problem: string } {
  const points = new Map<Boundary, number>();
  for (const item of spec
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const [name = '', nth = '1', ...rest] = item.split('#');
    if (!(BOUNDARIES as readonly string[]).includes(name))
      return { problem: `"${name}" is not a step boundary; one of ${BOUNDARIES.join(', ')}` };
    const count = Number(nth);
    if (rest.length > 0 || !/^\d+$/.test(nth) || count < 1)
      return { problem: `"${item}": the passing after # must be a whole number of at least 1` };
    points.set(name as Boundary, count);
  }
  return points;
}

/** A hook that counts each boundary's passings and calls `crash` at the chosen one. */
export function crashHook(
  points: ReadonlyMap<Boundary, number>,
  crash: (boundary: Boundary, passing: number) => void = killNow,
): BoundaryHook {
  const passed = new Map<Boundary, number>();
  return (boundary) => {
    const passing = (passed.get(boundary) ?? 0) + 1;
    passed.set(boundary, passing);
    if (points.get(boundary) === passing) crash(boundary, passing);
  };
}

function killNow(boundary: Boundary, passing: number): void {
  writeSync(2, `envcat: crash point ${boundary}#${passing} reached (ENVCAT_CRASH_AT): SIGKILL\n`);
  process.kill(process.pid, 'SIGKILL');
}
