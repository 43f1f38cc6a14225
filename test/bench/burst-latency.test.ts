/** AvailableToAppCommit: pairing each environment's last Workspace Available with its first apps commit. */
import { AvailableToAppCommit } from './burst-latency.js';
import type { KubeObject } from '../../src/cluster/types.js';

function workspace(environment: string, instance: string, ready: boolean): KubeObject {
  return {
    apiVersion: 'tf.m.upbound.io/v1beta1',
    kind: 'Workspace',
    metadata: {
      name: `${environment}-${instance}`,
      namespace: environment,
      generation: 1,
      labels: { 'envcat.io/environment': environment, 'envcat.io/instance': instance },
    },
    status: {
      conditions: [
        { type: 'Synced', status: 'True', reason: 'ReconcileSuccess', observedGeneration: 1 },
        ready
          ? { type: 'Ready', status: 'True', reason: 'Available', observedGeneration: 1 }
          : { type: 'Ready', status: 'False', reason: 'Creating', observedGeneration: 1 },
      ],
    },
  };
}

const committed = (environment: string, at: number, repo: 'apps' | 'platform' = 'apps') =>
  ({ type: 'committed', environment, repo, sha: 'a'.repeat(40), message: 'wave 2', at }) as const;

describe('AvailableToAppCommit', () => {
  it('measures from the last infrastructure Workspace seen Available to the first apps commit, in this clock', () => {
    let now = 1_000;
    const pairs = new AvailableToAppCommit({
      infraInstances: ['db', 'vpc'],
      clock: () => now,
      offsetMs: () => 500,
    });
    pairs.onWorkspace(workspace('a', 'db', false)); // not Ready: no moment
    now = 1_100;
    pairs.onWorkspace(workspace('a', 'db', true));
    now = 1_200;
    pairs.onWorkspace(workspace('a', 'vpc', true));
    now = 1_300;
    pairs.onWorkspace(workspace('a', 'db', true)); // seen again: the first moment stays
    pairs.onEvent(committed('a', 1_000, 'platform')); // not the apps repo
    pairs.onEvent(committed('a', 1_750)); // server clock: 1_250 here
    pairs.onEvent(committed('a', 9_999)); // a later apps commit does not count
    expect(pairs.result()).toMatchObject({ measured: 1, negative: 0, latency: { p50: 50, max: 50 } });
  });

  it.each([
    ['an environment with a Workspace never seen Available', ['db'], 0],
    ['apps committed before the Workspace was seen (skew beyond the watch delay)', ['db', 'vpc'], 1],
  ])('leaves out %s', (_, seen, negative) => {
    let now = 2_000;
    const pairs = new AvailableToAppCommit({
      infraInstances: ['db', 'vpc'],
      clock: () => now,
      offsetMs: () => 0,
    });
    for (const instance of seen) pairs.onWorkspace(workspace('b', instance, true));
    now = 3_000;
    pairs.onEvent(committed('b', 1_500));
    expect(pairs.result()).toEqual({ latency: undefined, measured: 0, negative });
  });
});
