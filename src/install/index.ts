/**
 * Where envcat is installed. A room of its own so that the server, the CLI and the simulator can
 * all find catalogs/ and gitops/ without importing one another.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The directory of envcat's package.json: where catalogs/, gitops/ and dist/ are. Found by walking
 * up from this module, so it is the same whether the sources run through tsx (src/) or compiled
 * (dist/src/, see `npm run build`).
 */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
  return dir;
}
