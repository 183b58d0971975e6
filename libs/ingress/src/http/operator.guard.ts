import { CanActivate, ExecutionContext, Inject, Injectable, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { GatewayError, secretsEqual } from '#gw/common';
import { GATEWAY_CONTEXT, GatewayContext } from '../gateway-context';

/** Who did an operator action, for the audit log. */
export const operatorOf = (req: Request): string => ((req as any).operator as string) ?? 'operator:token';

/**
 * Separate duties (三权分立): `viewer` reads the gateway's work (cases, quarantine, parked messages,
 * callbacks, status); `operator` reads it and acts on it (rerun, replay, drain); `admin` (安全管理员)
 * administers accounts and sees the gateway's status, not its cases; `auditor` (审计管理员) reads
 * the audit log and nothing else. No role both acts and audits, and nobody can change the log.
 */
export type OperatorRoleName = 'viewer' | 'operator' | 'admin' | 'auditor';
const REQUIRED_ROLE = 'gw:required-operator-role';

/** The roles of each duty. */
export const DUTY_ROLES = {
  /** The gateway's work: cases (masked), quarantine, parked messages, callbacks. */
  read: ['viewer', 'operator'],
  /** How the gateway is doing (no case data): overview, throughput, delivery status, drain state, docs, metrics. */
  status: ['viewer', 'operator', 'admin'],
  /** Changing the gateway's work: rerun, replay, drain. */
  operate: ['operator'],
  /** Operator accounts. */
  accounts: ['admin'],
  /** The audit log. */
  audit: ['auditor'],
} as const satisfies Record<string, readonly OperatorRoleName[]>;

/** The role `GATEWAY_OPERATOR_TOKEN` acts as: scripts operate; they never administer accounts or audit. */
export const OPERATOR_TOKEN_ROLE: OperatorRoleName = 'operator';

/** The roles that may call a route; without it reads are `DUTY_ROLES.read` and changes `DUTY_ROLES.operate`. */
export const RequireRole = (...roles: OperatorRoleName[]) => SetMetadata(REQUIRED_ROLE, roles);

/** Whether a request signed in with a dashboard session or the operator token may act in one of `roles`. */
export function operatorMay(req: Request, roles: readonly OperatorRoleName[], operatorToken: string): boolean {
  const m = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
  if (m && secretsEqual(m[1], operatorToken)) return roles.includes(OPERATOR_TOKEN_ROLE);
  const r = req as { operator?: string; operatorRole?: OperatorRoleName; operatorSetup?: string };
  return !!r.operator && !r.operatorSetup && roles.includes(r.operatorRole ?? ('' as OperatorRoleName));
}

/**
 * Operators' API (rerun, replay, lists): `Authorization: Bearer <GATEWAY_OPERATOR_TOKEN>` (acts as
 * `operator`: scripts and tests use it), or a signed-in dashboard session (set on the request as
 * `operator` and `operatorRole` by the session middleware), whose role must be one the route
 * allows. A session that must first change its password or enrol its second factor is refused
 * everything else (403 `OPERATOR_SETUP_REQUIRED`).
 */
@Injectable()
export class OperatorGuard implements CanActivate {
  constructor(
    @Inject(GATEWAY_CONTEXT) private readonly ctx: GatewayContext,
    private readonly reflector: Reflector,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<Request>();
    const allowed =
      this.reflector.getAllAndOverride<OperatorRoleName[] | undefined>(REQUIRED_ROLE, [context.getHandler(), context.getClass()]) ??
      (['GET', 'HEAD'].includes(req.method) ? DUTY_ROLES.read : DUTY_ROLES.operate);
    const m = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
    const byToken = !!m && secretsEqual(m[1], this.ctx.secrets.operatorToken);
    const r = req as { operator?: string; operatorRole?: OperatorRoleName; operatorSetup?: string };
    if (!byToken && !r.operator) throw new GatewayError('OPERATOR_UNAUTHORIZED', 401, '需要运维令牌或登录 operator token or sign-in required');
    if (!byToken && r.operatorSetup) {
      throw new GatewayError(
        'OPERATOR_SETUP_REQUIRED',
        403,
        r.operatorSetup === 'password-change'
          ? '密码已过期，请先修改密码 the password expired: change it before anything else'
          : '请先绑定动态验证码（两步验证） enrol the second factor (TOTP) before anything else',
      );
    }
    const role = byToken ? OPERATOR_TOKEN_ROLE : (r.operatorRole ?? ('' as OperatorRoleName));
    if ((allowed as readonly string[]).includes(role)) return true;
    throw new GatewayError(
      'OPERATOR_FORBIDDEN',
      403,
      `权限不足：需要 ${allowed.join(' / ')} 角色 one of the roles ${allowed.join(', ')} is needed for this`,
    );
  }
}
