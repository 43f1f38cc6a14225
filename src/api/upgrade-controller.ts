/**
 * `POST /api/v1/environments/{name}/upgrade`: moves instances of a running environment to another
 * version of their entry (engine service.upgrade), or with `?dryRun=true` shows what that would
 * change, in the shape of an update's dry run.
 */
import {
  BadRequestException,
  Body,
  Controller,
  HttpCode,
  Inject,
  Param,
  Post,
  Query,
  Req,
} from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiParam, ApiResponse, ApiTags } from '@nestjs/swagger';
import { InputError } from '../core/index.js';
import type { EnvironmentService } from '../engine/service.js';
import type { EnvironmentView, UpdateDryRun, UpgradeRequest } from './contract.js';
import { authorizeView, clusterKindOf, principalOf, type AuthenticatedRequest } from './controllers.js';
import { ApiDryRunQuery, dryRunFlag } from './dry-run.js';
import { ref } from './openapi.js';
import { RUNTIME, SERVICE, type RuntimeInfo } from './tokens.js';

const ERROR_SCHEMA = ref('ErrorBody');

/** `{instance?, to?}`, strings; no body is `{}`. Every problem with its pointer. */
export function upgradeRequest(body: unknown): UpgradeRequest {
  if (body === undefined || body === null || body === '') return {};
  if (typeof body !== 'object' || Array.isArray(body))
    throw new InputError([{ path: '', message: 'must be an object {instance?: string, to?: string}' }]);
  const problems = Object.entries(body as Record<string, unknown>).flatMap(([key, value]) =>
    key !== 'instance' && key !== 'to'
      ? [{ path: `/${key}`, message: 'is not a field: only instance and to' }]
      : typeof value !== 'string' || value === ''
        ? [{ path: `/${key}`, message: 'must be a non-empty string' }]
        : [],
  );
  if (problems.length > 0) throw new InputError(problems);
  return body as UpgradeRequest;
}

@ApiTags('environments')
@ApiBearerAuth()
@ApiResponse({ status: 401, schema: ERROR_SCHEMA, description: 'no valid bearer token' })
@Controller('api/v1/environments')
export class UpgradeController {
  constructor(
    @Inject(SERVICE) private readonly service: EnvironmentService,
    @Inject(RUNTIME) private readonly runtime: RuntimeInfo,
  ) {}

  @Post(':name/upgrade')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Upgrade (or roll back) instances to another version of their entry',
    description:
      "Without `to`, each instance (or the one named) moves to the newest version its requested range allows that new requests get (neither deprecated nor yanked). `to` names an exact version: older is a rollback, outside the range rewrites the range to `^<to>`, yanked is refused. Parameters carry over; new defaults apply; a parameter the target version removed or no longer accepts is a 422 at its pointer. Committed as a compare-and-swap on the request it read, with a message naming each instance's versions; the engine applies it in phases as an update.",
  })
  @ApiParam({ name: 'name' })
  @ApiBody({ schema: ref('UpgradeRequest'), required: false })
  @ApiResponse({
    status: 200,
    description:
      'committed (or nothing to move), and the status follows (EnvironmentView); or a dry run (UpdateDryRun)',
    schema: { oneOf: [ref('EnvironmentView'), ref('UpdateDryRun')] },
  })
  @ApiResponse({ status: 400, schema: ERROR_SCHEMA, description: 'a bad dryRun value' })
  @ApiResponse({ status: 404, schema: ERROR_SCHEMA })
  @ApiResponse({
    status: 409,
    schema: ERROR_SCHEMA,
    description: 'the environment changed while the upgrade was prepared, or is being deleted',
  })
  @ApiResponse({
    status: 422,
    schema: ERROR_SCHEMA,
    description:
      'a version that cannot be taken (/to), an unknown instance (/instance), or a parameter the target version does not accept (/spec/catalogs/<i>/parameters/<p>)',
  })
  @ApiDryRunQuery('the plan, the versions, and per repo every file changed with a unified diff')
  async upgrade(
    @Param('name') name: string,
    @Body() body: unknown,
    @Req() request: AuthenticatedRequest,
    @Query('dryRun') dryRun?: unknown,
  ): Promise<EnvironmentView | UpdateDryRun> {
    const principal = principalOf(request);
    const dry = dryRunFlag(dryRun);
    if (!dry.ok) throw new BadRequestException(dry.message);
    authorizeView(principal, await this.service.get(name), name);
    const upgrade = upgradeRequest(body);
    if (dry.dryRun) return this.service.upgradeDryRun(name, upgrade);
    const view = await this.service.upgrade(name, upgrade, principal);
    return { ...view, status: { ...view.status, cluster: clusterKindOf(this.runtime) } };
  }
}
