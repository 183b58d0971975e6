import axios from 'axios';
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { AdapterRegistry, DeliveryReply, DeliveryType, DepartmentDelivery } from '#gw/adapters';
import type { Catalogue } from '#gw/catalogue';
import type { PersonalDataCipher } from '#gw/common';
import { CallbackRepository, LeaseLostError, OutboxEntity, OutboxRepository } from '#gw/persistence';
import { BreakerRegistry, ClaimLoop, NonTrippingError, backoffDelay, parseRetryAfter } from '#gw/resilience';

export interface DepartmentDispatcherSettings {
  concurrency: number;
  pollIntervalMs: number;
  leaseMs: number;
  retryBaseMs: number;
  retryMaxMs: number;
}

/**
 * Largest answer read from a department system (their answers are a line of text or a small
 * document); a larger one is cut off and the delivery fails. Redirects are never followed: a
 * delivery goes only where the catalogue (or DEPT_<CODE>_URL) says.
 */
export const MAX_DEPARTMENT_ANSWER_BYTES = 1024 * 1024;

/** The failure of a delivery whose answer ran over `MAX_DEPARTMENT_ANSWER_BYTES` (axios's message is its own). */
function transportMessage(e: unknown): string {
  const err = e as Error & { code?: string };
  if (err.code === 'EOPENBREAKER') return err.message;
  if (/maxContentLength/i.test(err.message ?? '')) return `部门系统应答超过 1 MiB，已截断 the answer was larger than ${MAX_DEPARTMENT_ANSWER_BYTES} bytes and was cut off`;
  return err.message;
}

class Refused extends NonTrippingError {
  constructor(readonly reply: DeliveryReply, readonly httpStatus: number) {
    super(reply.message);
  }
}

/** 429: the system is up and asks us to slow down; not a failure, so the breaker stays closed. */
class Throttled extends NonTrippingError {
  /** When the system said to come back (epoch ms), if it said. */
  readonly retryAt: number | undefined;

  constructor(retryAfter: string | undefined, now = Date.now()) {
    const ms = parseRetryAfter(retryAfter, now);
    super(`HTTP 429${ms === undefined ? '' : `, retry after ${ms} ms`}`);
    this.retryAt = ms === undefined ? undefined : now + ms;
  }
}

/**
 * Pushes routed callbacks to department systems, each department behind its own breaker: while one
 * system is down its deliveries wait, and no other department's are held up.
 */
export class DepartmentDispatcher {
  readonly owner = `${hostname()}-${process.pid}-dept-${randomBytes(3).toString('hex')}`;
  private readonly loop: ClaimLoop<OutboxEntity>;
  /** Departments that answered 429 with Retry-After: nothing is pushed to them before then. */
  private readonly notBefore = new Map<string, number>();

  constructor(
    private readonly callbacks: CallbackRepository,
    private readonly outbox: OutboxRepository,
    private readonly adapters: AdapterRegistry,
    private readonly catalogue: Catalogue,
    private readonly cipher: PersonalDataCipher,
    private readonly breakers: BreakerRegistry,
    private readonly urlOf: (department: string) => string | undefined,
    private readonly settings: DepartmentDispatcherSettings,
    private readonly logger: { warn(m: string): void; error(m: string, e?: unknown): void } = console,
  ) {
    this.loop = new ClaimLoop<OutboxEntity>({
      concurrency: settings.concurrency,
      pollIntervalMs: settings.pollIntervalMs,
      // Deliveries to a department whose breaker is open, or that asked us to wait, wait; the others are claimed.
      claim: (free) => {
        const now = Date.now();
        const open = this.catalogue.departments.filter((d) => this.breakers.state(d.code) === 'OPEN' || (this.notBefore.get(d.code) ?? 0) > now).map((d) => `DEPT:${d.code}`);
        return this.callbacks.claimDeliveries(this.owner, free, this.settings.leaseMs, open);
      },
      deliver: (row) => this.deliver(row),
      onError: (e) => this.logger.error(`department delivery round failed: ${(e as Error).message}`, e),
    });
  }

  start(): void {
    this.loop.start();
  }

  async stop(): Promise<void> {
    await this.loop.stop();
  }

  wake(): void {
    this.loop.wake();
  }

  /** Department breakers, for health and the dashboard. */
  breakerStates() {
    const snapshot = this.breakers.snapshot();
    return this.catalogue.departments
      .filter((d) => this.adapters.get(d.code)?.formatDelivery && this.adapters.get(d.code)?.deliveryMode !== 'inbox')
      .map((d) => ({ department: d.code, state: this.breakers.state(d.code), opens: snapshot.find((s) => s.name === d.code)?.opens ?? 0 }));
  }

  private async deliver(row: OutboxEntity): Promise<void> {
    const code = row.target.slice('DEPT:'.length);
    const started = Date.now();
    const attempt = (httpStatus: number | null, outcome: string, message: string | null) => [
      { endpoint: `dept:${code}`, httpStatus, businessCode: null, durationMs: Date.now() - started, outcome, message: message?.slice(0, 500) ?? null },
    ];
    try {
      const record = row.refId ? await this.callbacks.get(row.refId) : null;
      const adapter = this.adapters.get(code);
      const url = this.urlOf(code);
      if (!record || !record.dataEnc) {
        await this.outbox.finish(row.id, this.owner, { status: 'PARKED', lastErrorCode: 'MISSING_CALLBACK', parkedReason: '找不到回调内容 the callback record is missing' }, attempt(null, 'PARK', 'missing callback'));
        return;
      }
      if (!adapter?.formatDelivery || !url) {
        const reason = !url ? `未配置部门接收地址 no receiving URL: set DEPT_${code}_URL or deliveryUrl in the catalogue` : `部门适配器不能推送 the ${code} adapter cannot push`;
        await this.outbox.finish(row.id, this.owner, { status: 'PARKED', lastErrorCode: 'NO_DELIVERY_URL', parkedReason: reason }, attempt(null, 'PARK', reason));
        return;
      }
      const route = record.type === 'ONLINE_APPLICATION' ? null : await this.callbacks.routeOfProject(record.projectNo ?? '');
      const delivery: DepartmentDelivery = {
        type: record.type as DeliveryType,
        callbackId: record.callbackId,
        projectNo: record.projectNo ?? '',
        occurredAt: record.occurredAt ?? '',
        data: this.cipher.decryptJson<Record<string, unknown>>(record.dataEnc),
        departmentCaseNo: route?.departmentCaseNo ?? null,
        matterCode: record.taskCode ?? route?.matterCode ?? null,
      };
      if (record.type !== 'ONLINE_APPLICATION' && record.projectNo) {
        const app = await this.callbacks.onlineApplicationOf(record.projectNo);
        delivery.application = app?.dataEnc ? this.cipher.decryptJson<Record<string, unknown>>(app.dataEnc) : null;
      }
      const request = adapter.formatDelivery(delivery);
      let httpStatus: number | null = null;
      try {
        const reply = await this.breakers.fire<DeliveryReply>(code, async (signal: AbortSignal) => {
          const res = await axios.post(url, request.body, {
            headers: { 'Content-Type': request.contentType },
            responseType: 'arraybuffer',
            validateStatus: () => true,
            signal,
            proxy: false,
            maxRedirects: 0,
            maxContentLength: MAX_DEPARTMENT_ANSWER_BYTES,
            maxBodyLength: MAX_DEPARTMENT_ANSWER_BYTES * 64,
          });
          httpStatus = res.status;
          if (res.status >= 300 && res.status < 400) {
            // A moved system is a configuration matter: parked with the reason, not retried.
            const location = String(res.headers.location ?? '').slice(0, 200);
            const message = `部门系统答复重定向（未跟随），请核对接收地址 HTTP ${res.status} redirect${location ? ` to ${location}` : ''} not followed: check the delivery URL (DEPT_${code}_URL)`;
            throw new Refused({ ok: false, permanent: true, message }, res.status);
          }
          if (res.status === 429) throw new Throttled(res.headers['retry-after'] as string | undefined);
          if (res.status >= 500 || res.status === 408) throw new Error(`HTTP ${res.status}`);
          const parsed = adapter.parseDeliveryReply
            ? adapter.parseDeliveryReply(res.status, res.headers['content-type'] as string | undefined, Buffer.from(res.data))
            : { ok: res.status >= 200 && res.status < 300, message: `HTTP ${res.status}` };
          // The system answered and refused: its decision, not its failure; the breaker stays closed.
          if (!parsed.ok) throw new Refused(parsed, res.status);
          return parsed;
        });
        if (reply.departmentCaseNo && record.type === 'ONLINE_APPLICATION') await this.callbacks.setDepartmentCaseNo(record.id, reply.departmentCaseNo);
        await this.outbox.finish(row.id, this.owner, { status: 'DONE' }, attempt(httpStatus, 'DONE', reply.message));
      } catch (e) {
        if (e instanceof Refused && e.reply.permanent) {
          await this.outbox.finish(row.id, this.owner, { status: 'PARKED', lastErrorCode: `DEPT_${e.httpStatus}`, lastError: e.reply.message, parkedReason: `部门系统拒收 ${code} refused: ${e.reply.message}` }, attempt(e.httpStatus, 'PARK', e.reply.message));
          return;
        }
        const message = (e as { code?: string }).code === 'EOPENBREAKER' ? `circuit open for ${code}` : transportMessage(e);
        let retryAt = Date.now() + backoffDelay(row.attempts + 1, this.settings.retryBaseMs, this.settings.retryMaxMs);
        if (e instanceof Throttled && e.retryAt !== undefined) {
          // As the system asked: this delivery, and every other one to it, not before then.
          retryAt = e.retryAt;
          this.notBefore.set(code, Math.max(this.notBefore.get(code) ?? 0, retryAt));
        }
        await this.outbox.finish(row.id, this.owner, { status: 'PENDING', lastErrorCode: httpStatus ? `HTTP_${httpStatus}` : 'TRANSPORT', lastError: message, nextAttemptAt: new Date(retryAt) }, attempt(httpStatus, 'RETRY', message));
      }
    } catch (e) {
      if (e instanceof LeaseLostError) return;
      this.logger.error(`delivery ${row.id} to ${code} failed: ${(e as Error).message}`, e);
    }
  }
}
