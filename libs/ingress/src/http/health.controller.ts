import { Controller, Get, Inject, Optional, Res } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { HealthCheck, HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import { Database } from '#gw/persistence';

/**
 * A fuller readiness check (database, outbox lag, breakers, drain switch) provided by another module
 * (the ops library); without one, readiness is the database ping below.
 */
export abstract class ReadinessProbe {
  abstract check(): Promise<{ ready: boolean; body: Record<string, unknown> }>;
}

@ApiTags('健康检查 Health')
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicator: HealthIndicatorService,
    private readonly db: Database,
    @Optional() @Inject(ReadinessProbe) private readonly probe?: ReadinessProbe,
  ) {}

  /** The process is up (for restarts by a supervisor). */
  @Get('live')
  @HealthCheck()
  live() {
    return this.health.check([]);
  }

  /** The gateway can take work: the database answers within a second. */
  @Get('ready')
  @HealthCheck()
  async ready(@Res({ passthrough: true }) res: Response) {
    if (this.probe) {
      const { ready, body } = await this.probe.check();
      res.status(ready ? 200 : 503);
      return body;
    }
    return this.health.check([
      async () => {
        const i = this.indicator.check('database');
        try {
          await Promise.race([
            this.db.ping(),
            new Promise((_, reject) => setTimeout(() => reject(new Error('timeout after 1000 ms')), 1000).unref()),
          ]);
          return i.up({ dialect: this.db.dialect });
        } catch (e) {
          return i.down({ dialect: this.db.dialect, message: (e as Error).message.slice(0, 200) });
        }
      },
    ]);
  }
}
