/**
 * Informers of the client-node adapter against the simulated API server: the change events, and
 * recovery from a 410 Gone and from a server restart.
 */
import { ExternalError } from '../../src/core/errors/index.js';
import { KubeClusterClient } from '../../src/cluster/client.js';
import { KindNotServedError } from '../../src/cluster/errors.js';
import type { KubeObject } from '../../src/cluster/types.js';
import { type Harness, recordEvents, startHarness, waitFor, workspace } from './support.js';

const WORKSPACE = { apiVersion: 'tf.m.upbound.io/v1beta1', kind: 'Workspace' };
const NAMESPACE = { apiVersion: 'v1', kind: 'Namespace' };

async function withHarness(
  options: Parameters<typeof startHarness>[0],
  run: (h: Harness) => Promise<void>,
): Promise<void> {
  const h = await startHarness(options);
  try {
    await run(h);
  } finally {
    await h.close();
  }
}

function names(objects: KubeObject[]): string[] {
  return objects.map((o) => o.metadata.name).sort();
}

it('GIVEN an informer THEN it caches the initial list and reports each later change once', () =>
  withHarness({}, async (h) => {
    await h.client.create({ ...NAMESPACE, metadata: { name: 'dev' } });
    await h.client.create(workspace('before', 'dev'));
    const informer = h.track(h.client.informer(WORKSPACE, { namespace: 'dev' }));
    const events = recordEvents(informer);
    await informer.start();
    expect(names(informer.list())).toEqual(['before']);
    expect(events).toEqual([]);

    await h.client.create(workspace('after', 'dev'));
    await h.client.mergePatch(
      { ...WORKSPACE, name: 'before', namespace: 'dev' },
      { metadata: { labels: { x: 'y' } } },
    );
    await h.client.delete({ ...WORKSPACE, name: 'after', namespace: 'dev' });
    await waitFor(() => events.length === 3, 'three events');
    expect(events).toEqual(['ADDED dev/after', 'MODIFIED dev/before', 'DELETED dev/after']);
    expect(informer.get('before', 'dev')?.metadata.labels).toEqual({ x: 'y' });
    expect(informer.get('after', 'dev')).toBeUndefined();
  }));

it('GIVEN a label selector THEN objects entering and leaving the selection are added and deleted', () =>
  withHarness({}, async (h) => {
    await h.client.create({ ...NAMESPACE, metadata: { name: 'dev' } });
    const informer = h.track(h.client.informer(WORKSPACE, { labelSelector: 'envcat.io/managed-by=envcat' }));
    const events = recordEvents(informer);
    await informer.start();
    const ref = { ...WORKSPACE, name: 'w', namespace: 'dev' };
    await h.client.create(workspace('w', 'dev'));
    await h.client.mergePatch(ref, { metadata: { labels: { 'envcat.io/managed-by': 'envcat' } } });
    await h.client.mergePatch(ref, { spec: { forProvider: { module: 'changed' } } });
    await h.client.mergePatch(ref, { metadata: { labels: null } });
    await waitFor(() => events.length === 3, 'three events');
    expect(events).toEqual(['ADDED dev/w', 'MODIFIED dev/w', 'DELETED dev/w']);
    expect(informer.list()).toEqual([]);
  }));

it('GIVEN the watch history was compacted while the watch was down THEN the informer relists after 410 and converges', () =>
  withHarness({ historySize: 3 }, async (h) => {
    await h.client.create({ ...NAMESPACE, metadata: { name: 'dev' } });
    await h.client.create(workspace('gone', 'dev'));
    await h.client.create(workspace('kept', 'dev'));
    const informer = h.track(h.client.informer(WORKSPACE, { namespace: 'dev' }));
    const events = recordEvents(informer);
    await informer.start();
    await waitFor(() => h.server.objects.watchCount === 1, 'the watch');

    // In one synchronous block: the watch ends, then more changes than the history holds happen,
    // so the informer's resume point is compacted away before it can reconnect.
    const resumeFrom = h.server.objects.resourceVersion;
    h.server.objects.closeWatches();
    for (const name of ['n1', 'n2', 'n3', 'n4']) h.server.objects.create(workspace(name, 'dev'));
    h.server.objects.delete({ ...WORKSPACE, name: 'gone', namespace: 'dev' });
    expect(Number(h.server.objects.resourceVersion) - Number(resumeFrom)).toBeGreaterThan(3);

    await waitFor(() => events.length === 5, 'the changes made while disconnected');
    expect([...events].sort()).toEqual([
      'ADDED dev/n1',
      'ADDED dev/n2',
      'ADDED dev/n3',
      'ADDED dev/n4',
      'DELETED dev/gone',
    ]);
    expect(names(informer.list())).toEqual(['kept', 'n1', 'n2', 'n3', 'n4']);

    // and it watches again from the relisted version
    await h.client.create(workspace('later', 'dev'));
    await waitFor(() => events.includes('ADDED dev/later'), 'a change after the relist');
  }));

it('GIVEN the API server restarts on the same port THEN the informer reports the outage, restarts and catches up', () =>
  withHarness({}, async (h) => {
    await h.client.create({ ...NAMESPACE, metadata: { name: 'dev' } });
    await h.client.create(workspace('a', 'dev'));
    const informer = h.track(h.client.informer(WORKSPACE, { namespace: 'dev' }));
    const events = recordEvents(informer);
    const errors: unknown[] = [];
    informer.on('error', (error) => errors.push(error));
    await informer.start();
    const port = Number(new URL(h.url).port);

    await h.server.stop();
    h.server.objects.create(workspace('b', 'dev'));
    h.server.objects.delete({ ...WORKSPACE, name: 'a', namespace: 'dev' });
    await waitFor(() => errors.length >= 2, 'failed reconnection attempts');
    expect(errors[0]).toBeInstanceOf(ExternalError);
    expect((errors[0] as Error).message).toContain('tf.m.upbound.io/v1beta1 Workspace in dev');

    await h.server.start({ port });
    await waitFor(() => events.length === 2, 'the changes made during the outage');
    expect(events).toEqual(['ADDED dev/b', 'DELETED dev/a']);
    expect(names(informer.list())).toEqual(['b']);
    await h.client.create(workspace('c', 'dev'));
    await waitFor(() => events.includes('ADDED dev/c'), 'a change after the restart');
  }));

it('GIVEN the server is down at start THEN start() retries discovery and the list, and resolves once synced', () =>
  withHarness({}, async (h) => {
    await h.client.create({ ...NAMESPACE, metadata: { name: 'dev' } });
    h.server.objects.create(workspace('a', 'dev'));
    const port = Number(new URL(h.url).port);
    await h.server.stop();
    // a new client: nothing is cached from discovery either
    const client = KubeClusterClient.forServer(
      { url: h.url },
      { informerBackoff: { initialMs: 20, maxMs: 100 } },
    );
    const informer = h.track(client.informer(WORKSPACE, { namespace: 'dev' }));
    const errors: unknown[] = [];
    informer.on('error', (error) => errors.push(error));
    let synced = false;
    const started = informer.start().then(() => (synced = true));
    await waitFor(() => errors.length >= 2, 'failed attempts');
    expect(errors.every((e) => e instanceof ExternalError)).toBe(true);
    expect(synced).toBe(false);
    await h.server.start({ port });
    await started;
    expect(names(informer.list())).toEqual(['a']);
  }));

it('GIVEN stop() before the informer synced THEN start() rejects', () =>
  withHarness({}, async (h) => {
    const port = Number(new URL(h.url).port);
    await h.server.stop();
    const informer = h.client.informer(WORKSPACE, { namespace: 'dev' });
    const errors: unknown[] = [];
    informer.on('error', (error) => errors.push(error));
    const started = informer.start();
    await waitFor(() => errors.length >= 1, 'a failed attempt');
    informer.stop();
    await expect(started).rejects.toThrow('was stopped before it synced');
    await h.server.start({ port });
  }));

it('GIVEN stop() THEN the watch is closed and no more events arrive', () =>
  withHarness({}, async (h) => {
    await h.client.create({ ...NAMESPACE, metadata: { name: 'dev' } });
    const informer = h.client.informer(WORKSPACE, { namespace: 'dev' });
    const events = recordEvents(informer);
    await informer.start();
    await waitFor(() => h.server.objects.watchCount === 1, 'the watch');
    informer.stop();
    await waitFor(() => h.server.objects.watchCount === 0, 'the watch to close');
    await h.client.create(workspace('unseen', 'dev'));
    await new Promise((resolve) => setImmediate(resolve));
    expect(events).toEqual([]);
  }));

it('GIVEN a kind the server does not serve THEN start() rejects with KindNotServedError', () =>
  withHarness({}, async (h) => {
    const informer = h.track(h.client.informer({ apiVersion: 'example.com/v1', kind: 'Widget' }));
    await expect(informer.start()).rejects.toBeInstanceOf(KindNotServedError);
  }));

it('GIVEN a handler that throws THEN the error is reported and the informer keeps going', () =>
  withHarness({}, async (h) => {
    await h.client.create({ ...NAMESPACE, metadata: { name: 'dev' } });
    const informer = h.track(h.client.informer(WORKSPACE, { namespace: 'dev' }));
    const errors: unknown[] = [];
    const seen: string[] = [];
    informer.on('ADDED', (o) => {
      if (o.metadata.name === 'boom') throw new Error('handler failed');
      seen.push(o.metadata.name);
    });
    informer.on('error', (error) => errors.push(error));
    await informer.start();
    await h.client.create(workspace('boom', 'dev'));
    await h.client.create(workspace('fine', 'dev'));
    await waitFor(() => seen.includes('fine'), 'the next event');
    expect(errors).toEqual([new Error('handler failed')]);
  }));

it('GIVEN a transform THEN the cache holds transformed objects, from the list and from the watch, never managedFields', () =>
  withHarness({}, async (h) => {
    await h.client.create({ ...NAMESPACE, metadata: { name: 'dev' } });
    await h.client.apply(workspace('listed', 'dev'), { fieldManager: 'test' });
    const informer = h.track(
      h.client.informer(WORKSPACE, {
        namespace: 'dev',
        transform: (object) => ({ ...object, spec: { slim: true } }),
      }),
    );
    const plain = h.track(h.client.informer(WORKSPACE, { namespace: 'dev' }));
    const events = recordEvents(informer);
    await Promise.all([informer.start(), plain.start()]);
    await h.client.apply(workspace('watched', 'dev'), { fieldManager: 'test' });
    await waitFor(() => events.length === 1 && plain.list().length === 2, 'the watched object');

    expect(
      (await h.client.get({ ...WORKSPACE, name: 'watched', namespace: 'dev' }))?.metadata.managedFields,
    ).toBeDefined();
    for (const name of ['listed', 'watched']) {
      expect(informer.get(name, 'dev')?.spec).toEqual({ slim: true });
      expect(informer.get(name, 'dev')?.metadata.managedFields).toBeUndefined();
      expect(informer.get(name, 'dev')?.metadata.resourceVersion).toBeDefined();
      expect(plain.get(name, 'dev')?.metadata.managedFields).toBeUndefined();
      expect(plain.get(name, 'dev')?.spec).not.toEqual({ slim: true });
    }
  }));

it('GIVEN more objects than a page THEN list and the informer read them in pages of 500, all of them, once each', () =>
  withHarness({}, async (h) => {
    await h.client.create({ ...NAMESPACE, metadata: { name: 'dev' } });
    const CONFIGMAP = { apiVersion: 'v1', kind: 'ConfigMap' };
    for (let i = 0; i < 1_100; i++)
      await h.client.create({
        ...CONFIGMAP,
        metadata: { name: `cm-${String(i).padStart(4, '0')}`, namespace: 'dev' },
      });
    const before = h.server.stats().byResource.configmaps?.list ?? 0;

    const listed = await h.client.list(CONFIGMAP, { namespace: 'dev' });
    const informer = h.track(h.client.informer(CONFIGMAP, { namespace: 'dev' }));
    await informer.start();

    expect(new Set(listed.map((o) => o.metadata.name)).size).toBe(1_100);
    expect(listed.every((o) => o.kind === 'ConfigMap' && o.apiVersion === 'v1')).toBe(true);
    expect(informer.list()).toHaveLength(1_100);
    // three pages for list(), three for the informer's initial list
    expect((h.server.stats().byResource.configmaps?.list ?? 0) - before).toBe(6);
    // and the watch starts from the snapshot: a later change arrives
    const events = recordEvents(informer);
    await h.client.create({ ...CONFIGMAP, metadata: { name: 'after', namespace: 'dev' } });
    await waitFor(() => events.length === 1, 'the new object');
    expect(events).toEqual(['ADDED dev/after']);
  }));
