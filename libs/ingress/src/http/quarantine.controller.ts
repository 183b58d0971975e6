import { Body, Controller, Get, HttpCode, Param, Post, Query, Req, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiCookieAuth, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsISO8601, IsOptional, IsString, Length, Max, Min } from 'class-validator';
import type { Request } from 'express';
import type { QuarantineFilter } from '#gw/persistence';
import { QuarantineService } from '../quarantine.service';
import { OperatorGuard, operatorOf } from './operator.guard';

export class QuarantineFilterDto {
  @IsOptional() @IsString() @Length(2, 16)
  dept?: string;

  @IsOptional() @IsString() @Length(1, 64)
  code?: string;

  @IsOptional() @IsISO8601()
  since?: string;

  @IsOptional() @IsISO8601()
  until?: string;

  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(1000)
  limit?: number;

  @IsOptional() @Type(() => Number) @IsInt() @Min(0)
  offset?: number;
}

export class CorrectionDto {
  @IsString() @Length(1, 65536)
  text!: string;
}

const toFilter = (q: QuarantineFilterDto): QuarantineFilter => ({
  department: q.dept,
  code: q.code,
  since: q.since ? new Date(q.since) : undefined,
  until: q.until ? new Date(q.until) : undefined,
  limit: q.limit,
  offset: q.offset,
});

@ApiTags('隔离区 Quarantine')
@ApiBearerAuth()
@ApiCookieAuth()
@UseGuards(OperatorGuard)
@Controller('api/v1/quarantine')
export class QuarantineController {
  constructor(private readonly quarantine: QuarantineService) {}

  @Get()
  @ApiOperation({ summary: '无法读取或校验未通过的报文及其错误 Unreadable or invalid payloads with their errors' })
  @ApiQuery({ name: 'dept', required: false })
  @ApiQuery({ name: 'code', required: false, description: 'error code of the request or of a field, e.g. ID_CHECK_DIGIT' })
  @ApiQuery({ name: 'since', required: false })
  @ApiQuery({ name: 'until', required: false })
  list(@Query() q: QuarantineFilterDto) {
    return this.quarantine.list(toFilter(q));
  }

  @Post(':id/replay')
  @HttpCode(200)
  @ApiOperation({ summary: '用当前映射重放一条 Replay one entry through the current adapter' })
  replayOne(@Param('id') id: string, @Req() req: Request & { id?: string }) {
    return this.quarantine.replayOne(id, operatorOf(req), req.id, req.ip);
  }

  @Get(':id/raw')
  @ApiOperation({ summary: '报文原文（解码、脱敏）、出错字段和历次重放 The message decoded and masked, its failing fields, earlier replays' })
  raw(@Param('id') id: string) {
    return this.quarantine.raw(id);
  }

  @Post(':id/correct')
  @HttpCode(200)
  @ApiOperation({
    summary:
      '修正后重放：提交修改后的原文（脱敏处未改动的保留原值），原报文保留 Replay a corrected text; masks left as shown keep their original values; the original is kept',
  })
  correct(@Param('id') id: string, @Body() body: CorrectionDto, @Req() req: Request & { id?: string }) {
    return this.quarantine.correctAndReplay(id, body.text, operatorOf(req), req.id, req.ip);
  }

  @Post('replay')
  @HttpCode(200)
  @ApiOperation({ summary: '按条件重放全部 Replay every entry matching the filter' })
  replayMatching(@Body() body: QuarantineFilterDto, @Req() req: Request & { id?: string }) {
    return this.quarantine.replayMatching(toFilter(body), operatorOf(req), req.id, req.ip);
  }
}
