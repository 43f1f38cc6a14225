/** Notifications: which changes of phase notify, what they say, their signature, and where they may go. */
import {
  EXPIRY_WARNING_MS,
  checkEnvironment,
  expiryWarning,
  failureMessage,
  hostAllowed,
  internalAddress,
  internalHost,
  notificationBody,
  notificationSignature,
  notificationText,
  notifyUrlProblem,
  parseIpv6,
  parseNotifyAllow,
  phaseNotification,
  type Catalog,
  type EnvironmentPhase,
  type Notification,
} from '../../../src/core/index.js';
import { builtInCatalog } from '../../support/examples.js';

describe('phaseNotification', () => {
  it.each<[EnvironmentPhase | undefined, EnvironmentPhase, string | undefined]>([
    [undefined, 'Ready', undefined], // first seen (a start, a new leader): no change
    [undefined, 'Failed', undefined],
    ['Ready', 'Ready', undefined],
    ['Failed', 'Failed', undefined],
    ['DeployingApplications', 'Ready', 'ready'],
    ['ProvisioningInfrastructure', 'Ready', 'ready'],
    ['Failed', 'Ready', 'ready'], // fixed and retried
    ['ProvisioningInfrastructure', 'Failed', 'failed'],
    ['Ready', 'Failed', 'failed'],
    ['Deleting', 'Failed', 'failed'],
    ['Creating', 'ProvisioningInfrastructure', undefined],
    ['Ready', 'Deleting', undefined],
    ['Ready', 'Invalid', undefined],
  ])('%s → %s notifies %s', (previous, current, event) => {
    expect(phaseNotification(previous, current)).toBe(event);
  });
});

describe('the text and the body', () => {
  const base = { environment: 'pr-123', time: '2026-01-01T10:00:00.000Z' };
  it.each<[Notification, string]>([
    [{ ...base, event: 'ready', phase: 'Ready', message: 'all steps are ready' }, 'pr-123 is ready'],
    [
      { ...base, event: 'failed', phase: 'Failed', message: 'db/infra ReconcileError: quota exceeded' },
      'pr-123 failed: db/infra ReconcileError: quota exceeded',
    ],
    [{ ...base, event: 'deleted', phase: 'Deleted', message: 'deleted' }, 'pr-123 was deleted'],
    [
      { ...base, event: 'expiring', phase: 'Ready', message: 'x', expiresAt: '2026-01-01T11:00:00.000Z' },
      'pr-123 expires in 1 h (its ttl runs out at 2026-01-01T11:00:00.000Z)',
    ],
    [
      { ...base, event: 'expiring', phase: 'Ready', message: 'x', expiresAt: '2026-01-01T10:30:00.000Z' },
      'pr-123 expires in 30 min (its ttl runs out at 2026-01-01T10:30:00.000Z)',
    ],
  ])('%j reads %s', (notification, text) => {
    expect(notificationText(notification)).toBe(text);
  });

  it('names the failed step, its reason and message', () => {
    const failed = {
      instance: 'db',
      part: 'infra' as const,
      phase: 'Failed' as const,
      reason: 'ReconcileError',
      message: 'boom',
    };
    expect(failureMessage(failed, 'db/infra: boom')).toBe('db/infra ReconcileError: boom');
    expect(failureMessage(undefined, 'something')).toBe('something');
  });

  it('carries the text and the structured fields', () => {
    const body = notificationBody({
      ...base,
      event: 'ready',
      phase: 'Ready',
      previousPhase: 'DeployingApplications',
      message: 'all steps are ready',
    });
    expect(JSON.parse(body)).toEqual({
      text: 'pr-123 is ready',
      event: 'ready',
      environment: 'pr-123',
      phase: 'Ready',
      previousPhase: 'DeployingApplications',
      message: 'all steps are ready',
      time: '2026-01-01T10:00:00.000Z',
    });
  });

  it('signs the raw body with HMAC-SHA256 (the RFC-known vector)', () => {
    expect(notificationSignature('The quick brown fox jumps over the lazy dog', 'key')).toBe(
      'sha256=f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8',
    );
    expect(notificationSignature('{"a":1}', 'key')).not.toBe(notificationSignature('{"a":2}', 'key'));
  });
});

describe('expiryWarning', () => {
  const hour = EXPIRY_WARNING_MS;
  it.each([
    [{ ttlSeconds: undefined, createdAt: 0, now: 0 }, { kind: 'none' }],
    [{ ttlSeconds: 7200, createdAt: undefined, now: 0 }, { kind: 'none' }],
    [
      { ttlSeconds: 7200, createdAt: 0, now: 0 },
      { kind: 'later', inMs: hour },
    ],
    [
      { ttlSeconds: 7200, createdAt: 0, now: hour - 1 },
      { kind: 'later', inMs: 1 },
    ],
    [
      { ttlSeconds: 7200, createdAt: 0, now: hour },
      { kind: 'warn', expiresAt: 2 * hour },
    ],
    [
      { ttlSeconds: 1800, createdAt: 0, now: 0 },
      { kind: 'warn', expiresAt: hour / 2 },
    ],
    [{ ttlSeconds: 7200, createdAt: 0, now: 2 * hour }, { kind: 'none' }], // expired: deletion says so
  ])('%j → %j', (args, verdict) => {
    expect(expiryWarning(args)).toEqual(verdict);
  });
});

describe('where a notification may go', () => {
  it.each([
    ['127.0.0.1', true],
    ['127.8.9.10', true],
    ['10.1.2.3', true],
    ['172.16.0.1', true],
    ['172.31.255.255', true],
    ['172.32.0.1', false],
    ['192.168.1.1', true],
    ['169.254.169.254', true],
    ['100.64.0.1', true],
    ['0.0.0.0', true],
    ['224.0.0.1', true],
    ['8.8.8.8', false],
    ['::1', true],
    ['::', true],
    ['fe80::1', true],
    ['fd00::1', true],
    ['ff02::1', true],
    ['::ffff:127.0.0.1', true],
    ['::ffff:7f00:1', true],
    ['::ffff:8.8.8.8', false],
    ['2001:4860:4860::8888', false],
    ['hooks.example.com', false],
  ])('internalAddress(%s) is %s', (address, internal) => {
    expect(internalAddress(address)).toBe(internal);
  });

  it.each([
    ['::1', [0, 0, 0, 0, 0, 0, 0, 1]],
    ['1:2:3:4:5:6:7:8', [1, 2, 3, 4, 5, 6, 7, 8]],
    ['1::8', [1, 0, 0, 0, 0, 0, 0, 8]],
    ['::ffff:1.2.3.4', [0, 0, 0, 0, 0, 0xffff, 0x102, 0x304]],
    ['1:2:3:4:5:6:7', undefined],
    ['1::2::3', undefined],
    ['1:2:3:4:5:6:7:8:9', undefined],
    ['g::1', undefined],
  ])('parseIpv6(%s) is %j', (text, groups) => {
    expect(parseIpv6(text)).toEqual(groups);
  });

  it('knows localhost names', () => {
    expect(internalHost('localhost')).toBe(true);
    expect(internalHost('api.localhost.')).toBe(true);
    expect(internalHost('[::1]')).toBe(true);
    expect(internalHost('example.com')).toBe(false);
  });

  it.each([
    ['hooks.example.com', ['hooks.example.com'], true],
    ['HOOKS.example.com', ['hooks.example.com'], true],
    ['a.hooks.example.com', ['hooks.example.com'], false],
    ['a.example.com', ['*.example.com'], true],
    ['example.com', ['*.example.com'], false],
    ['evilexample.com', ['*.example.com'], false],
    ['127.0.0.1', ['127.0.0.1'], true],
    ['[::1]', ['::1'], true],
  ])('hostAllowed(%s, %j) is %s', (host, patterns, allowed) => {
    expect(hostAllowed(host, patterns)).toBe(allowed);
  });

  it('parses the allow-list, naming what is not a host pattern', () => {
    expect(parseNotifyAllow(' a.example.com, *.b.example.com ,127.0.0.1,[::1],')).toEqual({
      patterns: ['a.example.com', '*.b.example.com', '127.0.0.1', '::1'],
      invalid: [],
    });
    expect(parseNotifyAllow('https://x.example.com,a b').invalid).toEqual(['https://x.example.com', 'a b']);
    expect(parseNotifyAllow(undefined)).toEqual({ patterns: [], invalid: [] });
  });

  it.each<[string, string[], string | undefined]>([
    ['https://hooks.example.com/x', [], undefined],
    ['https://hooks.slack.com/services/T0/B0/secret', [], undefined],
    ['http://hooks.example.com/x', [], 'must be an https URL (or its host on ENVCAT_NOTIFY_ALLOW)'],
    ['http://hooks.example.com/x', ['hooks.example.com'], undefined],
    ['ftp://hooks.example.com/x', [], 'must be an https URL'],
    ['hooks.example.com/x', [], 'must be an absolute URL such as https://hooks.example.com/envcat'],
    ['https://user:pw@hooks.example.com/x', [], 'must not hold credentials'],
    [
      'https://169.254.169.254/latest',
      [],
      'must not be an internal address (169.254.169.254) unless its host is on ENVCAT_NOTIFY_ALLOW',
    ],
    [
      'https://localhost:8443/',
      [],
      'must not be an internal address (localhost) unless its host is on ENVCAT_NOTIFY_ALLOW',
    ],
    [
      'https://[::1]/',
      [],
      'must not be an internal address ([::1]) unless its host is on ENVCAT_NOTIFY_ALLOW',
    ],
    // the URL parser's normal form: 0x7f.1 is 127.0.0.1
    [
      'https://0x7f.1/',
      [],
      'must not be an internal address (127.0.0.1) unless its host is on ENVCAT_NOTIFY_ALLOW',
    ],
    [
      'https://2130706433/',
      [],
      'must not be an internal address (127.0.0.1) unless its host is on ENVCAT_NOTIFY_ALLOW',
    ],
    ['http://127.0.0.1:9000/hook', ['127.0.0.1'], undefined],
    [
      'http://169.254.169.254/latest',
      [],
      'must not be an internal address (169.254.169.254) unless its host is on ENVCAT_NOTIFY_ALLOW',
    ],
  ])('notifyUrlProblem(%s, %j) is %s', (url, allow, problem) => {
    expect(notifyUrlProblem(url, allow)).toBe(problem);
  });
});

describe('spec.notify in a request', () => {
  let catalog: Catalog;
  beforeAll(async () => {
    catalog = await builtInCatalog();
  });
  const request = (notify: unknown) => ({
    apiVersion: 'envcat.io/v1alpha1',
    kind: 'Environment',
    metadata: { name: 'pr-123' },
    spec: {
      type: 'pre-release',
      notify,
      catalogs: [{ name: 'web', entry: 'sample-app' }],
    },
  });

  it('is resolved into the environment', () => {
    const check = checkEnvironment(request([{ url: 'https://hooks.example.com/a' }]), catalog, {
      notifyAllow: [],
    });
    expect(check.problems).toEqual([]);
    expect(check.environment?.notify).toEqual([{ url: 'https://hooks.example.com/a' }]);
  });

  it.each<[unknown, string[] | undefined, Array<{ path: string; message: string }>]>([
    [
      [{ url: 'https://hooks.example.com/a' }, { url: 'https://10.0.0.1/b' }],
      [],
      [
        {
          path: '/spec/notify/1/url',
          message: 'must not be an internal address (10.0.0.1) unless its host is on ENVCAT_NOTIFY_ALLOW',
        },
      ],
    ],
    [[{ url: 'https://10.0.0.1/b' }], ['10.0.0.1'], []],
    // From Git (no allow-list given): only the shape is checked; the sender checks the rest.
    [[{ url: 'http://10.0.0.1/b' }], undefined, []],
    [[{ url: 'gopher://x/' }], undefined, [{ path: '/spec/notify/0/url', message: 'must be an https URL' }]],
  ])('%j with allow %j has problems %j', (notify, allow, problems) => {
    const check = checkEnvironment(request(notify), catalog, allow ? { notifyAllow: allow } : {});
    expect(check.problems).toEqual(problems);
  });

  it('is refused by the schema when it is not a list of {url}', () => {
    const check = checkEnvironment(request([{ url: 'https://a.example.com', token: 'x' }]), catalog);
    expect(check.problems.map((p) => p.path)).toEqual(['/spec/notify/0/token']);
    const notString = checkEnvironment(request([{ url: 5 }]), catalog, { notifyAllow: [] });
    expect(notString.problems.map((p) => p.path)).toEqual(['/spec/notify/0/url']);
  });
});
