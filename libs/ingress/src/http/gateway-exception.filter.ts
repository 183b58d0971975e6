import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
import { maskFreeText } from '#gw/case';
import { ErrorCodes, GatewayError } from '#gw/common';

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
    let status = 500;
    let body: Record<string, unknown>;

    const bodyParserType = (exception as { type?: string })?.type;
    if (exception instanceof GatewayError) {
      status = exception.httpStatus;
      body = { code: exception.code, message: exception.message, errors: exception.errors };
      if (status >= 500) this.logger.error({ err: exception.cause ?? exception, correlationId }, `${exception.code}: ${maskFreeText(String((exception.cause as Error)?.message ?? exception.message))}`);
    } else if (bodyParserType === 'entity.too.large') {
      status = 413;
      body = { code: ErrorCodes.PAYLOAD_TOO_LARGE, message: '请求体过大 payload is too large', errors: [] };
    } else if (bodyParserType === 'entity.parse.failed') {
      status = 400;
      body = { code: ErrorCodes.BAD_REQUEST, message: '请求体不是合法 JSON body is not valid JSON', errors: [] };
    } else if (exception instanceof HttpException) {
      status = exception.getStatus();
      const r = exception.getResponse() as string | { message?: string | string[] };
      const msg = typeof r === 'string' ? r : Array.isArray(r.message) ? r.message.join('; ') : (r.message ?? exception.message);
      const code =
        status === 404 ? ErrorCodes.NOT_FOUND
        : status === 400 ? ErrorCodes.BAD_REQUEST
        : status === 413 ? ErrorCodes.PAYLOAD_TOO_LARGE
        : status === 415 ? ErrorCodes.MEDIA_TYPE_UNSUPPORTED
        : `HTTP_${status}`;
      body = { code, message: maskFreeText(msg), errors: [] };
    } else {
      this.logger.error({ err: exception, correlationId }, 'unhandled error');
      body = { code: ErrorCodes.INTERNAL, message: '网关内部错误 internal error', errors: [] };
    }
    if (!res.headersSent) res.status(status).json({ ...body, correlationId });
  }
}
