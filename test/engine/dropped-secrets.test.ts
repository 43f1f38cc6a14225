/**
 * DroppedSecrets (src/engine/dropped-secrets.ts): the Secrets of instances removed from a request
 * are deleted once their steps are gone, only if the request read again from the remote still
 * leaves them out, and only by the uid the cache had. On the cluster twin and a Git twin whose
 * remote another writer commits to; the view and the caches are given as the engine would have
 * them, stale on purpose where a case says so.
 */
import { pino } from 'pino';
import {
  LABEL,
  MANAGED_BY,
  environmentFile,
  parameterSecretName,
  stepFile,
  toYaml,
  type ResolvedEnvironment,
} from '../../src/core/index.js';
import type { KubeObject } from '../../src/cluster/types.js';
import type { Boundary } from '../../src/engine/boundaries.js';
import { DroppedSecrets } from '../../src/engine/dropped-secrets.js';
import { secretForCache } from '../../src/engine/secrets.js';
import { MemoryClusterClient } from '../support/memory-cluster-client.js';
import { MemoryGitOpsRepo } from '../support/memory-gitops-repo.js';

const ENV = 'dev';
const SECRET = { apiVersion: 'v1', kind: 'Secret' } as const;
/** The request of the engine's pass: db alone (cache was removed). */
const env = { name: ENV, namespace: ENV, instances: [{ name: 'db' }] } as unknown as ResolvedEnvironment;

function request(instances: string[], annotations: Record<string, string> = {}): string {
  return toYaml({
    apiVersion: 'envcat.io/v1alpha1',
    kind: 'Environment',
    metadata: { name: ENV, annotations },
    spec: { namespace: ENV, catalogs: instances.map((name) => ({ name, entry: 'vpc@^1' })) },
  });
}

async function setup(options: {
  remote: string[];
  annotations?: Record<string, string>;
  paths?: string[];
  workspaces?: string[];
}) {
  const cluster = new MemoryClusterClient({ namespaces: ['default', ENV] });
  const secretOf = (instance: string) =>
    cluster.create({
      ...SECRET,
      metadata: {
        name: parameterSecretName(ENV, instance),
        namespace: ENV,
        labels: { [LABEL.managedBy]: MANAGED_BY, [LABEL.environment]: ENV, [LABEL.instance]: instance },
      },
      data: { password: Buffer.from(`${instance}-old`).toString('base64') },
    });
  const secrets = [await secretOf('db'), await secretOf('cache')];
  // Another writer (the API on another replica) committed the request as the remote has it now.
  const platform = new MemoryGitOpsRepo({ name: 'platform' });
  const writer = new MemoryGitOpsRepo({ name: 'platform', remote: platform.remote });
  await writer.commit({
    write: [{ path: environmentFile(ENV), content: request(options.remote, options.annotations) }],
    remove: [],
    message: 'the request',
  });
  let syncs = 0;
  const sync = platform.sync.bind(platform);
  platform.sync = () => {
    syncs++;
    return sync();
  };
  const boundaries: Boundary[] = [];
  const workspaces = (options.workspaces ?? []).map((instance): KubeObject => ({
    apiVersion: 'tf.m.upbound.io/v1beta1',
    kind: 'Workspace',
    metadata: {
      name: `${ENV}-${instance}`,
      labels: { [LABEL.environment]: ENV, [LABEL.instance]: instance },
    },
  }));
  const dropped = new DroppedSecrets({
    view: { pathsOf: (repo) => new Set(repo === 'platform' ? (options.paths ?? []) : []) },
    platform,
    cached: (source) =>
      source === 'secrets' ? secrets.map(secretForCache) : source === 'workspaces' ? workspaces : [],
    cluster,
    atBoundary: (boundary) => boundaries.push(boundary),
    logger: pino({ level: 'silent' }),
  });
  const left = async () =>
    (await cluster.list(SECRET, { namespace: ENV })).map((s) => s.metadata.labels?.[LABEL.instance]).sort();
  return { cluster, dropped, boundaries, left, secrets, syncs: () => syncs };
}

describe('DroppedSecrets', () => {
  it('deletes the Secret of an instance the request no longer names once its steps are gone, by uid', async () => {
    const { cluster, dropped, boundaries, left, syncs } = await setup({ remote: ['db'] });
    await dropped.reconcile(ENV, env);
    expect(syncs()).toBe(1);
    expect(await left()).toEqual(['db']);
    expect(boundaries).toEqual(['update:secrets-deleted']);
    expect(cluster.calls('delete').map((c) => 'name' in c.ref && c.ref.name)).toEqual([
      `${ENV}-cache-params`,
    ]);
  });

  it.each([
    ['its infra file is still in Git', { paths: [stepFile(ENV, 'infra', 'cache')] }],
    ['its Workspace is still in the cluster', { workspaces: ['cache'] }],
  ])('keeps it while %s, and does not read Git for it', async (_name, options) => {
    const { dropped, boundaries, left, cluster, syncs } = await setup({ remote: ['db'], ...options });
    await dropped.reconcile(ENV, env);
    expect(syncs()).toBe(0);
    expect(await left()).toEqual(['cache', 'db']);
    expect(boundaries).toEqual([]);
    expect(cluster.calls('delete')).toEqual([]);
  });

  it('keeps it when the remote names the instance again (the engine’s view of Git is old)', async () => {
    // GIVEN the API on another replica added cache again, and wrote its Secret (the cache has it)
    const { dropped, boundaries, left, cluster } = await setup({ remote: ['cache', 'db'] });
    await dropped.reconcile(ENV, env);
    expect(await left()).toEqual(['cache', 'db']);
    expect(boundaries).toEqual([]);
    expect(cluster.calls('delete')).toEqual([]);
  });

  it('keeps them when the request is being deleted: the deletion takes every Secret of the environment', async () => {
    const { dropped, left, cluster } = await setup({
      remote: ['db'],
      annotations: { 'envcat.io/deletion-requested': '2025-01-01T00:00:00Z' },
    });
    await dropped.reconcile(ENV, env);
    expect(await left()).toEqual(['cache', 'db']);
    expect(cluster.calls('delete')).toEqual([]);
  });

  it('keeps a Secret written again since the cache read it: the delete by the old uid is refused', async () => {
    const { cluster, dropped, boundaries, secrets } = await setup({ remote: ['db'] });
    // GIVEN cache's Secret replaced (delete, create: a new uid) after the engine's cache had it
    const ref = { ...SECRET, name: `${ENV}-cache-params`, namespace: ENV };
    await cluster.delete(ref);
    const replaced = await cluster.create({
      ...SECRET,
      metadata: { name: ref.name, namespace: ENV, labels: secrets[1]!.metadata.labels! },
      data: { password: Buffer.from('cache-new').toString('base64') },
    });
    expect(replaced.metadata.uid).not.toBe(secrets[1]!.metadata.uid);

    await dropped.reconcile(ENV, env);
    expect((await cluster.get(ref))?.metadata.uid).toBe(replaced.metadata.uid);
    expect(boundaries).toEqual([]);
  });
});
