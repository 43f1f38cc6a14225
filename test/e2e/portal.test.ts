/**
 * The web portal end to end, in a real browser (issue 5): Debian's chromium driven by
 * playwright-core against the whole of envcat in this process (real bare repos, the simulated
 * cluster over HTTP, the engine, the REST API serving the built UI). Everything is done through the
 * UI as a user would; the repos, the cluster and the API are read only to check what the UI says.
 * Screenshots of each major step go to test-results/e2e/.
 */
import { jest } from '@jest/globals';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import { parseYamlDocument, toYaml } from '../../src/core/index.js';
import { GitRepo } from '../../src/gitops/index.js';
import { isAbout } from '../support/change-sets.js';
import {
  commits,
  exampleText,
  fullHistory,
  git,
  parse,
  startTestEnvcat,
  TEST_TOKEN,
  waitFor,
  type TestEnvcat,
} from '../support/envcat.js';
import { REPO_ROOT } from '../support/examples.js';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
const OUT_DIR = join(REPO_ROOT, 'test-results', 'e2e');
const NAME = 'dev-feature-auth';
/** A fake Datadog key, unique to this run so "never shown" checks look for something specific. */
const API_KEY = randomBytes(16).toString('hex');
/** Long enough that every phase lasts past a page render, so the timeline is seen advancing. */
const SIMULATOR_DELAY = '700ms';
const UI_TIMEOUT_MS = 20_000;
/** The built-in entries (catalogs/<name>/catalog.yaml) by name, with the titles the portal shows. */
const TITLES = {
  'rds-postgres': 'PostgreSQL (RDS)',
  's3-bucket': 'Object storage (S3 bucket)',
  vpc: 'Network (AWS VPC)',
  'datadog-agent': 'Monitoring (Datadog Agent)',
  'sample-app': 'Sample web application (podinfo)',
  'postgres-with-pgadmin': 'PostgreSQL (RDS) with pgAdmin',
} as const;

jest.setTimeout(120_000);

const browserAvailable = existsSync(CHROMIUM);
const inCi = process.env.CI === 'true';

if (!browserAvailable && inCi) {
  describe('web portal in a browser', () => {
    it('needs Debian chromium at /usr/bin/chromium (.ci/run installs it)', () => {
      throw new Error(`${CHROMIUM} is missing: CI must install Debian's chromium before the tests`);
    });
  });
} else if (!browserAvailable) {
  console.warn(
    `SKIPPED test/e2e/portal.test.ts: ${CHROMIUM} is missing. Install it with \`apt-get install -y chromium\` to run the browser tests.`,
  );
  describe.skip('web portal in a browser', portalSuite);
} else {
  describe('web portal in a browser', portalSuite);
}

/** Retries `check` (jest expectations) until it passes, failing with its last error after the timeout. */
async function eventually(what: string, check: () => Promise<void> | void, timeoutMs = UI_TIMEOUT_MS) {
  await waitFor(
    what,
    async () => {
      await check();
      return true;
    },
    { timeoutMs, intervalMs: 50 },
  );
}

let failureShots = 0;

/** Waits for `locator` to be visible; when it never is, keeps a screenshot of what the page showed instead. */
async function visible(locator: Locator): Promise<Locator> {
  try {
    await locator.waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
  } catch (error) {
    const path = join(OUT_DIR, `failure-${++failureShots}.png`);
    await locator
      .page()
      .screenshot({ path, fullPage: true })
      .catch(() => undefined);
    throw new Error(`${(error as Error).message}\n(the page at that moment: ${path})`, { cause: error });
  }
  return locator;
}

/** `ensureUiBuilt` in a child process (see build-ui.ts for why); fast when dist/ui is up to date. */
async function buildUi(): Promise<string> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--import', 'tsx', join(REPO_ROOT, 'test', 'e2e', 'build-ui.ts')],
    { cwd: REPO_ROOT, timeout: 120_000 },
  );
  const { dir } = JSON.parse(stdout) as { dir: string | null };
  if (!dir) throw new Error('the web UI could not be built: src/ui is missing and dist/ui was never built');
  return dir;
}

async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(OUT_DIR, `${name}.png`), fullPage: true });
}

async function treeOf(envcat: TestEnvcat, repo: 'platform' | 'apps'): Promise<string[]> {
  const out = await git(envcat.repoUrls[repo], ['ls-tree', '-r', '--name-only', 'main']).catch(() => '');
  return out.split('\n').filter(Boolean);
}

function touching<T extends { files: string[] }>(log: T[], name: string): T[] {
  return log.filter((c) => c.files.some((f) => f.startsWith(`environments/${name}/`)));
}

async function phaseOf(envcat: TestEnvcat, name: string): Promise<string | undefined> {
  const response = await envcat.api<{ status: { phase: string; message: string } }>(
    'GET',
    `/api/v1/environments/${name}`,
  );
  if (response.status !== 200) return undefined;
  if (response.body.status.phase === 'Failed')
    throw new Error(`${name} failed: ${response.body.status.message}`);
  return response.body.status.phase;
}

/** Installs, in the page, a record of every phase badge and current timeline step shown, and a reload marker. */
async function recordTimeline(page: Page): Promise<void> {
  await page.evaluate(() => {
    const w = window as unknown as { envcatSeen: string[]; envcatMarker: boolean };
    w.envcatSeen = [];
    w.envcatMarker = true;
    const note = () => {
      const badge = document.querySelector('main h1 .badge')?.textContent?.trim();
      const current = document
        .querySelector('ol[aria-label="Phases"] [aria-current="step"] .timeline-label')
        ?.textContent?.trim();
      const entry = badge ? `${badge}|${current ?? ''}` : undefined;
      if (entry && w.envcatSeen.at(-1) !== entry) w.envcatSeen.push(entry);
    };
    new MutationObserver(note).observe(document.body, {
      subtree: true,
      childList: true,
      characterData: true,
    });
  });
}

/** Tabs from the top of the page (the skip link) until `link` in the main navigation has the focus. */
async function tabTo(page: Page, link: Locator): Promise<void> {
  await page.getByRole('link', { name: 'Skip to content' }).focus();
  for (let presses = 0; presses < 12; presses++) {
    if (await link.evaluate((element) => element === document.activeElement)) return;
    await page.keyboard.press('Tab');
  }
  throw new Error('the navigation link was not reached with the Tab key');
}

async function noHorizontalOverflow(page: Page): Promise<void> {
  const widths = await page.evaluate(() => ({
    scroll: document.documentElement.scrollWidth,
    viewport: window.innerWidth,
  }));
  expect(widths.viewport).toBe(375);
  expect(widths.scroll).toBeLessThanOrEqual(375);
}

/** No table is wider than its box (CamelCase reasons and long messages wrap instead). */
async function tablesFit(page: Page): Promise<void> {
  const overflowing = await page
    .locator('main .table-wrap')
    .evaluateAll((wraps) =>
      wraps.filter((w) => w.scrollWidth > w.clientWidth).map((w) => w.querySelector('caption')?.textContent),
    );
  expect(overflowing).toEqual([]);
}

function portalSuite() {
  let envcat: TestEnvcat;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    // Only this file's own screenshots: others (the plan graph's, test/ui/phone-pages') share the
    // folder and may be writing to it at this moment.
    await mkdir(OUT_DIR, { recursive: true });
    for (const file of await readdir(OUT_DIR))
      if (/^(\d\d-[\w-]+|failure-\d+)\.png$/.test(file)) await rm(join(OUT_DIR, file), { force: true });
    const uiDir = await buildUi();
    envcat = await startTestEnvcat({ uiDir, env: { ENVCAT_SIMULATOR_DELAY: SIMULATOR_DELAY } });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    page.setDefaultTimeout(UI_TIMEOUT_MS);
    page.on('pageerror', (error) => pageErrors.push(error.message));
  });

  afterAll(async () => {
    await browser?.close();
    await envcat?.close();
  });

  const banner = () => page.getByRole('note', { name: 'Simulated cluster' });
  const nav = () => page.getByRole('navigation', { name: 'Main' });
  const heading = (name: string | RegExp) => page.getByRole('heading', { level: 1, name });
  const wizardStep = (name: string) => page.locator('.wizard-body h2', { hasText: name });

  it('1. signs in with the admin token, under the simulated-cluster banner', async () => {
    await page.goto(`${envcat.url}/`);
    await visible(banner());
    await visible(heading('Sign in'));
    await page.getByLabel('API token').fill(TEST_TOKEN);
    await page.getByRole('button', { name: 'Sign in' }).click();

    await visible(heading('Environments'));
    await visible(banner());
    const user = await visible(page.getByRole('banner').getByText(/Signed in as admin/));
    expect(await user.textContent()).toMatch(/^Signed in as admin \(role platform\)$/);
    await screenshot(page, '01-signed-in');
  });

  it('2. lists the six catalog entries, filters by type and searches by text', async () => {
    await nav().getByRole('link', { name: 'Catalog' }).click();
    await visible(heading('Catalog'));
    await visible(banner());
    const details = page.getByRole('link', { name: /^Details of / });
    const shown = async () =>
      (await details.evaluateAll((links) => links.map((l) => l.getAttribute('aria-label') ?? ''))).map((l) =>
        l.replace(/^Details of /, ''),
      );
    await visible(page.getByText('6 entries', { exact: true }));
    expect((await shown()).sort()).toEqual([...Object.values(TITLES)].sort());
    await screenshot(page, '02-catalog');

    await page.getByLabel('Type').selectOption({ label: 'IaC' });
    await visible(page.getByText('3 of 6 entries'));
    expect((await shown()).sort()).toEqual([TITLES.vpc, TITLES['s3-bucket'], TITLES['rds-postgres']].sort());
    await screenshot(page, '02-catalog-iac');

    await page.getByLabel('Search').fill('postgres');
    await visible(page.getByText('1 of 6 entries'));
    expect(await shown()).toEqual([TITLES['rds-postgres']]);

    await page.getByLabel('Type').selectOption({ label: 'All types' });
    await visible(page.getByText('2 of 6 entries'));
    expect(await shown()).toEqual([TITLES['rds-postgres'], TITLES['postgres-with-pgadmin']]);
    await screenshot(page, '02-catalog-search');
  });

  let platformCommitsBefore = 0;

  it('3. fills in the wizard: details, three entries, parameters with a masked secret and an output reference', async () => {
    // Another environment holds a namespace the wizard will try to take (step 4).
    const other = parse(await exampleText('s3-bucket', 'basic.yaml'));
    (other.metadata as { name: string }).name = 'team-shared';
    const otherSpec = other.spec as Record<string, unknown>;
    otherSpec.namespace = 'team-shared';
    delete otherSpec.owner;
    const created = await envcat.api('POST', '/api/v1/environments', other);
    expect(created.status).toBe(201);

    await nav().getByRole('link', { name: 'New environment' }).click();
    await visible(heading('New environment'));
    await visible(banner());

    // Details: the namespace follows the name.
    await page.getByLabel('Environment name').fill(NAME);
    expect(await page.getByLabel('Namespace').inputValue()).toBe(NAME);
    await page.getByLabel('Type').selectOption('pre-release');
    await page.getByLabel('Time to live').fill('24h');
    await page.getByLabel('Description').fill('Auth feature work');
    await screenshot(page, '03-wizard-details');
    await page.getByRole('button', { name: 'Next: Entries' }).click();

    // Entries: db, monitoring, app.
    await visible(wizardStep('Entries'));
    const entries: Array<[string, string]> = [
      [TITLES['rds-postgres'], 'db'],
      [TITLES['datadog-agent'], 'monitoring'],
      [TITLES['sample-app'], 'app'],
    ];
    for (const [title, instance] of entries) {
      await page.getByRole('button', { name: `Add ${title}`, exact: true }).click();
      const group = page.getByRole('group', {
        name: new RegExp(`^${title.replace(/[()]/g, '\\$&')}(\\s|$)`),
      });
      await group.getByLabel('Instance name').fill(instance);
    }
    await screenshot(page, '03-wizard-entries');
    await page.getByRole('button', { name: 'Next: Parameters' }).click();

    // Parameters.
    await visible(wizardStep('Parameters'));
    const db = page.getByRole('region', { name: /^db ·/ });
    const monitoring = page.getByRole('region', { name: /^monitoring ·/ });
    const app = page.getByRole('region', { name: /^app ·/ });
    await (await visible(db.getByLabel('Database name', { exact: true }))).fill('feature_auth_db');
    // Defaults are filled in (rjsf's selects carry option indexes as values: read the label).
    const instanceClass = db.getByLabel('Instance class', { exact: true });
    expect(await instanceClass.evaluate((s: HTMLSelectElement) => s.selectedOptions[0]?.textContent)).toBe(
      'db.t3.micro',
    );
    expect(await db.getByLabel('Storage (GiB)', { exact: true }).inputValue()).toBe('20');

    const apiKey = await visible(monitoring.getByLabel('API key', { exact: true }));
    expect(await apiKey.getAttribute('type')).toBe('password');
    await apiKey.fill(API_KEY);
    await monitoring.getByLabel('Cluster name', { exact: true }).fill(NAME);

    await app.getByLabel('Replicas', { exact: true }).fill('2');
    await app.getByRole('button', { name: 'Use an output for Database host' }).click();
    await app.getByLabel('Output for Database host').selectOption('db.endpoint');
    await app.getByRole('button', { name: 'Use output' }).click();
    await visible(app.getByRole('button', { name: 'Use a value instead of db.endpoint' }));
    expect(await app.getByRole('textbox', { name: 'Database host', exact: true }).count()).toBe(0);
    await screenshot(page, '03-wizard-parameters');
  });

  it('4. blocks Next on a client-side error, and shows the server’s errors at their field with nothing committed', async () => {
    // A value the form itself rejects: Next stays on Parameters.
    const db = page.getByRole('region', { name: /^db ·/ });
    const storage = db.getByLabel('Storage (GiB)', { exact: true });
    await storage.fill('5');
    await visible(db.getByText('must be at least 20'));
    await page.getByRole('button', { name: 'Next: Review' }).click();
    await visible(wizardStep('Parameters'));
    expect(await wizardStep('Review').count()).toBe(0);
    await screenshot(page, '04-client-error');
    await storage.fill('20');
    await eventually('the storage error to go', async () => {
      expect(await db.getByText('must be at least 20').count()).toBe(0);
    });

    // The other environment is provisioned, so the platform repo only moves if this wizard writes.
    await waitFor('team-shared to be Ready', async () =>
      (await phaseOf(envcat, 'team-shared')) === 'Ready' ? true : undefined,
    );
    const before = await commits(envcat.repoUrls.platform);
    platformCommitsBefore = before.length;

    // A reserved namespace: step 1 asks the server while the user types, and says so at the field.
    await page.getByRole('button', { name: 'Step 1: Details' }).click();
    await visible(wizardStep('Details'));
    await page.getByLabel('Namespace').fill('kube-system');
    const namespaceField = page.locator('.field', { has: page.getByLabel('Namespace') });
    await visible(namespaceField.getByText('namespace "kube-system" is reserved'));
    expect(await page.getByLabel('Namespace').getAttribute('aria-invalid')).toBe('true');
    // Jumping ahead checks the steps in between: it stays at Details.
    await page.getByRole('button', { name: 'Step 4: Review' }).click();
    await visible(wizardStep('Details'));
    expect(await wizardStep('Parameters').count()).toBe(0);
    await screenshot(page, '04-server-error-reserved');

    // A namespace another environment holds: "taken", at the field, before leaving step 1.
    await page.getByLabel('Namespace').fill('team-shared');
    await visible(namespaceField.getByText('the namespace "team-shared" is already taken'));
    await page.getByRole('button', { name: 'Next: Entries' }).click();
    await visible(wizardStep('Details'));
    expect(await wizardStep('Entries').count()).toBe(0);
    await screenshot(page, '04-server-error-conflict');

    const after = await commits(envcat.repoUrls.platform);
    expect(after).toHaveLength(platformCommitsBefore);
    expect(touching(after, NAME)).toEqual([]);
    expect(touching(await commits(envcat.repoUrls.apps), NAME)).toEqual([]);
    for (const namespace of [NAME, 'team-shared'])
      expect(
        await envcat.cluster.get({
          apiVersion: 'v1',
          kind: 'Secret',
          name: `${NAME}-monitoring-params`,
          namespace,
        }),
      ).toBeUndefined();

    // Clearing the namespace lets it follow the name again.
    await page.getByLabel('Namespace').fill('');
    expect(await namespaceField.getByText('is already taken').count()).toBe(0);
  });

  it('5. reviews the plan and files, creates, and follows the environment to Ready live', async () => {
    await page.getByRole('button', { name: 'Next: Entries' }).click();
    await page.getByRole('button', { name: 'Next: Parameters' }).click();
    await page.getByRole('button', { name: 'Next: Review' }).click();
    await visible(wizardStep('Review'));

    // The plan: phase 1 the database, phase 2 monitoring and the app.
    const phase1 = page.locator('.plan-phase', { hasText: 'Phase 1: infrastructure' });
    const phase2 = page.locator('.plan-phase', { hasText: 'Phase 2: applications' });
    await visible(phase1.locator('.chip').first());
    const chips = async (phase: Locator) =>
      (await phase.locator('.chip').allTextContents()).map((t) => t.trim().split('/')[0]);
    expect(await chips(phase1)).toEqual(['db']);
    expect((await chips(phase2)).sort()).toEqual(['app', 'monitoring']);

    // The files per repo.
    const platformFiles = page.getByRole('region', { name: 'Platform repository (infrastructure)' });
    const appsFiles = page.getByRole('region', { name: 'Application repository (Argo CD)' });
    for (const file of ['environment.yaml', 'namespace.yaml', 'infra/db.yaml'])
      await visible(platformFiles.getByText(`environments/${NAME}/${file}`, { exact: true }));
    for (const file of ['apps/monitoring.yaml', 'apps/app.yaml'])
      await visible(appsFiles.getByText(`environments/${NAME}/${file}`, { exact: true }));
    await visible(page.getByText(`environments/${NAME}/apps/app/`).first());
    // The review shows the secret masked, never its value.
    expect(await page.locator('main').textContent()).not.toContain(API_KEY);
    await visible(page.locator('.summary-instance .chip', { hasText: 'db.endpoint' }));
    await screenshot(page, '05-review');

    await recordTimeline(page);
    const create = page.getByRole('button', { name: 'Create environment' });
    await eventually('the plan to be ready', async () => expect(await create.isEnabled()).toBe(true));
    await create.click();

    await visible(heading(new RegExp(NAME)));
    expect(page.url()).toContain(`#/environments/${NAME}`);
    await visible(banner());
    await visible(page.getByRole('status').getByText('Live', { exact: true }));
    await screenshot(page, '05-environment-progressing');
    await tablesFit(page);
    const badge = page.locator('main h1 .badge');
    await eventually(
      'the Ready badge',
      async () => expect((await badge.textContent())?.trim()).toBe('Ready'),
      45_000,
    );

    // The same document all along (no reload), and the timeline moved through both phases.
    const seen = await page.evaluate(() => {
      const w = window as unknown as { envcatSeen: string[]; envcatMarker?: boolean };
      return { seen: w.envcatSeen, marker: w.envcatMarker };
    });
    expect(seen.marker).toBe(true);
    const currents = seen.seen.map((s) => s.split('|')[1]);
    const provisioning = currents.indexOf('Provisioning infrastructure');
    const deploying = currents.indexOf('Deploying applications');
    expect(provisioning).toBeGreaterThanOrEqual(0);
    expect(deploying).toBeGreaterThan(provisioning);
    expect(seen.seen.at(-1)).toMatch(/^Ready\|/);
    const timeline = page.getByRole('list', { name: 'Phases' });
    expect(await timeline.locator('[aria-current="step"]').count()).toBe(0);
    expect(await timeline.locator('.timeline-done').count()).toBe(5);

    // Steps with their state, and the conditions.
    const view = await envcat.api<{
      status: {
        steps: Array<{ instance: string; part: string; phase: string; reason: string }>;
        outputs: Record<string, Record<string, unknown>>;
        conditions: Array<{ type: string; status: string; reason: string }>;
        commits: Array<{ repo: string; sha: string; message: string }>;
      };
    }>('GET', `/api/v1/environments/${NAME}`);
    const stepsTable = page.getByRole('region', { name: 'Steps' });
    for (const step of view.body.status.steps) {
      const row = stepsTable.getByRole('row', { name: new RegExp(`^${step.instance}\\b`) });
      await visible(row.getByText('Ready', { exact: true }));
      if (step.reason) await visible(row.getByText(step.reason, { exact: true }));
    }
    expect(view.body.status.steps.map((s) => `${s.instance}/${s.part}`).sort()).toEqual([
      'app/apps',
      'db/infra',
      'monitoring/apps',
    ]);
    const conditions = page.getByRole('region', { name: 'Conditions' });
    for (const condition of view.body.status.conditions) {
      const row = conditions.getByRole('row', { name: new RegExp(`^${condition.type}\\b`) });
      await visible(row.getByText(condition.status, { exact: true }));
    }
    expect(view.body.status.conditions.find((c) => c.type === 'Ready')?.status).toBe('True');

    // Commits: repo, sha and message of each, as Git has them.
    const gitCommits = [
      ...touching(await commits(envcat.repoUrls.platform), NAME).map((c) => ({ ...c, repo: 'platform' })),
      ...touching(await commits(envcat.repoUrls.apps), NAME).map((c) => ({ ...c, repo: 'apps' })),
    ];
    expect(gitCommits.length).toBeGreaterThanOrEqual(3);
    const commitsTable = page.getByRole('region', { name: 'Commits' });
    for (const commit of gitCommits) {
      const abbr = `abbr[title="${commit.sha}"]`;
      const sha = await visible(commitsTable.locator(abbr));
      expect(await sha.textContent()).toBe(commit.sha.slice(0, 7));
      const row = commitsTable.getByRole('row').filter({ has: page.locator(abbr) });
      // The environment's own change sets: a commit may carry other environments' too
      const own = commit.changeSets.filter((m) => isAbout(NAME, m));
      expect(own).not.toEqual([]);
      await visible(row.getByText(own.join('\n\n'), { exact: true }));
      await visible(row.getByText(commit.repo, { exact: true }));
    }

    // Outputs: the endpoint shown; the sensitive password, which only the connection Secret holds, not.
    const endpoint = view.body.status.outputs.db?.endpoint;
    expect(typeof endpoint).toBe('string');
    const outputs = page.getByRole('region', { name: 'Outputs' });
    await visible(outputs.getByText(endpoint as string, { exact: true }));
    const secret = await envcat.cluster.get({
      apiVersion: 'v1',
      kind: 'Secret',
      name: `${NAME}-db-outputs`,
      namespace: NAME,
    });
    const encoded = (secret?.data as Record<string, string> | undefined)?.password;
    expect(encoded).toBeDefined();
    const password = Buffer.from(encoded as string, 'base64').toString('utf8');
    expect(password.length).toBeGreaterThan(0);
    const shown = (await page.locator('body').textContent()) ?? '';
    expect(shown).not.toContain(password);
    expect(shown).not.toContain(API_KEY);
    expect(await outputs.getByText('password', { exact: true }).count()).toBe(0);
    // The facts: namespace from the name, type, owner, ttl with its expiry, and the age.
    const fact = (term: string) =>
      page
        .locator('.facts > div', { has: page.locator('dt', { hasText: new RegExp(`^${term}$`) }) })
        .locator('dd');
    expect((await fact('Namespace').textContent())?.trim()).toBe(NAME);
    expect((await fact('Type').textContent())?.trim()).toBe('pre-release');
    expect((await fact('Owner').textContent())?.trim()).toBe('admin');
    expect(await fact('TTL').textContent()).toMatch(/^24h\s*expires in 2[34]h/);
    expect((await (await visible(fact('Age'))).textContent())?.trim()).toMatch(/^\d+[smh]/);

    await tablesFit(page);
    await screenshot(page, '05-environment-ready');
  });

  it('6. lists it on the dashboard with state, type, owner, age and ttl', async () => {
    await nav().getByRole('link', { name: 'Environments' }).click();
    await visible(heading('Environments'));
    await visible(banner());
    const row = page.getByRole('row').filter({ has: page.getByRole('link', { name: NAME, exact: true }) });
    await visible(row);
    const cell = (label: string) => row.locator(`[data-label="${label}"]`);
    expect((await cell('State').locator('.badge').textContent())?.trim()).toBe('Ready');
    expect((await cell('Type').textContent())?.trim()).toBe('pre-release');
    expect((await cell('Owner').textContent())?.trim()).toBe('admin');
    await eventually('the age to be known', async () =>
      expect((await cell('Age').textContent())?.trim()).toMatch(/^\d+[smh]/),
    );
    expect(await cell('TTL').textContent()).toMatch(/^24h\s*expires in 2[34]h/);
    await screenshot(page, '06-dashboard');
  });

  // Item 8 runs before item 7: the phone checks need the environment that 7 deletes.
  it('8. fits a phone screen and keeps the main navigation reachable by keyboard', async () => {
    await page.setViewportSize({ width: 375, height: 812 });
    await visible(heading('Environments'));
    await noHorizontalOverflow(page);
    await screenshot(page, '08-phone-dashboard');

    // Keyboard: Tab from the top to "Catalog" in the main navigation, Enter goes there.
    const catalogLink = nav().getByRole('link', { name: 'Catalog' });
    await tabTo(page, catalogLink);
    const box = await catalogLink.boundingBox();
    expect(box && box.x >= 0 && box.x + box.width <= 375).toBe(true);
    await page.keyboard.press('Enter');
    await visible(heading('Catalog'));
    await visible(banner());
    expect(page.url()).toMatch(/#\/catalog$/);
    await noHorizontalOverflow(page);

    // A reload (the link shared or bookmarked) lands on the same page, still signed in.
    await page.goto(`${envcat.url}/#/environments/${NAME}`);
    await page.reload();
    await visible(heading(new RegExp(NAME)));
    await visible(banner());
    await visible(page.getByRole('banner').getByText(/Signed in as admin/));
    await eventually('the detail page to be complete', async () =>
      expect((await page.locator('main h1 .badge').textContent())?.trim()).toBe('Ready'),
    );
    await visible(page.getByRole('region', { name: 'Commits' }));
    await noHorizontalOverflow(page);
    await screenshot(page, '08-phone-environment');

    const environmentsLink = nav().getByRole('link', { name: 'Environments' });
    await tabTo(page, environmentsLink);
    await page.keyboard.press('Enter');
    await visible(heading('Environments'));
    expect(page.url()).toMatch(/#\/environments$/);
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  it('7. deletes it after confirmation: the page says so and both repos lose its files', async () => {
    await page.getByRole('link', { name: NAME, exact: true }).click();
    await visible(heading(new RegExp(NAME)));
    await page.getByRole('button', { name: 'Delete' }).click();
    const dialog = await visible(page.getByRole('dialog', { name: `Delete ${NAME}?` }));
    const confirm = dialog.getByRole('button', { name: 'Delete environment' });
    expect(await confirm.isDisabled()).toBe(true);
    await dialog.getByLabel(`Type ${NAME} to confirm`).fill(NAME);
    await screenshot(page, '07-delete-confirm');
    await confirm.click();

    // Deletion is followed live too, in its own order (apps, infrastructure, files).
    await visible(page.getByRole('list', { name: 'Deletion progress' }));
    await screenshot(page, '07-deleting');
    await visible(page.getByText('was deleted'));
    await visible(banner());
    await screenshot(page, '07-deleted');
    for (const repo of ['platform', 'apps'] as const)
      expect((await treeOf(envcat, repo)).filter((p) => p.startsWith(`environments/${NAME}/`))).toEqual([]);

    await nav().getByRole('link', { name: 'Environments' }).click();
    await visible(page.getByRole('link', { name: 'team-shared', exact: true }));
    expect(await page.getByRole('link', { name: NAME, exact: true }).count()).toBe(0);

    // The secret typed into the form went to a Kubernetes Secret only: never to Git or the logs.
    expect(await fullHistory(envcat.repoUrls.platform)).not.toContain(API_KEY);
    expect(await fullHistory(envcat.repoUrls.apps)).not.toContain(API_KEY);
    expect(envcat.logs()).not.toContain(API_KEY);
    expect(pageErrors).toEqual([]);
  });

  it('9. retries a Failed environment from its page once the cause is fixed', async () => {
    // GIVEN an environment whose app timed out (never ready, 2 s timeout), created through the API
    const name = 'ui-retry';
    const document = parse(await exampleText('sample-app', 'standalone.yaml'));
    (document.metadata as Record<string, unknown>).name = name;
    (document.metadata as Record<string, unknown>).annotations = {
      'simulator.envcat.io/web': '{"neverReady": true}',
    };
    (document.spec as Record<string, unknown>).namespace = name;
    (document.spec as Record<string, unknown>).timeouts = { apps: '2s' };
    expect((await envcat.api('POST', '/api/v1/environments', document)).status).toBe(201);
    await page.goto(`${envcat.url}/#/environments/${name}`);
    await visible(page.locator('main h1 .badge', { hasText: 'Failed' }));
    await visible(page.getByText(/not Ready 2s after its commit or last retry/).first());
    await screenshot(page, '09-failed');

    // …whose cause is then fixed in Git (the control removed)
    const person = new GitRepo({
      name: 'platform',
      url: envcat.repoUrls.platform,
      workdir: join(OUT_DIR, 'person-clone'),
      author: { name: 'A Person', email: 'person@example.test' },
    });
    await person.sync();
    const path = `environments/${name}/environment.yaml`;
    const committed = parseYamlDocument((await person.readTree(path)).get(path)!) as {
      metadata: { annotations?: Record<string, string> };
    };
    delete committed.metadata.annotations;
    await person.commit({ write: [{ path, content: toYaml(committed) }], remove: [], message: 'fix' });
    await person.close();

    // WHEN Retry is clicked, and its answer reaches the page only after the event stream said Ready:
    // the two travel apart, and the answer (the status as the retry was committed) can come last
    await recordTimeline(page);
    let release!: () => void;
    const readyShown = new Promise<void>((resolve) => (release = resolve));
    const retryUrl = `**/api/v1/environments/${name}/retry`;
    await page.route(retryUrl, async (route) => {
      const response = await route.fetch();
      await readyShown;
      await route.fulfill({ response });
    });
    const answered = page.waitForResponse((response) => response.url().endsWith(`/${name}/retry`));
    await page.getByRole('button', { name: 'Retry' }).click();

    // THEN the page follows it to Ready and stays there once the older answer is in; Retry is gone
    await visible(page.locator('main h1 .badge', { hasText: 'Ready' }));
    release();
    await (await answered).finished();
    await page.unroute(retryUrl);
    // The page applies an answer as it arrives: a moment later, whatever it showed since is recorded.
    await page.evaluate(() => new Promise((resolve) => setTimeout(resolve, 250)));
    const seen = await page.evaluate(() => (window as unknown as { envcatSeen: string[] }).envcatSeen);
    expect(seen.at(-1)).toMatch(/^Ready\|/);
    expect(await page.getByRole('button', { name: 'Retry' }).count()).toBe(0);
    await screenshot(page, '09-retried');
    expect(pageErrors).toEqual([]);
  });
}
