import { Body, Controller, Delete, Get, Param, Post, Req, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiCookieAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { IsInt, IsOptional, Max, Min } from 'class-validator';
import { OperatorGuard, RequireRole, operatorOf } from '#gw/ingress';
import { CredentialAdminService, MAX_OVERLAP_DAYS } from './credential-admin.service';
import type { OperatorRequest } from './session.middleware';

export class IssueCredentialDto {
  /** Days the previous tokens keep working (0–90, default 7). */
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(MAX_OVERLAP_DAYS)
  overlapDays?: number;
}

type Req = OperatorRequest & { id?: string };
const facts = (req: Req) => ({ correlationId: req.id, ip: req.ip });

/**
 * Department tokens and the platform callback secret, rotated from the dashboard (admin duty:
 * they are credentials, like operator accounts). Values are answered once, at issue, and never again.
 */
@ApiTags('令牌轮换 Token rotation')
@ApiBearerAuth()
@ApiCookieAuth()
@UseGuards(OperatorGuard)
@RequireRole('admin')
@Controller('api/v1')
export class CredentialsController {
  constructor(private readonly credentials: CredentialAdminService) {}

  @Get('ops/department-tokens')
  @ApiOperation({ summary: '各部门及其令牌（不含令牌值） Departments and their tokens (never the values)' })
  async departments() {
    return { items: await this.credentials.allDepartments() };
  }

  @Get('departments/:dept/tokens')
  @ApiOperation({ summary: '部门令牌列表（不含令牌值） A department\'s tokens: ids, dates, last use — never the values' })
  list(@Param('dept') dept: string) {
    return this.credentials.listDepartmentTokens(dept);
  }

  @Post('departments/:dept/tokens')
  @ApiOperation({ summary: '签发新令牌（仅显示一次），旧令牌在重叠期后失效 Issue a new token (shown once); the old ones expire after the overlap (overlapDays, default 7)' })
  issue(@Param('dept') dept: string, @Body() body: IssueCredentialDto, @Req() req: Req) {
    return this.credentials.issueDepartmentToken(dept, body?.overlapDays, operatorOf(req), facts(req));
  }

  @Delete('departments/:dept/tokens/:id')
  @ApiOperation({ summary: '立即吊销令牌 Revoke a token at once' })
  revoke(@Param('dept') dept: string, @Param('id') id: string, @Req() req: Req) {
    return this.credentials.revokeDepartmentToken(dept, id, operatorOf(req), facts(req));
  }

  @Get('platform/callback-secret')
  @ApiOperation({ summary: '市平台回调密钥列表（不含密钥值） The platform callback secrets (never the values)' })
  listCallbackSecrets() {
    return this.credentials.listCallbackSecrets();
  }

  @Post('platform/callback-secret')
  @ApiOperation({ summary: '签发新的回调密钥（仅显示一次），重叠期内新旧均可 Issue a new callback secret (shown once); old and new both verify during the overlap' })
  issueCallbackSecret(@Body() body: IssueCredentialDto, @Req() req: Req) {
    return this.credentials.issueCallbackSecret(body?.overlapDays, operatorOf(req), facts(req));
  }

  @Delete('platform/callback-secret/:id')
  @ApiOperation({ summary: '立即吊销回调密钥 Revoke a callback secret at once' })
  revokeCallbackSecret(@Param('id') id: string, @Req() req: Req) {
    return this.credentials.revokeCallbackSecret(id, operatorOf(req), facts(req));
  }
}
