import { Body, Controller, Get, HttpCode, Param, Post, Req, Res, UseGuards } from '@nestjs/common';
import type { Response } from 'express';
import { ApiBearerAuth, ApiCookieAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { DUTY_ROLES, OperatorGuard, RequireRole, operatorOf } from '#gw/ingress';
import { CatalogueAdminService } from './catalogue-admin.service';
import type { OperatorRequest } from './session.middleware';

type Req = OperatorRequest & { id?: string };
const meta = (req: Req) => ({ actor: operatorOf(req), correlationId: req.id, address: req.ip });

/**
 * 目录 · The catalogue page's API: departments connected by a JSON mapping and their matters,
 * changed one entry at a time without a restart, every version kept for rollback. Configuration
 * is the admin's duty (`DUTY_ROLES.configure`); bodies are the catalogue file's entries as JSON.
 */
@ApiTags('目录 Catalogue')
@ApiBearerAuth()
@ApiCookieAuth()
@UseGuards(OperatorGuard)
@RequireRole(...DUTY_ROLES.configure)
@Controller('api/v1/catalogue')
export class CatalogueController {
  constructor(private readonly catalogue: CatalogueAdminService) {}

  @Get()
  @ApiOperation({ summary: '当前目录：部门与事项（管理员） The catalogue in force: departments and matters (admin)' })
  current() {
    return this.catalogue.current();
  }

  @Get('export.yaml')
  @ApiOperation({ summary: '导出当前目录为 catalogue.yaml（管理员） The catalogue in force as catalogue.yaml (admin)' })
  exportYaml(@Res() res: Response) {
    res.setHeader('Content-Type', 'application/yaml; charset=utf-8');
    res.setHeader('Content-Disposition', 'attachment; filename="catalogue.yaml"');
    res.send(this.catalogue.exportYaml());
  }

  @Post('departments')
  @HttpCode(200)
  @ApiOperation({ summary: '新增或修改一个 JSON 映射部门，立即生效（管理员） Add or replace one mapped department, applied at once (admin)' })
  saveDepartment(@Body() body: Record<string, unknown>, @Req() req: Req) {
    return this.catalogue.saveDepartment(body, meta(req));
  }

  @Post('departments/:code/try')
  @HttpCode(200)
  @ApiOperation({ summary: '用样例报文试映射，不保存（管理员） Map a sample event without storing it (admin)' })
  tryMapping(@Param('code') code: string, @Body() body: Record<string, unknown>) {
    return this.catalogue.tryMapping(code, body);
  }

  @Post('matters')
  @HttpCode(200)
  @ApiOperation({ summary: '新增或修改一个事项，立即生效（管理员） Add or replace one matter, applied at once (admin)' })
  saveMatter(@Body() body: Record<string, unknown>, @Req() req: Req) {
    return this.catalogue.saveMatter(body, meta(req));
  }

  @Get('versions')
  @ApiOperation({ summary: '目录版本列表（管理员） Catalogue versions (admin)' })
  versions() {
    return this.catalogue.versions();
  }

  @Post('versions/:id/restore')
  @HttpCode(200)
  @ApiOperation({ summary: '恢复到某个版本（作为新版本）（管理员） Restore a version, as a new version (admin)' })
  restore(@Param('id') id: string, @Req() req: Req) {
    return this.catalogue.restore(id, meta(req));
  }
}
