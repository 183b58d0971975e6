import { Controller, Get } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { codeCatalogueForClients } from '#gw/common';

/**
 * The code catalogue (Chinese text, English, next step per code) for the dashboard and for a
 * department vendor's own tools. Public: it is the same text as docs/codes.md, with nothing of
 * any case or account in it.
 */
@ApiTags('codes')
@Controller('api/v1/codes')
export class CodesController {
  private readonly body = codeCatalogueForClients();

  @Get()
  @ApiOperation({ summary: '代码表：每个错误码、状态、审计动作的中文说明和下一步 · every code with its Chinese text and next step' })
  list() {
    return this.body;
  }
}
