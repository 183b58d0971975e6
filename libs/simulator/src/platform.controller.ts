import { Body, Controller, Get, HttpCode, Param, Post, Query, UseInterceptors } from '@nestjs/common';
import { PLATFORM_BASE_PATH } from './platform-endpoints';
import type { Envelope } from './platform-envelope';
import { PlatformCallInterceptor } from './platform-call.interceptor';
import { PlatformService } from './platform.service';

/** The city platform interface. Signing, faults and parsing happen in PlatformRequestMiddleware. */
@Controller(PLATFORM_BASE_PATH)
@UseInterceptors(PlatformCallInterceptor)
export class PlatformController {
  constructor(private readonly platform: PlatformService) {}

  @Post('cases/accept')
  @HttpCode(200)
  accept(@Body() body: unknown): Envelope {
    return this.platform.accept(body);
  }

  @Post('cases/:projectNo/process')
  @HttpCode(200)
  process(@Param('projectNo') projectNo: string, @Body() body: unknown): Envelope {
    return this.platform.reportEvent('process', projectNo, body);
  }

  @Post('cases/:projectNo/special')
  @HttpCode(200)
  special(@Param('projectNo') projectNo: string, @Body() body: unknown): Envelope {
    return this.platform.reportEvent('special', projectNo, body);
  }

  @Post('cases/:projectNo/result')
  @HttpCode(200)
  result(@Param('projectNo') projectNo: string, @Body() body: unknown): Envelope {
    return this.platform.reportEvent('result', projectNo, body);
  }

  @Post('licenses')
  @HttpCode(200)
  license(@Body() body: unknown): Envelope {
    return this.platform.registerLicense(body);
  }

  @Get('cases/:projectNo')
  caseView(@Param('projectNo') projectNo: string): Envelope {
    return this.platform.caseView(projectNo);
  }

  @Get('reconcile')
  reconcile(@Query('org_code') orgCode: unknown, @Query('date') date: unknown): Envelope {
    return this.platform.reconcile(orgCode, date);
  }
}
