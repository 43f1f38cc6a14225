/**
 * What the engine's informer caches keep: everything its status decisions read, and not the
 * bulk (a Workspace's module source, an Application's resource tree and history, managedFields).
 */
import type { KubeObject } from '../../src/cluster/types.js';
import {
  applicationState,
  folderSync,
  type FolderResyncAsks,
  sourceDigest,
  workspaceOutputs,
  workspaceState,
  type StepClock,
} from '../../src/core/index.js';
import { applicationForCache, workspaceForCache } from '../../src/engine/cache-transform.js';

const metadata = (extra: Record<string, unknown> = {}) => ({
  name: 'dev-db',
  namespace: 'env-dev',
  uid: 'u-1',
  resourceVersion: '42',
  generation: 3,
  labels: { 'envcat.io/environment': 'dev', 'envcat.io/instance': 'db' },
  annotations: { 'kubectl.kubernetes.io/last-applied-configuration': 'x'.repeat(10_000) },
  managedFields: [{ manager: 'argocd', fieldsV1: { 'f:spec': {} } }],
  ...extra,
});

const workspace = (status: Record<string, unknown>, extra: Record<string, unknown> = {}): KubeObject => ({
  apiVersion: 'tf.m.upbound.io/v1beta1',
  kind: 'Workspace',
  metadata: metadata(extra),
  spec: { forProvider: { source: 'Inline', module: 'resource "x" "y" {}\n'.repeat(500) } },
  status,
});

const condition = (type: string, status: string, reason: string, observedGeneration = 3) => ({
  type,
  status,
  reason,
  observedGeneration,
  message: `${type} ${reason}`,
});

const application = (
  status: Record<string, unknown>,
  source: Record<string, unknown> = { path: 'x' },
): KubeObject => ({
  apiVersion: 'argoproj.io/v1alpha1',
  kind: 'Application',
  metadata: metadata(),
  spec: { project: 'envcat', source, destination: { namespace: 'env-dev' } },
  status,
});

const REV = 'a'.repeat(40);
const HELM = {
  repoURL: 'https://charts',
  chart: 'redis',
  targetRevision: '1.2.0',
  helm: { valuesObject: { r: 2 } },
};
const CLOCK: StepClock = {
  since: Date.parse('2026-03-01T10:00:00Z'),
  now: Date.parse('2026-03-01T10:01:30Z'),
  timeoutMs: 600_000,
  graceMs: 60_000,
};

describe('workspaceForCache', () => {
  it.each<[string, KubeObject]>([
    [
      'available with outputs',
      workspace({
        conditions: [
          condition('Synced', 'True', 'ReconcileSuccess'),
          condition('Ready', 'True', 'Available'),
        ],
        atProvider: { outputs: { endpoint: 'db:5432' } },
      }),
    ],
    ['failed apply', workspace({ conditions: [condition('Synced', 'False', 'ReconcileError')] })],
    [
      'ready for an older generation',
      workspace({
        conditions: [
          condition('Synced', 'True', 'ReconcileSuccess', 2),
          condition('Ready', 'True', 'Available', 2),
        ],
      }),
    ],
    [
      'being deleted',
      workspace(
        { conditions: [condition('Ready', 'False', 'Deleting')] },
        {
          deletionTimestamp: '2026-12-04T00:00:00Z',
          finalizers: ['finalizer.managedresource.crossplane.io'],
        },
      ),
    ],
    ['not reconciled yet', workspace({})],
  ])(
    '%s: the same state and outputs from the cached copy, without spec, annotations or managedFields',
    (_name, object) => {
      const cached = workspaceForCache(object);
      expect(workspaceState(cached)).toEqual(workspaceState(object));
      expect(workspaceOutputs(cached)).toEqual(workspaceOutputs(object));
      expect(cached).not.toHaveProperty('spec');
      expect(cached.metadata).not.toHaveProperty('managedFields');
      expect(cached.metadata).not.toHaveProperty('annotations');
      expect(cached.metadata).toMatchObject({
        name: 'dev-db',
        namespace: 'env-dev',
        resourceVersion: '42',
        labels: object.metadata.labels,
      });
      expect(JSON.stringify(cached).length).toBeLessThan(JSON.stringify(object).length / 10);
    },
  );
});

describe('applicationForCache', () => {
  const heavy = {
    resources: Array.from({ length: 50 }, (_, i) => ({
      kind: 'Deployment',
      name: `d${i}`,
      status: 'Synced',
    })),
    history: Array.from({ length: 10 }, (_, i) => ({ id: i, revision: REV })),
    summary: { images: ['nginx:1'] },
  };
  it.each<[string, KubeObject, (revision: string) => boolean]>([
    [
      'synced and healthy at our revision',
      application({
        ...heavy,
        sync: { status: 'Synced', revision: REV, comparedTo: {} },
        health: { status: 'Healthy' },
      }),
      (r) => r === REV,
    ],
    [
      'at another revision',
      application({ ...heavy, sync: { status: 'Synced', revision: REV }, health: { status: 'Healthy' } }),
      () => false,
    ],
    [
      'degraded',
      application({
        ...heavy,
        sync: { status: 'Synced', revision: REV },
        health: { status: 'Degraded', message: 'CrashLoopBackOff' },
      }),
      () => true,
    ],
    [
      'sync failed',
      application({
        ...heavy,
        operationState: {
          phase: 'Failed',
          message: 'one or more objects failed',
          syncResult: { resources: [] },
        },
      }),
      () => true,
    ],
    [
      'synced and healthy, but Argo CD compared the previous values',
      application({
        sync: {
          status: 'Synced',
          revision: '1.2.0',
          comparedTo: { source: { ...HELM, helm: { valuesObject: { r: 1 } } } },
        },
        health: { status: 'Healthy' },
      }),
      () => true,
    ],
    [
      'synced and healthy, having compared our values',
      application({
        sync: { status: 'Synced', revision: '1.2.0', comparedTo: { source: HELM, destination: {} } },
        health: { status: 'Healthy' },
      }),
      () => true,
    ],
    [
      'a failed sync with a retry left',
      application({
        operationState: {
          phase: 'Failed',
          message: 'boom',
          retryCount: 1,
          finishedAt: '2026-03-01T10:00:30Z',
          operation: { sync: { revision: REV }, retry: { limit: 2 } },
          syncResult: { resources: heavy.resources },
        },
      }),
      () => true,
    ],
    [
      'a Degraded workload from before the attempt',
      application({
        sync: { status: 'Synced', revision: REV },
        health: { status: 'Degraded', message: 'deadline', lastTransitionTime: '2026-03-01T09:00:00Z' },
      }),
      () => true,
    ],
    [
      'a comparison error',
      application({
        sync: { status: 'Unknown' },
        health: { status: 'Unknown' },
        conditions: [{ type: 'ComparisonError', message: 'repo not found', lastTransitionTime: 't' }],
      }),
      () => true,
    ],
  ])('%s: the same state from the cached copy', (_name, object, accepted) => {
    const cached = applicationForCache(object);
    const options = { revisionAccepted: accepted, sourceDigest: sourceDigest(HELM), clock: CLOCK };
    expect(applicationState(cached, options)).toEqual(applicationState(object, options));
    expect(applicationState(cached, { revisionAccepted: accepted })).toEqual(
      applicationState(object, { revisionAccepted: accepted }),
    );
    expect(cached.status).not.toHaveProperty('resources');
    expect(cached.status).not.toHaveProperty('history');
    expect(cached.metadata).not.toHaveProperty('managedFields');
  });

  it.each<[string, KubeObject]>([
    [
      'a folder Application whose sync failed for good',
      application({
        ...heavy,
        sync: { status: 'OutOfSync', revision: REV },
        operationState: {
          phase: 'Failed',
          message: 'one or more objects failed to apply (retried 5 times).',
          retryCount: 5,
          finishedAt: '2026-03-01T10:00:30Z',
          operation: {
            sync: { revision: REV, syncOptions: ['ServerSideApply=true'] },
            initiatedBy: { automated: true },
            retry: { limit: 5, backoff: { duration: '10s' } },
          },
          syncResult: { revision: REV, resources: heavy.resources, source: { path: 'x' } },
        },
      }),
    ],
    [
      'a folder Application with a sync requested',
      {
        ...application({ ...heavy, operationState: { phase: 'Failed', retryCount: 5 } }),
        operation: { sync: { revision: 'main' }, initiatedBy: { username: 'envcat' } },
      },
    ],
  ])('%s: the same folder decision from the cached copy', (_name, object) => {
    const decide = (app: KubeObject, asks?: FolderResyncAsks) =>
      folderSync({
        environment: 'dev',
        repo: 'platform',
        application: app,
        holds: (revision) => revision === REV,
        asks,
        now: CLOCK.now,
        delayAfter: () => 30_000,
      });
    const cached = applicationForCache(object);
    expect(decide(cached)).toEqual(decide(object));
    const asks = { count: 1, lastAt: CLOCK.now, failure: 'f' };
    expect(decide(cached, asks)).toEqual(decide(object, asks));
    expect(decide(object, asks).kind).not.toBe('none');
    expect(cached.status).not.toHaveProperty('resources');
    expect(JSON.stringify(cached).length).toBeLessThan(JSON.stringify(object).length / 5);
  });

  it('keeps whether the source is a Helm chart, and nothing else of the spec', () => {
    expect(
      applicationForCache(
        application({}, { repoURL: 'https://charts', chart: 'redis', helm: { valuesObject: { a: 1 } } }),
      ).spec,
    ).toEqual({ source: { chart: 'redis' } });
    expect(applicationForCache(application({})).spec).toBeUndefined();
  });
});
