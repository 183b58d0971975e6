import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import {
  CanonicalEvent,
  CaseWarning,
  CLOSING_STAGES,
  FieldIssue,
  StageEntry,
  TransitionIssue,
  findTransitionIssue,
  orderStageEntries,
} from '#gw/case';
import type { PersonalDataCipher } from '#gw/common';
import { Database } from './database';
import { CaseEntity, CaseEventEntity, InboundMessageEntity, InboundOutcome, OutboxEntity, orderKey } from './entities';

/** A request (or batch row) as received, to be kept whatever its outcome. */
export interface InboundRecord {
  id?: string;
  department: string;
  channel: 'event' | 'batch-row' | 'replay';
  receivedAt: Date;
  mediaType?: string | null;
  headers?: Record<string, string>;
  /** Null when the payload must not be kept (classified matters). */
  body: Buffer | null;
  bodySha256?: string | null;
  sourceEventId?: string | null;
  correlationId?: string | null;
  batchId?: string | null;
  rowNo?: number | null;
  replayOf?: string | null;
}

export interface InboundResult {
  outcome: InboundOutcome;
  httpStatus: number;
  errorCode?: string | null;
  errors?: FieldIssue[];
  eventId?: string | null;
  caseId?: string | null;
}

export type AcceptResult =
  | { kind: 'ACCEPTED'; inboundId: string; eventId: string; caseId: string; stage: string }
  | { kind: 'DUPLICATE'; inboundId: string; eventId: string; caseId: string; stage: string }
  | { kind: 'INVALID_TRANSITION'; inboundId: string; issue: TransitionIssue };

const json = (v: unknown) => (v === undefined || v === null ? null : JSON.stringify(v));

/** Everything the ingress writes, each call one transaction. */
export class IngestRepository {
  constructor(
    private readonly db: Database,
    private readonly cipher: PersonalDataCipher,
  ) {}

  /** The first acceptance of a department event, if there was one. */
  async findAcceptedEvent(department: string, sourceEventId: string) {
    return this.db.manager.findOne(CaseEventEntity, {
      where: { department, sourceEventId },
      select: { id: true, caseId: true, stage: true },
    });
  }

  /** Keeps a request that was not accepted (unreadable, invalid, refused, duplicate). */
  async saveInbound(record: InboundRecord, result: InboundResult): Promise<string> {
    return this.db.transaction((em) => this.insertInbound(em, record, result));
  }

  /** Keeps many not-accepted batch rows in one transaction. */
  async saveInboundMany(items: { record: InboundRecord; result: InboundResult }[]): Promise<string[]> {
    if (!items.length) return [];
    return this.db.transaction(async (em) => {
      const ids: string[] = [];
      for (const it of items) ids.push(await this.insertInbound(em, it.record, it.result));
      return ids;
    });
  }

  /**
   * Stores the inbound record, the case, the stage event and the outbox row in one transaction —
   * or, when the move is impossible for the case's history, only the inbound record as rejected.
   * A concurrent duplicate (unique key) or deadlock is retried, and then answers as a duplicate.
   */
  async acceptEvent(record: InboundRecord, event: CanonicalEvent, warnings: CaseWarning[], applicantIdHash: string | null): Promise<AcceptResult> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.db.transaction((em) => this.acceptInTransaction(em, record, event, warnings, applicantIdHash));
      } catch (e) {
        // Two first events of one case race on its unique key (or InnoDB picks a deadlock victim):
        // run again; the second run sees the winner's rows and answers duplicate or appends.
        if (attempt < 5 && Database.isRetryableConflict(e)) {
          await new Promise((r) => setTimeout(r, 5 + Math.random() * 20 * (attempt + 1)));
          continue;
        }
        throw e;
      }
    }
  }

  private async acceptInTransaction(
    em: EntityManager,
    record: InboundRecord,
    event: CanonicalEvent,
    warnings: CaseWarning[],
    applicantIdHash: string | null,
  ): Promise<AcceptResult> {
    const now = new Date();
    const dup = await em.findOne(CaseEventEntity, { where: { department: event.department, sourceEventId: event.sourceEventId } });
    if (dup) {
      const inboundId = await this.insertInbound(em, record, {
        outcome: 'DUPLICATE',
        httpStatus: 200,
        eventId: dup.id,
        caseId: dup.caseId,
      });
      return { kind: 'DUPLICATE', inboundId, eventId: dup.id, caseId: dup.caseId, stage: dup.stage };
    }

    const caseQuery = em
      .createQueryBuilder(CaseEntity, 'c')
      .where('c.department = :d AND c.source_case_no = :n', { d: event.department, n: event.sourceCaseNo });
    // Serialise concurrent events of one case on MySQL; SQLite transactions are already serial.
    if (this.db.dialect === 'mysql') caseQuery.setLock('pessimistic_write');
    let kase = await caseQuery.getOne();

    const history: StageEntry[] = kase
      ? (
          await em.find(CaseEventEntity, {
            where: { caseId: kase.id },
            select: { stage: true, stageTime: true, sourceSeq: true, createdAt: true, sourceEventId: true },
          })
        ).map((e) => ({
          stage: e.stage as StageEntry['stage'],
          stageTime: e.stageTime.toISOString(),
          sourceSeq: e.sourceSeq,
          arrival: e.createdAt.getTime(),
          ref: e.sourceEventId,
        }))
      : [];
    const incoming: StageEntry = {
      stage: event.stage,
      stageTime: event.stageTime,
      sourceSeq: event.sourceSeq ?? null,
      arrival: now.getTime(),
      ref: event.sourceEventId,
    };
    const issue = findTransitionIssue([...history, incoming]);
    if (issue) {
      const inboundId = await this.insertInbound(em, record, {
        outcome: 'REJECTED',
        httpStatus: 422,
        errorCode: 'STAGE_TRANSITION_INVALID',
        errors: [{ field: 'stage', code: issue.code, message: issue.message }],
        caseId: kase?.id ?? null,
      });
      return { kind: 'INVALID_TRANSITION', inboundId, issue };
    }

    const ordered = orderStageEntries([...history, incoming]);
    const latest = ordered[ordered.length - 1];
    const stageTime = new Date(event.stageTime);
    const closing = ordered.find((e) => CLOSING_STAGES.has(e.stage));
    const partiesEnc = this.cipher.encryptJson({ applicants: event.applicants, agent: event.agent ?? null });

    if (!kase) {
      kase = em.create(CaseEntity, {
        id: randomUUID(),
        department: event.department,
        sourceCaseNo: event.sourceCaseNo,
        platformProjectNo: event.platformProjectNo ?? null,
        online: !!event.platformProjectNo,
        matterCode: event.matterCode,
        matterName: event.matterName,
        location: event.location ?? null,
        currentStage: latest.stage,
        closed: !!closing,
        openedAt: stageTime,
        lastStageTime: stageTime,
        closedAt: closing ? new Date(closing.stageTime) : null,
        partiesEnc,
        applicantIdHash,
        warnings: warnings.length ? JSON.stringify(warnings) : null,
        platformLastSeq: 0,
        createdAt: now,
        updatedAt: now,
      });
      await em.insert(CaseEntity, kase);
    } else {
      const known: CaseWarning[] = kase.warnings ? JSON.parse(kase.warnings) : [];
      for (const w of warnings) if (!known.some((k) => k.code === w.code && k.field === w.field)) known.push(w);
      const patch: Partial<CaseEntity> = {
        currentStage: latest.stage,
        closed: !!closing,
        closedAt: closing ? new Date(closing.stageTime) : null,
        lastStageTime: stageTime > kase.lastStageTime ? stageTime : kase.lastStageTime,
        openedAt: stageTime < kase.openedAt ? stageTime : kase.openedAt,
        partiesEnc,
        applicantIdHash: applicantIdHash ?? kase.applicantIdHash,
        warnings: known.length ? JSON.stringify(known) : null,
        updatedAt: now,
      };
      if (!kase.platformProjectNo && event.platformProjectNo) patch.platformProjectNo = event.platformProjectNo;
      if (event.location) patch.location = event.location;
      await em.update(CaseEntity, { id: kase.id }, patch);
    }

    const eventId = randomUUID();
    const inboundId = record.id ?? randomUUID();
    await em.insert(CaseEventEntity, {
      id: eventId,
      caseId: kase.id,
      department: event.department,
      sourceEventId: event.sourceEventId,
      stage: event.stage,
      stageName: event.stageName ?? null,
      stageTime,
      sourceSeq: event.sourceSeq ?? null,
      payloadEnc: this.cipher.encryptJson(event),
      warnings: warnings.length ? JSON.stringify(warnings) : null,
      inboundId,
      createdAt: now,
    });
    await em.insert(OutboxEntity, {
      target: 'PLATFORM',
      kind: 'STAGE',
      caseId: kase.id,
      eventId,
      orderTime: stageTime,
      orderSeq: event.sourceSeq ?? null,
      orderKey: orderKey(stageTime, event.sourceSeq),
      status: 'PENDING',
      attempts: 0,
      nextAttemptAt: now,
      createdAt: now,
      updatedAt: now,
    });
    await this.insertInbound(em, { ...record, id: inboundId }, {
      outcome: 'ACCEPTED',
      httpStatus: 202,
      eventId,
      caseId: kase.id,
    });
    return { kind: 'ACCEPTED', inboundId, eventId, caseId: kase.id, stage: event.stage };
  }

  private async insertInbound(em: EntityManager, r: InboundRecord, result: InboundResult): Promise<string> {
    const id = r.id ?? randomUUID();
    const headers = r.headers ? { ...r.headers } : null;
    if (headers) delete headers.authorization;
    await em.insert(InboundMessageEntity, {
      id,
      department: r.department,
      channel: r.channel,
      receivedAt: r.receivedAt,
      mediaType: r.mediaType ?? null,
      headers: json(headers),
      body: r.body,
      bodySha256: r.bodySha256 ?? null,
      sourceEventId: r.sourceEventId ? r.sourceEventId.slice(0, 128) : null,
      outcome: result.outcome,
      httpStatus: result.httpStatus,
      errorCode: result.errorCode ?? null,
      errors: result.errors?.length ? JSON.stringify(result.errors) : null,
      eventId: result.eventId ?? null,
      caseId: result.caseId ?? null,
      correlationId: r.correlationId ?? null,
      batchId: r.batchId ?? null,
      rowNo: r.rowNo ?? null,
      replayOf: r.replayOf ?? null,
      resolvedAt: null,
    });
    if (r.replayOf && (result.outcome === 'ACCEPTED' || result.outcome === 'DUPLICATE')) {
      await em.update(InboundMessageEntity, { id: r.replayOf }, { resolvedAt: new Date() });
    }
    return id;
  }
}
