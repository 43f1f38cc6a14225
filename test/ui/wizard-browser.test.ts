/**
 * The new-environment wizard as people use it, on a phone (390 px) with the keyboard, in Debian's
 * chromium (playwright-core, through test/ui/browser.ts) against the whole of envcat in this process.
 * Each test is one defect the wizard had: the server's checks at step 1, Enter and an address per
 * step, Back and leaving with unsaved input, the "added" announcement and the output picker's width,
 * validation messages in words, the Review tab, and the review itself.
 */
import { jest } from '@jest/globals';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import { exampleText, parse, startTestEnvcat, TEST_TOKEN, type TestEnvcat } from '../support/envcat.js';
import { REPO_ROOT } from '../support/examples.js';
import {
  buildUi,
  CHROMIUM,
  CHROMIUM_ARGS,
  describeInBrowser,
  eventually as eventuallyNamed,
  fitsWidth,
  UI_TIMEOUT_MS,
  visible as visibleIn,
} from './browser.js';

const OUT_DIR = join(REPO_ROOT, 'test-results', 'ui-wizard');
const PHONE = { width: 390, height: 844 };
const PASSWORD = 'correct-horse-battery-staple-42';

jest.setTimeout(120_000);

describeInBrowser('the wizard in a browser', 'test/ui/wizard-browser.test.ts', wizardSuite);

const visible = (locator: Locator) => visibleIn(locator.first(), OUT_DIR);
const eventually = (check: () => Promise<void>) => eventuallyNamed('the wizard to show it', check);

/** Nothing is wider than the phone: the page does not scroll sideways. */
async function fitsThePhone(page: Page): Promise<void> {
  expect(page.viewportSize()?.width).toBe(PHONE.width);
  await fitsWidth(page);
}

/** The element a tap at the middle of `locator` would reach is that element (nothing covers it, it is on screen). */
async function tappable(locator: Locator): Promise<boolean> {
  return locator.evaluate((element) => {
    const box = element.getBoundingClientRect();
    const x = box.left + box.width / 2;
    const y = box.top + box.height / 2;
    if (x < 0 || y < 0 || x > window.innerWidth || y > window.innerHeight) return false;
    const hit = document.elementFromPoint(x, y);
    return hit !== null && (hit === element || element.contains(hit));
  });
}

function wizardSuite() {
  let envcat: TestEnvcat;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    await mkdir(OUT_DIR, { recursive: true });
    const uiDir = await buildUi();
    envcat = await startTestEnvcat({ uiDir });
    // Someone else's environment, holding the namespace team-shared.
    const other = parse(await exampleText('s3-bucket', 'basic.yaml'));
    (other.metadata as { name: string }).name = 'someone-else';
    const spec = other.spec as Record<string, unknown>;
    spec.namespace = 'team-shared';
    spec.owner = 'carol';
    expect((await envcat.api('POST', '/api/v1/environments', other)).status).toBe(201);

    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    const context = await browser.newContext({ viewport: PHONE, hasTouch: true, isMobile: true });
    page = await context.newPage();
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

  const step = (name: string) => page.locator('.wizard-body h2', { hasText: name });
  const field = (label: string) => page.locator('.field', { has: page.getByLabel(label, { exact: true }) });
  const region = (instance: string) => page.getByRole('region', { name: new RegExp(`^${instance} ·`) });

  it('checks at step 1, while typing, that the name and namespace are free, without saying whose', async () => {
    await page.goto(`${envcat.url}/#/new`);
    await visible(step('Details'));
    // The address is the step's own.
    await eventually(async () => expect(page.url()).toMatch(/#\/new\/details$/));

    await page.getByLabel('Environment name').fill('someone-else');
    await visible(
      field('Environment name').getByText('the environment name "someone-else" is already taken'),
    );

    await page.getByLabel('Environment name').fill('ux-env');
    await page.getByLabel('Namespace').fill('kube-system');
    await visible(field('Namespace').getByText('namespace "kube-system" is reserved'));
    await page.getByLabel('Namespace').fill('team-shared');
    const taken = await visible(field('Namespace').getByText('the namespace "team-shared" is already taken'));
    expect(await page.getByLabel('Namespace').getAttribute('aria-invalid')).toBe('true');
    expect(await page.locator('main').textContent()).not.toMatch(/\bcarol\b|someone-else|\bs3\b|bucket/i);
    await page.screenshot({ path: join(OUT_DIR, '01-taken.png'), fullPage: true });

    // Next stays here while the namespace is taken.
    await page.getByRole('button', { name: 'Next: Entries' }).click();
    await visible(step('Details'));
    expect(await taken.count()).toBe(1);
    await page.getByLabel('Namespace').fill('');
    await eventually(async () => expect(await taken.count()).toBe(0));
    await fitsThePhone(page);
  });

  it('goes to the next step with Enter, and gives each step its own address', async () => {
    await page.getByLabel('Time to live').focus();
    await page.keyboard.type('24h');
    await page.keyboard.press('Enter');
    await visible(step('Entries'));
    expect(page.url()).toMatch(/#\/new\/entries$/);

    // Enter in a text area is a new line, not the next step (checked back at step 1 below).
    await page.goBack();
    await visible(step('Details'));
    expect(page.url()).toMatch(/#\/new\/details$/);
    expect(await page.getByLabel('Environment name').inputValue()).toBe('ux-env');
    await page.getByLabel('Description').focus();
    await page.keyboard.type('first line');
    await page.keyboard.press('Enter');
    await page.keyboard.type('second line');
    await visible(step('Details'));
    expect(await page.getByLabel('Description').inputValue()).toBe('first line\nsecond line');
    await page.goForward();
    await visible(step('Entries'));
  });

  it('says, where a phone user is looking and to screen readers, that an entry was added', async () => {
    const chosen = page.getByRole('region', { name: 'In this environment' });
    await page.getByRole('button', { name: 'Add PostgreSQL (RDS)', exact: true }).click();
    const status = page.getByRole('status').filter({ hasText: 'Added PostgreSQL (RDS)' });
    await visible(status);
    expect(await status.textContent()).toContain('“rds-postgres”');
    expect(await status.getAttribute('aria-live')).toBe('polite');
    expect(await status.locator('.toast').isVisible()).toBe(true);
    expect(await tappable(status.getByRole('button', { name: 'Show' }))).toBe(true);
    await page.screenshot({ path: join(OUT_DIR, '02-added.png') });
    // The list is below the fold; Show brings the new card into view.
    expect(await chosen.getByRole('group').first().isVisible()).toBe(true);
    await status.getByRole('button', { name: 'Show' }).click();
    await eventually(async () =>
      expect(
        await page
          .getByLabel('Instance name')
          .first()
          .evaluate((e) => e === document.activeElement),
      ).toBe(true),
    );
    const box = await page.getByLabel('Instance name').first().boundingBox();
    expect(box && box.y >= 0 && box.y + box.height <= PHONE.height).toBe(true);

    await page.getByRole('button', { name: 'Add Sample web application (podinfo)', exact: true }).click();
    await visible(page.getByRole('status').filter({ hasText: 'Added Sample web application (podinfo)' }));
    await fitsThePhone(page);
  });

  it('asks before Cancel or a link leaves the wizard with unsaved input, and keeps the draft over a reload', async () => {
    await page.getByRole('button', { name: 'Back' }).click();
    await visible(step('Details'));
    // Cancel: dismissed, nothing is lost.
    let asked = '';
    page.once('dialog', (dialog) => {
      asked = dialog.message();
      void dialog.dismiss();
    });
    await page.getByRole('link', { name: 'Cancel' }).click();
    await eventually(async () => expect(asked).toMatch(/Leave the new environment\?/));
    await visible(step('Details'));
    expect(await page.getByLabel('Environment name').inputValue()).toBe('ux-env');
    expect(page.url()).toMatch(/#\/new\/details$/);

    // A reload keeps the draft (this tab only), on the same step.
    await page.reload();
    await visible(step('Details'));
    expect(await page.getByLabel('Environment name').inputValue()).toBe('ux-env');
    await page.getByRole('button', { name: 'Next: Entries' }).click();
    await visible(step('Entries'));
    expect(await page.getByRole('group', { name: /PostgreSQL \(RDS\)/ }).count()).toBe(1);
  });

  it('jumps to Review through the steps between: it stops at Parameters, whose errors are in words', async () => {
    await page.getByRole('button', { name: 'Step 1: Details' }).click();
    await visible(step('Details'));
    await page.getByRole('button', { name: 'Step 4: Review' }).click();
    await visible(step('Parameters'));
    expect(page.url()).toMatch(/#\/new\/parameters$/);
    const db = region('rds-postgres');
    // The required database name, named by its title.
    await visible(db.getByText('Database name is required'));
    await db.getByLabel('Database name', { exact: true }).fill('Feature-DB');
    await visible(
      db.getByText(
        'must be lower-case letters, digits and _, start with a letter, and be at most 63 characters',
      ),
    );
    await db.getByLabel('Master password', { exact: true }).fill('short');
    await visible(db.getByText('must be at least 12 characters long'));
    await db.getByLabel('Storage (GiB)', { exact: true }).fill('5');
    await visible(db.getByText('must be at least 20'));
    expect(await page.locator('main').textContent()).not.toMatch(/must match pattern|must NOT|>=/);
    await page.screenshot({ path: join(OUT_DIR, '03-messages.png'), fullPage: true });

    await db.getByLabel('Database name', { exact: true }).fill('feature_db');
    await db.getByLabel('Master password', { exact: true }).fill(PASSWORD);
    await db.getByLabel('Storage (GiB)', { exact: true }).fill('50');
    await eventually(async () => expect(await db.locator('.rjsf-field-error, .has-error').count()).toBe(0));
    // The draft keeps no secret value.
    const draft = await page.evaluate(() => JSON.stringify(window.sessionStorage));
    expect(draft).toContain('feature_db');
    expect(draft).not.toContain(PASSWORD);
  });

  it('keeps the output picker within a phone’s width, its button tappable', async () => {
    const app = region('sample-app');
    await app.getByRole('button', { name: 'Use an output for Database host' }).click();
    const select = app.getByLabel('Output for Database host');
    await visible(select);
    const box = await select.boundingBox();
    expect(box!.x + box!.width).toBeLessThanOrEqual(PHONE.width);
    await fitsThePhone(page);
    await select.selectOption('rds-postgres.endpoint');
    const use = app.getByRole('button', { name: 'Use output' });
    await use.scrollIntoViewIfNeeded();
    expect(await tappable(use)).toBe(true);
    await use.tap();
    await visible(app.getByRole('button', { name: 'Use a value instead of rds-postgres.endpoint' }));
    await page.screenshot({ path: join(OUT_DIR, '04-picker.png'), fullPage: true });
  });

  it('reviews parameters by title with defaults apart, file names whole, and each file’s content', async () => {
    await page.getByRole('button', { name: 'Step 1: Details' }).click();
    await visible(step('Details'));
    await page.getByRole('button', { name: 'Step 4: Review' }).click();
    await visible(step('Review'));
    expect(page.url()).toMatch(/#\/new\/review$/);

    const chosen = page.getByRole('definition').locator('xpath=..');
    const params = page.locator('dl[aria-label="Parameters of rds-postgres"]');
    await visible(params);
    const terms = await params.locator('dt').allTextContents();
    expect(terms).toEqual(expect.arrayContaining(['Database name', 'Master password', 'Storage (GiB)']));
    expect(terms).not.toContain('databaseName');
    expect(terms).not.toContain('Instance class'); // left at its default
    expect(await chosen.count()).toBeGreaterThan(0);
    const defaults = page.locator('details.defaults', {
      has: page.locator('dl[aria-label="Defaults of rds-postgres"]'),
    });
    expect(await defaults.getAttribute('open')).toBeNull();
    await defaults.locator('summary').click();
    const instanceClass = defaults.locator('dl > div', {
      has: page.locator('dt', { hasText: 'Instance class' }),
    });
    expect((await instanceClass.locator('dd').textContent())?.trim()).toBe('db.t3.micro (default)');
    expect(await page.locator('main').textContent()).not.toContain(PASSWORD);

    // File names break only after a "/": every part of a path is on one line.
    const platform = page.getByRole('region', { name: 'Platform repository (infrastructure)' });
    await visible(platform.locator('.file-path').first());
    const broken = await page.locator('.files li').evaluateAll((items) =>
      items.flatMap((item) => {
        // Walk the path's characters (not the pending note): a new line may start only after a "/".
        const walker = document.createTreeWalker(item, NodeFilter.SHOW_TEXT);
        const breaks: string[] = [];
        let previous: { top: number; char: string } | undefined;
        let text = '';
        for (let node = walker.nextNode(); node; node = walker.nextNode()) {
          if (node.parentElement?.closest('.muted, pre')) continue;
          for (let i = 0; i < (node.textContent ?? '').length; i++) {
            const range = document.createRange();
            range.setStart(node, i);
            range.setEnd(node, i + 1);
            const rect = range.getClientRects()[0];
            const char = node.textContent![i]!;
            text += char;
            if (!rect) continue;
            if (previous && rect.top > previous.top + 2 && previous.char !== '/') breaks.push(text);
            previous = { top: rect.top, char };
          }
        }
        return breaks;
      }),
    );
    expect(broken).toEqual([]);
    await fitsThePhone(page);

    // Each rendered file's content, folded until asked for, as Backstage's dry run shows it.
    const db = platform.locator('details.file', { hasText: 'environments/ux-env/infra/rds-postgres.yaml' });
    const content = db.getByLabel('Content of environments/ux-env/infra/rds-postgres.yaml');
    expect(await content.isVisible()).toBe(false);
    await db.locator('summary').click();
    await visible(content);
    expect(await content.textContent()).toContain('kind: Workspace');
    expect(await page.locator('main').textContent()).not.toContain(PASSWORD);
    await page.screenshot({ path: join(OUT_DIR, '05-review.png'), fullPage: true });
  });

  it('leaves with a link once the user confirms, and then forgets the draft', async () => {
    let asked = '';
    page.once('dialog', (dialog) => {
      asked = dialog.message();
      void dialog.accept();
    });
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Catalog' }).click();
    await visible(page.getByRole('heading', { level: 1, name: 'Catalog' }));
    expect(asked).toMatch(/Leave the new environment\?/);
    expect(await page.evaluate(() => JSON.stringify(window.sessionStorage))).not.toContain('ux-env');
    await page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: 'New environment' })
      .click();
    await visible(step('Details'));
    expect(await page.getByLabel('Environment name').inputValue()).toBe('');
    expect(pageErrors).toEqual([]);
  });
}
