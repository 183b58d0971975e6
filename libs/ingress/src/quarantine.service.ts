import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { AdapterRegistry, ParseResult, UnreadableError } from '#gw/adapters';
import { maskFieldIssues, maskFreeText, maskIssueText } from '#gw/case';
import { ErrorCodes, GatewayError, StorageUnavailableError } from '#gw/common';
import { AuditRepository, InboundMessageEntity, InboundRecord, QuarantineFilter, QuarantineRepository } from '#gw/persistence';
import { IngestService, parseContentType } from './ingest.service';

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
    const entry = await this.quarantine.get(id);
    if (!entry || !['REJECTED', 'UNREADABLE'].includes(entry.outcome) || entry.replayOf) {
      throw new GatewayError(ErrorCodes.NOT_FOUND, 404, '隔离区中没有这条记录 no such quarantined message');
    }
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

  private async replay(entry: InboundMessageEntity, correlationId?: string): Promise<ReplayResult> {
    const adapter = this.adapters.get(entry.department);
    if (!adapter) return { id: entry.id, httpStatus: 404, code: ErrorCodes.DEPARTMENT_DISABLED, message: `部门未启用 department ${entry.department} is not enabled` };
    const body = this.quarantine.bodyOf(entry);
    const headers: Record<string, string> = entry.headers ? JSON.parse(entry.headers) : {};
    const { mediaType, charset } = parseContentType(entry.mediaType ?? headers['content-type']);
    const record: InboundRecord = {
      department: entry.department,
      channel: 'replay',
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
      let parsed: ParseResult;
      if (entry.channel === 'batch-row' && adapter.batch) {
        parsed = { ok: false, code: 'ROW_MISSING', message: 'the kept row holds no data row' };
        for await (const row of adapter.batch.readRows(Readable.from([body]), { department: entry.department, mediaType, charset, headers, receivedAt: record.receivedAt })) {
          parsed = row.result;
          break;
        }
      } else if (!adapter.eventMediaTypes.includes(mediaType)) {
        parsed = { ok: false, code: ErrorCodes.MEDIA_TYPE_UNSUPPORTED, message: `Content-Type "${mediaType}" is still not accepted by the ${entry.department} adapter` };
      } else {
        parsed = adapter.parseEvent({ department: entry.department, mediaType, charset, headers, body, receivedAt: record.receivedAt });
      }
      const outcome = await this.ingest.processParsed(adapter, record, parsed);
      return { id: entry.id, httpStatus: outcome.httpStatus, code: outcome.code, message: outcome.message, eventId: outcome.eventId, caseId: outcome.caseId, errors: outcome.errors };
    } catch (e) {
      if (e instanceof GatewayError) throw e;
      if (e instanceof UnreadableError) return { id: entry.id, httpStatus: 400, code: e.code, message: maskIssueText(e.message), errors: maskFieldIssues(e.issues ?? []) };
      throw new StorageUnavailableError(e);
    }
  }
}
