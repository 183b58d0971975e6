import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Catalogue } from '#gw/catalogue';
import type { DeliveryObserver } from '#gw/dispatch';
import type { IngestObserver } from '#gw/ingress';
import type { PlatformCall, PlatformOutcome } from '#gw/platform';
import type { DeliveryRuntime } from './delivery-runtime';
import type { OpsService } from './ops.service';
import { pingDatabase } from './ops.service';
import type { Database } from '#gw/persistence';

/** The answer to a department, in a few stable words (the label of `gw_ingest_events_total`). */
export function ingestOutcome(httpStatus: number): string {
  if (httpStatus === 202) return 'accepted';
  if (httpStatus === 200) return 'duplicate';
  if (httpStatus === 422) return 'rejected';
  if (httpStatus === 400 || httpStatus === 415) return 'unreadable';
  if (httpStatus === 401 || httpStatus === 403 || httpStatus === 404) return 'refused';
  if (httpStatus === 413) return 'too_large';
  if (httpStatus >= 500) return 'error';
  return 'other';
}

function callResult(c: PlatformCall): string {
  if (c.businessCode === '0') return 'ok';
  if (c.businessCode) return 'business_error';
  if (c.httpStatus) return 'http_error';
  return 'transport_error';
}

const BREAKER_VALUE = { CLOSED: 0, HALF_OPEN: 1, OPEN: 2 } as const;

/**
 * Prometheus metrics (`/metrics`), in a registry of this app's own (several gateways may share a
 * test process). Counters and histograms are fed by the ingress and dispatcher observers; the
 * gauges are read on scrape from a 3-second cache so a scrape storm does not reach the database.
 */
export class MetricsService implements IngestObserver, DeliveryObserver {
  readonly registry = new Registry();
  private readonly ingest: Counter<'department' | 'outcome' | 'status'>;
  private readonly callDuration: Histogram<'endpoint' | 'result'>;
  private readonly deliveryAge: Histogram<'outcome'>;
  private readonly attempts: Counter<'outcome'>;
  /** The catalogue's department codes now (it may change from the dashboard while running). */
  private readonly knownDepartments: () => Set<string>;

  constructor(
    private readonly catalogue: Catalogue,
    private readonly ops: OpsService,
    private readonly runtime: DeliveryRuntime,
    private readonly db: Database,
    private readonly isDraining: () => boolean,
  ) {
    const registers = [this.registry];
    this.knownDepartments = () => new Set(catalogue.departments.map((d) => d.code));
    collectDefaultMetrics({ register: this.registry });

    this.ingest = new Counter({
      name: 'gw_ingest_events_total',
      help: 'Department event requests answered, by department, outcome and HTTP status',
      labelNames: ['department', 'outcome', 'status'],
      registers,
    });
    this.callDuration = new Histogram({
      name: 'gw_platform_call_duration_seconds',
      help: 'Duration of calls to the city platform, by endpoint and result',
      labelNames: ['endpoint', 'result'],
      buckets: [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.deliveryAge = new Histogram({
      name: 'gw_delivery_latency_seconds',
      help: 'Time from storing a message to the end of a delivery attempt (end-to-end delivery latency), by outcome',
      labelNames: ['outcome'],
      buckets: [0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600, 14400, 86400],
      registers,
    });
    this.attempts = new Counter({
      name: 'gw_delivery_attempts_total',
      help: 'Delivery attempts to the city platform, by outcome (done, retry, park, alert, gap, skipped)',
      labelNames: ['outcome'],
      registers,
    });

    // Read on scrape (collect() runs with the metric as `this`); the arrows keep the service.
    const backlog = () => this.backlog();
    const endpoints = () => this.runtime.platform?.endpoints() ?? [];
    const departmentBreakers = () => this.runtime.departmentBreakers();
    const known = this.knownDepartments;
    const draining = () => this.isDraining();
    const dbUp = () => this.dbUp();
    new Gauge({
      name: 'gw_outbox_messages',
      help: 'Messages in the outbox to the city platform, by status (pending, in_flight, parked)',
      labelNames: ['status'],
      registers,
      async collect() {
        const b = await backlog();
        if (!b) return;
        this.set({ status: 'pending' }, b.outbox.pending);
        this.set({ status: 'in_flight' }, b.outbox.inFlight);
        this.set({ status: 'parked' }, b.outbox.parkedByTarget.PLATFORM ?? 0);
      },
    });
    new Gauge({
      name: 'gw_outbox_oldest_pending_age_seconds',
      help: 'Age of the oldest message waiting to be delivered (0 when none)',
      registers,
      async collect() {
        const b = await backlog();
        if (b)
          this.set(
            b.outbox.oldestPendingAt ? Math.max(0, (Date.now() - b.outbox.oldestPendingAt.getTime()) / 1000) : 0,
          );
      },
    });
    new Gauge({
      name: 'gw_parked_messages',
      help: 'Messages parked for an operator, by target: PLATFORM (refused by the city platform), DEPT:<code> or INBOX:<code> (deliveries to a department system)',
      labelNames: ['target'],
      registers,
      async collect() {
        const b = await backlog();
        if (!b) return;
        this.reset();
        for (const [target, n] of Object.entries(b.outbox.parkedByTarget)) this.set({ target }, n);
      },
    });
    new Gauge({
      name: 'gw_quarantine_messages',
      help: 'Department messages that were unreadable or invalid and are not yet resolved, by department',
      labelNames: ['department'],
      registers,
      async collect() {
        const b = await backlog();
        if (!b) return;
        this.reset();
        const codes = known();
        for (const code of codes) this.set({ department: code }, b.quarantine[code] ?? 0);
        for (const [code, n] of Object.entries(b.quarantine))
          if (!codes.has(code)) this.inc({ department: 'UNKNOWN' }, n);
      },
    });
    new Gauge({
      name: 'gw_platform_breaker_state',
      help: 'Circuit breaker state per city platform endpoint: 0 closed, 1 half-open, 2 open',
      labelNames: ['endpoint'],
      registers,
      collect() {
        for (const e of endpoints()) this.set({ endpoint: e.endpoint }, BREAKER_VALUE[e.state]);
      },
    });
    new Gauge({
      name: 'gw_department_breaker_state',
      help: "Circuit breaker state of the deliveries to each department's system (pushed callbacks): 0 closed, 1 half-open, 2 open",
      labelNames: ['department'],
      registers,
      collect() {
        this.reset();
        for (const b of departmentBreakers()) this.set({ department: b.department }, BREAKER_VALUE[b.state]);
      },
    });
    new Counter({
      name: 'gw_platform_breaker_opens_total',
      help: 'Times the circuit breaker of a city platform endpoint opened since start',
      labelNames: ['endpoint'],
      registers,
      collect() {
        this.reset();
        for (const e of endpoints()) this.inc({ endpoint: e.endpoint }, e.opens);
      },
    });
    const callbackCounts = () => this.ops.callbackCounts().catch(() => null);
    new Counter({
      name: 'gw_callbacks_total',
      help: 'Callbacks from the city platform stored since installation, by type and status (routed, stored, unroutable, refused); read from the database, so the same on every instance',
      labelNames: ['type', 'status'],
      registers,
      async collect() {
        const rows = await callbackCounts();
        if (!rows) return;
        this.reset();
        for (const r of rows)
          this.inc({ type: /^[A-Z_]{1,32}$/.test(r.type) ? r.type : 'OTHER', status: r.status.toLowerCase() }, r.n);
      },
    });
    new Gauge({
      name: 'gw_draining',
      help: '1 while this instance is drained for maintenance (not claiming deliveries, not ready)',
      registers,
      collect() {
        this.set(draining() ? 1 : 0);
      },
    });
    new Gauge({
      name: 'gw_database_up',
      help: '1 when the database answered a ping within a second at the last scrape',
      registers,
      async collect() {
        this.set((await dbUp()) ? 1 : 0);
      },
    });
  }

  private dbCheck?: { at: number; ok: Promise<boolean> };
  private dbUp(): Promise<boolean> {
    if (!this.dbCheck || Date.now() - this.dbCheck.at > 3000) {
      this.dbCheck = { at: Date.now(), ok: pingDatabase(this.db).then((p) => p.ok) };
    }
    return this.dbCheck.ok;
  }

  private async backlog() {
    try {
      return await this.ops.backlog();
    } catch {
      return null;
    }
  }

  onOutcome(department: string, _outcome: string, httpStatus: number): void {
    // A map look-up, not a set built per event: this runs on every request.
    const dept = this.catalogue.department(department)?.code === department ? department : 'UNKNOWN';
    this.ingest.inc({ department: dept, outcome: ingestOutcome(httpStatus), status: String(httpStatus) });
  }

  onAttempt(outcome: PlatformOutcome['kind'], calls: PlatformCall[], ageMs: number): void {
    for (const c of calls)
      this.callDuration.observe({ endpoint: c.endpoint, result: callResult(c) }, Math.max(0, c.durationMs) / 1000);
    this.attempts.inc({ outcome: outcome.toLowerCase() });
    this.deliveryAge.observe({ outcome: outcome.toLowerCase() }, Math.max(0, ageMs) / 1000);
  }

  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
