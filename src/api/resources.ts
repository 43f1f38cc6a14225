/**
 * An environment's resources as Argo CD shows them (each step's Workspace or Application with its
 * conditions and the plan's graph), and Argo CD's Refresh for its Applications.
 */
import { Controller, ForbiddenException, Get, HttpCode, Inject, Param, Post, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiParam, ApiResponse, ApiTags } from '@nestjs/swagger';
import { NotFoundError } from '../core/index.js';
import type { EnvironmentService } from '../engine/service.js';
import type { EnvironmentResources, Principal, RefreshAccepted } from './contract.js';
import type { AuthenticatedRequest } from './controllers.js';
import { ref } from './openapi.js';
import { SERVICE } from './tokens.js';

const ERROR_SCHEMA = ref('ErrorBody');

@ApiTags('environments')
@ApiBearerAuth()
@ApiResponse({ status: 401, schema: ERROR_SCHEMA, description: 'no valid bearer token' })
@Controller('api/v1/environments')
export class ResourcesController {
  constructor(@Inject(SERVICE) private readonly service: EnvironmentService) {}

  @Get(':name/resources')
  @ApiOperation({
    summary: "The plan's graph and each step's Workspace or Application, as the controllers report them",
    description:
      'Each step with its conditions (type, status, reason, message, lastTransitionTime), an Application’s sync, health and last operation, the controller’s latest message, and links to Argo CD and to the commit when ENVCAT_ARGOCD_URL and ENVCAT_*_REPO_WEB_URL are set. The plan’s edges name the outputs they carry.',
  })
  @ApiParam({ name: 'name' })
  @ApiResponse({ status: 200, schema: ref('EnvironmentResources') })
  @ApiResponse({ status: 404, schema: ERROR_SCHEMA })
  async resources(
    @Param('name') name: string,
    @Req() request: AuthenticatedRequest,
  ): Promise<EnvironmentResources> {
    await this.authorize(request, name);
    return this.service.resources(name);
  }

  @Post(':name/refresh')
  @HttpCode(202)
  @ApiOperation({
    summary: "Ask Argo CD to look at Git now for the environment (Argo CD's Refresh)",
    description:
      'Annotates the bootstrap ApplicationSets, the Applications that sync the environment’s folders and its own Applications with argocd.argoproj.io/refresh, as the engine does after each commit. Changes nothing in Git.',
  })
  @ApiParam({ name: 'name' })
  @ApiResponse({ status: 202, description: 'asked; the status follows', schema: ref('RefreshAccepted') })
  @ApiResponse({ status: 404, schema: ERROR_SCHEMA })
  async refresh(@Param('name') name: string, @Req() request: AuthenticatedRequest): Promise<RefreshAccepted> {
    const principal = await this.authorize(request, name);
    return this.service.refresh(name, principal);
  }

  /** A developer sees their own environments only; another's is a 404, as for a GET. */
  private async authorize(request: AuthenticatedRequest, name: string): Promise<Principal> {
    const principal = request.principal;
    if (!principal) throw new ForbiddenException('not authenticated');
    const view = await this.service.get(name);
    const owner = (view.spec as { owner?: unknown } | undefined)?.owner;
    if (principal.role !== 'platform' && owner !== principal.name)
      throw new NotFoundError(`no environment named "${name}"`, { path: '/metadata/name' });
    return principal;
  }
}
