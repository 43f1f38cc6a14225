/**
 * The Kubernetes API answering a share of requests with 500s, 409s and 429s, and dropping every
 * watch now and then: the engine (and the simulated controllers, as real ones do) ride it out.
 * Environments still reach Ready and are still deleted in order, with nothing left behind and no
 * commit made twice.
 */
import { jest } from '@jest/globals';
import type { FaultCounts } from '../../src/cluster/simulator/api-server-faults.js';
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
beforeAll(async () => {
  envcat = await startTestEnvcat();
});
afterAll(async () => {
  envcat?.simulator?.server.injectFaults(undefined);
  await envcat?.close();
});

const NAMES = ['faulty-a', 'faulty-b', 'faulty-c'];

const lastSeen = new Map<string, unknown>();

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
    throw new Error(
      `${(error as Error).message}\nlast seen: ${JSON.stringify(Object.fromEntries(lastSeen), null, 1)}`,
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

describe('a Kubernetes API that fails some requests and drops watches', () => {
  it('still provisions and deletes every environment, leaving nothing behind', async () => {
    const server = envcat.simulator!.server;
    // GIVEN three environments of the README example (a database, then two apps that need it)
    for (const name of NAMES) {
      const document = parse(await exampleText('sample-app', 'dev-feature-auth.yaml'));
      document.metadata = { name };
      (document.spec as { namespace: string }).namespace = name;
      expect((await envcat.api('POST', '/api/v1/environments', document)).status).toBe(201);
    }
    // WHEN 15% of the API's answers are errors and every watch is ended every 700 ms
    server.injectFaults({ errorRate: 0.15, dropWatchesEveryMs: 700, seed: 42 });

    // THEN every one gets Ready all the same
    for (const name of NAMES)
      await until(`${name} to be Ready`, async () => ((await phaseOf(name)) === 'Ready' ? true : undefined));

    // …and is deleted in order, still under the faults
    for (const name of NAMES)
      expect((await envcat.api('DELETE', `/api/v1/environments/${name}`)).status).toBe(202);
    for (const name of NAMES)
      await until(`${name} to be gone`, async () => ((await phaseOf(name)) === 'Gone' ? true : undefined));
    const counts = server.injectFaults(undefined) as FaultCounts;
    // The faults really happened: errors of each kind, and watches ended.
    expect(Object.keys(counts.injected).sort()).toEqual(['409', '429', '500']);
    expect(counts.watchesDropped).toBeGreaterThan(0);

    // Nothing is left: no Workspace, Application or Secret of theirs, no files, no claims
    for (const name of NAMES) {
      expect(await labelled('tf.m.upbound.io/v1beta1', 'Workspace', name)).toEqual([]);
      expect(await labelled('argoproj.io/v1alpha1', 'Application', name, 'argocd')).toEqual([]);
      expect(await labelled('v1', 'Secret', name)).toEqual([]);
    }
    for (const repo of [envcat.repoUrls.platform, envcat.repoUrls.apps]) {
      const tree = await git(repo, ['ls-tree', '-r', '--name-only', 'main']);
      expect(
        tree.split('\n').filter((p) => NAMES.some((n) => p.includes(`/${n}/`) || p.endsWith(`/${n}`))),
      ).toEqual([]);
      // …and no commit was made twice: each message about an environment appears once
      const paragraphs = (await commits(repo)).flatMap((c) => c.message.split('\n\n').map((m) => m.trim()));
      const own = paragraphs.filter((m) => NAMES.some((n) => m.startsWith(`envcat: ${n}: `)));
      expect(own.length).toBeGreaterThan(0);
      expect(own.filter((m, i) => own.indexOf(m) !== i)).toEqual([]);
    }
  });
});
