/**
 * PlainHttpLibrary: client-node's HttpLibrary over node:http for a plain-HTTP API server, against a
 * local HTTP server that records what it receives; anything else goes to the library it wraps.
 * (The ClusterClient contract suite runs KubeClusterClient through it against the simulator.)
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  HttpMethod,
  RequestContext,
  ResponseContext,
  wrapHttpLibrary,
  type HttpLibrary,
} from '@kubernetes/client-node';
import { PlainHttpLibrary } from '../../src/cluster/plain-http.js';

interface Received {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
  socket: number;
}

let server: Server;
let base: string;
const received: Received[] = [];
let sockets = 0;

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const socket = (req.socket as { id?: number }).id ?? -1;
      received.push({
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        socket,
      });
      const missing = req.url?.startsWith('/missing');
      res.writeHead(missing ? 404 : 201, { 'Content-Type': 'application/json', 'X-Served': 'yes' });
      res.end(JSON.stringify(missing ? { kind: 'Status', code: 404 } : { ok: true, url: req.url }));
    });
  });
  server.on('connection', (socket) => Object.assign(socket, { id: ++sockets }));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});
beforeEach(() => {
  received.length = 0;
});

/** A library that answers every request itself, recording the URLs it was given. */
function fallback(): { library: HttpLibrary; urls: string[] } {
  const urls: string[] = [];
  const library = wrapHttpLibrary({
    send: async (request) => {
      urls.push(request.getUrl());
      return new ResponseContext(299, {}, {
        text: async () => 'fallback',
        binary: async () => Buffer.from(''),
      } as never);
    },
  });
  return { library, urls };
}

async function send(library: HttpLibrary, request: RequestContext): Promise<ResponseContext> {
  return library.send(request).toPromise();
}

describe('PlainHttpLibrary', () => {
  it('sends a plain-HTTP request over node:http: method, path and query, headers and body', async () => {
    const { library: other, urls } = fallback();
    const library = new PlainHttpLibrary(other);
    // GIVEN a POST with a query, headers and a JSON body (not ASCII, so bytes ≠ characters)
    const request = new RequestContext(`${base}/api/v1/namespaces/n/secrets`, HttpMethod.POST);
    request.setQueryParam('fieldManager', 'envcat');
    request.setHeaderParam('Content-Type', 'application/json');
    request.setHeaderParam('Authorization', 'Bearer t0ken');
    const body = JSON.stringify({ metadata: { name: 'é-secret' } });
    request.setBody(body);
    // WHEN it is sent
    const response = await send(library, request);
    // THEN the server received it whole, and the answer is its status, headers and body
    expect(received).toEqual([
      expect.objectContaining({
        method: 'POST',
        url: '/api/v1/namespaces/n/secrets?fieldManager=envcat',
        body,
        headers: expect.objectContaining({
          'content-type': 'application/json',
          authorization: 'Bearer t0ken',
          'content-length': String(Buffer.byteLength(body)),
        }),
      }),
    ]);
    expect(response.httpStatusCode).toBe(201);
    expect(response.headers['x-served']).toBe('yes');
    expect(JSON.parse(await response.body.text())).toEqual({
      ok: true,
      url: '/api/v1/namespaces/n/secrets?fieldManager=envcat',
    });
    expect(urls).toEqual([]);
    library.destroy();
  });

  it('answers an error status with its body, and keeps one connection for requests one after another', async () => {
    const library = new PlainHttpLibrary(fallback().library);
    // WHEN three GETs are sent one after another, the last for something missing
    const statuses: number[] = [];
    for (const path of ['/a', '/b', '/missing']) {
      const response = await send(library, new RequestContext(`${base}${path}`, HttpMethod.GET));
      statuses.push(response.httpStatusCode);
      if (path === '/missing')
        expect(JSON.parse(await response.body.text())).toEqual({ kind: 'Status', code: 404 });
    }
    // THEN the 404 is an answer like the others, and they shared one kept-alive connection
    expect(statuses).toEqual([201, 201, 404]);
    expect(new Set(received.map((r) => r.socket)).size).toBe(1);
    library.destroy();
  });

  it.each([
    ['an https URL', (request: RequestContext) => request.setUrl('https://127.0.0.1:1/api')],
    [
      'a request client-node gave a dispatcher (TLS settings, a proxy)',
      // (any dispatcher: the library only looks whether there is one)
      (request: RequestContext) =>
        request.setDispatcher({} as Parameters<RequestContext['setDispatcher']>[0]),
    ],
  ])('leaves %s to the library it wraps', async (_case, change) => {
    const { library: other, urls } = fallback();
    const library = new PlainHttpLibrary(other);
    const request = new RequestContext(`${base}/api`, HttpMethod.GET);
    change(request);
    // WHEN it is sent THEN the wrapped library answers it, and nothing reached the server
    const response = await send(library, request);
    expect(response.httpStatusCode).toBe(299);
    expect(urls).toEqual([request.getUrl()]);
    expect(received).toEqual([]);
    library.destroy();
  });
});
