/**
 * The Secret of an instance an update removed, on the in-memory twins
 * (test/support/engine-harness.ts): it goes once the instance's steps are gone from Git and the
 * cluster (dropped-secrets.ts), so an instance of the same name added again gets a Secret of its
 * own, with the value it was sent. The API may add it again while the old Secret is still there:
 * the update replaces it (delete by uid, then create) and commits a revision, so its steps wait
 * for the new values; the engine deletes by the uid its cache had, so it never deletes the new
 * one. Each interleaving of the two is played here in a fixed order; an update cut off in between
 * is completed by the same update sent again. The test plays Argo CD and provider-terraform.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import {
  ANNOTATION,
  ExternalError,
  SECRET_REVISION_ENV,
  TFVARS_KEY,
  environmentFile,
  stepFile,
  type JsonValue,
} from '../../src/core/index.js';
import type { KubeObject, ObjectRef } from '../../src/cluster/types.js';
import type { Boundary } from '../../src/engine/boundaries.js';
import type { EditableRequest } from '../support/editable-request.js';
import {
  APPLICATION,
  OUTPUTS,
  WORKSPACE,
  stackRequest,
  useEngineHarness,
  type EngineHarness,
} from '../support/engine-harness.js';

const ENV = 'dev-readd';
const TESTER = { name: 'tester' };
/** db2's master password before it is removed, and when it is added again (unique: found anywhere, a leak). */
const OLD = 'db2-old-Secret-3c9e1a';
const NEW = 'db2-new-Secret-8d41f7';
const DB2_PARAMS = `${ENV}-db2-params`;

const value = (secret: KubeObject | undefined, key: string) =>
  Buffer.from(((secret?.data ?? {}) as Record<string, string>)[key] ?? '', 'base64').toString('utf8');

/** What the tests share: the environment, its requests, and what is read back from the twins. */
function scenario(h: () => EngineHarness) {
  const secretRef = (instance: string): ObjectRef => h().parameterSecretRef(ENV, instance);
  const secret = (instance: string) => h().cluster.get(secretRef(instance));
  const workspaceRef = (instance: string): ObjectRef => ({
    ...WORKSPACE,
    name: `${ENV}-${instance}`,
    namespace: ENV,
  });
  /** The updates of the environment committed, also those grouped behind another change set in one commit. */
  const updates = () =>
    h()
      .commits('platform')
      .flatMap((c) => c.changeSets)
      .filter((m) => m.startsWith(`envcat: update environment ${ENV}`));
  const stepOf = (instance: string) =>
    h()
      .status(ENV)
      ?.steps.find((s) => s.instance === instance && s.part === 'infra');

  /** The environment as a client GETs it, and the request it would send back. */
  async function read(): Promise<EditableRequest> {
    const { status: _status, ...request } = structuredClone(
      (await h().service.get(ENV)) as unknown as EditableRequest,
    );
    return request;
  }

  const db2 = (password: string) => ({
    name: 'db2',
    entry: 'rds-postgres@^1',
    parameters: { databaseName: 'orders2', masterPassword: password },
  });

  return {
    secret,
    workspaceRef,
    updates,
    stepOf,
    read,
    /** GIVEN a Ready environment: the stack, and db2 whose master password is OLD. */
    async ready(): Promise<void> {
      const request = stackRequest(ENV) as unknown as EditableRequest;
      request.spec.catalogs.push(db2(OLD));
      await h().create(request as unknown as JsonValue);
      await h().bringUp(ENV, OUTPUTS);
      expect(h().status(ENV)?.phase).toBe('Ready');
      expect(value(await secret('db2'), TFVARS_KEY)).toContain(OLD);
    },
    /** An update that removes db2 (and monitoring, an Application with a secret apiKey). */
    async remove(): Promise<void> {
      const request = await read();
      request.spec.catalogs = request.spec.catalogs.filter(
        (c) => c.name !== 'db2' && c.name !== 'monitoring',
      );
      await h().service.update(ENV, request as unknown as JsonValue, TESTER);
      await h().settle();
      expect(h().file('platform', stepFile(ENV, 'infra', 'db2'))).toBeUndefined();
      expect(h().file('apps', stepFile(ENV, 'apps', 'monitoring'))).toBeUndefined();
    },
    /** The request that adds db2 again, with NEW, as a client reads and sends it. */
    async readdRequest(): Promise<EditableRequest> {
      const request = await read();
      request.spec.catalogs.push(db2(NEW));
      return request;
    },
    readd(request: EditableRequest) {
      return h().service.update(ENV, structuredClone(request) as unknown as JsonValue, TESTER);
    },
    /** provider-terraform finished the destroy of db2's old Workspace: it goes. */
    async destroyed(): Promise<void> {
      expect(await h().deleteObject(workspaceRef('db2'))).toBe(true);
    },
    /** THEN db2's Secret holds NEW alone (the engine derives the tfvars from it); its Workspace reads it. */
    async readsNew(options: { revision?: string; uidNot?: string } = {}): Promise<void> {
      await h().settle();
      const now = await secret('db2');
      expect(value(now, 'masterPassword')).toBe(NEW);
      expect(value(now, TFVARS_KEY)).toContain(NEW);
      expect(JSON.stringify(now?.data)).not.toContain(Buffer.from(OLD).toString('base64'));
      expect(value(now, TFVARS_KEY)).not.toContain(OLD);
      expect(now?.metadata.annotations?.[ANNOTATION.secretRevision]).toBe(options.revision);
      if (options.uidNot) expect(now?.metadata.uid).not.toBe(options.uidNot);
      const [workspace] = h().objectsIn('platform', stepFile(ENV, 'infra', 'db2'));
      const forProvider = (workspace?.spec as { forProvider: { varFiles?: unknown; env?: unknown } })
        .forProvider;
      expect(forProvider.varFiles).toEqual([
        expect.objectContaining({
          secretKeyRef: expect.objectContaining({ name: DB2_PARAMS, key: TFVARS_KEY }),
        }),
      ]);
      expect(forProvider.env).toEqual(
        options.revision ? [{ name: SECRET_REVISION_ENV, value: options.revision }] : undefined,
      );
      await h().markWorkspaceAvailable(ENV, 'db2', { endpoint: 'db2.example' });
      await h().settle();
      expect(stepOf('db2')).toMatchObject({ phase: 'Ready' });
    },
  };
}

describe('Engine on the twins: the Secret of an instance an update removed', () => {
  const h = useEngineHarness();
  const s = scenario(h);
  beforeEach(() => s.ready());

  it('goes once its steps are gone; the instance added again gets its new value, which its Workspace reads', async () => {
    // WHEN an update removes db2 and monitoring
    await s.remove();
    // THEN their Secrets stay while their Workspace and Application are in the cluster (a
    // terraform destroy reads its variables)
    expect(await s.secret('db2')).toBeDefined();
    expect(await s.secret('monitoring')).toBeDefined();

    // WHEN Argo CD has deleted monitoring's Application THEN its Secret goes; db2's stays
    await h().deleteObject({
      ...APPLICATION,
      name: `${ENV}-monitoring`,
      namespace: h().render.argocd.namespace,
    });
    await h().settle();
    expect(await s.secret('monitoring')).toBeUndefined();
    expect(await s.secret('db2')).toBeDefined();
    // WHEN db2's Workspace is destroyed THEN its Secret goes too
    await s.destroyed();
    await h().settle();
    expect(await s.secret('db2')).toBeUndefined();
    expect(h().status(ENV)?.phase).toBe('Ready');

    // WHEN db2 is added again with another password THEN it is answered, and the Secret holds
    // the new value, which the Workspace reads (no revision: nothing old was left to replace)
    const record = await s.readd(await s.readdRequest());
    expect(record.spec?.catalogs?.map((c) => c.name)).toContain('db2');
    expect(h().file('platform', environmentFile(ENV))).not.toContain('secret-revision');
    await s.readsNew();
  });

  it('added again before the engine deleted the old Secret: the update replaces it, and the engine keeps the new one', async () => {
    // GIVEN db2 removed and destroyed, and the engine's delete of its Secret refused once
    await s.remove();
    h().cluster.failNext('delete', new ExternalError('connection reset'), {
      where: { kind: 'Secret', name: DB2_PARAMS },
    });
    await s.destroyed();
    await h().settle();
    const old = (await s.secret('db2'))!;
    expect(value(old, 'masterPassword')).toBe(OLD);

    // WHEN db2 is added again with another password (on the old code: a 409, the old value kept)
    await s.readd(await s.readdRequest());

    // THEN the commit names revision 1 for db2, one above the old Secret's, and the Secret is a
    // new one (another uid) holding the new value at that revision
    expect(h().file('platform', environmentFile(ENV))).toContain('secret-revision.envcat.io/db2: "1"');
    await s.readsNew({ revision: '1', uidNot: old.metadata.uid! });
    // WHEN the engine tries again later THEN it keeps the Secret: db2 is in the request
    const uid = (await s.secret('db2'))?.metadata.uid;
    await h().advance(120_000);
    expect((await s.secret('db2'))?.metadata.uid).toBe(uid);
  });

  it('added again without secret values before the engine deleted the old Secret: the update deletes it', async () => {
    await s.remove();
    h().cluster.failNext('delete', new ExternalError('connection reset'), {
      where: { kind: 'Secret', name: DB2_PARAMS },
    });
    await s.destroyed();
    await h().settle();
    expect(await s.secret('db2')).toBeDefined();

    // WHEN db2 is added again without a password (rds-postgres generates one)
    const request = await s.readdRequest();
    delete request.spec.catalogs.find((c) => c.name === 'db2')!.parameters.masterPassword;
    await s.readd(request);
    await h().settle();

    // THEN the old Secret is gone, no revision is committed, and the Workspace reads no Secret
    expect(await s.secret('db2')).toBeUndefined();
    expect(h().file('platform', environmentFile(ENV))).not.toContain('secret-revision');
    const [workspace] = h().objectsIn('platform', stepFile(ENV, 'infra', 'db2'));
    expect((workspace?.spec as { forProvider: object }).forProvider).not.toHaveProperty('varFiles');
  });

  it('the engine deletes the old Secret between the update’s read and its commit: the update creates a new one', async () => {
    await s.remove();
    const request = await s.readdRequest();
    // GIVEN the update's commit held back until the engine, seeing db2's Workspace gone, deleted the Secret
    const commit = h().platform.commit.bind(h().platform);
    let heldBack = false;
    h().platform.commit = async (change) => {
      if (!heldBack && change.message.startsWith(`envcat: update environment ${ENV}`)) {
        heldBack = true;
        await s.destroyed();
        await h().settle();
        expect(await s.secret('db2')).toBeUndefined();
      }
      return commit(change);
    };

    // WHEN the update goes on THEN its delete finds nothing, its create writes the new value
    await s.readd(request);
    expect(heldBack).toBe(true);
    await s.readsNew({ revision: '1' });
  });

  it('the engine deletes with the uid it read after the update replaced the Secret: the delete is refused, the new Secret stays', async () => {
    await s.remove();
    const request = await s.readdRequest();
    const old = (await s.secret('db2'))!;
    // GIVEN the engine's delete of the old Secret (it read Git before the update's commit) held
    // back until the update has replaced the Secret
    const remove = h().cluster.delete.bind(h().cluster);
    let update: Promise<unknown> | undefined;
    const preconditions: unknown[] = [];
    h().cluster.delete = async (ref, options) => {
      if (ref.kind === 'Secret' && ref.name === DB2_PARAMS) preconditions.push(options?.preconditions);
      if (!update && ref.kind === 'Secret' && ref.name === DB2_PARAMS) {
        update = s.readd(request);
        for (let turn = 0; (await s.secret('db2'))?.metadata.uid === old.metadata.uid; turn++) {
          if (turn > 1_000) throw new Error('the update did not replace the Secret');
          await nextTurn();
        }
      }
      return remove(ref, options);
    };

    // WHEN db2's old Workspace goes, and the engine deletes its Secret
    await s.destroyed();
    await h().settle();
    await update;

    // THEN both deleted by the old uid: the update's went through, the engine's was refused
    expect(preconditions).toEqual([{ uid: old.metadata.uid }, { uid: old.metadata.uid }]);
    await s.readsNew({ revision: '1', uidNot: old.metadata.uid! });
  });
});

/** Where the current test cuts a request off (the hook throws there, once). */
let cutAt: Boundary | undefined;
class CutOff extends Error {}

describe('Engine on the twins: an update that adds an instance again, cut off before its Secret', () => {
  const h = useEngineHarness({
    atBoundary: (boundary) => {
      if (boundary !== cutAt) return;
      cutAt = undefined;
      throw new CutOff(`cut off at ${boundary}`);
    },
  });
  const s = scenario(h);

  beforeEach(async () => {
    cutAt = undefined;
    // GIVEN db2 removed and destroyed, and its old Secret still there (the engine's delete refused)
    await s.ready();
    await s.remove();
    h().cluster.failNext('delete', new ExternalError('connection reset'), {
      where: { kind: 'Secret', name: DB2_PARAMS },
    });
    await s.destroyed();
    await h().settle();
    expect(value(await s.secret('db2'), 'masterPassword')).toBe(OLD);
  });

  it('after its commit: db2 waits instead of reading the old value, and the same update sent again completes it', async () => {
    // WHEN the update that adds db2 again is cut off right after its commit
    const request = await s.readdRequest();
    cutAt = 'update:committed';
    await expect(s.readd(request)).rejects.toThrow(CutOff);
    await h().advance(120_000);

    // THEN the old Secret is still there, and db2's Workspace is not committed on it: it waits
    // for the Secret to hold the revision the commit names
    expect(value(await s.secret('db2'), 'masterPassword')).toBe(OLD);
    expect(h().file('platform', stepFile(ENV, 'infra', 'db2'))).toBeUndefined();
    expect(s.stepOf('db2')).toMatchObject({ phase: 'Pending' });

    // WHEN the same update is sent again, without its now stale resourceVersion
    delete request.metadata.resourceVersion;
    await s.readd(request);

    // THEN nothing more is committed to the request, and db2 goes on with the new value
    expect(s.updates()).toHaveLength(2);
    await s.readsNew({ revision: '1' });
  });

  it('between its delete of the old Secret and its create: the same update sent again writes the missing Secret', async () => {
    const request = await s.readdRequest();
    h().cluster.failNext('create', new ExternalError('connection reset'), {
      where: { kind: 'Secret', name: DB2_PARAMS },
    });
    await expect(s.readd(request)).rejects.toThrow();
    await h().settle();
    expect(await s.secret('db2')).toBeUndefined();
    expect(h().file('platform', stepFile(ENV, 'infra', 'db2'))).toBeUndefined();

    delete request.metadata.resourceVersion;
    await s.readd(request);
    expect(s.updates()).toHaveLength(2);
    await s.readsNew({ revision: '1' });
  });
});
