import { BadRequestException, createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';

/**
 * The request body parsed as JSON. The app reads every body raw (platform signatures cover the
 * exact bytes), so admin handlers parse their own; an empty body is `{}`.
 */
export const JsonBody = createParamDecorator((_data: unknown, context: ExecutionContext): unknown => {
  const body = context.switchToHttp().getRequest<Request>().body as unknown;
  if (!Buffer.isBuffer(body)) return body ?? {};
  if (body.length === 0) return {};
  try {
    return JSON.parse(body.toString('utf8'));
  } catch (e) {
    throw new BadRequestException(`malformed JSON: ${(e as Error).message}`);
  }
});
