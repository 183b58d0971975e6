import { EntityManager, FindOptionsWhere, In } from 'typeorm';
import { Database } from './database';
import { CaseEntity, CaseEventEntity, DeliveryAttemptEntity, LicenceEntity, OutboxEntity } from './entities';

export interface CaseRecord {
  kase: CaseEntity;
  events: CaseEventEntity[];
  outbox: OutboxEntity[];
  attempts: DeliveryAttemptEntity[];
  /** Electronic licences the case's completions issued (their registration: the LICENCE outbox rows). */
  licences: LicenceEntity[];
}

/**
 * Reads a case with its stage history and delivery state, all in one transaction: read piece by
 * piece, a delivery finishing in between could show the stage delivered but the case without the
 * platform's project_no it was given in that same commit.
 */
export class CaseReadRepository {
  constructor(private readonly db: Database) {}

  /** `department`: only a case of that department (another's reads as missing); otherwise any. */
  byId(id: string, department?: string): Promise<CaseRecord | null> {
    return this.read(department === undefined ? { id } : { id, department });
  }

  bySourceCaseNo(department: string, sourceCaseNo: string): Promise<CaseRecord | null> {
    return this.read({ department, sourceCaseNo });
  }

  byProjectNo(platformProjectNo: string, department?: string): Promise<CaseRecord | null> {
    return this.read(department === undefined ? { platformProjectNo } : { platformProjectNo, department });
  }

  private read(where: FindOptionsWhere<CaseEntity>): Promise<CaseRecord | null> {
    return this.db.transaction(async (em) => {
      const kase = await em.findOne(CaseEntity, { where });
      return kase ? this.complete(em, kase) : null;
    });
  }

  private async complete(m: EntityManager, kase: CaseEntity): Promise<CaseRecord> {
    const events = await m.find(CaseEventEntity, { where: { caseId: kase.id }, order: { stageTime: 'ASC', createdAt: 'ASC' } });
    const outbox = await m.find(OutboxEntity, { where: { caseId: kase.id }, order: { id: 'ASC' } });
    const attempts = outbox.length
      ? await m.find(DeliveryAttemptEntity, { where: { outboxId: In(outbox.map((o) => o.id)) }, order: { id: 'ASC' } })
      : [];
    const licences = await m.find(LicenceEntity, { where: { caseId: kase.id }, order: { createdAt: 'ASC', id: 'ASC' } });
    return { kase, events, outbox, attempts, licences };
  }
}
