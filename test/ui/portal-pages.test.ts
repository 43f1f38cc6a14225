/**
 * The portal's pages as people use them, in Debian's chromium against the whole of envcat in this
 * process (the embedded default: bare repos, the simulated cluster, the engine, the API serving
 * the built UI): the sign-in hint and the API docs link, a catalog entry's own page at desktop and
 * phone widths with every version, live updates that never read "unavailable" on a normal run,
 * the commit a synced application names, a ttl's countdown, its last-hour warning and Extend, and
 * a deletion whose stages only move forward.
 */
import { jest } from '@jest/globals';
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { CATALOGS, REPO_ROOT } from '../support/examples.js';
import {
  exampleText,
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
  eventually,
  fitsWidth,
  record,
  recorded,
  UI_TIMEOUT_MS,
  visible as visibleIn,
} from './browser.js';

const OUT_DIR = join(REPO_ROOT, 'test-results', 'ui-pages');
/** Long enough that each stage of a deletion lasts past a page render. */
const SIMULATOR_DELAY = '600ms';
const DELETION_STAGES = ['Removing applications', 'Destroying infrastructure', 'Removing secrets and files'];

jest.setTimeout(240_000);

const visible = (locator: Parameters<typeof visibleIn>[0]) => visibleIn(locator, OUT_DIR);

interface View {
  status: {
    phase: string;
    message: string;
    steps: Array<{ instance: string; part: string; phase: string; message: string }>;
    commits: Array<{ repo: string; sha: string; message: string }>;
  };
}

async function createFromExample(
  envcat: TestEnvcat,
  args: { entry: string; file: string; name: string; ttl?: string },
): Promise<void> {
  const document = parse(await exampleText(args.entry, args.file));
  (document.metadata as Record<string, unknown>).name = args.name;
  const spec = document.spec as Record<string, unknown>;
  spec.namespace = args.name;
  delete spec.owner;
  if (args.ttl) spec.ttl = args.ttl;
  const created = await envcat.api('POST', '/api/v1/environments', document);
  if (created.status !== 201) throw new Error(`create ${args.name}: ${created.status} ${created.text}`);
}

async function viewOf(envcat: TestEnvcat, name: string): Promise<View> {
  const response = await envcat.api<View>('GET', `/api/v1/environments/${name}`);
  if (response.status !== 200) throw new Error(`GET ${name}: ${response.status} ${response.text}`);
  return response.body;
}

async function readyOf(envcat: TestEnvcat, name: string): Promise<View> {
  return waitFor(
    `${name} to be Ready`,
    async () => {
      const view = await viewOf(envcat, name);
      if (view.status.phase === 'Failed') throw new Error(`${name} failed: ${view.status.message}`);
      return view.status.phase === 'Ready' ? view : undefined;
    },
    { timeoutMs: 60_000, intervalMs: 200 },
  );
}

/** rds-postgres at `version`, its Storage default changed, as a platform team would publish it. */
async function rdsPostgresFiles(version: string): Promise<Array<{ path: string; content: string }>> {
  const dir = join(CATALOGS, 'rds-postgres');
  const catalog = (await readFile(join(dir, 'catalog.yaml'), 'utf8'))
    .replace(/^ {2}version: .*$/m, `  version: ${version}`)
    .replace(/(allocatedStorage:[\s\S]*?default: )20\b/, '$150');
  const terraform = await readdir(join(dir, 'terraform'));
  return [
    { path: 'catalog.yaml', content: catalog },
    ...(await Promise.all(
      terraform.map(async (file) => ({
        path: `terraform/${file}`,
        content: await readFile(join(dir, 'terraform', file), 'utf8'),
      })),
    )),
  ];
}

describeInBrowser('the portal’s pages in a browser', 'test/ui/portal-pages.test.ts', () => {
  let envcat: TestEnvcat;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    await rm(OUT_DIR, { recursive: true, force: true });
    await mkdir(OUT_DIR, { recursive: true });
    const uiDir = await buildUi();
    envcat = await startTestEnvcat({ uiDir, env: { ENVCAT_SIMULATOR_DELAY: SIMULATOR_DELAY } });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    page.setDefaultTimeout(UI_TIMEOUT_MS);
    page.on('pageerror', (error) => pageErrors.push(error.message));
  });

  afterAll(async () => {
    await browser?.close();
    await envcat?.close();
  });

  afterEach(() => expect(pageErrors).toEqual([]));

  const heading = (name: string | RegExp) => page.getByRole('heading', { level: 1, name });
  const shot = (name: string) => page.screenshot({ path: join(OUT_DIR, `${name}.png`), fullPage: true });

  it('says at sign-in which tokens and roles there are, and links the API docs the server serves', async () => {
    await page.goto(`${envcat.url}/`);
    await visible(heading('Sign in'));
    const hint = await visible(page.locator('.sign-in-hint'));
    const text = (await hint.textContent()) ?? '';
    for (const word of ['platform', 'developer', 'ENVCAT_ADMIN_TOKEN', 'ENVCAT_TOKENS', 'name:role:token'])
      expect(text).toContain(word);

    const docs = await visible(page.getByRole('link', { name: 'REST API reference (OpenAPI)' }));
    const target = new URL((await docs.getAttribute('href')) ?? '', envcat.url).toString();
    const served = await fetch(target);
    expect(served.status).toBe(200);
    expect(await served.text()).toMatch(/swagger/i);
    await shot('01-sign-in');

    await page.getByLabel('API token').fill(TEST_TOKEN);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await visible(heading('Environments'));
    // Signed in, the link is still there.
    await visible(page.getByRole('link', { name: 'REST API reference (OpenAPI)' }));
  });

  it('opens a catalog entry full width on its own route, with every version, at 1280 and 390 px', async () => {
    // GIVEN a second version of rds-postgres, with another Storage default
    const published = await envcat.api('POST', '/api/v1/catalogs', {
      files: await rdsPostgresFiles('1.1.0'),
    });
    expect(published.status).toBe(201);

    // WHEN Details is chosen in the catalog
    await page.goto(`${envcat.url}/#/catalog`);
    await visible(heading('Catalog'));
    await page.getByRole('link', { name: 'Details of PostgreSQL (RDS)', exact: true }).click();

    // THEN it opens on its own route, as wide as the page, the newest version first
    await visible(heading(/PostgreSQL \(RDS\)/));
    expect(page.url()).toMatch(/#\/catalog\/rds-postgres$/);
    const version = page.getByLabel('Version');
    expect(await version.locator('option').allTextContents()).toEqual(['1.1.0 (latest)', '1.0.0']);
    const parameters = page.getByRole('region', { name: 'Parameters of 1.1.0' });
    const storage = parameters.getByRole('row', { name: /^allocatedStorage/ });
    expect((await storage.locator('[data-label="Default"]').textContent())?.trim()).toBe('50');
    const table = (await parameters.locator('table').boundingBox())!;
    const main = (await page.locator('main').boundingBox())!;
    expect(table.width).toBeGreaterThan(main.width * 0.85);
    await fitsWidth(page);
    // Each description is on screen, not cut off to the right.
    for (const cell of await parameters.locator('[data-label="Description"]').all()) {
      const box = (await cell.boundingBox())!;
      expect(box.x + box.width).toBeLessThanOrEqual(1280);
    }
    await shot('02-entry-1280');

    // WHEN an older version is picked THEN its own parameters are shown
    await version.selectOption('1.0.0');
    const older = await visible(page.getByRole('region', { name: 'Parameters of 1.0.0' }));
    const olderStorage = older.getByRole('row', { name: /^allocatedStorage/ });
    expect((await olderStorage.locator('[data-label="Default"]').textContent())?.trim()).toBe('20');
    await visible(
      page.getByRole('region', { name: 'Outputs of 1.0.0' }).getByText('endpoint', { exact: true }),
    );

    // At 390 px: a deep link opens the entry at its heading, and nothing is wider than the screen.
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${envcat.url}/#/catalog`);
    await visible(heading('Catalog'));
    // From a card at the bottom of the list, the entry's page starts at its heading, not mid-page.
    const last = page.getByRole('link', { name: /^Details of / }).last();
    await last.scrollIntoViewIfNeeded();
    const title = ((await last.getAttribute('aria-label')) ?? '').replace(/^Details of /, '');
    await last.click();
    const lastHeading = await visible(heading(title));
    await eventually('the heading to be in view', async () => {
      const box = (await lastHeading.boundingBox())!;
      expect(box.y).toBeGreaterThanOrEqual(-1);
      expect(box.y).toBeLessThan(844);
    });

    await page.goto(`${envcat.url}/#/catalog/rds-postgres`);
    await page.reload();
    await visible(heading(/PostgreSQL \(RDS\)/));
    await visible(page.getByRole('region', { name: 'Parameters of 1.1.0' }));
    await fitsWidth(page);
    await shot('02-entry-390');
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  it('never says live updates are unavailable on a normal create→Ready run', async () => {
    // GIVEN the page is open before the environment exists, as after the wizard's Create
    await page.goto(`${envcat.url}/#/environments`);
    await visible(heading('Environments'));
    await record(page, 'stream', 'p.stream');
    await record(page, 'phase', 'main h1 .badge');
    await createFromExample(envcat, { entry: 'sample-app', file: 'standalone.yaml', name: 'ui-live' });
    await page.evaluate(() => (window.location.hash = '#/environments/ui-live'));

    // WHEN it is followed to Ready
    await visible(page.locator('main h1 .badge', { hasText: 'Ready' }));

    // THEN the stream state went from connecting to live, and never read "unavailable"
    const states = await recorded(page, 'stream');
    expect(states.some((s) => /unavailable/i.test(s))).toBe(false);
    expect(states.at(-1)).toBe('Live');
    expect(await recorded(page, 'phase')).toContain('Ready');
  });

  it('counts the ttl down, warns in its last hour, and Extend keeps the environment 48h from now', async () => {
    // GIVEN an environment whose ttl has less than an hour left
    await createFromExample(envcat, {
      entry: 'sample-app',
      file: 'standalone.yaml',
      name: 'ui-ttl',
      ttl: '50m',
    });
    await readyOf(envcat, 'ui-ttl');

    // WHEN the list is open: its row counts down, to the second, marked as a warning
    await page.evaluate(() => (window.location.hash = '#/environments'));
    const row = page.getByRole('row', { name: /ui-ttl/ });
    const listed = await visible(
      row.locator('.expiry.expiry-warning', { hasText: /^expires in 4\dm\d\ds$/ }),
    );
    const first = await listed.textContent();
    await eventually('the countdown to tick', async () => expect(await listed.textContent()).not.toBe(first));

    // AND on its page, the warning says an hour is not left
    await page.evaluate(() => (window.location.hash = '#/environments/ui-ttl'));
    await visible(heading(/ui-ttl/));
    await visible(page.getByRole('alert').filter({ hasText: 'Less than an hour left' }));
    await visible(page.locator('.facts .expiry-warning', { hasText: /^expires in 4\dm\d\ds$/ }));
    await shot('ttl-warning');

    // WHEN it is extended by 48h
    await page.getByLabel('Keep for').fill('48h');
    await page.getByRole('button', { name: 'Extend', exact: true }).click();

    // THEN it counts down from 2d, the warning is gone, and Git holds the ttl from its creation
    await visible(page.locator('.facts .expiry:not(.expiry-warning)', { hasText: 'expires in 2d' }));
    await eventually('the warning to go', async () =>
      expect(await page.getByRole('alert').filter({ hasText: 'Less than an hour left' }).count()).toBe(0),
    );
    const view = await envcat.api<{ spec: { ttl: string }; status: { expiresAt: string } }>(
      'GET',
      '/api/v1/environments/ui-ttl',
    );
    expect(view.body.spec.ttl).toMatch(/^2d(\d+m)?$/);
    expect(Date.parse(view.body.status.expiresAt) - Date.now()).toBeGreaterThan(47.9 * 3_600_000);
    await shot('ttl-extended');
  });

  it('names each environment’s own commit as the one its application synced', async () => {
    // GIVEN two environments, the second created after the first was Ready: its commits move the
    // shared apps repo's head, which Argo CD then syncs the first one's Application at
    await readyOf(envcat, 'ui-live');
    await createFromExample(envcat, { entry: 'sample-app', file: 'standalone.yaml', name: 'ui-other' });
    const other = await readyOf(envcat, 'ui-other');
    const otherApps = other.status.commits.filter((c) => c.repo === 'apps').map((c) => c.sha);
    // Argo CD, refreshed, compares the first Application at the head: the second one's commit.
    const applications = await envcat.cluster.list({
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Application',
    });
    const first = applications.find((a) => a.metadata.name?.startsWith('ui-live-'));
    expect(first).toBeDefined();
    const ref = {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Application',
      name: first!.metadata.name!,
      ...(first!.metadata.namespace ? { namespace: first!.metadata.namespace } : {}),
    };
    await envcat.cluster.mergePatch(ref, {
      metadata: { annotations: { 'argocd.argoproj.io/refresh': 'normal' } },
    });
    await waitFor(
      'the first Application to be synced at the second environment’s commit',
      async () => {
        const live = await envcat.cluster.get(ref);
        const revision = (live?.status as { sync?: { revision?: string } } | undefined)?.sync?.revision;
        return revision !== undefined && otherApps.includes(revision);
      },
      { timeoutMs: 30_000, intervalMs: 200 },
    );

    // WHEN each one's page is shown THEN its application step names a commit of its own
    for (const name of ['ui-live', 'ui-other']) {
      await page.goto(`${envcat.url}/#/environments/${name}`);
      await visible(page.locator('main h1 .badge', { hasText: 'Ready' }));
      const own = (await viewOf(envcat, name)).status.commits.filter((c) => c.repo === 'apps');
      const row = page.getByRole('region', { name: 'Steps' }).getByRole('row', { name: /^web\b/ });
      let short = '';
      await eventually(`${name}'s step to name a commit`, async () => {
        short = /synced at ([0-9a-f]{12})/.exec((await row.textContent()) ?? '')?.[1] ?? '';
        expect(short).not.toBe('');
      });
      expect(own.map((c) => c.sha.slice(0, 12))).toContain(short);
      if (name === 'ui-live') expect(otherApps.map((c) => c.slice(0, 12))).not.toContain(short);
      // The Commits table lists that commit.
      await visible(page.getByRole('region', { name: 'Commits' }).locator(`abbr[title^="${short}"]`));
    }
  });

  it('deletes a hybrid environment with stages that only move forward, in deletion’s own words', async () => {
    // GIVEN a Ready hybrid environment (its infrastructure and its application), open in the portal
    await createFromExample(envcat, {
      entry: 'postgres-with-pgadmin',
      file: 'basic.yaml',
      name: 'ui-hybrid',
    });
    await readyOf(envcat, 'ui-hybrid');
    await page.goto(`${envcat.url}/#/environments/ui-hybrid`);
    await visible(page.locator('main h1 .badge', { hasText: 'Ready' }));
    await record(page, 'stage', 'ol[aria-label="Deletion progress"] [aria-current="step"] .timeline-label');
    await record(page, 'steps', 'section[aria-labelledby="steps-title"] tbody tr');
    await record(page, 'outputs', 'section[aria-labelledby="outputs-title"] p.muted');

    // WHEN it is deleted
    await page.getByRole('button', { name: 'Delete' }).click();
    const dialog = await visible(page.getByRole('dialog', { name: 'Delete ui-hybrid?' }));
    await dialog.getByLabel('Type ui-hybrid to confirm').fill('ui-hybrid');
    await dialog.getByRole('button', { name: 'Delete environment' }).click();
    await visible(page.getByRole('list', { name: 'Deletion progress' }));
    await shot('05-deleting');
    await visible(page.getByText('was deleted'));

    // THEN every stage shown was at or after the one before it, and more than one was seen
    const stages = await recorded(page, 'stage');
    const order = stages.map((s) => DELETION_STAGES.indexOf(s));
    expect(order).not.toContain(-1);
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(new Set(order).size).toBeGreaterThanOrEqual(2);
    // AND the steps and outputs spoke of deletion, not of provisioning
    const steps = await recorded(page, 'steps');
    expect(steps.filter((s) => /waiting for the infrastructure/.test(s))).toEqual([]);
    expect(steps.some((s) => /Removed|Deleting/.test(s))).toBe(true);
    const outputs = await recorded(page, 'outputs');
    expect(outputs.filter((s) => /appear as the infrastructure becomes available/.test(s))).toEqual([]);
  });
});
