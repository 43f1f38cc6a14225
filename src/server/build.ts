/**
 * `npm run build`: compiles the TypeScript that runs on Node (src/ but the browser UI, plus any
 * extra directories given) to dist/, file by file in the same layout, with esbuild. `npm start`
 * runs the compiled server: the same code as through tsx, without tsx's loader thread and
 * on-the-fly compilation, which cost a long-running process about 90 MB and slow every git
 * process it forks.
 */
import { readdir, rm } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { packageRoot } from '../install/index.js';

/** Directories (relative to the package root) compiled by default. */
const SOURCES = ['src'];
/** Not for Node: the web UI is built by Vite (`npm run build:ui`). */
const EXCLUDED = [join('src', 'ui')];

export async function compile(options: { extra?: string[]; outdir?: string } = {}): Promise<string> {
  const root = packageRoot();
  const outdir = options.outdir ?? join(root, 'dist');
  const entryPoints: string[] = [];
  for (const dir of [...SOURCES, ...(options.extra ?? [])]) {
    for (const file of await readdir(join(root, dir), { recursive: true })) {
      const path = join(dir, file);
      if (!path.endsWith('.ts') || path.endsWith('.d.ts') || path.endsWith('.test.ts')) continue;
      if (EXCLUDED.some((excluded) => path.startsWith(`${excluded}/`))) continue;
      entryPoints.push(join(root, path));
    }
  }
  await rm(join(outdir, 'src'), { recursive: true, force: true });
  await build({
    entryPoints,
    outdir,
    outbase: root,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    tsconfig: join(root, 'tsconfig.json'),
    logLevel: 'warning',
  });
  return relative(root, outdir) || '.';
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const extra = process.argv.slice(2);
  const started = Date.now();
  const outdir = await compile({ extra });
  process.stderr.write(
    `compiled ${[...SOURCES, ...extra].join(', ')} to ${outdir}/ in ${Date.now() - started} ms\n`,
  );
}
