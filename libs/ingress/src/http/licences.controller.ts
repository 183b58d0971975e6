import { Controller, Get, Query, Req, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiCookieAuth, ApiForbiddenResponse, ApiOperation, ApiQuery, ApiTags, ApiUnauthorizedResponse } from '@nestjs/swagger';
import type { Request } from 'express';
import { ErrorCodes, GatewayError } from '#gw/common';
import { lookupKeyOf } from '../case-search';
import { LicenceSearch } from '../licence-view';
import { CaseAccessGuard, caseScopeOf } from './case-access.guard';

/**
 * 电子证照查询: licences the gateway registered, found by holder. The same access as the case API
 * (`CaseAccessGuard`): an operator (reads need `viewer`), or a department with its own token, which
 * sees only the licences its department issued.
 */
@ApiTags('电子证照 Licences')
@ApiBearerAuth()
@ApiCookieAuth()
@ApiUnauthorizedResponse({ description: '需要运维令牌、看板登录或部门令牌 An operator token, a dashboard session or a department token is required: CREDENTIALS_REQUIRED / TOKEN_INVALID' })
@UseGuards(CaseAccessGuard)
@Controller('api/v1/licences')
export class LicencesController {
  constructor(private readonly licences: LicenceSearch) {}

  @Get()
  @ApiOperation({
    summary: '按持证人证件号码查找电子证照（脱敏） Licences of a holder, by ID number or credit code (masked)',
    description:
      '持证人按身份证号（15 位自动转 18 位）或统一社会信用代码经密钥哈希精确匹配，不支持姓名。部门令牌只看到本部门颁发的证照；dept 为其他部门答 403 TOKEN_WRONG_DEPARTMENT。 ' +
      "The holder is matched exactly through a keyed hash (names cannot be searched). A department token sees only its own department's licences; another department's dept answers 403.",
  })
  @ApiQuery({ name: 'holder', required: true, description: '持证人身份证号或统一社会信用代码 the holder\'s ID number or credit code' })
  @ApiQuery({ name: 'dept', required: false, example: 'rsj' })
  @ApiForbiddenResponse({ description: '部门令牌查询其他部门 A department token asking for another department: TOKEN_WRONG_DEPARTMENT' })
  async find(@Req() req: Request, @Query('holder') holder?: string, @Query('dept') dept?: string) {
    const scope = caseScopeOf(req);
    if (scope && dept && dept.toUpperCase() !== scope) {
      throw new GatewayError(ErrorCodes.TOKEN_WRONG_DEPARTMENT, 403, '令牌属于其他部门，只能查询本部门的证照 token belongs to another department; read your own licences');
    }
    const value = typeof holder === 'string' ? holder.trim() : '';
    if (!value) {
      throw new GatewayError(ErrorCodes.BAD_REQUEST, 400, '需要 holder（持证人证件号码） holder (the ID number or credit code) is required', [
        { field: 'holder', code: 'REQUIRED', message: 'holder is required' },
      ]);
    }
    return this.licences.byHolder(lookupKeyOf(value, 'holder', '持证人'), scope ?? dept?.toUpperCase());
  }
}
