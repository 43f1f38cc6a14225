/**
 * Webhooks on changes of phase, end to end: the whole of envcat (real bare repos, the simulated
 * cluster, the engine, the REST API) and a real receiver on this machine (node:http) that checks
 * every signature. Ready, Failed and deleted arrive once each, to ENVCAT_NOTIFY_URL and to the
 * environment's own spec.notify URL; a 500 is retried; an internal URL in spec.notify is a 422.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { jest } from '@jest/globals';
import { exampleText, parse, startTestEnvcat, waitFor, type TestEnvcat } from '../support/envcat.js';
import { webhookPost } from '../../src/server/webhook-post.js';
import { WebhookRefused } from '../../src/engine/notifier.js';

jest.setTimeout(120_000);

const SECRET = 'notify-secret-0123456789';

interface Received {
  path: string;
  body: {
    text: string;
    event: string;
    environment: string;
    phase: string;
    previousPhase?: string;
    message: string;
    time: string;
  };
  answered: number;
}

/** The receiver: checks the signature of every request (401 when wrong), answers 500 as told. */
class Receiver {
  readonly received: Received[] = [];
  badSignatures = 0;
  /** Answer 500 to the next notification whose event is this one, this many times. */
  failures = new Map<string, number>();
  private server!: Server;

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const raw = Buffer.concat(chunks);
        const expected = Buffer.from(`sha256=${createHmac('sha256', SECRET).update(raw).digest('hex')}`);
        const given = Buffer.from(String(req.headers['x-envcat-signature'] ?? ''));
        if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
          this.badSignatures++;
          res.writeHead(401).end();
          return;
        }
        const body = JSON.parse(raw.toString('utf8')) as Received['body'];
        const failing = this.failures.get(body.event) ?? 0;
        const answered = failing > 0 ? 500 : 204;
        if (failing > 0) this.failures.set(body.event, failing - 1);
        this.received.push({ path: req.url ?? '', body, answered });
        res.writeHead(answered).end();
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  /** Accepted notifications of an environment's event, at a path. */
  accepted(environment: string, event: string, path: string): Received[] {
    return this.received.filter(
      (r) =>
        r.answered === 204 && r.body.environment === environment && r.body.event === event && r.path === path,
    );
  }
}

const receiver = new Receiver();
let base: string;
let envcat: TestEnvcat;

beforeAll(async () => {
  base = await receiver.start();
  envcat = await startTestEnvcat({
    env: {
      ENVCAT_NOTIFY_URL: `${base}/global`,
      ENVCAT_NOTIFY_SECRET: SECRET,
      ENVCAT_NOTIFY_ALLOW: '127.0.0.1',
    },
    notifyBackoff: { initialMs: 50, maxMs: 200 },
  });
});
afterAll(async () => {
  await envcat?.close();
  await receiver.stop();
});

async function request(name: string, extra: { notify?: unknown; annotations?: Record<string, string> } = {}) {
  const document = parse(await exampleText('sample-app', 'standalone.yaml')) as {
    metadata: { name: string; annotations?: Record<string, string> };
    spec: Record<string, unknown>;
  };
  document.metadata.name = name;
  document.spec.namespace = name;
  delete document.spec.ttl;
  if (extra.notify) document.spec.notify = extra.notify;
  if (extra.annotations) document.metadata.annotations = extra.annotations;
  return document;
}

async function phaseOf(name: string): Promise<string | undefined> {
  const response = await envcat.api<{ status: { phase: string } }>('GET', `/api/v1/environments/${name}`);
  return response.status === 200 ? response.body.status.phase : undefined;
}

it('tells the global and the environment’s own receiver once of Ready, then once of deleted', async () => {
  // GIVEN an environment with a webhook of its own
  const created = await envcat.api(
    'POST',
    '/api/v1/environments',
    await request('nt-ready', { notify: [{ url: `${base}/own` }] }),
  );
  expect(created.status).toBe(201);
  // WHEN it becomes Ready
  await waitFor('nt-ready to be Ready', async () =>
    (await phaseOf('nt-ready')) === 'Ready' ? true : undefined,
  );
  // THEN both receivers are told, signed, with the text and the fields
  await waitFor('the ready notifications', () =>
    receiver.accepted('nt-ready', 'ready', '/global').length > 0 &&
    receiver.accepted('nt-ready', 'ready', '/own').length > 0
      ? true
      : undefined,
  );
  const [ready] = receiver.accepted('nt-ready', 'ready', '/global');
  expect(ready!.body).toMatchObject({
    text: 'nt-ready is ready',
    event: 'ready',
    environment: 'nt-ready',
    phase: 'Ready',
    message: 'all steps are ready',
  });
  expect(ready!.body.previousPhase).toBeDefined();
  expect(Number.isNaN(Date.parse(ready!.body.time))).toBe(false);

  // WHEN it is deleted
  expect((await envcat.api('DELETE', '/api/v1/environments/nt-ready')).status).toBe(202);
  await waitFor(
    'the deleted notifications',
    () =>
      receiver.accepted('nt-ready', 'deleted', '/global').length > 0 &&
      receiver.accepted('nt-ready', 'deleted', '/own').length > 0
        ? true
        : undefined,
    { timeoutMs: 60_000 },
  );
  // THEN (after a few more passes could have sent more) each event arrived once at each receiver
  await envcat.engine.idle();
  await envcat.notifier.idle();
  await new Promise((resolve) => setTimeout(resolve, 500));
  for (const path of ['/global', '/own']) {
    expect(receiver.accepted('nt-ready', 'ready', path)).toHaveLength(1);
    expect(receiver.accepted('nt-ready', 'deleted', path)).toHaveLength(1);
  }
  expect(receiver.accepted('nt-ready', 'deleted', '/global')[0]!.body).toMatchObject({
    text: 'nt-ready was deleted',
    phase: 'Deleted',
    previousPhase: 'Deleting',
  });
  expect(receiver.badSignatures).toBe(0);
  // …and the logs name the receiver's host, never the secret or the URL's path
  expect(envcat.logs()).toContain('notification sent');
  expect(envcat.logs()).not.toContain(SECRET);
  expect(envcat.logs()).not.toContain('/own');
});

it('tells of a failure once, retrying after the receiver answered 500', async () => {
  // GIVEN a receiver that fails the first failed-notification
  receiver.failures.set('failed', 1);
  // WHEN an environment fails
  const created = await envcat.api(
    'POST',
    '/api/v1/environments',
    await request('nt-fail', {
      annotations: { 'simulator.envcat.io/web': '{"failApply": "image pull: no such tag"}' },
    }),
  );
  expect(created.status).toBe(201);
  await waitFor(
    'nt-fail to be Failed',
    async () => ((await phaseOf('nt-fail')) === 'Failed' ? true : undefined),
    {
      timeoutMs: 60_000,
    },
  );
  // THEN the notification is sent again after the 500, and accepted once
  await waitFor('the failed notification', () =>
    receiver.accepted('nt-fail', 'failed', '/global').length > 0 ? true : undefined,
  );
  await envcat.notifier.idle();
  await new Promise((resolve) => setTimeout(resolve, 500));
  const attempts = receiver.received.filter(
    (r) => r.body.environment === 'nt-fail' && r.body.event === 'failed',
  );
  expect(attempts.map((a) => a.answered)).toEqual([500, 204]);
  expect(attempts[1]!.body.text).toMatch(/^nt-fail failed: web\/apps \S+: .*no such tag/);
  expect(attempts[1]!.body.phase).toBe('Failed');
  expect(receiver.accepted('nt-fail', 'ready', '/global')).toHaveLength(0);
});

it.each([
  ['http://169.254.169.254/latest/meta-data', '169.254.169.254'],
  ['https://10.0.0.7/hook', '10.0.0.7'],
  ['https://localhost:8443/hook', 'localhost'],
])('refuses an internal URL in spec.notify (%s) with a 422 at /spec/notify/<i>/url', async (url, host) => {
  const response = await envcat.api<{ errors: Array<{ path: string; message: string }> }>(
    'POST',
    '/api/v1/environments',
    await request('nt-internal', { notify: [{ url: `${base}/fine` }, { url }] }),
  );
  expect(response.status).toBe(422);
  expect(response.body.errors).toEqual([
    {
      path: '/spec/notify/1/url',
      message: `must not be an internal address (${host}) unless its host is on ENVCAT_NOTIFY_ALLOW`,
    },
  ]);
  expect(await phaseOf('nt-internal')).toBeUndefined();
});

describe('the sender', () => {
  const resolveTo =
    (address: string) =>
    (
      _host: string,
      callback: (error: Error | null, addresses: Array<{ address: string; family: number }>) => void,
    ) =>
      callback(null, [{ address, family: 4 }]);

  it('refuses a name that resolves to an internal address, unless its host is allow-listed', async () => {
    const port = new URL(base).port;
    const post = webhookPost({ allow: [], resolve: resolveTo('127.0.0.1') });
    await expect(post(`https://hooks.example.test:${port}/x`, '{}', {})).rejects.toThrow(WebhookRefused);
    await expect(post(`https://hooks.example.test:${port}/x`, '{}', {})).rejects.toThrow(
      'hooks.example.test resolves to an internal address (127.0.0.1) and is not on ENVCAT_NOTIFY_ALLOW',
    );
    // allow-listed, the same name reaches the receiver (which answers 401: no signature)
    const allowed = webhookPost({ allow: ['hooks.example.test'], resolve: resolveTo('127.0.0.1') });
    expect(await allowed(`http://hooks.example.test:${port}/x`, '{}', {})).toBe(401);
  });
});

it('refuses an internal URL in spec.notify on an update and a dry run too', async () => {
  const update = await envcat.api<{ errors: Array<{ path: string }> }>(
    'PUT',
    '/api/v1/environments/nt-fail',
    await request('nt-fail', {
      notify: [{ url: 'https://192.168.1.10/hook' }],
      annotations: { 'simulator.envcat.io/web': '{"failApply": "image pull: no such tag"}' },
    }),
  );
  expect(update.status).toBe(422);
  expect(update.body.errors.map((e) => e.path)).toEqual(['/spec/notify/0/url']);
  const dryRun = await envcat.api<{ errors: Array<{ path: string }> }>(
    'POST',
    '/api/v1/environments?dryRun=true',
    await request('nt-dry', { notify: [{ url: 'https://[fd00::1]/hook' }] }),
  );
  expect(dryRun.status).toBe(422);
  expect(dryRun.body.errors.map((e) => e.path)).toEqual(['/spec/notify/0/url']);
});
