/**
 * The portal's Edit with a new secret value, in Debian's chromium against the whole of envcat in
 * this process: the secret field of a running instance is empty and says that empty keeps the
 * value and a typed one changes it; the review names the parameter (never the value) and shows the
 * revision the Workspace is applied again at; Apply writes the value to the instance's Secret. The
 * value is never on a page, in the tab's storage or in Git.
 */
import { jest } from '@jest/globals';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { REPO_ROOT } from '../support/examples.js';
import {
  exampleText,
  fullHistory,
  parse,
  startTestEnvcat,
  TEST_TOKEN,
  waitFor,
  type TestEnvcat,
} from '../support/envcat.js';
import {
  buildUi,
  CHROMIUM,
  CHROMIUM_ARGS,
  describeInBrowser,
  UI_TIMEOUT_MS,
  visible as visibleIn,
} from './browser.js';

const OUT_DIR = join(REPO_ROOT, 'test-results', 'ui-secret-edit');
const NAME = 'ui-new-secret';
const OLD = 'old-Master-Pass-5b1e';
const NEW = 'new-Master-Pass-c73a';

jest.setTimeout(240_000);

const visible = (locator: Parameters<typeof visibleIn>[0]) => visibleIn(locator, OUT_DIR);

describeInBrowser(
  'a new secret value through the portal’s Edit',
  'test/ui/secret-edit-browser.test.ts',
  () => {
    let envcat: TestEnvcat;
    let browser: Browser;
    let page: Page;
    const pageErrors: string[] = [];

    beforeAll(async () => {
      await rm(OUT_DIR, { recursive: true, force: true });
      await mkdir(OUT_DIR, { recursive: true });
      const uiDir = await buildUi();
      envcat = await startTestEnvcat({ uiDir });
      browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
      page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
      page.setDefaultTimeout(UI_TIMEOUT_MS);
      page.on('pageerror', (error) => pageErrors.push(error.message));
      page.on('dialog', (dialog) => void dialog.accept());
    });

    afterAll(async () => {
      await browser?.close();
      await envcat?.close();
    });

    afterEach(() => expect(pageErrors).toEqual([]));

    const heading = (name: string | RegExp) => page.getByRole('heading', { level: 1, name });
    const secretRef = { apiVersion: 'v1', kind: 'Secret', name: `${NAME}-db-params`, namespace: NAME };
    const stored = async () => {
      const secret = await envcat.cluster.get(secretRef);
      const data = (secret?.data ?? {}) as Record<string, string>;
      return {
        value: Buffer.from(data.masterPassword ?? '', 'base64').toString('utf8'),
        revision: secret?.metadata.annotations?.['envcat.io/secret-revision'],
      };
    };

    it('types a new master password: the review names it, Apply writes it to the Secret, and no page shows it', async () => {
      // GIVEN a running database environment, created with a master password
      const document = parse(await exampleText('rds-postgres', 'minimal.yaml'));
      (document.metadata as Record<string, unknown>).name = NAME;
      const spec = document.spec as {
        namespace: string;
        catalogs: Array<{ parameters: Record<string, unknown> }>;
      };
      spec.namespace = NAME;
      spec.catalogs[0]!.parameters.masterPassword = OLD;
      expect((await envcat.api('POST', '/api/v1/environments', document)).status).toBe(201);
      await page.goto(`${envcat.url}/`);
      await page.getByLabel('API token').fill(TEST_TOKEN);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await visible(heading('Environments'));

      // WHEN Edit is chosen, and a new master password typed
      await page.goto(`${envcat.url}/#/environments/${NAME}`);
      await visible(heading(new RegExp(NAME)));
      await page.getByRole('link', { name: 'Edit', exact: true }).click();
      await visible(heading(`Edit ${NAME}`));
      await page.getByRole('button', { name: 'Next: Entries' }).click();
      await page.getByRole('button', { name: 'Next: Parameters' }).click();
      const dbForm = page.getByRole('region', { name: /^db ·/ });
      const password = dbForm.getByLabel('Master password', { exact: true });
      expect(await password.inputValue()).toBe('');
      await visible(dbForm.getByText('type a new one to change it', { exact: false }));
      await password.fill(NEW);
      await page.getByRole('button', { name: 'Next: Review' }).click();

      // THEN the review names the parameter and shows the revision in the Workspace's diff, not the value
      await visible(page.getByText('New value for', { exact: false }).filter({ hasText: 'masterPassword' }));
      const platform = page.getByRole('region', {
        name: 'Changes in the Platform repository (infrastructure)',
      });
      const workspace = platform.locator('summary', { hasText: 'infra' });
      await visible(workspace);
      await workspace.click();
      const diff = await visible(page.getByLabel(/^Diff of .*infra\/db\.yaml$/));
      await visible(diff.locator('.diff-add', { hasText: 'ENVCAT_SECRET_REVISION' }));
      expect(await page.content()).not.toContain(NEW);
      await page.screenshot({ path: join(OUT_DIR, '01-review.png'), fullPage: true });

      // WHEN the change is applied
      await page.getByRole('button', { name: 'Apply changes' }).click();
      await visible(heading(new RegExp(`^${NAME}`)));

      // THEN the Secret holds the new value at revision 1
      await waitFor('the new value in the Secret', async () =>
        (await stored()).value === NEW ? true : undefined,
      );
      expect(await stored()).toEqual({ value: NEW, revision: '1' });
      // THEN the value is on no page, in no storage of the tab, in no version of any file in Git
      expect(await page.content()).not.toContain(NEW);
      const storage = await page.evaluate(() =>
        JSON.stringify({ ...window.sessionStorage, ...window.localStorage }),
      );
      expect(storage).not.toContain(NEW);
      expect(await fullHistory(envcat.repoUrls.platform)).not.toContain(NEW);
      expect(await fullHistory(envcat.repoUrls.platform)).not.toContain(OLD);
    });
  },
);
