import type { Readable } from 'node:stream';
import type { CanonicalEvent, FieldIssue } from '#gw/case';
import type { Catalogue, DepartmentEntry } from '#gw/catalogue';

/** A request exactly as a department system sent it. */
export interface RawInbound {
  /** Department code from the catalogue, upper case (`SCJG`). */
  department: string;
  /** Lower-case media type without parameters (`application/json`). */
  mediaType: string;
  /** The `charset` parameter of Content-Type, lower case, when given. */
  charset?: string;
  headers: Readonly<Record<string, string>>;
  body: Buffer;
  receivedAt: Date;
}

/** One event mapped from a department's dialect, not yet validated. */
export interface MappedEvent {
  /** The department's own id of the event; the idempotency key. */
  sourceEventId: string;
  /** The canonical candidate; validated afterwards by validateCanonicalEvent. */
  event: Partial<CanonicalEvent>;
  /** Problems met while mapping (unknown status code, unreadable time), by canonical field path. */
  issues: FieldIssue[];
  /** For batch files: the data row number, 1-based, header excluded. */
  row?: number;
}

/** The payload could not be read at all (not JSON, broken XML, wrong encoding): HTTP 400. */
export interface Unreadable {
  code: string;
  message: string;
  issues?: FieldIssue[];
}

export type ParseResult = { ok: true; event: MappedEvent } | ({ ok: false } & Unreadable);

/** What the gateway decided about one request, for the adapter to phrase in its own reply format. */
export interface IngestDecision {
  httpStatus: number;
  /** `ACCEPTED`, `DUPLICATE` or an error code. */
  code: string;
  message: string;
  eventId?: string;
  caseId?: string;
  /** Canonical stage (or status) of the accepted event. */
  status?: string;
  /** Failing fields, already phrased with the department's own field names. */
  errors?: FieldIssue[];
}

export interface HttpReply {
  status: number;
  contentType: string;
  body: Buffer | string;
  /** Headers besides the content type (`Retry-After` on a 429). */
  headers?: Record<string, string>;
}

/**
 * One department system's dialect. Implementations live in `departments/<adapter>/` and are found
 * by the catalogue's `adapter` name, so adding a department touches only its folder and the catalogue.
 */
export interface DepartmentAdapter {
  /** The department this instance serves. */
  readonly department: DepartmentEntry;
  /** Media types accepted on `/events`; anything else answers 415. */
  readonly eventMediaTypes: readonly string[];
  /** Reads one event request. Must never throw: unreadable input is returned as `{ok:false}`. */
  parseEvent(raw: RawInbound): ParseResult;
  /** The department's own name of a canonical field, for error answers (`agent.certNo` → `agent.idNo`). */
  sourceField(canonicalPath: string): string;
  /** Phrases the answer in the department's format; JSON per departments.md when absent. */
  formatReply?(decision: IngestDecision): HttpReply;
  /** Present for departments that send batch files to `/batches`. */
  readonly batch?: BatchReader;
  /**
   * How platform callbacks reach this department's system: `push` (the gateway POSTs
   * `formatDelivery` to the department's URL) or `inbox` (the department fetches them). Absent: push.
   */
  readonly deliveryMode?: 'push' | 'inbox';
  /** The request carrying one callback to the department system, in its own format. */
  formatDelivery?(delivery: DepartmentDelivery): OutboundRequest;
  /** Reads the department system's answer to a delivery. Must never throw. */
  parseDeliveryReply?(status: number, contentType: string | undefined, body: Buffer): DeliveryReply;
}

/** Callback types that are delivered to a department system. */
export type DeliveryType = 'ONLINE_APPLICATION' | 'SUPPLEMENT_SUBMITTED' | 'WITHDRAWN' | 'URGE';

/** One platform callback on its way to the department that handles the case. */
export interface DepartmentDelivery {
  type: DeliveryType;
  callbackId: string;
  /** The platform's project_no (申办号). */
  projectNo: string;
  /** `yyyy-MM-dd HH:mm:ss` Beijing time, as the platform sent it. */
  occurredAt: string;
  /** The callback's `data` as the platform sent it (city-platform-api.md). */
  data: Record<string, unknown>;
  /** The department's own case number, once known (follow-ups of an application it already took). */
  departmentCaseNo?: string | null;
  /** The matter (事项实施编码) of the case; follow-up callbacks do not repeat it. */
  matterCode?: string | null;
  /** For follow-ups: the online application's `data`, for systems that need the applicant on every message. */
  application?: Record<string, unknown> | null;
}

export interface OutboundRequest {
  contentType: string;
  body: Buffer;
}

export interface DeliveryReply {
  ok: boolean;
  /** A refusal that will not change by retrying (the system rejected the content). */
  permanent?: boolean;
  /** The department's new case number for an online application, when it answers one. */
  departmentCaseNo?: string;
  message: string;
}

/** One row of a batch file, read or not. */
export interface BatchRow {
  /** Data row number, 1-based, header excluded. */
  row: number;
  result: ParseResult;
  /**
   * The row as a self-contained one-row file (header and this row, UTF-8), kept as the row's raw
   * payload so an operator can replay it through the batch reader after a mapping fix.
   */
  raw?: Buffer;
}

/** Reads a department's batch file as a stream: memory must not grow with the file. */
export interface BatchReader {
  /** Media types accepted on `/batches`; anything else answers 415. */
  readonly mediaTypes: readonly string[];
  /** Yields the rows in file order. A file that cannot be read at all throws an UnreadableError. */
  readRows(body: Readable, raw: Omit<RawInbound, 'body'>): AsyncIterable<BatchRow>;
}

/** Thrown by a batch reader when the file as a whole cannot be read (bad header row, bad encoding). */
export class UnreadableError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly issues: FieldIssue[] = [],
  ) {
    super(message);
  }
}

/** What a department adapter module exports as `createAdapter`. */
export type DepartmentAdapterFactory = (department: DepartmentEntry, catalogue: Catalogue) => DepartmentAdapter;

/** The default JSON reply of departments.md. */
export function defaultJsonReply(decision: IngestDecision): HttpReply {
  const ok = decision.httpStatus >= 200 && decision.httpStatus < 300;
  const body = ok
    ? { eventId: decision.eventId, caseId: decision.caseId, status: decision.status ?? decision.code }
    : { code: decision.code, message: decision.message, errors: decision.errors ?? [] };
  return { status: decision.httpStatus, contentType: 'application/json; charset=utf-8', body: JSON.stringify(body) };
}
