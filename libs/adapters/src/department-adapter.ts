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
}

/** One row of a batch file, read or not. */
export interface BatchRow {
  /** Data row number, 1-based, header excluded. */
  row: number;
  result: ParseResult;
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
