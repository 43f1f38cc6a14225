/**
 * Which sections `npm run bench` runs, and the integer settings the sections read from the
 * environment. ENVCAT_BENCH_ONLY (a comma-separated list of sections, default all) picks sections;
 * each section's own switch (ENVCAT_BENCH_ENGINE=0, ENVCAT_BENCH_BURST=0) still skips it.
 */
import { fail } from './engine-support.js';

/** `core`: validation and plan + render; `engine`: engine.ts; `burst`: the REST API under a burst (api-burst.ts). */
export const BENCH_SECTIONS = ['core', 'engine', 'burst'] as const;
export type BenchSection = (typeof BENCH_SECTIONS)[number];

export function selectedSections(env: NodeJS.ProcessEnv): ReadonlySet<BenchSection> {
  const raw = env.ENVCAT_BENCH_ONLY;
  if (raw === undefined || raw.trim() === '') return new Set(BENCH_SECTIONS);
  const chosen = raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = chosen.filter((s) => !(BENCH_SECTIONS as readonly string[]).includes(s));
  if (unknown.length > 0 || chosen.length === 0)
    fail(
      `ENVCAT_BENCH_ONLY must list sections among ${BENCH_SECTIONS.join(', ')}` +
        (unknown.length > 0 ? `; unknown: ${unknown.join(', ')}` : ''),
    );
  return new Set(chosen as BenchSection[]);
}

/** The integer in `variable`, or `fallback` when it is unset or empty; a BenchError when it is not an integer ≥ `min`. */
export function integerSetting(
  env: NodeJS.ProcessEnv,
  variable: string,
  options: { fallback: number; min: number },
): number {
  const raw = env[variable];
  if (raw === undefined || raw === '') return options.fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < options.min)
    fail(`${variable} must be an integer of at least ${options.min}`);
  return value;
}
