/**
 * The ClusterClient contract (client-contract.ts) against both implementations: KubeClusterClient
 * over HTTP against the simulated API server, and the in-memory twin. Then what only the twin
 * offers: events delivered before a write resolves, fault injection and the record of calls.
 */
import { ExternalError } from '../../src/core/errors/index.js';
import type { KubeObject } from '../../src/cluster/types.js';
import { MemoryClusterClient } from '../support/memory-cluster-client.js';
import { describeClusterClientContract } from './client-contract.js';
import { type Harness, recordEvents, startHarness } from './support.js';

describe('KubeClusterClient against the simulated API server', () => {
  let harness: Harness;
  describeClusterClientContract({
    synchronousInformers: false,
    async start() {
      harness = await startHarness();
      return harness.client;
    },
    stop: () => harness.close(),
  });
});

describe('MemoryClusterClient', () => {
  describeClusterClientContract({
    synchronousInformers: true,
    start: async () => new MemoryClusterClient(),
    stop: async () => {},
  });
});

const CONFIG_MAP = { apiVersion: 'v1', kind: 'ConfigMap' };

function configMap(name: string, data: Record<string, string> = {}): KubeObject {
  return { ...CONFIG_MAP, metadata: { name, namespace: 'default' }, data };
}

describe('MemoryClusterClient beyond the contract', () => {
  it('GIVEN a started informer THEN a write is reported before its promise resolves, and list() shows it at once', async () => {
    const cluster = new MemoryClusterClient();
    const informer = cluster.informer(CONFIG_MAP);
    const events = recordEvents(informer);
    await informer.start();
    // WHEN a write is made and not awaited
    const pending = cluster.create(configMap('now'));
    // THEN its event and its cache entry are already there
    expect(events).toEqual(['ADDED default/now']);
    expect(informer.list().map((o) => o.metadata.name)).toEqual(['now']);
    await pending;
  });

  it('GIVEN a handler that writes THEN every informer sees the changes in write order', async () => {
    // GIVEN two informers, the first of which answers each new ConfigMap with a label
    const cluster = new MemoryClusterClient();
    const first = cluster.informer(CONFIG_MAP);
    const second = cluster.informer(CONFIG_MAP);
    first.on('ADDED', (object) => {
      void cluster.mergePatch(
        { ...CONFIG_MAP, name: object.metadata.name, namespace: 'default' },
        {
          metadata: { labels: { seen: 'yes' } },
        },
      );
    });
    const [seenByFirst, seenBySecond] = [recordEvents(first), recordEvents(second)];
    await Promise.all([first.start(), second.start()]);
    // WHEN one is created
    await cluster.create(configMap('x'));
    // THEN both saw the creation before the label, and the second's cache has the label
    expect(seenByFirst).toEqual(['ADDED default/x', 'MODIFIED default/x']);
    expect(seenBySecond).toEqual(['ADDED default/x', 'MODIFIED default/x']);
    expect(second.get('x', 'default')?.metadata.labels).toEqual({ seen: 'yes' });
  });

  it('GIVEN a transform that throws THEN the write succeeds and the informer reports the error', async () => {
    const cluster = new MemoryClusterClient();
    const informer = cluster.informer(CONFIG_MAP, {
      transform: () => {
        throw new Error('transform failed');
      },
    });
    const errors: unknown[] = [];
    informer.on('error', (error) => errors.push(error));
    await informer.start();
    await cluster.create(configMap('x'));
    expect(errors.map((e) => (e as Error).message)).toEqual(['transform failed']);
    expect(informer.list()).toEqual([]);
    expect(await cluster.get({ ...CONFIG_MAP, name: 'x', namespace: 'default' })).toBeDefined();
  });

  it('GIVEN failNext before a write THEN that call rejects with the error and changes nothing; the next one runs', async () => {
    const cluster = new MemoryClusterClient();
    const outage = new ExternalError('etcdserver: leader changed');
    cluster.failNext('create', outage);
    await expect(cluster.create(configMap('a'))).rejects.toBe(outage);
    expect(await cluster.get({ ...CONFIG_MAP, name: 'a', namespace: 'default' })).toBeUndefined();
    await cluster.create(configMap('a'));
    expect(await cluster.get({ ...CONFIG_MAP, name: 'a', namespace: 'default' })).toBeDefined();
  });

  it('GIVEN failNext after a write, on one object THEN only a call on that object fails, and its write took effect', async () => {
    const cluster = new MemoryClusterClient();
    const lost = new ExternalError('the reply was lost');
    cluster.failNext('create', lost, { where: { name: 'b' }, when: 'after' });
    await cluster.create(configMap('a'));
    await expect(cluster.create(configMap('b'))).rejects.toBe(lost);
    const names = (await cluster.list(CONFIG_MAP, { namespace: 'default' })).map((o) => o.metadata.name);
    expect(names).toEqual(['a', 'b']);
  });

  it('GIVEN calls THEN they are recorded by verb, writes apart, and can be cleared', async () => {
    const cluster = new MemoryClusterClient();
    await cluster.create(configMap('a'));
    cluster.clearCalls();
    // WHEN only reads are made (one of them failing)
    await cluster.get({ ...CONFIG_MAP, name: 'a', namespace: 'default' });
    await cluster.list(CONFIG_MAP);
    cluster.failNext('get', new ExternalError('down'));
    await expect(cluster.get({ ...CONFIG_MAP, name: 'a', namespace: 'default' })).rejects.toThrow('down');
    // THEN no write happened, and every read is in the record
    expect(cluster.writes()).toEqual([]);
    expect(cluster.callCount('get')).toBe(2);
    expect(cluster.calls()).toEqual([
      { verb: 'get', ref: { ...CONFIG_MAP, name: 'a', namespace: 'default' } },
      { verb: 'list', ref: CONFIG_MAP },
      { verb: 'get', ref: { ...CONFIG_MAP, name: 'a', namespace: 'default' } },
    ]);
    await cluster.delete({ ...CONFIG_MAP, name: 'a', namespace: 'default' });
    expect(cluster.writes().map((c) => c.verb)).toEqual(['delete']);
  });
});
