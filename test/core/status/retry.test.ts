/** What envcat asks of a step's controller after `env retry` (core/status/retry.ts). */
import { retryNudge, retryTime, type RetryNudge, type StepState } from '../../../src/core/index.js';

const AT = '2026-03-01T10:00:00.000Z';
const failed = (reason: string): StepState => ({ phase: 'Failed', reason, message: 'x' });
const progressing = (reason: string): StepState => ({ phase: 'Progressing', reason, message: 'x' });

describe('retryNudge', () => {
  it.each<[string, Parameters<typeof retryNudge>[0], RetryNudge['kind']]>([
    [
      'no retry asked',
      { part: 'apps', retryAt: undefined, retried: undefined, exists: true, state: failed('SyncFailed') },
      'none',
    ],
    [
      'already asked for this retry',
      { part: 'apps', retryAt: AT, retried: AT, exists: true, state: failed('SyncFailed') },
      'none',
    ],
    [
      'no object to ask',
      { part: 'infra', retryAt: AT, retried: undefined, exists: false, state: progressing('NotApplied') },
      'none',
    ],
    [
      'a Ready step',
      {
        part: 'apps',
        retryAt: AT,
        retried: undefined,
        exists: true,
        state: { phase: 'Ready', reason: 'Healthy', message: '' },
      },
      'none',
    ],
    [
      'a failed Workspace: an annotation makes it reconcile',
      { part: 'infra', retryAt: AT, retried: 'earlier', exists: true, state: failed('ReconcileError') },
      'annotate',
    ],
    [
      'a failed sync: a new sync operation',
      { part: 'apps', retryAt: AT, retried: undefined, exists: true, state: failed('SyncFailed') },
      'sync',
    ],
    [
      'a failed sync from before the retry (Progressing for the grace)',
      { part: 'apps', retryAt: AT, retried: undefined, exists: true, state: progressing('SyncFailed') },
      'sync',
    ],
    [
      'a Degraded workload: a new sync',
      { part: 'apps', retryAt: AT, retried: undefined, exists: true, state: failed('Degraded') },
      'sync',
    ],
    [
      'an operation under way: a refresh only (Argo CD refuses a second one)',
      {
        part: 'apps',
        retryAt: AT,
        retried: undefined,
        exists: true,
        state: failed('SyncFailed'),
        operationInProgress: true,
      },
      'annotate',
    ],
    [
      'InvalidSpecError: a refresh',
      { part: 'apps', retryAt: AT, retried: undefined, exists: true, state: failed('InvalidSpecError') },
      'annotate',
    ],
    [
      'ComparisonError: a refresh',
      { part: 'apps', retryAt: AT, retried: undefined, exists: true, state: failed('ComparisonError') },
      'annotate',
    ],
    [
      'a Timeout: a refresh',
      { part: 'apps', retryAt: AT, retried: undefined, exists: true, state: failed('Timeout') },
      'annotate',
    ],
  ])('%s', (_name, args, kind) => {
    // GIVEN the step and its object WHEN the engine decides THEN
    expect(retryNudge(args).kind).toBe(kind);
  });

  it.each([
    [AT, Date.parse(AT)],
    ['not a time', undefined],
    [undefined, undefined],
  ])('reads the retry time %j', (value, expected) => {
    expect(retryTime(value)).toBe(expected);
  });
});
