/**
 * FolderResync (src/engine/folder-resync.ts): the request for a new sync of a folder Application
 * whose sync failed for good, on a fake cluster (the live Application; its patches) and a clock the
 * test moves: what is sent, the compare-and-swap, what is counted and logged, and a request that
 * did not go through is asked again on a later pass.
 */
import { ConflictError, NotFoundError, UnavailableError } from '../../src/core/index.js';
import type { KubeObject, ObjectRef } from '../../src/cluster/types.js';
import { FolderResync, type SyncRequestOutcome } from '../../src/engine/folder-resync.js';
import { ArgoRefresher } from '../../src/engine/refresh.js';
import { recordingLogger, recordingQueue } from './fakes.js';

const T0 = Date.parse('2026-03-01T10:00:00Z');
const HEAD = 'c'.repeat(40);
const NAME = 'envcat-platform-dev';
const MESSAGE = 'one or more objects failed to apply, reason: etcdserver: leader changed (retried 5 times).';

/** The folder Application, its last sync failed for good at `revision` (or as `status` says). */
function folderApplication(status: Record<string, unknown> = failedAt(HEAD)): KubeObject {
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Application',
    metadata: {
      name: NAME,
      namespace: 'argocd',
      resourceVersion: '7',
      labels: { 'envcat.io/environment': 'dev' },
    },
    spec: {
      source: { repoURL: 'https://git/platform', targetRevision: 'main', path: 'environments/dev' },
      syncPolicy: { automated: { prune: true }, retry: { limit: 5 } },
    },
    status,
  };
}

function failedAt(revision: string): Record<string, unknown> {
  return {
    operationState: {
      phase: 'Failed',
      message: MESSAGE,
      retryCount: 5,
      operation: { sync: { revision }, retry: { limit: 5 } },
      syncResult: { revision },
    },
  };
}

function setup(
  options: {
    fail?: () => Error | undefined;
    cached?: (live: KubeObject | undefined) => KubeObject | undefined;
  } = {},
) {
  let now = T0;
  const state = { live: folderApplication() as KubeObject | undefined };
  const patches: Array<{ ref: ObjectRef; patch: Record<string, unknown> }> = [];
  const outcomes: SyncRequestOutcome['result'][] = [];
  const cluster = {
    get: async () => structuredClone(state.live),
    mergePatch: async (ref: ObjectRef, patch: Record<string, unknown>) => {
      const error = options.fail?.();
      if (error) throw error;
      patches.push({ ref, patch });
      return state.live!;
    },
  };
  const queue = recordingQueue();
  const log = recordingLogger();
  const resync = new FolderResync({
    cluster,
    namespace: 'argocd',
    parentApplication: (repo, env) => `envcat-${repo}-${env}`,
    // The cache has what the cluster has (a watch event away).
    application: (name) =>
      name !== NAME ? undefined : options.cached ? options.cached(state.live) : state.live,
    head: () => HEAD,
    now: () => now,
    queue,
    logger: log.logger,
    onRequested: ({ result }) => void outcomes.push(result),
  });
  return { resync, state, patches, outcomes, queue, log, advance: (ms: number) => (now += ms) };
}

const SYNC = {
  operation: {
    sync: { revision: 'main', prune: true },
    initiatedBy: { username: 'envcat' },
    retry: { limit: 5 },
  },
  status: { operationState: null },
};

describe('FolderResync', () => {
  it('asks for a new sync as argocd app sync does, on the Application it checked, and says so', async () => {
    // GIVEN the folder Application's sync failed for good at the head WHEN the environment waits on it
    const { resync, patches, outcomes, queue, log } = setup();
    const state = resync.whileWaiting('dev', 'platform');
    await resync.idle();

    // THEN one request, a compare-and-swap on the resourceVersion it read; counted and logged
    expect(patches).toEqual([
      {
        ref: { apiVersion: 'argoproj.io/v1alpha1', kind: 'Application', name: NAME, namespace: 'argocd' },
        patch: { metadata: { resourceVersion: '7' }, ...SYNC },
      },
    ]);
    expect(outcomes).toEqual(['sent']);
    const [line] = log.lines.filter((l) => l.msg === 'asked Argo CD for a new sync of the folder');
    expect(line).toMatchObject({ environment: 'dev', repo: 'platform', application: NAME, attempt: 1 });
    // AND the state after it names the attempt; the environment is looked at again when the next is due
    expect(state).toMatchObject({ kind: 'failed', attempt: 2, due: false });
    expect(queue.after).toContainEqual(['dev', 30_000]);
  });

  it('asks nothing when the live Application has an operation the cache does not show yet', async () => {
    // GIVEN the cache has the failed sync; live, Argo CD has started an operation meanwhile
    const failed = folderApplication();
    const { resync, state, patches, outcomes } = setup({ cached: () => failed });
    state.live = { ...folderApplication(), operation: { sync: { revision: HEAD } } };
    resync.whileWaiting('dev', 'platform');
    await resync.idle();
    expect(patches).toEqual([]);
    expect(outcomes).toEqual([]);
    // WHEN it is final again THEN, not having asked after all, the next pass asks at once
    state.live = folderApplication();
    resync.whileWaiting('dev', 'platform');
    await resync.idle();
    expect(patches).toHaveLength(1);
  });

  it.each<[string, Error, SyncRequestOutcome['result']]>([
    [
      'a conflict (Argo CD wrote it in between)',
      new ConflictError('the object has been modified'),
      'conflict',
    ],
    ['a refused request', new UnavailableError('etcdserver: leader changed'), 'failed'],
    ['an Application that is gone', new NotFoundError('not found'), 'not_found'],
  ])('%s: counted, logged, and asked again on the next pass', async (_name, error, result) => {
    let failures = 1;
    const { resync, patches, outcomes, log } = setup({ fail: () => (failures-- > 0 ? error : undefined) });
    resync.whileWaiting('dev', 'platform');
    await resync.idle();
    expect(outcomes).toEqual([result]);
    expect(log.messages()).toContain('request for a new sync of the folder failed');

    resync.whileWaiting('dev', 'platform');
    await resync.idle();
    expect(patches).toHaveLength(1);
    expect(outcomes).toEqual([result, 'sent']);
  });

  it('asks again after 30 s, 60 s, 120 s … while each new sync fails for good; after a success, at once', async () => {
    const { resync, state, patches, advance } = setup();
    const asks = () => patches.length;
    const pass = async () => {
      resync.whileWaiting('dev', 'platform');
      await resync.idle();
    };
    await pass();
    expect(asks()).toBe(1);
    let expected = 1;
    for (const delay of [30_000, 60_000, 120_000]) {
      // Argo CD ran the sync envcat asked for, and it failed for good again
      state.live = folderApplication();
      advance(delay - 1_000);
      await pass();
      expect(asks()).toBe(expected);
      advance(1_000);
      await pass();
      expect(asks()).toBe(++expected);
    }
    expect(asks()).toBe(4);

    // WHEN a sync succeeds, and a later one fails for good THEN that is asked for at once
    state.live = folderApplication({
      operationState: { phase: 'Succeeded', operation: { sync: { revision: HEAD } } },
    });
    await pass();
    state.live = folderApplication();
    advance(1_000);
    await pass();
    expect(asks()).toBe(5);
    expect(resync.state('dev', 'platform')).toMatchObject({ kind: 'failed', attempt: 2 });
  });

  it('the refresher asks it while the apps wait for the AppProject (in the platform folder)', async () => {
    const { state } = setup();
    const patches: Array<Record<string, unknown>> = [];
    const refresher = new ArgoRefresher({
      cluster: {
        get: async () => structuredClone(state.live),
        mergePatch: async (_ref, patch) => {
          patches.push(patch);
          return state.live!;
        },
      },
      namespace: 'argocd',
      applications: () => [state.live!],
      application: () => state.live,
      head: () => HEAD,
      now: () => T0,
      queue: recordingQueue(),
      logger: recordingLogger().logger,
    });
    refresher.whileProjectMissing('dev');
    await refresher.idle();
    expect(patches.filter((p) => 'operation' in p)).toEqual([
      { metadata: { resourceVersion: '7' }, ...SYNC },
    ]);
  });
});
