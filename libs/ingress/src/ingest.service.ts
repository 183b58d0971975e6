import { createHash } from 'node:crypto';
import {
  AdapterRegistry,
  DepartmentAdapter,
  HttpReply,
  IngestDecision,
  MappedEvent,
  ParseResult,
  defaultJsonReply,
} from '#gw/adapters';
import { CanonicalEvent, FieldIssue, ID_NUMBER_CERT_TYPES, maskFieldIssues, maskIssueText, quoteSentValue, validateCanonicalEvent } from '#gw/case';
import { Catalogue, MatterEntry } from '#gw/catalogue';
import { ErrorCodes, GatewayError, chineseFirst, PersonalDataCipher, StorageUnavailableError, loadGatewayConfig } from '#gw/common';
import { AcceptResult, AuditRepository, BatchWriterOptions, IngestBatchWriter, IngestRepository, InboundRecord, NOT_OF_DEPARTMENT_MESSAGE } from '#gw/persistence';
import { DepartmentAuth } from './department-auth';
import { IngressThrottle } from './ingress-throttle';
import { OutboxSignal } from './outbox-signal';

/** One request to `/events` as the HTTP layer hands it over. */
export interface EventRequest {
  department: string;
  authorization?: string;
  headers: Record<string, string>;
  contentType?: string;
  body: Buffer;
  correlationId?: string;
  receivedAt?: Date;
  /** The TCP peer (`clientAddressOf`): the key of the per-address limits. */
  clientAddress?: string;
  /** The address's limits were already applied before the body was read (`IngestService.throttleBeforeRead`). */
  addressChecked?: boolean;
}

/** Who sent a request, for the limits and the record of a refusal. */
export interface RequestClient {
  address?: string;
  /** The per-address limits were applied already (before the body was read). */
  addressChecked?: boolean;
  /** Bytes the request carried (a batch file is not read before it is admitted: its declared length). */
  bytes?: number;
}

/** Longest caller-supplied text a refusal's record keeps of any one value. */
const REFUSAL_TEXT_CAP = 64;

/** The outcome of one event (a request, a batch row or a replay). */
export interface EventOutcome extends IngestDecision {
  inboundId?: string;
  /** A 429: when the sender may try again. */
  retryAfterSeconds?: number;
}

export function parseContentType(value: string | undefined): { mediaType: string; charset?: string } {
  const [type, ...params] = String(value ?? '').split(';');
  const charset = params.map((p) => p.trim().split('=')).find(([k]) => k?.toLowerCase() === 'charset')?.[1];
  return { mediaType: type.trim().toLowerCase(), charset: charset?.replace(/"/g, '').trim().toLowerCase() };
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** Limits as `loadGatewayConfig` sets them by default (an IngestService built without a config). */
const DEFAULT_INGRESS_LIMITS = loadGatewayConfig({}).ingressLimits;

/** Request headers a refusal's record keeps (each cut to `REFUSAL_TEXT_CAP`); nothing else of the request. */
const REFUSAL_HEADERS = ['content-type', 'content-length', 'user-agent', 'x-batch-id', 'x-forwarded-for'];

/** The bounded record of a refused request (`IngestService.refuse`). */
function refusalRecord(record: InboundRecord, client: RequestClient): InboundRecord {
  const headers: Record<string, string> = {};
  for (const name of REFUSAL_HEADERS) {
    const value = record.headers?.[name];
    if (value !== undefined) headers[name] = value.slice(0, REFUSAL_TEXT_CAP);
  }
  if (client.address) headers['x-gateway-client-address'] = client.address.slice(0, REFUSAL_TEXT_CAP);
  const bytes = client.bytes ?? record.body?.length;
  if (bytes !== undefined) headers['x-gateway-body-bytes'] = String(bytes);
  return {
    department: record.department.slice(0, 16),
    channel: record.channel,
    receivedAt: record.receivedAt,
    mediaType: record.mediaType?.slice(0, REFUSAL_TEXT_CAP) ?? null,
    headers,
    body: null,
    bodySha256: record.bodySha256 ?? null,
    correlationId: record.correlationId,
    batchId: null,
  };
}

const DUPLICATE_MESSAGE = '重复事件 duplicate of an accepted event';

/**
 * What the pipeline decides about a read event before anything is stored (`IngestService.judge`).
 * A valid event carries the validated copy (ID numbers converted) and the number its case is found
 * by (`applicantKey`: the first applicant's ID number or credit code, stored only as its keyed hash).
 */
export type EventVerdict =
  | { kind: 'unreadable'; code: string; message: string; errors: FieldIssue[] }
  | { kind: 'restricted'; matter: MatterEntry }
  | { kind: 'invalid'; errors: FieldIssue[] }
  | ValidEvent;

export interface ValidEvent {
  kind: 'valid';
  event: CanonicalEvent;
  warnings: FieldIssue[];
  applicantKey: string | null;
}

/** Largest department sequence number the store keeps (`case_event.source_seq`, a signed 32-bit int). */
const MAX_SOURCE_SEQ = 2_147_483_647;

/**
 * Where the pipeline keeps what it decides: the shared group-commit queue (`IngestRepository`) or
 * the writer of one batch file (`IngestBatchWriter`, larger transactions). Same calls, same outcomes.
 */
export type IngestStore = Pick<IngestRepository, 'findAcceptedEvent' | 'saveInbound' | 'acceptEvent'>;

/** Told the outcome of every event request as it is answered (metrics). Must not throw. */
export interface IngestObserver {
  onOutcome(department: string, outcome: string, httpStatus: number): void;
}

/** Optional provider of an `IngestObserver` for the ingress module. */
export const INGEST_OBSERVER = Symbol('INGEST_OBSERVER');

/**
 * The ingress pipeline: authenticate, read through the department's adapter, refuse what may not
 * pass, validate, and store durably — answering 2xx only after the commit. Whatever is not
 * accepted is kept for inspection and replay; a storage failure answers 503 and acknowledges nothing.
 */
export class IngestService {
  constructor(
    private readonly catalogue: Catalogue,
    private readonly adapters: AdapterRegistry,
    private readonly auth: DepartmentAuth,
    private readonly ingest: IngestRepository,
    private readonly audit: AuditRepository,
    private readonly cipher: PersonalDataCipher,
    private readonly signal: OutboxSignal,
    private readonly observer?: IngestObserver,
    private readonly throttle: IngressThrottle = new IngressThrottle(DEFAULT_INGRESS_LIMITS),
  ) {}

  /**
   * The per-address limits, applied before a request's body is read; null when it may go on.
   * The answer is in the department's format when the department is known.
   */
  throttleBeforeRead(department: string, address: string, authorization?: string): HttpReply | null {
    const refusal = this.throttle.beforeRequest(address, this.hasValidToken(authorization));
    return refusal ? this.formatted(department, refusal) : null;
  }

  /** Whether the request carries some department's token (headers only: nothing is read yet). */
  private hasValidToken(authorization: string | undefined): boolean {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
    return !!m && this.auth.departmentOf(m[1]) !== null;
  }

  private formatted(department: string, decision: EventOutcome): HttpReply {
    const code = String(department ?? '').toUpperCase();
    const d = decision.httpStatus < 300 ? decision : maskedDecision(decision);
    const known = this.adapters.get(code);
    this.observer?.onOutcome(code, d.code, d.httpStatus);
    // Called as a method: a formatter may read its adapter's state (the mapped adapter's reply template).
    const reply = known?.formatReply ? known.formatReply(d) : defaultJsonReply(d);
    return d.retryAfterSeconds ? { ...reply, headers: { ...reply.headers, 'Retry-After': String(d.retryAfterSeconds) } } : reply;
  }

  /** Handles `POST /api/v1/departments/{dept}/events`; returns the reply in the department's format. */
  async receiveEvent(req: EventRequest): Promise<HttpReply> {
    const code = String(req.department ?? '').toUpperCase();
    const reply = (d: EventOutcome) => this.formatted(code, d);
    const { mediaType, charset } = parseContentType(req.contentType);
    const record: InboundRecord = {
      department: code.slice(0, 16) || 'UNKNOWN',
      channel: 'event',
      receivedAt: req.receivedAt ?? new Date(),
      mediaType: req.contentType?.slice(0, 100) ?? null,
      headers: req.headers,
      body: req.body,
      bodySha256: sha256(req.body),
      correlationId: req.correlationId,
      clientAddress: req.clientAddress,
    };

    try {
      const admitted = await this.admit(req.department, req.authorization, record, { address: req.clientAddress, addressChecked: req.addressChecked, bytes: req.body.length });
      if ('refusal' in admitted) return reply(admitted.refusal);
      const adapter = admitted.adapter;
      if (!adapter.eventMediaTypes.includes(mediaType)) {
        const outcome = await this.quarantine(record, 415, 'UNREADABLE', ErrorCodes.MEDIA_TYPE_UNSUPPORTED,
          `不支持的内容类型 Content-Type ${quoteSentValue(mediaType)} is not accepted; send ${adapter.eventMediaTypes.join(' or ') || 'batches to /batches'}`);
        return reply(outcome);
      }
      const parsed = adapter.parseEvent({ department: code, mediaType, charset, headers: req.headers, body: req.body, receivedAt: record.receivedAt });
      const outcome = await this.processParsed(adapter, record, parsed);
      return reply(outcome);
    } catch (e) {
      if (e instanceof GatewayError) return reply({ httpStatus: e.httpStatus, code: e.code, message: e.message, errors: e.errors });
      throw new StorageUnavailableError(e);
    }
  }

  /**
   * The gate every department request passes first: known department, not classified, its own
   * token, enabled. Refusals are kept (except a classified department's, which is only audited).
   */
  async admit(department: string, authorization: string | undefined, record: InboundRecord, client: RequestClient = {}): Promise<{ adapter: DepartmentAdapter } | { refusal: EventOutcome }> {
    const code = String(department ?? '').toUpperCase();
    const address = client.address ?? 'unknown';
    if (!client.addressChecked) {
      const over = this.throttle.beforeRequest(address, this.hasValidToken(authorization));
      if (over) return { refusal: over };
    }
    const dept = this.catalogue.department(code);
    if (!dept) {
      return { refusal: await this.refuse(record, client, 404, ErrorCodes.DEPARTMENT_UNKNOWN, `未知部门 unknown department ${quoteSentValue(String(department).slice(0, REFUSAL_TEXT_CAP))}`) };
    }
    if (dept.restricted) {
      const over = this.throttle.onRefusal(address);
      if (over) return { refusal: over };
      // Classified: the payload is neither read nor kept; only the refusal is audited.
      await this.audit.append({
        actor: `dept:${code}`,
        action: 'INGRESS_REFUSED_RESTRICTED',
        targetType: 'department',
        targetId: code,
        detail: { bytes: record.body?.length ?? null, channel: record.channel, reason: 'department data is classified' },
        correlationId: record.correlationId ?? undefined,
        outcome: 'failure',
        address: client.address ?? record.clientAddress,
      });
      return { refusal: { httpStatus: 403, code: ErrorCodes.DEPARTMENT_RESTRICTED, message: "该部门数据涉密，不经网关传输 this department's matters are classified and never pass the gateway" } };
    }
    try {
      await this.auth.verify(code, authorization);
    } catch (e) {
      const err = e as GatewayError;
      return { refusal: await this.refuse(record, client, err.httpStatus, err.code, err.message) };
    }
    const over = this.throttle.forDepartment(code);
    if (over) return { refusal: over };
    const adapter = this.adapters.get(code);
    if (!dept.enabled || !adapter) {
      return { refusal: await this.refuse(record, client, 404, ErrorCodes.DEPARTMENT_DISABLED, `部门未启用 department ${code} is not enabled`) };
    }
    return { adapter };
  }

  /**
   * Takes one read (or unreadable) event through the rest of the pipeline. Shared by single events,
   * batch rows and replays so all three are judged by exactly the same rules (`judge`, then `settle`).
   */
  processParsed(adapter: DepartmentAdapter, record: InboundRecord, parsed: ParseResult, store: IngestStore = this.ingest): Promise<EventOutcome> {
    return this.settle(adapter, record, this.judge(adapter, record, parsed), store);
  }

  /**
   * What the pipeline makes of a read event before anything is stored or looked up: no I/O, so a
   * batch can judge its rows as it reads them. Notes the department's event id on the record.
   */
  judge(adapter: DepartmentAdapter, record: InboundRecord, parsed: ParseResult): EventVerdict {
    if (!parsed.ok) {
      return { kind: 'unreadable', code: parsed.code, message: parsed.message, errors: this.phrase(adapter, parsed.issues ?? []) };
    }
    const mapped: MappedEvent = parsed.event;
    record.sourceEventId = mapped.sourceEventId || null;

    const matter = typeof mapped.event.matterCode === 'string' ? this.catalogue.matter(mapped.event.matterCode) : undefined;
    if (matter?.restriction) return { kind: 'restricted', matter };

    const issues: FieldIssue[] = [...mapped.issues];
    const validation = validateCanonicalEvent(mapped.event);
    for (const e of validation.errors) {
      // A mapping issue already explains the field better than the generic shape rule.
      if (!issues.some((i) => i.field === e.field)) issues.push(e);
    }
    // The department's sequence is stored as a 32-bit integer (MariaDB `int`): larger is refused
    // here (422) rather than by the database, which would fail the request — or a batch — with 503.
    const seq = mapped.event.sourceSeq;
    if (typeof seq === 'number' && seq > MAX_SOURCE_SEQ && !issues.some((i) => i.field === 'sourceSeq')) {
      issues.push({ field: 'sourceSeq', code: 'VALUE_TOO_LARGE', message: `the sequence number must be at most ${MAX_SOURCE_SEQ}` });
    }
    const code = mapped.event.matterCode;
    if (typeof code === 'string' && !issues.some((i) => i.field === 'matterCode')) {
      if (!matter) issues.push({ field: 'matterCode', code: 'MATTER_UNKNOWN', message: `matter ${quoteSentValue(code)} is not in the catalogue` });
      else if (matter.department !== adapter.department.code) {
        issues.push({ field: 'matterCode', code: 'MATTER_NOT_OF_DEPARTMENT', message: `matter ${code} belongs to ${matter.department}` });
      }
    }
    const ev = validation.event;
    // Required unless the licence table says the department's system sends none (RSJ 职业资格证书补发):
    // then the gateway numbers the licence (see LicenceRegistry) and the completion is not refused.
    if (ev && matter?.issuesCertificate && ev.stage === 'COMPLETED' && ev.result?.type === 0 && !ev.result.certificateNo && this.catalogue.licenceOf(matter.taskCode)?.numberFrom !== 'GATEWAY') {
      issues.push({ field: 'result.certificateNo', code: 'CERTIFICATE_NO_REQUIRED', message: 'this matter issues a certificate: its number is required' });
    }
    if (issues.length || !ev) return { kind: 'invalid', errors: this.phrase(adapter, issues) };
    const first = ev.applicants[0];
    const applicantKey = first && (ID_NUMBER_CERT_TYPES.has(first.certType) || first.certType === 'USCC') ? first.certNo : null;
    return { kind: 'valid', event: ev, warnings: validation.warnings, applicantKey };
  }

  /**
   * Stores what `judge` decided: a refusal is audited, anything else not accepted is kept in the
   * quarantine, a valid event is accepted — unless the department's event id was accepted before,
   * which answers as a duplicate whatever this copy holds.
   */
  async settle(adapter: DepartmentAdapter, record: InboundRecord, verdict: EventVerdict, store: IngestStore = this.ingest): Promise<EventOutcome> {
    if (verdict.kind === 'unreadable') {
      return this.quarantine(record, 400, 'UNREADABLE', verdict.code, verdict.message, verdict.errors, store);
    }
    if (verdict.kind === 'restricted') {
      // Refused before anything of the payload is kept.
      const { matter } = verdict;
      await this.audit.append({
        actor: `dept:${adapter.department.code}`,
        action: 'INGRESS_REFUSED_RESTRICTED',
        targetType: 'matter',
        targetId: matter.taskCode,
        detail: { restriction: matter.restriction, channel: record.channel, row: record.rowNo ?? undefined },
        correlationId: record.correlationId ?? undefined,
        outcome: 'failure',
        address: record.clientAddress,
      });
      const why = matter.restriction === 'CLASSIFIED' ? '涉密事项 classified matter' : '上级系统办理的事项 matter handled in an upper level\'s own system';
      return { httpStatus: 403, code: ErrorCodes.MATTER_RESTRICTED, message: `${why}: ${matter.taskCode} may not pass the gateway` };
    }
    if (record.sourceEventId) {
      const prior = await store.findAcceptedEvent(adapter.department.code, record.sourceEventId);
      if (prior) {
        const inboundId = await store.saveInbound(record, { outcome: 'DUPLICATE', httpStatus: 200, eventId: prior.id, caseId: prior.caseId });
        return { httpStatus: 200, code: 'DUPLICATE', message: DUPLICATE_MESSAGE, eventId: prior.id, caseId: prior.caseId, status: prior.stage, inboundId };
      }
    }
    if (verdict.kind === 'invalid') {
      return this.quarantine(record, 422, 'REJECTED', ErrorCodes.VALIDATION_FAILED, '数据校验未通过 the event is readable but invalid', verdict.errors, store);
    }
    const hash = verdict.applicantKey === null ? null : this.cipher.lookupHash(verdict.applicantKey);
    return this.accepted(adapter, await store.acceptEvent(record, verdict.event, verdict.warnings, hash));
  }

  /** A writer for the rows of one batch file: same rules, larger transactions (`settle(…, store)`, `IngestBatchWriter.submitAccept`). */
  batchStore(options?: Partial<BatchWriterOptions>): IngestBatchWriter {
    return this.ingest.batchWriter(options);
  }

  /**
   * The answer for what the store did with a valid event (accepted, a duplicate found in the
   * store, or an impossible stage move). Batch rows stored without a promise each use it too.
   */
  accepted(adapter: DepartmentAdapter, result: AcceptResult): EventOutcome {
    if (result.kind === 'INVALID_TRANSITION') {
      return {
        httpStatus: 422,
        code: ErrorCodes.STAGE_TRANSITION_INVALID,
        message: `环节顺序不可能 impossible stage move: ${result.issue.message}`,
        errors: this.phrase(adapter, [{ field: 'stage', code: result.issue.code, message: result.issue.message }]),
        inboundId: result.inboundId,
      };
    }
    if (result.kind === 'NOT_OF_DEPARTMENT') {
      return {
        httpStatus: 422,
        code: ErrorCodes.CASE_NOT_OF_DEPARTMENT,
        message: NOT_OF_DEPARTMENT_MESSAGE,
        errors: this.phrase(adapter, [{ field: 'platformProjectNo', code: ErrorCodes.CASE_NOT_OF_DEPARTMENT, message: NOT_OF_DEPARTMENT_MESSAGE }]),
        inboundId: result.inboundId,
      };
    }
    if (result.kind === 'ACCEPTED') this.signal.notify();
    return {
      httpStatus: result.kind === 'ACCEPTED' ? 202 : 200,
      code: result.kind,
      message: result.kind === 'ACCEPTED' ? '已接收 accepted' : DUPLICATE_MESSAGE,
      eventId: result.eventId,
      caseId: result.caseId,
      status: result.stage,
      inboundId: result.inboundId,
    };
  }

  private phrase(adapter: DepartmentAdapter, issues: FieldIssue[]): FieldIssue[] {
    // Masked here, where every issue of an event passes: its messages may quote what was sent.
    // Chinese first from the code catalogue: the department's staff and the operators read these.
    return maskFieldIssues(issues.map((i) => ({ field: adapter.sourceField(i.field), code: i.code, message: chineseFirst(i.code, i.message, 'field') })));
  }

  private async quarantine(
    record: InboundRecord,
    httpStatus: number,
    outcome: 'UNREADABLE' | 'REJECTED',
    code: string,
    message: string,
    errors: FieldIssue[] = [],
    store: IngestStore = this.ingest,
  ): Promise<EventOutcome> {
    // The last line before the issues are stored and answered (a whole file's issues come from its reader).
    const masked = maskFieldIssues(errors);
    const inboundId = await store.saveInbound(record, { outcome, httpStatus, errorCode: code, errors: masked });
    return { httpStatus, code, message: maskIssueText(chineseFirst(code, message)), errors: masked, inboundId };
  }

  /** Keeps a payload that cannot be read at all (a whole batch file) in the quarantine. */
  async keepUnreadable(record: InboundRecord, code: string, message: string, errors: FieldIssue[] = [], httpStatus = 400): Promise<string> {
    return (await this.quarantine(record, httpStatus, 'UNREADABLE', code, message, errors)).inboundId!;
  }

  /**
   * Refused before reading (unknown department, missing, invalid or another department's token):
   * the caller has not shown it may store anything, so only a small record is kept — the
   * department code as addressed, the reason, the time, the size and SHA-256 of the body, the
   * caller's address and a few request headers, each cut to 64 characters — never the body or
   * the whole headers (20 posts of 1 MiB to an unknown department grew the database by 23 MB).
   * Refusals per address are limited; over the limit, not even this record is kept.
   */
  private async refuse(record: InboundRecord, client: RequestClient, httpStatus: number, code: string, message: string): Promise<EventOutcome> {
    const over = this.throttle.onRefusal(client.address ?? 'unknown');
    if (over) return over;
    const inboundId = await this.ingest.saveInbound(refusalRecord(record, client), { outcome: 'REFUSED', httpStatus, errorCode: code });
    return { httpStatus, code, message: maskIssueText(message), inboundId };
  }
}

/** A refusal as it may be answered: its message and issues masked (they may quote what was sent). */
function maskedDecision(d: EventOutcome): EventOutcome {
  return { ...d, message: maskIssueText(d.message), errors: d.errors && maskFieldIssues(d.errors) };
}
