import { Controller, Get, Inject, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { GatewayError, secretsEqual } from '#gw/common';
import { DUTY_ROLES, GATEWAY_CONTEXT, GatewayContext, operatorMay } from '#gw/ingress';
import { MetricsService } from './metrics.service';
import { OPS_CONFIG } from './ops.tokens';
import type { OpsConfig } from './ops-config';
import type { OperatorRequest } from './session.middleware';

/** This machine: 127.0.0.0/8 and ::1, also as IPv4-mapped IPv6. */
const isLoopback = (address: string | undefined) => !!address && /^(::ffff:)?127\.|^::1$/.test(address);

/**
 * Prometheus text exposition. Who may scrape: `Authorization: Bearer <METRICS_TOKEN>` or
 * `Bearer <GATEWAY_OPERATOR_TOKEN>`, or a signed-in dashboard session. Without any of them, only
 * an embedded gateway without METRICS_TOKEN answers, and only to this machine (the metrics name
 * departments, backlogs and breakers: not for the whole network to read).
 */
@ApiExcludeController()
@Controller('metrics')
export class MetricsController {
  constructor(
    private readonly metrics: MetricsService,
    @Inject(OPS_CONFIG) private readonly config: OpsConfig,
    @Inject(GATEWAY_CONTEXT) private readonly ctx: GatewayContext,
  ) {}

  private mayScrape(req: OperatorRequest): boolean {
    const bearer = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
    if (bearer && this.config.metricsToken && secretsEqual(bearer, this.config.metricsToken)) return true;
    if (bearer && secretsEqual(bearer, this.ctx.secrets.operatorToken)) return true;
    if (req.operator) {
      // Signed in: the role decides (an auditor reads the audit log, not the metrics), wherever from.
      if (operatorMay(req, DUTY_ROLES.status, this.ctx.secrets.operatorToken)) return true;
      throw new GatewayError('OPERATOR_FORBIDDEN', 403, '权限不足 this role may not read the metrics');
    }
    if (this.config.metricsToken || this.ctx.config.mode === 'production') return false;
    return isLoopback(req.socket.remoteAddress);
  }

  @Get()
  async scrape(@Req() req: Request, @Res() res: Response): Promise<void> {
    if (!this.mayScrape(req as OperatorRequest)) {
      throw new GatewayError(
        'METRICS_UNAUTHORIZED',
        401,
        '需要监控令牌 metrics need Authorization: Bearer <METRICS_TOKEN> (or the operator token, or a dashboard sign-in)',
      );
    }
    const { contentType, body } = await this.metrics.render();
    res.status(200).setHeader('Content-Type', contentType);
    res.setHeader('Cache-Control', 'no-store');
    res.send(body);
  }
}
