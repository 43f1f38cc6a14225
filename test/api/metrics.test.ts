/**
 * GET /metrics as Prometheus scrapes it, after environments went through the engine, and the
 * Grafana dashboard in gitops/grafana against what the service exposes.
 */
import { jest } from '@jest/globals';
import { readFile } from 'node:fs/promises';
import { exampleText, parse, startTestEnvcat, waitFor, type TestEnvcat } from '../support/envcat.js';

jest.setTimeout(60_000);

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The text exposition format: its samples, and each family's type by name. */
function parseExposition(text: string): { samples: Sample[]; types: Map<string, string> } {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  for (const line of text.split('\n')) {
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type) types.set(type[1]!, type[2]!);
    const sample = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!sample) continue;
    const labels: Record<string, string> = {};
    for (const [, key, value] of (sample[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g))
      labels[key!] = value!;
    samples.push({ name: sample[1]!, labels, value: Number(sample[3]) });
  }
  return { samples, types };
}

let envcat: TestEnvcat;
beforeAll(async () => {
  envcat = await startTestEnvcat();
});
afterAll(async () => {
  await envcat?.close();
});

async function scrape(): Promise<{ samples: Sample[]; types: Map<string, string> }> {
  const response = await fetch(`${envcat.url}/metrics`);
  expect(response.status).toBe(200);
  return parseExposition(await response.text());
}

function values(samples: Sample[], name: string, labels: Record<string, string> = {}): number[] {
  return samples
    .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    .map((s) => s.value);
}

async function bucket(name: string, annotations?: Record<string, string>): Promise<void> {
  const document = parse(await exampleText('s3-bucket', 'basic.yaml'));
  const metadata = document.metadata as Record<string, unknown>;
  metadata.name = name;
  if (annotations) metadata.annotations = annotations;
  const spec = document.spec as Record<string, unknown>;
  spec.namespace = name;
  delete spec.owner;
  const created = await envcat.api('POST', '/api/v1/environments', document);
  expect(created.status).toBe(201);
}

async function phaseOf(name: string, phase: string): Promise<{ steps: Array<Record<string, string>> }> {
  return waitFor(`${name} ${phase}`, async () => {
    const got = await envcat.api<{ status: { phase: string; steps: Array<Record<string, string>> } }>(
      'GET',
      `/api/v1/environments/${name}`,
    );
    return got.body.status?.phase === phase ? got.body.status : undefined;
  });
}

describe('GET /metrics', () => {
  it('observes the time from create to Ready in a histogram by entry', async () => {
    const started = Date.now();
    await bucket('metrics-ready');
    await phaseOf('metrics-ready', 'Ready');
    const elapsed = (Date.now() - started) / 1000;

    const { samples, types } = await scrape();
    expect(types.get('envcat_environment_ready_seconds')).toBe('histogram');
    const entry = { entry: 's3-bucket' };
    expect(values(samples, 'envcat_environment_ready_seconds_count', entry)).toEqual([1]);
    const [sum] = values(samples, 'envcat_environment_ready_seconds_sum', entry);
    expect(sum).toBeGreaterThan(0);
    expect(sum).toBeLessThanOrEqual(elapsed + 1);
    // Cumulative buckets: 0 below the observation, 1 from the first bound at or above it.
    const buckets = samples
      .filter((s) => s.name === 'envcat_environment_ready_seconds_bucket' && s.labels.entry === 's3-bucket')
      .map((s) => ({ le: Number(s.labels.le === '+Inf' ? Infinity : s.labels.le), value: s.value }));
    expect(buckets.map((b) => b.le)).toEqual([
      1,
      5,
      15,
      30,
      60,
      120,
      300,
      600,
      900,
      1800,
      3600,
      7200,
      Infinity,
    ]);
    for (const b of buckets) expect(b.value).toBe(b.le >= sum! ? 1 : 0);
    // No label carries the environment's name.
    expect(samples.filter((s) => Object.values(s.labels).includes('metrics-ready'))).toEqual([]);

    // What an operator reads beside it: this replica leads, passes ran, commits and refreshes went out.
    expect(values(samples, 'envcat_leader')).toEqual([1]);
    expect(values(samples, 'envcat_reconcile_passes_total', { result: 'success' })[0]).toBeGreaterThan(0);
    expect(values(samples, 'envcat_git_commits_total', { repo: 'platform' })[0]).toBeGreaterThan(0);
    expect(
      values(samples, 'envcat_argocd_refresh_requests_total', { kind: 'ApplicationSet', result: 'sent' })[0],
    ).toBeGreaterThan(0);
    expect(values(samples, 'envcat_environments', { phase: 'Ready' })).toEqual([1]);
  });

  it('counts a failed step by part and reason', async () => {
    const before = (await scrape()).samples.filter((s) => s.name === 'envcat_step_failures_total');
    expect(before).toEqual([]);

    await bucket('metrics-failing', {
      'simulator.envcat.io/uploads': '{"failApply": "bucket name is taken"}',
    });
    const status = await phaseOf('metrics-failing', 'Failed');
    const failed = status.steps.find((s) => s.phase === 'Failed');
    expect(failed).toMatchObject({ instance: 'uploads', part: 'infra', reason: 'ReconcileError' });

    const { samples } = await scrape();
    expect(samples.filter((s) => s.name === 'envcat_step_failures_total')).toEqual([
      { name: 'envcat_step_failures_total', labels: { part: 'infra', reason: 'ReconcileError' }, value: 1 },
    ]);
    // A failed creation is not a Ready one.
    expect(values(samples, 'envcat_environment_ready_seconds_count', { entry: 's3-bucket' })).toEqual([1]);
  });
});

describe('gitops/grafana/envcat-dashboard.json', () => {
  interface Panel {
    id: number;
    type: string;
    title: string;
    gridPos: { h: number; w: number; x: number; y: number };
    datasource?: { type: string; uid: string };
    targets?: Array<{ refId: string; expr: string }>;
  }

  async function dashboard(): Promise<{
    uid: string;
    schemaVersion: number;
    panels: Panel[];
    templating: unknown;
  }> {
    return JSON.parse(
      await readFile(new URL('../../gitops/grafana/envcat-dashboard.json', import.meta.url), 'utf8'),
    );
  }

  it('is a Grafana dashboard whose panels query Prometheus', async () => {
    const d = await dashboard();
    expect(d.uid).toMatch(/^[\w-]{1,40}$/);
    expect(d.schemaVersion).toBeGreaterThanOrEqual(36);
    expect(d.templating).toMatchObject({
      list: [{ name: 'datasource', type: 'datasource', query: 'prometheus' }],
    });
    const ids = d.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const panel of d.panels) {
      expect(panel.title).toEqual(expect.any(String));
      expect(panel.gridPos.x + panel.gridPos.w).toBeLessThanOrEqual(24);
      if (panel.type === 'row') continue;
      expect(panel.datasource).toEqual({ type: 'prometheus', uid: '${datasource}' });
      expect(panel.targets?.length).toBeGreaterThan(0);
      const refIds = panel.targets!.map((t) => t.refId);
      expect(new Set(refIds).size).toBe(refIds.length);
      for (const { expr } of panel.targets!) {
        expect(expr.split('(').length).toBe(expr.split(')').length);
        expect(expr).toMatch(/\benvcat_\w+/);
      }
    }
  });

  it('queries only metrics the service exposes', async () => {
    const { types } = await scrape();
    const exposed = new Set<string>();
    for (const [name, type] of types) {
      exposed.add(name);
      if (type === 'histogram')
        for (const suffix of ['_bucket', '_count', '_sum']) exposed.add(name + suffix);
    }
    const queried = new Set(
      (await dashboard()).panels.flatMap((p) =>
        (p.targets ?? []).flatMap((t) => t.expr.match(/\benvcat_\w+/g) ?? []),
      ),
    );
    expect(queried.size).toBeGreaterThan(5);
    expect([...queried].filter((name) => !exposed.has(name))).toEqual([]);
  });
});
