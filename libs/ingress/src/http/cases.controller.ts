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
import { CASE_SEARCH_KEYS, CaseSearch, parseCaseSearch } from '../case-search';
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
  constructor(
    private readonly cases: CaseViewService,
    private readonly search: CaseSearch,
  ) {}

  @Get()
  @ApiOperation({
    summary: '按部门受理编号或申办号查找办件；或按申请人、事项、乡镇、状态、日期列出（分页，脱敏） Find a case by its numbers, or list cases by applicant, matter, township, status and date (paged, masked)',
    description:
      '部门令牌只能查本部门的办件（dept 可省略；他部门的 dept 答 403 TOKEN_WRONG_DEPARTMENT）。 ' +
      "A department token finds only its own department's cases (dept may be left out; another department's dept answers 403 TOKEN_WRONG_DEPARTMENT).",
  })
  @ApiForbiddenResponse({ description: '部门令牌查询其他部门 A department token asking for another department: TOKEN_WRONG_DEPARTMENT' })
  @ApiQuery({ name: 'dept', required: false, example: 'scjg' })
  @ApiQuery({ name: 'deptCaseNo', required: false, example: 'SCJG-2026-000123' })
  @ApiQuery({ name: 'projectNo', required: false })
  @ApiQuery({ name: 'applicant', required: false, description: '申请人证件号码（身份证号或统一社会信用代码，精确匹配；不支持姓名） ID number or credit code, exact (names cannot be searched)' })
  @ApiQuery({ name: 'matter', required: false, description: '事项编码 matter code' })
  @ApiQuery({ name: 'township', required: false, description: '办理地点区划代码 where handled (430626 or a township, 9 digits)' })
  @ApiQuery({ name: 'status', required: false, description: '当前环节或 OPEN / CLOSED the current stage, or OPEN / CLOSED' })
  @ApiQuery({ name: 'from', required: false, description: '受理起始日 yyyy-MM-dd（北京时间，按办件开始） opened on or after' })
  @ApiQuery({ name: 'to', required: false, description: '截止日 yyyy-MM-dd（含） opened on or before' })
  @ApiQuery({ name: 'page', required: false })
  @ApiQuery({ name: 'pageSize', required: false, description: '1–200, 默认 50' })
  async find(
    @Req() req: Request,
    @Query() query: Record<string, unknown>,
    @Query('dept') dept?: string,
    @Query('deptCaseNo') deptCaseNo?: string,
    @Query('projectNo') projectNo?: string,
  ) {
    const scope = caseScopeOf(req);
    // Refused whether or not such a case exists: the department named is not the token's.
    if (scope && dept && dept.toUpperCase() !== scope) {
      throw new GatewayError(ErrorCodes.TOKEN_WRONG_DEPARTMENT, 403, '令牌属于其他部门，只能查询本部门的办件 token belongs to another department; read your own cases');
    }
    // A list: by applicant, matter, township, status, dates (a department token: its own cases only).
    if (!projectNo && !deptCaseNo && (CASE_SEARCH_KEYS.some((k) => query[k] !== undefined) || dept)) {
      return this.search.search({ ...parseCaseSearch(query), department: scope ?? dept });
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
