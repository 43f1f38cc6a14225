/** The REST endpoints (the README's "The REST API") under /api/v1, plus /healthz and /metrics. */
import {
  BadRequestException,
  Body,
  Controller,
  Delete,
  ForbiddenException,
  Get,
  Header,
  HttpCode,
  Inject,
  Param,
  Patch,
  Post,
  Put,
  Query,
  Req,
  Res,
  Sse,
  type MessageEvent,
} from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiBody,
  ApiOperation,
  ApiParam,
  ApiProduces,
  ApiQuery,
  ApiResponse,
  ApiTags,
} from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { Observable } from 'rxjs';
import {
  InputError,
  NotFoundError,
  yamlProblem,
  environmentSchema,
  parseYamlDocument,
  versionNotice,
  type CatalogEntry,
  type VersionState,
} from '../core/index.js';
import type { EnvironmentRecord, EnvironmentService } from '../engine/service.js';
import type {
  Availability,
  CatalogDetail,
  CatalogList,
  CatalogSummary,
  CatalogVersion,
  ClusterKind,
  EntryFileContent,
  EntryFileList,
  PublishDryRun,
  VersionStatePatch,
  DeleteAccepted,
  DryRun,
  UpdateDryRun,
  EnvironmentEvents,
  EnvironmentList,
  EnvironmentView,
  Health,
  Principal,
} from './contract.js';
import { ApiDryRunQuery, dryRunFlag } from './dry-run.js';
import type { Metrics } from './metrics.js';
import { ref } from './openapi.js';
import { METRICS, RUNTIME, SERVICE, type RuntimeInfo } from './tokens.js';

export interface AuthenticatedRequest extends Request {
  principal?: Principal;
}

const ERROR_SCHEMA = ref('ErrorBody');
const UNAUTHENTICATED = { status: 401, schema: ERROR_SCHEMA, description: 'no valid bearer token' };

export function clusterKindOf(runtime: RuntimeInfo): ClusterKind {
  return runtime.simulated ? 'simulated' : 'kubernetes';
}

export function principalOf(request: AuthenticatedRequest): Principal {
  if (!request.principal) throw new ForbiddenException('not authenticated');
  return request.principal;
}

/** A JSON body arrives parsed; `application/yaml` arrives as text and is parsed here. */
export function documentFrom(body: unknown): unknown {
  if (typeof body !== 'string') return body;
  try {
    return parseYamlDocument(body);
  } catch (error) {
    throw new InputError([yamlProblem(error)]);
  }
}

/** Newest first, as the service lists them. */
function latestOf(versions: CatalogEntry[]): CatalogEntry {
  const latest = versions[0];
  if (!latest) throw new NotFoundError('no versions');
  return latest;
}

/** The latest version (for new requests) shows the entry; every version is listed. */
function catalogSummary(versions: CatalogEntry[], latest: CatalogEntry): CatalogSummary {
  const { metadata, spec } = latest.document;
  return {
    name: latest.name,
    title: metadata.title ?? latest.name,
    description: metadata.description ?? '',
    owner: metadata.owner ?? '',
    tags: metadata.tags ?? [],
    type: spec.type,
    latestVersion: latest.version,
    versions: versions.map((v) => v.version),
  };
}

function catalogVersion(entry: CatalogEntry, state?: VersionState): CatalogVersion {
  const { spec } = entry.document;
  const notice = state && versionNotice(entry.name, entry.version, state);
  return {
    version: entry.version,
    digest: entry.digest,
    type: spec.type,
    parameters: spec.parameters,
    outputs: spec.outputs ?? [],
    secretParameters: entry.secretParameters.map((s) => s.name),
    ...(spec.apps?.helm ? { helm: spec.apps.helm } : {}),
    ...(entry.module?.source ? { module: entry.module.source } : {}),
    ...(state?.deprecated ? { deprecated: true } : {}),
    ...(state?.yanked ? { yanked: true } : {}),
    ...(notice ? { notice } : {}),
  };
}

/** `{deprecated?, yanked?}`, booleans, at least one; every problem with its pointer. */
function versionStatePatch(body: unknown): VersionStatePatch {
  if (body === null || typeof body !== 'object' || Array.isArray(body))
    throw new InputError([
      { path: '', message: 'must be an object {deprecated?: boolean, yanked?: boolean}' },
    ]);
  const problems = Object.entries(body as Record<string, unknown>).flatMap(([key, value]) =>
    key !== 'deprecated' && key !== 'yanked'
      ? [{ path: `/${key}`, message: 'is not a field: only deprecated and yanked' }]
      : typeof value !== 'boolean'
        ? [{ path: `/${key}`, message: 'must be true or false' }]
        : [],
  );
  if (problems.length === 0 && Object.keys(body).length === 0)
    problems.push({ path: '', message: 'give deprecated, yanked or both' });
  if (problems.length > 0) throw new InputError(problems);
  return body as VersionStatePatch;
}

@ApiTags('catalogs')
@ApiBearerAuth()
@ApiResponse(UNAUTHENTICATED)
@Controller('api/v1/catalogs')
export class CatalogController {
  constructor(@Inject(SERVICE) private readonly service: EnvironmentService) {}

  @Get()
  @ApiOperation({ summary: 'List catalog entries (latest version of each, with every version number)' })
  @ApiResponse({ status: 200, schema: ref('CatalogList') })
  list(): CatalogList {
    const byName = new Map<string, CatalogEntry[]>();
    for (const entry of this.service.catalog.entries())
      byName.set(entry.name, [...(byName.get(entry.name) ?? []), entry]);
    return {
      items: [...byName.values()].map((versions) =>
        catalogSummary(versions, this.service.catalog.latest(versions[0]!.name) ?? latestOf(versions)),
      ),
    };
  }

  @Get(':name')
  @ApiOperation({
    summary:
      'One catalog entry: every version with its parameter schema and outputs, and a notice on deprecated and yanked ones',
  })
  @ApiParam({ name: 'name' })
  @ApiResponse({ status: 200, schema: ref('CatalogDetail') })
  @ApiResponse({ status: 404, schema: ERROR_SCHEMA })
  get(@Param('name') name: string): CatalogDetail {
    const versions = this.service.catalog.versions(name);
    const latest = this.service.catalog.latest(name) ?? latestOf(versions);
    return {
      ...catalogSummary(versions, latest),
      metadata: latest.document.metadata,
      items: versions.map((v) => catalogVersion(v, this.service.catalog.versionState(name, v.version))),
    };
  }

  @Get(':name/versions/:version/files')
  @ApiOperation({
    summary:
      "A version's files as published (catalog.yaml and examples included), by path, with size and sha256",
  })
  @ApiParam({ name: 'name' })
  @ApiParam({ name: 'version' })
  @ApiResponse({ status: 200, schema: ref('EntryFileList') })
  @ApiResponse({ status: 404, schema: ERROR_SCHEMA, description: 'no such entry or version' })
  files(@Param('name') name: string, @Param('version') version: string): EntryFileList {
    return this.service.catalog.files(name, version);
  }

  @Get(':name/versions/:version/files/*path')
  @ApiOperation({
    summary: 'One file of a version, with its content',
    description:
      'The path relative to the entry folder, URL-encoded as one segment (`terraform%2Fmain.tf`) or as segments (`terraform/main.tf`).',
  })
  @ApiParam({ name: 'name' })
  @ApiParam({ name: 'version' })
  @ApiParam({ name: 'path' })
  @ApiResponse({ status: 200, schema: ref('EntryFileContent') })
  @ApiResponse({ status: 404, schema: ERROR_SCHEMA, description: 'no such entry, version or file' })
  file(
    @Param('name') name: string,
    @Param('version') version: string,
    @Param('path') path: string | string[],
  ): EntryFileContent {
    // Express 5 hands a wildcard over as its decoded segments.
    return this.service.catalog.file(name, version, Array.isArray(path) ? path.join('/') : path);
  }

  @Post()
  @ApiOperation({
    summary: 'Publish a catalog entry version',
    description:
      'JSON `{files: [{path, content}]}` with `catalog.yaml` and the files it names, or a YAML catalog.yaml alone (Content-Type: application/yaml) for an entry without files. Requires the platform role.',
  })
  @ApiBody({ schema: ref('PublishRequest') })
  @ApiDryRunQuery(
    'run every check and answer the entry and its breaking changes (200, PublishDryRun); nothing is written',
  )
  @ApiResponse({ status: 201, description: 'published', schema: ref('CatalogVersion') })
  @ApiResponse({
    status: 200,
    description:
      'the same version with the same content was already published (CatalogVersion), or a dry run (PublishDryRun: the entry and the breaking changes against the highest published version)',
    schema: ref('PublishOutcome'),
  })
  @ApiResponse({ status: 400, schema: ERROR_SCHEMA, description: 'a bad dryRun value' })
  @ApiResponse({ status: 403, schema: ERROR_SCHEMA, description: 'not the platform role' })
  @ApiResponse({
    status: 409,
    schema: ERROR_SCHEMA,
    description:
      'the version exists with other content, or is not above the highest published version (path /metadata/version)',
  })
  @ApiResponse({
    status: 422,
    schema: ERROR_SCHEMA,
    description:
      'invalid: the entry, its examples, or breaking changes in a minor or patch version (each with its path in catalog.yaml)',
  })
  async publish(
    @Body() body: unknown,
    @Req() request: AuthenticatedRequest,
    @Res({ passthrough: true }) response: Response,
    @Query('dryRun') dryRun?: unknown,
  ): Promise<CatalogVersion | PublishDryRun> {
    const principal = principalOf(request);
    if (principal.role !== 'platform')
      throw new ForbiddenException('publishing catalog entries needs the platform role');
    const dry = dryRunFlag(dryRun);
    if (!dry.ok) throw new BadRequestException(dry.message);
    const files =
      typeof body === 'string'
        ? [{ path: 'catalog.yaml', content: body }]
        : (body as { files?: unknown } | undefined)?.files;
    if (
      !Array.isArray(files) ||
      !files.every(
        (f): f is { path: string; content: string } =>
          typeof f === 'object' && f !== null && typeof f.path === 'string' && typeof f.content === 'string',
      )
    )
      throw new InputError([{ path: '/files', message: 'must be an array of {path, content} strings' }]);
    const result = await this.service.catalog.publish(files, principal, { dryRun: dry.dryRun });
    response.status(result.created ? 201 : 200);
    const { entry } = result;
    const version = catalogVersion(entry, this.service.catalog.versionState(entry.name, entry.version));
    if (dry.dryRun)
      return {
        entry: { name: entry.name, ...version },
        breakingChanges: result.breakingChanges,
        alreadyPublished: result.existed,
      };
    return version;
  }

  @Patch(':name/versions/:version')
  @ApiOperation({
    summary: 'Deprecate, yank or restore a version',
    description:
      'Deprecated: still runs and upgrades, but new requests do not get it unless they name it exactly. Yanked: refused for new requests and upgrades; running instances keep running and are flagged. Kept in the platform repo beside the entry. Requires the platform role.',
  })
  @ApiParam({ name: 'name' })
  @ApiParam({ name: 'version' })
  @ApiBody({ schema: ref('VersionStatePatch') })
  @ApiResponse({ status: 200, description: 'the version with its state', schema: ref('CatalogVersion') })
  @ApiResponse({ status: 403, schema: ERROR_SCHEMA, description: 'not the platform role' })
  @ApiResponse({ status: 404, schema: ERROR_SCHEMA, description: 'no such entry or version' })
  @ApiResponse({
    status: 409,
    schema: ERROR_SCHEMA,
    description: 'changed by others at the same moment, repeatedly',
  })
  @ApiResponse({ status: 422, schema: ERROR_SCHEMA })
  async setVersionState(
    @Param('name') name: string,
    @Param('version') version: string,
    @Body() body: unknown,
    @Req() request: AuthenticatedRequest,
  ): Promise<CatalogVersion> {
    const principal = principalOf(request);
    if (principal.role !== 'platform')
      throw new ForbiddenException('deprecating and yanking catalog versions needs the platform role');
    const patch = versionStatePatch(documentFrom(body));
    const { entry, state } = await this.service.catalog.setVersionState({
      name,
      version,
      patch,
      actor: principal,
    });
    return catalogVersion(entry, state);
  }
}

@ApiTags('environments')
@ApiBearerAuth()
@ApiResponse(UNAUTHENTICATED)
@Controller('api/v1/environments')
export class EnvironmentController {
  constructor(
    @Inject(SERVICE) private readonly service: EnvironmentService,
    @Inject(RUNTIME) private readonly runtime: RuntimeInfo,
  ) {}

  @Post()
  @HttpCode(201)
  @ApiOperation({
    summary: 'Create an environment',
    description:
      'The Environment document (its schema is below) as JSON, or YAML with Content-Type: application/yaml. Secret parameter values are stored in a Kubernetes Secret, never in Git.',
  })
  @ApiBody({ schema: environmentSchema as never })
  @ApiResponse({ status: 201, description: 'created; the status follows', schema: ref('EnvironmentView') })
  @ApiResponse({ status: 200, description: 'a dry run: the plan and the files', schema: ref('DryRun') })
  @ApiResponse({ status: 409, schema: ERROR_SCHEMA, description: 'the name (or namespace) is taken' })
  @ApiResponse({
    status: 422,
    schema: ERROR_SCHEMA,
    description: 'invalid: every problem with its JSON pointer',
  })
  @ApiDryRunQuery('validate and plan only (200 with the plan and the files)')
  @ApiResponse({ status: 400, schema: ERROR_SCHEMA, description: 'malformed JSON, or a bad dryRun value' })
  @ApiResponse({ status: 415, schema: ERROR_SCHEMA, description: 'no Content-Type, or not JSON or YAML' })
  async create(
    @Body() body: unknown,
    @Req() request: AuthenticatedRequest,
    @Res({ passthrough: true }) response: Response,
    @Query('dryRun') dryRun?: unknown,
  ): Promise<EnvironmentView | DryRun> {
    const principal = principalOf(request);
    const dry = dryRunFlag(dryRun);
    if (!dry.ok) throw new BadRequestException(dry.message);
    const document = documentFrom(body);
    const spec = (document as { spec?: Record<string, unknown> } | null)?.spec;
    if (spec && typeof spec === 'object' && !Array.isArray(spec)) {
      // The owner is who asked, unless a platform engineer creates it for someone.
      if (principal.role === 'developer' && spec.owner !== undefined && spec.owner !== principal.name)
        throw new InputError([{ path: '/spec/owner', message: `must be "${principal.name}" (or left out)` }]);
      if (spec.owner === undefined) spec.owner = principal.name;
    }
    if (dry.dryRun) {
      response.status(200);
      return this.service.dryRun(document);
    }
    return this.annotate(await this.service.create(document, principal));
  }

  @Get()
  @ApiOperation({ summary: 'List environments (a developer sees their own)' })
  @ApiResponse({ status: 200, schema: ref('EnvironmentList') })
  list(@Req() request: AuthenticatedRequest): EnvironmentList {
    const principal = principalOf(request);
    const items = this.service
      .list()
      .filter((e) => principal.role === 'platform' || e.owner === principal.name);
    return { items, cluster: this.clusterKind() };
  }

  @Get(':name/availability')
  @ApiOperation({
    summary: 'Whether a create could take this name and namespace now',
    description:
      'The checks a create makes on the name and the namespace (valid, not reserved, not taken), answered as problems at the pointers a create would use. It says "taken", never whose. A create can still lose a race for them.',
  })
  @ApiParam({ name: 'name' })
  @ApiQuery({
    name: 'namespace',
    required: false,
    description: 'the namespace to check; left out or empty, the namespace is the name',
  })
  @ApiResponse({ status: 200, schema: ref('Availability') })
  @ApiResponse({ status: 400, schema: ERROR_SCHEMA, description: 'namespace given more than once' })
  availability(
    @Param('name') name: string,
    @Req() request: AuthenticatedRequest,
    @Query('namespace') namespace?: unknown,
  ): Availability {
    principalOf(request);
    if (namespace !== undefined && typeof namespace !== 'string')
      throw new BadRequestException('query parameter namespace must be given once');
    return this.service.availability(name, namespace);
  }

  @Get(':name')
  @ApiOperation({ summary: 'An environment: its request without secret values, and its status' })
  @ApiParam({ name: 'name' })
  @ApiResponse({ status: 200, schema: ref('EnvironmentView') })
  @ApiResponse({ status: 404, schema: ERROR_SCHEMA })
  async get(@Param('name') name: string, @Req() request: AuthenticatedRequest): Promise<EnvironmentView> {
    const view = await this.service.get(name);
    this.authorize(principalOf(request), view, name);
    return this.annotate(view);
  }

  @Put(':name')
  @ApiOperation({
    summary: 'Update an environment: the whole request, as kubectl apply',
    description:
      "Parameters can change, instances be added or removed, the ttl change; the name, the namespace and an instance's entry cannot. A secret parameter left out keeps its value; each instance keeps its pinned version (an upgrade moves it). With `metadata.resourceVersion` (from a GET), a request that changed since is a 409, even when it equals what is committed now. Without one, a request equal to what is committed is a 200 that commits nothing (the same request sent again after a lost answer; it writes the Secrets of instances the first attempt added). The engine applies it in phases: changed infrastructure first, then the apps that read it.",
  })
  @ApiParam({ name: 'name' })
  @ApiBody({ schema: environmentSchema as never })
  @ApiResponse({
    status: 200,
    description: 'committed, and the status follows (EnvironmentView); or a dry run (UpdateDryRun)',
    schema: { oneOf: [ref('EnvironmentView'), ref('UpdateDryRun')] },
  })
  @ApiResponse({ status: 404, schema: ERROR_SCHEMA })
  @ApiResponse({
    status: 409,
    schema: ERROR_SCHEMA,
    description: 'the environment changed since it was read (stale resourceVersion), or is being deleted',
  })
  @ApiResponse({
    status: 422,
    schema: ERROR_SCHEMA,
    description: 'invalid: every problem with its JSON pointer',
  })
  @ApiDryRunQuery('the plan and, per repo, every file added, changed or removed with a unified diff')
  async update(
    @Param('name') name: string,
    @Body() body: unknown,
    @Req() request: AuthenticatedRequest,
    @Query('dryRun') dryRun?: unknown,
  ): Promise<EnvironmentView | UpdateDryRun> {
    const principal = principalOf(request);
    const dry = dryRunFlag(dryRun);
    if (!dry.ok) throw new BadRequestException(dry.message);
    const view = await this.service.get(name);
    this.authorize(principal, view, name);
    const document = documentFrom(body);
    const spec = (document as { spec?: Record<string, unknown> } | null)?.spec;
    if (
      principal.role === 'developer' &&
      spec &&
      typeof spec === 'object' &&
      spec.owner !== undefined &&
      spec.owner !== principal.name
    )
      throw new InputError([{ path: '/spec/owner', message: `must be "${principal.name}" (or left out)` }]);
    if (dry.dryRun) return this.service.updateDryRun(name, document);
    return this.annotate(await this.service.update(name, document, principal));
  }

  @Delete(':name')
  @HttpCode(202)
  @ApiOperation({ summary: 'Delete an environment: applications, then infrastructure, then its files' })
  @ApiParam({ name: 'name' })
  @ApiResponse({ status: 202, description: 'deletion started', schema: ref('DeleteAccepted') })
  @ApiResponse({ status: 404, schema: ERROR_SCHEMA })
  async delete(@Param('name') name: string, @Req() request: AuthenticatedRequest): Promise<DeleteAccepted> {
    const principal = principalOf(request);
    this.authorize(principal, await this.service.get(name), name);
    await this.service.delete(name, principal);
    return { name, phase: 'Deleting' };
  }

  @Post(':name/retry')
  @HttpCode(202)
  @ApiOperation({
    summary:
      "Re-run the failed steps once their cause is fixed: the retry time goes into the request in Git, and each failed step's controller is asked to try again",
  })
  @ApiParam({ name: 'name' })
  @ApiResponse({
    status: 202,
    description: 'retry started; the status follows',
    schema: ref('EnvironmentView'),
  })
  @ApiResponse({ status: 404, schema: ERROR_SCHEMA })
  @ApiResponse({
    status: 409,
    schema: ERROR_SCHEMA,
    description: 'the environment is being deleted, or Invalid',
  })
  async retry(@Param('name') name: string, @Req() request: AuthenticatedRequest): Promise<EnvironmentView> {
    const principal = principalOf(request);
    this.authorize(principal, await this.service.get(name), name);
    const view = await this.service.retry(name, principal);
    return this.annotate(view);
  }

  @Sse(':name/events')
  @Header('X-Accel-Buffering', 'no')
  @ApiOperation({ summary: 'Server-sent events: the status now, then every change, then `deleted`' })
  @ApiParam({ name: 'name' })
  @ApiProduces('text/event-stream')
  @ApiResponse({
    status: 200,
    description:
      '`status` events carry an EnvironmentStatus, the last event (`deleted`) an EnvironmentDeleted',
    content: {
      'text/event-stream': { schema: { oneOf: [ref('EnvironmentStatus'), ref('EnvironmentDeleted')] } },
    },
  })
  async events(
    @Param('name') name: string,
    @Req() request: AuthenticatedRequest,
  ): Promise<Observable<MessageEvent>> {
    const view = await this.service.get(name);
    this.authorize(principalOf(request), view, name);
    const cluster = this.clusterKind();
    const event = <K extends keyof EnvironmentEvents>(type: K, data: EnvironmentEvents[K]): MessageEvent => ({
      type,
      data,
    });
    return new Observable<MessageEvent>((subscriber) => {
      subscriber.next(event('status', { ...view.status, cluster }));
      const stop = this.service.watch(name, (change) => {
        if (change.type === 'deleted') {
          subscriber.next(event('deleted', { name }));
          subscriber.complete();
          return;
        }
        void this.service.get(name).then(
          (latest) => subscriber.next(event('status', { ...latest.status, cluster })),
          (error: unknown) => subscriber.error(error),
        );
      });
      return stop;
    });
  }

  private authorize(principal: Principal, view: EnvironmentRecord, name: string): void {
    authorizeView(principal, view, name);
  }

  private clusterKind(): ClusterKind {
    return clusterKindOf(this.runtime);
  }

  private annotate(view: EnvironmentRecord): EnvironmentView {
    return { ...view, status: { ...view.status, cluster: this.clusterKind() } };
  }
}

/** A developer sees their own environments only; another's is a 404, as if it were not there. */
export function authorizeView(principal: Principal, view: EnvironmentRecord, name: string): void {
  if (principal.role === 'platform') return;
  const owner = (view.spec as { owner?: unknown } | undefined)?.owner;
  if (owner !== principal.name)
    throw new NotFoundError(`no environment named "${name}"`, { path: '/metadata/name' });
}

@ApiTags('session')
@ApiBearerAuth()
@ApiResponse(UNAUTHENTICATED)
@Controller('api/v1/whoami')
export class WhoAmIController {
  @Get()
  @ApiOperation({ summary: 'Who the bearer token belongs to, and its role' })
  @ApiResponse({ status: 200, schema: ref('Principal') })
  whoami(@Req() request: AuthenticatedRequest): Principal {
    const { name, role } = principalOf(request);
    return { name, role };
  }
}

@ApiTags('operations')
@Controller()
export class OperationsController {
  constructor(
    @Inject(METRICS) private readonly metrics: Metrics,
    @Inject(RUNTIME) private readonly runtime: RuntimeInfo,
  ) {}

  @Get('healthz')
  @ApiOperation({ summary: 'Liveness: the process serves requests' })
  @ApiResponse({ status: 200, schema: ref('Health') })
  health(): Health {
    return {
      status: 'ok',
      version: this.runtime.version,
      cluster: clusterKindOf(this.runtime),
      clusterDescription: this.runtime.clusterDescription,
    };
  }

  @Get('metrics')
  @ApiOperation({ summary: 'Prometheus metrics' })
  @ApiProduces('text/plain')
  @ApiResponse({ status: 200, content: { 'text/plain': { schema: { type: 'string' } } } })
  async prometheus(@Res() response: Response) {
    response.setHeader('Content-Type', this.metrics.registry.contentType);
    response.send(await this.metrics.registry.metrics());
  }
}
