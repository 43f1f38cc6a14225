/**
 * The plan as a picture and the resources as Argo CD shows them, in Debian's chromium against the
 * embedded default: the graph at Review (from the dry run) with each edge naming the outputs it
 * carries, the graph on a hybrid environment's page whose nodes follow the steps' phases (a
 * blocked step says which outputs it waits for, a failed one the controller's message), each
 * Workspace's conditions, the links to Argo CD and the commit, and Refresh (202). Screenshots of the
 * graph at desktop and phone widths go to test-results/e2e/.
 */
import { jest } from '@jest/globals';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { REPO_ROOT } from '../support/examples.js';
import { startTestEnvcat, TEST_TOKEN, type TestEnvcat } from '../support/envcat.js';
import {
  buildUi,
  CHROMIUM,
  CHROMIUM_ARGS,
  describeInBrowser,
  eventually,
  fitsWidth,
  UI_TIMEOUT_MS,
  visible as visibleIn,
} from './browser.js';

const OUT_DIR = join(REPO_ROOT, 'test-results', 'e2e');
const ARGOCD_URL = 'https://argocd.example.com';
const PLATFORM_WEB = 'https://git.example.com/acme/platform';
const PASSWORD = 'correct-horse-battery-staple';

jest.setTimeout(240_000);

const visible = (locator: Parameters<typeof visibleIn>[0]) => visibleIn(locator, OUT_DIR);

/** VPC → PostgreSQL with pgAdmin (hybrid) → app, the database slow or failing as the annotation says. */
function hybridRequest(name: string, simulate: Record<string, unknown>) {
  return {
    apiVersion: 'envcat.io/v1alpha1',
    kind: 'Environment',
    metadata: { name, annotations: { 'simulator.envcat.io/data': JSON.stringify(simulate) } },
    spec: {
      namespace: name,
      type: 'pre-release',
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
          entry: 'sample-app',
          parameters: { databaseEndpoint: { fromOutput: 'data.endpoint' } },
        },
      ],
    },
  };
}

describeInBrowser('the plan graph and the resources panel', 'test/ui/plan-graph.test.ts', () => {
  let envcat: TestEnvcat;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    await mkdir(OUT_DIR, { recursive: true });
    const uiDir = await buildUi();
    envcat = await startTestEnvcat({
      uiDir,
      env: {
        ENVCAT_SIMULATOR_DELAY: '300ms',
        ENVCAT_ARGOCD_URL: ARGOCD_URL,
        ENVCAT_PLATFORM_REPO_WEB_URL: PLATFORM_WEB,
      },
    });
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

  const node = (step: string) => page.locator(`svg [data-step="${step}"]`);
  const listItem = (step: string) => page.locator(`.plan-graph-list li[data-step="${step}"]`);

  it('draws the plan at Review by wave, each edge naming the outputs it carries', async () => {
    // GIVEN a draft VPC → database → app at the Review step
    await page.evaluate(
      (draft) => window.sessionStorage.setItem('envcat.wizard.draft', draft),
      JSON.stringify({
        step: 'review',
        details: {
          name: 'graph-review',
          namespace: 'graph-review',
          namespaceEdited: false,
          type: 'pre-release',
          description: '',
          ttl: '',
        },
        instances: [
          {
            id: 1,
            name: 'network',
            entry: 'vpc',
            version: '1.0.0',
            values: { cidrBlock: '10.20.0.0/16' },
            references: {},
          },
          {
            id: 2,
            name: 'db',
            entry: 'rds-postgres',
            version: '1.0.0',
            values: { databaseName: 'orders' },
            references: { vpcId: 'network.vpcId', subnetIds: 'network.privateSubnetIds' },
          },
          {
            id: 3,
            name: 'app',
            entry: 'sample-app',
            version: '1.0.0',
            values: {},
            references: { databaseEndpoint: 'db.endpoint' },
          },
        ],
        nextId: 4,
      }),
    );
    await page.goto(`${envcat.url}/#/new/review`);
    const graph = await visible(page.locator('svg[data-testid="plan-graph"]'));

    // THEN three waves, every step Planned (in words, not colour alone), the edges labelled
    expect(await graph.locator('title').first().textContent()).toBe('The plan, by wave');
    expect(await graph.locator('desc').textContent()).toMatch(/3 steps in 3 waves/);
    expect(await graph.locator('.graph-column-title').allTextContents()).toEqual([
      'Wave 1 · infrastructure',
      'Wave 2 · infrastructure',
      'Wave 3 · applications',
    ]);
    for (const step of ['network/infra', 'db/infra', 'app/apps']) {
      expect(await node(step).getAttribute('data-state')).toBe('Planned');
      expect(await node(step).locator('.graph-node-state').textContent()).toContain('Planned');
    }
    const dbEdge = graph.locator('[data-from="db/infra"][data-to="app/apps"] .graph-edge-label');
    expect(await dbEdge.textContent()).toContain('db.endpoint');
    const vpcEdge = graph.locator('[data-from="network/infra"][data-to="db/infra"] title');
    expect(await vpcEdge.textContent()).toBe(
      'db/infra reads network.privateSubnetIds, network.vpcId from network/infra',
    );
    expect(await listItem('app/apps').textContent()).toContain('reads db.endpoint');
    await page
      .locator('.plan-graph')
      .first()
      .screenshot({ path: join(OUT_DIR, 'plan-graph-review.png') });
    // Leaving the wizard with input asks first: yes.
    page.once('dialog', (dialog) => void dialog.accept());
    await page.evaluate(() => window.sessionStorage.removeItem('envcat.wizard.draft'));
    await page.goto(`${envcat.url}/#/environments`);
    await visible(page.getByRole('heading', { level: 1, name: 'Environments' }));
  });

  it('follows the steps’ phases on a hybrid environment’s page, with what a blocked or failed step waits for', async () => {
    // GIVEN a slow database in one environment and a failing one in another
    for (const [name, simulate] of [
      ['graph-slow', { delay: '40s' }],
      ['graph-fail', { failApply: 'creating RDS instance: quota exceeded' }],
    ] as const) {
      const created = await envcat.api('POST', '/api/v1/environments', hybridRequest(name, simulate));
      expect(created.status).toBe(201);
    }

    // WHEN the slow one's page is open THEN the VPC is Ready, the database Progressing, the rest Pending
    await page.goto(`${envcat.url}/#/environments/graph-slow`);
    await visible(page.locator('svg[data-testid="plan-graph"]'));
    await eventually(
      'network Ready, data Progressing',
      async () => {
        expect(await node('network/infra').getAttribute('data-state')).toBe('Ready');
        expect(await node('data/infra').getAttribute('data-state')).toBe('Progressing');
      },
      60_000,
    );
    expect(await node('network/infra').locator('.graph-node-state').textContent()).toContain('Ready');
    expect(await node('data/infra').locator('.graph-node-state').textContent()).toContain('Progressing');
    expect(await node('app/apps').getAttribute('data-state')).toBe('Pending');
    expect(await node('app/apps').locator('.graph-node-reason').textContent()).toBe(
      'waiting for data.endpoint',
    );
    expect(await listItem('data/apps').textContent()).toContain(
      'waiting for data.endpoint, data.port, data.username',
    );
    // Colours differ by state (and the words say the same).
    const fill = (step: string) =>
      node(step)
        .locator('rect')
        .evaluate((rect) => getComputedStyle(rect).fill);
    const fills = new Set([await fill('network/infra'), await fill('data/infra'), await fill('app/apps')]);
    expect(fills.size).toBe(3);
    // The edge that carries the VPC's outputs is satisfied: the VPC is Ready.
    expect(
      await page.locator('svg [data-from="network/infra"][data-to="data/infra"]').getAttribute('class'),
    ).toContain('graph-edge-satisfied');
    await page.locator('.plan-graph').screenshot({ path: join(OUT_DIR, 'plan-graph-desktop.png') });
    await page.screenshot({ path: join(OUT_DIR, 'environment-desktop.png'), fullPage: true });

    // AND the resources panel shows the VPC's Workspace with its Ready condition, and links
    const vpc = page.locator('article.resource[data-step="network/infra"]');
    const ready = vpc.getByRole('row', { name: /^Ready/ });
    await visible(ready);
    expect((await ready.locator('[data-label="Status"]').textContent())?.trim()).toBe('True');
    expect((await ready.locator('[data-label="Reason"]').textContent())?.trim()).toBe('Available');
    expect(await vpc.getByRole('link', { name: 'Open in Argo CD' }).getAttribute('href')).toBe(
      `${ARGOCD_URL}/applications/argocd/envcat-platform-graph-slow`,
    );

    // At 390 px the page does not scroll sideways: the graph scrolls in its own frame, the list stays.
    await page.setViewportSize({ width: 390, height: 844 });
    await fitsWidth(page);
    await visible(listItem('app/apps'));
    await page.locator('.plan-graph').screenshot({ path: join(OUT_DIR, 'plan-graph-phone.png') });
    await page.screenshot({ path: join(OUT_DIR, 'environment-phone.png'), fullPage: true });
    await page.setViewportSize({ width: 1280, height: 900 });

    // AND the failing one: data Failed with provider-terraform's message, its consumers Pending
    await page.goto(`${envcat.url}/#/environments/graph-fail`);
    await eventually(
      'data Failed',
      async () => expect(await node('data/infra').getAttribute('data-state')).toBe('Failed'),
      60_000,
    );
    expect(await listItem('data/infra').textContent()).toContain('quota exceeded');
    expect(await node('data/infra').locator('.graph-node-state').textContent()).toContain('Failed');
    expect(await node('app/apps').getAttribute('data-state')).toBe('Pending');
    await visible(
      page.locator('article.resource[data-step="data/infra"] .resource-message', {
        hasText: 'quota exceeded',
      }),
    );
    await page.locator('.plan-graph').screenshot({ path: join(OUT_DIR, 'plan-graph-failed.png') });
  });

  it('asks Argo CD to refresh: 202 and the objects asked', async () => {
    const answer = page.waitForResponse((r) => r.url().endsWith('/api/v1/environments/graph-fail/refresh'));
    await page.getByRole('button', { name: 'Refresh' }).click();
    expect((await answer).status()).toBe(202);
    await visible(page.getByRole('status').filter({ hasText: 'Argo CD was asked to refresh' }));
    await visible(page.getByText('envcat-platform-graph-fail', { exact: false }).first());
  });
});
