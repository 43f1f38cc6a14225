/**
 * Upgrade in the portal, in Debian's chromium (test/ui/browser.ts) against the whole of envcat in
 * this process: newer sample-app versions are published while an environment runs 1.0.0; its page
 * says an update is available, Upgrade shows the dry run (versions and each file's diff), a version
 * is picked and confirmed, and the pinned version becomes it; an older version is labelled
 * rollback. A parameter the target version removed is shown at that parameter, and nothing moves.
 */
import { jest } from '@jest/globals';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { exampleText, parse, startTestEnvcat, TEST_TOKEN, type TestEnvcat } from '../support/envcat.js';
import { rdsPostgresFiles, REPO_ROOT, sampleApp110Files } from '../support/examples.js';
import {
  buildUi,
  CHROMIUM,
  CHROMIUM_ARGS,
  describeInBrowser,
  eventually,
  UI_TIMEOUT_MS,
  visible as visibleIn,
} from './browser.js';

const OUT_DIR = join(REPO_ROOT, 'test-results', 'ui-upgrade');

jest.setTimeout(240_000);

const visible = (locator: Parameters<typeof visibleIn>[0]) => visibleIn(locator, OUT_DIR);

interface View {
  spec: { catalogs: Array<{ name: string; entry: string; version?: string }> };
}

/** sample-app 1.1.0 (the default log level becomes warn), as another version. */
function sampleAppFiles(version: string): Array<{ path: string; content: string }> {
  return sampleApp110Files().map((f) =>
    f.path === 'catalog.yaml'
      ? { ...f, content: f.content.replace('version: 1.1.0', `version: ${version}`) }
      : f,
  );
}

describeInBrowser('upgrade in the portal', 'test/ui/upgrade-browser.test.ts', () => {
  let envcat: TestEnvcat;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    await rm(OUT_DIR, { recursive: true, force: true });
    await mkdir(OUT_DIR, { recursive: true });
    envcat = await startTestEnvcat({ uiDir: await buildUi() });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    page.setDefaultTimeout(UI_TIMEOUT_MS);
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await page.goto(`${envcat.url}/`);
    await page.getByLabel('API token').fill(TEST_TOKEN);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await visible(page.getByRole('heading', { level: 1, name: 'Environments' }));
  });

  afterAll(async () => {
    await browser?.close();
    await envcat?.close();
  });

  afterEach(() => expect(pageErrors).toEqual([]));

  const shot = (name: string) => page.screenshot({ path: join(OUT_DIR, `${name}.png`), fullPage: true });

  async function create(example: [string, string], name: string, edit: (spec: View['spec']) => void) {
    const document = parse(await exampleText(...example));
    (document.metadata as { name: string }).name = name;
    (document.spec as { namespace?: string }).namespace = name;
    edit(document.spec as View['spec']);
    expect((await envcat.api('POST', '/api/v1/environments', document)).status).toBe(201);
  }

  it('upgrades an instance through its dry run, and labels a rollback', async () => {
    // GIVEN an environment on sample-app 1.0.0 (log level at its default), then 1.1.0 and 1.2.0 published
    const name = 'ui-upgrade';
    await create(['sample-app', 'standalone.yaml'], name, (spec) => {
      delete (spec.catalogs[0] as { parameters?: Record<string, unknown> }).parameters?.logLevel;
    });
    for (const version of ['1.1.0', '1.2.0'])
      expect((await envcat.api('POST', '/api/v1/catalogs', { files: sampleAppFiles(version) })).status).toBe(
        201,
      );

    // WHEN its page is opened
    await page.goto(`${envcat.url}/#/environments/${name}`);
    const web = page.locator('.chip', { hasText: 'web ← sample-app@^1' });
    // THEN it is pinned to 1.0.0, says an update is available, and offers Upgrade
    await visible(web.locator('.update-available', { hasText: '1.2.0 (within ^1)' }));
    expect((await web.locator('.pinned-version').textContent())?.trim()).toBe('pinned 1.0.0');

    // WHEN Upgrade is chosen for web
    await web.getByRole('button', { name: 'Upgrade web' }).click();
    const panel = page.getByRole('region', { name: 'Upgrade web' });
    // THEN the dry run says what moves: by default the newest within the range
    const changes = panel.getByRole('list', { name: 'Version changes' });
    await visible(changes.getByText('1.0.0 → 1.2.0'));
    // and the version picker lists every version, the running one not choosable
    const picker = panel.getByLabel('Version', { exact: true });
    const options = async () =>
      picker
        .locator('option')
        .evaluateAll((list) =>
          list.map((o) => `${o.textContent}${(o as HTMLOptionElement).disabled ? ' [disabled]' : ''}`),
        );
    expect(await options()).toEqual(['Newest within ^1', '1.2.0', '1.1.0', '1.0.0 (current) [disabled]']);

    // WHEN 1.1.0 is picked
    await picker.selectOption('1.1.0');
    // THEN the dry run follows, with each changed file's diff (the request's pinned version)
    await visible(changes.getByText('1.0.0 → 1.1.0'));
    const file = panel.locator('details.file', { hasText: `environments/${name}/environment.yaml` });
    await file.locator('summary').click();
    const diff = file.getByLabel(`Diff of environments/${name}/environment.yaml`);
    await visible(diff);
    expect((await diff.locator('.diff-del').allTextContents()).map((l) => l.trim())).toEqual(
      expect.arrayContaining([expect.stringMatching(/^-\s+version: 1\.0\.0$/)]),
    );
    expect((await diff.locator('.diff-add').allTextContents()).map((l) => l.trim())).toEqual(
      expect.arrayContaining([expect.stringMatching(/^\+\s+version: 1\.1\.0$/)]),
    );
    await shot('1-dry-run');

    // WHEN it is confirmed
    await panel.getByRole('button', { name: 'Confirm upgrade' }).click();
    // THEN the panel closes and the instance is pinned to 1.1.0, in Git as on the page
    await visible(page.getByRole('status').filter({ hasText: 'Upgrade committed for web' }));
    await eventually('pinned 1.1.0', async () =>
      expect((await web.locator('.pinned-version').textContent())?.trim()).toBe('pinned 1.1.0'),
    );
    expect(await panel.count()).toBe(0);
    const view = (await envcat.api<View>('GET', `/api/v1/environments/${name}`)).body;
    expect(view.spec.catalogs[0]).toMatchObject({ entry: 'sample-app@^1', version: '1.1.0' });
    await shot('2-upgraded');

    // WHEN Upgrade is opened again (1.2.0 is still newer) and the older version picked
    await web.getByRole('button', { name: 'Upgrade web' }).click();
    await visible(changes.getByText('1.1.0 → 1.2.0'));
    expect(await options()).toEqual([
      'Newest within ^1',
      '1.2.0',
      '1.1.0 (current) [disabled]',
      '1.0.0 (rollback)',
    ]);
    await picker.selectOption('1.0.0');
    // THEN the dry run is a rollback, and says so
    const rollback = changes.getByRole('listitem').filter({ hasText: '1.1.0 → 1.0.0' });
    await visible(rollback.getByText('rollback', { exact: true }));
    await shot('3-rollback');
    await panel.getByRole('button', { name: 'Cancel' }).click();
    expect(await panel.count()).toBe(0);
  });

  it('shows a parameter the target version removed at that parameter, and moves nothing', async () => {
    // GIVEN a database on rds-postgres 1.0.0 that sets backupRetentionDays, which 2.0.0 removes
    const name = 'ui-upgrade-db';
    await create(['rds-postgres', 'minimal.yaml'], name, (spec) => {
      const db = spec.catalogs[0] as unknown as { parameters: Record<string, unknown> };
      db.parameters.masterPassword = 'a-secret-of-16ch';
      db.parameters.backupRetentionDays = 14;
    });
    expect((await envcat.api('POST', '/api/v1/catalogs', { files: rdsPostgresFiles('2.0.0') })).status).toBe(
      201,
    );

    // WHEN its Upgrade is opened (the only update is 2.0.0, outside ^1: the picker starts there)
    await page.goto(`${envcat.url}/#/environments/${name}`);
    const db = page.locator('.chip', { hasText: 'db ← rds-postgres@^1' });
    await visible(db.locator('.update-available', { hasText: '2.0.0 (outside ^1)' }));
    await db.getByRole('button', { name: 'Upgrade db' }).click();
    const panel = page.getByRole('region', { name: 'Upgrade db' });

    // THEN the server's problem is shown at the parameter, and Confirm is not offered
    const problems = panel.getByRole('list', { name: 'Parameter problems' });
    await visible(problems.getByText('db · backupRetentionDays'));
    expect(await panel.getByLabel('Version', { exact: true }).inputValue()).toBe('2.0.0');
    expect(await panel.getByRole('button', { name: 'Confirm upgrade' }).isDisabled()).toBe(true);
    await shot('4-removed-parameter');
    const view = (await envcat.api<View>('GET', `/api/v1/environments/${name}`)).body;
    expect(view.spec.catalogs[0]).toMatchObject({ entry: 'rds-postgres@^1', version: '1.0.0' });
  });
});
