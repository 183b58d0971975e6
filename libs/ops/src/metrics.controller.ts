import { Controller, Get, Inject, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { GatewayError, secretsEqual } from '#gw/common';
import { MetricsService } from './metrics.service';
import { OPS_CONFIG } from './ops.tokens';
import type { OpsConfig } from './ops-config';

/** Prometheus text exposition. Open on the intranet unless METRICS_TOKEN is set. */
@ApiExcludeController()
@Controller('metrics')
export class MetricsController {
  constructor(
    private readonly metrics: MetricsService,
    @Inject(OPS_CONFIG) private readonly config: OpsConfig,
  ) {}

  @Get()
  async scrape(@Req() req: Request, @Res() res: Response): Promise<void> {
    if (this.config.metricsToken) {
      const m = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
      if (!m || !secretsEqual(m[1], this.config.metricsToken))
        throw new GatewayError(
          'METRICS_UNAUTHORIZED',
          401,
          '需要 METRICS_TOKEN metrics need Authorization: Bearer <METRICS_TOKEN>',
        );
    }
    const { contentType, body } = await this.metrics.render();
    res.status(200).setHeader('Content-Type', contentType);
    res.setHeader('Cache-Control', 'no-store');
    res.send(body);
  }
}
