/**
 * What the portal's browser tests share: Debian's chromium through playwright-core (nothing
 * downloads a browser), the built UI (test/e2e/build-ui.ts, in a child process), and waits that
 * keep a screenshot when they fail. test/e2e/portal.test.ts runs the same way.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Locator, Page } from 'playwright-core';
import { waitFor } from '../support/envcat.js';
import { REPO_ROOT } from '../support/examples.js';

export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
export const UI_TIMEOUT_MS = 20_000;

/** describe, describe.skip with a notice, or a failing describe under CI, as chromium is there or not. */
export function describeInBrowser(title: string, file: string, suite: () => void): void {
  if (existsSync(CHROMIUM)) describe(title, suite);
  else if (process.env.CI === 'true')
    describe(title, () => {
      it('needs Debian chromium at /usr/bin/chromium (.ci/run installs it)', () => {
        throw new Error(`${CHROMIUM} is missing: CI must install Debian's chromium before the tests`);
      });
    });
  else {
    console.warn(`SKIPPED ${file}: ${CHROMIUM} is missing (apt-get install -y chromium).`);
    describe.skip(title, suite);
  }
}

/** `ensureUiBuilt` in a child process (Vite refuses to run inside jest's VM modules). */
export async function buildUi(): Promise<string> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--import', 'tsx', join(REPO_ROOT, 'test', 'e2e', 'build-ui.ts')],
    { cwd: REPO_ROOT, timeout: 240_000 },
  );
  const { dir } = JSON.parse(stdout) as { dir: string | null };
  if (!dir) throw new Error('the web UI could not be built: src/ui is missing and dist/ui was never built');
  return dir;
}

/** Retries `check` (jest expectations) until it passes, failing with its last error after the timeout. */
export async function eventually(
  what: string,
  check: () => Promise<void> | void,
  timeoutMs = UI_TIMEOUT_MS,
): Promise<void> {
  await waitFor(
    what,
    async () => {
      await check();
      return true;
    },
    { timeoutMs, intervalMs: 50 },
  );
}

/** Waits for `locator` to be visible; when it never is, keeps a screenshot of the page at `shotDir`. */
export async function visible(locator: Locator, shotDir: string): Promise<Locator> {
  try {
    await locator.waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
  } catch (error) {
    const path = join(shotDir, `failure-${Date.now()}.png`);
    await locator
      .page()
      .screenshot({ path, fullPage: true })
      .catch(() => undefined);
    throw new Error(`${(error as Error).message}\n(the page at that moment: ${path})`, { cause: error });
  }
  return locator;
}

/** The page is no wider than the window, and no table is wider than its box. */
export async function fitsWidth(page: Page): Promise<void> {
  const widths = await page.evaluate(() => ({
    scroll: document.documentElement.scrollWidth,
    viewport: window.innerWidth,
    tables: Array.from(document.querySelectorAll('main .table-wrap'))
      .filter((w) => w.scrollWidth > w.clientWidth)
      .map((w) => `${w.querySelector('caption')?.textContent ?? '?'}: ${w.scrollWidth} > ${w.clientWidth}`),
  }));
  expect(widths.tables).toEqual([]);
  expect(widths.scroll).toBeLessThanOrEqual(widths.viewport);
}

/**
 * Installs, in the page, a record of every distinct text `selector` shows (checked on every DOM
 * change), under `window.envcatRecords[key]`.
 */
export async function record(page: Page, key: string, selector: string): Promise<void> {
  await page.evaluate(
    ({ key, selector }) => {
      const w = window as unknown as { envcatRecords?: Record<string, string[]> };
      const records = (w.envcatRecords ??= {});
      const seen = (records[key] = [] as string[]);
      const note = () => {
        for (const element of Array.from(document.querySelectorAll(selector))) {
          const text = element.textContent?.replace(/\s+/g, ' ').trim() ?? '';
          if (text && seen.at(-1) !== text) seen.push(text);
        }
      };
      note();
      new MutationObserver(note).observe(document.body, {
        subtree: true,
        childList: true,
        characterData: true,
      });
    },
    { key, selector },
  );
}

export async function recorded(page: Page, key: string): Promise<string[]> {
  return page.evaluate(
    (key) => (window as unknown as { envcatRecords?: Record<string, string[]> }).envcatRecords?.[key] ?? [],
    key,
  );
}
