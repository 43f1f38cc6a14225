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
import type { Principal, TokenAuthenticator } from './auth.js';
import { dryRunFlag } from './dry-run.js';

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const NAME = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;
const MAX_TARGET = 256;

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
 * names in the path). `bodyName` is the `metadata.name` of a create, used when it is a valid name.
 */
export function auditAction(
  method: string,
  path: string,
  bodyName?: unknown,
): { action: string; target: string } {
  const parts = path.replace(/\/+$/, '').split('/').filter(Boolean);
  const [api, version, resource, name, ...rest] = parts;
  const named = (kind: string, value: string | undefined) =>
    value === undefined ? kind : `${kind}/${safeSegment(value)}`;
  if (api === 'api' && version === 'v1' && resource === 'environments') {
    if (name === undefined && method === 'POST')
      return {
        action: 'environment.create',
        target:
          typeof bodyName === 'string' && NAME.test(bodyName) ? `environment/${bodyName}` : 'environment',
      };
    if (name !== undefined && rest.length === 0) {
      const verb = { DELETE: 'delete', PUT: 'update', PATCH: 'patch' }[method] ?? method.toLowerCase();
      return { action: `environment.${verb}`, target: named('environment', name) };
    }
    if (name !== undefined && rest.length === 1 && rest[0])
      return { action: `environment.${safeSegment(rest[0])}`, target: named('environment', name) };
  }
  if (api === 'api' && version === 'v1' && resource === 'catalogs') {
    if (name === undefined && method === 'POST') return { action: 'catalog.publish', target: 'catalog' };
    if (name !== undefined)
      return {
        action: `catalog.${method.toLowerCase()}`,
        target: named('catalog', [name, ...rest].join('/')),
      };
  }
  return { action: method.toLowerCase(), target: safeSegment(path) };
}

function safeSegment(text: string): string {
  // eslint-disable-next-line no-control-regex
  const clean = text.replace(/[\u0000-\u001f\u007f]/g, '?');
  return clean.length > MAX_TARGET ? `${clean.slice(0, MAX_TARGET)}…` : clean;
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
