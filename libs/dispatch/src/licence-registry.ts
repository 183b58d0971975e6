import { CanonicalEvent, ID_NUMBER_CERT_TYPES, buildLicenceIdentifier, formatBeijingDateTime, licenceSerial } from '#gw/case';
import type { Catalogue, DepartmentEntry } from '#gw/catalogue';
import type { PersonalDataCipher } from '#gw/common';
import type { CaseEntity, LicenceEntity, LicenceRepository, OutboxEntity } from '#gw/persistence';
import type { LicenceToRegister } from '#gw/platform';

/** First issue of a licence: GB/T 36904's version `001`. */
export const FIRST_VERSION = '001';

export type PreparedLicence = { ok: true; licence: LicenceToRegister; stored: LicenceEntity } | { ok: false; code: string; message: string };

/**
 * Decides and stores the licence a LICENCE step registers, once: type from config/licence-types.yaml,
 * identifier per GB/T 36904 (`buildLicenceIdentifier`: type + the department's credit code + a
 * serial of the issue year counted per type and issuer + version 001 + check character), number
 * from the department. A retry reads the stored licence back, so the platform is always sent the
 * same one.
 *
 * A department system that sends no certificate number (RSJ's 职业资格证书补发; `numberFrom:
 * GATEWAY` in the table) is not refused: the gateway numbers the licence itself — its GB/T 36904
 * identifier, unique and derived from the gateway's own per-type serial, is sent as
 * `certificate_number`. The platform's `/licenses` answer carries no data to take a number from,
 * and `certificate_number` is a required field of the call, so it cannot be left to the platform.
 */
export class LicenceRegistry {
  constructor(
    private readonly repo: LicenceRepository,
    private readonly catalogue: Catalogue,
    private readonly cipher: PersonalDataCipher,
  ) {}

  async prepare(row: OutboxEntity, kase: CaseEntity, event: CanonicalEvent, department: DepartmentEntry): Promise<PreparedLicence> {
    const issued = this.catalogue.licenceOf(kase.matterCode);
    if (!issued) {
      return {
        ok: false,
        code: 'LICENCE_TYPE_UNKNOWN',
        message: `事项 ${kase.matterCode} 没有配置证照类型：在 config/licence-types.yaml 中登记后重发 matter has no licence type: add it to config/licence-types.yaml, restart, then rerun`,
      };
    }
    const departmentNo = event.result?.certificateNo?.trim() || null;
    if (!departmentNo && issued.numberFrom !== 'GATEWAY') {
      return {
        ok: false,
        code: 'CERTIFICATE_NO_MISSING',
        message: `办结未带证照编号，而证照类型表要求部门提供 the completion carries no certificate number and the licence table expects the department to send one (numberFrom: DEPARTMENT)`,
      };
    }
    const holder = event.applicants[0];
    const hashable = holder && (ID_NUMBER_CERT_TYPES.has(holder.certType) || holder.certType === 'USCC');
    const stored = await this.repo.prepare(
      {
        outboxId: String(row.id),
        caseId: kase.id,
        eventId: row.eventId ?? '',
        department: kase.department,
        matterCode: kase.matterCode,
        typeCode: issued.type.code,
        typeName: issued.type.name,
        issuerCode: department.orgCode,
        issueDate: formatBeijingDateTime(Date.parse(event.stageTime)).slice(0, 10),
        // A department's number is kept even where the table says the gateway numbers: it is the truer one.
        certificateNo: departmentNo,
        numberFrom: departmentNo ? 'DEPARTMENT' : 'GATEWAY',
        holderHash: hashable ? this.cipher.lookupHash(holder.certNo) : null,
        holderEnc: this.cipher.encryptJson({ kind: holder?.kind, name: holder?.name, certType: holder?.certType, certNo: holder?.certNo }),
      },
      (draft, year, n) => buildLicenceIdentifier({ typeCode: draft.typeCode, issuerCode: draft.issuerCode, serial: licenceSerial(year, n), version: FIRST_VERSION }),
    );
    return {
      ok: true,
      stored,
      licence: { typeCode: stored.typeCode, typeName: stored.typeName, certificateNo: stored.certificateNo, identifier: stored.identifier, issueDate: stored.issueDate },
    };
  }
}
