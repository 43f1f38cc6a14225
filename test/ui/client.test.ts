/** The API client: headers, URLs, bodies, and the server's errors kept with their pointers. */
import { ApiClient, ApiError, fetchHealth, type FetchLike } from '../../src/ui/api/client.js';
import type { EnvironmentDocument } from '../../src/api/contract.js';

interface Call {
  url: string;
  init: RequestInit | undefined;
}

function fakeFetch(reply: (call: Call) => Response | Promise<Response>): { fetch: FetchLike; calls: Call[] } {
  const calls: Call[] = [];
  return {
    calls,
    fetch: async (url, init) => {
      const call = { url, init };
      calls.push(call);
      return reply(call);
    },
  };
}

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });

const document: EnvironmentDocument = {
  apiVersion: 'envcat.io/v1alpha1',
  kind: 'Environment',
  metadata: { name: 'dev-a' },
  spec: { type: 'pre-release', catalogs: [{ name: 'app', entry: 'sample-app@1.0.0' }] },
};

describe('ApiClient', () => {
  it('sends the bearer token and reads JSON', async () => {
    const { fetch, calls } = fakeFetch(() => json(200, { items: [] }));
    const client = new ApiClient({ token: 't0ken', fetch });
    await expect(client.listCatalogs()).resolves.toEqual({ items: [] });
    expect(calls[0]?.url).toBe('/api/v1/catalogs');
    expect(calls[0]?.init?.headers).toEqual({ Accept: 'application/json', Authorization: 'Bearer t0ken' });
  });

  it.each<[string, (c: ApiClient) => Promise<unknown>, string, string, number]>([
    ['who am I', (c) => c.whoami(), 'GET', '/api/v1/whoami', 200],
    ['catalog entry', (c) => c.getCatalog('rds-postgres'), 'GET', '/api/v1/catalogs/rds-postgres', 200],
    ['environments', (c) => c.listEnvironments(), 'GET', '/api/v1/environments', 200],
    ['environment (name escaped)', (c) => c.getEnvironment('a/b'), 'GET', '/api/v1/environments/a%2Fb', 200],
    ['dry run', (c) => c.planEnvironment(document), 'POST', '/api/v1/environments?dryRun=true', 200],
    ['create', (c) => c.createEnvironment(document), 'POST', '/api/v1/environments', 201],
    ['delete', (c) => c.deleteEnvironment('dev-a'), 'DELETE', '/api/v1/environments/dev-a', 202],
  ])('%s: %s %s', async (_case, call, method, url, status) => {
    const { fetch, calls } = fakeFetch(() => json(status, { ok: true }));
    await expect(call(new ApiClient({ token: 't', fetch, baseUrl: 'http://svc' }))).resolves.toEqual({
      ok: true,
    });
    expect(calls[0]?.url).toBe(`http://svc${url}`);
    expect(calls[0]?.init?.method).toBe(method);
    if (method === 'POST') {
      expect(JSON.parse(calls[0]?.init?.body as string)).toEqual(document);
      expect(calls[0]?.init?.headers).toMatchObject({ 'Content-Type': 'application/json' });
    }
  });

  it('retries an environment: POST …/retry without a body, 202', async () => {
    // GIVEN a server that accepts the retry
    const { fetch, calls } = fakeFetch(() => json(202, { ok: true }));
    // WHEN the page asks for it
    await expect(
      new ApiClient({ token: 't', fetch, baseUrl: 'http://svc' }).retryEnvironment('dev a'),
    ).resolves.toEqual({ ok: true });
    // THEN
    expect(calls[0]?.url).toBe('http://svc/api/v1/environments/dev%20a/retry');
    expect(calls[0]?.init?.method).toBe('POST');
    expect(calls[0]?.init?.body).toBeUndefined();
  });

  it.each([
    {
      call: 'planUpgrade' as const,
      url: 'http://svc/api/v1/environments/dev%20a/upgrade?dryRun=true',
    },
    { call: 'upgradeEnvironment' as const, url: 'http://svc/api/v1/environments/dev%20a/upgrade' },
  ])('$call: POST …/upgrade with {instance, to} as JSON', async ({ call, url }) => {
    // GIVEN a server that answers 200
    const { fetch, calls } = fakeFetch(() => json(200, { ok: true }));
    // WHEN an upgrade of one instance to a version is asked
    await expect(
      new ApiClient({ token: 't', fetch, baseUrl: 'http://svc' })[call]('dev a', {
        instance: 'web',
        to: '1.0.0',
      }),
    ).resolves.toEqual({ ok: true });
    // THEN
    expect(calls[0]?.url).toBe(url);
    expect(calls[0]?.init?.method).toBe('POST');
    expect(calls[0]?.init?.body).toBe('{"instance":"web","to":"1.0.0"}');
  });

  it('keeps the code and the pointers of a 422', async () => {
    const errors = [{ path: '/spec/catalogs/0/parameters/allocatedStorage', message: 'must be >= 20' }];
    const { fetch } = fakeFetch(() =>
      json(422, { code: 'INVALID_INPUT', message: 'the request is invalid', errors }),
    );
    const error = await new ApiClient({ token: 't', fetch })
      .createEnvironment(document)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({
      status: 422,
      code: 'INVALID_INPUT',
      message: 'the request is invalid',
      problems: errors,
    });
  });

  it.each([
    [401, '', 'HTTP_401', 'The token was not accepted.', true],
    [
      403,
      '{"code":"FORBIDDEN","message":"needs the platform role"}',
      'FORBIDDEN',
      'needs the platform role',
      false,
    ],
    [502, '<html>bad gateway</html>', 'HTTP_502', 'The service answered with HTTP 502.', false],
  ])('turns HTTP %d into a typed error', async (status, body, code, message, unauthorized) => {
    const { fetch } = fakeFetch(() => new Response(body, { status }));
    const error = (await new ApiClient({ token: 't', fetch })
      .listEnvironments()
      .catch((e: unknown) => e)) as ApiError;
    expect(error).toMatchObject({ status, code, message, problems: [] });
    expect(error.unauthorized).toBe(unauthorized);
  });

  it('says so when the service cannot be reached, keeping the cause', async () => {
    const cause = new TypeError('fetch failed');
    const error = (await new ApiClient({ token: 't', fetch: () => Promise.reject(cause) })
      .listEnvironments()
      .catch((e: unknown) => e)) as ApiError;
    expect(error).toMatchObject({ status: 0, code: 'NETWORK' });
    expect(error.cause).toBe(cause);
  });

  it('lets an abort through as it is', async () => {
    const controller = new AbortController();
    controller.abort();
    const { fetch } = fakeFetch((call) => {
      call.init?.signal?.throwIfAborted();
      return json(200, {});
    });
    const error = await new ApiClient({ token: 't', fetch })
      .listEnvironments({ signal: controller.signal })
      .catch((e: unknown) => e);
    expect((error as Error).name).toBe('AbortError');
  });

  it('puts the token in the query of the events URL only', () => {
    const client = new ApiClient({ token: 'a b&c', fetch: () => Promise.reject(new Error('unused')) });
    expect(client.eventsUrl('dev-a')).toBe('/api/v1/environments/dev-a/events?access_token=a+b%26c');
  });
});

describe('fetchHealth', () => {
  it('needs no token', async () => {
    const { fetch, calls } = fakeFetch(() =>
      json(200, { status: 'ok', version: '0.1.0', cluster: 'simulated' }),
    );
    await expect(fetchHealth({ fetch })).resolves.toMatchObject({ cluster: 'simulated' });
    expect(calls[0]?.url).toBe('/healthz');
    expect(calls[0]?.init?.headers).toEqual({ Accept: 'application/json' });
  });
});
