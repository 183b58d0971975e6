import { ReadinessProbe } from '#gw/ingress';
import { Database } from '#gw/persistence';
import { DeliveryRuntime } from './delivery-runtime';
import { OpsConfig } from './ops-config';
import { OpsService, pingDatabase } from './ops.service';
import { TtlCache } from './ttl-cache';

type Check = Record<string, unknown> & { status: 'up' | 'down' };

/**
 * `/health/ready` for load balancers and upgrades. Ready means "send me work": the database
 * answers and the instance is not drained. A platform outage does NOT make the gateway unready —
 * ingest still stores and acknowledges, and delivery catches up by itself — so open breakers and
 * a late outbox are reported in the details (`degraded`, `warning`) but keep the answer 200.
 * The drain switch (maintenance) answers 503 with `draining: true`. Results are cached for 2 s
 * (a failing check is not kept, so recovery shows at once).
 */
export class ReadinessService extends ReadinessProbe {
  private draining = false;
  private readonly cache: TtlCache<{ ready: boolean; body: Record<string, unknown> }>;

  constructor(
    private readonly db: Database,
    private readonly ops: OpsService,
    private readonly runtime: DeliveryRuntime,
    private readonly config: OpsConfig,
  ) {
    super();
    this.cache = new TtlCache(
      2000,
      () => this.compute(),
      Date.now,
      (r) => r.ready || this.draining,
    );
  }

  get isDraining(): boolean {
    return this.draining;
  }

  /** Maintenance: answer 503 on ready and stop claiming new deliveries (those in flight finish). */
  setDraining(on: boolean): void {
    this.draining = on;
    this.runtime.dispatcher?.setDraining(on);
    this.cache.invalidate();
    this.ops.invalidate();
  }

  check(): Promise<{ ready: boolean; body: Record<string, unknown> }> {
    return this.cache.get();
  }

  private async compute(): Promise<{ ready: boolean; body: Record<string, unknown> }> {
    const details: Record<string, Check> = {};
    const probe = await pingDatabase(this.db);
    details.database = probe.ok
      ? { status: 'up', dialect: probe.dialect, latencyMs: probe.latencyMs }
      : { status: 'down', dialect: probe.dialect, message: probe.error };
    if (probe.ok) {
      try {
        const { outbox } = await this.ops.backlog();
        const age = outbox.oldestPendingAt
          ? Math.max(0, Math.round((Date.now() - outbox.oldestPendingAt.getTime()) / 1000))
          : 0;
        details.outbox = {
          status: 'up',
          pending: outbox.pending,
          inFlight: outbox.inFlight,
          parked: outbox.parked,
          parkedByTarget: outbox.parkedByTarget,
          oldestPendingAgeSeconds: age,
          maxAgeSeconds: this.config.readyMaxOutboxAgeSeconds,
          ...(age > this.config.readyMaxOutboxAgeSeconds
            ? { warning: `最早待报送消息已等待 ${age} 秒 the oldest pending message is ${age} s old` }
            : {}),
        };
      } catch (e) {
        details.outbox = {
          status: 'up',
          warning: `积压统计不可用 backlog unavailable: ${(e as Error).message.slice(0, 120)}`,
        };
      }
    }
    const platform = this.runtime.platform;
    if (platform) {
      const endpoints = platform.endpoints();
      const open = endpoints.filter((e) => e.state !== 'CLOSED');
      details.platform = {
        status: 'up',
        degraded: open.length > 0,
        endpoints: Object.fromEntries(endpoints.map((e) => [e.endpoint, e.state])),
        ...(open.length
          ? {
              warning: `市平台熔断 breaker not closed: ${open.map((e) => `${e.endpoint}=${e.state}`).join(', ')}; 接入照常 ingest continues`,
            }
          : {}),
      };
    }
    if (this.draining) {
      details.drain = {
        status: 'down',
        message: '维护模式：已停止报送 drained for maintenance (POST/DELETE /api/v1/ops/drain)',
      };
    }
    const up = Object.fromEntries(Object.entries(details).filter(([, c]) => c.status === 'up'));
    const down = Object.fromEntries(Object.entries(details).filter(([, c]) => c.status === 'down'));
    const ready = Object.keys(down).length === 0;
    return { ready, body: { status: ready ? 'ok' : 'error', draining: this.draining, info: up, error: down, details } };
  }
}
