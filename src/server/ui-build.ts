/**
 * `npm start` serves the web UI from dist/ui and builds it first when it is missing or older than
 * its sources, so the README's one command is enough. Vite is a development dependency: an image
 * built for production ships dist/ui already and never gets here.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type * as Vite from 'vite';

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) newest = Math.max(newest, statSync(join(entry.parentPath, entry.name)).mtimeMs);
  }
  return newest;
}

export async function ensureUiBuilt(root: string, logger: Logger): Promise<string | undefined> {
  const outDir = join(root, 'dist', 'ui');
  const index = join(outDir, 'index.html');
  const sources = join(root, 'src', 'ui');
  const built = existsSync(index) ? statSync(index).mtimeMs : 0;
  if (built > 0 && (!existsSync(sources) || newestSource(sources) <= built)) return outDir;
  if (!existsSync(sources)) return undefined;
  let vite: typeof Vite;
  try {
    vite = await import('vite');
  } catch (error) {
    logger.warn({ err: { message: (error as Error).message } }, 'web UI not built and Vite is not installed');
    return built > 0 ? outDir : undefined;
  }
  logger.info({ outDir }, 'building the web UI');
  // Build beside it and swap it in, so a second process starting at the same time never serves
  // (or builds over) a half-written folder.
  const staging = `${outDir}.${process.pid}.tmp`;
  await vite.build({
    configFile: join(root, 'vite.config.ts'),
    logLevel: 'warn',
    build: { outDir: staging, emptyOutDir: true },
  });
  await rm(outDir, { recursive: true, force: true });
  try {
    await rename(staging, outDir);
  } catch (error) {
    // Another process swapped its build in first; theirs is as good as ours.
    if (!existsSync(index)) throw error;
    await rm(staging, { recursive: true, force: true });
  }
  return outDir;
}
