/** The engine's watches: which objects, cached how, and what reaches the engine (a fake cluster keeps the informers it made). */
import type { Informer, InformerOptions, KubeObject, TypeRef } from '../../src/cluster/types.js';
import { watchEnvcatObjects } from '../../src/engine/watches.js';
import { applicationForCache, workspaceForCache } from '../../src/engine/cache-transform.js';
import { secretForCache } from '../../src/engine/secrets.js';
import { TEST_RENDER_OPTIONS } from '../support/examples.js';
import { recordingLogger } from './fakes.js';

interface FakeInformer extends Informer {
  type: TypeRef;
  options: InformerOptions | undefined;
  emit(event: string, payload: unknown): void;
}

function fakeCluster() {
  const made: FakeInformer[] = [];
  return {
    made,
    informer(type: TypeRef, options?: InformerOptions): Informer {
      const handlers = new Map<string, Array<(payload: never) => void>>();
      const informer: FakeInformer = {
        type,
        options,
        start: async () => undefined,
        stop: () => undefined,
        list: () => [],
        get: () => undefined,
        indexed: () => [],
        on: (event: string, handler: (payload: never) => void) => {
          handlers.set(event, [...(handlers.get(event) ?? []), handler]);
        },
        emit: (event, payload) => handlers.get(event)?.forEach((h) => h(payload as never)),
      };
      made.push(informer);
      return informer;
    },
  };
}

describe('watchEnvcatObjects', () => {
  it.each([
    ['namespaced', 'tf.m.upbound.io/v1beta1'],
    ['cluster', 'tf.upbound.io/v1beta1'],
  ] as const)(
    'watches envcat objects only, each cached with what the engine reads (%s Workspaces)',
    (workspaceApi, apiVersion) => {
      const cluster = fakeCluster();
      watchEnvcatObjects({
        cluster,
        render: { ...TEST_RENDER_OPTIONS, workspaceApi },
        logger: recordingLogger().logger,
        onEvent: () => undefined,
      });
      const selector = 'app.kubernetes.io/managed-by=envcat';
      expect(cluster.made.map((i) => [i.type, i.options])).toEqual([
        [
          { apiVersion, kind: 'Workspace' },
          // indexed by environment: a pass reads its own environment's objects, not the whole cache
          {
            labelSelector: selector,
            transform: workspaceForCache,
            onlyChanges: true,
            indexLabel: 'envcat.io/environment',
          },
        ],
        [
          { apiVersion: 'argoproj.io/v1alpha1', kind: 'Application' },
          {
            namespace: TEST_RENDER_OPTIONS.argocd.namespace,
            labelSelector: selector,
            transform: applicationForCache,
            onlyChanges: true,
            indexLabel: 'envcat.io/environment',
          },
        ],
        [
          { apiVersion: 'v1', kind: 'Secret' },
          // a Secret's new value changes nothing its cache keeps, and must still wake the engine
          { labelSelector: selector, transform: secretForCache, indexLabel: 'envcat.io/environment' },
        ],
      ]);
    },
  );

  it('reports every change with where it came from, and logs a failed watch', () => {
    const cluster = fakeCluster();
    const seen: string[] = [];
    const log = recordingLogger();
    watchEnvcatObjects({
      cluster,
      render: TEST_RENDER_OPTIONS,
      logger: log.logger,
      onEvent: (source, object) => seen.push(`${source}:${object.metadata.name}`),
    });
    const [workspaces, applications, secrets] = cluster.made as [FakeInformer, FakeInformer, FakeInformer];
    const object = (name: string) => ({ metadata: { name } }) as KubeObject;
    workspaces.emit('ADDED', object('w'));
    applications.emit('MODIFIED', object('a'));
    secrets.emit('DELETED', object('s'));
    secrets.emit('error', new Error('410 Gone'));
    expect(seen).toEqual(['workspaces:w', 'applications:a', 'secrets:s']);
    expect(log.lines).toEqual([
      expect.objectContaining({
        err: expect.objectContaining({ message: '410 Gone' }),
        msg: 'watch failed; restarting',
      }),
    ]);
  });
});
