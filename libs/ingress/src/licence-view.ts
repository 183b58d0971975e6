import { PartyDto, maskIdNumber, maskName } from '#gw/case';
import type { Catalogue } from '#gw/catalogue';
import type { PersonalDataCipher } from '#gw/common';
import type { LicenceEntity, LicenceRecord, LicenceRepository } from '#gw/persistence';

/** Registration state of a licence from its outbox step: 已登记 REGISTERED once the platform holds it. */
const REGISTRATION: Record<string, string> = { DONE: 'REGISTERED', PENDING: 'PENDING', IN_FLIGHT: 'PENDING', PARKED: 'PARKED', SKIPPED: 'SKIPPED', MISSING: 'UNKNOWN' };

/**
 * A licence as the APIs and the dashboard show it: the holder masked when a person (an
 * organisation's name and credit code are public), never the clear ID number.
 */
export function licenceView(rec: LicenceRecord, cipher: PersonalDataCipher, catalogue: Catalogue) {
  const l: LicenceEntity = rec.licence;
  let holder: Partial<PartyDto> = {};
  try {
    holder = cipher.decryptJson<Partial<PartyDto>>(l.holderEnc);
  } catch {
    holder = {};
  }
  const person = holder.kind === 'PERSON';
  return {
    identifier: l.identifier,
    typeCode: l.typeCode,
    typeName: l.typeName,
    certificateNo: l.certificateNo,
    /** DEPARTMENT: the department's number; GATEWAY: its system sends none, the identifier is the number. */
    numberFrom: l.numberFrom,
    issueDate: l.issueDate,
    issuer: catalogue.department(l.department)?.name ?? l.department,
    department: l.department,
    matterCode: l.matterCode,
    matterName: catalogue.matter(l.matterCode)?.name ?? null,
    caseId: l.caseId,
    holder: {
      kind: holder.kind ?? null,
      name: holder.name ? (person ? maskName(holder.name) : holder.name) : null,
      certType: holder.certType ?? null,
      certNo: holder.certNo ? (person ? maskIdNumber(holder.certNo) : holder.certNo) : null,
    },
    registration: REGISTRATION[rec.status] ?? rec.status,
    registeredAt: rec.status === 'DONE' ? (rec.doneAt?.toISOString() ?? null) : null,
  };
}

export type LicenceView = ReturnType<typeof licenceView>;

/** Licences by holder (`GET /api/v1/licences?holder=`): the keyed hash of the ID number or credit code. */
export class LicenceSearch {
  constructor(
    private readonly repo: LicenceRepository,
    private readonly cipher: PersonalDataCipher,
    private readonly catalogue: Catalogue,
  ) {}

  /** `holderKey`: the normalised ID number or credit code; `department`: only that department's licences. */
  async byHolder(holderKey: string, department?: string) {
    // Both keys' hashes while a data-key rotation is under way.
    const found = await this.repo.byHolder(this.cipher.lookupHashes(holderKey), department);
    return { total: found.length, items: found.map((r) => licenceView(r, this.cipher, this.catalogue)) };
  }
}
