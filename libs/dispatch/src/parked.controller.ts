import { Body, Controller, Get, HttpCode, Inject, NotFoundException, Param, Post, Query, Req, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiCookieAuth, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { IsISO8601, IsOptional, IsString, Length } from 'class-validator';
import { OperatorGuard, operatorOf } from '#gw/ingress';
import { AuditRepository, OutboxRepository, ParkedFilter } from '#gw/persistence';
import { DispatchWaker } from './dispatch-waker';

export class RerunFilterDto {
  @IsOptional() @IsString() @Length(2, 16)
  dept?: string;

  @IsOptional() @IsString() @Length(1, 32)
  code?: string;

  @IsOptional() @IsISO8601()
  since?: string;

  @IsOptional() @IsISO8601()
  until?: string;
}

function toFilter(q: RerunFilterDto): ParkedFilter {
  return { department: q.dept, code: q.code, since: q.since ? new Date(q.since) : undefined, until: q.until ? new Date(q.until) : undefined };
}

@ApiTags('滞留消息 Parked messages')
@ApiBearerAuth()
@ApiCookieAuth()
@UseGuards(OperatorGuard)
@Controller('api/v1/parked')
export class ParkedController {
  constructor(
    private readonly outbox: OutboxRepository,
    private readonly audit: AuditRepository,
    @Inject(DispatchWaker) private readonly dispatcher: DispatchWaker,
  ) {}

  @Get()
  @ApiOperation({ summary: '被平台拒收而滞留的消息及原因 Messages the platform refused, with its reason' })
  @ApiQuery({ name: 'dept', required: false })
  @ApiQuery({ name: 'code', required: false, description: 'platform business code, e.g. 2001' })
  @ApiQuery({ name: 'since', required: false })
  @ApiQuery({ name: 'until', required: false })
  async list(@Query() q: RerunFilterDto) {
    const items = await this.outbox.listParked(toFilter(q));
    return { total: items.length, items };
  }

  @Post(':id/rerun')
  @HttpCode(200)
  @ApiOperation({ summary: '重新发送一条滞留消息 Send one parked message again (after the data was fixed)' })
  async rerunOne(@Param('id') id: string, @Req() req: Request & { id?: string }) {
    const ids = await this.outbox.rerunParked({ ids: [id] });
    if (!ids.length) throw new NotFoundException('没有这条滞留消息 no such parked message');
    await this.audit.append({ actor: operatorOf(req), action: 'PARKED_RERUN', targetType: 'outbox', targetId: id, correlationId: req.id, address: req.ip });
    this.dispatcher.wake();
    return { rerun: ids.length, ids };
  }

  @Post(':id/confirm')
  @HttpCode(200)
  @ApiOperation({ summary: '确认一条滞留消息平台已收到，不再发送 Mark a parked message delivered without sending it (a licence the platform holds)' })
  async confirmOne(@Param('id') id: string, @Req() req: Request & { id?: string }) {
    const actor = operatorOf(req);
    if (!(await this.outbox.confirmParked(id, actor))) throw new NotFoundException('没有这条滞留消息 no such parked message');
    await this.audit.append({ actor, action: 'PARKED_CONFIRMED', targetType: 'outbox', targetId: id, correlationId: req.id });
    this.dispatcher.wake();
    return { confirmed: 1, ids: [id] };
  }

  @Post('rerun')
  @HttpCode(200)
  @ApiOperation({ summary: '按条件重新发送全部滞留消息 Send again every parked message matching the filter' })
  async rerunMatching(@Body() body: RerunFilterDto, @Req() req: Request & { id?: string }) {
    const ids = await this.outbox.rerunParked(toFilter(body));
    await this.audit.append({ actor: operatorOf(req), action: 'PARKED_RERUN_MATCHING', targetType: 'outbox', detail: { filter: body, count: ids.length }, correlationId: req.id, address: req.ip });
    this.dispatcher.wake();
    return { rerun: ids.length, ids };
  }
}
