/**
 * Reading request bodies: one middleware before every route. A body must say what it is (JSON, or
 * YAML where the endpoint takes it): no Content-Type, or another one, is 415 naming the accepted
 * types. JSON is checked by a non-recursive scan (syntax, nesting depth) before JSON.parse, so a
 * 10,000-deep document is a 422 at the pointer where the limit was crossed, and a malformed one is
 * a 400 with its line and column; neither message quotes the body, which may hold secret values.
 * YAML stays text here: the controllers parse it with the same depth limit (core/yaml).
 */
import { BadRequestException, UnsupportedMediaTypeException } from '@nestjs/common';
import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { InputError, parseJsonText } from '../core/index.js';

export const JSON_TYPES = ['application/json', 'application/*+json'] as const;
export const YAML_TYPES = ['application/yaml', 'application/x-yaml', 'text/yaml'] as const;
const ACCEPTED = [...JSON_TYPES, ...YAML_TYPES];
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export const UNSUPPORTED_MEDIA_TYPE = `the body must be sent with Content-Type ${['application/json', ...YAML_TYPES].join(', ')}`;

/** True when the request carries a body (a Content-Length above 0, or a chunked one). */
function carriesBody(request: Request): boolean {
  const length = request.headers['content-length'];
  return request.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

export function bodyReader(limit: string): RequestHandler {
  const readText = express.text({ limit, type: () => true, defaultCharset: 'utf-8' });
  return (request: Request, response: Response, next: NextFunction) => {
    if (!BODY_METHODS.has(request.method) || !carriesBody(request)) return next();
    if (!request.is(ACCEPTED)) return next(new UnsupportedMediaTypeException(UNSUPPORTED_MEDIA_TYPE));
    const yaml = Boolean(request.is([...YAML_TYPES]));
    readText(request, response, (error?: unknown) => {
      if (error) return next(error);
      if (yaml) return next();
      const parsed = parseJsonText(typeof request.body === 'string' ? request.body : '');
      if (parsed.ok) {
        request.body = parsed.value;
        return next();
      }
      if (parsed.kind === 'depth') return next(new InputError([parsed.problem]));
      return next(new BadRequestException(parsed.problem.message));
    });
  };
}
