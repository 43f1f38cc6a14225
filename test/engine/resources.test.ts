/** environmentResources: each step's resource as Argo CD shows it, and the links when configured. */
import { checkEnvironment, type Catalog } from '../../src/core/index.js';
import type { KubeObject } from '../../src/cluster/types.js';
import { environmentResources, type ResourceLinks, type StepObjects } from '../../src/engine/resources.js';
import { builtInCatalog } from '../support/examples.js';

let catalog: Catalog;
beforeAll(async () => {
  catalog = await builtInCatalog();
});

const SHA = 'a'.repeat(40);
const WORKSPACE: KubeObject = {
  apiVersion: 'tf.m.upbound.io/v1beta1',
  kind: 'Workspace',
  metadata: { name: 'dev-x-db', namespace: 'dev-x', generation: 2 },
  status: {
    conditions: [
      {
        type: 'Ready',
        status: 'False',
        reason: 'Creating',
        message: '',
        lastTransitionTime: '2026-01-01T00:00:00Z',
      },
      { type: 'Synced', status: 'False', reason: 'ReconcileError', message: 'apply failed: quota' },
    ],
  },
};
const APPLICATION: KubeObject = {
  apiVersion: 'argoproj.io/v1alpha1',
  kind: 'Application',
  metadata: { name: 'dev-x-app', namespace: 'argocd' },
  status: {
    sync: { status: 'Synced', revision: SHA },
    health: { status: 'Progressing', message: 'waiting for rollout' },
    operationState: { phase: 'Succeeded', message: 'successfully synced' },
    conditions: [{ type: 'SyncError', message: 'one', lastTransitionTime: '2026-01-01T00:00:01Z' }],
  },
};

function observed(objects: Record<string, KubeObject | undefined>, commit?: string): StepObjects {
  const check = checkEnvironment(
    {
      apiVersion: 'envcat.io/v1alpha1',
      kind: 'Environment',
      metadata: { name: 'dev-x' },
      spec: {
        type: 'pre-release',
        catalogs: [
          { name: 'db', entry: 'rds-postgres@^1', parameters: { databaseName: 'x' } },
          {
            name: 'app',
            entry: 'sample-app',
            parameters: { databaseEndpoint: { fromOutput: 'db.endpoint' } },
          },
        ],
      },
    },
    catalog,
  );
  const plan = check.plan!;
  return {
    env: check.environment!,
    plan,
    steps: plan.steps.map((step) => ({ step, object: objects[step.id], commit })),
    parents: { platform: 'envcat-platform-dev-x', apps: 'envcat-apps-dev-x' },
  };
}

const resourcesOf = (
  objects: Record<string, KubeObject | undefined>,
  links: ResourceLinks,
  commit?: string,
) =>
  environmentResources({
    name: 'dev-x',
    observed: observed(objects, commit),
    workspaceApi: 'namespaced',
    argocdNamespace: 'argocd',
    links,
    now: new Date(0),
  });

describe('environmentResources', () => {
  it.each<[string, Record<string, KubeObject | undefined>, ResourceLinks, string | undefined, object[]]>([
    [
      'a failing Workspace: its conditions, Synced’s error as the message, links to its parent Application and commit',
      { 'db/infra': WORKSPACE },
      {
        argocdUrl: 'https://argo.example.com',
        repoWebUrls: { platform: 'https://github.com/acme/platform' },
      },
      SHA,
      [
        {
          step: 'db/infra',
          kind: 'Workspace',
          namespace: 'dev-x',
          exists: true,
          generation: 2,
          message: 'apply failed: quota',
          conditions: [
            {
              type: 'Ready',
              status: 'False',
              reason: 'Creating',
              lastTransitionTime: '2026-01-01T00:00:00Z',
            },
            { type: 'Synced', status: 'False', reason: 'ReconcileError', message: 'apply failed: quota' },
          ],
          commit: { repo: 'platform', sha: SHA },
          links: {
            argocd: 'https://argo.example.com/applications/argocd/envcat-platform-dev-x',
            commit: `https://github.com/acme/platform/commit/${SHA}`,
          },
        },
        { step: 'app/apps', kind: 'Application', exists: false, conditions: [] },
      ],
    ],
    [
      'an Application: sync, health, operation; a condition’s message first; the synced revision as its commit; no links unconfigured',
      { 'app/apps': APPLICATION },
      {},
      undefined,
      [
        { step: 'db/infra', exists: false, links: {} },
        {
          step: 'app/apps',
          name: 'dev-x-app',
          namespace: 'argocd',
          sync: { status: 'Synced', revision: SHA },
          health: { status: 'Progressing', message: 'waiting for rollout' },
          operation: { phase: 'Succeeded', message: 'successfully synced' },
          message: 'one',
          commit: { repo: 'apps', sha: SHA },
          links: {},
        },
      ],
    ],
  ])('%s', (_title, objects, links, commit, expected) => {
    // GIVEN the caches' objects WHEN the resources are listed THEN each step shows as expected
    const resources = resourcesOf(objects, links, commit);
    expect(resources.items).toEqual(expected.map((e) => expect.objectContaining(e)));
    expect(resources.edges).toEqual([{ from: 'db/infra', to: 'app/apps', outputs: ['db.endpoint'] }]);
  });

  it('links the folders’ Applications only when Argo CD’s URL is set', () => {
    expect(resourcesOf({}, { argocdUrl: 'https://argo.example.com/' }).links).toEqual({
      platform: 'https://argo.example.com/applications/argocd/envcat-platform-dev-x',
      apps: 'https://argo.example.com/applications/argocd/envcat-apps-dev-x',
    });
    expect(resourcesOf({}, {}).links).toEqual({});
  });
});
