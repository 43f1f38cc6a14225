/** One place maps envcat's typed errors to HTTP (STYLE.md §9): 422, 404, 409, 502, else 500. */
import { Catch, HttpException, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { Request, Response } from 'express';
import type { Logger } from 'pino';
import { EnvcatError, InputError, describeError } from '../core/index.js';
import { ERROR_CODE_LOCAL } from './audit.js';
import type { ErrorBody } from './contract.js';

const STATUS: Record<string, number> = {
  INVALID_INPUT: 422,
  NOT_FOUND: 404,
  CONFLICT: 409,
  EXTERNAL: 502,
  UNAVAILABLE: 503,
  INTERNAL: 500,
};

@Catch()
export class ErrorFilter implements ExceptionFilter {
  constructor(private readonly logger: Logger) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const response = http.getResponse<Response>();
    const request = http.getRequest<Request>();
    const { status, body } = this.toResponse(exception);
    if (status >= 500)
      this.logger.error(
        { method: request.method, path: request.path, status, err: describe(exception) },
        'request failed',
      );
    response.locals[ERROR_CODE_LOCAL] = body.code;
    if (response.headersSent) {
      response.end();
      return;
    }
    // A refusal for now (a Git remote down): nothing was written, the same request may come again.
    if (status === 503) response.setHeader('Retry-After', '10');
    response.status(status).json(body);
  }

  private toResponse(exception: unknown): { status: number; body: ErrorBody } {
    if (exception instanceof InputError)
      return {
        status: 422,
        body: {
          code: exception.code,
          message: 'the request is invalid',
          errors: exception.problems.map((p) => ({
            path: p.path,
            message: p.message,
            ...(p.file ? { file: p.file } : {}),
          })),
        },
      };
    if (exception instanceof EnvcatError) {
      const status = STATUS[exception.code] ?? 500;
      return {
        status,
        body: {
          code: exception.code,
          message: exception.message,
          errors: [{ path: exception.path ?? '', message: exception.message }],
        },
      };
    }
    // Nest's Express adapter wraps body-parser's (http-errors) errors in an HttpException with their
    // message, and a JSON syntax error's message quotes the body: answer in our own words instead.
    const parserError = exception instanceof HttpException ? exception.cause : exception;
    const parserStatus = bodyParserStatus(parserError);
    if (parserStatus) {
      const message =
        PARSER_MESSAGES[(parserError as { type?: string }).type ?? ''] ?? 'the request body cannot be read';
      return {
        status: parserStatus,
        body: { code: HTTP_CODES[parserStatus] ?? 'BAD_REQUEST', message, errors: [{ path: '', message }] },
      };
    }
    // Express's router answers a path parameter that is not valid percent-encoding with a URIError
    // that quotes it ("Failed to decode param '…'"), which Nest wraps the same way.
    if (exception instanceof HttpException && (exception.cause as Error | undefined)?.name === 'URIError') {
      const message = 'a path parameter is not valid percent-encoding';
      return { status: 400, body: { code: 'BAD_REQUEST', message, errors: [{ path: '', message }] } };
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const code = HTTP_CODES[status] ?? 'HTTP_ERROR';
      const message = httpMessage(exception);
      return { status, body: { code, message, errors: [{ path: '', message }] } };
    }
    return {
      status: 500,
      body: {
        code: 'INTERNAL',
        message: 'internal error',
        errors: [{ path: '', message: 'internal error' }],
      },
    };
  }
}

const HTTP_CODES: Record<number, string> = {
  400: 'BAD_REQUEST',
  405: 'METHOD_NOT_ALLOWED',
  401: 'UNAUTHENTICATED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
};

/** What went wrong reading a body, by body-parser's error type, in words that quote nothing. */
const PARSER_MESSAGES: Record<string, string> = {
  'entity.too.large': 'the request body is larger than the limit',
  'entity.parse.failed': 'the request body is malformed',
  'entity.verify.failed': 'the request body was refused',
  'encoding.unsupported': 'the request body has an unsupported character set',
  'charset.unsupported': 'the request body has an unsupported character set',
  'request.aborted': 'the request was aborted',
  'request.size.invalid': 'the request body is shorter or longer than its Content-Length',
  'stream.encoding.set': 'the request body cannot be read',
  'parameters.too.many': 'the request body has too many parameters',
};

/** body-parser's errors (malformed JSON, too large, bad charset) carry their HTTP status. */
function bodyParserStatus(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { status, type } = error as Error & { status?: unknown; type?: unknown };
  return typeof status === 'number' && typeof type === 'string' && status >= 400 && status < 500
    ? status
    : undefined;
}

function httpMessage(exception: HttpException): string {
  const response = exception.getResponse();
  if (typeof response === 'string') return response;
  const message = (response as { message?: unknown }).message;
  if (Array.isArray(message)) return message.join('; ');
  return typeof message === 'string' ? message : exception.message;
}

/** A 500 is a bug or an outage: its log line also carries where an unexpected error was thrown. */
function describe(error: unknown): Record<string, unknown> {
  const unexpected = error instanceof Error && !(error instanceof EnvcatError);
  return { ...describeError(error), ...(unexpected ? { stack: error.stack } : {}) };
}
