/**
 * client-node's HttpLibrary over node:http, for requests to a plain-HTTP API server without a
 * proxy (the embedded default's simulated API server, `kubectl proxy`). client-node's own library
 * goes through undici's fetch, which in Node 20 cost ~2.5 ms of the event loop per request (web
 * streams, transferable objects, a writev of its own) against ~0.4 ms here; a burst of 200 creates
 * makes ~800 requests. Every other request (TLS, a proxy: client-node's auth put a dispatcher on
 * it) goes to client-node's library unchanged.
 */
import { Agent, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import {
  type HttpLibrary,
  type RequestContext,
  ResponseContext,
  SelfDecodingBody,
  wrapHttpLibrary,
} from '@kubernetes/client-node';

/**
 * Connections to one API server at most (kept open): a burst of 100 creates has ~100 requests
 * outstanding, and with 16 they queued here (the Secrets of a create took 0.3–1.3 s, 0.4–0.5 s with
 * 64; Node's default is no limit, undici's too).
 */
const MAX_SOCKETS = 64;

export class PlainHttpLibrary implements HttpLibrary {
  private readonly agent = new Agent({ keepAlive: true, maxSockets: MAX_SOCKETS });
  private readonly plain = wrapHttpLibrary({ send: (request) => this.sendPlain(request) });

  constructor(private readonly fallback: HttpLibrary) {}

  send(request: RequestContext): ReturnType<HttpLibrary['send']> {
    const body = request.getBody();
    const plain =
      request.getUrl().startsWith('http:') &&
      request.getDispatcher() === undefined &&
      (body === undefined || typeof body === 'string');
    return plain ? this.plain.send(request) : this.fallback.send(request);
  }

  /** Closes the kept-alive connections. */
  destroy(): void {
    this.agent.destroy();
  }

  private sendPlain(request: RequestContext): Promise<ResponseContext> {
    const body = request.getBody() as string | undefined;
    const signal = request.getSignal();
    return new Promise<ResponseContext>((resolve, reject) => {
      const req = httpRequest(
        request.getUrl(),
        {
          method: request.getHttpMethod(),
          headers: {
            ...request.getHeaders(),
            ...(body === undefined ? {} : { 'Content-Length': String(Buffer.byteLength(body)) }),
          },
          agent: this.agent,
          ...(signal ? { signal } : {}),
        },
        (res) => {
          const chunks: Buffer[] = [];
          const content = new Promise<Buffer>((done, failed) => {
            res.on('data', (chunk: Buffer) => chunks.push(chunk));
            res.on('end', () => done(Buffer.concat(chunks)));
            res.on('error', failed);
          });
          // fetch's answer is complete once its headers are in; its body is read when asked
          content.catch(() => undefined);
          resolve(
            new ResponseContext(
              res.statusCode ?? 0,
              headerRecord(res.headers),
              new SelfDecodingBody(content),
            ),
          );
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }
}

/** fetch's Headers as client-node reads them: lower-case names, repeated values joined. */
function headerRecord(headers: IncomingHttpHeaders): Record<string, string> {
  const record: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers))
    if (value !== undefined) record[name] = Array.isArray(value) ? value.join(', ') : value;
  return record;
}
