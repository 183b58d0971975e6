import { HttpException } from '@nestjs/common';
import { maskFreeText } from '#gw/case';
import { ErrorCodes, GatewayError, chineseFirst } from '#gw/common';

/** An error as the gateway answers it: a status and `{code, message, errors}` with a stable code. */
export interface ErrorReply {
  status: number;
  body: { code: string; message: string; errors: unknown[] };
  /** Worth an error log line (a server-side failure, not the caller's mistake). */
  log?: { err: unknown; message: string };
}

/**
 * The one mapping from an exception to an answer, shared by the exception filter and the event
 * fast path: never a stack trace or a driver message (which could quote personal data).
 */
export function errorReply(exception: unknown): ErrorReply {
  // A body parser's error, as thrown, or as Nest's Express adapter wraps it (an HttpException whose cause it is).
  const bodyParserType =
    (exception as { type?: string })?.type ?? ((exception as { cause?: { type?: unknown } })?.cause?.type as string | undefined);
  if (exception instanceof GatewayError) {
    const status = exception.httpStatus;
    const reply: ErrorReply = { status, body: { code: exception.code, message: chineseFirst(exception.code, exception.message), errors: exception.errors ?? [] } };
    if (status >= 500) {
      reply.log = {
        err: exception.cause ?? exception,
        message: `${exception.code}: ${maskFreeText(String((exception.cause as Error)?.message ?? exception.message))}`,
      };
    }
    return reply;
  }
  if (bodyParserType === 'entity.too.large') {
    return { status: 413, body: { code: ErrorCodes.PAYLOAD_TOO_LARGE, message: '请求体过大 payload is too large', errors: [] } };
  }
  if (bodyParserType === 'encoding.unsupported' || bodyParserType === 'charset.unsupported') {
    return {
      status: 415,
      body: { code: ErrorCodes.MEDIA_TYPE_UNSUPPORTED, message: '不支持的内容编码或字符集 content encoding or charset not supported (gzip, deflate)', errors: [] },
    };
  }
  if (bodyParserType === 'entity.too.deep') {
    return { status: 400, body: { code: ErrorCodes.BAD_REQUEST, message: (exception as Error).message, errors: [] } };
  }
  if (bodyParserType === 'entity.parse.failed') {
    return { status: 400, body: { code: ErrorCodes.BAD_REQUEST, message: '请求体不是合法 JSON body is not valid JSON', errors: [] } };
  }
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    const r = exception.getResponse() as string | { message?: string | string[] };
    const msg = typeof r === 'string' ? r : Array.isArray(r.message) ? r.message.join('; ') : (r.message ?? exception.message);
    const code =
      status === 404 ? ErrorCodes.NOT_FOUND
      : status === 400 ? ErrorCodes.BAD_REQUEST
      : status === 413 ? ErrorCodes.PAYLOAD_TOO_LARGE
      : status === 415 ? ErrorCodes.MEDIA_TYPE_UNSUPPORTED
      : `HTTP_${status}`;
    return { status, body: { code, message: maskFreeText(msg), errors: [] } };
  }
  return {
    status: 500,
    body: { code: ErrorCodes.INTERNAL, message: '网关内部错误 internal error', errors: [] },
    log: { err: exception, message: 'unhandled error' },
  };
}
