import { Controller, Get, Query, Res, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { formatBeijingDateTime } from '#gw/case';
import { CaseSearch, OperatorGuard, parseCaseSearch } from '#gw/ingress';
import { parseAsOf, parseMonth } from './month';
import { Table, badEvaluationsTable, onlineShareTable, overdueTable, satisfactionTable, toCsv, toXlsx } from './report-export';
import { ReportsService } from './reports.service';

const MONTH_QUERY = { name: 'month', required: false, description: 'yyyy-MM（北京时间，默认本月 Beijing time, this month by default）' };

function sendCsv(res: Response, name: string, table: Table): void {
  res.setHeader('Content-Type', 'text/csv; charset=utf-8');
  res.setHeader('Content-Disposition', `attachment; filename="${name}.csv"`);
  res.send(toCsv(table));
}

/** The reform's figures for operators and the city's own tools (viewer role or the operator token). */
@ApiTags('改革指标 Reform figures')
@ApiBearerAuth()
@UseGuards(OperatorGuard)
@Controller('api/v1/reports')
export class ReportsController {
  constructor(
    private readonly reports: ReportsService,
    private readonly caseSearch: CaseSearch,
  ) {}

  /** The case list of `GET /api/v1/cases?applicant=&matter=&township=&status=&from=&to=` as a table (at most 50,000 rows). */
  private async caseTable(query: Record<string, unknown>): Promise<Table> {
    const filter = parseCaseSearch({ pageSize: '10000', ...query, dept: undefined }, 50_000);
    const dept = typeof query.dept === 'string' && query.dept ? query.dept : undefined;
    const found = await this.caseSearch.search({ ...filter, department: dept });
    return {
      title: '办件清单',
      headers: ['部门', '部门受理编号', '平台办件编号', '事项编码', '事项名称', '办理地点', '当前环节', '已办结', '网办', '开始时间', '申请人', '申请人证件号'],
      rows: found.items.map((c) => [
        c.departmentName ?? c.department,
        c.sourceCaseNo,
        c.platformProjectNo,
        c.matterCode,
        c.matterName,
        c.locationName ?? c.location,
        c.currentStageLabel,
        c.closed ? '是' : '否',
        c.online ? '是' : '否',
        formatBeijingDateTime(Date.parse(c.openedAt)),
        c.applicantName,
        c.applicantCertNo,
      ]),
    };
  }

  @Get('cases.csv')
  @ApiOperation({ summary: '办件清单 CSV（条件同 GET /api/v1/cases，个人信息脱敏） The case list as CSV, same filters as GET /api/v1/cases, personal data masked' })
  async casesCsv(@Res() res: Response, @Query() query: Record<string, unknown>) {
    sendCsv(res, 'cases', await this.caseTable(query));
  }

  @Get('cases.xlsx')
  @ApiOperation({ summary: '办件清单 XLSX（条件同 GET /api/v1/cases，个人信息脱敏） The case list as XLSX, personal data masked' })
  async casesXlsx(@Res() res: Response, @Query() query: Record<string, unknown>) {
    const body = await toXlsx([await this.caseTable(query)]);
    res.setHeader('Content-Type', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
    res.setHeader('Content-Disposition', 'attachment; filename="cases.xlsx"');
    res.send(body);
  }

  @Get('overdue')
  @ApiOperation({ summary: '逾期与临期办件（按部门，附平台督办） Overdue and near-due open cases per department, with the platform\'s urgings' })
  @ApiQuery({ name: 'asOf', required: false, description: 'yyyy-MM-dd HH:mm:ss（北京时间，默认现在 Beijing time, now by default）' })
  overdue(@Query('asOf') asOf?: string) {
    return this.reports.overdue(parseAsOf(asOf));
  }

  @Get('overdue.csv')
  @ApiOperation({ summary: '逾期与临期办件 CSV Overdue and near-due cases as CSV (personal data masked)' })
  async overdueCsv(@Res() res: Response, @Query('asOf') asOf?: string) {
    sendCsv(res, 'overdue', overdueTable(await this.reports.overdue(parseAsOf(asOf))));
  }

  @Get('online-share')
  @ApiOperation({ summary: '网办率（按部门、事项、乡镇，对照目标，近12个月趋势） Online share per department, matter and township against the target' })
  @ApiQuery(MONTH_QUERY)
  onlineShare(@Query('month') month?: string) {
    return this.reports.onlineShare(parseMonth(month));
  }

  @Get('online-share.csv')
  @ApiOperation({ summary: '网办率 CSV Online share as CSV' })
  @ApiQuery(MONTH_QUERY)
  async onlineShareCsv(@Res() res: Response, @Query('month') month?: string) {
    const m = parseMonth(month);
    sendCsv(res, `online-share-${m}`, onlineShareTable(await this.reports.onlineShare(m)));
  }

  @Get('satisfaction')
  @ApiOperation({ summary: '好差评（按部门、事项；各等级数量、好评率；差评及其办件） Satisfaction per department and matter; bad evaluations with their case' })
  @ApiQuery(MONTH_QUERY)
  satisfaction(@Query('month') month?: string) {
    return this.reports.satisfaction(parseMonth(month));
  }

  @Get('satisfaction.csv')
  @ApiOperation({ summary: '好差评 CSV Satisfaction as CSV' })
  @ApiQuery(MONTH_QUERY)
  async satisfactionCsv(@Res() res: Response, @Query('month') month?: string) {
    const m = parseMonth(month);
    sendCsv(res, `satisfaction-${m}`, satisfactionTable(await this.reports.satisfaction(m)));
  }

  @Get('bad-evaluations.csv')
  @ApiOperation({ summary: '差评明细 CSV Bad evaluations as CSV (personal data masked)' })
  @ApiQuery(MONTH_QUERY)
  async badEvaluationsCsv(@Res() res: Response, @Query('month') month?: string) {
    const m = parseMonth(month);
    sendCsv(res, `bad-evaluations-${m}`, badEvaluationsTable(await this.reports.satisfaction(m)));
  }

  @Get('monthly.xlsx')
  @ApiOperation({ summary: '月度报告 XLSX（网办率、逾期与临期、好差评、差评明细） The monthly report as XLSX' })
  @ApiQuery(MONTH_QUERY)
  @ApiQuery({ name: 'asOf', required: false, description: '逾期与临期的计算时间，默认现在 when overdue is judged, now by default' })
  async monthly(@Res() res: Response, @Query('month') month?: string, @Query('asOf') asOf?: string) {
    const m = parseMonth(month);
    const [online, overdue, satisfaction] = [await this.reports.onlineShare(m), await this.reports.overdue(parseAsOf(asOf)), await this.reports.satisfaction(m)];
    const body = await toXlsx([onlineShareTable(online), overdueTable(overdue), satisfactionTable(satisfaction), badEvaluationsTable(satisfaction)]);
    res.setHeader('Content-Type', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
    res.setHeader('Content-Disposition', `attachment; filename="monthly-${m}.xlsx"`);
    res.send(body);
  }
}
