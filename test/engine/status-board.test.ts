/** StatusBoard: statuses kept, emitted when they change, a change of phase logged; and the outputs a user may see. */
import type { ResolvedEnvironment, StepObservation } from '../../src/core/index.js';
import {
  StatusBoard,
  namespaceTaken,
  publicOutputs,
  type EnvironmentStatusView,
} from '../../src/engine/status-board.js';
import { recordingLogger } from './fakes.js';

const T = Date.parse('2026-03-01T10:00:00Z');

function setup() {
  let now = T;
  const emitted: Array<[string, EnvironmentStatusView]> = [];
  const log = recordingLogger();
  const board = new StatusBoard({
    now: () => now,
    logger: log.logger,
    onChange: (name, status) => emitted.push([name, status]),
  });
  return { board, emitted, log, advance: (ms: number) => (now += ms) };
}

const observation = (phase: 'Pending' | 'Ready', committed: boolean): StepObservation => ({
  step: { id: 'db/infra', instance: 'db', part: 'infra', dependsOn: [], phase: 1, wave: 1 },
  committed,
  state: { phase, reason: phase, message: '' },
});

const env = {
  name: 'dev',
  namespace: 'dev',
  instances: [
    {
      name: 'db',
      entry: {
        document: {
          spec: {
            outputs: [
              { name: 'endpoint', sensitive: false },
              { name: 'password', sensitive: true },
              { name: 'port' },
            ],
          },
        },
      },
    },
    { name: 'app', entry: { document: { spec: {} } } },
  ],
} as unknown as ResolvedEnvironment;

describe('StatusBoard', () => {
  it('emits a status once per change, the time aside, and logs a change of phase with its message', () => {
    const { board, emitted, log, advance } = setup();
    const ready = { env, steps: [observation('Ready', true)], outputs: {}, deleting: false };
    board.publishObserved('dev', ready);
    advance(1_000);
    board.publishObserved('dev', ready);
    expect(emitted).toHaveLength(1);
    expect(board.get('dev')?.observedAt).toBe(new Date(T + 1_000).toISOString());
    board.publishDeleting('dev', [observation('Ready', true)], 'removing the applications');
    expect(emitted.map(([, s]) => [s.phase, s.message])).toEqual([
      ['Ready', 'all infrastructure is available'],
      ['Deleting', 'removing the applications'],
    ]);
    expect(log.lines.map((l) => [l.phase, l.from, l.msg])).toEqual([
      ['Ready', undefined, 'all infrastructure is available'],
      ['Deleting', 'Ready', 'removing the applications'],
    ]);
  });

  it('while deleting, a status derived between deletion passes says what the last pass said: no flip-flop', () => {
    const { board, emitted } = setup();
    const deleting = { env, steps: [observation('Ready', true)], outputs: {}, deleting: true };
    board.publishDeleting('dev', [observation('Ready', true)], 'waiting for Argo CD to delete app');
    // WHEN watch events derive the status again, between passes THEN the message stays, nothing is emitted
    board.publishObserved('dev', deleting);
    board.publishObserved('dev', deleting);
    board.publishDeleting('dev', [observation('Ready', true)]);
    expect(emitted.map(([, s]) => s.message)).toEqual(['waiting for Argo CD to delete app']);
    // WHEN the next pass says what it does now THEN that is the message
    board.publishDeleting(
      'dev',
      [observation('Pending', false)],
      'removing the infrastructure of wave 1: db',
    );
    board.publishObserved('dev', { ...deleting, steps: [observation('Pending', false)] });
    expect(emitted.map(([, s]) => s.message)).toEqual([
      'waiting for Argo CD to delete app',
      'removing the infrastructure of wave 1: db',
    ]);
    // WHEN it is forgotten and comes back THEN nothing of the old deletion is said
    board.forget('dev');
    board.publishObserved('dev', { ...deleting, deleting: false });
    expect(board.get('dev')?.message).not.toContain('wave 1');
  });

  it('neither keeps nor emits while priming', () => {
    const { board, emitted } = setup();
    board.priming = true;
    board.publishInvalid('dev', [{ path: '/spec', message: 'bad' }]);
    expect(board.has('dev')).toBe(false);
    board.priming = false;
    board.publishInvalid('dev', [{ path: '/spec', message: 'bad' }]);
    expect(emitted).toHaveLength(1);
  });

  it.each([
    [
      'an Invalid request',
      (b: StatusBoard) =>
        b.publishInvalid('dev', [
          { path: '/a', message: 'x' },
          { path: '/b', message: 'y' },
        ]),
      {
        phase: 'Invalid',
        message: '2 problem(s) in the request',
        conditions: [
          { type: 'Ready', status: 'False', reason: 'Invalid', message: '2 problem(s) in the request' },
        ],
        steps: [],
        outputs: {},
        problems: [
          { path: '/a', message: 'x' },
          { path: '/b', message: 'y' },
        ],
      },
    ],
    [
      'a deletion with no message of its own',
      (b: StatusBoard) => b.publishDeleting('dev', []),
      {
        phase: 'Deleting',
        message: 'removing the secrets and the environment files',
        outputs: {},
      },
    ],
  ] as const)('shapes %s', (_name, publish, expected) => {
    const { board } = setup();
    publish(board);
    expect(board.get('dev')).toMatchObject({ ...expected, observedAt: new Date(T).toISOString() });
  });

  it('forgets a deleted environment', () => {
    const { board } = setup();
    board.publishDeleting('dev', []);
    board.forget('dev');
    expect(board.has('dev')).toBe(false);
  });
});

describe('publicOutputs', () => {
  it('shows the declared, non-sensitive outputs that have a value', () => {
    const outputs = { db: { endpoint: 'db.local', password: 's3cret', undeclared: 1 }, ghost: { x: 1 } };
    expect(publicOutputs(env, outputs)).toEqual({ db: { endpoint: 'db.local' } });
  });
});

describe('namespaceTaken', () => {
  it.each([
    [undefined, undefined],
    ['dev', undefined],
    [
      'other',
      { path: '/spec/namespace', message: 'the namespace "dev" is already taken by another environment' },
    ],
  ])('with the claim held by %s: %j', (owner, problem) => {
    expect(namespaceTaken('dev', env, owner)).toEqual(problem);
  });
});
