import { Controller, Get, Inject, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiCookieAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { DUTY_ROLES, OperatorGuard, RequireRole } from '#gw/ingress';
import { OutboxRepository } from '#gw/persistence';
import { CityPlatformPort } from '#gw/platform';
import { Dispatcher } from './dispatcher';

@ApiTags('报送状态 Delivery status')
@ApiBearerAuth()
@ApiCookieAuth()
@UseGuards(OperatorGuard)
@Controller('api/v1/delivery')
export class DispatchStatusController {
  constructor(
    private readonly outbox: OutboxRepository,
    @Inject(Dispatcher) private readonly dispatcher: Dispatcher,
    @Inject(CityPlatformPort) private readonly platform: CityPlatformPort,
  ) {}

  @Get('status')
  @RequireRole(...DUTY_ROLES.status)
  @ApiOperation({ summary: '积压、滞留与各平台接口熔断状态 Backlog, parked count and each platform endpoint\'s breaker' })
  async status() {
    const stats = await this.outbox.stats();
    return {
      outbox: { ...stats, oldestPendingAgeSeconds: stats.oldestPendingAt ? Math.round((Date.now() - stats.oldestPendingAt.getTime()) / 1000) : 0 },
      dispatcher: {
        owner: this.dispatcher.owner,
        draining: this.dispatcher.isDraining,
        /** Claiming nothing new while this process stores a batch file (at most 30 s in a row). */
        yielding: this.dispatcher.isYielding,
        activeDeliveries: this.dispatcher.activeDeliveries,
        blocked: this.platform.isBlocked(),
        /** Since this instance started. */
        counters: { ...this.dispatcher.counters },
      },
      platform: this.platform.endpoints(),
    };
  }
}
