/**
 * `npm start` serves the web UI from dist/ui and builds it first when it is missing or older than
 * its sources, so the README's one command is enough. Vite is a development dependency: an image
 * built for production ships dist/ui already and never gets here.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
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
  await vite.build({ configFile: join(root, 'vite.config.ts'), logLevel: 'warn' });
  return outDir;
}
