/**
 * The portal's lifecycle pages in Debian's chromium against the whole of envcat in this process:
 * editing a running environment (prefilled wizard, the update's diffs, a 409 and its reload, the
 * PUT), publishing an entry as the platform role (checks first, then Confirm), an entry's version
 * states, their diff (schema, and each changed file's content) and who runs them, and an
 * environment's history.
 */
import { jest } from '@jest/globals';
import { cp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { CATALOGS, REPO_ROOT } from '../support/examples.js';
import { exampleText, parse, startTestEnvcat, TEST_TOKEN, type TestEnvcat } from '../support/envcat.js';
import {
  buildUi,
  CHROMIUM,
  CHROMIUM_ARGS,
  describeInBrowser,
  eventually,
  UI_TIMEOUT_MS,
  visible as visibleIn,
} from './browser.js';

const OUT_DIR = join(REPO_ROOT, 'test-results', 'ui-lifecycle');
const DEV_TOKEN = 'dev-token-0123456789abcdef';
const NAME = 'ui-edit';

jest.setTimeout(240_000);

const visible = (locator: Parameters<typeof visibleIn>[0]) => visibleIn(locator, OUT_DIR);

interface View {
  metadata: { resourceVersion?: string };
  spec: {
    description?: string;
    catalogs: Array<{ name: string; entry: string; parameters?: Record<string, unknown> }>;
  };
  status: { phase: string };
}

describeInBrowser('the portal’s lifecycle pages in a browser', 'test/ui/lifecycle-browser.test.ts', () => {
  let envcat: TestEnvcat;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    await rm(OUT_DIR, { recursive: true, force: true });
    await mkdir(OUT_DIR, { recursive: true });
    const uiDir = await buildUi();
    envcat = await startTestEnvcat({ uiDir, env: { ENVCAT_TOKENS: `dana:developer:${DEV_TOKEN}` } });
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
  const shot = (name: string) => page.screenshot({ path: join(OUT_DIR, `${name}.png`), fullPage: true });
  const get = async (): Promise<View> => (await envcat.api<View>('GET', `/api/v1/environments/${NAME}`)).body;

  async function signIn(token: string) {
    await page.goto(`${envcat.url}/`);
    await page.evaluate(() => window.sessionStorage.clear());
    await page.goto(`${envcat.url}/`);
    await page.getByLabel('API token').fill(token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await visible(heading('Environments'));
  }

  it('edits a running environment: prefilled, secrets kept, diffs per file, a 409 reloads, Apply PUTs', async () => {
    // GIVEN a database environment, created with a secret value
    const document = parse(await exampleText('rds-postgres', 'minimal.yaml'));
    (document.metadata as Record<string, unknown>).name = NAME;
    const spec = document.spec as {
      namespace: string;
      catalogs: Array<{ parameters: Record<string, unknown> }>;
    };
    spec.namespace = NAME;
    spec.catalogs[0]!.parameters.masterPassword = 'a-secret-of-16ch';
    expect((await envcat.api('POST', '/api/v1/environments', document)).status).toBe(201);
    await signIn(TEST_TOKEN);

    // WHEN Edit is chosen on its page
    await page.goto(`${envcat.url}/#/environments/${NAME}`);
    await visible(heading(new RegExp(NAME)));
    await page.getByRole('link', { name: 'Edit', exact: true }).click();

    // THEN the wizard opens at its own address, prefilled, the name and namespace fixed
    await visible(heading(`Edit ${NAME}`));
    await eventually('the edit address', () =>
      expect(page.url()).toMatch(/#\/environments\/ui-edit\/edit\/details$/),
    );
    expect(await page.getByLabel('Environment name').inputValue()).toBe(NAME);
    expect(await page.getByLabel('Environment name').getAttribute('readonly')).not.toBeNull();
    expect(await page.getByLabel('Time to live').inputValue()).toBe('24h');

    // The running instance keeps its name and version; another can be added
    await page.getByRole('button', { name: 'Next: Entries' }).click();
    const db = page.getByRole('group', { name: /PostgreSQL/ });
    await expect(db.getByLabel('Version').isDisabled()).resolves.toBe(true);
    await page.getByRole('button', { name: 'Add Sample web application (podinfo)', exact: true }).click();
    await page.getByRole('button', { name: 'Next: Parameters' }).click();

    // The secret is empty, and says that empty keeps it; the other values are as committed
    const dbForm = page.getByRole('region', { name: /^db ·/ });
    const password = dbForm.getByLabel('Master password', { exact: true });
    expect(await password.inputValue()).toBe('');
    await visible(dbForm.getByText('Leave empty to keep the current value', { exact: false }));
    expect(await dbForm.getByLabel('Database name', { exact: true }).inputValue()).toBe('reporting');
    await dbForm.getByLabel('Storage (GiB)', { exact: true }).fill('30');
    await page.getByRole('button', { name: 'Next: Review' }).click();

    // Review: the update's dry run, one diff per file, folded, + and - coloured
    await visible(page.getByText('Adds', { exact: false }).filter({ hasText: 'sample-app' }));
    const platform = page.getByRole('region', {
      name: 'Changes in the Platform repository (infrastructure)',
    });
    const request = platform.locator('summary', { hasText: 'environment.yaml' });
    await visible(request);
    await request.click();
    const diff = await visible(page.getByLabel(/^Diff of .*environment\.yaml$/));
    await visible(diff.locator('.diff-add', { hasText: 'allocatedStorage: 30' }));
    const colour = await diff
      .locator('.diff-add')
      .first()
      .evaluate((e) => getComputedStyle(e).color);
    expect(colour).not.toBe(await diff.evaluate((e) => getComputedStyle(e).color));
    await shot('01-edit-review');

    // WHEN someone else changes it first THEN Apply says so, and Reload starts from theirs
    const theirs = await get();
    theirs.spec.description = 'changed by someone else';
    // A running instance's secret is left out to keep it (GET shows only its reference).
    delete theirs.spec.catalogs[0]!.parameters?.masterPassword;
    const put = await envcat.api('PUT', `/api/v1/environments/${NAME}`, {
      apiVersion: 'envcat.io/v1alpha1',
      kind: 'Environment',
      metadata: { name: NAME, resourceVersion: theirs.metadata.resourceVersion },
      spec: theirs.spec,
    });
    expect([put.status, put.text]).toEqual([200, expect.any(String)]);
    await page.getByRole('button', { name: 'Apply changes' }).click();
    await visible(page.getByRole('alert').getByText('changed since you opened it'));
    await page.getByRole('button', { name: 'Reload the environment' }).click();
    await visible(heading(`Edit ${NAME}`));
    await page
      .getByRole('link', { name: 'Details' })
      .or(page.getByRole('button', { name: /Details/ }))
      .first()
      .click();
    await eventually('the reloaded description', async () =>
      expect(await page.getByLabel('Description').inputValue()).toBe('changed by someone else'),
    );

    // Applied again: the PUT keeps the secret (left out) and the description, adds the instance
    await page.getByRole('button', { name: 'Next: Entries' }).click();
    await page.getByRole('button', { name: 'Add Sample web application (podinfo)', exact: true }).click();
    await page.getByRole('button', { name: 'Next: Parameters' }).click();
    await page.getByRole('region', { name: /^db ·/ }).getByLabel('Storage (GiB)', { exact: true }).fill('30');
    await page.getByRole('button', { name: 'Next: Review' }).click();
    await page.getByRole('button', { name: 'Apply changes' }).click();
    await visible(heading(new RegExp(`^${NAME}`)));
    const after = await get();
    expect(after.spec.description).toBe('changed by someone else');
    expect(after.spec.catalogs.map((c) => c.name)).toEqual(['db', 'sample-app']);
    expect(after.spec.catalogs[0]!.parameters?.allocatedStorage).toBe(30);
    expect(after.spec.catalogs[0]!.parameters?.masterPassword).toEqual({ fromSecret: expect.anything() });
  });

  it('shows the history: each change newest first, with its time, the phases it went through and how long each lasted, and its commits', async () => {
    // Once the update above has been applied
    await eventually(
      'the environment Ready',
      async () => expect((await get()).status.phase).toBe('Ready'),
      60_000,
    );
    await page.goto(`${envcat.url}/#/environments/${NAME}`);
    const history = await visible(page.getByRole('list', { name: 'Changes, newest first' }));
    const titles = await history.locator('> li .history-title strong').allTextContents();
    expect(titles[0]).toMatch(/^Updated/);
    expect(titles.at(-1)).toBe('Created');
    expect(await history.locator('> li').first().locator('time').first().getAttribute('datetime')).toMatch(
      /^\d{4}-\d\d-\d\dT/,
    );
    // The phases of each change, as the API derives them: the latest ends Ready "since" a time…
    const view = (
      await envcat.api<{
        status: {
          phase: string;
          history: Array<{ title: string; phases: Array<{ phase: string; seconds?: number }> }>;
        };
      }>('GET', `/api/v1/environments/${NAME}`)
    ).body.status;
    expect(view.phase).toBe('Ready');
    const latest = history.getByRole('list', { name: `Phases of ${view.history[0]!.title}` });
    await visible(latest);
    const items = await latest.locator('> li').allTextContents();
    expect(items).toHaveLength(view.history[0]!.phases.length);
    expect(items.at(-1)).toMatch(/^Ready since \d/);
    // …each earlier phase with its duration, as the API gives it
    for (const [i, span] of view.history[0]!.phases.slice(0, -1).entries())
      expect(items[i]).toMatch(new RegExp(`\\b${span.seconds}s$`));
    // …and the create began Creating, with how long it lasted
    const created = await visible(history.getByRole('list', { name: 'Phases of Created' }));
    expect(await created.locator('> li').first().textContent()).toMatch(/^Creating \d+s$/);
    await shot('02-history');
  });

  it('publishes an entry as the platform role, after every check, and hides the page from developers', async () => {
    // GIVEN sample-app 1.1.0 with another replicas default and a label more on its Service
    const catalog = (await readFile(join(CATALOGS, 'sample-app', 'catalog.yaml'), 'utf8'))
      .replace(/^ {2}version: .*$/m, '  version: 1.1.0')
      .replace(/(replicas:[\s\S]*?default: )1\b/, '$12');
    await page.goto(`${envcat.url}/#/catalog/publish`);
    await visible(heading('Publish a catalog entry'));

    // WHEN a broken catalog.yaml is chosen THEN the problem is named by file#pointer, nothing to confirm
    await page.getByLabel('Or its files').setInputFiles([
      {
        name: 'catalog.yaml',
        mimeType: 'text/yaml',
        buffer: Buffer.from(catalog.replace('type: yaml', 'type: nope')),
      },
    ]);
    await visible(page.getByRole('alert').getByText('catalog.yaml#/spec/type', { exact: false }));
    expect(await page.getByRole('button', { name: /^Confirm/ }).count()).toBe(0);

    // WHEN the entry's folder is chosen THEN every check passes and Confirm publishes it
    const folder = join(OUT_DIR, 'sample-app');
    await cp(join(CATALOGS, 'sample-app'), folder, { recursive: true });
    await writeFile(join(folder, 'catalog.yaml'), catalog);
    // …and its Service names the version it comes from
    const service = await readFile(join(folder, 'manifests', 'service.yaml'), 'utf8');
    await writeFile(
      join(folder, 'manifests', 'service.yaml'),
      service.replace(
        '    app.kubernetes.io/managed-by: envcat\n',
        '    app.kubernetes.io/managed-by: envcat\n    app.kubernetes.io/version: "1.1.0"\n',
      ),
    );
    await page.getByLabel('Entry folder').setInputFiles(folder);
    await visible(page.getByRole('list', { name: 'Files to publish' }).getByText('manifests/service.yaml'));
    const checks = await visible(page.getByRole('list', { name: 'Check results' }));
    await visible(checks.getByText('sample-app@1.1.0'));
    await visible(checks.getByText('No breaking changes', { exact: false }));
    await shot('03-publish-checks');
    await page.getByRole('button', { name: 'Confirm: publish sample-app@1.1.0' }).click();
    await visible(page.getByRole('status').getByText('Published', { exact: false }));
    const detail = await envcat.api<{ versions: string[] }>('GET', '/api/v1/catalogs/sample-app');
    expect(detail.body.versions).toEqual(['1.1.0', '1.0.0']);

    // A developer has no Publish link, and the page says why
    await signIn(DEV_TOKEN);
    const nav = page.getByRole('navigation', { name: 'Main' });
    await visible(nav.getByRole('link', { name: 'Catalog' }));
    expect(await nav.getByRole('link', { name: 'Publish' }).count()).toBe(0);
    await page.goto(`${envcat.url}/#/catalog/publish`);
    await visible(page.getByText('needs the platform role'));
    await signIn(TEST_TOKEN);
    await visible(page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Publish' }));
  });

  it('shows each version’s state with platform buttons, a diff between versions, and who uses which', async () => {
    await page.goto(`${envcat.url}/#/catalog/sample-app`);
    const states = await visible(page.getByRole('region', { name: 'Lifecycle' }));

    // WHEN 1.0.0 is deprecated THEN it says so, here and in Git's state; Undo makes it active again
    await states.getByRole('button', { name: 'Deprecate 1.0.0' }).click();
    await visible(
      states.getByRole('row', { name: '1.0.0', exact: true }).getByText('deprecated', { exact: true }),
    );
    const after = await envcat.api<{ items: Array<{ version: string; deprecated?: boolean }> }>(
      'GET',
      '/api/v1/catalogs/sample-app',
    );
    expect(after.body.items.find((v) => v.version === '1.0.0')?.deprecated).toBe(true);
    await shot('04-entry-states');
    await states.getByRole('button', { name: 'Undo: make 1.0.0 active again' }).click();
    await visible(
      states.getByRole('row', { name: '1.0.0', exact: true }).getByText('Active', { exact: true }),
    );

    // The diff from 1.0.0 to 1.1.0: the replicas default
    const compare = page.getByRole('region', { name: 'Compare releases' });
    const diff = await visible(compare.getByLabel('Changes from 1.0.0 to 1.1.0'));
    await visible(diff.locator('.diff-del', { hasText: '"default": 1' }));
    await visible(diff.locator('.diff-add', { hasText: '"default": 2' }));
    // …and the files that changed, each with a unified diff of its content; the others not at all
    const files = await visible(compare.getByRole('list', { name: 'Files changed from 1.0.0 to 1.1.0' }));
    await eventually('the two changed files listed', async () =>
      expect(await files.locator('> li summary code').allTextContents()).toEqual([
        'catalog.yaml',
        'manifests/service.yaml',
      ]),
    );
    const serviceDiff = await visible(files.getByLabel('Diff of manifests/service.yaml from 1.0.0 to 1.1.0'));
    expect(await serviceDiff.locator('.diff-file').allTextContents()).toEqual([
      '--- 1.0.0/manifests/service.yaml\n',
      '+++ 1.1.0/manifests/service.yaml\n',
    ]);
    expect(await serviceDiff.locator('.diff-add').allTextContents()).toEqual([
      '+    app.kubernetes.io/version: "1.1.0"\n',
    ]);
    expect(await serviceDiff.locator('.diff-del').count()).toBe(0);
    await visible(serviceDiff.locator('.diff-hunk', { hasText: /^@@ -\d+,\d+ \+\d+,\d+ @@/ }));
    const catalogDiff = files.getByLabel('Diff of catalog.yaml from 1.0.0 to 1.1.0');
    await visible(catalogDiff.locator('.diff-del', { hasText: 'version: 1.0.0' }));
    await visible(catalogDiff.locator('.diff-add', { hasText: 'version: 1.1.0' }));
    await shot('05-entry-file-diff');
    // The same version on both sides: nothing to compare, no file list
    await compare.getByLabel('Compare from').selectOption('1.1.0');
    await visible(compare.getByText('Parameters, outputs and sources are the same.'));
    expect(await compare.getByRole('list', { name: /^Files changed/ }).count()).toBe(0);

    // Used by: the environment edited above runs sample-app 1.0.0, with its owner
    const used = page.getByRole('region', { name: 'Used by' });
    const row = await visible(used.getByRole('row').filter({ hasText: NAME }));
    await visible(row.getByText('1.0.0', { exact: true }));
    await visible(row.getByText('admin', { exact: false }));

    // A developer sees the states, not the buttons
    await signIn(DEV_TOKEN);
    await page.goto(`${envcat.url}/#/catalog/sample-app`);
    await visible(page.getByRole('region', { name: 'Lifecycle' }));
    expect(await page.getByRole('button', { name: /^Deprecate / }).count()).toBe(0);
  });
});
