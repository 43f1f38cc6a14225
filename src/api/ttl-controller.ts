/**
 * `PATCH /api/v1/environments/{name}`: a JSON merge patch of `spec.ttl` alone (core
 * parseTtlPatch), as `kubectl patch --type merge -p '{"spec":{"ttl":"48h"}}'` sends it. The ttl
 * counts from creation; `envcat env extend` and the portal's Extend send the age plus the
 * duration asked for. Committed as an update is (engine service.patchTtl).
 */
import { Body, Controller, Inject, Param, Patch, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiParam, ApiResponse, ApiTags } from '@nestjs/swagger';
import { InputError, parseTtlPatch } from '../core/index.js';
import type { EnvironmentService } from '../engine/service.js';
import type { EnvironmentView } from './contract.js';
import {
  authorizeView,
  clusterKindOf,
  documentFrom,
  principalOf,
  type AuthenticatedRequest,
} from './controllers.js';
import { ref } from './openapi.js';
import { RUNTIME, SERVICE, type RuntimeInfo } from './tokens.js';

const ERROR_SCHEMA = ref('ErrorBody');

@ApiTags('environments')
@ApiBearerAuth()
@ApiResponse({ status: 401, schema: ERROR_SCHEMA, description: 'no valid bearer token' })
@Controller('api/v1/environments')
export class TtlController {
  constructor(
    @Inject(SERVICE) private readonly service: EnvironmentService,
    @Inject(RUNTIME) private readonly runtime: RuntimeInfo,
  ) {}

  @Patch(':name')
  @ApiOperation({
    summary: "Change an environment's ttl (a JSON merge patch of spec.ttl)",
    description:
      'The body is `{"spec": {"ttl": "48h"}}` (null removes the ttl), as `application/merge-patch+json` or `application/json`. The ttl counts from the creation of the environment (`metadata.creationTimestamp`); `status.expiresAt` shows when it ends. To end 48h from now, send the age plus 48h (`envcat env extend --ttl 48h` does). Any other field is a 422 naming it. With `metadata.resourceVersion` (from a GET), a request that changed since is a 409; without one, the same patch sent again is a 200 that commits nothing; the commit is a compare-and-swap on the request as read either way.',
  })
  @ApiParam({ name: 'name' })
  @ApiBody({ schema: ref('TtlPatch') })
  @ApiResponse({ status: 200, description: 'committed; the status follows', schema: ref('EnvironmentView') })
  @ApiResponse({ status: 404, schema: ERROR_SCHEMA })
  @ApiResponse({
    status: 409,
    schema: ERROR_SCHEMA,
    description: 'the environment changed since it was read, or is being deleted',
  })
  @ApiResponse({
    status: 422,
    schema: ERROR_SCHEMA,
    description: 'a field other than spec.ttl, or a ttl that is not a duration within the limits (/spec/ttl)',
  })
  async patch(
    @Param('name') name: string,
    @Body() body: unknown,
    @Req() request: AuthenticatedRequest,
  ): Promise<EnvironmentView> {
    const principal = principalOf(request);
    authorizeView(principal, await this.service.get(name), name);
    const patch = parseTtlPatch(documentFrom(body));
    if ('problems' in patch) throw new InputError(patch.problems);
    const view = await this.service.patchTtl(name, patch, principal);
    return { ...view, status: { ...view.status, cluster: clusterKindOf(this.runtime) } };
  }
}
