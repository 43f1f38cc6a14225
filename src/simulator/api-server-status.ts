/**
 * `Status` objects shaped as kube-apiserver shapes them (apimachinery `errors.New*`), and the
 * error that carries one out of the store to the HTTP layer.
 */
import type { KindSpec } from '../cluster/index.js';

export interface StatusCause {
  reason?: string;
  message?: string;
  field?: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

export interface Status {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Success' | 'Failure';
  message?: string;
  reason?: string;
  details?: StatusDetails;
  code: number;
}

export class ApiStatusError extends Error {
  readonly status: Status;

  constructor(status: Status) {
    super(status.message ?? status.reason ?? `status ${status.code}`);
    this.name = 'ApiStatusError';
    this.status = status;
  }
}

type Resource = Pick<KindSpec, 'group' | 'plural'>;

function failure(code: number, reason: string, message: string, details?: StatusDetails): ApiStatusError {
  return new ApiStatusError({
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason,
    ...(details ? { details } : {}),
    code,
  });
}

/** `workspaces.tf.m.upbound.io`, or `secrets` for the core group. */
export function qualifiedResource(resource: Resource): string {
  return resource.group ? `${resource.plural}.${resource.group}` : resource.plural;
}

function resourceDetails(resource: Resource, name: string): StatusDetails {
  return { name, ...(resource.group ? { group: resource.group } : {}), kind: resource.plural };
}

export function successStatus(details: StatusDetails): Status {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details, code: 200 };
}

export const StatusErrors = {
  notFound(resource: Resource, name: string): ApiStatusError {
    return failure(
      404,
      'NotFound',
      `${qualifiedResource(resource)} "${name}" not found`,
      resourceDetails(resource, name),
    );
  },
  /** What the server answers for a path it has no handler for. */
  noRoute(): ApiStatusError {
    return failure(404, 'NotFound', 'the server could not find the requested resource', {});
  },
  alreadyExists(resource: Resource, name: string): ApiStatusError {
    return failure(
      409,
      'AlreadyExists',
      `${qualifiedResource(resource)} "${name}" already exists`,
      resourceDetails(resource, name),
    );
  },
  conflict(resource: Resource, name: string, why: string): ApiStatusError {
    return failure(
      409,
      'Conflict',
      `Operation cannot be fulfilled on ${qualifiedResource(resource)} "${name}": ${why}`,
      resourceDetails(resource, name),
    );
  },
  staleResourceVersion(resource: Resource, name: string): ApiStatusError {
    return StatusErrors.conflict(
      resource,
      name,
      'the object has been modified; please apply your changes to the latest version and try again',
    );
  },
  applyConflict(resource: Resource, name: string, message: string, causes: StatusCause[]): ApiStatusError {
    return failure(409, 'Conflict', message, { ...resourceDetails(resource, name), causes });
  },
  invalid(spec: Pick<KindSpec, 'group' | 'kind'>, name: string, causes: StatusCause[]): ApiStatusError {
    const qualifiedKind = spec.group ? `${spec.kind}.${spec.group}` : spec.kind;
    const parts = causes.map((c) => (c.field ? `${c.field}: ${c.message}` : (c.message ?? '')));
    const joined = parts.length === 1 ? parts[0]! : `[${parts.join(', ')}]`;
    return failure(422, 'Invalid', `${qualifiedKind} "${name}" is invalid: ${joined}`, {
      name,
      ...(spec.group ? { group: spec.group } : {}),
      kind: spec.kind,
      causes,
    });
  },
  badRequest(message: string): ApiStatusError {
    return failure(400, 'BadRequest', message);
  },
  forbidden(resource: Resource, name: string, why: string, causes?: StatusCause[]): ApiStatusError {
    return failure(403, 'Forbidden', `${qualifiedResource(resource)} "${name}" is forbidden: ${why}`, {
      ...resourceDetails(resource, name),
      ...(causes ? { causes } : {}),
    });
  },
  methodNotAllowed(): ApiStatusError {
    return failure(
      405,
      'MethodNotAllowed',
      'the server does not allow this method on the requested resource',
      {},
    );
  },
  /** A watch or list from a resourceVersion the server no longer has (410, reason Expired). */
  expired(message: string): ApiStatusError {
    return failure(410, 'Expired', message);
  },
  unauthorized(): ApiStatusError {
    return failure(401, 'Unauthorized', 'Unauthorized');
  },
  unsupportedMediaType(contentType: string, accepted: readonly string[]): ApiStatusError {
    return failure(
      415,
      'UnsupportedMediaType',
      `the body of the request was in an unknown format ("${contentType}") - accepted media types include: ${accepted.join(', ')}`,
    );
  },
  tooLarge(limit: number): ApiStatusError {
    return failure(413, 'RequestEntityTooLarge', `Request entity too large: limit is ${limit}`);
  },
  internal(message: string): ApiStatusError {
    return failure(500, 'InternalError', `Internal error occurred: ${message}`);
  },
};
