/**
 * Pinned versions in the portal, in a real browser (Debian's chromium through playwright-core, as
 * test/e2e/portal.test.ts): an environment's page shows the version each instance is pinned to,
 * and once a newer version is published, that an update is available, while the environment stays
 * on its version.
 */
import { jest } from '@jest/globals';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { chromium, type Browser, type Page } from 'playwright-core';
import { exampleText, parse, startTestEnvcat, TEST_TOKEN, type TestEnvcat } from '../support/envcat.js';
import { REPO_ROOT, sampleApp110Files } from '../support/examples.js';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'];
const NAME = 'dev-pinned';
const UI_TIMEOUT_MS = 20_000;

jest.setTimeout(180_000);

const browserAvailable = existsSync(CHROMIUM);
if (!browserAvailable && process.env.CI === 'true') {
  describe('pinned versions in the portal', () => {
    it('needs Debian chromium at /usr/bin/chromium (.ci/run installs it)', () => {
      throw new Error(`${CHROMIUM} is missing: CI must install Debian's chromium before the tests`);
    });
  });
} else if (!browserAvailable) {
  console.warn(`SKIPPED test/e2e/portal-versions.test.ts: ${CHROMIUM} is missing.`);
  describe.skip('pinned versions in the portal', suite);
} else {
  describe('pinned versions in the portal', suite);
}

/** `ensureUiBuilt` in a child process (test/e2e/build-ui.ts says why). */
async function buildUi(): Promise<string> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--import', 'tsx', join(REPO_ROOT, 'test', 'e2e', 'build-ui.ts')],
    { cwd: REPO_ROOT, timeout: 150_000 },
  );
  const { dir } = JSON.parse(stdout) as { dir: string | null };
  if (!dir) throw new Error('the web UI could not be built');
  return dir;
}

function suite() {
  let envcat: TestEnvcat;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    envcat = await startTestEnvcat({ uiDir: await buildUi() });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    page.setDefaultTimeout(UI_TIMEOUT_MS);
  });

  afterAll(async () => {
    await browser?.close();
    await envcat?.close();
  });

  const instance = () => page.locator('.chip', { hasText: 'web ← sample-app@^1' });

  it('shows the pinned version, then the update a newer publish makes available', async () => {
    // GIVEN an environment created with `entry: sample-app@^1` while 1.0.0 is the latest
    const document = parse(await exampleText('sample-app', 'standalone.yaml'));
    (document.metadata as { name: string }).name = NAME;
    (document.spec as { namespace?: string }).namespace = NAME;
    const created = await envcat.api('POST', '/api/v1/environments', document);
    expect(created.status).toBe(201);

    // WHEN its page is opened, signed in
    await page.goto(`${envcat.url}/`);
    await page.getByLabel('API token').fill(TEST_TOKEN);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { level: 1, name: 'Environments' }).waitFor();
    await page.goto(`${envcat.url}/#/environments/${NAME}`);
    // THEN the instance shows the version it is pinned to, and no update
    await instance().locator('.pinned-version', { hasText: 'pinned 1.0.0' }).waitFor();
    expect(await instance().locator('.update-available').count()).toBe(0);

    // WHEN sample-app 1.1.0 is published, and the page is loaded again
    const published = await envcat.api('POST', '/api/v1/catalogs', { files: sampleApp110Files() });
    expect(published.status).toBe(201);
    await page.reload();
    // THEN it is still pinned to 1.0.0, and says 1.1.0 is available
    await instance().locator('.update-available').waitFor();
    expect((await instance().locator('.pinned-version').textContent())?.trim()).toBe('pinned 1.0.0');
    expect((await instance().locator('.update-available').textContent())?.trim()).toBe(
      'update available: 1.1.0 (within ^1)',
    );
  });
}
