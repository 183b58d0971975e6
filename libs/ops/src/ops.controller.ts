import { Controller, Delete, Get, HttpCode, Param, Post, Query, Req, Res, UseGuards } from '@nestjs/common';
import type { Response } from 'express';
import { ApiBearerAuth, ApiCookieAuth, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { IsISO8601, IsInt, IsOptional, IsString, Length, Matches, Max, Min } from 'class-validator';
import { Type } from 'class-transformer';
import { Catalogue } from '#gw/catalogue';
import { ErrorCodes, GatewayError } from '#gw/common';
import { AUDIT_CSV_HEADER, AuditRepository, KeyRotationJob, auditCsvLine } from '#gw/persistence';
import { CaseViewService, DUTY_ROLES, OperatorGuard, RequireRole, operatorOf } from '#gw/ingress';
import { ConnectionTestService } from './connection-test.service';
import { OpsReadRepository } from './ops-read.repository';
import { OpsService } from './ops.service';
import { ReadinessService } from './readiness.service';
import type { OperatorRequest } from './session.middleware';

export class SeriesQueryDto {
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(24)
  hours?: number;
}

export class CaseSearchDto {
  @IsString()
  @Length(1, 64)
  q!: string;
}

export class AuditQueryDto {
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(500)
  limit?: number;

  @IsOptional()
  @Matches(/^\d{1,20}$/)
  before?: string;

  @IsOptional()
  @IsString()
  @Length(1, 64)
  action?: string;

  @IsOptional()
  @IsString()
  @Length(1, 64)
  actor?: string;

  @IsOptional()
  @IsISO8601()
  since?: string;
}

export class AuditExportDto {
  @IsISO8601()
  from!: string;

  @IsOptional()
  @IsISO8601()
  to?: string;
}

/** The export's range as dates; `to` defaults to now. A range the wrong way round is refused. */
export function exportRange(from: string, to?: string): { from: Date; to: Date } {
  const range = { from: new Date(from), to: to ? new Date(to) : new Date() };
  if (!(range.from.getTime() < range.to.getTime())) {
    throw new GatewayError(ErrorCodes.BAD_REQUEST, 400, '导出范围无效：from 须早于 to the export range is empty: from must be before to');
  }
  return range;
}

@ApiTags('运维看板 Operations')
@ApiBearerAuth()
@ApiCookieAuth()
@UseGuards(OperatorGuard)
@Controller('api/v1/ops')
export class OpsController {
  constructor(
    private readonly ops: OpsService,
    private readonly read: OpsReadRepository,
    private readonly readiness: ReadinessService,
    private readonly audit: AuditRepository,
    private readonly cases: CaseViewService,
    private readonly catalogue: Catalogue,
    private readonly connections: ConnectionTestService,
    private readonly keyRotation: KeyRotationJob,
  ) {}

  @Get('overview')
  @RequireRole(...DUTY_ROLES.status)
  @ApiOperation({
    summary: '总览：各服务、数据库、部门、市平台接口的红黄绿状态及处理提示 Overview: green/amber/red with what to do',
  })
  overview() {
    return this.ops.overview();
  }

  @Get('series')
  @RequireRole(...DUTY_ROLES.status)
  @ApiOperation({ summary: '近几小时每10分钟的接收量、报送量与平台调用耗时 Throughput and latency per 10 minutes' })
  @ApiQuery({ name: 'hours', required: false, example: 6 })
  async series(@Query() q: SeriesQueryDto) {
    return { bucketSeconds: 600, buckets: await this.ops.series(q.hours ?? 6) };
  }

  @Get('cases')
  @ApiOperation({
    summary:
      '按部门受理编号或申办号 project_no 查找办件（个人信息已脱敏） Find cases by case number or project_no, masked',
  })
  @ApiQuery({ name: 'q', example: 'SCJG-2026-000123' })
  async findCases(@Query() q: CaseSearchDto) {
    const no = q.q.trim();
    const ids = await this.read.findCaseIds(
      no,
      this.catalogue.departments.map((d) => d.code),
    );
    const items = [];
    for (const id of ids) {
      const c = await this.cases.byId(id);
      if (c) items.push(c);
    }
    return { total: items.length, items };
  }

  @Get('audit')
  @RequireRole(...DUTY_ROLES.audit)
  @ApiOperation({ summary: '审计日志（最新在前，仅审计员） The audit log, newest first (auditor only)' })
  async auditLog(@Query() q: AuditQueryDto) {
    const items = await this.read.audit({
      limit: q.limit,
      before: q.before,
      action: q.action,
      actor: q.actor,
      since: q.since ? new Date(q.since) : undefined,
    });
    return { items, nextBefore: items.length ? items[items.length - 1].id : null };
  }

  @Get('audit/verify')
  // The chain's state is a health signal (it shows no entry's content): the auditor and everyone who watches status.
  @RequireRole(...DUTY_ROLES.audit, ...DUTY_ROLES.status)
  @ApiOperation({
    summary:
      '校验审计链（HMAC-SM3）：被修改、删除、调换或插入的记录会被指出 Check the audit chain: names the first edited, deleted, reordered or inserted entry',
  })
  verifyAudit() {
    return this.audit.verify();
  }

  @Get('audit/export')
  @RequireRole(...DUTY_ROLES.audit)
  @ApiOperation({ summary: '导出审计记录（CSV，含链上的 MAC） Export audit entries from–to as CSV, with their chain MACs' })
  @ApiQuery({ name: 'from', example: '2026-01-01T00:00:00+08:00' })
  @ApiQuery({ name: 'to', required: false })
  async exportAudit(@Query() q: AuditExportDto, @Req() req: OperatorRequest & { id?: string }, @Res() res: Response) {
    const { from, to } = exportRange(q.from, q.to);
    // The export is itself audited, before any row leaves.
    await this.audit.append({ actor: operatorOf(req), action: 'AUDIT_EXPORTED', targetType: 'audit', detail: { from: from.toISOString(), to: to.toISOString() }, correlationId: req.id, address: req.ip });
    const name = `audit-${from.toISOString().slice(0, 10)}-${to.toISOString().slice(0, 10)}.csv`;
    res.status(200);
    res.setHeader('Content-Type', 'text/csv; charset=utf-8');
    res.setHeader('Content-Disposition', `attachment; filename="${name}"`);
    res.setHeader('Cache-Control', 'no-store');
    // A BOM so that spreadsheet programs read the Chinese text as UTF-8.
    res.write('\ufeff' + AUDIT_CSV_HEADER);
    try {
      for await (const rows of this.audit.range(from, to)) {
        const chunk = rows.map(auditCsvLine).join('');
        if (!res.write(chunk)) await new Promise((r) => res.once('drain', r));
      }
    } finally {
      res.end();
    }
  }

  @Get('key-rotation')
  @RequireRole(...DUTY_ROLES.status)
  @ApiOperation({
    summary:
      '数据密钥轮换进度：各表剩余、已重写、无法解开的条数，旧密钥是否仍需要（本实例所见） Data-key rotation progress: rows left, rewritten and unreadable per table; whether the previous key is still needed',
  })
  keyRotationStatus() {
    return this.keyRotation.status();
  }

  @Get('drain')
  @RequireRole(...DUTY_ROLES.status)
  @ApiOperation({ summary: '维护模式状态 Whether this instance is drained' })
  drainState() {
    return { draining: this.readiness.isDraining };
  }

  @Post('drain')
  @HttpCode(200)
  @ApiOperation({
    summary:
      '进入维护模式：就绪检查答 503，停止领取新的报送（进行中的完成） Drain for maintenance: ready answers 503, no new deliveries are claimed',
  })
  async drain(@Req() req: OperatorRequest & { id?: string }) {
    this.readiness.setDraining(true);
    await this.audit.append({
      actor: operatorOf(req),
      action: 'DRAIN_ON',
      targetType: 'instance',
      correlationId: req.id,
      address: req.ip,
    });
    return { draining: true };
  }

  @Delete('drain')
  @HttpCode(200)
  @ApiOperation({ summary: '退出维护模式，恢复报送 Resume: ready again, delivery resumes' })
  async resume(@Req() req: OperatorRequest & { id?: string }) {
    this.readiness.setDraining(false);
    await this.audit.append({
      actor: operatorOf(req),
      action: 'DRAIN_OFF',
      targetType: 'instance',
      correlationId: req.id,
      address: req.ip,
    });
    return { draining: false };
  }

  @Post('connection-test/platform')
  @HttpCode(200)
  @RequireRole(...DUTY_ROLES.operate)
  @ApiOperation({
    summary:
      '测试到市平台的连接：域名、连接、证书、签名逐步检查，并指出是我方还是市平台的问题 Test the platform connection step by step and say whose side a failure is',
  })
  testPlatform(@Req() req: OperatorRequest) {
    return this.connections.testPlatform(operatorOf(req), req.ip);
  }

  @Post('connection-test/departments/:code')
  @HttpCode(200)
  @RequireRole(...DUTY_ROLES.operate)
  @ApiOperation({ summary: '测试到部门系统接收地址的连接 Test the connection to a department system' })
  testDepartment(@Param('code') code: string, @Req() req: OperatorRequest) {
    return this.connections.testDepartment(code, operatorOf(req), req.ip);
  }
}
