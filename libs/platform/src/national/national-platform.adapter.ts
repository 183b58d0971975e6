import type { WorkingCalendar } from '#gw/case';
import type { SignAlg } from '../signing';
import { BreakerRegistry, BreakerSettings, DEFAULT_BREAKER_SETTINGS, RateLimiter } from '#gw/resilience';
import { CityPlatformPort, EndpointHealth, FollowUpContext, FollowUpKind, PlatformCall, PlatformConnectionCheck, PlatformHeldCase, PlatformOutcome, ReconcileAnswer, StageDeliveryContext } from '../platform-port';
import { BUSINESS_CODES } from './business-codes';
import { acceptBody, licenseBody, planStage, processBody, resultBody, specialBody } from './national-platform.mapper';
import { PlatformAnswer, PlatformHttpClient } from './platform-http.client';

export interface NationalPlatformSettings {
  baseUrl: string;
  appId: string;
  secret: string;
  signAlg: SignAlg;
  rateLimitPerSecond: number;
  /** Working days for promise_date; the published schedule alone when not given. */
  calendar?: WorkingCalendar;
  breaker?: Partial<BreakerSettings>;
  onBreakerStateChange?(endpoint: string, state: 'CLOSED' | 'OPEN' | 'HALF_OPEN'): void;
}

/** A licence call whose answer never came: registered or not, only the platform knows. */
export const LICENCE_OUTCOME_UNKNOWN = 'LICENCE_UNKNOWN';

export function licenceUnknown(why: string): string {
  return `证照登记结果未知（${why}）：请向市平台核实，未登记则重发，已登记则确认 licence registration outcome unknown: check with the platform, then rerun (not registered) or confirm (registered)`;
}

export const PLATFORM_ENDPOINTS = ['accept', 'process', 'special', 'result', 'licenses', 'case'] as const;

/**
 * The Yueyang city platform (working model of city-platform-api.md), of the national aggregation
 * family: accept first for project_no, then process / special / result under a per-case seq.
 */
export class NationalPlatformAdapter extends CityPlatformPort {
  readonly client: PlatformHttpClient;
  private readonly breakers: BreakerRegistry;
  private readonly calendar?: WorkingCalendar;

  constructor(settings: NationalPlatformSettings) {
    super();
    this.calendar = settings.calendar;
    this.breakers = new BreakerRegistry(
      { ...DEFAULT_BREAKER_SETTINGS, ...settings.breaker },
      { onStateChange: settings.onBreakerStateChange },
    );
    const limiter = new RateLimiter(settings.rateLimitPerSecond);
    this.client = new PlatformHttpClient(
      { baseUrl: settings.baseUrl, appId: settings.appId, secret: settings.secret, signAlg: settings.signAlg },
      this.breakers,
      limiter,
    );
  }

  async deliverStage(ctx: StageDeliveryContext): Promise<PlatformOutcome> {
    const { kase, department, matter, event } = ctx;
    const plan = planStage(kase, event.stage, event);
    const calls: PlatformCall[] = [];
    if (plan.call === 'NONE') return { kind: 'SKIPPED', reason: plan.reason, calls };
    if (plan.call === 'PARK') return { kind: 'PARK', code: plan.code, message: plan.reason, calls };

    if (plan.call === 'ACCEPT') {
      const answer = await this.client.call('accept', 'POST', '/cases/accept', acceptBody(kase, department, matter, event, this.calendar));
      calls.push(answer.call);
      const outcome = this.classify(answer, calls);
      if (outcome.kind !== 'DONE') return outcome;
      const projectNo = (answer.data as { project_no?: unknown } | null)?.project_no;
      if (typeof projectNo !== 'string' || !projectNo) {
        return { kind: 'PARK', code: 'NO_PROJECT_NO', message: '平台受理成功但未返回办件编号 accept answered 0 without a project_no', calls };
      }
      return { kind: 'DONE', projectNo, calls };
    }

    const projectNo = kase.platformProjectNo;
    if (!projectNo) {
      // Cannot happen while stages go in order; retried so the accept ahead of it can finish.
      return { kind: 'RETRY', code: 'NOT_YET_ACCEPTED', message: '案件尚未在平台受理 the case has no project_no yet', calls };
    }
    const seq = await ctx.seq();
    const path = `/cases/${encodeURIComponent(projectNo)}`;
    let answer: PlatformAnswer;
    if (plan.call === 'PROCESS') answer = await this.client.call('process', 'POST', `${path}/process`, processBody(seq, department, event));
    else if (plan.call === 'SPECIAL') answer = await this.client.call('special', 'POST', `${path}/special`, specialBody(seq, event));
    else answer = await this.client.call('result', 'POST', `${path}/result`, resultBody(seq, plan.resultType, event, ctx.kase.handedOver === true));
    calls.push(answer.call);
    const outcome = this.classify(answer, calls);
    // An electronic licence issued at completion is registered right after the result, as a step
    // of its own: a repeated result is an idempotent success, a repeated licence a second licence.
    // A certificate is issued when the department sent its number or the matter issues one (a
    // department system without a number field: the gateway numbers the licence).
    if (outcome.kind === 'DONE' && plan.call === 'RESULT' && plan.resultType === 0 && (event.result?.certificateNo || matter?.issuesCertificate)) return { ...outcome, followUp: 'LICENCE' };
    return outcome;
  }

  /**
   * The licence registration. The spec gives no way to ask whether a licence arrived, so a call
   * whose answer never came (a timeout, a reset connection) is not repeated: it is parked as
   * unknown for an operator to check with the platform, then rerun or confirm. Everything that
   * says it was not done (a business code, 429, 5xx, a refused connection) is retried as usual.
   */
  async deliverFollowUp(kind: FollowUpKind, ctx: FollowUpContext): Promise<PlatformOutcome> {
    const projectNo = ctx.kase.platformProjectNo;
    if (kind !== 'LICENCE' || !projectNo || !ctx.licence) return { kind: 'PARK', code: 'FOLLOW_UP_INVALID', message: `无法发送 cannot send follow-up ${kind} (project_no ${projectNo ?? 'missing'}${ctx.licence ? '' : ', no licence'})`, calls: [] };
    const answer = await this.client.call('licenses', 'POST', '/licenses', licenseBody(projectNo, ctx.department, ctx.event, ctx.licence), ctx.beforeSend);
    const calls = [answer.call];
    if (answer.transportError !== undefined && answer.mayHaveArrived) return { kind: 'PARK', code: LICENCE_OUTCOME_UNKNOWN, message: licenceUnknown(answer.transportError), calls };
    return this.classify(answer, calls);
  }

  async lastSeq(projectNo: string): Promise<number | null> {
    const answer = await this.client.call('case', 'GET', `/cases/${encodeURIComponent(projectNo)}`);
    const last = (answer.data as { last_seq?: unknown } | null)?.last_seq;
    return answer.code === '0' && typeof last === 'number' ? last : null;
  }

  /**
   * Reads a case number that cannot exist: `2004` (unknown) or `0` proves the platform is reached
   * and accepts our signature; 1001–1004 say the credentials are refused.
   */
  override baseUrl(): string {
    return this.client.baseUrl;
  }

  override async checkConnection(): Promise<PlatformConnectionCheck> {
    const a = await this.client.probe('/cases/GATEWAY-CONNECTION-TEST', 8000);
    return {
      ok: a.httpStatus === 200 && (a.code === '0' || a.code === '2004'),
      httpStatus: a.httpStatus,
      businessCode: a.code,
      message: a.error ?? a.msg,
    };
  }

  /** `GET /reconcile` (under the `case` breaker: both are the platform's read side). */
  override async reconcile(orgCode: string, date: string): Promise<ReconcileAnswer> {
    const answer = await this.client.call('case', 'GET', `/reconcile?org_code=${encodeURIComponent(orgCode)}&date=${encodeURIComponent(date)}`);
    if (answer.transportError !== undefined) return { ok: false, code: answer.httpStatus ? `HTTP_${answer.httpStatus}` : 'TRANSPORT', message: answer.transportError };
    if (answer.code !== '0' || !Array.isArray(answer.data)) return { ok: false, code: answer.code ?? 'UNKNOWN', message: answer.msg ?? '对账应答无数据 no data in the answer' };
    const cases: PlatformHeldCase[] = [];
    for (const d of answer.data as Record<string, unknown>[]) {
      if (typeof d?.project_no !== 'string') continue;
      cases.push({ projectNo: d.project_no, sourceCaseId: String(d.source_case_id ?? ''), lastSeq: Number(d.last_seq) || 0, closed: d.closed === true || d.closed === 1 });
    }
    return { ok: true, cases };
  }

  endpoints(): EndpointHealth[] {
    const snapshot = this.breakers.snapshot();
    return PLATFORM_ENDPOINTS.map((endpoint) => ({
      endpoint,
      state: this.breakers.state(endpoint),
      opens: snapshot.find((s) => s.name === endpoint)?.opens ?? 0,
    }));
  }

  isBlocked(): boolean {
    return this.breakers.anyOpen();
  }

  close(): void {
    this.breakers.shutdown();
    this.client.close();
  }

  private classify(answer: PlatformAnswer, calls: PlatformCall[]): PlatformOutcome {
    if (answer.transportError !== undefined) {
      return {
        kind: 'RETRY',
        code: answer.httpStatus === 429 ? 'HTTP_429' : answer.httpStatus ? `HTTP_${answer.httpStatus}` : 'TRANSPORT',
        message: answer.transportError,
        retryAfterMs: answer.retryAfterMs,
        calls,
      };
    }
    const code = answer.code ?? '';
    const known = BUSINESS_CODES[code];
    const detail = Array.isArray(answer.data)
      ? (answer.data as { field?: string; message?: string }[]).map((d) => `${d.field}: ${d.message}`).join('; ')
      : '';
    const message = [known?.zh, answer.msg, detail].filter(Boolean).join(' — ').slice(0, 2000);
    switch (known?.class) {
      case 'DONE':
        return { kind: 'DONE', calls };
      case 'ALERT':
        return { kind: 'ALERT', code, message, calls };
      case 'PARK':
        return { kind: 'PARK', code, message, calls };
      case 'GAP':
        return { kind: 'GAP', code, message, calls };
      case 'RETRY':
      case 'RETRY_THEN_PARK':
        return { kind: 'RETRY', code, message, calls };
      default:
        return { kind: 'PARK', code: code || 'UNKNOWN', message: `未知业务码 unknown business code "${code}": ${answer.msg ?? ''}`, calls };
    }
  }
}
