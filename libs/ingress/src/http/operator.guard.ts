import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { GatewayError, secretsEqual } from '#gw/common';
import { GATEWAY_CONTEXT, GatewayContext } from '../gateway-context';

/** Who did an operator action, for the audit log. */
export const operatorOf = (req: Request): string => ((req as any).operator as string) ?? 'operator:token';

/**
 * Operators' API (rerun, replay, lists): `Authorization: Bearer <GATEWAY_OPERATOR_TOKEN>`.
 * A signed-in dashboard session (set on the request by the session middleware) is accepted too.
 */
@Injectable()
export class OperatorGuard implements CanActivate {
  constructor(@Inject(GATEWAY_CONTEXT) private readonly ctx: GatewayContext) {}

  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<Request>();
    if ((req as any).operator) return true;
    const m = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
    if (m && secretsEqual(m[1], this.ctx.secrets.operatorToken)) return true;
    throw new GatewayError('OPERATOR_UNAUTHORIZED', 401, '需要运维令牌或登录 operator token or sign-in required');
  }
}
