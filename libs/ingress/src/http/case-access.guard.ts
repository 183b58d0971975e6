import { ExecutionContext, Inject, Injectable, Optional } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { ErrorCodes, GatewayError } from '#gw/common';
import { AuditRepository } from '#gw/persistence';
import { DepartmentAuth, bearerTokenOf } from '../department-auth';
import { GATEWAY_CONTEXT, GatewayContext } from '../gateway-context';
import { OperatorGuard } from './operator.guard';

/** The department a request reads cases as (a department token); absent for operators, who see every case. */
export const caseScopeOf = (req: Request): string | undefined => (req as { caseScope?: string }).caseScope;

/**
 * The case API: an operator (token, or a dashboard session of any role: reads need `viewer`), or
 * a department with its own bearer token, which then sees only its own department's cases
 * (`caseScopeOf`). Without any of these: 401 `CREDENTIALS_REQUIRED`; a bearer token that is
 * nobody's: 401 `TOKEN_INVALID`.
 */
@Injectable()
export class CaseAccessGuard extends OperatorGuard {
  constructor(
    @Inject(GATEWAY_CONTEXT) ctx: GatewayContext,
    reflector: Reflector,
    // Named: the parameter decorators of OperatorGuard's constructor are inherited by index.
    @Inject(DepartmentAuth) private readonly departments: DepartmentAuth,
    @Optional() @Inject(AuditRepository) audit?: AuditRepository,
  ) {
    super(ctx, reflector, audit);
  }

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<Request>();
    const token = bearerTokenOf(req.headers.authorization);
    const department = token === undefined ? null : await this.departments.departmentOfFresh(token);
    if (department !== null) {
      (req as { caseScope?: string }).caseScope = department;
      return true;
    }
    try {
      return await super.canActivate(context);
    } catch (e) {
      if (!(e instanceof GatewayError) || e.httpStatus !== 401) throw e;
      if (token !== undefined) throw new GatewayError(ErrorCodes.TOKEN_INVALID, 401, '令牌无效 token is not valid');
      throw new GatewayError(
        ErrorCodes.CREDENTIALS_REQUIRED,
        401,
        '需要运维令牌、看板登录或部门令牌 an operator token, a dashboard sign-in or a department token (Authorization: Bearer) is required',
      );
    }
  }
}
