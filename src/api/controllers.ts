/** The environments REST endpoints under /api/v1 (the catalog's are in catalog-controller.ts), plus /healthz and /metrics. */
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
} from '../core/index.js';
import { Coalescer } from '../shared/index.js';
import type { EnvironmentRecord, EnvironmentService } from '../engine/service.js';
import type {
  Availability,
  ClusterKind,
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

export const ERROR_SCHEMA = ref('ErrorBody');
export const UNAUTHENTICATED = { status: 401, schema: ERROR_SCHEMA, description: 'no valid bearer token' };

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
      // One read at a time, and one more after it if the status changed meanwhile: two reads under
      // way at once could answer out of order and send an older status last.
      const reads = new Coalescer();
      const stop = this.service.watch(name, (change) => {
        if (change.type === 'deleted') {
          subscriber.next(event('deleted', { name }));
          subscriber.complete();
          return;
        }
        reads.run(name, () =>
          this.service.get(name).then(
            (latest) => subscriber.next(event('status', { ...latest.status, cluster })),
            (error: unknown) => subscriber.error(error),
          ),
        );
      });
      return () => {
        stop();
        void reads.stop();
      };
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
