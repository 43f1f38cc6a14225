/**
 * Updating a running environment through the service the REST API calls (PUT
 * /api/v1/environments/{name}), on the in-memory twins (test/support/engine-harness.ts): the
 * compare-and-swap on what the client read, the refusals, the dry run's diff, and an instance
 * added and then removed. What was committed is read back from the twins.
 */
import {
  ConflictError,
  InputError,
  environmentFile,
  parseYamlDocument,
  stepFile,
  type JsonValue,
} from '../../src/core/index.js';
import type { RepoName } from '../../src/gitops/types.js';
import { OUTPUTS, WORKSPACE, stackRequest, useEngineHarness } from '../support/engine-harness.js';
import type { EditableRequest } from '../support/editable-request.js';

const ENV = 'dev-put';
const TESTER = { name: 'tester' };

describe('Engine on the twins: PUT of a running environment', () => {
  const h = useEngineHarness();
  const subjects = (repo: RepoName) =>
    h()
      .commits(repo)
      .map((c) => c.subject);

  /** The environment as a client GETs it, and the request it would send back. */
  async function read(): Promise<EditableRequest> {
    const view = (await h().service.get(ENV)) as unknown as EditableRequest;
    const { status: _status, ...request } = structuredClone(view);
    return request;
  }

  beforeEach(async () => {
    await h().create(stackRequest(ENV));
    await h().bringUp(ENV, OUTPUTS);
    expect(h().status(ENV)?.phase).toBe('Ready');
  });

  it('of two updates from the same read at the same moment, exactly one lands; the other is a 409 at /metadata/resourceVersion', async () => {
    const request = await read();
    expect(request.metadata.resourceVersion).toMatch(/^[0-9a-f]{40}$/);
    const a = structuredClone(request);
    a.spec.catalogs[3]!.parameters.replicas = 3;
    const b = structuredClone(request);
    b.spec.catalogs[3]!.parameters.replicas = 5;
    const before = subjects('platform').length;

    const outcomes = await Promise.allSettled([
      h().service.update(ENV, a, TESTER),
      h().service.update(ENV, b, TESTER),
    ]);

    expect(outcomes.map((o) => o.status).sort()).toEqual(['fulfilled', 'rejected']);
    const lost = outcomes.find((o) => o.status === 'rejected') as PromiseRejectedResult;
    expect(lost.reason).toBeInstanceOf(ConflictError);
    expect(lost.reason).toMatchObject({ path: '/metadata/resourceVersion' });
    const updates = subjects('platform')
      .slice(before)
      .filter((s) => s.startsWith(`envcat: update environment ${ENV}`));
    expect(updates).toHaveLength(1);
    // The secret reference the GET showed is kept as it was
    const committed = parseYamlDocument(h().file('platform', environmentFile(ENV))!) as EditableRequest;
    expect(committed.spec.catalogs[2]!.parameters.apiKey).toEqual({
      fromSecret: { name: `${ENV}-monitoring-params`, key: 'api-key' },
    });
    // A stale read again: 409, nothing committed
    await expect(h().service.update(ENV, a, TESTER)).rejects.toMatchObject({
      code: 'CONFLICT',
      path: '/metadata/resourceVersion',
    });
    expect(
      subjects('platform')
        .slice(before)
        .filter((s) => s.startsWith('envcat: update')),
    ).toHaveLength(1);
  });

  it.each<[string, (r: EditableRequest) => void, string]>([
    [
      'a new secret value that does not fit its schema',
      (r) => (r.spec.catalogs[2]!.parameters.apiKey = 'not-32-hex-digits'),
      '/spec/catalogs/2/parameters/apiKey',
    ],
    ['another namespace', (r) => (r.spec.namespace = 'elsewhere'), '/spec/namespace'],
    [
      'a parameter the entry does not have',
      (r) => (r.spec.catalogs[3]!.parameters.colour = 'red'),
      '/spec/catalogs/3/parameters/colour',
    ],
  ])('refuses %s with a 422 at its pointer, and commits nothing', async (_, change, path) => {
    const request = await read();
    change(request);
    const commits = subjects('platform').length;
    const error = await h()
      .service.update(ENV, request, TESTER)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).problems.map((p) => p.path)).toContain(path);
    expect(subjects('platform')).toHaveLength(commits);
  });

  it('a dry run shows the plan and a unified diff per file, and commits nothing', async () => {
    const request = await read();
    request.spec.catalogs.push({
      name: 'bucket',
      entry: 's3-bucket',
      parameters: { bucketName: 'dev-put-artefacts' },
    });
    request.spec.catalogs[1]!.parameters.allocatedStorage = 40;
    const commits = subjects('platform').length;
    const dry = await h().service.updateDryRun(ENV, request);
    expect(dry.added).toEqual(['bucket']);
    expect(dry.removed).toEqual([]);
    const files = Object.fromEntries(dry.files.map((f) => [`${f.repo}:${f.path}`, f]));
    expect(files[`platform:${environmentFile(ENV)}`]?.diff).toMatch(/^\+\s+allocatedStorage: 40$/m);
    expect(files[`platform:${stepFile(ENV, 'infra', 'db')}`]).toMatchObject({ change: 'changed' });
    expect(files[`platform:${stepFile(ENV, 'infra', 'db')}`]?.diff).toMatch(
      /^-\s+value: "20"\n\+\s+value: "40"$/m,
    );
    expect(files[`platform:${stepFile(ENV, 'infra', 'bucket')}`]).toMatchObject({ change: 'added' });
    expect(files[`platform:${stepFile(ENV, 'infra', 'network')}`]).toBeUndefined();
    expect(dry.plan.steps.map((s) => s.id)).toContain('bucket/infra');
    expect(subjects('platform')).toHaveLength(commits);
  });

  it('adds an instance, then removes it', async () => {
    const request = await read();
    request.spec.catalogs.push({
      name: 'bucket',
      entry: 's3-bucket',
      parameters: { bucketName: 'dev-put-artefacts' },
    });
    await h().service.update(ENV, request as JsonValue, TESTER);
    await h().settle();
    expect(h().file('platform', stepFile(ENV, 'infra', 'bucket'))).toBeDefined();
    await h().markWorkspaceAvailable(ENV, 'bucket', {
      bucketName: 'dev-put-artefacts',
      bucketArn: 'arn:aws:s3:::dev-put-artefacts',
    });
    await h().settle();
    expect(h().status(ENV)?.phase).toBe('Ready');

    const again = await read();
    again.spec.catalogs = again.spec.catalogs.filter((i: { name: string }) => i.name !== 'bucket');
    await h().service.update(ENV, again as JsonValue, TESTER);
    await h().settle();
    expect(h().file('platform', stepFile(ENV, 'infra', 'bucket'))).toBeUndefined();
    expect(subjects('platform').at(-1)).toBe(`envcat: ${ENV}: remove infrastructure of bucket`);
    await h().deleteObject({ ...WORKSPACE, name: `${ENV}-bucket`, namespace: ENV });
    await h().settle();
    expect(h().status(ENV)?.phase).toBe('Ready');
    expect(
      h()
        .status(ENV)
        ?.steps.map((s) => s.instance),
    ).not.toContain('bucket');
  });
});
