/**
 * No product file grows past about 600 lines (issue "A codebase a new engineer is glad to
 * inherit"): a file that does is a room holding two concepts. The portal's page components may
 * be longer (a page is one screen's layout), up to PAGE_LIMIT; nothing in src/ is generated.
 */
import { readFile, readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { REPO_ROOT } from '../support/examples.js';

const LIMIT = 600;
const PAGE_LIMIT = 800;

async function sources(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const nested = await Promise.all(
    entries.map((entry) => {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) return sources(path);
      return /\.(ts|tsx)$/.test(entry.name) ? [path] : [];
    }),
  );
  return nested.flat();
}

const isPage = (path: string) => /^src\/ui\/.*(Page|Step)\.tsx$/.test(path);

describe('file sizes', () => {
  it(`no file under src/ and functions/ is over ${LIMIT} lines (portal pages: ${PAGE_LIMIT})`, async () => {
    const files = [
      ...(await sources(join(REPO_ROOT, 'src'))),
      ...(await sources(join(REPO_ROOT, 'functions'))),
    ];
    expect(files.length).toBeGreaterThan(100);
    const over: string[] = [];
    for (const file of files) {
      const path = relative(REPO_ROOT, file);
      const lines = (await readFile(file, 'utf8')).split('\n').length - 1;
      if (lines > (isPage(path) ? PAGE_LIMIT : LIMIT)) over.push(`${path}: ${lines} lines`);
    }
    expect(over).toEqual([]);
  });
});
