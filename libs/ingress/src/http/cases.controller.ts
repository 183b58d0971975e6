import { Controller, Get, NotFoundException, Param, Query } from '@nestjs/common';
import { ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { ErrorCodes, GatewayError } from '#gw/common';
import { CaseViewService } from '../case-view.service';

@ApiTags('办件查询 Cases')
@Controller('api/v1/cases')
export class CasesController {
  constructor(private readonly cases: CaseViewService) {}

  @Get()
  @ApiOperation({ summary: '按部门受理编号或申办号查找办件 Find a case by department case number or platform project_no' })
  @ApiQuery({ name: 'dept', required: false, example: 'scjg' })
  @ApiQuery({ name: 'deptCaseNo', required: false, example: 'SCJG-2026-000123' })
  @ApiQuery({ name: 'projectNo', required: false })
  async find(@Query('dept') dept?: string, @Query('deptCaseNo') deptCaseNo?: string, @Query('projectNo') projectNo?: string) {
    let found;
    if (projectNo) found = await this.cases.byProjectNo(projectNo);
    else if (dept && deptCaseNo) found = await this.cases.bySourceCaseNo(dept, deptCaseNo);
    else {
      throw new GatewayError(ErrorCodes.BAD_REQUEST, 400, '需要 dept 和 deptCaseNo，或 projectNo (give dept and deptCaseNo, or projectNo)', [
        { field: 'deptCaseNo', code: 'REQUIRED', message: 'dept and deptCaseNo, or projectNo, are required' },
      ]);
    }
    if (!found) throw new NotFoundException('没有这个办件 no such case');
    return found;
  }

  @Get(':caseId')
  @ApiOperation({ summary: '办件详情：环节历史与交付状态（个人信息已脱敏） A case with its stage history and delivery state, personal data masked' })
  async byId(@Param('caseId') caseId: string) {
    const found = await this.cases.byId(caseId);
    if (!found) throw new NotFoundException('没有这个办件 no such case');
    return found;
  }
}
