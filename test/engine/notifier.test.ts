/**
 * Notifier on fakes: a recording receiver port and a fake clock. Once per real change of phase,
 * the leader only, retries with bounded backoff on what may pass (network errors, 5xx, 429) and
 * never on what will not, the hour-before-expiry warning once, per-environment URLs kept for the
 * deletion.
 */
import type { EnvironmentPhase, StepStatus } from '../../src/core/index.js';
import { Notifier, WebhookRefused } from '../../src/engine/notifier.js';
import type { EnvironmentStatusView } from '../../src/engine/status-board.js';
import { FakeClock } from './fake-clock.js';
import { recordingLogger } from './fakes.js';

const SECRET = 'a-secret-of-16-chars';
const HOUR = 3600_000;

interface Sent {
  url: string;
  body: Record<string, unknown>;
  signature: string | undefined;
}

function setup(
  options: { answers?: Array<number | Error>; leader?: boolean; sources?: Record<string, string> } = {},
) {
  const clock = new FakeClock();
  const sent: Sent[] = [];
  const answers = [...(options.answers ?? [])];
  const state = { leader: options.leader ?? true, created: new Map<string, string>() };
  const sources = new Map(Object.entries(options.sources ?? {}));
  const log = recordingLogger();
  const notifier = new Notifier({
    post: (url, body, headers) => {
      sent.push({
        url,
        body: JSON.parse(body) as Record<string, unknown>,
        signature: headers['X-Envcat-Signature'],
      });
      const answer = answers.shift() ?? 204;
      return answer instanceof Error ? Promise.reject(answer) : Promise.resolve(answer);
    },
    url: 'https://hooks.example.com/global',
    secret: SECRET,
    isLeader: () => state.leader,
    source: (name) => sources.get(name),
    createdAt: (name) => state.created.get(name),
    logger: log.logger,
    clock,
    backoff: { initialMs: 1_000, maxMs: 4_000 },
    maxAttempts: 4,
  });
  const status = (name: string, phase: EnvironmentPhase, message: string = phase, failed?: StepStatus) =>
    notifier.status(name, {
      phase,
      message,
      conditions: [],
      steps: [],
      outputs: {},
      observedAt: new Date(clock.now()).toISOString(),
      ...(failed ? { failed } : {}),
    } as EnvironmentStatusView);
  const flush = async () => {
    for (let i = 0; i < 10; i++) await new Promise((resolve) => setImmediate(resolve));
  };
  return { clock, sent, state, sources, notifier, status, flush, log };
}

const request = (extra: string) =>
  `apiVersion: envcat.io/v1alpha1\nkind: Environment\nmetadata: { name: x }\nspec:\n  type: pre-release\n${extra}  catalogs: [{ name: web, entry: sample-app }]\n`;

it('sends once per real change of phase, nothing for the first status it sees', async () => {
  const { sent, status, flush } = setup();
  status('pr-1', 'Ready'); // already Ready when this process started
  status('pr-2', 'Creating');
  status('pr-2', 'ProvisioningInfrastructure');
  status('pr-2', 'Ready', 'all steps are ready');
  status('pr-2', 'Ready', 'all steps are ready (again)');
  const failed: StepStatus = {
    instance: 'db',
    part: 'infra',
    phase: 'Failed',
    reason: 'ReconcileError',
    message: 'quota',
  };
  status('pr-2', 'Failed', 'db/infra: quota', failed);
  status('pr-2', 'Failed', 'db/infra: quota, still', failed);
  await flush();
  expect(sent.map((s) => s.body.text)).toEqual([
    'pr-2 is ready',
    'pr-2 failed: db/infra ReconcileError: quota',
  ]);
  expect(sent[1]!.body).toMatchObject({ phase: 'Failed', previousPhase: 'Ready', environment: 'pr-2' });
  expect(sent[0]!.signature).toMatch(/^sha256=[0-9a-f]{64}$/);
});

it('sends from the leader only; a follower still follows the phases', async () => {
  const { sent, status, state, flush } = setup({ leader: false });
  status('pr-1', 'Creating');
  status('pr-1', 'Ready');
  await flush();
  expect(sent).toEqual([]);
  // the follower becomes leader: the next change is told, with the phase it followed
  state.leader = true;
  status('pr-1', 'Failed');
  await flush();
  expect(sent.map((s) => s.body.previousPhase)).toEqual(['Ready']);
});

it.each<[string, Array<number | Error>, number[], number]>([
  ['a 500, then accepted', [500, 204], [1_000], 2],
  ['a 429 and a network error, then accepted', [429, new Error('ECONNRESET'), 204], [1_000, 2_000], 3],
  ['5xx every time: given up after maxAttempts', [503, 503, 503, 503, 503], [1_000, 2_000, 4_000], 4],
  ['a 404: not retried', [404], [], 1],
  ['refused by the policy: not retried', [new WebhookRefused('internal')], [], 1],
])('retries %s', async (_what, answers, delays, attempts) => {
  const { sent, status, flush, clock, notifier } = setup({ answers });
  status('pr-1', 'Creating');
  status('pr-1', 'Ready');
  await flush();
  const seen: number[] = [];
  for (;;) {
    const pending = clock.pending();
    if (pending.length === 0) break;
    seen.push(pending[0]!);
    clock.advance(pending[0]!);
    await flush();
  }
  expect(seen).toEqual(delays);
  expect(sent).toHaveLength(attempts);
  await notifier.idle();
});

it('keeps an environment’s own URLs for its deletion, and signs them with the same secret', async () => {
  const { sent, status, notifier, sources, flush } = setup({
    sources: { 'pr-1': request('  notify: [{ url: "https://own.example.com/a" }]\n') },
  });
  status('pr-1', 'Ready');
  status('pr-1', 'Deleting');
  sources.delete('pr-1'); // the request is gone from Git before the deletion ends
  notifier.deleted('pr-1');
  notifier.deleted('pr-1'); // forgotten: told again only to whoever is configured globally
  await flush();
  expect(sent.filter((s) => s.body.event === 'deleted').map((s) => s.url)).toEqual([
    'https://hooks.example.com/global',
    'https://own.example.com/a',
    'https://hooks.example.com/global',
  ]);
  // the same body to both, signed with the same secret
  expect(sent[1]!.signature).toBe(sent[0]!.signature);
  expect(sent[0]!.body).toMatchObject({
    phase: 'Deleted',
    previousPhase: 'Deleting',
    text: 'pr-1 was deleted',
  });
});

it('warns once an hour before the ttl runs out, and again for a new expiry time', async () => {
  const { sent, status, state, clock, sources, flush } = setup({
    sources: { 'pr-1': request('  ttl: 3h\n') },
  });
  state.created.set('pr-1', new Date(clock.now()).toISOString());
  status('pr-1', 'Creating');
  status('pr-1', 'Ready');
  await flush();
  expect(sent.map((s) => s.body.event)).toEqual(['ready']);
  clock.advance(2 * HOUR - 1);
  await flush();
  expect(sent).toHaveLength(1);
  clock.advance(1);
  await flush();
  expect(sent.map((s) => s.body.text)).toEqual([
    'pr-1 is ready',
    `pr-1 expires in 1 h (its ttl runs out at ${new Date(clock.now() + HOUR).toISOString()})`,
  ]);
  status('pr-1', 'Ready', 'again');
  clock.advance(10 * 60_000);
  await flush();
  expect(sent).toHaveLength(2);
  // the ttl extended to 4h: warned again an hour before the new time
  sources.set('pr-1', request('  ttl: 4h\n'));
  status('pr-1', 'Ready', 'extended');
  clock.advance(HOUR);
  await flush();
  expect(sent.map((s) => s.body.event)).toEqual(['ready', 'expiring', 'expiring']);
});

it('does not warn of an expiry that was due before this process knew the environment', async () => {
  const { sent, status, state, clock, flush } = setup({ sources: { 'pr-1': request('  ttl: 3h\n') } });
  state.created.set('pr-1', new Date(clock.now() - 2.5 * HOUR).toISOString());
  status('pr-1', 'Ready');
  clock.advance(HOUR);
  await flush();
  expect(sent).toEqual([]);
});
