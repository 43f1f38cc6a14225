/**
 * Nothing waits forever, and Failed is never a dead end (the README's "Nothing waits forever"), end
 * to end: real bare repos, the simulated cluster over HTTP, the engine, the REST API and the CLI.
 * Each failure the controllers report reaches Failed with their message within its grace; once the
 * cause is gone, `retry` brings the environment to Ready. A short grace (ENVCAT_ERROR_GRACE) keeps
 * it quick.
 */
import { jest } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseYamlDocument, toYaml } from '../../src/core/index.js';
import { GitRepo } from '../../src/gitops/index.js';
import { main } from '../../src/cli/main.js';
import {
  exampleText,
  parse,
  startTestEnvcat,
  TEST_TOKEN,
  waitFor,
  type TestEnvcat,
} from '../support/envcat.js';

jest.setTimeout(120_000);

const GRACE_MS = 2_000;
const APPLICATION = { apiVersion: 'argoproj.io/v1alpha1', kind: 'Application' };
const APP_PROJECT = { apiVersion: 'argoproj.io/v1alpha1', kind: 'AppProject', namespace: 'argocd' };

interface Step {
  instance: string;
  part: string;
  phase: string;
  reason: string;
  message: string;
}
interface StatusBody {
  phase: string;
  message: string;
  steps: Step[];
}

let envcat: TestEnvcat;
let person: GitRepo;
let scratch: string;

beforeAll(async () => {
  // A shared project (a name without {env}), as a platform team may configure instead of one per
  // environment: there a chart repo the project does not list is an InvalidSpecError.
  envcat = await startTestEnvcat({
    env: {
      ENVCAT_ERROR_GRACE: `${GRACE_MS}ms`,
      ENVCAT_SIMULATOR_POLL: '500ms',
      ENVCAT_ARGOCD_PROJECT: 'envcat',
    },
  });
  await envcat.cluster.create({
    apiVersion: APP_PROJECT.apiVersion,
    kind: APP_PROJECT.kind,
    metadata: { name: 'envcat', namespace: APP_PROJECT.namespace },
    spec: {
      sourceRepos: [envcat.repoUrls.apps, 'https://helm.datadoghq.com', 'https://helm.runix.net'],
      destinations: [{ server: 'https://kubernetes.default.svc', namespace: '*' }],
      clusterResourceWhitelist: [
        { group: '', kind: 'Namespace' },
        { group: 'rbac.authorization.k8s.io', kind: 'ClusterRole' },
        { group: 'rbac.authorization.k8s.io', kind: 'ClusterRoleBinding' },
      ],
      namespaceResourceWhitelist: [{ group: '*', kind: '*' }],
    },
  });
  scratch = await mkdtemp(join(tmpdir(), 'envcat-person-'));
  person = new GitRepo({
    name: 'platform',
    url: envcat.repoUrls.platform,
    workdir: join(scratch, 'clone'),
    author: { name: 'A Person', email: 'person@example.test' },
  });
});
afterAll(async () => {
  await person?.close();
  await envcat?.close();
  await rm(scratch, { recursive: true, force: true });
});

async function statusOf(name: string): Promise<StatusBody | undefined> {
  const response = await envcat.api<{ status: StatusBody }>('GET', `/api/v1/environments/${name}`);
  return response.status === 200 ? response.body.status : undefined;
}

/** Waits for a phase; a Failed environment that was not expected to fail fails the wait at once. */
function phase(name: string, wanted: string, timeoutMs = 45_000) {
  return waitFor(
    `${name} to be ${wanted}`,
    async () => {
      const status = await statusOf(name);
      if (status?.phase === 'Failed' && wanted !== 'Failed')
        throw new Error(`${name} failed: ${status.message}`);
      return status?.phase === wanted ? status : undefined;
    },
    { timeoutMs },
  );
}

async function standalone(
  name: string,
  controls?: Record<string, unknown>,
): Promise<Record<string, unknown>> {
  const document = parse(await exampleText('sample-app', 'standalone.yaml'));
  (document.metadata as Record<string, unknown>).name = name;
  (document.spec as Record<string, unknown>).namespace = name;
  if (controls)
    (document.metadata as Record<string, unknown>).annotations = {
      'simulator.envcat.io/web': JSON.stringify(controls),
    };
  return document;
}

async function datadog(name: string, controls?: Record<string, unknown>): Promise<Record<string, unknown>> {
  const document = parse(await exampleText('datadog-agent', 'basic.yaml'));
  (document.metadata as Record<string, unknown>).name = name;
  const spec = document.spec as {
    namespace: string;
    catalogs: Array<{ parameters: Record<string, unknown> }>;
  };
  spec.namespace = name;
  spec.catalogs[0]!.parameters.clusterName = name;
  if (controls)
    (document.metadata as Record<string, unknown>).annotations = {
      'simulator.envcat.io/monitoring': JSON.stringify(controls),
    };
  return document;
}

async function create(document: Record<string, unknown>): Promise<void> {
  const response = await envcat.api('POST', '/api/v1/environments', document);
  if (response.status !== 201) throw new Error(`create: HTTP ${response.status}: ${response.text}`);
}

/** A person edits environment.yaml in Git (the way a fix lands outside the API). */
async function editEnvironment(
  name: string,
  edit: (document: Record<string, unknown>) => void,
): Promise<void> {
  await person.sync();
  const path = `environments/${name}/environment.yaml`;
  const document = parseYamlDocument((await person.readTree(path)).get(path)!) as Record<string, unknown>;
  edit(document);
  const content = toYaml(document);
  await person.commit({ write: [{ path, content }], remove: [], message: `fix ${name}` });
  await waitFor('the engine to see the edit', async () => {
    await envcat.engine.pollGit();
    return envcat.engine.environmentSource(name) === content;
  });
}

function dropControls(document: Record<string, unknown>): void {
  const metadata = document.metadata as { annotations?: Record<string, string> };
  for (const key of Object.keys(metadata.annotations ?? {}))
    if (key.startsWith('simulator.envcat.io/')) delete metadata.annotations![key];
}

async function retry(name: string): Promise<void> {
  const response = await envcat.api('POST', `/api/v1/environments/${name}/retry`);
  if (response.status !== 202) throw new Error(`retry: HTTP ${response.status}: ${response.text}`);
}

async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await main(['node', 'envcat', ...args, '--server', envcat.url, '--token', TEST_TOKEN], {
    stdout: (s) => void (stdout += s),
    stderr: (s) => void (stderr += s),
  });
  return { code, stdout, stderr };
}

function step(status: StatusBody, instance: string): Step | undefined {
  return status.steps.find((s) => s.instance === instance && s.part === 'apps');
}

describe('nothing waits forever', () => {
  it('InvalidSpecError (a chart repo the AppProject does not allow): Failed at once with the remedy; fixed, `env retry --wait` exits 0 at Ready', async () => {
    // GIVEN the AppProject no longer allows the Datadog chart repo
    const project = (await envcat.cluster.get({ ...APP_PROJECT, name: 'envcat' }))!;
    const repos = (project.spec as { sourceRepos: string[] }).sourceRepos;
    await envcat.cluster.mergePatch(
      { ...APP_PROJECT, name: 'envcat' },
      { spec: { sourceRepos: repos.filter((r) => r !== 'https://helm.datadoghq.com') } },
    );
    try {
      // WHEN an environment with the Datadog chart is created
      const name = 'nw-invalid-spec';
      await create(await datadog(name));

      // THEN it fails (no grace) with Argo CD's message and what to do
      const failed = await phase(name, 'Failed');
      expect(step(failed, 'monitoring')).toMatchObject({ phase: 'Failed', reason: 'InvalidSpecError' });
      expect(step(failed, 'monitoring')?.message).toContain(
        "application repo https://helm.datadoghq.com is not permitted in project 'envcat'",
      );
      expect(step(failed, 'monitoring')?.message).toContain(
        'add https://helm.datadoghq.com to spec.sourceRepos of the AppProject envcat',
      );

      // WHEN the AppProject allows it again and the environment is retried through the CLI
      await envcat.cluster.mergePatch({ ...APP_PROJECT, name: 'envcat' }, { spec: { sourceRepos: repos } });
      const retried = await cli('env', 'retry', name, '--wait', '--timeout', '60s');

      // THEN it exits 0 at Ready, and the retry time is in Git
      expect(retried.stderr).toBe('');
      expect(retried.code).toBe(0);
      expect(retried.stdout).toContain(`${name}: Ready`);
      await person.sync();
      const path = `environments/${name}/environment.yaml`;
      expect((await person.readTree(path)).get(path)).toMatch(/envcat\.io\/retry-at: /);
    } finally {
      await envcat.cluster.mergePatch({ ...APP_PROJECT, name: 'envcat' }, { spec: { sourceRepos: repos } });
    }
  });

  it('ComparisonError: Progressing within the grace, Failed after it; without the cause, retry reaches Ready', async () => {
    const name = 'nw-comparison';
    await create(await datadog(name, { comparisonError: 'chart datadog version 3.69.3 not found' }));
    const created = Date.now();

    // THEN it is Failed with the controller message once the grace has run out, not before
    const failed = await phase(name, 'Failed', 20_000);
    expect(Date.now() - created).toBeGreaterThanOrEqual(GRACE_MS);
    expect(step(failed, 'monitoring')).toMatchObject({ reason: 'ComparisonError' });
    expect(step(failed, 'monitoring')?.message).toContain('chart datadog version 3.69.3 not found');

    // WHEN the control is removed and the environment retried
    await editEnvironment(name, dropControls);
    await retry(name);

    // THEN
    await phase(name, 'Ready');
  });

  it('sync retries: Progressing while Argo CD retries ("Retrying attempt #N"), Failed when they are exhausted; retry starts a new sync', async () => {
    const name = 'nw-sync-error';
    await create(await standalone(name, { syncError: 'admission webhook "policy" denied the request' }));

    // THEN while Argo CD retries, the step is Progressing with its message
    const retrying = await waitFor('a retry under way', async () => {
      const status = await statusOf(name);
      const web = status && step(status, 'web');
      return web?.reason === 'SyncRetrying' ? web : undefined;
    });
    expect(retrying.phase).toBe('Progressing');
    expect(retrying.message).toMatch(/denied the request\. Retrying attempt #\d+ at /);
    // …and Failed once retry.limit (5) is reached
    const failed = await phase(name, 'Failed');
    expect(step(failed, 'web')).toMatchObject({ phase: 'Failed', reason: 'SyncFailed' });
    expect(step(failed, 'web')?.message).toContain('(retried 5 times)');

    // WHEN the cause is gone and the environment retried: a new sync operation, as `argocd app sync`
    await editEnvironment(name, dropControls);
    await retry(name);
    await phase(name, 'Ready');
    const app = await envcat.cluster.get({ ...APPLICATION, name: `${name}-web`, namespace: 'argocd' });
    const operation = (app?.status as { operationState: { operation: { initiatedBy: unknown } } })
      .operationState.operation;
    expect(operation.initiatedBy).toEqual({ username: 'envcat' });
    expect(app).not.toHaveProperty('operation');
  });

  it('a workload Degraded at its progress deadline: Failed with the message; without the cause, retry reaches Ready', async () => {
    const name = 'nw-degraded';
    await create(await standalone(name, { degraded: 'Deployment "web" exceeded its progress deadline' }));
    const failed = await phase(name, 'Failed');
    // (a Degraded seen within the second of the commit, which Git dates to the second, is given the
    // grace first, and then says so: "… (for more than 2s)")
    expect(step(failed, 'web')).toMatchObject({
      reason: 'Degraded',
      message: expect.stringMatching(
        /^Deployment "web" exceeded its progress deadline( \(for more than 2s\))?$/,
      ),
    });
    expect(failed.message).toContain('web/apps: Deployment "web" exceeded its progress deadline');

    await editEnvironment(name, dropControls);
    await retry(name);
    await phase(name, 'Ready');
  });

  it('a step not Ready within spec.timeouts: Failed, reason Timeout; retry counts the time from the retry', async () => {
    const name = 'nw-timeout';
    const document = await standalone(name, { neverReady: true });
    (document.spec as Record<string, unknown>).timeouts = { apps: '3s' };
    await create(document);
    const created = Date.now();

    // (Git dates the commit to the second: up to 1 s before `created`)
    const failed = await phase(name, 'Failed', 30_000);
    expect(Date.now() - created).toBeGreaterThanOrEqual(2_000);
    expect(step(failed, 'web')).toMatchObject({ phase: 'Failed', reason: 'Timeout' });
    expect(step(failed, 'web')?.message).toContain('not Ready 3s after its commit or last retry');

    // WHEN it is retried with the cause still there THEN `env retry --wait` exits 3, the step having
    // had its whole timeout again (it counts from the retry)
    const again = Date.now();
    const stillFailing = await cli('env', 'retry', name, '--wait', '--timeout', '60s');
    expect(stillFailing.code).toBe(3);
    expect(stillFailing.stderr).toContain('web/apps: Failed (Timeout)');
    expect(Date.now() - again).toBeGreaterThanOrEqual(2_000);

    // WHEN the control is removed and the environment retried: not Failed again at once (the
    // timeout counts from the retry), and Ready
    await editEnvironment(name, dropControls);
    await retry(name);
    expect((await statusOf(name))?.phase).not.toBe('Failed');
    await phase(name, 'Ready');
  });

  it('a Workspace that cannot connect (no ProviderConfig): Failed after the grace; an app waiting on it says it is blocked; fixed, retry reaches Ready', async () => {
    // GIVEN the provider config is gone
    const configRef = {
      apiVersion: 'tf.m.upbound.io/v1beta1',
      kind: 'ClusterProviderConfig',
      name: 'default',
    };
    const config = (await envcat.cluster.get(configRef))!;
    await envcat.cluster.delete(configRef);
    try {
      const name = 'nw-no-provider-config';
      const document = parse(await exampleText('sample-app', 'dev-feature-auth.yaml'));
      (document.metadata as Record<string, unknown>).name = name;
      const spec = document.spec as {
        namespace: string;
        catalogs: Array<{ name: string; parameters: Record<string, unknown> }>;
      };
      spec.namespace = name;
      spec.catalogs = spec.catalogs.filter((c) => c.name !== 'monitoring');
      await create(document);

      const failed = await phase(name, 'Failed', 30_000);
      const db = failed.steps.find((s) => s.instance === 'db' && s.part === 'infra');
      expect(db).toMatchObject({ phase: 'Failed', reason: 'ReconcileError' });
      expect(db?.message).toContain('connect failed: cannot get ClusterProviderConfig');
      expect(db?.message).toContain('to fix: create the (Cluster)ProviderConfig');
      expect(step(failed, 'app')).toMatchObject({
        phase: 'Pending',
        reason: 'Blocked',
        message: 'blocked: db/infra failed',
      });

      // WHEN the config is back and the environment retried
      await envcat.cluster.create({
        apiVersion: config.apiVersion,
        kind: config.kind,
        metadata: { name: 'default' },
        spec: config.spec,
      });
      await retry(name);
      await phase(name, 'Ready');
    } finally {
      if (!(await envcat.cluster.get(configRef)))
        await envcat.cluster.create({
          apiVersion: config.apiVersion,
          kind: config.kind,
          metadata: { name: 'default' },
          spec: config.spec,
        });
    }
  });
});

describe('Ready means the current spec', () => {
  it('a Helm values change is Ready only once Argo CD has compared the new values', async () => {
    // GIVEN a Ready Helm environment
    const name = 'nw-values';
    await create(await datadog(name));
    await phase(name, 'Ready');
    const appRef = { ...APPLICATION, name: `${name}-monitoring`, namespace: 'argocd' };
    const compared = async () =>
      (
        (await envcat.cluster.get(appRef))?.status as {
          sync: { comparedTo: { source: { helm: { valuesObject: Record<string, unknown> } } } };
        }
      ).sync.comparedTo.source.helm.valuesObject;
    expect(await compared()).toMatchObject({ datadog: expect.objectContaining({}) });

    // …and Argo CD cannot pick up the new Application for now (its parent's project refuses the repo)
    const bootstrap = (await envcat.cluster.get({ ...APP_PROJECT, name: 'envcat-bootstrap' }))!;
    const repos = (bootstrap.spec as { sourceRepos: string[] }).sourceRepos;
    await envcat.cluster.mergePatch(
      { ...APP_PROJECT, name: 'envcat-bootstrap' },
      { spec: { sourceRepos: [] } },
    );
    const before = JSON.stringify(await compared());
    try {
      // WHEN the values change (APM off)
      await editEnvironment(name, (document) => {
        const spec = document.spec as { catalogs: Array<{ parameters: Record<string, unknown> }> };
        spec.catalogs[0]!.parameters.apmEnabled = false;
      });

      // THEN the environment is not Ready on the old values: Argo CD has not compared the new ones
      const waiting = await phase(name, 'DeployingApplications', 20_000);
      expect(step(waiting, 'monitoring')).toMatchObject({ reason: 'OutdatedSource' });
      expect(JSON.stringify(await compared())).toBe(before);
    } finally {
      await envcat.cluster.mergePatch(
        { ...APP_PROJECT, name: 'envcat-bootstrap' },
        { spec: { sourceRepos: repos } },
      );
    }
    // WHEN Argo CD can go on THEN Ready, having compared the new values
    await phase(name, 'Ready');
    expect(JSON.stringify(await compared())).not.toBe(before);
  });

  it('a Ready environment stays Ready across Argo CD polls when nothing of it changes (no flapping)', async () => {
    // GIVEN a Ready environment with a Helm app and a manifests app, and Argo CD polling every 500 ms
    const name = 'nw-steady';
    const document = await datadog(name);
    const web = parse(await exampleText('sample-app', 'standalone.yaml')) as {
      spec: { catalogs: Array<Record<string, unknown>> };
    };
    (document.spec as { catalogs: Array<Record<string, unknown>> }).catalogs.push(web.spec.catalogs[0]!);
    await create(document);
    await phase(name, 'Ready');
    await envcat.engine.idle();
    const phases: string[] = [];
    const listener = (environment: string, status: { phase: string }) => {
      if (environment === name) phases.push(status.phase);
    };
    envcat.engine.on('status', listener);
    const appRef = { ...APPLICATION, name: `${name}-web`, namespace: 'argocd' };
    const synced = async () =>
      (await envcat.cluster.get(appRef))?.status as { reconciledAt?: string; sync: { revision: string } };
    const first = await synced();

    // WHEN several polls go by, and another environment commits to the same repo meanwhile (a new
    // revision that leaves this environment's manifests as they are)
    await create(await standalone('nw-neighbour'));
    await phase('nw-neighbour', 'Ready');
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    envcat.engine.off('status', listener);

    // THEN Argo CD looked again and compared the new revision, and the status never left Ready
    const last = await synced();
    expect(last.reconciledAt).not.toBe(first.reconciledAt);
    expect(last.sync.revision).not.toBe(first.sync.revision);
    expect(phases.filter((p) => p !== 'Ready')).toEqual([]);
    expect((await statusOf(name))?.phase).toBe('Ready');
  });
});
