import { Body, Controller, Get, Param, Patch, Post, Req, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiCookieAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { IsBoolean, IsIn, IsOptional, IsString, Length } from 'class-validator';
import { OperatorGuard, RequireRole, operatorOf } from '#gw/ingress';
import { OperatorAccountService } from './operator-account.service';
import type { OperatorRequest } from './session.middleware';

export class CreateOperatorDto {
  @IsString()
  @Length(2, 32)
  username!: string;

  @IsIn(['viewer', 'operator', 'admin', 'auditor'])
  role!: string;

  @IsString()
  @Length(1, 200) // the policy (12+ characters, three classes…) is checked by the service, with its reason
  password!: string;
}

export class UpdateOperatorDto {
  @IsOptional()
  @IsIn(['viewer', 'operator', 'admin', 'auditor'])
  role?: string;

  @IsOptional()
  @IsBoolean()
  disabled?: boolean;

  /** Require a second factor at sign-in (admins always need one). */
  @IsOptional()
  @IsBoolean()
  totpRequired?: boolean;

  /** Remove the second factor (a lost phone): the account enrols again at its next sign-in. */
  @IsOptional()
  @IsBoolean()
  resetTotp?: boolean;

  @IsOptional()
  @IsString()
  @Length(1, 200) // the policy (12+ characters, three classes…) is checked by the service, with its reason
  password?: string;
}

@ApiTags('运维账号 Operator accounts')
@ApiBearerAuth()
@ApiCookieAuth()
@UseGuards(OperatorGuard)
@RequireRole('admin')
@Controller('api/v1/ops/operators')
export class OperatorsController {
  constructor(private readonly accounts: OperatorAccountService) {}

  @Get()
  @ApiOperation({ summary: '运维账号列表（管理员） Operator accounts (admin)' })
  async list() {
    return { items: await this.accounts.list() };
  }

  @Post()
  @ApiOperation({ summary: '新建运维账号（管理员） Create an operator account (admin)' })
  create(@Body() body: CreateOperatorDto, @Req() req: OperatorRequest & { id?: string }) {
    return this.accounts.create(body, operatorOf(req), { correlationId: req.id, ip: req.ip });
  }

  @Patch(':username')
  @ApiOperation({
    summary:
      '修改角色、停用、重设密码、要求或重置动态验证码（管理员） Change role, disable, reset the password, require or reset the second factor (admin)',
  })
  update(
    @Param('username') username: string,
    @Body() body: UpdateOperatorDto,
    @Req() req: OperatorRequest & { id?: string },
  ) {
    return this.accounts.update(username, body, operatorOf(req), { correlationId: req.id, ip: req.ip });
  }
}
