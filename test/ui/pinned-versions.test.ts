/**
 * Pinned versions in the portal, in Debian's chromium (test/ui/browser.ts) against the whole of
 * envcat in this process: an environment's page shows the version each instance is pinned to,
 * and once a newer version is published, that an update is available, while the environment stays
 * on its version.
 */
import { jest } from '@jest/globals';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { exampleText, parse, startTestEnvcat, TEST_TOKEN, type TestEnvcat } from '../support/envcat.js';
import { REPO_ROOT, sampleApp110Files } from '../support/examples.js';
import {
  buildUi,
  CHROMIUM,
  CHROMIUM_ARGS,
  describeInBrowser,
  UI_TIMEOUT_MS,
  visible as visibleIn,
} from './browser.js';

const OUT_DIR = join(REPO_ROOT, 'test-results', 'ui-pinned-versions');
const NAME = 'dev-pinned';

jest.setTimeout(240_000);

const visible = (locator: Parameters<typeof visibleIn>[0]) => visibleIn(locator, OUT_DIR);

describeInBrowser('pinned versions in the portal', 'test/ui/pinned-versions.test.ts', suite);

function suite() {
  let envcat: TestEnvcat;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    await mkdir(OUT_DIR, { recursive: true });
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
    await visible(instance().locator('.pinned-version', { hasText: 'pinned 1.0.0' }));
    expect(await instance().locator('.update-available').count()).toBe(0);

    // WHEN sample-app 1.1.0 is published, and the page is loaded again
    const published = await envcat.api('POST', '/api/v1/catalogs', { files: sampleApp110Files() });
    expect(published.status).toBe(201);
    await page.reload();
    // THEN it is still pinned to 1.0.0, and says 1.1.0 is available
    await visible(instance().locator('.update-available'));
    expect((await instance().locator('.pinned-version').textContent())?.trim()).toBe('pinned 1.0.0');
    expect((await instance().locator('.update-available').textContent())?.trim()).toBe(
      'update available: 1.1.0 (within ^1)',
    );
  });
}
