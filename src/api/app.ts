/**
 * The NestJS shell (STYLE.md §6): wires the service, authentication, metrics and OpenAPI into an
 * HTTP app. Domain code never imports Nest; this file and its controllers are the only place it is used.
 */
import 'reflect-metadata';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  Injectable,
  Module,
  UnauthorizedException,
  type CanActivate,
  type DynamicModule,
  type ExecutionContext,
  type INestApplication,
} from '@nestjs/common';
import { APP_FILTER, APP_GUARD, NestFactory } from '@nestjs/core';
import { ExpressAdapter, type NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Logger } from 'pino';
import type { EnvironmentService } from '../engine/service.js';
import type { TokenAuthenticator } from './auth.js';
import { CatalogController } from './catalog-controller.js';
import {
  EnvironmentController,
  OperationsController,
  WhoAmIController,
  type AuthenticatedRequest,
} from './controllers.js';
import { UpgradeController } from './upgrade-controller.js';
import { TtlController } from './ttl-controller.js';
import { auditLog } from './audit.js';
import { ResourcesController } from './resources.js';
import { bodyReader } from './body.js';
import { ErrorFilter } from './errors.filter.js';
import type { Metrics } from './metrics.js';
import { withContractSchemas } from './openapi.js';
import { AUTHENTICATOR, LOGGER, METRICS, RUNTIME, SERVICE, type RuntimeInfo } from './tokens.js';

export interface ApiOptions {
  service: EnvironmentService;
  authenticator: TokenAuthenticator;
  metrics: Metrics;
  logger: Logger;
  runtime: RuntimeInfo;
  /** Built web UI to serve at `/` (index.html + assets), when present. */
  uiDir?: string;
  /** Largest request body accepted (catalog entries with their files are the largest). */
  bodyLimit?: string;
}

const PUBLIC_PATHS = new Set(['/healthz', '/metrics', '/api/openapi.json']);

/** Health, metrics and the API docs answer without a token, with or without a trailing slash. */
export function isPublicPath(path: string): boolean {
  const bare = path.length > 1 ? path.replace(/\/+$/, '') : path;
  return PUBLIC_PATHS.has(bare) || bare === '/api/docs' || bare.startsWith('/api/docs/');
}

@Injectable()
class BearerTokenGuard implements CanActivate {
  constructor(private readonly authenticator: TokenAuthenticator) {}

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    if (isPublicPath(request.path)) return true;
    let principal = this.authenticator.authenticate(request.headers.authorization);
    // EventSource cannot send headers: the event stream also takes the token as a query parameter.
    const queryToken = request.query.access_token;
    if (
      !principal &&
      request.method === 'GET' &&
      request.path.endsWith('/events') &&
      typeof queryToken === 'string'
    )
      principal = this.authenticator.authenticateToken(queryToken);
    if (!principal) throw new UnauthorizedException('a valid bearer token is required');
    request.principal = principal;
    return true;
  }
}

@Module({})
class ApiModule {
  static forRoot(options: ApiOptions): DynamicModule {
    return {
      module: ApiModule,
      controllers: [
        CatalogController,
        EnvironmentController,
        UpgradeController,
        TtlController,
        ResourcesController,
        WhoAmIController,
        OperationsController,
      ],
      providers: [
        { provide: SERVICE, useValue: options.service },
        { provide: AUTHENTICATOR, useValue: options.authenticator },
        { provide: METRICS, useValue: options.metrics },
        { provide: LOGGER, useValue: options.logger.child({ component: 'api' }) },
        { provide: RUNTIME, useValue: options.runtime },
        { provide: APP_GUARD, useFactory: () => new BearerTokenGuard(options.authenticator) },
        {
          provide: APP_FILTER,
          useFactory: () => new ErrorFilter(options.logger.child({ component: 'api' })),
        },
      ],
    };
  }
}

export async function createApiApp(options: ApiOptions): Promise<INestApplication> {
  const server = express();
  server.disable('x-powered-by');
  server.use(auditLog(options.logger.child({ component: 'audit' }), options.authenticator));
  server.use(requestMetrics(options.metrics));
  const app = await NestFactory.create<NestExpressApplication>(
    ApiModule.forRoot(options),
    new ExpressAdapter(server),
    {
      logger: false,
      bodyParser: false,
    },
  );
  const limit = options.bodyLimit ?? '4mb';
  app.use(bodyReader(limit));
  app.enableShutdownHooks();

  const document = withContractSchemas(
    SwaggerModule.createDocument(
      app,
      new DocumentBuilder()
        .setTitle('envcat')
        .setDescription('Catalog-based environments on Crossplane and Argo CD')
        .setVersion(options.runtime.version)
        .addBearerAuth()
        .build(),
    ),
  );
  SwaggerModule.setup('api/docs', app, document, { jsonDocumentUrl: 'api/openapi.json' });

  if (options.uiDir && existsSync(join(options.uiDir, 'index.html'))) {
    const uiDir = options.uiDir;
    server.use(express.static(uiDir, { index: false, maxAge: '1h' }));
    // The UI routes itself: any other GET that is not API traffic gets the page.
    server.get(/^\/(?!api\/|healthz|metrics).*/, (_request: Request, response: Response) =>
      response.sendFile(join(uiDir, 'index.html')),
    );
  }
  return app;
}

function requestMetrics(metrics: Metrics) {
  return (request: Request, response: Response, next: NextFunction) => {
    const end = metrics.httpDuration.startTimer();
    response.on('finish', () => {
      const route = routeLabel(request);
      end({ method: request.method, route });
      metrics.httpRequests.inc({ method: request.method, route, status: String(response.statusCode) });
    });
    next();
  };
}

/** Route templates, not paths, so environment names do not explode the label set. */
function routeLabel(request: Request): string {
  const path = request.path;
  if (path.startsWith('/api/v1/environments/'))
    return path.endsWith('/events') ? '/api/v1/environments/:name/events' : '/api/v1/environments/:name';
  if (path.startsWith('/api/v1/catalogs/')) return '/api/v1/catalogs/:name';
  if (['/api/v1/environments', '/api/v1/catalogs', '/healthz', '/metrics'].includes(path)) return path;
  if (path.startsWith('/api/')) return '/api/other';
  return '/ui';
}
