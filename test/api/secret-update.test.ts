/**
 * A new secret value for a running hybrid instance over HTTP, against a running envcat: real bare
 * repos, the simulated cluster (its provider-terraform applies a Workspace again at each new
 * generation, its Argo CD syncs what Git holds), the engine and the REST API. The PUT that was a 422
 * is a 200; the value reaches the instance's Secret and nothing else: not Git (any version of any
 * file), not the log, not the dry run. The Workspace is applied again at a new generation, and the
 * app is committed again only once it is Available at it.
 */
import { jest } from '@jest/globals';
import type { KubeObject } from '../../src/cluster/types.js';
import {
  commits,
  fileAt,
  fullHistory,
  startTestEnvcat,
  waitFor,
  type TestEnvcat,
} from '../support/envcat.js';
import { SECRET_HYBRID, secretHybridFiles } from '../support/secret-hybrid.js';

jest.setTimeout(120_000);

const ENV = 'dev-new-secret';
const OLD = 'old-Admin-Password-38c1f0';
const NEW = 'new-Admin-Password-d29a7e';
const WORKSPACE = {
  apiVersion: 'tf.m.upbound.io/v1beta1',
  kind: 'Workspace',
  name: `${ENV}-shop`,
  namespace: ENV,
};
const PARAMS = { apiVersion: 'v1', kind: 'Secret', name: `${ENV}-shop-params`, namespace: ENV };

interface View {
  metadata: { name: string; resourceVersion?: string; annotations?: Record<string, string> };
  spec: { catalogs: Array<{ name: string; parameters: Record<string, unknown> }> };
  status: { phase: string; message: string };
}
type Errors = { code: string; errors: Array<{ path: string; message: string }> };

let envcat: TestEnvcat;
beforeAll(async () => {
  envcat = await startTestEnvcat();
  const published = await envcat.api('POST', '/api/v1/catalogs', { files: secretHybridFiles() });
  if (published.status !== 201) throw new Error(`publish: ${published.status} ${published.text}`);
});
afterAll(async () => {
  await envcat?.close();
});

/** Available (Ready and Synced) for the Workspace's current generation. */
function availableAtItsGeneration(workspace: KubeObject | undefined): boolean {
  const conditions =
    (workspace?.status as { conditions?: Array<Record<string, unknown>> } | undefined)?.conditions ?? [];
  const current = (type: string, reason: string) =>
    conditions.some(
      (c) =>
        c.type === type &&
        c.status === 'True' &&
        c.reason === reason &&
        c.observedGeneration === workspace?.metadata.generation,
    );
  return current('Ready', 'Available') && current('Synced', 'ReconcileSuccess');
}

async function ready(): Promise<View> {
  return waitFor(
    `${ENV} to be Ready`,
    async () => {
      const { body } = await envcat.api<View>('GET', `/api/v1/environments/${ENV}`);
      if (body?.status?.phase === 'Failed') throw new Error(`${ENV} failed: ${body.status.message}`);
      return body?.status?.phase === 'Ready' ? body : undefined;
    },
    { timeoutMs: 45_000 },
  );
}

/** The request as a client sends it back after a GET, with the new admin password. */
function withPassword(view: View, password: string): Omit<View, 'status'> {
  const { status: _status, ...request } = structuredClone(view);
  request.spec.catalogs[0]!.parameters.adminPassword = password;
  return request;
}

const secretValue = (secret: KubeObject | undefined, key: string) =>
  Buffer.from(((secret?.data ?? {}) as Record<string, string>)[key] ?? '', 'base64').toString('utf8');

describe('a new secret value for a running hybrid instance, over HTTP', () => {
  it('PUT writes it to the Secret, applies the Workspace again, then the app; the value is nowhere else', async () => {
    // GIVEN a Ready environment whose one instance reads its admin password in both parts
    const created = await envcat.api('POST', '/api/v1/environments', {
      apiVersion: 'envcat.io/v1alpha1',
      kind: 'Environment',
      metadata: { name: ENV },
      spec: {
        type: 'pre-release',
        catalogs: [{ name: 'shop', entry: `${SECRET_HYBRID}@^1`, parameters: { adminPassword: OLD } }],
      },
    });
    expect(created.status).toBe(201);
    const view = await ready();
    const before = await envcat.cluster.get(WORKSPACE);
    expect(before?.metadata.generation).toBe(1);

    // (when the Workspace is Available at its new generation, and when the apps are committed)
    let availableAt: number | undefined;
    const informer = envcat.cluster.informer({ apiVersion: WORKSPACE.apiVersion, kind: WORKSPACE.kind });
    informer.on('MODIFIED', (ws) => {
      if (
        ws.metadata.name === WORKSPACE.name &&
        (ws.metadata.generation ?? 0) > 1 &&
        availableAtItsGeneration(ws)
      )
        availableAt ??= Date.now();
    });
    await informer.start();
    let appsCommittedAt: number | undefined;
    envcat.engine.on('committed', (event) => {
      if (event.environment === ENV && event.repo === 'apps') appsCommittedAt ??= Date.now();
    });

    // WHEN the dry run is asked for
    const dry = await envcat.api<{ secrets?: unknown; files: Array<{ path: string; diff?: string }> }>(
      'PUT',
      `/api/v1/environments/${ENV}?dryRun=true`,
      withPassword(view, NEW),
    );
    // THEN it names the parameter, shows the revision in each file, and holds no value
    expect(dry.status).toBe(200);
    expect(dry.body.secrets).toEqual([{ instance: 'shop', parameters: ['adminPassword'] }]);
    expect(dry.body.files.map((f) => f.path)).toEqual([
      `environments/${ENV}/environment.yaml`,
      `environments/${ENV}/infra/shop.yaml`,
      `environments/${ENV}/apps/shop.yaml`,
      `environments/${ENV}/apps/shop/deployment.yaml`,
    ]);
    expect(dry.body.files[1]?.diff).toMatch(/^\+\s+- name: ENVCAT_SECRET_REVISION\n\+\s+value: "1"$/m);
    expect(dry.text).not.toContain(NEW);
    expect(dry.text).not.toContain(OLD);

    // WHEN the update is sent
    const put = await envcat.api<View>('PUT', `/api/v1/environments/${ENV}`, withPassword(view, NEW));

    // THEN it is taken (it was a 422), and the environment becomes Ready again at the new values
    expect(put.status).toBe(200);
    expect(put.text).not.toContain(NEW);
    expect(put.body.metadata.annotations).toMatchObject({ 'secret-revision.envcat.io/shop': '1' });
    await waitFor(
      'the Workspace to be Available at its new generation',
      async () =>
        availableAtItsGeneration(await envcat.cluster.get(WORKSPACE)) &&
        (await envcat.cluster.get(WORKSPACE))?.metadata.generation === 2
          ? true
          : undefined,
      { timeoutMs: 45_000 },
    );
    await ready();
    await waitFor('the apps to be committed again', () => appsCommittedAt);
    informer.stop();

    // THEN the Secret holds the new value and its revision; the tfvars the Workspace reads too
    const secret = await envcat.cluster.get(PARAMS);
    expect(secretValue(secret, 'adminPassword')).toBe(NEW);
    expect(JSON.parse(secretValue(secret, 'terraform.tfvars.json'))).toEqual({ adminPassword: NEW });
    expect(secret?.metadata.annotations?.['envcat.io/secret-revision']).toBe('1');
    // THEN Git holds the revision: in the request, in the Workspace's spec, on the app's pods
    const platform = envcat.repoUrls.platform;
    const apps = envcat.repoUrls.apps;
    expect(await fileAt(platform, `environments/${ENV}/environment.yaml`)).toContain(
      'secret-revision.envcat.io/shop: "1"',
    );
    expect(await fileAt(platform, `environments/${ENV}/infra/shop.yaml`)).toMatch(
      /- name: ENVCAT_SECRET_REVISION\n\s+value: "1"/,
    );
    expect(await fileAt(apps, `environments/${ENV}/apps/shop/deployment.yaml`)).toMatch(
      /envcat\.io\/secret-revision: "1"/,
    );
    // THEN the app was committed only once the Workspace was Available at its new generation
    expect(availableAt).toBeDefined();
    expect(appsCommittedAt).toBeGreaterThanOrEqual(availableAt!);
    const changeSets = (await commits(platform)).flatMap((c) => c.changeSets);
    expect(changeSets).toContain(
      `envcat: update environment ${ENV} (new secret values: shop (adminPassword)): shop (${SECRET_HYBRID}@1.0.0) (by admin)`,
    );
    // THEN neither value is in any version of any file, nor in the log
    for (const value of [OLD, NEW]) {
      expect(await fullHistory(platform)).not.toContain(value);
      expect(await fullHistory(apps)).not.toContain(value);
      expect(envcat.logs()).not.toContain(value);
    }
  });

  it('a value that does not fit the schema is a 422 at its pointer that does not quote it, and nothing is written', async () => {
    const view = await ready();
    const head = (await commits(envcat.repoUrls.platform)).length;
    const short = 'short-9c1';
    const put = await envcat.api<Errors>('PUT', `/api/v1/environments/${ENV}`, withPassword(view, short));
    expect(put.status).toBe(422);
    expect(put.body.errors).toEqual([
      { path: '/spec/catalogs/0/parameters/adminPassword', message: 'must be at least 12 characters long' },
    ]);
    expect(put.text).not.toContain(short);
    expect(await commits(envcat.repoUrls.platform)).toHaveLength(head);
    expect(secretValue(await envcat.cluster.get(PARAMS), 'adminPassword')).toBe(NEW);
  });
});
