import type { CanonicalEvent } from '#gw/case';
import type { DepartmentEntry, MatterEntry } from '#gw/catalogue';

/** What the platform port needs to know about the case a stage belongs to. */
export interface PlatformCase {
  id: string;
  sourceCaseNo: string;
  /** Issued by the platform at accept, or known up front for a case that came in online. */
  platformProjectNo: string | null;
  online: boolean;
  location: string | null;
  /**
   * The department has already reported 领证/送达 (DELIVERED) when this stage goes out: a result
   * sent now can say the result was handed over (`is_delivery_results`). Later, the platform has
   * closed the case and takes no further stage.
   */
  handedOver?: boolean;
}

export interface StageDeliveryContext {
  kase: PlatformCase;
  department: DepartmentEntry;
  matter: MatterEntry | undefined;
  event: CanonicalEvent;
  /** Allocates (once, durably) the per-case sequence number this message carries; retries reuse it. */
  seq(): Promise<number>;
}

/**
 * A call that follows a delivered stage but is not idempotent on the platform, so it is its own
 * outbox step (made once, its outcome recorded on its own): the licence a result issued.
 */
export type FollowUpKind = 'LICENCE';

/** The licence a LICENCE step registers, as the gateway stored it (the same on every retry). */
export interface LicenceToRegister {
  /** 证照类型代码 of config/licence-types.yaml. */
  typeCode: string;
  typeName: string;
  /** The department's certificate number, or the identifier when its system sends none. */
  certificateNo: string;
  /** 电子证照标识 (GB/T 36904): kept by the gateway; the platform's /licenses has no field for it. */
  identifier: string;
  /** yyyy-MM-dd, Beijing time. */
  issueDate: string;
}

export interface FollowUpContext extends Omit<StageDeliveryContext, 'seq'> {
  /** For a LICENCE step: what to register. */
  licence?: LicenceToRegister;
  /**
   * Called (and awaited) right before the request may leave, after rate limiting: records durably
   * that the call started, so a dispatcher that dies before the answer does not send it again.
   */
  beforeSend(): Promise<void>;
}

/** One HTTP call made to the platform, for the delivery history. */
export interface PlatformCall {
  endpoint: string;
  httpStatus: number | null;
  businessCode: string | null;
  durationMs: number;
  message: string | null;
}

export type PlatformOutcome =
  /** Received; for an accept, the platform's project_no. */
  | { kind: 'DONE'; projectNo?: string; calls: PlatformCall[]; followUp?: FollowUpKind }
  /** Nothing to send for this stage on this platform (e.g. 领证 after the result closed the case). */
  | { kind: 'SKIPPED'; reason: string; calls: PlatformCall[] }
  /** Transient: try again later (after `retryAfterMs` when the platform said so). */
  | { kind: 'RETRY'; code: string; message: string; retryAfterMs?: number; calls: PlatformCall[] }
  /** Permanently refused: park with the platform's reason for an operator. */
  | { kind: 'PARK'; code: string; message: string; calls: PlatformCall[] }
  /** Our configuration is wrong (signature, app id): do not hammer; tell an operator. */
  | { kind: 'ALERT'; code: string; message: string; calls: PlatformCall[] }
  /** The platform lacks an earlier seq of this case: resend from `lastSeq + 1`. */
  | { kind: 'GAP'; code: string; message: string; calls: PlatformCall[] };

export interface EndpointHealth {
  endpoint: string;
  state: 'CLOSED' | 'OPEN' | 'HALF_OPEN';
  opens: number;
}

/** One case the platform holds for an organisation and date (`GET /reconcile`). */
export interface PlatformHeldCase {
  projectNo: string;
  sourceCaseId: string;
  lastSeq: number;
  closed: boolean;
}

/** The operators' connection test: one signed read, made now, outside the breaker and the rate limit. */
export interface PlatformConnectionCheck {
  /** The platform answered and accepted our signature (an unknown case number is a fine answer). */
  ok: boolean;
  httpStatus: number | null;
  businessCode: string | null;
  message: string | null;
}

export type ReconcileAnswer = { ok: true; cases: PlatformHeldCase[] } | { ok: false; code: string; message: string };

/**
 * The city platform behind one port: another province's interface is another implementation.
 * Implementations decide which calls a canonical stage needs and classify every answer.
 */
export abstract class CityPlatformPort {
  /** Delivers one stage of one case. Never throws for platform answers; throws only for bugs. */
  abstract deliverStage(ctx: StageDeliveryContext): Promise<PlatformOutcome>;
  /** Makes a follow-up call (`DONE.followUp` of a stage); an answer that may never have come back is a PARK. */
  abstract deliverFollowUp(kind: FollowUpKind, ctx: FollowUpContext): Promise<PlatformOutcome>;
  /** The last seq the platform holds for a case (gap recovery), or null when it cannot say. */
  abstract lastSeq(projectNo: string): Promise<number | null>;
  /** State of each endpoint's circuit breaker. */
  abstract endpoints(): EndpointHealth[];
  /** What the platform holds for an organisation and date (对账); a platform without it says so. */
  async reconcile(orgCode: string, date: string): Promise<ReconcileAnswer> {
    void orgCode;
    void date;
    return { ok: false, code: 'NOT_SUPPORTED', message: '该平台接口没有对账 this platform offers no reconciliation' };
  }
  /** Where calls go (the connection test tries the network steps against it); null when there is no single address. */
  baseUrl(): string | null {
    return null;
  }
  /** A signed read made now for the operators' connection test; a platform without one says so. */
  async checkConnection(): Promise<PlatformConnectionCheck | null> {
    return null;
  }
  /** True while calls should not be attempted (a breaker is open): the dispatcher stops claiming. */
  abstract isBlocked(): boolean;
  abstract close(): void;
}
