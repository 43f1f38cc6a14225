/**
 * Kubernetes `Status` failures as envcat's typed errors: 400/422 → InputError (one problem per
 * cause, its field as a JSON pointer), 404 → NotFoundError, 409 → ConflictError, anything else →
 * ExternalError naming the HTTP code. Messages about Secrets have field values redacted.
 */
import {
  ConflictError,
  type EnvcatError,
  ExternalError,
  InputError,
  NotFoundError,
  type Problem,
} from '../core/errors/index.js';
import type { ObjectRef, TypeRef } from './types.js';

export interface StatusLike {
  code?: number;
  reason?: string;
  message?: string;
  details?: { causes?: Array<{ reason?: string; message?: string; field?: string }> };
}

/** The API server does not serve the kind at all (as opposed to a missing object of a served kind). */
export class KindNotServedError extends NotFoundError {
  constructor(type: TypeRef) {
    super(`the cluster does not serve ${type.apiVersion} ${type.kind}`);
  }
}

export function describeRef(ref: TypeRef | ObjectRef): string {
  const name = 'name' in ref ? ` ${ref.namespace ? `${ref.namespace}/` : ''}${ref.name}` : '';
  return `${ref.apiVersion} ${ref.kind}${name}`;
}

/** `spec.containers[0].image` or `data[tls.key]` → `/spec/containers/0/image`, `/data/tls.key`. */
export function fieldToPointer(field: string | undefined): string {
  if (!field) return '';
  const tokens: string[] = [];
  const pattern = /([^.[\]]+)|\[([^\]]*)\]/g;
  for (let match = pattern.exec(field); match; match = pattern.exec(field))
    tokens.push(match[1] ?? match[2] ?? '');
  return tokens.map((t) => `/${t.replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');
}

const QUOTED_VALUE = /Invalid value: (?:"(?:[^"\\]|\\.)*"|[^:,\]]+)/g;

function redact(message: string, ref: TypeRef | undefined): string {
  return ref?.kind === 'Secret' ? message.replace(QUOTED_VALUE, 'Invalid value: [redacted]') : message;
}

export function errorFromStatus(
  status: StatusLike,
  context: { ref?: TypeRef | ObjectRef; cause?: unknown; httpCode?: number } = {},
): EnvcatError {
  const code = status.code ?? context.httpCode ?? 0;
  const { ref } = context;
  const subject = ref ? `${describeRef(ref)}: ` : '';
  const message = redact(status.message ?? status.reason ?? `HTTP ${code}`, ref);
  const options = context.cause === undefined ? {} : { cause: context.cause };
  switch (code) {
    case 400:
    case 413:
    case 415:
    case 422: {
      const causes = status.details?.causes ?? [];
      const problems: Problem[] =
        causes.length > 0
          ? causes.map((c) => ({
              path: fieldToPointer(c.field),
              message: redact(c.message ?? c.reason ?? 'invalid', ref),
            }))
          : [{ path: '', message }];
      return new InputError(problems, { ...options, message: `${subject}${message}` });
    }
    case 404:
      return new NotFoundError(`${subject}${message}`, options);
    case 409:
      return new ConflictError(`${subject}${message}`, options);
    default:
      return new ExternalError(`${subject}${message} (HTTP ${code})`, options);
  }
}
