/**
 * ArgoRefresher: the Argo CD refresh requests after a commit, while the AppProject is missing and
 * while a committed step waits, on a fake cluster (records its patches) and a clock the test moves.
 */
import { NotFoundError, type StepObservation } from '../../src/core/index.js';
import type { KubeObject, ObjectRef } from '../../src/cluster/types.js';
import { KindNotServedError } from '../../src/cluster/errors.js';
import { ArgoRefresher } from '../../src/engine/refresh.js';
import { recordingLogger, recordingQueue } from './fakes.js';

const T0 = Date.parse('2026-03-01T10:00:00Z');

function setup(
  options: {
    fail?: (ref: ObjectRef) => Error | undefined;
    applications?: KubeObject[];
    get?: (ref: ObjectRef) => KubeObject | undefined;
    againAfterMs?: number;
  } = {},
) {
  let now = T0;
  const patches: string[] = [];
  const cluster = {
    get: async (ref: ObjectRef) => options.get?.(ref),
    mergePatch: async (ref: ObjectRef, patch: Record<string, unknown>) => {
      const error = options.fail?.(ref);
      if (error) throw error;
      const annotations = (patch.metadata as { annotations: Record<string, string> }).annotations;
      patches.push(`${ref.namespace}/${ref.kind}/${ref.name} ${JSON.stringify(annotations)}`);
      return {} as KubeObject;
    },
  };
  const queue = recordingQueue();
  const log = recordingLogger();
  const refresher = new ArgoRefresher({
    cluster,
    namespace: 'argocd',
    applications: () => options.applications ?? [],
    application: (name) => options.applications?.find((a) => a.metadata.name === name),
    now: () => now,
    queue,
    logger: log.logger,
    consumedPoll: { intervalMs: 1, attempts: 5 },
    ...(options.againAfterMs !== undefined ? { againAfterMs: options.againAfterMs } : {}),
  });
  return { refresher, patches, queue, log, advance: (ms: number) => (now += ms) };
}

const waiting = (part: 'infra' | 'apps', reason = 'NotApplied'): StepObservation => ({
  step: { id: `db/${part}`, instance: 'db', part, dependsOn: [], phase: 1, wave: 1 },
  committed: true,
  state: { phase: 'Progressing', reason, message: '' },
});

describe('ArgoRefresher', () => {
  it("asks the repo's ApplicationSet, the environment's folder and its instances' Applications", async () => {
    const app = (name: string, env: string): KubeObject => ({
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Application',
      metadata: { name, labels: { 'envcat.io/environment': env, 'envcat.io/instance': 'web' } },
    });
    const { refresher, patches } = setup({ applications: [app('dev-web', 'dev'), app('prod-web', 'prod')] });
    // WHEN dev commits to the apps repo
    refresher.request('dev', 'apps');
    await refresher.idle();
    // THEN the default names are used, in Argo CD's namespace
    // (the ApplicationSet's goes out once its last request was taken: after a read)
    expect(patches).toEqual([
      'argocd/Application/envcat-apps-dev {"argocd.argoproj.io/refresh":"normal","argocd.argoproj.io/refresh-timestamp":"2026-03-01T10:00:00.000Z"}',
      'argocd/Application/dev-web {"argocd.argoproj.io/refresh":"normal","argocd.argoproj.io/refresh-timestamp":"2026-03-01T10:00:00.001Z"}',
      'argocd/ApplicationSet/envcat-apps {"argocd.argoproj.io/application-set-refresh":"true"}',
    ]);
  });

  it.each([
    ['taken after two reads', 2, 3],
    ['never taken (no controller): sent after the last read', 99, 4],
  ])(
    'asks an ApplicationSet again only once its last request was taken: %s',
    async (_name, pendingReads, reads) => {
      // The controller removes its refresh annotation when its refresh ends, whatever was set meanwhile.
      let read = 0;
      const { refresher, patches } = setup({
        get: (ref) => {
          if (ref.kind !== 'ApplicationSet') return undefined;
          read++;
          const annotations: Record<string, string> =
            read <= pendingReads ? { 'argocd.argoproj.io/application-set-refresh': 'true' } : {};
          return {
            apiVersion: 'argoproj.io/v1alpha1',
            kind: 'ApplicationSet',
            metadata: { name: ref.name, annotations },
          };
        },
      });
      refresher.request('dev', 'platform');
      await refresher.idle();
      expect(read).toBe(reads);
      expect(patches.filter((p) => p.includes('ApplicationSet'))).toEqual([
        'argocd/ApplicationSet/envcat-platform {"argocd.argoproj.io/application-set-refresh":"true"}',
      ]);
    },
  );

  it('never repeats a refresh-timestamp, even when the clock stands still', async () => {
    // Argo CD removes a consumed request only if its timestamp is unchanged: a repeated one set
    // during a refresh would be removed with it, and the second commit not looked at.
    const { refresher, patches, advance } = setup();
    refresher.request('dev', 'platform');
    await refresher.idle();
    refresher.request('dev', 'platform');
    await refresher.idle();
    advance(5);
    refresher.request('dev', 'platform');
    await refresher.idle();
    const stamps = patches
      .filter((p) => p.includes('/Application/'))
      .map(
        (p) =>
          (JSON.parse(p.slice(p.indexOf(' ') + 1)) as Record<string, string>)[
            'argocd.argoproj.io/refresh-timestamp'
          ],
      );
    expect(stamps).toEqual([
      '2026-03-01T10:00:00.000Z',
      '2026-03-01T10:00:00.001Z',
      '2026-03-01T10:00:00.005Z',
    ]);
  });

  it('sends one request per object at a time, and once more for the asks made meanwhile', async () => {
    const { refresher, patches } = setup();
    // WHEN three commits ask while the first request is under way
    refresher.request('a', 'platform');
    refresher.request('b', 'platform');
    refresher.request('c', 'platform');
    await refresher.idle();
    // THEN the ApplicationSet is patched twice, not three times; each folder once
    expect(patches.filter((p) => p.includes('ApplicationSet'))).toHaveLength(2);
    expect(patches.filter((p) => p.includes('/Application/'))).toHaveLength(3);
  });

  it.each([
    ['an object not there yet', new NotFoundError('not found'), []],
    [
      'a kind the cluster does not serve',
      new KindNotServedError({ apiVersion: 'argoproj.io/v1alpha1', kind: 'ApplicationSet' }),
      ['refresh request failed'],
    ],
    ['a refused request', new Error('etcdserver: request timed out'), ['refresh request failed']],
  ])('after %s logs %j, and asks the others all the same', async (_name, error, logged) => {
    const { refresher, patches, log } = setup({
      fail: (ref) => (ref.kind === 'ApplicationSet' ? error : undefined),
    });
    refresher.request('dev', 'platform');
    await refresher.idle();
    expect(log.messages()).toEqual(logged);
    expect(patches).toEqual([
      'argocd/Application/envcat-platform-dev {"argocd.argoproj.io/refresh":"normal","argocd.argoproj.io/refresh-timestamp":"2026-03-01T10:00:00.000Z"}',
    ]);
  });

  it('while the AppProject is missing, asks for the platform folder at most every 10 s and looks again then', async () => {
    const { refresher, patches, queue, advance } = setup();
    refresher.whileProjectMissing('dev');
    refresher.whileProjectMissing('dev');
    await refresher.idle();
    expect(patches).toHaveLength(2); // the ApplicationSet and the folder, once
    expect(queue.after).toEqual([
      ['dev', 10_000],
      ['dev', 10_000],
    ]);
    advance(10_000);
    refresher.whileProjectMissing('dev');
    await refresher.idle();
    expect(patches).toHaveLength(4);
  });

  it.each([
    ['10 s (the default)', undefined, 10_000],
    ['500 ms (the interval it was given: ENVCAT_REFRESH_AGAIN)', 500, 500],
  ])(
    'asks again once a wait has lasted %s with no request meanwhile, for a step and for the AppProject',
    async (_name, againAfterMs, interval) => {
      const { refresher, patches, queue, log, advance } = setup({ againAfterMs });
      // GIVEN an infra step committed (and refreshed) now, not in the cluster yet
      refresher.request('dev', 'platform');
      await refresher.idle();
      refresher.againIfStuck('dev', [waiting('infra')]);
      refresher.whileProjectMissing('dev');
      // THEN both waits look again after the interval, without a new request yet
      expect(queue.after).toEqual([
        ['dev', interval],
        ['dev', interval],
      ]);
      advance(interval - 1);
      refresher.againIfStuck('dev', [waiting('infra')]);
      refresher.whileProjectMissing('dev');
      await refresher.idle();
      expect(patches).toHaveLength(2);
      // WHEN the wait reaches the interval THEN it asks again, and says so
      advance(1);
      refresher.againIfStuck('dev', [waiting('infra')]);
      await refresher.idle();
      expect(patches).toHaveLength(4);
      expect(log.lines.at(-1)).toMatchObject({
        environment: 'dev',
        repo: 'platform',
        msg: 'asking Argo CD to refresh again',
      });
      // …and while the AppProject is missing, once the interval has passed since that request
      advance(interval);
      refresher.whileProjectMissing('dev');
      await refresher.idle();
      expect(patches).toHaveLength(6);
    },
  );

  it('counts the wait anew once the step has caught up', async () => {
    const { refresher, patches, advance } = setup();
    refresher.againIfStuck('dev', [waiting('apps', 'OutdatedRevision')]);
    advance(10_000);
    // WHEN the step caught up meanwhile THEN the wait is forgotten...
    refresher.againIfStuck('dev', [waiting('apps', 'Synced')]);
    // ...and a new one starts from now: nothing is asked yet
    refresher.againIfStuck('dev', [waiting('apps', 'OutdatedRevision')]);
    await refresher.idle();
    expect(patches).toEqual([]);
  });

  it('waits afresh for an environment it forgot', async () => {
    const { refresher, patches, advance } = setup();
    refresher.ifStillWaiting('dev', 'apps');
    advance(10_000);
    refresher.forget('dev');
    refresher.ifStillWaiting('dev', 'apps');
    await refresher.idle();
    expect(patches).toEqual([]);
  });
});
