import { Controller, Get, NotFoundException, Param, Query, Req, UseGuards } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCookieAuth,
  ApiForbiddenResponse,
  ApiNotFoundResponse,
  ApiOperation,
  ApiQuery,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import type { Request } from 'express';
import { ErrorCodes, GatewayError } from '#gw/common';
import { CaseViewService } from '../case-view.service';
import { CaseAccessGuard, caseScopeOf } from './case-access.guard';

/** One answer for a case that does not exist and one the caller may not see: existence does not leak. */
const noSuchCase = () => new NotFoundException('没有这个办件 no such case');

@ApiTags('办件查询 Cases')
@ApiBearerAuth()
@ApiCookieAuth()
@ApiUnauthorizedResponse({
  description:
    '需要运维令牌 (GATEWAY_OPERATOR_TOKEN)、看板登录 (gw_session, 任一角色) 或部门令牌：CREDENTIALS_REQUIRED / TOKEN_INVALID. ' +
    'An operator token, a dashboard session (any role) or a department token is required.',
})
@ApiNotFoundResponse({ description: '没有这个办件，或不是本部门的办件（部门令牌）No such case, or (department token) not one of its own: the same answer' })
@UseGuards(CaseAccessGuard)
@Controller('api/v1/cases')
export class CasesController {
  constructor(private readonly cases: CaseViewService) {}

  @Get()
  @ApiOperation({
    summary: '按部门受理编号或申办号查找办件 Find a case by department case number or platform project_no',
    description:
      '部门令牌只能查本部门的办件（dept 可省略；他部门的 dept 答 403 TOKEN_WRONG_DEPARTMENT）。 ' +
      "A department token finds only its own department's cases (dept may be left out; another department's dept answers 403 TOKEN_WRONG_DEPARTMENT).",
  })
  @ApiForbiddenResponse({ description: '部门令牌查询其他部门 A department token asking for another department: TOKEN_WRONG_DEPARTMENT' })
  @ApiQuery({ name: 'dept', required: false, example: 'scjg' })
  @ApiQuery({ name: 'deptCaseNo', required: false, example: 'SCJG-2026-000123' })
  @ApiQuery({ name: 'projectNo', required: false })
  async find(@Req() req: Request, @Query('dept') dept?: string, @Query('deptCaseNo') deptCaseNo?: string, @Query('projectNo') projectNo?: string) {
    const scope = caseScopeOf(req);
    // Refused whether or not such a case exists: the department named is not the token's.
    if (scope && dept && dept.toUpperCase() !== scope) {
      throw new GatewayError(ErrorCodes.TOKEN_WRONG_DEPARTMENT, 403, '令牌属于其他部门，只能查询本部门的办件 token belongs to another department; read your own cases');
    }
    let found;
    if (projectNo) found = await this.cases.byProjectNo(projectNo, scope);
    else if ((dept || scope) && deptCaseNo) found = await this.cases.bySourceCaseNo((dept ?? scope)!, deptCaseNo);
    else {
      throw new GatewayError(ErrorCodes.BAD_REQUEST, 400, '需要 dept 和 deptCaseNo，或 projectNo (give dept and deptCaseNo, or projectNo)', [
        { field: 'deptCaseNo', code: 'REQUIRED', message: 'dept and deptCaseNo, or projectNo, are required' },
      ]);
    }
    if (!found) throw noSuchCase();
    return found;
  }

  @Get(':caseId')
  @ApiOperation({
    summary: '办件详情：环节历史与交付状态（个人信息已脱敏） A case with its stage history and delivery state, personal data masked',
    description: '部门令牌：其他部门的办件答 404，与不存在的办件相同。 A department token: another department\'s case answers 404, exactly as a missing one.',
  })
  async byId(@Req() req: Request, @Param('caseId') caseId: string) {
    const found = await this.cases.byId(caseId, caseScopeOf(req));
    if (!found) throw noSuchCase();
    return found;
  }
}
