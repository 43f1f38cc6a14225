/**
 * SecretValues (src/engine/secret-values.ts): an update's new secret values, read from and written
 * to the instance's `-params` Secret on the in-memory cluster twin, whose replace is a
 * compare-and-swap on resourceVersion as a real API server's PUT is.
 */
import {
  ANNOTATION,
  ConflictError,
  ExternalError,
  UnavailableError,
  validateEnvironment,
  withSecretRevisions,
  type Catalog,
  type ResolvedEnvironment,
} from '../../src/core/index.js';
import { SecretValues } from '../../src/engine/secret-values.js';
import { decodeSecretData } from '../../src/engine/secret-writer.js';
import { builtInCatalog } from '../support/examples.js';
import { MemoryClusterClient } from '../support/memory-cluster-client.js';

const OLD = 'old-password-0001';
const NEW = 'new-password-0002';
const REF = { apiVersion: 'v1', kind: 'Secret', name: 'dev-db-params', namespace: 'dev' };

let catalog: Catalog;
beforeAll(async () => {
  catalog = await builtInCatalog();
});

/** The update's environment: db gets `password`, at the revisions Git carries. */
function update(password: string, committed?: string): ResolvedEnvironment {
  return validateEnvironment(
    {
      apiVersion: 'envcat.io/v1alpha1',
      kind: 'Environment',
      metadata: {
        name: 'dev',
        ...(committed ? { annotations: { 'secret-revision.envcat.io/db': committed } } : {}),
      },
      spec: {
        type: 'pre-release',
        catalogs: [
          {
            name: 'db',
            entry: 'rds-postgres@^1',
            parameters: { databaseName: 'orders', masterPassword: password },
          },
        ],
      },
    },
    catalog,
  ).environment;
}

async function clusterWith(password: string, revision?: string): Promise<MemoryClusterClient> {
  const cluster = new MemoryClusterClient({ namespaces: ['default', 'dev'] });
  await cluster.create({
    ...REF,
    metadata: {
      name: REF.name,
      namespace: REF.namespace,
      labels: { 'envcat.io/environment': 'dev' },
      ...(revision ? { annotations: { [ANNOTATION.secretRevision]: revision } } : {}),
    },
    data: {
      masterPassword: Buffer.from(password).toString('base64'),
      'terraform.tfvars.json': Buffer.from(JSON.stringify({ masterPassword: password })).toString('base64'),
    },
  });
  return cluster;
}

/** What the service does: read before the commit, write after it, with the environment the commit names. */
async function readThenWrite(
  cluster: MemoryClusterClient,
  env: ResolvedEnvironment,
  between?: () => Promise<void>,
  /** The request as Git holds it (default: one that refers to no Secret). */
  committed: unknown = {},
) {
  const values = new SecretValues({ cluster });
  const read = await values.changes(env, [], committed);
  await between?.();
  await values.write(withSecretRevisions(env, read.changes), read);
  return read.changes;
}

describe('SecretValues', () => {
  it('writes the new value and the revision, and keeps the keys the engine derives for it to write again', async () => {
    const cluster = await clusterWith(OLD);
    const changes = await readThenWrite(cluster, update(NEW));
    expect(changes).toEqual([
      { instance: 'db', index: 0, parameters: ['masterPassword'], revision: 1, completes: false },
    ]);
    const secret = await cluster.get(REF);
    expect(secret?.metadata.annotations).toEqual({ [ANNOTATION.secretRevision]: '1' });
    expect(decodeSecretData(secret!)).toEqual({
      masterPassword: NEW,
      'terraform.tfvars.json': JSON.stringify({ masterPassword: OLD }),
    });
    expect(secret?.metadata.labels).toEqual({ 'envcat.io/environment': 'dev' });
  });

  it('tries again on a Secret the engine changed between the read and the write', async () => {
    const cluster = await clusterWith(OLD);
    await readThenWrite(cluster, update(NEW), async () => {
      // the engine writes the derived key again (secret-writer.ts), which moves the resourceVersion
      await cluster.mergePatch(REF, {
        data: { 'terraform.tfvars.json': Buffer.from('{}').toString('base64') },
      });
    });
    const secret = await cluster.get(REF);
    expect(decodeSecretData(secret!).masterPassword).toBe(NEW);
    expect(secret?.metadata.annotations?.[ANNOTATION.secretRevision]).toBe('1');
    expect(cluster.calls('replace')).toHaveLength(2);
  });

  it('loses to another update that wrote its values between the read and the write: a 409, its values kept', async () => {
    const cluster = await clusterWith(OLD);
    const error = await readThenWrite(cluster, update(NEW), async () => {
      // another update read environment.yaml after this one's commit (revision 1), and the Secret
      // before this one's write: it completes revision 1 with its own value
      await readThenWrite(cluster, update('theirs-password-3', '1'));
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConflictError);
    expect(error).toMatchObject({ path: '/metadata/resourceVersion' });
    expect((error as Error).message).toMatch(/changed by another request at the same moment/);
    const secret = await cluster.get(REF);
    expect(decodeSecretData(secret!).masterPassword).toBe('theirs-password-3');
    expect(secret?.metadata.annotations?.[ANNOTATION.secretRevision]).toBe('1');
  });

  it('creates the Secret of a running instance that has none, with the revision', async () => {
    const cluster = new MemoryClusterClient({ namespaces: ['default', 'dev'] });
    await readThenWrite(cluster, update(NEW));
    const secret = await cluster.get(REF);
    expect(decodeSecretData(secret!)).toEqual({ masterPassword: NEW });
    expect(secret?.metadata.labels).toEqual({
      'app.kubernetes.io/managed-by': 'envcat',
      'envcat.io/environment': 'dev',
      'envcat.io/instance': 'db',
    });
    expect(secret?.metadata.annotations).toEqual({ [ANNOTATION.secretRevision]: '1' });
  });

  it('creates the Secret that an update which added the instance never wrote as a create does, without a revision', async () => {
    const cluster = new MemoryClusterClient({ namespaces: ['default', 'dev'] });
    // GIVEN Git refers to the Secret already (the cut-off update committed its reference)
    const env = update(NEW);
    const changes = await readThenWrite(cluster, env, undefined, env.document);
    expect(changes).toEqual([
      { instance: 'db', index: 0, parameters: ['masterPassword'], revision: 0, completes: true },
    ]);
    const secret = await cluster.get(REF);
    expect(decodeSecretData(secret!)).toEqual({ masterPassword: NEW });
    expect(secret?.metadata.annotations).toBeUndefined();
  });

  it('a write the cluster refuses says the update is committed and how to finish it, without the value', async () => {
    const cluster = await clusterWith(OLD);
    cluster.failNext('replace', new ExternalError(`the API server echoed ${NEW}`));
    const error = await readThenWrite(cluster, update(NEW)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnavailableError);
    expect(error).toMatchObject({ path: '/spec/catalogs/0/parameters/masterPassword' });
    expect((error as Error).message).toBe(
      'the update is committed, but the new secret values of instance db could not be written to its Secret (EXTERNAL): its steps wait for them; send the same update again, without its metadata.resourceVersion',
    );
    expect(decodeSecretData((await cluster.get(REF))!).masterPassword).toBe(OLD);
  });
});
