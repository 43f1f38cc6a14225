/**
 * ProjectGate: whether an environment's AppProject is in the cluster as rendered, decided from an
 * informer once it has synced, with a GET per decision until then (an older RBAC without list and
 * watch on appprojects keeps the informer retrying), and "go ahead" when AppProjects cannot be
 * read at all. On the in-memory cluster twin, whose call log shows every GET.
 */
import pino from 'pino';
import { KindNotServedError } from '../../src/cluster/errors.js';
import type { ClusterClient, Informer, TypeRef } from '../../src/cluster/types.js';
import {
  renderAppProject,
  renderOptions,
  validateEnvironment,
  type ResolvedEnvironment,
} from '../../src/core/index.js';
import { ProjectGate } from '../../src/engine/project-gate.js';
import { APP_PROJECT, domainRequest } from '../support/engine-harness.js';
import { builtInCatalog, TEST_RENDER_OPTIONS } from '../support/examples.js';
import { MemoryClusterClient } from '../support/memory-cluster-client.js';

const logger = pino({ level: 'silent' });
const NAMESPACES = ['default', 'argocd', 'dev-gate'];

/** An informer that never syncs: what a list refused with 403 looks like (client-node retries it). */
function neverSyncing(informer: Informer): Informer {
  return Object.assign(Object.create(informer) as Informer, {
    start: () => new Promise<void>(() => undefined),
  });
}

/** An informer of a kind the API server does not serve: start() fails at once, as discovery does. */
function notServed(informer: Informer, type: TypeRef): Informer {
  return Object.assign(Object.create(informer) as Informer, {
    start: () => Promise.reject(new KindNotServedError(type)),
  });
}

type Mode = 'watched' | 'not listable' | 'not served';
interface Case {
  mode: Mode;
  /** The AppProject in the cluster: none, the rendered one, or one without the environment's chart repo. */
  live: 'none' | 'rendered' | 'narrower';
  ready: boolean;
  gets: number;
}

const cases: Array<[string, Case]> = [
  ['watched, not there yet', { mode: 'watched', live: 'none', ready: false, gets: 0 }],
  ['watched, as rendered', { mode: 'watched', live: 'rendered', ready: true, gets: 0 }],
  ['watched, permits less', { mode: 'watched', live: 'narrower', ready: false, gets: 0 }],
  ['list refused, not there yet', { mode: 'not listable', live: 'none', ready: false, gets: 1 }],
  ['list refused, as rendered', { mode: 'not listable', live: 'rendered', ready: true, gets: 1 }],
  ['no Argo CD API: the apps go ahead', { mode: 'not served', live: 'none', ready: true, gets: 1 }],
];

describe('ProjectGate.ready', () => {
  let env: ResolvedEnvironment;
  beforeAll(async () => {
    ({ environment: env } = validateEnvironment(domainRequest('dev-gate'), await builtInCatalog()));
  });

  it.each(cases)('%s', async (_, { mode, live, ready, gets }) => {
    const twin = new MemoryClusterClient({ namespaces: NAMESPACES });
    const rendered = renderAppProject(env, TEST_RENDER_OPTIONS)!;
    if (live !== 'none') {
      const spec = rendered.spec as { sourceRepos: string[] };
      await twin.apply(
        live === 'rendered'
          ? (rendered as never)
          : ({ ...rendered, spec: { ...spec, sourceRepos: spec.sourceRepos.slice(0, 1) } } as never),
        { fieldManager: 'argocd-controller' },
      );
    }
    const cluster: Pick<ClusterClient, 'get' | 'informer'> = {
      get: (ref) => {
        if (mode !== 'not served') return twin.get(ref);
        twin.failNext('get', new KindNotServedError(ref));
        return twin.get(ref);
      },
      informer: (type, options) => {
        const informer = twin.informer(type, options);
        if (mode === 'watched') return informer;
        return mode === 'not listable' ? neverSyncing(informer) : notServed(informer, type);
      },
    };
    const gate = new ProjectGate({ cluster, render: TEST_RENDER_OPTIONS, logger });
    gate.start();
    await new Promise((resolve) => setImmediate(resolve));
    twin.clearCalls();

    expect(await gate.ready(env, logger)).toBe(ready);
    expect(twin.calls('get').filter((c) => c.ref.kind === APP_PROJECT.kind)).toHaveLength(gets);
    gate.stop();
  });

  it('a shared project (no {env} in the project option) is never waited for or watched', async () => {
    const twin = new MemoryClusterClient({ namespaces: NAMESPACES });
    const render = renderOptions({
      appsRepo: { url: 'https://git.example.test/envcat/apps.git', revision: 'main' },
      argocd: { project: 'envcat' },
    } as never);
    const gate = new ProjectGate({ cluster: twin, render, logger });
    gate.start();
    expect(await gate.ready(env, logger)).toBe(true);
    expect(twin.calls('get')).toHaveLength(0);
    expect(twin.calls('informer')).toHaveLength(0);
  });
});
