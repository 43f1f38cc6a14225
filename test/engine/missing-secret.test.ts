/**
 * A committed step's parameter Secret deleted from the cluster: the step goes Failed with a
 * message that names the Secret and says how to bring it back; re-created, the step recovers
 * (envcat writes its derived key again). And the log says only what happened: a step that cannot
 * be committed is logged once, never as "wave committed". Real repos, the simulated cluster over
 * HTTP, the engine and the REST API; nothing of ours is mocked.
 */
import { jest } from '@jest/globals';
import type { KubeObject } from '../../src/cluster/types.js';
import { exampleText, parse, startTestEnvcat, waitFor, type TestEnvcat } from '../support/envcat.js';

jest.setTimeout(90_000);

interface StatusBody {
  phase: string;
  message: string;
  steps: Array<{ instance: string; part: string; phase: string; reason: string; message: string }>;
}

const PASSWORD = 'Pw-4-missing-secret-test';

async function database(name: string, password: unknown): Promise<Record<string, unknown>> {
  const document = parse(await exampleText('rds-postgres', 'minimal.yaml')) as {
    metadata: { name: string };
    spec: { namespace: string; ttl?: string; catalogs: Array<{ parameters: Record<string, unknown> }> };
  };
  document.metadata.name = name;
  document.spec.namespace = name;
  document.spec.catalogs[0]!.parameters.masterPassword = password;
  return document as unknown as Record<string, unknown>;
}

async function statusOf(envcat: TestEnvcat, name: string): Promise<StatusBody | undefined> {
  const response = await envcat.api<{ status: StatusBody }>('GET', `/api/v1/environments/${name}`);
  return response.status === 200 ? response.body.status : undefined;
}

function until(envcat: TestEnvcat, name: string, what: string, test: (s: StatusBody) => boolean) {
  return waitFor(
    `${name}: ${what}`,
    async () => {
      const status = await statusOf(envcat, name);
      return status && test(status) ? status : undefined;
    },
    { timeoutMs: 45_000 },
  );
}

/** The engine's log lines about one environment (pino JSON). */
function logLines(envcat: TestEnvcat, name: string): Array<Record<string, unknown>> {
  return envcat
    .logs()
    .split('\n')
    .filter((line) => line.includes(`"environment":"${name}"`))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('a parameter Secret that is missing', () => {
  let envcat: TestEnvcat;
  beforeAll(async () => {
    envcat = await startTestEnvcat();
  });
  afterAll(async () => {
    await envcat?.close();
  });

  it('makes the step Failed while it is gone, and the environment recovers when it is back', async () => {
    // GIVEN a Ready environment whose database got its password through the API
    const name = 'secret-gone';
    const created = await envcat.api('POST', '/api/v1/environments', await database(name, PASSWORD));
    expect(created.status).toBe(201);
    await until(envcat, name, 'Ready', (s) => s.phase === 'Ready');
    const ref = { apiVersion: 'v1', kind: 'Secret', name: `${name}-db-params`, namespace: name };
    const original = (await envcat.cluster.get(ref)) as KubeObject & { data: Record<string, string> };
    expect(Object.keys(original.data).sort()).toEqual(['masterPassword', 'terraform.tfvars.json']);

    // WHEN someone deletes the Secret through the cluster API
    await envcat.cluster.delete(ref);

    // THEN the step is Failed with a message naming the Secret and saying how to bring it back
    const failed = await until(envcat, name, 'Failed', (s) => s.phase === 'Failed');
    const step = failed.steps.find((s) => s.instance === 'db');
    expect(step).toMatchObject({ phase: 'Failed', reason: 'SecretNotFound' });
    expect(step?.message).toContain(`Secret ${name}/${name}-db-params`);
    expect(step?.message).toMatch(/is gone: re-create it with the key masterPassword/);
    expect(JSON.stringify(failed)).not.toContain(PASSWORD);

    // WHEN it is re-created with the secret value only (not the tfvars envcat derives from it)
    await envcat.cluster.create({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: ref.name, namespace: name, labels: original.metadata.labels ?? {} },
      data: { masterPassword: original.data.masterPassword! },
    });

    // THEN the environment is Ready again, and envcat wrote the tfvars key back
    await until(envcat, name, 'Ready again', (s) => s.phase === 'Ready');
    const restored = (await envcat.cluster.get(ref)) as KubeObject & { data: Record<string, string> };
    expect(restored.data['terraform.tfvars.json']).toBe(original.data['terraform.tfvars.json']);
    // the value never reached the log
    expect(envcat.logs()).not.toContain(PASSWORD);
    const blocked = logLines(envcat, name).filter((l) => l.msg === 'step blocked');
    expect(blocked).toHaveLength(1);
  });

  it('logs a step that cannot be committed once, and never as a committed wave', async () => {
    // GIVEN an environment whose password comes from a Secret nobody created
    const name = 'secret-never';
    const created = await envcat.api(
      'POST',
      '/api/v1/environments',
      await database(name, { fromSecret: { name: 'not-there', key: 'password' } }),
    );
    expect(created.status).toBe(201);

    // WHEN the engine has tried for more than one 5 s re-pass
    await until(envcat, name, 'Failed', (s) => s.steps.some((x) => x.reason === 'SecretNotFound'));
    const started = Date.now();
    await waitFor('two re-passes', () => (Date.now() - started > 11_000 ? true : undefined), {
      timeoutMs: 15_000,
      intervalMs: 500,
    });

    // THEN the log says the step is blocked, once, and no wave was committed
    const lines = logLines(envcat, name);
    expect(lines.filter((l) => l.msg === 'wave committed')).toEqual([]);
    expect(lines.filter((l) => l.msg === 'step blocked')).toHaveLength(1);
    expect(lines.find((l) => l.msg === 'step blocked')).toMatchObject({
      reason: 'SecretNotFound',
      message: expect.stringContaining('not-there') as unknown as string,
    });
  });
});
