/**
 * StepObserver: what the caches say about each step, judged by core, with the step's clock only
 * once it is committed and not there yet; on fake caches, a fake view and fake clocks.
 */
import type { ResolvedEnvironment, Step, StepClock } from '../../src/core/index.js';
import type { KubeObject } from '../../src/cluster/types.js';
import { StepObserver } from '../../src/engine/step-observer.js';
import { TEST_RENDER_OPTIONS } from '../support/examples.js';
import { planStep, recordingQueue } from './fakes.js';

const NOW = Date.parse('2026-03-01T10:05:00Z');
const REV = 'a'.repeat(40);

const env = {
  name: 'dev',
  namespace: 'dev-ns',
  instances: [
    { name: 'db', entry: { document: { spec: { iac: {} } } } },
    { name: 'web', entry: { document: { spec: {} } } },
  ],
} as unknown as ResolvedEnvironment;
const step = (part: 'infra' | 'apps'): Step => planStep(part === 'infra' ? 'db' : 'web', part);

const condition = (type: string, reason: string) => ({ type, status: 'True', reason, observedGeneration: 1 });
const readyWorkspace = (outputs: Record<string, unknown>): KubeObject => ({
  apiVersion: 'tf.m.upbound.io/v1beta1',
  kind: 'Workspace',
  metadata: { name: 'dev-db', namespace: 'dev-ns', generation: 1 },
  status: {
    conditions: [condition('Ready', 'Available'), condition('Synced', 'ReconcileSuccess')],
    atProvider: { outputs },
  },
});
const syncedApplication = (source: Record<string, unknown>): KubeObject => ({
  apiVersion: 'argoproj.io/v1alpha1',
  kind: 'Application',
  metadata: { name: 'dev-web', namespace: 'argocd' },
  spec: { source },
  status: { sync: { status: 'Synced', revision: REV }, health: { status: 'Healthy' } },
});

function setup(options: {
  committed?: boolean;
  workspaces?: readonly KubeObject[];
  applications?: readonly KubeObject[];
  since?: number;
  accepted?: boolean;
  /** The environment's own last commit of the step, once Git has answered. */
  ownCommit?: string;
  workspaceApi?: 'namespaced' | 'cluster';
}) {
  const clocks: string[] = [];
  const asked: string[] = [];
  const lookups: Array<[string, string | undefined]> = [];
  const queue = recordingQueue();
  const observer = new StepObserver({
    view: {
      isCommitted: () => options.committed ?? true,
      sourceDigest: () => undefined,
      specDigest: () => undefined,
      stepFilesVersion: (_env, s) => `v-${s.id}`,
    },
    workspace: (name, namespace) => {
      lookups.push([name, namespace]);
      return options.workspaces?.find((w) => w.metadata.name === name);
    },
    application: (name) => options.applications?.find((a) => a.metadata.name === name),
    render: { ...TEST_RENDER_OPTIONS, workspaceApi: options.workspaceApi ?? 'namespaced' },
    clocks: {
      commitOf: () => options.ownCommit,
      clock: (_env, s, version): StepClock => {
        clocks.push(`${s.id}@${version}`);
        return {
          ...(options.since === undefined ? {} : { since: options.since }),
          now: NOW,
          timeoutMs: 600_000,
          graceMs: 60_000,
        };
      },
    },
    revisions: {
      accepted: (environment, instance, revision) => {
        asked.push(`${environment}/${instance}@${revision.slice(0, 1)}`);
        return options.accepted ?? true;
      },
    },
    queue,
    now: () => NOW,
  });
  return { observer, clocks, asked, lookups, queue };
}

describe('StepObserver.observe', () => {
  it('reports a blocked step as Failed with why, whatever the cluster says', () => {
    const { observer, clocks } = setup({ workspaces: [readyWorkspace({})] });
    expect(observer.observe(env, step('infra'), { reason: 'SecretNotFound', message: 'gone' })).toEqual({
      step: step('infra'),
      committed: true,
      state: { phase: 'Failed', reason: 'SecretNotFound', message: 'gone' },
    });
    expect(clocks).toEqual([]);
  });

  it.each([
    ['not committed, not there: no clock', { committed: false }, 'NotApplied', [], []],
    ['committed, commit date not known yet', { since: undefined }, 'NotApplied', ['db/infra@v-db/infra'], []],
    [
      'committed 5 minutes ago: looked at again when the 10-minute timeout runs out',
      { since: NOW - 300_000 },
      'NotApplied',
      ['db/infra@v-db/infra'],
      [['dev', 300_250]],
    ],
    ['committed 10 minutes ago: timed out', { since: NOW - 600_000 }, 'Timeout', ['db/infra@v-db/infra'], []],
    ['Ready: no clock', { workspaces: [readyWorkspace({})] }, 'Available', [], []],
  ] as const)('an infra step %s', (_name, options, reason, clocks, after) => {
    const fixture = setup(options);
    expect(fixture.observer.observe(env, step('infra'), undefined).state.reason).toBe(reason);
    expect(fixture.clocks).toEqual(clocks);
    expect(fixture.queue.after).toEqual(after);
  });

  it.each([
    ['at a revision that holds our commit', {}, { accepted: true }, 'Healthy', ['dev/web@a']],
    // Not Ready, so judged again with its clock: asked twice.
    ['at an older revision', {}, { accepted: false }, 'OutdatedRevision', ['dev/web@a', 'dev/web@a']],
    [
      'of a Helm chart: current once synced, whatever the revision',
      { chart: 'nginx' },
      { accepted: false },
      'Healthy',
      [],
    ],
  ])('an Application %s', (_name, source, options, reason, asked) => {
    const fixture = setup({ applications: [syncedApplication(source)], ...options });
    expect(fixture.observer.observe(env, step('apps'), undefined).state.reason).toBe(reason);
    expect(fixture.asked).toEqual(asked);
  });

  it.each([
    // REV is the head of the shared apps repo, which another environment's commit may have moved.
    ['names the environment’s own commit', 'b'.repeat(40), `synced at ${'b'.repeat(12)}`],
    ['names no commit until Git has said which is its own', undefined, 'synced and healthy'],
  ])('a Ready Application %s, not the revision Argo CD synced', (_name, ownCommit, message) => {
    const fixture = setup({ applications: [syncedApplication({})], ...(ownCommit ? { ownCommit } : {}) });
    const state = fixture.observer.observe(env, step('apps'), undefined).state;
    expect(state).toEqual({ phase: 'Ready', reason: 'Healthy', message });
    expect(state.message).not.toContain(REV.slice(0, 12));
  });

  it.each([
    ['namespaced', 'dev-ns'],
    ['cluster', undefined],
  ] as const)('looks a %s Workspace up where it lives', (workspaceApi, namespace) => {
    const { observer, lookups } = setup({ workspaceApi });
    observer.object(env, step('infra'));
    expect(lookups).toEqual([['dev-db', namespace]]);
  });

  it('refuses a step of an instance the environment does not have', () => {
    const { observer } = setup({});
    expect(() => observer.object(env, { ...step('infra'), id: 'gone/infra', instance: 'gone' })).toThrow(
      'plan step gone/infra has no instance',
    );
  });
});

describe('StepObserver.outputs', () => {
  it('takes the outputs of the Ready Workspaces of infrastructure instances', () => {
    const notReady: KubeObject = { ...readyWorkspace({ id: 'x' }), status: {} };
    expect(setup({ workspaces: [readyWorkspace({ endpoint: 'db.local' })] }).observer.outputs(env)).toEqual({
      db: { endpoint: 'db.local' },
    });
    expect(setup({ workspaces: [notReady] }).observer.outputs(env)).toEqual({});
  });
});
