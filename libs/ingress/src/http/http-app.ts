import { INestApplication, ValidationPipe } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import type { NextFunction, Request, Response } from 'express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { GatewayExceptionFilter } from './gateway-exception.filter';
import { IngestService } from '../ingest.service';
import { EventFastPath } from './event-fast-path';
import type { Server } from 'node:http';
import { getRootLogger, type GatewayConfig } from '#gw/common';
import { installBodyParsers } from './raw-body';
import { securityHeadersMiddleware } from './security-headers';

/** What every gateway HTTP app shares: body parsing, validation, the error filter and API docs. */
export function configureHttpApp(
  app: INestApplication,
  options: {
    maxEventBytes: number;
    title?: string;
    /** Who may read the API docs (`/api/docs…`); everyone when absent. */
    /** true: served; false: 401; 'forbidden': signed in with a role that may not read them (403). */
    docsAccess?: (req: Request) => Promise<boolean | 'forbidden'>;
    http?: GatewayConfig['http'];
  },
): void {
  if (options.http) applyServerTimeouts(app.getHttpServer() as Server, options.http);
  // First: every answer, errors included, carries the security headers and no X-Powered-By.
  (app.getHttpAdapter().getInstance() as { disable?: (setting: string) => void }).disable?.('x-powered-by');
  app.use(securityHeadersMiddleware);
  installBodyParsers(app, options.maxEventBytes);
  const ingest = findIngestService(app);
  if (ingest) {
    new EventFastPath(ingest, { maxEventBytes: options.maxEventBytes, logger: getRootLogger }).install(app.getHttpServer());
  }
  app.useGlobalPipes(new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true }));
  app.useGlobalFilters(new GatewayExceptionFilter());
  app.enableShutdownHooks();
  const doc = new DocumentBuilder()
    .setTitle(options.title ?? '平江县政务服务集成网关 Pingjiang government-services integration gateway')
    .setDescription(
      '部门系统 → 网关 → 岳阳市“互联网+政务服务”平台。每个部门用自己的令牌 (Authorization: Bearer <token>) 推送自己格式的事件。\n\nDepartment systems post their own events with their own bearer token; the gateway stores them durably and delivers them to the city platform.',
    )
    .setVersion('1.0')
    .addBearerAuth()
    // The dashboard's session: operators' routes take it as well as the operator token.
    .addCookieAuth('gw_session')
    .build();
  const docsAccess = options.docsAccess;
  if (docsAccess) {
    // Ahead of the docs' own routes, which Swagger adds to Express directly (no Nest guard sees them).
    const refuse = (res: Response) =>
      res.status(401).json({
        code: 'OPERATOR_UNAUTHORIZED',
        message: '接口文档需要运维登录或运维令牌 the API docs need an operator sign-in or the operator token',
        errors: [],
      });
    app.use(['/api/docs', '/api/docs-json', '/api/docs-yaml'], (req: Request, res: Response, next: NextFunction) => {
      docsAccess(req).then(
        (ok) =>
          ok === true
            ? next()
            : ok === 'forbidden'
              ? res.status(403).json({ code: 'OPERATOR_FORBIDDEN', message: '权限不足 this role may not read the API docs', errors: [] })
              : refuse(res),
        next,
      );
    });
  }
  SwaggerModule.setup('api/docs', app, () => SwaggerModule.createDocument(app, doc));
}

/**
 * Node's defaults let a client hold a connection for a minute sending headers a byte at a time,
 * and five minutes sending a body (slowloris). The request limit must still fit a YBJ batch over
 * the slowest county link: it is configurable (`HTTP_REQUEST_TIMEOUT_MS`).
 */
export function applyServerTimeouts(server: Server, limits: GatewayConfig['http']): void {
  server.headersTimeout = limits.headersTimeoutMs;
  // Node requires requestTimeout ≥ headersTimeout (0 would switch it off).
  server.requestTimeout = Math.max(limits.requestTimeoutMs, limits.headersTimeoutMs);
  server.keepAliveTimeout = limits.keepAliveTimeoutMs;
}

/** The ingest pipeline, in apps that take department events (the dispatcher app does not). */
function findIngestService(app: INestApplication): IngestService | undefined {
  // Asked through ModuleRef, not `app`: NestFactory's proxy around `app` logs every exception its
  // methods throw (level 50), and a dispatcher process, which has no IngestService, logged one at start-up.
  try {
    return app.get(ModuleRef).get(IngestService, { strict: false });
  } catch {
    return undefined;
  }
}
