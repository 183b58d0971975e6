import {
  AuditLogEntity,
  CaseEntity,
  Database,
  DeliveryAttemptEntity,
  InboundMessageEntity,
  PlatformCallbackEntity,
} from '#gw/persistence';

/** SQLite returns DATETIME as 'YYYY-MM-DD HH:MM:SS.SSS' (UTC); MySQL as a Date. */
export function toDate(v: unknown): Date | null {
  if (v === null || v === undefined || v === '') return null;
  if (v instanceof Date) return v;
  const s = String(v);
  return new Date(s.includes('T') || s.endsWith('Z') ? s : s.replace(' ', 'T') + 'Z');
}

export interface OutcomeCount {
  outcome: string;
  errorCode: string | null;
  n: number;
}

export interface DepartmentActivity {
  lastSeenAt: Date | null;
  lastAcceptedAt: Date | null;
  lastHour: OutcomeCount[];
}

export interface EndpointActivity {
  endpoint: string;
  calls: number;
  failures: number;
  alerts: number;
  avgMs: number;
  maxMs: number;
  /** Last successful call and last failed call in the window. */
  lastOkAt: Date | null;
  lastFailedAt: Date | null;
  lastError: { at: Date; outcome: string; httpStatus: number | null; businessCode: string | null; message: string | null } | null;
}

export interface SeriesBucket {
  /** Start of the 10-minute bucket. */
  at: string;
  ingestAccepted: number;
  ingestRefused: number;
  ingestInvalid: number;
  deliveries: number;
  deliveryFailures: number;
  avgLatencyMs: number | null;
  maxLatencyMs: number | null;
}

export const BUCKET_SECONDS = 600;
const QUARANTINE_OUTCOMES = ['REJECTED', 'UNREADABLE'];

/**
 * Read-only queries behind the dashboard and the metrics. Every query is bounded by an index
 * (department + time, time, outcome) so the dashboard stays cheap on a large database.
 */
export class OpsReadRepository {
  constructor(private readonly db: Database) {}

  /** Seconds since the epoch of a DATETIME column, divided into 10-minute buckets, per dialect. */
  private bucket(column: string): string {
    return this.db.dialect === 'sqlite'
      ? `(CAST(strftime('%s', ${column}) AS INTEGER) / ${BUCKET_SECONDS})`
      : `(TIMESTAMPDIFF(SECOND, '1970-01-01 00:00:00', ${column}) DIV ${BUCKET_SECONDS})`;
  }

  async departmentActivity(department: string, since: Date): Promise<DepartmentActivity> {
    const m = this.db.manager;
    const last = await m
      .createQueryBuilder(InboundMessageEntity, 'm')
      .select('MAX(m.received_at)', 'last')
      .where('m.department = :d', { d: department })
      .getRawOne<{ last: unknown }>();
    const accepted = await m
      .createQueryBuilder(InboundMessageEntity, 'm')
      .select('MAX(m.received_at)', 'last')
      .where('m.department = :d AND m.outcome IN (:...o)', { d: department, o: ['ACCEPTED', 'DUPLICATE'] })
      .getRawOne<{ last: unknown }>();
    const rows = await m
      .createQueryBuilder(InboundMessageEntity, 'm')
      .select('m.outcome', 'outcome')
      .addSelect('m.error_code', 'errorCode')
      .addSelect('COUNT(*)', 'n')
      .where('m.department = :d AND m.received_at >= :since', { d: department, since })
      // A rejection resolved since (a batch row accepted on the file's retry round, or a replay)
      // is no longer an error of the department's: the accepted try counts instead.
      .andWhere('NOT (m.outcome IN (:...resolvable) AND m.resolved_at IS NOT NULL)', { resolvable: ['REJECTED', 'UNREADABLE'] })
      .groupBy('m.outcome')
      .addGroupBy('m.error_code')
      .getRawMany<{ outcome: string; errorCode: string | null; n: string | number }>();
    return {
      lastSeenAt: toDate(last?.last),
      lastAcceptedAt: toDate(accepted?.last),
      lastHour: rows.map((r) => ({ outcome: r.outcome, errorCode: r.errorCode, n: Number(r.n) })),
    };
  }

  /** Platform callbacks stored, by type and status (all time, or since `since`). */
  async callbackCounts(since?: Date): Promise<{ type: string; status: string; n: number }[]> {
    const q = this.db.manager
      .createQueryBuilder(PlatformCallbackEntity, 'c')
      .select('c.type', 'type')
      .addSelect('c.status', 'status')
      .addSelect('COUNT(*)', 'n')
      .groupBy('c.type')
      .addGroupBy('c.status');
    if (since) q.where('c.received_at >= :since', { since });
    const rows = await q.getRawMany<{ type: string; status: string; n: string | number }>();
    return rows.map((r) => ({ type: r.type, status: r.status, n: Number(r.n) }));
  }

  /** Quarantined (unreadable or invalid, not resolved by a replay) messages per department. */
  async quarantineCounts(): Promise<Record<string, number>> {
    const rows = await this.db.manager
      .createQueryBuilder(InboundMessageEntity, 'm')
      .select('m.department', 'department')
      .addSelect('COUNT(*)', 'n')
      .where('m.outcome IN (:...o) AND m.resolved_at IS NULL AND m.replay_of IS NULL', { o: QUARANTINE_OUTCOMES })
      .groupBy('m.department')
      .getRawMany<{ department: string; n: string | number }>();
    return Object.fromEntries(rows.map((r) => [r.department, Number(r.n)]));
  }

  async endpointActivity(since: Date): Promise<EndpointActivity[]> {
    const m = this.db.manager;
    const rows = await m
      .createQueryBuilder(DeliveryAttemptEntity, 'a')
      .select('a.endpoint', 'endpoint')
      .addSelect('a.outcome', 'outcome')
      .addSelect('COUNT(*)', 'n')
      .addSelect('SUM(a.duration_ms)', 'total')
      .addSelect('MAX(a.duration_ms)', 'max')
      .addSelect('MAX(a.attempted_at)', 'lastAt')
      .where('a.attempted_at >= :since', { since })
      .groupBy('a.endpoint')
      .addGroupBy('a.outcome')
      .getRawMany<{
        endpoint: string;
        outcome: string;
        n: string | number;
        total: string | number;
        max: string | number;
        lastAt: unknown;
      }>();
    const by = new Map<string, EndpointActivity>();
    for (const r of rows) {
      const e = by.get(r.endpoint) ?? {
        endpoint: r.endpoint,
        calls: 0,
        failures: 0,
        alerts: 0,
        avgMs: 0,
        maxMs: 0,
        lastOkAt: null,
        lastFailedAt: null,
        lastError: null,
      };
      const n = Number(r.n);
      const lastAt = toDate(r.lastAt);
      e.avgMs = (e.avgMs * e.calls + Number(r.total)) / (e.calls + n || 1);
      e.calls += n;
      const ok = ['DONE', 'SKIPPED', 'RESEND'].includes(r.outcome);
      if (!ok) e.failures += n;
      if (lastAt && ok && (!e.lastOkAt || lastAt > e.lastOkAt)) e.lastOkAt = lastAt;
      if (lastAt && !ok && (!e.lastFailedAt || lastAt > e.lastFailedAt)) e.lastFailedAt = lastAt;
      if (r.outcome === 'ALERT') e.alerts += n;
      e.maxMs = Math.max(e.maxMs, Number(r.max));
      by.set(r.endpoint, e);
    }
    for (const e of by.values()) {
      e.avgMs = Math.round(e.avgMs);
      if (!e.failures) continue;
      const last = await m
        .createQueryBuilder(DeliveryAttemptEntity, 'a')
        .where('a.endpoint = :e AND a.attempted_at >= :since AND a.outcome NOT IN (:...ok)', {
          e: e.endpoint,
          since,
          ok: ['DONE', 'SKIPPED', 'RESEND'],
        })
        // The cause, not the breaker that followed it.
        .andWhere("(a.message IS NULL OR a.message NOT LIKE 'circuit open%')")
        .orderBy('a.attempted_at', 'DESC')
        .limit(1)
        .getOne();
      if (last)
        e.lastError = {
          at: last.attemptedAt,
          outcome: last.outcome,
          httpStatus: last.httpStatus,
          businessCode: last.businessCode,
          message: last.message?.slice(0, 200) ?? null,
        };
    }
    return [...by.values()];
  }

  /** Ingest and delivery per 10 minutes over the last `hours`, oldest first, empty buckets included. */
  async series(hours: number, now = new Date()): Promise<SeriesBucket[]> {
    const m = this.db.manager;
    const lastBucket = Math.floor(now.getTime() / 1000 / BUCKET_SECONDS);
    const firstBucket = lastBucket - Math.ceil((hours * 3600) / BUCKET_SECONDS) + 1;
    const since = new Date(firstBucket * BUCKET_SECONDS * 1000);
    const ingest = await m
      .createQueryBuilder(InboundMessageEntity, 'm')
      .select(this.bucket('m.received_at'), 'b')
      .addSelect('m.outcome', 'outcome')
      .addSelect('COUNT(*)', 'n')
      .where('m.received_at >= :since', { since })
      .groupBy('b')
      .addGroupBy('m.outcome')
      .getRawMany<{ b: string | number; outcome: string; n: string | number }>();
    const delivery = await m
      .createQueryBuilder(DeliveryAttemptEntity, 'a')
      .select(this.bucket('a.attempted_at'), 'b')
      .addSelect(`SUM(CASE WHEN a.outcome IN ('DONE', 'SKIPPED', 'RESEND') THEN 0 ELSE 1 END)`, 'failures')
      .addSelect('COUNT(*)', 'n')
      .addSelect('SUM(a.duration_ms)', 'total')
      .addSelect('MAX(a.duration_ms)', 'max')
      .where('a.attempted_at >= :since', { since })
      .groupBy('b')
      .getRawMany<{
        b: string | number;
        failures: string | number;
        n: string | number;
        total: string | number;
        max: string | number;
      }>();
    const buckets = new Map<number, SeriesBucket>();
    for (let b = firstBucket; b <= lastBucket; b++) {
      buckets.set(b, {
        at: new Date(b * BUCKET_SECONDS * 1000).toISOString(),
        ingestAccepted: 0,
        ingestRefused: 0,
        ingestInvalid: 0,
        deliveries: 0,
        deliveryFailures: 0,
        avgLatencyMs: null,
        maxLatencyMs: null,
      });
    }
    for (const r of ingest) {
      const s = buckets.get(Number(r.b));
      if (!s) continue;
      const n = Number(r.n);
      if (r.outcome === 'ACCEPTED' || r.outcome === 'DUPLICATE') s.ingestAccepted += n;
      else if (r.outcome === 'REFUSED') s.ingestRefused += n;
      else s.ingestInvalid += n;
    }
    for (const r of delivery) {
      const s = buckets.get(Number(r.b));
      if (!s) continue;
      s.deliveries = Number(r.n);
      s.deliveryFailures = Number(r.failures);
      s.avgLatencyMs = s.deliveries ? Math.round(Number(r.total) / s.deliveries) : null;
      s.maxLatencyMs = s.deliveries ? Number(r.max) : null;
    }
    return [...buckets.values()];
  }

  /** Cases whose department case number or platform project_no is exactly `q` (any department). */
  async findCaseIds(q: string, departments: string[]): Promise<string[]> {
    const m = this.db.manager;
    const ids = new Set<string>();
    if (departments.length) {
      const byNo = await m.find(CaseEntity, {
        where: departments.map((d) => ({ department: d, sourceCaseNo: q })),
        select: { id: true },
        take: 20,
      });
      byNo.forEach((c) => ids.add(c.id));
    }
    const byProject = await m.find(CaseEntity, { where: { platformProjectNo: q }, select: { id: true }, take: 20 });
    byProject.forEach((c) => ids.add(c.id));
    return [...ids].slice(0, 20);
  }

  async audit(filter: { limit?: number; before?: string; action?: string; actor?: string; since?: Date }) {
    const q = this.db.manager
      .createQueryBuilder(AuditLogEntity, 'a')
      .orderBy('a.id', 'DESC')
      .take(Math.min(Math.max(filter.limit ?? 100, 1), 500));
    if (filter.before && /^\d+$/.test(filter.before)) q.andWhere('a.id < :before', { before: filter.before });
    if (filter.action) q.andWhere('a.action = :action', { action: filter.action });
    if (filter.actor) q.andWhere('a.actor LIKE :actor', { actor: `%${filter.actor.replace(/[%_\\]/g, '')}%` });
    if (filter.since) q.andWhere('a.at >= :since', { since: filter.since });
    const rows = await q.getMany();
    return rows.map((r) => ({
      id: String(r.id),
      at: r.at.toISOString(),
      actor: r.actor,
      action: r.action,
      targetType: r.targetType,
      targetId: r.targetId,
      detail: r.detail ? safeJson(r.detail) : null,
      correlationId: r.correlationId,
      outcome: r.outcome,
      address: r.address,
      seq: r.seq === null ? null : String(r.seq),
    }));
  }
}

function safeJson(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return s;
  }
}
