import { CanActivate, ExecutionContext, Inject, Injectable, Optional, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { ErrorCodes, GatewayError, operatorTokenAccepted, secretsEqual } from '#gw/common';
import { AuditRepository } from '#gw/persistence';
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
  /**
   * The gateway's configuration: departments, their mappings and tokens, matters (the catalogue
   * page). Its own duty rather than `operate`: connecting a department decides whose data the
   * gateway takes and where it goes, which is the security administrator's (安全管理员) call, not
   * the daily operator's, and an operator who could also re-map fields could quietly change what
   * is reported. Not `accounts` either, so the two can be split later without touching routes.
   */
  configure: ['admin'],
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

/** Reads with the operator token are audited once per address per hour (per instance); writes every time. */
const TOKEN_READ_AUDIT_MS = 3_600_000;
const tokenReadsSeen = new Map<string, number>();

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
    @Optional() @Inject(AuditRepository) private readonly audit?: AuditRepository,
  ) {}

  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    const req = context.switchToHttp().getRequest<Request>();
    const allowed =
      this.reflector.getAllAndOverride<OperatorRoleName[] | undefined>(REQUIRED_ROLE, [context.getHandler(), context.getClass()]) ??
      (['GET', 'HEAD'].includes(req.method) ? DUTY_ROLES.read : DUTY_ROLES.operate);
    const m = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
    const byToken = !!m && secretsEqual(m[1], this.ctx.secrets.operatorToken);
    if (byToken && !operatorTokenAccepted(m![1], this.ctx.secrets.operatorToken, this.ctx.operatorTokenExpiresAt ?? null)) {
      throw new GatewayError(ErrorCodes.OPERATOR_TOKEN_EXPIRED, 401, '运维令牌已过期（GATEWAY_OPERATOR_TOKEN_EXPIRES）the operator token has expired: set a new GATEWAY_OPERATOR_TOKEN');
    }
    const r = req as { operator?: string; operatorRole?: OperatorRoleName; operatorSetup?: string };
    if (byToken) {
      // What it does is audited under this name (operatorOf).
      r.operator = 'operator:token';
      r.operatorRole = OPERATOR_TOKEN_ROLE;
    }
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
    if ((allowed as readonly string[]).includes(role)) return byToken ? this.auditTokenUse(req).then(() => true) : true;
    throw new GatewayError(
      'OPERATOR_FORBIDDEN',
      403,
      `权限不足：需要 ${allowed.join(' / ')} 角色 one of the roles ${allowed.join(', ')} is needed for this`,
    );
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
