/**
 * YAML test cases (test/functions/cases/*.yaml, format in its README.md): each sends one
 * RunFunctionRequest to the function's real gRPC server and checks what comes back. A platform
 * engineer adds a case by adding a file; no code.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseYamlDocuments } from '../../src/core/index.js';
import { EnvcatFunction } from '../../functions/function.js';
import { REPO_ROOT } from '../support/examples.js';
import { compositionInput, responseJson, startFunction, type Obj, type RunningFunction } from './support.js';

const CASES = join(REPO_ROOT, 'test', 'functions', 'cases');

interface ExpectedResult {
  severity: string;
  reason?: string;
  messageContains?: string | string[];
}

interface Case {
  name: string;
  description?: string;
  /** ISO time the function takes as "now" (ttl expiry); default 2025-01-01T01:00:00Z. */
  now?: string;
  request: {
    /** Members replacing those of the committed Composition's input (e.g. `render`). */
    input?: Obj;
    observed: { composite: { resource: Obj }; resources?: Record<string, { resource: Obj }> };
  };
  expect: {
    /** Exactly these keys are composed; each value is matched partially. */
    resources?: Record<string, { ready?: string; resource?: Obj }>;
    results?: ExpectedResult[];
    composite?: { ready?: string; status?: Obj };
    conditions?: Obj[];
    /** Strings that must appear nowhere in the response (e.g. a secret value). */
    absent?: string[];
  };
  file: string;
}

function loadCases(): Case[] {
  return readdirSync(CASES)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
    .flatMap((file) =>
      (parseYamlDocuments(readFileSync(join(CASES, file), 'utf8')) as unknown as Case[]).map((c) => ({
        ...c,
        file,
      })),
    );
}

const cases = loadCases();
const servers = new Map<string, RunningFunction>();

async function server(now: string): Promise<RunningFunction> {
  let running = servers.get(now);
  if (!running) {
    running = await startFunction(new EnvcatFunction({ now: () => new Date(now) }));
    servers.set(now, running);
  }
  return running;
}

afterAll(async () => {
  for (const running of servers.values()) await running.close();
});

describe('YAML test cases (test/functions/cases)', () => {
  it('exist', () => {
    expect(cases.length).toBeGreaterThan(0);
    for (const c of cases)
      expect([c.file, typeof c.name, typeof c.expect]).toEqual([c.file, 'string', 'object']);
  });

  it.each(cases.map((c) => [`${c.file}: ${c.name}`, c] as const))('%s', async (_name, c) => {
    const fn = await server(c.now ?? '2025-01-01T01:00:00Z');
    const rsp = responseJson(
      await fn.run({
        meta: { tag: c.name },
        observed: c.request.observed,
        input: { ...compositionInput(), ...c.request.input },
      }),
    );
    const { expect: want } = c;
    if (want.resources) {
      const got = rsp.desired?.resources ?? {};
      expect(Object.keys(got).sort()).toEqual(Object.keys(want.resources).sort());
      for (const [key, partial] of Object.entries(want.resources))
        expect({ [key]: got[key] }).toMatchObject({ [key]: partial });
    }
    const results = rsp.results ?? [];
    expect(results.map((r) => r.severity)).toEqual((want.results ?? []).map((r) => r.severity));
    (want.results ?? []).forEach((w, i) => {
      const got = results[i];
      if (w.reason) expect(got?.reason).toBe(w.reason);
      for (const part of [w.messageContains ?? []].flat()) expect(got?.message).toContain(part);
    });
    if (want.composite?.ready) expect(rsp.desired?.composite?.ready).toBe(want.composite.ready);
    if (want.composite?.status)
      expect(rsp.desired?.composite?.resource?.status).toMatchObject(want.composite.status);
    if (want.conditions) expect(rsp.conditions).toMatchObject(want.conditions);
    const text = JSON.stringify(rsp);
    for (const value of want.absent ?? []) expect(text).not.toContain(value);
  });
});
