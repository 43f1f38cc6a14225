/** The catalog's REST endpoints under /api/v1/catalogs: entries, versions, their files, publishing and version states. */
import {
  BadRequestException,
  Body,
  Controller,
  ForbiddenException,
  Get,
  Inject,
  Param,
  Patch,
  Post,
  Query,
  Req,
  Res,
} from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiParam, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import {
  InputError,
  NotFoundError,
  versionNotice,
  type CatalogEntry,
  type VersionState,
} from '../core/index.js';
import type { EnvironmentService } from '../engine/service.js';
import type {
  CatalogDetail,
  CatalogList,
  CatalogSummary,
  CatalogVersion,
  EntryFileContent,
  EntryFileList,
  PublishDryRun,
  VersionStatePatch,
} from './contract.js';
import { ApiDryRunQuery, dryRunFlag } from './dry-run.js';
import { ref } from './openapi.js';
import { SERVICE } from './tokens.js';
import {
  ERROR_SCHEMA,
  UNAUTHENTICATED,
  documentFrom,
  principalOf,
  type AuthenticatedRequest,
} from './controllers.js';

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
