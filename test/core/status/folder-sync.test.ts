/**
 * A folder Application whose sync failed for good (core status/folder-sync.ts): when envcat asks
 * for a new sync, what the status says meanwhile, and the sync operation it asks for.
 */
import { backoffDelay } from '../../../src/shared/index.js';
import {
  FOLDER_RESYNC_BACKOFF,
  FOLDER_SYNC_FAILED_REASON,
  deletionWaitMessage,
  environmentStatus,
  folderSync,
  newSyncOperation,
  waitingOnFolder,
  waitsForArgo,
  type FolderResyncAsks,
  type FolderSync,
  type StepObservation,
  type StepState,
} from '../../../src/core/index.js';

const T0 = Date.parse('2026-03-01T10:00:00Z');
const HEAD = 'a'.repeat(40);
const OLDER = 'b'.repeat(40);
const LEADER_CHANGED =
  'one or more objects failed to apply, reason: etcdserver: leader changed (retried 5 times).';
/** As src/shared's backoff does with FOLDER_RESYNC_BACKOFF: 30 s doubling, at most 5 min. */
const delayAfter = (asks: number) => Math.min(300_000, 30_000 * 2 ** (asks - 1));

interface Operation {
  phase: string;
  message?: string;
  retryCount?: number;
  limit?: number;
  revision?: string;
  resultRevision?: string;
}

/** The folder Application as the engine's cache keeps it (cache-transform.ts). */
function folder(
  operation: Operation | undefined,
  extra: { requested?: boolean; deleting?: boolean } = {},
): Parameters<typeof folderSync>[0]['application'] {
  return {
    metadata: extra.deleting ? { deletionTimestamp: '2026-03-01T09:59:00Z' } : {},
    ...(extra.requested ? { operation: {} } : {}),
    status: operation && {
      operationState: {
        phase: operation.phase,
        ...(operation.message ? { message: operation.message } : {}),
        ...(operation.retryCount !== undefined ? { retryCount: operation.retryCount } : {}),
        operation: {
          ...(operation.revision ? { sync: { revision: operation.revision } } : {}),
          ...(operation.limit !== undefined ? { retry: { limit: operation.limit } } : {}),
        },
        ...(operation.resultRevision ? { syncResult: { revision: operation.resultRevision } } : {}),
      },
    },
  };
}

const failedForGood: Operation = {
  phase: 'Failed',
  message: LEADER_CHANGED,
  retryCount: 5,
  limit: 5,
  revision: HEAD,
  resultRevision: HEAD,
};
const FAILURE = `Argo CD's sync of environments/dev in the platform repo failed: ${LEADER_CHANGED.slice(0, -1)}`;
const asked = (count: number, ago: number): FolderResyncAsks => ({
  count,
  lastAt: T0 - ago,
  failure: FAILURE,
});

function decide(
  application: Parameters<typeof folderSync>[0]['application'],
  asks?: FolderResyncAsks,
): FolderSync {
  return folderSync({
    environment: 'dev',
    repo: 'platform',
    application,
    holds: (revision) => revision === HEAD,
    asks,
    now: T0,
    delayAfter,
  });
}

describe('folderSync', () => {
  it("asks with src/shared's backoff: 30 s, doubling, at most 5 min", () => {
    expect([1, 2, 3, 4, 5, 6, 12].map((n) => backoffDelay(FOLDER_RESYNC_BACKOFF, n))).toEqual(
      [1, 2, 3, 4, 5, 6, 12].map(delayAfter),
    );
    expect([1, 2, 3, 4, 5, 6].map(delayAfter)).toEqual([30_000, 60_000, 120_000, 240_000, 300_000, 300_000]);
  });

  it.each<
    [string, Parameters<typeof folderSync>[0]['application'], FolderResyncAsks | undefined, FolderSync]
  >([
    ['no folder Application', undefined, undefined, { kind: 'none', synced: false }],
    ['no operation yet', folder(undefined), undefined, { kind: 'none', synced: false }],
    [
      'the last sync succeeded: the asks can be forgotten',
      folder({ phase: 'Succeeded', revision: HEAD }),
      asked(2, 10_000),
      { kind: 'none', synced: true },
    ],
    [
      'failed with retries left: Argo CD retries it',
      folder({ ...failedForGood, retryCount: 3 }),
      undefined,
      { kind: 'none', synced: false },
    ],
    [
      'between two of its retries (Running)',
      folder({ ...failedForGood, phase: 'Running', retryCount: 3 }),
      undefined,
      { kind: 'none', synced: false },
    ],
    [
      'failed for good at an older revision: Argo CD syncs the newer one by itself once it reads Git',
      folder({ ...failedForGood, revision: OLDER, resultRevision: OLDER }),
      undefined,
      { kind: 'none', synced: false },
    ],
    [
      'failed for good while the Application is being deleted (its finalizer prunes)',
      folder(failedForGood, { deleting: true }),
      undefined,
      { kind: 'none', synced: false },
    ],
    [
      'failed for good while another operation is requested: Argo CD would refuse a second',
      folder(failedForGood, { requested: true }),
      undefined,
      { kind: 'none', synced: false },
    ],
    [
      'failed for good at the revision that holds ours, never asked: at once',
      folder(failedForGood),
      undefined,
      {
        kind: 'failed',
        failure: FAILURE,
        attempt: 1,
        due: true,
        nextAt: T0,
        message: `${FAILURE}; envcat asks for a new sync`,
      },
    ],
    [
      'an Error without a retry policy is final too; the revision from the operation when it has no result',
      folder({ phase: 'Error', message: 'ComparisonError: rpc error', revision: HEAD }),
      undefined,
      {
        kind: 'failed',
        failure: "Argo CD's sync of environments/dev in the platform repo failed: ComparisonError: rpc error",
        attempt: 1,
        due: true,
        nextAt: T0,
        message:
          "Argo CD's sync of environments/dev in the platform repo failed: ComparisonError: rpc error; envcat asks for a new sync",
      },
    ],
    [
      'failed again 29 s after envcat asked once: the second ask waits for 30 s',
      folder(failedForGood),
      asked(1, 29_000),
      {
        kind: 'failed',
        failure: FAILURE,
        attempt: 2,
        due: false,
        nextAt: T0 + 1_000,
        message: `${FAILURE}; envcat asked for a new sync (attempt 1, next in 30s)`,
      },
    ],
    [
      'failed again 30 s after envcat asked once: due',
      folder(failedForGood),
      asked(1, 30_000),
      {
        kind: 'failed',
        failure: FAILURE,
        attempt: 2,
        due: true,
        nextAt: T0,
        message: `${FAILURE}; envcat asked for a new sync (attempt 1, next in 30s)`,
      },
    ],
    [
      'after 3 asks the next waits 2 min',
      folder(failedForGood),
      asked(3, 60_000),
      {
        kind: 'failed',
        failure: FAILURE,
        attempt: 4,
        due: false,
        nextAt: T0 + 60_000,
        message: `${FAILURE}; envcat asked for a new sync (attempt 3, next in 2m)`,
      },
    ],
    [
      'after 7 asks the next waits 5 min, not more',
      folder(failedForGood),
      asked(7, 299_000),
      {
        kind: 'failed',
        failure: FAILURE,
        attempt: 8,
        due: false,
        nextAt: T0 + 1_000,
        message: `${FAILURE}; envcat asked for a new sync (attempt 7, next in 5m)`,
      },
    ],
    [
      "envcat's sync is requested (operationState cleared)",
      folder(undefined, { requested: true }),
      asked(1, 1_000),
      {
        kind: 'resyncing',
        attempt: 1,
        message: `${FAILURE}; envcat asked for a new sync (attempt 1, under way)`,
      },
    ],
    [
      "envcat's sync is running",
      folder(
        { phase: 'Running', message: 'waiting for completion of the sync', revision: HEAD },
        { requested: true },
      ),
      asked(2, 1_000),
      {
        kind: 'resyncing',
        attempt: 2,
        message: `${FAILURE}; envcat asked for a new sync (attempt 2, under way)`,
      },
    ],
  ])('%s', (_name, application, asks, expected) => {
    expect(decide(application, asks)).toEqual(expected);
  });

  it('names the repo and the folder', () => {
    const decision = folderSync({
      environment: 'qa',
      repo: 'apps',
      application: folder(failedForGood),
      holds: () => true,
      asks: undefined,
      now: T0,
      delayAfter,
    });
    expect(decision.kind === 'failed' && decision.failure).toBe(
      `Argo CD's sync of environments/qa in the apps repo failed: ${LEADER_CHANGED.slice(0, -1)}`,
    );
  });

  it('a revision it cannot tell (no revision at all) is not asked for', () => {
    expect(decide(folder({ ...failedForGood, revision: undefined, resultRevision: undefined }))).toEqual({
      kind: 'none',
      synced: false,
    });
  });
});

describe('what the status says', () => {
  const failed = decide(folder(failedForGood), asked(1, 10_000));
  const none: FolderSync = { kind: 'none', synced: false };
  const step = (reason: string, phase: StepState['phase'] = 'Progressing'): StepState => ({
    phase,
    reason,
    message: 'committed; not in the cluster yet',
  });

  it.each<[string, StepState, FolderSync, StepState]>([
    [
      'a Workspace not applied yet, its folder failed',
      step('NotApplied'),
      failed,
      {
        phase: 'Progressing',
        reason: FOLDER_SYNC_FAILED_REASON,
        message: (failed as { message: string }).message,
      },
    ],
    [
      'an Application whose source Argo CD has not compared',
      step('OutdatedSource'),
      failed,
      {
        phase: 'Progressing',
        reason: FOLDER_SYNC_FAILED_REASON,
        message: (failed as { message: string }).message,
      },
    ],
    ['a Workspace not applied yet, its folder fine', step('NotApplied'), none, step('NotApplied')],
    [
      'a Workspace being created: the folder is not what it waits for',
      step('Creating'),
      failed,
      step('Creating'),
    ],
    ['a step that timed out stays Failed', step('Timeout', 'Failed'), failed, step('Timeout', 'Failed')],
  ])('%s', (_name, state, folderState, expected) => {
    expect(waitingOnFolder(state, folderState)).toEqual(expected);
  });

  it('such a step still waits for Argo CD (the refresher keeps asking, and the resync with it)', () => {
    const observed: StepObservation = {
      step: { id: 'db/infra', instance: 'db', part: 'infra', dependsOn: [], phase: 1, wave: 1 },
      committed: true,
      state: waitingOnFolder(step('NotApplied'), failed),
    };
    expect(waitsForArgo([observed], 'infra')).toBe(true);
    // AND the environment's message says why it waits
    expect(environmentStatus({ steps: [observed], deleting: false }).message).toBe(
      `waiting for db: ${FAILURE}; envcat asked for a new sync (attempt 1, next in 30s)`,
    );
  });

  it.each<[string, FolderSync, string]>([
    ['its folder fine: what it waits for', none, 'waiting for terraform destroy of db (wave 1)'],
    ['its folder failed: that, and what envcat does', failed, (failed as { message: string }).message],
  ])('a deletion waiting on Argo CD, %s', (_name, folderState, expected) => {
    expect(deletionWaitMessage('waiting for terraform destroy of db (wave 1)', folderState)).toBe(expected);
  });
});

describe('newSyncOperation', () => {
  it.each<[string, unknown, ReturnType<typeof newSyncOperation>]>([
    [
      'a folder Application of the bootstrap ApplicationSet: its target revision, prune, options and retry',
      {
        source: { repoURL: 'https://git/platform', targetRevision: 'main', path: 'environments/dev' },
        syncPolicy: {
          automated: { prune: true, selfHeal: true },
          syncOptions: ['ServerSideApply=true'],
          retry: { limit: 5, backoff: { duration: '10s', factor: 2, maxDuration: '3m' } },
        },
      },
      {
        operation: {
          sync: { revision: 'main', prune: true, syncOptions: ['ServerSideApply=true'] },
          initiatedBy: { username: 'envcat' },
          retry: { limit: 5, backoff: { duration: '10s', factor: 2, maxDuration: '3m' } },
        },
        status: { operationState: null },
      },
    ],
    [
      'no target revision nor policy: HEAD, nothing else',
      { source: { repoURL: 'https://git/apps' } },
      {
        operation: { sync: { revision: 'HEAD' }, initiatedBy: { username: 'envcat' } },
        status: { operationState: null },
      },
    ],
  ])('%s', (_name, spec, expected) => {
    expect(newSyncOperation(spec)).toEqual(expected);
  });
});
