/**
 * Every page of the portal on a phone (390×844, touch), in Debian's chromium (test/ui/browser.ts)
 * against the whole of envcat in this process, one server and one browser, the pages in sequence:
 * sign-in, the environment list, the catalog and an entry's page, Publish (platform role), each step
 * of the new-environment wizard and Create, an environment's page while it is created and once
 * Ready (plan graph, resources, history, commits, Extend, Upgrade, the Delete dialog), each step
 * of Edit, and an unknown address. On each: the page does not scroll sideways, no element reaches
 * past the screen's right edge unless a scrolling frame holds it, tables become cards, no text
 * spills out of its box and no button or label breaks a word in two, its main actions can be
 * tapped (on screen, not covered, at least 24 px or apart from other targets), and the console
 * has no error. Screenshots go to test-results/e2e/phone/.
 */
import { jest } from '@jest/globals';
import { cp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import { CATALOGS, REPO_ROOT } from '../support/examples.js';
import { startTestEnvcat, TEST_TOKEN, waitFor, type TestEnvcat } from '../support/envcat.js';
import {
  buildUi,
  CHROMIUM,
  CHROMIUM_ARGS,
  describeInBrowser,
  eventually,
  UI_TIMEOUT_MS,
  visible as visibleIn,
} from './browser.js';

const OUT_DIR = join(REPO_ROOT, 'test-results', 'e2e', 'phone');
const PHONE = { width: 390, height: 844 };
const PASSWORD = 'correct-horse-battery-staple';
/** The smallest target a finger is asked to hit (WCAG 2.2, 2.5.8 Target Size (Minimum)). */
const TARGET_PX = 24;
const READY = 'phone-ready';

jest.setTimeout(240_000);

const visible = (locator: Locator) => visibleIn(locator.first(), OUT_DIR);

/** VPC → PostgreSQL with pgAdmin → app, with a ttl: every panel of the environment page has rows. */
function hybridRequest(name: string) {
  return {
    apiVersion: 'envcat.io/v1alpha1',
    kind: 'Environment',
    metadata: { name },
    spec: {
      namespace: name,
      type: 'pre-release',
      ttl: '24h',
      catalogs: [
        { name: 'network', entry: 'vpc@^1', parameters: { cidrBlock: '10.20.0.0/16', azCount: 2 } },
        {
          name: 'data',
          entry: 'postgres-with-pgadmin@^1',
          parameters: {
            databaseName: 'orders',
            pgadminPassword: PASSWORD,
            vpcId: { fromOutput: 'network.vpcId' },
            subnetIds: { fromOutput: 'network.privateSubnetIds' },
          },
        },
        {
          name: 'app',
          entry: 'sample-app@^1',
          parameters: { databaseEndpoint: { fromOutput: 'data.endpoint' } },
        },
      ],
    },
  };
}

interface Overflow {
  scrollWidth: number;
  innerWidth: number;
  /** Elements whose right edge is past the screen with no scrolling or clipping frame around them. */
  past: string[];
  /** Tables that scroll sideways in their frame instead of fitting the phone (they become cards). */
  tables: string[];
  /** Boxes whose content spills out of their right edge (a word wider than its card). */
  spilled: string[];
  /** Controls and labels with a word broken across lines other than after "-", "/" or ".". */
  broken: string[];
}

/** What reaches past the right edge of the screen, or out of its own box. */
async function overflow(page: Page): Promise<Overflow> {
  return page.evaluate(() => {
    const width = window.innerWidth;
    const describe = (element: Element, right: number) => {
      const classes = typeof element.className === 'string' ? element.className.trim() : '';
      const text = (element.textContent ?? '').replace(/\s+/g, ' ').trim().slice(0, 40);
      return `${element.tagName.toLowerCase()}${classes ? `.${classes.split(/\s+/).join('.')}` : ''} "${text}" right=${Math.round(right)}`;
    };
    /** Inside a scrolling or clipping frame (overflow other than visible) that is itself within the screen. */
    const framed = (element: Element) => {
      for (let p = element.parentElement; p && p !== document.body; p = p.parentElement)
        if (getComputedStyle(p).overflowX !== 'visible' && p.getBoundingClientRect().right <= width + 1)
          return true;
      return false;
    };
    /** Inside a box of a pixel or less that clips it (visually hidden, a phone table's header row). */
    const hidden = (element: Element) => {
      for (let p: Element | null = element; p && p !== document.body; p = p.parentElement)
        if (getComputedStyle(p).overflowX !== 'visible' && p.getBoundingClientRect().width <= 1) return true;
      return false;
    };
    /** Inside any scrolling or clipping frame (a diff or a file's content scrolls in its own). */
    const inFrame = (element: Element) => {
      for (let p = element.parentElement; p && p !== document.body; p = p.parentElement)
        if (getComputedStyle(p).overflowX !== 'visible') return true;
      return false;
    };
    const past: string[] = [];
    for (const element of Array.from(document.body.querySelectorAll('*'))) {
      const box = element.getBoundingClientRect();
      if (box.width === 0 || box.height === 0 || box.right <= width + 1) continue;
      if (getComputedStyle(element).visibility === 'hidden') continue;
      if (!framed(element)) past.push(describe(element, box.right));
    }
    return {
      scrollWidth: document.scrollingElement!.scrollWidth,
      innerWidth: width,
      // The outermost offender names the problem; its children only repeat it.
      past: past.slice(0, 8),
      tables: Array.from(document.querySelectorAll('main .table-wrap'))
        .filter((w) => w.scrollWidth > w.clientWidth + 1)
        .map((w) => describe(w, w.getBoundingClientRect().left + w.scrollWidth)),
      spilled: Array.from(document.body.querySelectorAll('*'))
        .filter(
          (e) =>
            e.clientWidth > 0 &&
            e.scrollWidth > e.clientWidth + 1 &&
            getComputedStyle(e).overflowX === 'visible' &&
            !e.closest('svg') &&
            !inFrame(e),
        )
        .map((e) => describe(e, e.getBoundingClientRect().left + e.scrollWidth))
        .slice(0, 8),
      broken: Array.from(
        document.querySelectorAll(
          'button, .button, summary, label, .badge, .chip, .timeline-label, nav a, th, dt, h1, h2, h3',
        ),
      )
        .filter((element) => {
          if (hidden(element)) return false;
          const walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
          for (let node = walker.nextNode(); node; node = walker.nextNode()) {
            if (node.parentElement?.closest('.visually-hidden')) continue;
            // Each text node on its own: a line may start at an element's edge (a tag after a name).
            let previous: { top: number; char: string } | undefined;
            const text = node.textContent ?? '';
            for (let i = 0; i < text.length; i++) {
              const range = document.createRange();
              range.setStart(node, i);
              range.setEnd(node, i + 1);
              const rect = range.getClientRects()[0];
              if (!rect || /\s/.test(text[i]!)) {
                previous = undefined;
                continue;
              }
              if (previous && rect.top > previous.top + 2 && !/[-/.]/.test(previous.char)) return true;
              previous = { top: rect.top, char: text[i]! };
            }
          }
          return false;
        })
        .map((e) => describe(e, e.getBoundingClientRect().right)),
    };
  });
}

/**
 * On screen once scrolled to, the element a tap in its middle reaches, and at least TARGET_PX each
 * way or, as WCAG 2.5.8 allows, with no other target within a TARGET_PX circle around it.
 */
async function tappable(locator: Locator): Promise<{ ok: boolean; why: string }> {
  return locator.evaluate((element, min) => {
    // Brought to the middle of the screen, as far as the page scrolls, as a person looking for it would.
    element.scrollIntoView({ block: 'center', inline: 'nearest' });
    const box = element.getBoundingClientRect();
    if (box.left < 0 || box.right > window.innerWidth)
      return { ok: false, why: `off screen: ${box.left}–${box.right}` };
    const x = box.left + box.width / 2;
    const y = box.top + box.height / 2;
    const hit = document.elementFromPoint(x, y);
    if (hit === null || !(hit === element || element.contains(hit)))
      return { ok: false, why: `covered by ${hit?.tagName.toLowerCase()}.${String(hit?.className)}` };
    if (box.width >= min && box.height >= min) return { ok: true, why: '' };
    const targets = 'a[href], button, input, select, textarea, summary, [role="button"]';
    for (const other of Array.from(document.querySelectorAll(targets))) {
      if (other === element || other.contains(element) || element.contains(other)) continue;
      const r = other.getBoundingClientRect();
      if (r.width === 0 || r.height === 0) continue;
      const dx = Math.max(r.left - x, 0, x - r.right);
      const dy = Math.max(r.top - y, 0, y - r.bottom);
      if (Math.hypot(dx, dy) < min / 2)
        return {
          ok: false,
          why: `${Math.round(box.width)}×${Math.round(box.height)} px, ${other.tagName.toLowerCase()} "${other.textContent?.trim().slice(0, 30)}" within ${min / 2} px`,
        };
    }
    return { ok: true, why: '' };
  }, TARGET_PX);
}

describeInBrowser('every page of the portal on a phone', 'test/ui/phone-pages.test.ts', () => {
  let envcat: TestEnvcat;
  let browser: Browser;
  let page: Page;
  /** Console errors and uncaught exceptions since the last check. */
  const errors: string[] = [];
  let shots = 0;

  beforeAll(async () => {
    await rm(OUT_DIR, { recursive: true, force: true });
    await mkdir(OUT_DIR, { recursive: true });
    const uiDir = await buildUi();
    envcat = await startTestEnvcat({
      uiDir,
      env: {
        ENVCAT_ARGOCD_URL: 'https://argocd.example.com',
        ENVCAT_PLATFORM_REPO_WEB_URL: 'https://git.example.com/acme/platform',
        ENVCAT_APPS_REPO_WEB_URL: 'https://git.example.com/acme/apps',
      },
    });
    expect((await envcat.api('POST', '/api/v1/environments', hybridRequest(READY))).status).toBe(201);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    const context = await browser.newContext({ viewport: PHONE, isMobile: true, hasTouch: true });
    page = await context.newPage();
    page.setDefaultTimeout(UI_TIMEOUT_MS);
    page.on('pageerror', (error) => errors.push(`uncaught: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(`console: ${message.text()} (${message.location().url})`);
    });
    // Leaving the wizard asks first (window.confirm); these visits mean to leave.
    page.on('dialog', (dialog) => void dialog.accept());
  });

  afterAll(async () => {
    await browser?.close();
    await envcat?.close();
  });

  afterEach(() => {
    const seen = errors.splice(0);
    expect(seen).toEqual([]);
  });

  const heading = (name: string | RegExp) => page.getByRole('heading', { level: 1, name });
  const step = (name: string) => page.locator('.wizard-body h2', { hasText: name });

  /** The page as it is now fits the phone and each of `actions` can be tapped; a screenshot is kept. */
  async function fitsThePhone(name: string, actions: Locator[]): Promise<void> {
    // Fonts and late panels settle before measuring.
    await page.evaluate(() => document.fonts.ready);
    await page.screenshot({
      path: join(OUT_DIR, `${String(++shots).padStart(2, '0')}-${name}.png`),
      fullPage: true,
    });
    const measured = await overflow(page);
    const { past, tables, spilled, broken } = measured;
    expect({ page: name, past, tables, spilled, broken }).toEqual({
      page: name,
      past: [],
      tables: [],
      spilled: [],
      broken: [],
    });
    expect(measured.scrollWidth).toBeLessThanOrEqual(measured.innerWidth);
    for (const action of actions) {
      const target = await visible(action);
      const label = (await target.getAttribute('aria-label')) ?? (await target.textContent())?.trim();
      const tap = await tappable(target);
      if (!tap.ok) await page.screenshot({ path: join(OUT_DIR, `failure-${name}-${label}.png`) });
      expect({ page: name, action: label, ...tap }).toEqual({
        page: name,
        action: label,
        ok: true,
        why: '',
      });
    }
    // Back to the top, as a person arriving at the next page would be.
    await page.evaluate(() => window.scrollTo(0, 0));
  }

  it('sign-in', async () => {
    await page.goto(`${envcat.url}/`);
    await visible(heading('Sign in'));
    await fitsThePhone('sign-in', [page.getByRole('button', { name: 'Sign in' })]);
    await page.getByLabel('API token').fill(TEST_TOKEN);
    await page.getByRole('button', { name: 'Sign in' }).tap();
    await visible(heading('Environments'));
  });

  it('the environment list', async () => {
    await visible(page.getByRole('row', { name: new RegExp(READY) }));
    const nav = page.getByRole('navigation', { name: 'Main' });
    await fitsThePhone('environments', [
      page.locator('main').getByRole('link', { name: 'New environment' }),
      page.getByRole('link', { name: READY, exact: true }),
      nav.getByRole('link', { name: 'Catalog' }),
      nav.getByRole('link', { name: 'Publish' }),
      page.getByRole('button', { name: 'Sign out' }),
    ]);
  });

  it('the catalog', async () => {
    await page.goto(`${envcat.url}/#/catalog`);
    await visible(heading('Catalog'));
    await visible(page.getByRole('link', { name: /^Details of / }));
    await fitsThePhone('catalog', [
      page.getByRole('link', { name: 'Details of PostgreSQL (RDS)', exact: true }),
      page.getByRole('link', { name: 'Use in a new environment: PostgreSQL (RDS)', exact: true }),
      page.getByRole('link', { name: /^Details of / }).last(),
    ]);
  });

  it('publish (platform role): the checks and Confirm', async () => {
    await page.goto(`${envcat.url}/#/catalog/publish`);
    await visible(heading('Publish a catalog entry'));
    await fitsThePhone('publish', [page.getByLabel('Entry folder'), page.getByLabel('Or its files')]);
    // sample-app 1.1.0, another replicas default: the environment below has an upgrade.
    const folder = join(OUT_DIR, 'sample-app');
    await cp(join(CATALOGS, 'sample-app'), folder, { recursive: true });
    const catalog = (await readFile(join(folder, 'catalog.yaml'), 'utf8'))
      .replace(/^ {2}version: .*$/m, '  version: 1.1.0')
      .replace(/(replicas:[\s\S]*?default: )1\b/, '$12');
    await writeFile(join(folder, 'catalog.yaml'), catalog);
    await page.getByLabel('Entry folder').setInputFiles(folder);
    const checks = await visible(page.getByRole('list', { name: 'Check results' }));
    await visible(checks.getByText('sample-app@1.1.0'));
    const confirm = page.getByRole('button', { name: 'Confirm: publish sample-app@1.1.0' });
    await fitsThePhone('publish-checks', [confirm]);
    await confirm.tap();
    await visible(page.getByRole('status').getByText('Published', { exact: false }));
    await fitsThePhone('publish-done', [page.getByRole('link', { name: 'sample-app@1.1.0' })]);
  });

  it('a catalog entry’s page, with its versions and lifecycle', async () => {
    await page.goto(`${envcat.url}/#/catalog/sample-app`);
    await visible(heading(/Sample web application/));
    await visible(page.getByRole('region', { name: 'Parameters of 1.1.0' }));
    await visible(page.getByRole('region', { name: 'Lifecycle' }));
    await visible(page.getByRole('region', { name: 'Compare releases' }));
    await fitsThePhone('catalog-entry', [
      page.getByRole('link', { name: /^Use in a new environment/ }),
      page.getByLabel('Version', { exact: true }),
      page.getByRole('button', { name: 'Deprecate 1.0.0' }),
    ]);
  });

  it('the wizard, step by step, to Create', async () => {
    await page.goto(`${envcat.url}/#/new`);
    await visible(step('Details'));
    await page.getByLabel('Environment name').fill('phone-new');
    await fitsThePhone('new-details', [page.getByRole('button', { name: 'Next: Entries' })]);
    await page.getByRole('button', { name: 'Next: Entries' }).tap();

    await visible(step('Entries'));
    await fitsThePhone('new-entries', [
      page.getByRole('button', { name: 'Add PostgreSQL (RDS)', exact: true }),
      page.getByRole('button', { name: 'Add Sample web application (podinfo)', exact: true }),
    ]);
    await page.getByRole('button', { name: 'Add PostgreSQL (RDS)', exact: true }).tap();
    await visible(page.getByRole('status').filter({ hasText: 'Added PostgreSQL (RDS)' }));
    await page.getByRole('button', { name: 'Add Sample web application (podinfo)', exact: true }).tap();
    const added = await visible(
      page.getByRole('status').filter({ hasText: 'Added Sample web application (podinfo)' }),
    );
    await fitsThePhone('new-entries-added', [
      added.getByRole('button', { name: 'Show' }),
      page.getByRole('button', { name: 'Remove rds-postgres' }),
      page.getByRole('button', { name: 'Next: Parameters' }),
    ]);
    await page.getByRole('button', { name: 'Next: Parameters' }).tap();

    await visible(step('Parameters'));
    const db = page.getByRole('region', { name: /^rds-postgres ·/ });
    await db.getByLabel('Database name', { exact: true }).fill('phone_db');
    await db.getByLabel('Master password', { exact: true }).fill(PASSWORD);
    const app = page.getByRole('region', { name: /^sample-app ·/ });
    await app.getByRole('button', { name: 'Use an output for Database host' }).tap();
    await app.getByLabel('Output for Database host').selectOption('rds-postgres.endpoint');
    await fitsThePhone('new-parameters', [
      app.getByRole('button', { name: 'Use output' }),
      page.getByRole('button', { name: 'Next: Review' }),
    ]);
    await app.getByRole('button', { name: 'Use output' }).tap();
    await visible(app.getByRole('button', { name: 'Use a value instead of rds-postgres.endpoint' }));
    await page.getByRole('button', { name: 'Next: Review' }).tap();

    await visible(step('Review'));
    const create = page.getByRole('button', { name: 'Create environment' });
    await eventually('the dry run to allow Create', async () => expect(await create.isEnabled()).toBe(true));
    await visible(page.locator('.plan-graph'));
    // The files' contents too, unfolded.
    const file = page.locator('details.file').first();
    await file.locator('summary').tap();
    await visible(file.locator('pre.file-content'));
    await fitsThePhone('new-review', [
      page.getByRole('button', { name: 'Step 1: Details' }),
      page.getByRole('button', { name: 'Step 4: Review' }),
      file.locator('summary'),
      create,
    ]);
    await create.tap();
    await visible(heading(/phone-new/));
    await visible(page.getByRole('region', { name: 'Progress' }));
    await fitsThePhone('environment-creating', [page.getByRole('button', { name: 'Delete' })]);
  });

  it('an environment’s page once Ready: plan, resources, history, Extend, Upgrade', async () => {
    await waitFor(
      `${READY} to be Ready`,
      async () => {
        const view = await envcat.api<{ status: { phase: string; message: string } }>(
          'GET',
          `/api/v1/environments/${READY}`,
        );
        if (view.body.status.phase === 'Failed') throw new Error(view.body.status.message);
        return view.body.status.phase === 'Ready';
      },
      { timeoutMs: 90_000, intervalMs: 250 },
    );
    await page.goto(`${envcat.url}/#/environments/${READY}`);
    await visible(page.locator('main h1 .badge', { hasText: 'Ready' }));
    await visible(page.locator('.plan-graph svg'));
    await visible(page.locator('article.resource'));
    await visible(page.getByRole('list', { name: 'Changes, newest first' }));
    await visible(page.getByRole('region', { name: 'Commits' }).getByRole('row').nth(1));
    await visible(page.getByRole('button', { name: 'Upgrade app' }));
    await fitsThePhone('environment-ready', [
      page.getByRole('link', { name: 'Edit' }),
      page.getByRole('button', { name: 'Delete' }),
      page.getByRole('button', { name: 'Upgrade app' }),
      page.getByRole('button', { name: 'Extend', exact: true }),
      page.getByRole('button', { name: 'Refresh' }),
    ]);

    await page.getByRole('button', { name: 'Upgrade app' }).tap();
    const panel = await visible(page.getByRole('region', { name: 'Upgrade app' }));
    await visible(panel.getByRole('list', { name: 'Version changes' }));
    const diff = panel.locator('details.file').first();
    await diff.locator('summary').tap();
    await fitsThePhone('environment-upgrade', [
      panel.getByLabel('Version', { exact: true }),
      panel.getByRole('button', { name: 'Cancel' }),
      panel.getByRole('button', { name: 'Confirm upgrade' }),
    ]);
    await panel.getByRole('button', { name: 'Cancel' }).tap();

    await page.getByRole('button', { name: 'Delete' }).tap();
    const dialog = await visible(page.getByRole('dialog', { name: `Delete ${READY}?` }));
    await fitsThePhone('environment-delete-dialog', [
      dialog.getByLabel(`Type ${READY} to confirm`),
      dialog.getByRole('button', { name: 'Cancel' }),
      dialog.getByRole('button', { name: 'Delete environment' }),
    ]);
    await dialog.getByRole('button', { name: 'Cancel' }).tap();
  });

  it('edit, step by step, to Apply', async () => {
    await page.goto(`${envcat.url}/#/environments/${READY}/edit`);
    await visible(step('Details'));
    await fitsThePhone('edit-details', [page.getByRole('button', { name: 'Next: Entries' })]);
    await page.getByRole('button', { name: 'Next: Entries' }).tap();
    await visible(step('Entries'));
    await fitsThePhone('edit-entries', [page.getByRole('button', { name: 'Next: Parameters' })]);
    await page.getByRole('button', { name: 'Next: Parameters' }).tap();
    await visible(step('Parameters'));
    const app = page.getByRole('region', { name: /^app ·/ });
    await app.getByLabel('Replicas', { exact: true }).fill('3');
    await fitsThePhone('edit-parameters', [page.getByRole('button', { name: 'Next: Review' })]);
    await page.getByRole('button', { name: 'Next: Review' }).tap();
    await visible(step('Review'));
    const apply = page.getByRole('button', { name: 'Apply changes' });
    await eventually('the dry run to allow Apply', async () => expect(await apply.isEnabled()).toBe(true));
    await fitsThePhone('edit-review', [apply]);
  });

  it('an unknown address', async () => {
    await page.goto(`${envcat.url}/#/no/such/page`);
    await visible(heading(/not found/i));
    await fitsThePhone('not-found', [
      page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Environments' }),
    ]);
  });
});
