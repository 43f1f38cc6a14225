/**
 * Every hostile input we know of, against the real app over HTTP on the embedded stack (bare Git
 * repos, the simulated cluster): the inputs of the "safe under hostile input" issue, the README's
 * limits, and the ones that were already handled. Each must be a 4xx that names the field (or the
 * header, or the query parameter), quote no secret, write no commit to either repo, change no
 * Secret or Namespace, and leave exactly one audit line; the server stays healthy and a valid
 * create still works at the end.
 */
import { jest } from '@jest/globals';
import { git, startTestEnvcat, type TestEnvcat } from '../support/envcat.js';
import { ALICE, cases, request, SECRET, type Case } from './hostile-cases.js';

jest.setTimeout(120_000);

let envcat: TestEnvcat;

interface Snapshot {
  heads: { platform: string; apps: string };
  secrets: string[];
  namespaces: string[];
}

async function head(repo: string): Promise<string> {
  return (await git(repo, ['rev-parse', '--verify', '--quiet', 'refs/heads/main']).catch(() => '')).trim();
}

async function snapshot(): Promise<Snapshot> {
  const names = async (kind: string) =>
    (await envcat.cluster.list({ apiVersion: 'v1', kind }))
      .map((o) => `${o.metadata.namespace ?? ''}/${o.metadata.name}`)
      .sort();
  return {
    heads: { platform: await head(envcat.repoUrls.platform), apps: await head(envcat.repoUrls.apps) },
    secrets: await names('Secret'),
    namespaces: await names('Namespace'),
  };
}

const auditLines = () =>
  envcat
    .logs()
    .split('\n')
    .filter((l) => l.includes('"audit":{'))
    .map(
      (l) =>
        (
          JSON.parse(l) as {
            audit: { actor: string; action: string; outcome: { status: number; code?: string } };
          }
        ).audit,
    );

async function send(c: Case): Promise<{ status: number; text: string }> {
  const headers: Record<string, string> = {};
  const token = c.token === undefined ? 'test-admin-token-0123456789' : c.token;
  if (token !== null) headers.authorization = `Bearer ${token}`;
  const contentType = c.contentType === undefined ? 'application/json' : c.contentType;
  const body = c.body;
  const response = await fetch(`${envcat.url}${c.path ?? '/api/v1/environments'}`, {
    method: c.method ?? 'POST',
    headers: {
      ...headers,
      ...(body !== undefined && contentType !== null ? { 'content-type': contentType } : {}),
    },
    ...(body !== undefined ? { body: contentType === null ? new Blob([body]) : body } : {}),
  });
  return { status: response.status, text: await response.text() };
}

beforeAll(async () => {
  envcat = await startTestEnvcat({ env: { ENVCAT_TOKENS: `alice:developer:${ALICE}` } });
  // The engine's own start-up writes (the Lease, bootstrap) settle before the first baseline.
  let previous = JSON.stringify(await snapshot());
  for (let i = 0; i < 20; i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    const now = JSON.stringify(await snapshot());
    if (now === previous && i >= 3) break;
    previous = now;
  }
});
afterAll(async () => {
  await envcat?.close();
});

describe('hostile input corpus', () => {
  it.each(cases)('$name → $status', async (c) => {
    // GIVEN the state of both repos and of the cluster's Secrets and Namespaces
    const before = await snapshot();
    const auditBefore = auditLines().length;
    // WHEN the hostile request is sent
    const response = await send(c);
    // THEN it is refused with that 4xx, naming the field (pointer) or what is wrong (message)
    if (response.status !== c.status)
      throw new Error(`expected HTTP ${c.status}, got ${response.status}: ${response.text.slice(0, 1000)}`);
    const body = JSON.parse(response.text) as {
      code: string;
      message: string;
      errors: Array<{ path: string; message: string; file?: string }>;
    };
    expect(body.errors.length).toBeGreaterThan(0);
    const first = body.errors[0]!;
    if (c.pointer !== undefined) {
      if (typeof c.pointer === 'string') expect(first.path).toBe(c.pointer);
      else expect(first.path).toMatch(c.pointer);
    }
    if (c.message) expect(first.message).toMatch(c.message);
    if (c.file) expect(first.file).toBe(c.file);
    // AND the same problem is never listed twice
    const keys = body.errors.map((e) => `${e.file ?? ''}#${e.path}: ${e.message}`);
    expect(new Set(keys).size).toBe(keys.length);
    // AND no secret is quoted, in the answer or in the logs
    expect(response.text).not.toContain('S3cret');
    expect(envcat.logs()).not.toContain('S3cret');
    // AND nothing was written: no commit in either repo, no Secret, no Namespace
    expect(await snapshot()).toEqual(before);
    // AND exactly one audit line says who, what and the outcome
    await new Promise((resolve) => setImmediate(resolve));
    const audit = auditLines().slice(auditBefore);
    expect(audit).toEqual([
      expect.objectContaining({
        actor: c.token === null || c.status === 401 ? 'anonymous' : c.token === ALICE ? 'alice' : 'admin',
        outcome: expect.objectContaining({ status: c.status, code: body.code }),
      }),
    ]);
  });

  it('stays healthy, and a valid create still works', async () => {
    // GIVEN every hostile request above WHEN health is asked, with and without the trailing slash
    for (const path of ['/healthz', '/healthz/', '/metrics', '/metrics/'])
      expect((await fetch(`${envcat.url}${path}`)).status).toBe(200);
    // AND a dry run writes nothing, and a valid request creates
    const before = await snapshot();
    const dry = await send({
      name: 'dry',
      path: '/api/v1/environments?dryRun=true',
      body: request(),
      status: 200,
    });
    expect(dry.status).toBe(200);
    expect(await snapshot()).toEqual(before);
    const created = await send({ name: 'create', body: request(), status: 201 });
    if (created.status !== 201) throw new Error(`expected 201, got ${created.status}: ${created.text}`);
    expect(created.text).not.toContain(SECRET);
    const after = await snapshot();
    expect(after.heads.platform).not.toBe(before.heads.platform);
    expect(after.secrets).toContain('hostile-db/hostile-db-db-params');
    expect(auditLines().at(-1)).toMatchObject({
      actor: 'admin',
      action: 'environment.create',
      target: 'environment/hostile-db',
      outcome: { status: 201 },
    });
  });
});
