/**
 * The audit log: exactly one structured line for every mutating request (POST, PUT, PATCH, DELETE),
 * whatever became of it — refused by authentication (401), a role (403), validation (400, 415,
 * 422), a conflict (409), or done. One middleware before everything else, so no route and no
 * refusal can skip it. It says who (the token's subject, or "anonymous"), what (an action and its
 * target) and the outcome (HTTP status and error code); never the body, the query or a header,
 * which can carry secret values and tokens.
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Logger } from 'pino';
import type { TokenAuthenticator } from './auth.js';
import type { Principal } from './contract.js';
import { dryRunFlag } from './dry-run.js';

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const SEGMENT = /^[A-Za-z0-9]([-A-Za-z0-9._]{0,251}[A-Za-z0-9])?$/;

/** Where the error filter leaves the code of the error it answered with (`response.locals`). */
export const ERROR_CODE_LOCAL = 'envcatErrorCode';

export interface AuditRecord {
  actor: string;
  role?: string;
  action: string;
  target: string;
  dryRun?: boolean;
  outcome: { status: number; code?: string; aborted?: boolean };
}

/**
 * The action and target of a request, from its method and path only (a route template's words, the
 * names in the path). Only what looks like a name is written: any other path segment (and a
 * create's `metadata.name`, `bodyName`, that is not a valid name) becomes `?`, since a caller can
 * put anything, a secret too, in a URL or a body.
 */
export function auditAction(
  method: string,
  path: string,
  bodyName?: unknown,
): { action: string; target: string } {
  const parts = path.replace(/\/+$/, '').split('/').filter(Boolean);
  const [api, version, resource, name, ...rest] = parts;
  const named = (kind: string, segments: string[]) =>
    segments.length === 0 ? kind : [kind, ...segments.map(safeSegment)].join('/');
  if (api === 'api' && version === 'v1' && resource === 'environments') {
    if (name === undefined && method === 'POST')
      return {
        action: 'environment.create',
        target: typeof bodyName === 'string' ? named('environment', [bodyName]) : 'environment',
      };
    if (name !== undefined && rest.length === 0) {
      const verb = { DELETE: 'delete', PUT: 'update', PATCH: 'patch' }[method] ?? method.toLowerCase();
      return { action: `environment.${verb}`, target: named('environment', [name]) };
    }
    if (name !== undefined && rest.length === 1 && rest[0])
      return { action: `environment.${safeSegment(rest[0])}`, target: named('environment', [name]) };
  }
  if (api === 'api' && version === 'v1' && resource === 'catalogs') {
    if (name === undefined && method === 'POST') return { action: 'catalog.publish', target: 'catalog' };
    if (name !== undefined)
      return { action: `catalog.${method.toLowerCase()}`, target: named('catalog', [name, ...rest]) };
  }
  return { action: method.toLowerCase(), target: `/${parts.map(safeSegment).join('/')}` };
}

/** A path segment as it may be logged: a name (letters, digits, ".", "-", "_"; at most 253), else "?". */
function safeSegment(segment: string): string {
  return SEGMENT.test(segment) ? segment : '?';
}

/**
 * `authenticator` names the actor of a request refused before the guard ran (a body that could not
 * be read): the token is checked the same way, only to say who it was.
 */
export function auditLog(logger: Logger, authenticator: TokenAuthenticator): RequestHandler {
  return (request: Request, response: Response, next: NextFunction) => {
    if (!MUTATING.has(request.method)) return next();
    let done = false;
    const write = () => {
      if (done) return;
      done = true;
      const principal =
        (request as Request & { principal?: Principal }).principal ??
        authenticator.authenticate(request.headers.authorization);
      const body: unknown = request.body;
      const bodyName =
        body && typeof body === 'object'
          ? (body as { metadata?: { name?: unknown } }).metadata?.name
          : undefined;
      const dry = dryRunFlag(request.query.dryRun);
      const code = response.locals[ERROR_CODE_LOCAL] as string | undefined;
      const record: AuditRecord = {
        actor: principal?.name ?? 'anonymous',
        ...(principal ? { role: principal.role } : {}),
        ...auditAction(request.method, request.path, bodyName),
        ...(dry.ok && dry.dryRun ? { dryRun: true } : {}),
        outcome: {
          status: response.statusCode,
          ...(code ? { code } : {}),
          ...(response.writableFinished ? {} : { aborted: true }),
        },
      };
      logger.info({ audit: record }, 'audit');
    };
    response.on('finish', write);
    response.on('close', write);
    next();
  };
}
