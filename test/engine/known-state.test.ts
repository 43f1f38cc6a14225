/**
 * KnownState: an environment's status between passes, derived from its file, the caches and the
 * steps the last pass found blocked, and published on a real StatusBoard; and its steps' objects
 * for the resources view. The parser, the observer and the clocks are fakes that say what they
 * were asked.
 */
import type { KubeObject } from '../../src/cluster/types.js';
import type { Plan, ResolvedEnvironment, Step, StepObservation } from '../../src/core/index.js';
import type { Blocked } from '../../src/engine/blocked.js';
import type { DesiredEnvironment } from '../../src/engine/desired-state.js';
import { KnownState } from '../../src/engine/known-state.js';
import { StatusBoard, type EnvironmentStatusView } from '../../src/engine/status-board.js';
import { recordingLogger } from './fakes.js';

const step = (id: string, wave: number): Step => ({
  id,
  instance: id.split('/')[0]!,
  part: id.endsWith('/infra') ? 'infra' : 'apps',
  dependsOn: [],
  phase: id.endsWith('/infra') ? 1 : 2,
  wave,
});
const STEPS = [step('db/infra', 1), step('web/apps', 2)];
const env = { name: 'dev', namespace: 'dev', instances: [] } as unknown as ResolvedEnvironment;
const plan = { steps: STEPS, waves: [] } as unknown as Plan;
const valid = (deletionRequested = false): DesiredEnvironment => ({
  name: 'dev',
  valid: true,
  environment: env,
  plan,
  deletionRequested,
});
const PROBLEM = { path: '/spec/instances/0/entry', message: 'no such entry' };

function setup(options: {
  source?: string;
  desired?: DesiredEnvironment;
  owner?: string;
  blocked?: Record<string, Blocked>;
  known?: boolean;
}) {
  const statuses = new Map<string, EnvironmentStatusView>();
  const board = new StatusBoard({
    now: () => Date.parse('2026-03-01T10:00:00Z'),
    logger: recordingLogger().logger,
    onChange: (name, status) => void statuses.set(name, status),
  });
  if (options.known) board.publishInvalid('dev', [PROBLEM]);
  const observed: Array<[string, Blocked | undefined]> = [];
  const parsed: string[] = [];
  const known = new KnownState({
    view: {
      environmentSource: (name) => (name === 'dev' ? options.source : undefined),
      namespaceOwner: (namespace) => (namespace === 'dev' ? options.owner : undefined),
      stepFilesVersion: (name, s) => `${name}:${s.id}:v3`,
    },
    parser: {
      parse: (name, source) => {
        parsed.push(`${name}:${source}`);
        return options.desired!;
      },
    },
    observer: {
      observe: (_env, s, blocked): StepObservation => {
        observed.push([s.id, blocked]);
        return blocked
          ? {
              step: s,
              committed: true,
              state: { phase: 'Failed', reason: blocked.reason, message: blocked.message },
            }
          : { step: s, committed: true, state: { phase: 'Ready', reason: 'Ready', message: '' } };
      },
      outputs: () => ({}),
      object: (_env, s): KubeObject => ({ apiVersion: 'v1', kind: 'Fake', metadata: { name: s.id } }),
    },
    blocked: {
      of: (name) =>
        name === 'dev' && options.blocked ? new Map(Object.entries(options.blocked)) : undefined,
    },
    board,
    clocks: { commitOf: (_env, s, version) => (s.wave === 1 ? `commit of ${version}` : undefined) },
    parentApplication: (repo, name) => `${name}-${repo}`,
  });
  return { known, board, statuses, observed, parsed };
}

describe('KnownState.publishStatus', () => {
  it.each<[string, Parameters<typeof setup>[0], string | undefined, string | undefined]>([
    ['no file, never seen: nothing to say', {}, undefined, undefined],
    ['no file, seen before: Deleting, nothing left', { known: true }, 'Deleting', undefined],
    [
      'a file with problems: Invalid, with them',
      { source: 'x', desired: { name: 'dev', valid: false, problems: [PROBLEM], deletionRequested: false } },
      'Invalid',
      'no such entry',
    ],
    [
      'its namespace held by another environment: Invalid',
      { source: 'x', desired: valid(), owner: 'other' },
      'Invalid',
      'the namespace "dev" is already taken by another environment',
    ],
    [
      'its own namespace claim: the steps decide (all Ready)',
      { source: 'x', desired: valid(), owner: 'dev' },
      'Ready',
      undefined,
    ],
    [
      'deletion requested: Deleting',
      { source: 'x', desired: valid(true), owner: 'dev' },
      'Deleting',
      undefined,
    ],
  ])('%s', (_, options, phase, problem) => {
    const { known, board } = setup(options);
    known.publishStatus('dev');
    expect(board.get('dev')?.phase).toBe(phase);
    if (problem) expect(board.get('dev')?.problems?.map((p) => p.message)).toEqual([problem]);
  });

  it('gives the observer each step with what the last pass found blocking it', () => {
    const blocked = { reason: 'SecretMissing', message: 'Secret dev-web-params is gone' };
    const { known, board, observed, parsed } = setup({
      source: 'the file',
      desired: valid(),
      blocked: { 'web/apps': blocked },
    });
    known.publishStatus('dev');
    expect(parsed).toEqual(['dev:the file']);
    expect(observed).toEqual([
      ['db/infra', undefined],
      ['web/apps', blocked],
    ]);
    expect(board.get('dev')?.phase).toBe('Failed');
  });
});

describe('KnownState.stepObjects', () => {
  it('lists each step’s object and commit as known, and the Applications that sync its folders', () => {
    const { known } = setup({ source: 'x', desired: valid() });
    expect(known.stepObjects('dev')).toEqual({
      env,
      plan,
      steps: [
        {
          step: STEPS[0],
          object: expect.objectContaining({ metadata: { name: 'db/infra' } }),
          commit: 'commit of dev:db/infra:v3',
        },
        {
          step: STEPS[1],
          object: expect.objectContaining({ metadata: { name: 'web/apps' } }),
          commit: undefined,
        },
      ],
      parents: { platform: 'dev-platform', apps: 'dev-apps' },
    });
  });

  it.each<[string, Parameters<typeof setup>[0]]>([
    ['no file', {}],
    [
      'an invalid file',
      { source: 'x', desired: { name: 'dev', valid: false, problems: [PROBLEM], deletionRequested: false } },
    ],
  ])('is undefined for %s', (_, options) => {
    expect(setup(options).known.stepObjects('dev')).toBeUndefined();
  });
});
