import { Body, Controller, Get, HttpCode, Post, Query, Req, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiCookieAuth, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { OperatorGuard, operatorOf } from '#gw/ingress';
import { ReconciliationService, parseBusinessDate, previousBeijingDate } from './reconciliation.service';

/** 对账: the results per department and date, and running it now (operator role). */
@ApiTags('改革指标 Reform figures')
@ApiBearerAuth()
@ApiCookieAuth()
@UseGuards(OperatorGuard)
@Controller('api/v1/reports/reconciliation')
export class ReconciliationController {
  constructor(private readonly reconciliation: ReconciliationService) {}

  @Get()
  @ApiOperation({ summary: '对账结果（按部门：核对、一致、已补报、无法解释） Reconciliation results per department: checked, matching, repaired, unexplained' })
  @ApiQuery({ name: 'date', required: false, description: 'yyyy-MM-dd（北京时间，默认昨天 Beijing time, yesterday by default）' })
  result(@Query('date') date?: string) {
    return this.reconciliation.result(date === undefined || date === '' ? previousBeijingDate() : parseBusinessDate(date));
  }

  @Post('run')
  @HttpCode(200)
  @ApiOperation({ summary: '立即对账（运维角色），完成后返回结果 Reconcile a date now (operator role); answers when done with the result' })
  @ApiBody({ schema: { type: 'object', properties: { date: { type: 'string', example: '2026-11-27' } }, required: ['date'] } })
  run(@Body() body: unknown, @Req() req: Request) {
    const date = parseBusinessDate((body as { date?: unknown } | null)?.date);
    return this.reconciliation.run(date, operatorOf(req));
  }
}
