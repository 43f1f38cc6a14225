/**
 * The Engine on the in-memory twins (test/support/engine-harness.ts) when the Application of an
 * environment's folder (`envcat-platform-<env>`) fails its sync for good: Argo CD never syncs that
 * revision again by itself (argo-cd controller/appcontroller.go autoSync, alreadyAttemptedSync),
 * and a refresh does not help, so envcat asks for a new sync, as `argocd app sync` does: at once,
 * then with a backoff of 30 s doubling, never while an operation is requested or running, and the
 * status says so. The test plays Argo CD; the fake clock moves only when it says so.
 */
import type { KubeObject, ObjectRef } from '../../src/cluster/types.js';
import { FOLDER_SYNC_FAILED_REASON } from '../../src/core/index.js';
import {
  APPLICATION,
  NAMESPACE,
  OUTPUTS,
  WORKSPACE,
  domainRequest,
  stackRequest,
  useEngineHarness,
} from '../support/engine-harness.js';

const ENV = 'dev-stuck';
const PARENT: ObjectRef = { ...APPLICATION, name: `envcat-platform-${ENV}`, namespace: 'argocd' };
/** What the simulated API server's faults made of every attempt (api-faults.test.ts found it). */
const LEADER_CHANGED =
  'one or more objects failed to apply, reason: etcdserver: leader changed (retried 5 times).';
const FAILURE = `Argo CD's sync of environments/${ENV} in the platform repo failed: ${LEADER_CHANGED.slice(0, -1)}`;
/** The folder Application's policy, as gitops/bootstrap/applicationset-platform.yaml renders it. */
const SYNC_POLICY = {
  automated: { prune: true, selfHeal: true },
  syncOptions: ['ServerSideApply=true'],
  retry: { limit: 5, backoff: { duration: '10s', factor: 2, maxDuration: '3m' } },
};
/** The sync operation envcat asks for, as `argocd app sync` sets it. */
const ENVCAT_SYNC = {
  operation: {
    sync: { revision: 'main', prune: true, syncOptions: ['ServerSideApply=true'] },
    initiatedBy: { username: 'envcat' },
    retry: SYNC_POLICY.retry,
  },
  status: { operationState: null },
};

describe('Engine on the twins: a folder Application whose sync failed for good', () => {
  const h = useEngineHarness();

  /** The environment's platform folder Application, with the bootstrap's sync policy. */
  async function folderApplication(): Promise<void> {
    await h().parentApplication('platform', ENV);
    await h().cluster.mergePatch(PARENT, { spec: { syncPolicy: SYNC_POLICY } });
  }

  /** envcat's requests for a new sync of the folder Application, as they reached the cluster. */
  function recordAsks(): Array<Record<string, unknown>> {
    const asks: Array<Record<string, unknown>> = [];
    const twin = h().cluster;
    const mergePatch = twin.mergePatch.bind(twin);
    twin.mergePatch = (ref, patch) => {
      const initiatedBy = (patch.operation as { initiatedBy?: { username?: string } } | undefined)
        ?.initiatedBy;
      if (ref.name === PARENT.name && initiatedBy?.username === 'envcat') asks.push(patch);
      return mergePatch(ref, patch);
    };
    return asks;
  }

  /** Argo CD writes the folder Application (its requested operation and its status) as `change` says. */
  async function argo(
    change: (live: KubeObject) => { operation?: unknown; status: Record<string, unknown> },
  ) {
    const live = (await h().cluster.get(PARENT))!;
    const { operation, status } = change(live);
    const { operation: _requested, ...rest } = live;
    await h().cluster.replace({ ...rest, ...(operation ? { operation } : {}), status });
  }

  /** Every attempt of the sync of `revision` failed, the last of its 5 retries too; no operation is requested. */
  const failsForGood = (revision: string) =>
    argo((live) => ({
      status: {
        ...(live.status as object),
        sync: { status: 'OutOfSync', revision },
        operationState: {
          operation: {
            sync: { revision, prune: true, syncOptions: SYNC_POLICY.syncOptions },
            initiatedBy: { automated: true },
            retry: SYNC_POLICY.retry,
          },
          phase: 'Failed',
          message: LEADER_CHANGED,
          retryCount: 5,
          finishedAt: new Date(h().clock.now()).toISOString(),
          syncResult: { revision, resources: [] },
        },
      },
    }));

  /** Argo CD started the requested operation: Running, `operation` still set until it ends. */
  const runs = () =>
    argo((live) => ({
      operation: live.operation,
      status: {
        ...(live.status as object),
        operationState: {
          operation: live.operation,
          phase: 'Running',
          message: 'waiting for completion of the sync',
          startedAt: new Date(h().clock.now()).toISOString(),
        },
      },
    }));

  /** The operation succeeded: Synced at `revision`, `operation` cleared. */
  const succeeds = (revision: string) =>
    argo((live) => ({
      status: {
        ...(live.status as object),
        sync: { status: 'Synced', revision },
        operationState: {
          operation: { sync: { revision } },
          phase: 'Succeeded',
          message: 'successfully synced (all tasks run)',
          finishedAt: new Date(h().clock.now()).toISOString(),
          syncResult: { revision },
        },
      },
    }));

  const subjects = () =>
    h()
      .commits('platform')
      .map((c) => c.subject);

  it('a deletion whose removal of a Workspace failed to sync: envcat syncs again with a backoff, never while an operation runs, and the deletion completes', async () => {
    // GIVEN a Ready environment (network, then db in it, then the apps) being deleted: the apps are
    // gone and the removal of db's Workspace file is committed
    await h().create(stackRequest(ENV));
    await h().bringUp(ENV, OUTPUTS);
    await folderApplication();
    await h().parentApplication('apps', ENV);
    await h().requestDeletion(ENV);
    await h().settle();
    for (const instance of ['monitoring', 'app'])
      await h().deleteObject({ ...APPLICATION, name: `${ENV}-${instance}`, namespace: 'argocd' });
    await h().settle();
    expect(subjects().at(-1)).toBe(`envcat: ${ENV}: delete infrastructure of db`);
    const removal = h().platform.remote.head;
    const asks = recordAsks();

    // WHEN the folder Application's sync of that removal fails for good (an API server outage longer than its retries)
    await failsForGood(removal);
    await h().settle();

    // THEN envcat asks for a new sync at once, as `argocd app sync` does, on the Application it
    // checked (a compare-and-swap), and the status says so instead of "waiting for terraform destroy"
    expect(asks).toEqual([{ metadata: { resourceVersion: expect.any(String) }, ...ENVCAT_SYNC }]);
    expect((await h().cluster.get(PARENT))?.operation).toEqual(ENVCAT_SYNC.operation);
    expect(h().status(ENV)?.phase).toBe('Deleting');
    expect(h().status(ENV)?.message).toBe(`${FAILURE}; envcat asked for a new sync (attempt 1, under way)`);

    // WHEN that sync fails for good too, at once THEN the next ask waits 30 s after the first
    await failsForGood(removal);
    await h().settle();
    expect(h().status(ENV)?.message).toBe(`${FAILURE}; envcat asked for a new sync (attempt 1, next in 30s)`);
    await h().advance(29_000);
    expect(asks).toHaveLength(1);
    await h().advance(1_000);
    expect(asks).toHaveLength(2);
    expect(h().status(ENV)?.message).toBe(`${FAILURE}; envcat asked for a new sync (attempt 2, under way)`);

    // WHEN it fails again THEN the third waits 60 s
    await failsForGood(removal);
    await h().settle();
    await h().advance(59_000);
    expect(asks).toHaveLength(2);
    await h().advance(1_000);
    expect(asks).toHaveLength(3);

    // WHEN Argo CD runs that one for 10 minutes THEN nothing more is asked meanwhile (Argo CD would
    // refuse it: ErrAnotherOperationInProgress)
    await runs();
    await h().advance(600_000);
    expect(asks).toHaveLength(3);
    expect(h().status(ENV)?.message).toBe(`${FAILURE}; envcat asked for a new sync (attempt 3, under way)`);

    // WHEN it succeeds and prunes db's Workspace (destroyed)
    await succeeds(removal);
    await h().deleteObject({ ...WORKSPACE, name: `${ENV}-db`, namespace: ENV });
    await h().settle();

    // THEN the deletion goes on, and completes as usual, with no other ask
    expect(subjects().at(-1)).toBe(`envcat: ${ENV}: delete infrastructure of network`);
    await h().deleteObject({ ...WORKSPACE, name: `${ENV}-network`, namespace: ENV });
    await h().settle();
    await h().deleteObject({ ...NAMESPACE, name: ENV });
    await h().deleteObject(PARENT);
    await h().deleteObject({ ...APPLICATION, name: `envcat-apps-${ENV}`, namespace: 'argocd' });
    await h().advance(2_000);
    expect(subjects().slice(-2)).toEqual([
      `envcat: ${ENV}: delete environment`,
      `envcat: ${ENV}: release namespace ${ENV}`,
    ]);
    expect(h().deleted).toEqual([ENV]);
    expect(asks).toHaveLength(3);
  });

  it('a Workspace its folder failed to create: envcat syncs again only when the failure is at a revision that holds the commit', async () => {
    // GIVEN db's Workspace is committed, and the environment's folder Application exists
    await h().create(domainRequest(ENV));
    await h().settle();
    await folderApplication();
    await h().settle();
    const [created, wave1] = h().commits('platform');
    expect(wave1?.subject).toBe(`envcat: ${ENV}: wave 1, infrastructure: db (rds-postgres@1.0.0)`);
    const older = created!.sha;
    const asks = recordAsks();

    // WHEN the sync of an older revision failed for good THEN envcat asks nothing (Argo CD syncs the
    // new revision by itself once it reads Git: it is asked to refresh)
    await failsForGood(older);
    await h().advance(30_000);
    expect(asks).toEqual([]);
    expect(h().steps(ENV)).toEqual([
      'db/infra: Progressing NotApplied',
      'monitoring/apps: Pending Waiting',
      'app/apps: Pending Waiting',
    ]);

    // WHEN the sync of the head, which holds the commit, failed for good
    await failsForGood(h().platform.remote.head);
    await h().settle();

    // THEN envcat asks for a new sync, and the step and the environment say why it waits
    expect(asks).toEqual([{ metadata: { resourceVersion: expect.any(String) }, ...ENVCAT_SYNC }]);
    const message = `${FAILURE}; envcat asked for a new sync (attempt 1, under way)`;
    expect(h().status(ENV)?.steps[0]).toEqual({
      instance: 'db',
      part: 'infra',
      phase: 'Progressing',
      reason: FOLDER_SYNC_FAILED_REASON,
      message,
      lastTransitionTime: expect.any(String),
    });
    expect(h().status(ENV)?.message).toBe(`waiting for db: ${message}`);

    // WHEN the new sync succeeds and creates the Workspace THEN provisioning goes on, with no other ask
    await succeeds(h().platform.remote.head);
    await h().markWorkspaceAvailable(ENV, 'db', OUTPUTS.db);
    await h().settle();
    expect(h().steps(ENV)[0]).toBe('db/infra: Ready Available');
    await h().advance(300_000);
    expect(asks).toHaveLength(1);
  });
});
