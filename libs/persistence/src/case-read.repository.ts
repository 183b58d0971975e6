import { In } from 'typeorm';
import { Database } from './database';
import { CaseEntity, CaseEventEntity, DeliveryAttemptEntity, OutboxEntity } from './entities';

export interface CaseRecord {
  kase: CaseEntity;
  events: CaseEventEntity[];
  outbox: OutboxEntity[];
  attempts: DeliveryAttemptEntity[];
}

/** Reads a case with its stage history and delivery state. */
export class CaseReadRepository {
  constructor(private readonly db: Database) {}

  async byId(id: string): Promise<CaseRecord | null> {
    const kase = await this.db.manager.findOne(CaseEntity, { where: { id } });
    return kase ? this.complete(kase) : null;
  }

  async bySourceCaseNo(department: string, sourceCaseNo: string): Promise<CaseRecord | null> {
    const kase = await this.db.manager.findOne(CaseEntity, { where: { department, sourceCaseNo } });
    return kase ? this.complete(kase) : null;
  }

  async byProjectNo(platformProjectNo: string): Promise<CaseRecord | null> {
    const kase = await this.db.manager.findOne(CaseEntity, { where: { platformProjectNo } });
    return kase ? this.complete(kase) : null;
  }

  private async complete(kase: CaseEntity): Promise<CaseRecord> {
    const m = this.db.manager;
    const events = await m.find(CaseEventEntity, { where: { caseId: kase.id }, order: { stageTime: 'ASC', createdAt: 'ASC' } });
    const outbox = await m.find(OutboxEntity, { where: { caseId: kase.id }, order: { id: 'ASC' } });
    const attempts = outbox.length
      ? await m.find(DeliveryAttemptEntity, { where: { outboxId: In(outbox.map((o) => o.id)) }, order: { id: 'ASC' } })
      : [];
    return { kase, events, outbox, attempts };
  }
}
