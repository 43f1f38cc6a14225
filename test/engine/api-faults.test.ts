/**
 * The Kubernetes API answering a share of requests with 500s, 409s and 429s, and dropping every
 * watch now and then: the engine (and the simulated controllers, as real ones do) ride it out.
 * Environments still reach Ready and are still deleted in order, with nothing left behind and no
 * commit made twice.
 */
import { jest } from '@jest/globals';
import type { FaultCounts, FaultPlan } from '../../src/simulator/api-server-faults.js';
import {
  commits,
  exampleText,
  git,
  parse,
  startTestEnvcat,
  waitFor,
  type TestEnvcat,
} from '../support/envcat.js';

jest.setTimeout(240_000);

let envcat: TestEnvcat;
const lastSeen = new Map<string, unknown>();
beforeAll(async () => {
  // A wait for Argo CD asks it again after 500 ms instead of production's 10 s (a refresh request the
  // faults refused is lost until then): the same path, sooner. Three or four such 10 s waits made a
  // run of this file take 40–60 s.
  envcat = await startTestEnvcat({ env: { ENVCAT_REFRESH_AGAIN: '500ms' } });
});
afterAll(async () => {
  envcat?.simulator?.server.injectFaults(undefined);
  await envcat?.close();
});

async function phaseOf(name: string): Promise<string | undefined> {
  const response = await envcat.api<{ status: { phase: string } }>('GET', `/api/v1/environments/${name}`);
  lastSeen.set(name, response.body?.status ?? response.status);
  return response.status === 200 ? response.body.status.phase : response.status === 404 ? 'Gone' : undefined;
}

/** Waits, and on a timeout says what each environment was doing (the status the API last gave). */
async function until(what: string, probe: () => Promise<true | undefined>): Promise<void> {
  try {
    await waitFor(what, probe, { timeoutMs: 120_000, intervalMs: 250 });
  } catch (error) {
    envcat.simulator?.server.injectFaults(undefined);
    const parents = await envcat.cluster.list(
      { apiVersion: 'argoproj.io/v1alpha1', kind: 'Application' },
      { namespace: 'argocd' },
    );
    const operations = parents.map((a) => ({
      name: a.metadata.name,
      operation: (a.status as { operationState?: { phase?: string; message?: string } } | undefined)
        ?.operationState,
    }));
    throw new Error(
      `${(error as Error).message}\nlast seen: ${JSON.stringify(Object.fromEntries(lastSeen), null, 1)}\nApplications: ${JSON.stringify(operations, null, 1)}`,
      { cause: error },
    );
  }
}

async function labelled(apiVersion: string, kind: string, name: string, namespace?: string) {
  return envcat.cluster.list(
    { apiVersion, kind },
    { labelSelector: `envcat.io/environment=${name}`, ...(namespace ? { namespace } : {}) },
  );
}

/**
 * Three environments of the README example (a database, then two apps that need it) created,
 * then provisioned and deleted under `plan`: each gets Ready and is gone again, nothing of theirs
 * is left in the cluster or in Git, and no commit was made twice. Returns what was injected.
 */
async function provisionAndDeleteUnder(plan: FaultPlan, names: string[]): Promise<FaultCounts> {
  const server = envcat.simulator!.server;
  try {
    return await underFaults(server, plan, names);
  } finally {
    server.injectFaults(undefined);
  }
}

async function underFaults(
  server: NonNullable<TestEnvcat['simulator']>['server'],
  plan: FaultPlan,
  names: string[],
): Promise<FaultCounts> {
  for (const name of names) {
    const document = parse(await exampleText('sample-app', 'dev-feature-auth.yaml'));
    document.metadata = { name };
    (document.spec as { namespace: string }).namespace = name;
    expect((await envcat.api('POST', '/api/v1/environments', document)).status).toBe(201);
  }
  server.injectFaults(plan);
  // Ready, or Failed as Argo CD reports a sync whose retries ran out (a 409 or 429 on every one of
  // its attempts): then `retry` is the way on, as for any failed step, and gets it Ready.
  for (const name of names) {
    for (let attempt = 1; ; attempt++) {
      let phase: string | undefined;
      await until(`${name} to be Ready or Failed`, async () => {
        phase = await phaseOf(name);
        return phase === 'Ready' || phase === 'Failed' ? true : undefined;
      });
      if (phase === 'Ready') break;
      expect(JSON.stringify(lastSeen.get(name))).toMatch(
        /retried \d+ times|HTTP 4\d\d|HTTP 500|the object has been modified/,
      );
      expect(attempt).toBeLessThan(4);
      expect((await envcat.api('POST', `/api/v1/environments/${name}/retry`)).status).toBe(202);
    }
  }
  for (const name of names)
    expect((await envcat.api('DELETE', `/api/v1/environments/${name}`)).status).toBe(202);
  for (const name of names)
    await until(`${name} to be gone`, async () => ((await phaseOf(name)) === 'Gone' ? true : undefined));
  const counts = server.injectFaults(undefined)!;

  // The environment's parent Applications (the ApplicationSets' envcat-platform-<env>, …) go after
  // its files, as Argo CD's resources finalizer cascades: wait for that, then nothing is left.
  const left = async () => {
    const found: string[] = [];
    for (const name of names) {
      for (const object of [
        ...(await labelled('tf.m.upbound.io/v1beta1', 'Workspace', name)),
        ...(await labelled('argoproj.io/v1alpha1', 'Application', name, 'argocd')),
        ...(await labelled('v1', 'Secret', name)),
      ])
        found.push(`${object.kind} ${object.metadata.name}`);
    }
    return found;
  };
  await waitFor(
    'nothing of theirs left in the cluster',
    async () => ((await left()).length === 0 ? true : undefined),
    {
      timeoutMs: 60_000,
    },
  ).catch(async (error: unknown) => {
    throw new Error(`${(error as Error).message}: ${(await left()).join(', ')}`, { cause: error });
  });
  for (const repo of [envcat.repoUrls.platform, envcat.repoUrls.apps]) {
    const tree = await git(repo, ['ls-tree', '-r', '--name-only', 'main']);
    expect(
      tree.split('\n').filter((p) => names.some((n) => p.includes(`/${n}/`) || p.endsWith(`/${n}`))),
    ).toEqual([]);
    // The engine's change sets for them, also those grouped behind another in one commit
    const own = (await commits(repo))
      .flatMap((c) => c.changeSets)
      .filter((m) => names.some((n) => m.startsWith(`envcat: ${n}: `)));
    expect(own.length).toBeGreaterThan(0);
    expect(own.filter((m, i) => own.indexOf(m) !== i)).toEqual([]);
  }
  return counts;
}

describe('a Kubernetes API that misbehaves', () => {
  it('answering 10% of requests with 500, 409 or 429: every environment still gets Ready and is deleted, leaving nothing behind', async () => {
    const counts = await provisionAndDeleteUnder({ errorRate: 0.1, seed: 42 }, [
      'faulty-a',
      'faulty-b',
      'faulty-c',
    ]);
    expect(Object.keys(counts.injected).sort()).toEqual(['409', '429', '500']);
    expect(Object.values(counts.injected).reduce((a, b) => a + b, 0)).toBeGreaterThan(20);
  });

  it('both at once: the same', async () => {
    const counts = await provisionAndDeleteUnder({ errorRate: 0.1, dropWatchesEveryMs: 700, seed: 7 }, [
      'both-a',
      'both-b',
      'both-c',
    ]);
    expect(counts.watchesDropped).toBeGreaterThan(10);
    expect(Object.keys(counts.injected).length).toBeGreaterThan(0);
  });

  it("refusing every deletion of a Workspace for longer than Argo CD's retries: envcat asks for a new sync of the folder, and the deletion completes once the API is back", async () => {
    // GIVEN a Ready environment
    const name = 'outage-a';
    const document = parse(await exampleText('sample-app', 'dev-feature-auth.yaml'));
    document.metadata = { name };
    (document.spec as { namespace: string }).namespace = name;
    expect((await envcat.api('POST', '/api/v1/environments', document)).status).toBe(201);
    await until(`${name} to be Ready`, async () => ((await phaseOf(name)) === 'Ready' ? true : undefined));
    const server = envcat.simulator!.server;
    const message = async () =>
      (await envcat.api<{ status: { message: string } }>('GET', `/api/v1/environments/${name}`)).body.status
        .message;

    // WHEN the API server answers every DELETE of a Workspace with a 500 (an etcd leader change that
    // lasts) and the environment is deleted
    server.injectFaults({
      errorRate: 1,
      statuses: [500],
      only: { methods: ['DELETE'], resources: ['tf.m.upbound.io/workspaces'] },
    });
    const asked =
      /^Argo CD's sync of environments\/outage-a in the platform repo failed: .*leader changed.*; envcat asked for a new sync \(attempt 1, /;
    let said: string | undefined;
    try {
      expect((await envcat.api('DELETE', `/api/v1/environments/${name}`)).status).toBe(202);
      // THEN the prune of db's Workspace fails on every attempt of the folder's sync, Argo CD gives
      // up on that revision, and envcat asks for a new sync; the status says so (without envcat's
      // ask it never does: the outage ends after 30 s all the same)
      await waitFor(
        `${name} to say that its folder's sync failed and envcat asked again`,
        async () => {
          const now = await message();
          if (asked.test(now)) said = now;
          return said;
        },
        { timeoutMs: 30_000, intervalMs: 100 },
      ).catch(() => undefined);
    } finally {
      server.injectFaults(undefined);
    }
    // AND once the API server is back, the deletion completes (without envcat's ask, it waited forever)
    await until(`${name} to be gone`, async () => ((await phaseOf(name)) === 'Gone' ? true : undefined));
    expect(said).toMatch(asked);
    expect(envcat.logs()).toContain('asked Argo CD for a new sync of the folder');
    expect(await labelled('tf.m.upbound.io/v1beta1', 'Workspace', name)).toEqual([]);
  });

  it('ending every watch every 700 ms: the same, with the informers resuming from their resourceVersion', async () => {
    const counts = await provisionAndDeleteUnder({ errorRate: 0, dropWatchesEveryMs: 700 }, [
      'dropped-a',
      'dropped-b',
      'dropped-c',
    ]);
    expect(counts.watchesDropped).toBeGreaterThan(10);
  });
});
