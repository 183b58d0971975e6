import { randomUUID } from 'node:crypto';
import { type FindOperator, In } from 'typeorm';
import { Database } from './database';
import { LicenceEntity, LicenceSerialEntity } from './entities/licence.entity';
import { OutboxEntity, OutboxStatus } from './entities/outbox.entity';

/** What a licence is registered with, decided by the dispatcher at its step's first attempt. */
export interface LicenceDraft {
  outboxId: string;
  caseId: string;
  eventId: string;
  department: string;
  matterCode: string;
  typeCode: string;
  typeName: string;
  issuerCode: string;
  /** yyyy-MM-dd, Beijing time; its year numbers the serial. */
  issueDate: string;
  /** The department's number, or null: the identifier is then the number. */
  certificateNo: string | null;
  numberFrom: 'DEPARTMENT' | 'GATEWAY';
  holderHash: string | null;
  holderEnc: string;
}

/** A stored licence with where its registration stands (its outbox step). */
export interface LicenceRecord {
  licence: LicenceEntity;
  status: OutboxStatus | 'MISSING';
  doneAt: Date | null;
}

/** Builds the identifier from the draft and the serial counted for its type, issuer and year. */
export type IdentifierBuilder = (draft: LicenceDraft, year: number, serialNo: number) => string;

/** Electronic licences the gateway registers, and the per-type serials of their identifiers. */
export class LicenceRepository {
  constructor(private readonly db: Database) {}

  /**
   * The licence of a LICENCE outbox step: the stored one when an earlier attempt wrote it (a retry
   * sends the same identifier and number) or when its completion issued one before (a re-sent
   * result's new step), otherwise a new one with the next serial of its type,
   * issuer and year — counted in the same transaction as the insert, so a serial is never given
   * twice (the counter row is locked by its upsert on MariaDB; SQLite writes one at a time) and a
   * failed insert gives its serial back.
   */
  async prepare(draft: LicenceDraft, build: IdentifierBuilder): Promise<LicenceEntity> {
    const existing = await this.db.manager.findOne(LicenceEntity, { where: { outboxId: draft.outboxId } });
    if (existing) return existing;
    const year = Number(draft.issueDate.slice(0, 4));
    try {
      return await this.db.transactionRetryingLocks(async (em) => {
        const again = await em.findOne(LicenceEntity, { where: { outboxId: draft.outboxId } });
        if (again) return again;
        // The same completion registered again (reconciliation re-sent its result, which makes a
        // new LICENCE step): the same licence — identifier and number — now followed by this step.
        const issued = await em.findOne(LicenceEntity, { where: { eventId: draft.eventId } });
        if (issued) {
          await em.update(LicenceEntity, { id: issued.id }, { outboxId: draft.outboxId });
          return { ...issued, outboxId: draft.outboxId };
        }
        const t = this.db.dialect === 'mysql' ? (n: string) => `\`${n}\`` : (n: string) => `"${n}"`;
        const upsert =
          this.db.dialect === 'mysql'
            ? `INSERT INTO ${t('licence_serial')} (${t('type_code')}, ${t('issuer_code')}, ${t('year')}, ${t('last_serial')}) VALUES (?, ?, ?, 1) ON DUPLICATE KEY UPDATE ${t('last_serial')} = ${t('last_serial')} + 1`
            : `INSERT INTO ${t('licence_serial')} (${t('type_code')}, ${t('issuer_code')}, ${t('year')}, ${t('last_serial')}) VALUES (?, ?, ?, 1) ON CONFLICT (${t('type_code')}, ${t('issuer_code')}, ${t('year')}) DO UPDATE SET ${t('last_serial')} = ${t('last_serial')} + 1`;
        await em.query(upsert, [draft.typeCode, draft.issuerCode, year]);
        const counter = await em.findOneOrFail(LicenceSerialEntity, { where: { typeCode: draft.typeCode, issuerCode: draft.issuerCode, year } });
        const identifier = build(draft, year, counter.lastSerial);
        const row = em.create(LicenceEntity, {
          id: randomUUID(),
          outboxId: draft.outboxId,
          caseId: draft.caseId,
          eventId: draft.eventId,
          department: draft.department,
          matterCode: draft.matterCode,
          typeCode: draft.typeCode,
          typeName: draft.typeName,
          identifier,
          certificateNo: draft.certificateNo ?? identifier,
          numberFrom: draft.numberFrom,
          holderHash: draft.holderHash,
          holderEnc: draft.holderEnc,
          issueDate: draft.issueDate,
          createdAt: new Date(),
        });
        await em.insert(LicenceEntity, row);
        return row;
      });
    } catch (e) {
      // Another attempt of the same step won the race: its licence is the one.
      if (!Database.isUniqueViolation(e)) throw e;
      const winner = await this.db.manager.findOne(LicenceEntity, { where: { outboxId: draft.outboxId } });
      if (!winner) throw e;
      return winner;
    }
  }

  byCase(caseId: string): Promise<LicenceRecord[]> {
    return this.find({ caseId });
  }

  /** Licences of a holder (their keyed hash), newest first; `department`: only that department's. */
  /** Several hashes while a data-key rotation is under way (`PersonalDataCipher.lookupHashes`): rows not yet rewritten carry the old one. */
  byHolder(holderHashes: string | string[], department?: string, limit = 200): Promise<LicenceRecord[]> {
    const holderHash = typeof holderHashes === 'string' ? holderHashes : In(holderHashes);
    return this.find(department ? { holderHash, department } : { holderHash }, limit);
  }

  private async find(where: { caseId?: string; holderHash?: string | FindOperator<string>; department?: string }, limit = 200): Promise<LicenceRecord[]> {
    const licences = await this.db.manager.find(LicenceEntity, { where, order: { createdAt: 'DESC', id: 'ASC' }, take: limit });
    if (!licences.length) return [];
    const steps = await this.db.manager.find(OutboxEntity, { where: { id: In(licences.map((l) => l.outboxId)) }, select: { id: true, status: true, doneAt: true } });
    const byId = new Map(steps.map((s) => [String(s.id), s]));
    return licences.map((licence) => {
      const step = byId.get(String(licence.outboxId));
      return { licence, status: step?.status ?? 'MISSING', doneAt: step?.doneAt ?? null };
    });
  }
}
