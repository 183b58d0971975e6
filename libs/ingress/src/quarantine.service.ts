import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { AdapterRegistry, ParseResult, UnreadableError } from '#gw/adapters';
import { maskFieldIssues, maskFreeText, maskIssueText } from '#gw/case';
import { ErrorCodes, GatewayError, StorageUnavailableError } from '#gw/common';
import { AuditRepository, InboundMessageEntity, InboundRecord, QuarantineFilter, QuarantineRepository } from '#gw/persistence';
import { IngestService, parseContentType } from './ingest.service';
import { decodeRaw, encodeRaw, maskRaw, personalValuesOf, unmaskCorrected } from './quarantine-raw';

/** A quarantined message as the dashboard shows it for reading and correcting: decoded and masked. */
export interface RawView {
  id: string;
  department: string;
  channel: string;
  mediaType: string | null;
  charset: 'utf-8' | 'gb18030';
  /** The message, decoded and masked; what a correction starts from. */
  text: string;
  editable: boolean;
  errorCode: string | null;
  errors: { field: string; code: string; message: string }[];
  /** The department's own field names that failed, to highlight in the text. */
  failingFields: string[];
  /** Earlier replays and corrections of this entry, newest first, with what became of each. */
  attempts: { at: string; channel: string; outcome: string; code: string | null }[];
}

/** Longest correction accepted (as the operator routes' body limit; one event, batch rows far smaller). */
const MAX_CORRECTION_CHARS = 64 * 1024;

export interface ReplayResult {
  id: string;
  httpStatus: number;
  code: string;
  message?: string;
  eventId?: string;
  caseId?: string;
  errors?: { field: string; code: string; message: string }[];
}

/**
 * Lists what could not be taken and replays it through the department's current adapter — after a
 * mapping or catalogue fix — by exactly the same pipeline as a fresh request. Replays are audited
 * and idempotent: an entry resolved by an earlier replay is not processed again.
 */
export class QuarantineService {
  constructor(
    private readonly quarantine: QuarantineRepository,
    private readonly adapters: AdapterRegistry,
    private readonly ingest: IngestService,
    private readonly audit: AuditRepository,
  ) {}

  async list(filter: QuarantineFilter) {
    const { total, rows } = await this.quarantine.list(filter);
    return {
      total,
      items: rows.map((m) => ({
        id: m.id,
        department: m.department,
        channel: m.channel,
        receivedAt: m.receivedAt.toISOString(),
        mediaType: m.mediaType,
        // Masked when shown, whatever was stored (rows kept before issues were masked when stored).
        sourceEventId: m.sourceEventId === null ? null : maskFreeText(m.sourceEventId),
        outcome: m.outcome,
        httpStatus: m.httpStatus,
        errorCode: m.errorCode,
        errors: m.errors ? maskFieldIssues(JSON.parse(m.errors)) : [],
        batchId: m.batchId,
        rowNo: m.rowNo,
        correlationId: m.correlationId,
      })),
    };
  }

  async replayOne(id: string, actor: string, correlationId?: string, address?: string): Promise<ReplayResult> {
    const entry = await this.entryOf(id);
    const result = entry.resolvedAt ? { id, httpStatus: 200, code: 'ALREADY_RESOLVED', message: '已由之前的重放解决 resolved by an earlier replay' } : await this.replay(entry, correlationId);
    await this.audit.append({ actor, action: 'QUARANTINE_REPLAY', targetType: 'inbound', targetId: id, detail: { department: entry.department, httpStatus: result.httpStatus, code: result.code }, correlationId, address, outcome: result.httpStatus < 300 ? 'success' : 'failure' });
    return result;
  }

  async replayMatching(filter: QuarantineFilter, actor: string, correlationId?: string, address?: string) {
    const ids = await this.quarantine.ids(filter);
    const results: ReplayResult[] = [];
    for (const id of ids) {
      const entry = await this.quarantine.get(id);
      if (entry && !entry.resolvedAt) results.push(await this.replay(entry, correlationId));
    }
    await this.audit.append({
      actor,
      action: 'QUARANTINE_REPLAY_MATCHING',
      targetType: 'inbound',
      detail: { filter, replayed: results.length, accepted: results.filter((r) => r.httpStatus < 300).length },
      correlationId,
      address,
    });
    return { replayed: results.length, results };
  }

  /** The kept message decoded and masked, its failing fields, and what earlier replays made of it. */
  async raw(id: string): Promise<RawView> {
    const entry = await this.entryOf(id);
    const { decoded, masked } = await this.masked(entry);
    const errors = entry.errors ? maskFieldIssues(JSON.parse(entry.errors) as ReplayResult['errors'] & object) : [];
    const attempts = await this.quarantine.replaysOf(entry.id);
    return {
      id: entry.id,
      department: entry.department,
      channel: entry.channel,
      mediaType: entry.mediaType,
      charset: decoded.charset,
      text: masked.text,
      editable: decoded.editable,
      errorCode: entry.errorCode,
      errors,
      failingFields: [...new Set(errors.map((e) => e.field.replace(/\[\d+\]/g, '').split('.').pop()!).filter(Boolean))],
      attempts: attempts.map((a) => ({ at: a.receivedAt.toISOString(), channel: a.channel, outcome: a.outcome, code: a.errorCode })),
    };
  }

  /**
   * Replays the message as the operator corrected it. The original stays as it was (the entry is
   * only marked resolved when the corrected one is accepted); the corrected bytes are kept, sealed,
   * on the replay's own row; both the correction and its result are audited.
   */
  async correctAndReplay(id: string, correctedText: string, actor: string, correlationId?: string, address?: string): Promise<ReplayResult> {
    if (typeof correctedText !== 'string' || !correctedText.trim() || correctedText.length > MAX_CORRECTION_CHARS) {
      throw new GatewayError(ErrorCodes.BAD_REQUEST, 400, '修正内容为空或过长 the corrected text is empty or too long', [
        { field: 'text', code: 'REQUIRED', message: '修正内容为空或过长 empty or longer than 64 KiB' },
      ]);
    }
    const entry = await this.entryOf(id);
    if (entry.resolvedAt) return { id, httpStatus: 200, code: 'ALREADY_RESOLVED', message: '已由之前的重放解决 resolved by an earlier replay' };
    const { decoded, masked } = await this.masked(entry);
    if (!decoded.editable) {
      throw new GatewayError('CORRECTION_NOT_POSSIBLE', 422, '报文不是 UTF-8 或 GBK 文本，无法在线修正 the message is not UTF-8 or GBK text and cannot be corrected here');
    }
    const text = unmaskCorrected(correctedText, masked.masks);
    const result = await this.replay(entry, correlationId, { body: encodeRaw(text, decoded.charset), channel: 'correction' });
    const changedLines = countChangedLines(masked.text, correctedText);
    await this.audit.append({
      actor,
      action: 'QUARANTINE_CORRECTED',
      targetType: 'inbound',
      targetId: id,
      detail: { department: entry.department, changedLines, httpStatus: result.httpStatus, code: result.code },
      correlationId,
      address,
      outcome: result.httpStatus < 300 ? 'success' : 'failure',
    });
    return result;
  }

  private async entryOf(id: string): Promise<InboundMessageEntity> {
    const entry = await this.quarantine.get(id);
    if (!entry || !['REJECTED', 'UNREADABLE'].includes(entry.outcome) || entry.replayOf) {
      throw new GatewayError(ErrorCodes.NOT_FOUND, 404, '隔离区中没有这条记录 no such quarantined message');
    }
    return entry;
  }

  /** Decodes the kept bytes and masks them, using the personal values the adapter can find in them. */
  private async masked(entry: InboundMessageEntity) {
    const body = this.quarantine.bodyOf(entry);
    const headers: Record<string, string> = entry.headers ? JSON.parse(entry.headers) : {};
    const { charset } = parseContentType(entry.mediaType ?? headers['content-type']);
    const decoded = decodeRaw(body, charset);
    let known: string[] = [];
    let parsed = false;
    const adapter = this.adapters.get(entry.department);
    if (adapter) {
      try {
        const result = await this.parse(entry, adapter, body, headers, new Date());
        if (result.ok) {
          known = personalValuesOf(result.event.event);
          parsed = true;
        }
      } catch {
        // Unparseable: masked by pattern alone (and every quoted Chinese text, as a name would be).
      }
    }
    return { decoded, masked: maskRaw(decoded.text, known, parsed) };
  }

  private async parse(entry: InboundMessageEntity, adapter: NonNullable<ReturnType<AdapterRegistry['get']>>, body: Buffer, headers: Record<string, string>, receivedAt: Date): Promise<ParseResult> {
    const { mediaType, charset } = parseContentType(entry.mediaType ?? headers['content-type']);
    if (entry.channel === 'batch-row' && adapter.batch) {
      let parsed: ParseResult = { ok: false, code: 'ROW_MISSING', message: 'the kept row holds no data row' };
      for await (const row of adapter.batch.readRows(Readable.from([body]), { department: entry.department, mediaType, charset, headers, receivedAt })) {
        parsed = row.result;
        break;
      }
      return parsed;
    }
    if (!adapter.eventMediaTypes.includes(mediaType)) {
      return { ok: false, code: ErrorCodes.MEDIA_TYPE_UNSUPPORTED, message: `Content-Type "${mediaType}" is still not accepted by the ${entry.department} adapter` };
    }
    return adapter.parseEvent({ department: entry.department, mediaType, charset, headers, body, receivedAt });
  }

  private async replay(entry: InboundMessageEntity, correlationId?: string, corrected?: { body: Buffer; channel: 'correction' }): Promise<ReplayResult> {
    const adapter = this.adapters.get(entry.department);
    if (!adapter) return { id: entry.id, httpStatus: 404, code: ErrorCodes.DEPARTMENT_DISABLED, message: `部门未启用 department ${entry.department} is not enabled` };
    const body = corrected?.body ?? this.quarantine.bodyOf(entry);
    const headers: Record<string, string> = entry.headers ? JSON.parse(entry.headers) : {};
    const record: InboundRecord = {
      department: entry.department,
      channel: corrected?.channel ?? 'replay',
      receivedAt: new Date(),
      mediaType: entry.mediaType,
      headers,
      body,
      bodySha256: createHash('sha256').update(body).digest('hex'),
      correlationId,
      batchId: entry.batchId,
      rowNo: entry.rowNo,
      replayOf: entry.id,
    };
    try {
      const parsed = await this.parse(entry, adapter, body, headers, record.receivedAt);
      const outcome = await this.ingest.processParsed(adapter, record, parsed);
      return { id: entry.id, httpStatus: outcome.httpStatus, code: outcome.code, message: outcome.message, eventId: outcome.eventId, caseId: outcome.caseId, errors: outcome.errors };
    } catch (e) {
      if (e instanceof GatewayError) throw e;
      if (e instanceof UnreadableError) return { id: entry.id, httpStatus: 400, code: e.code, message: maskIssueText(e.message), errors: maskFieldIssues(e.issues ?? []) };
      throw new StorageUnavailableError(e);
    }
  }
}

/** How many lines differ between what was shown and what was sent back (for the audit entry; no content). */
function countChangedLines(before: string, after: string): number {
  const a = before.split('\n');
  const b = after.split('\n');
  let n = Math.abs(a.length - b.length);
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) n++;
  return n;
}
