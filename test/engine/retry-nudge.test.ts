/** RetryNudger.nudgeStep: after `envcat env retry`, the step's own object is asked, on a fake cluster. */
import type { ResolvedEnvironment, StepObservation } from '../../src/core/index.js';
import type { KubeObject, ObjectRef } from '../../src/cluster/types.js';
import { RetryNudger } from '../../src/engine/retry-nudge.js';
import { recordingLogger } from './fakes.js';

const RETRY_AT = '2026-03-01T10:00:00.000Z';

function setup(live: KubeObject | undefined) {
  const patches: Array<{ ref: ObjectRef; patch: Record<string, unknown> }> = [];
  const cluster = {
    get: async () => live,
    mergePatch: async (ref: ObjectRef, patch: Record<string, unknown>) => {
      patches.push({ ref, patch });
      return live!;
    },
  };
  const log = recordingLogger();
  const nudger = new RetryNudger({
    cluster,
    workspaceApiVersion: 'tf.m.upbound.io/v1beta1',
    logger: log.logger,
  });
  return { nudger, patches, log };
}

const env = {
  name: 'dev',
  annotations: { 'envcat.io/retry-at': RETRY_AT },
} as unknown as ResolvedEnvironment;
const failed = (part: 'infra' | 'apps', reason: string): StepObservation => ({
  step: { id: `db/${part}`, instance: 'db', part, dependsOn: [], phase: 1, wave: 1 },
  committed: true,
  state: { phase: 'Failed', reason, message: 'boom' },
});
const object = (apiVersion: string, kind: string, namespace: string): KubeObject => ({
  apiVersion,
  kind,
  metadata: { name: 'dev-db', namespace },
  spec: { source: { targetRevision: 'main' } },
});

describe('RetryNudger.nudgeStep', () => {
  it.each([
    [
      'a Workspace: marked',
      failed('infra', 'ReconcileError'),
      object('tf.m.upbound.io/v1beta1', 'Workspace', 'dev'),
      { apiVersion: 'tf.m.upbound.io/v1beta1', kind: 'Workspace', name: 'dev-db', namespace: 'dev' },
      { metadata: { annotations: { 'envcat.io/retried-at': RETRY_AT } } },
    ],
    [
      'an Application whose sync failed: marked, refreshed, synced again',
      failed('apps', 'SyncFailed'),
      object('argoproj.io/v1alpha1', 'Application', 'argocd'),
      { apiVersion: 'argoproj.io/v1alpha1', kind: 'Application', name: 'dev-db', namespace: 'argocd' },
      {
        metadata: {
          annotations: {
            'envcat.io/retried-at': RETRY_AT,
            'argocd.argoproj.io/refresh': 'normal',
            // unique per retry: newer Argo CD keeps a refresh asked for while one runs
            'argocd.argoproj.io/refresh-timestamp': RETRY_AT,
          },
        },
        operation: { sync: { revision: 'main' }, initiatedBy: { username: 'envcat' } },
        status: { operationState: null },
      },
    ],
  ])('asks %s', async (_name, observed, cached, ref, patch) => {
    const { nudger, patches, log } = setup(cached);
    nudger.nudgeStep(env, observed, cached);
    await nudger.idle();
    expect(patches).toEqual([{ ref, patch }]);
    expect(log.messages()).toEqual(['asked the controller to retry']);
  });

  it('asks nothing of a step whose object is not in the cache', async () => {
    const { nudger, patches } = setup(undefined);
    nudger.nudgeStep(env, failed('infra', 'ReconcileError'), undefined);
    await nudger.idle();
    expect(patches).toEqual([]);
  });
});
