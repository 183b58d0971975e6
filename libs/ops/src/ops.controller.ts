import { Controller, Delete, Get, HttpCode, Post, Query, Req, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiCookieAuth, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { IsISO8601, IsInt, IsOptional, IsString, Length, Matches, Max, Min } from 'class-validator';
import { Type } from 'class-transformer';
import { Catalogue } from '#gw/catalogue';
import { AuditRepository } from '#gw/persistence';
import { CaseViewService, DUTY_ROLES, OperatorGuard, RequireRole, operatorOf } from '#gw/ingress';
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
    });
    return { draining: false };
  }
}
