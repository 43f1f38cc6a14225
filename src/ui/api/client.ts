/**
 * A small typed client for the REST API. It takes `fetch` as a dependency so tests drive it with a
 * fake, and it turns every non-2xx answer into an `ApiError` that keeps the server's code and its
 * `errors[]` (JSON pointers), which the wizard maps onto fields.
 */
import type {
  Availability,
  CatalogDetail,
  CatalogList,
  DeleteAccepted,
  DryRun,
  EntryFileContent,
  EntryFileList,
  EnvironmentDocument,
  EnvironmentList,
  EnvironmentResources,
  EnvironmentView,
  ErrorBody,
  Health,
  Principal,
  Problem,
  PublishDryRun,
  PublishRequest,
  CatalogVersion,
  UpdateDryRun,
  UpgradeRequest,
  VersionStatePatch,
  TtlPatch,
  RefreshAccepted,
} from '../../api/contract.js';

export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

export class ApiError extends Error {
  /** HTTP status; 0 when the service could not be reached. */
  readonly status: number;
  /** The server's code (`INVALID_INPUT`, `CONFLICT`, `NOT_FOUND`, ...), or `NETWORK`/`HTTP_<status>`. */
  readonly code: string;
  readonly problems: readonly Problem[];

  constructor(args: {
    status: number;
    code: string;
    message: string;
    problems?: Problem[];
    cause?: unknown;
  }) {
    super(args.message, args.cause === undefined ? undefined : { cause: args.cause });
    this.name = 'ApiError';
    this.status = args.status;
    this.code = args.code;
    this.problems = args.problems ?? [];
  }

  get unauthorized(): boolean {
    return this.status === 401;
  }
}

interface CallOptions {
  signal?: AbortSignal;
}

export interface ApiClientOptions {
  token: string;
  fetch: FetchLike;
  /** Origin (and path prefix) of the service; '' for the page's own origin. */
  baseUrl?: string;
}

async function send<T>(args: {
  fetch: FetchLike;
  url: string;
  init: RequestInit;
  expect: readonly number[];
}): Promise<T> {
  let response: Response;
  try {
    response = await args.fetch(args.url, args.init);
  } catch (error) {
    // A cancelled request is the caller's doing, not an outage: let its AbortError through.
    if (args.init.signal?.aborted) throw error;
    throw new ApiError({
      status: 0,
      code: 'NETWORK',
      message: 'The envcat service cannot be reached.',
      cause: error,
    });
  }
  const body = await readJson(response);
  if (args.expect.includes(response.status)) return body as T;
  throw errorFrom(response.status, body);
}

async function readJson(response: Response): Promise<unknown> {
  const text = await response.text();
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function errorFrom(status: number, body: unknown): ApiError {
  const candidate = body as Partial<ErrorBody> | undefined;
  const problems = Array.isArray(candidate?.errors)
    ? candidate.errors.filter(
        (p): p is Problem =>
          typeof p === 'object' && p !== null && typeof p.path === 'string' && typeof p.message === 'string',
      )
    : [];
  const message =
    typeof candidate?.message === 'string' && candidate.message !== ''
      ? candidate.message
      : (STATUS_TEXT[status] ?? `The service answered with HTTP ${status}.`);
  const code = typeof candidate?.code === 'string' ? candidate.code : `HTTP_${status}`;
  return new ApiError({ status, code, message, problems });
}

const STATUS_TEXT: Record<number, string> = {
  401: 'The token was not accepted.',
  403: 'Your role does not allow this.',
  404: 'Not found.',
};

/** `GET /healthz`: needs no token. */
export function fetchHealth(options: { fetch: FetchLike; baseUrl?: string; signal?: AbortSignal }) {
  return send<Health>({
    fetch: options.fetch,
    url: `${options.baseUrl ?? ''}/healthz`,
    init: { headers: { Accept: 'application/json' }, signal: options.signal },
    expect: [200],
  });
}

export class ApiClient {
  private readonly options: ApiClientOptions;

  constructor(options: ApiClientOptions) {
    this.options = options;
  }

  /** Who the token belongs to, and its role; a 401 means the token is not accepted. */
  whoami(options: CallOptions = {}): Promise<Principal> {
    return this.get('/api/v1/whoami', options);
  }

  listCatalogs(options: CallOptions = {}): Promise<CatalogList> {
    return this.get('/api/v1/catalogs', options);
  }

  getCatalog(name: string, options: CallOptions = {}): Promise<CatalogDetail> {
    return this.get(`/api/v1/catalogs/${encodeURIComponent(name)}`, options);
  }

  /** A version's files as published: path, size and sha256 of each. */
  entryFiles(name: string, version: string, options: CallOptions = {}): Promise<EntryFileList> {
    return this.get(`${versionPath(name, version)}/files`, options);
  }

  /** One file of a version, with its content (the path encoded as one segment). */
  entryFile(
    name: string,
    version: string,
    path: string,
    options: CallOptions = {},
  ): Promise<EntryFileContent> {
    return this.get(`${versionPath(name, version)}/files/${encodeURIComponent(path)}`, options);
  }

  listEnvironments(options: CallOptions = {}): Promise<EnvironmentList> {
    return this.get('/api/v1/environments', options);
  }

  getEnvironment(name: string, options: CallOptions = {}): Promise<EnvironmentView> {
    return this.get(`/api/v1/environments/${encodeURIComponent(name)}`, options);
  }

  /** Whether a create could take this name and namespace now (problems at the create's pointers). */
  checkAvailability(name: string, namespace: string, options: CallOptions = {}): Promise<Availability> {
    const query = namespace === '' ? '' : `?${new URLSearchParams({ namespace }).toString()}`;
    return this.get(`/api/v1/environments/${encodeURIComponent(name)}/availability${query}`, options);
  }

  /** Validates and plans without writing anything: the plan and the files each repo would receive. */
  planEnvironment(document: EnvironmentDocument, options: CallOptions = {}): Promise<DryRun> {
    return this.call(
      { method: 'POST', path: '/api/v1/environments?dryRun=true', body: document, expect: [200] },
      options,
    );
  }

  createEnvironment(document: EnvironmentDocument, options: CallOptions = {}): Promise<EnvironmentView> {
    return this.call(
      { method: 'POST', path: '/api/v1/environments', body: document, expect: [201] },
      options,
    );
  }

  deleteEnvironment(name: string, options: CallOptions = {}): Promise<DeleteAccepted> {
    return this.call(
      { method: 'DELETE', path: `/api/v1/environments/${encodeURIComponent(name)}`, expect: [200, 202] },
      options,
    );
  }

  /** Re-runs the failed steps once their cause is fixed (`POST …/retry`, 202). */
  retryEnvironment(name: string, options: CallOptions = {}): Promise<EnvironmentView> {
    return this.call(
      { method: 'POST', path: `/api/v1/environments/${encodeURIComponent(name)}/retry`, expect: [202] },
      options,
    );
  }

  /** What `PUT …/{name}` would change (`?dryRun=true`): the plan and a unified diff per file. */
  planUpdate(name: string, document: EnvironmentDocument, options: CallOptions = {}): Promise<UpdateDryRun> {
    return this.call(
      {
        method: 'PUT',
        path: `/api/v1/environments/${encodeURIComponent(name)}?dryRun=true`,
        body: document,
        expect: [200],
      },
      options,
    );
  }

  /** Replaces the whole request; with `metadata.resourceVersion`, a stale one is a 409 (`CONFLICT`). */
  updateEnvironment(
    name: string,
    document: EnvironmentDocument,
    options: CallOptions = {},
  ): Promise<EnvironmentView> {
    return this.call(
      {
        method: 'PUT',
        path: `/api/v1/environments/${encodeURIComponent(name)}`,
        body: document,
        expect: [200],
      },
      options,
    );
  }

  /** What `POST …/{name}/upgrade` would do (`?dryRun=true`): the versions each instance moves between, the plan, the diffs. */
  planUpgrade(name: string, request: UpgradeRequest, options: CallOptions = {}): Promise<UpdateDryRun> {
    return this.call(
      {
        method: 'POST',
        path: `/api/v1/environments/${encodeURIComponent(name)}/upgrade?dryRun=true`,
        body: request,
        expect: [200],
      },
      options,
    );
  }

  /** Moves instances to another version of their entry; a change since the dry run is a 409 (`CONFLICT`). */
  upgradeEnvironment(
    name: string,
    request: UpgradeRequest,
    options: CallOptions = {},
  ): Promise<EnvironmentView> {
    return this.call(
      {
        method: 'POST',
        path: `/api/v1/environments/${encodeURIComponent(name)}/upgrade`,
        body: request,
        expect: [200],
      },
      options,
    );
  }

  /**
   * Sets the ttl alone (`PATCH …/{name}`, a merge patch of `spec.ttl`); with
   * `metadata.resourceVersion`, a request changed since it was read is a 409 (`CONFLICT`).
   */
  patchTtl(name: string, patch: TtlPatch, options: CallOptions = {}): Promise<EnvironmentView> {
    return this.call(
      {
        method: 'PATCH',
        path: `/api/v1/environments/${encodeURIComponent(name)}`,
        body: patch,
        expect: [200],
      },
      options,
    );
  }

  /** Every publish check on `files`, nothing written (`POST /api/v1/catalogs?dryRun=true`). */
  checkPublish(request: PublishRequest, options: CallOptions = {}): Promise<PublishDryRun> {
    return this.call(
      { method: 'POST', path: '/api/v1/catalogs?dryRun=true', body: request, expect: [200] },
      options,
    );
  }

  publishCatalog(request: PublishRequest, options: CallOptions = {}): Promise<CatalogVersion> {
    return this.call(
      { method: 'POST', path: '/api/v1/catalogs', body: request, expect: [200, 201] },
      options,
    );
  }

  /** Deprecates or yanks a published version, or undoes it (platform role). */
  setVersionState(
    name: string,
    version: string,
    patch: VersionStatePatch,
    options: CallOptions = {},
  ): Promise<CatalogVersion> {
    return this.call(
      {
        method: 'PATCH',
        path: versionPath(name, version),
        body: patch,
        expect: [200],
      },
      options,
    );
  }

  /** The plan's graph and each step's Workspace or Application with its conditions. */
  environmentResources(name: string, options: CallOptions = {}): Promise<EnvironmentResources> {
    return this.get(`/api/v1/environments/${encodeURIComponent(name)}/resources`, options);
  }

  /** Asks Argo CD to look at Git now for the environment (`POST …/refresh`, 202). */
  refreshEnvironment(name: string, options: CallOptions = {}): Promise<RefreshAccepted> {
    return this.call(
      { method: 'POST', path: `/api/v1/environments/${encodeURIComponent(name)}/refresh`, expect: [202] },
      options,
    );
  }

  /**
   * The server-sent events URL of an environment. EventSource cannot send headers, so the token goes
   * in the query string of this one URL.
   */
  eventsUrl(name: string): string {
    const query = new URLSearchParams({ access_token: this.options.token });
    return `${this.options.baseUrl ?? ''}/api/v1/environments/${encodeURIComponent(name)}/events?${query.toString()}`;
  }

  private get<T>(path: string, options: CallOptions): Promise<T> {
    return this.call({ method: 'GET', path, expect: [200] }, options);
  }

  private call<T>(
    request: { method: string; path: string; body?: unknown; expect: readonly number[] },
    options: CallOptions,
  ): Promise<T> {
    const headers: Record<string, string> = {
      Accept: 'application/json',
      Authorization: `Bearer ${this.options.token}`,
    };
    if (request.body !== undefined) headers['Content-Type'] = 'application/json';
    return send<T>({
      fetch: this.options.fetch,
      url: `${this.options.baseUrl ?? ''}${request.path}`,
      init: {
        method: request.method,
        headers,
        ...(request.body === undefined ? {} : { body: JSON.stringify(request.body) }),
        ...(options.signal ? { signal: options.signal } : {}),
      },
      expect: request.expect,
    });
  }
}

function versionPath(name: string, version: string): string {
  return `/api/v1/catalogs/${encodeURIComponent(name)}/versions/${encodeURIComponent(version)}`;
}
