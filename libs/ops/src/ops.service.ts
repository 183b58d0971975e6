import { Catalogue } from '#gw/catalogue';
import { Database, type KeyRotationJob, OutboxRepository } from '#gw/persistence';
import { DeliveryRuntime } from './delivery-runtime';
import { OpsConfig } from './ops-config';
import { DepartmentActivity, EndpointActivity, OpsReadRepository, SeriesBucket } from './ops-read.repository';
import { Overview, OverviewInput, buildOverview } from './overview';
import { TtlCache } from './ttl-cache';

export interface DatabaseProbe {
  ok: boolean;
  latencyMs: number;
  dialect: string;
  error?: string;
}

/**
 * The platform's outbox figures, except `parked`: every parked message, the platform's and the
 * deliveries to department systems alike (as the 滞留消息 page lists them), by target beside.
 */
export type OutboxStats = Awaited<ReturnType<OutboxRepository['stats']>> & { parkedByTarget: Record<string, number> };

/** Pings the database with a 1 s limit. */
export async function pingDatabase(db: Database, timeoutMs = 1000): Promise<DatabaseProbe> {
  const started = Date.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      db.ping(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timeout after ${timeoutMs} ms`)), timeoutMs);
        timer.unref?.();
      }),
    ]);
    return { ok: true, latencyMs: Date.now() - started, dialect: db.dialect };
  } catch (e) {
    return {
      ok: false,
      latencyMs: Date.now() - started,
      dialect: db.dialect,
      error: (e as Error).message.slice(0, 200),
    };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The facts behind the overview, the metrics gauges and readiness, each read at most once per
 * short interval however many dashboards, scrapers and load balancers ask.
 */
export class OpsService {
  readonly startedAt = new Date();
  private readonly backlogCache: TtlCache<{ outbox: OutboxStats; quarantine: Record<string, number> }>;
  private readonly overviewCache: TtlCache<Overview>;
  private readonly callbackCache: TtlCache<{ type: string; status: string; n: number }[]>;
  private readonly seriesCache = new Map<number, TtlCache<SeriesBucket[]>>();

  constructor(
    private readonly db: Database,
    private readonly outbox: OutboxRepository,
    private readonly read: OpsReadRepository,
    private readonly catalogue: Catalogue,
    private readonly runtime: DeliveryRuntime,
    private readonly config: OpsConfig,
    private readonly keyRotation?: KeyRotationJob,
  ) {
    this.backlogCache = new TtlCache(3000, async () => ({
      outbox: await this.outboxStats(),
      quarantine: await this.read.quarantineCounts(),
    }));
    this.overviewCache = new TtlCache(2000, () => this.computeOverview());
    this.callbackCache = new TtlCache(5000, () => this.read.callbackCounts());
  }

  private async outboxStats(): Promise<OutboxStats> {
    const platform = await this.outbox.stats();
    const parkedByTarget = { PLATFORM: 0, ...(await this.outbox.parkedByTarget()) };
    const parked = Object.values(parkedByTarget).reduce((a, b) => a + b, 0);
    return { ...platform, parked, parkedByTarget };
  }

  /** Outbox depth and age, and the quarantine per department (cached 3 s). */
  backlog() {
    return this.backlogCache.get();
  }

  /** Platform callbacks stored, by type and status, since installation (cached 5 s). */
  callbackCounts() {
    return this.callbackCache.get();
  }

  overview(): Promise<Overview> {
    return this.overviewCache.get();
  }

  /** After an operator action the next overview is read fresh. */
  invalidate(): void {
    this.overviewCache.invalidate();
    this.backlogCache.invalidate();
  }

  series(hours: number): Promise<SeriesBucket[]> {
    const h = Math.min(Math.max(Math.round(hours) || 6, 1), 24);
    let c = this.seriesCache.get(h);
    if (!c) {
      c = new TtlCache(15_000, () => this.read.series(h));
      this.seriesCache.set(h, c);
    }
    return c.get();
  }

  private async computeOverview(): Promise<Overview> {
    const now = new Date();
    const database = await pingDatabase(this.db);
    const since = new Date(now.getTime() - 3600_000);
    let backlog: { outbox: OutboxStats; quarantine: Record<string, number> } | null = null;
    let endpointActivity: EndpointActivity[] = [];
    let callbacks: OverviewInput['callbacks'] = null;
    const activity = new Map<string, DepartmentActivity>();
    const departments = this.catalogue.departments.filter((d) => !d.restricted);
    if (database.ok) {
      try {
        backlog = await this.backlog();
        endpointActivity = await this.read.endpointActivity(since);
        callbacks = await this.read.callbackCounts(new Date(now.getTime() - 24 * 3600_000));
        for (const d of departments)
          if (d.enabled) activity.set(d.code, await this.read.departmentActivity(d.code, since));
      } catch (e) {
        database.ok = false;
        database.error = (e as Error).message.slice(0, 200);
      }
    }
    const dispatcher = this.runtime.dispatcher;
    const platform = this.runtime.platform;
    const deliveryBreakers = new Map(this.runtime.departmentBreakers().map((b) => [b.department, { state: b.state, opens: b.opens }]));
    return buildOverview({
      now,
      startedAt: this.startedAt,
      database,
      dispatcher: {
        present: !!dispatcher,
        draining: dispatcher?.isDraining ?? false,
        blocked: platform?.isBlocked() ?? false,
        yielding: dispatcher?.isYielding ?? false,
        activeDeliveries: dispatcher?.activeDeliveries ?? 0,
      },
      outbox: backlog?.outbox ?? null,
      quarantine: backlog?.quarantine ?? null,
      departments: departments.map((d) => ({
        code: d.code,
        name: d.name,
        enabled: d.enabled,
        activity: activity.get(d.code) ?? null,
        delivery: deliveryBreakers.get(d.code) ?? null,
      })),
      endpoints: platform?.endpoints() ?? [],
      endpointActivity,
      callbacks,
      settings: {
        readyMaxOutboxAgeSeconds: this.config.readyMaxOutboxAgeSeconds,
        deptSilentHours: this.config.deptSilentHours,
      },
      keyRotation: this.keyRotation?.status() ?? null,
    });
  }
}
