import { CanActivate, ExecutionContext, Inject, Injectable, Optional, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { ErrorCodes, GatewayError, operatorTokenAccepted, secretsEqual } from '#gw/common';
import { AuditRepository } from '#gw/persistence';
import { GATEWAY_CONTEXT, GatewayContext } from '../gateway-context';

/** Who did an operator action, for the audit log. */
export const operatorOf = (req: Request): string => ((req as any).operator as string) ?? 'operator:token';

/** viewer reads; operator also reruns, replays and drains; admin also manages accounts. */
export type OperatorRoleName = 'viewer' | 'operator' | 'admin';
const RANK: Record<OperatorRoleName, number> = { viewer: 1, operator: 2, admin: 3 };
const REQUIRED_ROLE = 'gw:required-operator-role';

/** The least role a route needs; without it reads need `viewer` and changes need `operator`. */
export const RequireRole = (role: OperatorRoleName) => SetMetadata(REQUIRED_ROLE, role);

/** Reads with the operator token are audited once per address per hour (per instance); writes every time. */
const TOKEN_READ_AUDIT_MS = 3_600_000;
const tokenReadsSeen = new Map<string, number>();

/**
 * Operators' API (rerun, replay, lists): `Authorization: Bearer <GATEWAY_OPERATOR_TOKEN>` (counts as
 * admin: scripts and tests use it), or a signed-in dashboard session (set on the request as
 * `operator` and `operatorRole` by the session middleware), whose role must be enough for the route.
 */
@Injectable()
export class OperatorGuard implements CanActivate {
  constructor(
    @Inject(GATEWAY_CONTEXT) private readonly ctx: GatewayContext,
    private readonly reflector: Reflector,
    @Optional() @Inject(AuditRepository) private readonly audit?: AuditRepository,
  ) {}

  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    const req = context.switchToHttp().getRequest<Request>();
    const m = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
    if (m && secretsEqual(m[1], this.ctx.secrets.operatorToken)) {
      if (!operatorTokenAccepted(m[1], this.ctx.secrets.operatorToken, this.ctx.operatorTokenExpiresAt ?? null)) {
        throw new GatewayError(ErrorCodes.OPERATOR_TOKEN_EXPIRED, 401, '运维令牌已过期（GATEWAY_OPERATOR_TOKEN_EXPIRES）the operator token has expired: set a new GATEWAY_OPERATOR_TOKEN');
      }
      // What it does is audited under this name (operatorOf).
      (req as { operator?: string }).operator = 'operator:token';
      (req as { operatorRole?: string }).operatorRole = 'admin';
      return this.auditTokenUse(req).then(() => true);
    }
    const operator = (req as any).operator as string | undefined;
    if (!operator) throw new GatewayError('OPERATOR_UNAUTHORIZED', 401, '需要运维令牌或登录 operator token or sign-in required');
    const required =
      this.reflector.getAllAndOverride<OperatorRoleName | undefined>(REQUIRED_ROLE, [context.getHandler(), context.getClass()]) ??
      (['GET', 'HEAD'].includes(req.method) ? 'viewer' : 'operator');
    const role = ((req as any).operatorRole as OperatorRoleName | undefined) ?? 'viewer';
    if ((RANK[role] ?? 0) >= RANK[required]) return true;
    throw new GatewayError('OPERATOR_FORBIDDEN', 403, `权限不足：需要 ${required} 角色 the ${required} role is needed for this`);
  }

  /**
   * The shared operator token leaves a trace: every change made with it (before it runs), and its
   * reads once per address and hour — a script polling every few seconds would otherwise fill the
   * audit log with nothing an assessor needs.
   */
  private async auditTokenUse(req: Request): Promise<void> {
    if (!this.audit) return;
    const read = ['GET', 'HEAD'].includes(req.method);
    const address = req.ip ?? req.socket?.remoteAddress ?? 'unknown';
    if (read) {
      const now = Date.now();
      const last = tokenReadsSeen.get(address);
      if (last !== undefined && now - last < TOKEN_READ_AUDIT_MS) return;
      if (tokenReadsSeen.size >= 10_000) tokenReadsSeen.clear();
      tokenReadsSeen.set(address, now);
    }
    await this.audit.append({
      actor: 'operator:token',
      action: read ? 'OPERATOR_TOKEN_READ' : 'OPERATOR_TOKEN_WRITE',
      targetType: 'route',
      targetId: `${req.method} ${(req.originalUrl ?? req.url).split('?')[0]}`.slice(0, 64),
      correlationId: (req as { id?: string }).id,
      address,
    });
  }
}
