import { ArgumentsHost, Catch, ExceptionFilter, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
import { errorReply } from './error-reply';

/**
 * The one place errors become answers: `{code, message, errors, correlationId}` with a stable code,
 * never a stack trace or a driver message (which could quote personal data).
 */
@Catch()
export class GatewayExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('Http');

  catch(exception: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    const res = ctx.getResponse<Response>();
    const req = ctx.getRequest<Request & { id?: string }>();
    const correlationId = req.id ?? (res.getHeader('X-Correlation-Id') as string | undefined);
    const { status, body, log } = errorReply(exception);
    if (log) this.logger.error({ err: log.err, correlationId }, log.message);
    if (!res.headersSent) res.status(status).json({ ...body, correlationId });
  }
}
