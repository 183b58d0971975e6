import { Catalogue, LicenceTypes } from '#gw/catalogue';
import { CanonicalEvent, parseLicenceIdentifier } from '#gw/case';
import { PersonalDataCipher } from '#gw/common';
import type { CaseEntity, IdentifierBuilder, LicenceDraft, LicenceEntity, LicenceRepository, OutboxEntity } from '#gw/persistence';
import { join } from 'node:path';
import { LicenceRegistry } from './licence-registry';

const ROOT = join(__dirname, '../../..');
const catalogue = Catalogue.fromFile(join(ROOT, 'config/catalogue.yaml'));
catalogue.useLicenceTypes(LicenceTypes.fromFile(join(ROOT, 'config/licence-types.yaml'), catalogue));
const cipher = new PersonalDataCipher('0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef');

/** The repository's contract without a database: one counter per type, issuer and year. */
class MemoryLicences {
  drafts: LicenceDraft[] = [];
  private counters = new Map<string, number>();
  async prepare(draft: LicenceDraft, build: IdentifierBuilder): Promise<LicenceEntity> {
    this.drafts.push(draft);
    const year = Number(draft.issueDate.slice(0, 4));
    const key = `${draft.typeCode}|${draft.issuerCode}|${year}`;
    const n = (this.counters.get(key) ?? 0) + 1;
    this.counters.set(key, n);
    const identifier = build(draft, year, n);
    return { ...draft, id: 'x', identifier, certificateNo: draft.certificateNo ?? identifier, createdAt: new Date() } as unknown as LicenceEntity;
  }
}

const row = { id: '7', eventId: 'e-1', kind: 'LICENCE' } as OutboxEntity;
const kase = (department: string, matterCode: string) => ({ id: 'c-1', department, matterCode }) as CaseEntity;
const person = { kind: 'PERSON', name: '王五', certType: '111', certNo: '430626199001010022' };
const event = (matterCode: string, certificateNo?: string) =>
  ({ matterCode, stage: 'COMPLETED', stageTime: '2026-12-31T17:30:00.000Z', applicants: [person], result: { type: 0, certificateNo } }) as unknown as CanonicalEvent;

describe('LicenceRegistry: the licence a completion registers', () => {
  it('RSJ 补发 without a number: the gateway numbers it with its GB/T 36904 identifier (issue date in Beijing time)', async () => {
    const repo = new MemoryLicences();
    const reg = new LicenceRegistry(repo as unknown as LicenceRepository, catalogue, cipher);
    const r = await reg.prepare(row, kase('RSJ', '11430626MB345678350000140010000'), event('11430626MB345678350000140010000'), catalogue.department('RSJ')!);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    // 2026-12-31 17:30 UTC is 2027-01-01 01:30 in Beijing: the licence is of 2027.
    expect(r.licence).toMatchObject({ typeCode: '11430626MB34567835001', typeName: '职业资格证书', issueDate: '2027-01-01' });
    expect(parseLicenceIdentifier(r.licence.identifier)).toMatchObject({ issuerCode: '11430626MB34567835', serial: '20270000001', version: '001' });
    expect(r.licence.certificateNo).toBe(r.licence.identifier);
    expect(repo.drafts[0]).toMatchObject({ numberFrom: 'GATEWAY', certificateNo: null, holderHash: cipher.lookupHash(person.certNo) });
    // The holder is stored encrypted only.
    expect(repo.drafts[0].holderEnc).not.toContain(person.certNo);
    expect(cipher.decryptJson(repo.drafts[0].holderEnc)).toMatchObject(person);
  });

  it('a number the department sends is kept, even where the gateway could number it', async () => {
    const reg = new LicenceRegistry(new MemoryLicences() as unknown as LicenceRepository, catalogue, cipher);
    const r = await reg.prepare(row, kase('RSJ', '11430626MB345678350000140010000'), event('11430626MB345678350000140010000', 'ZG-2026-001'), catalogue.department('RSJ')!);
    expect(r.ok && r.licence.certificateNo).toBe('ZG-2026-001');
  });

  it('parks what it cannot register, with a code and a reason: no licence type, or no number the table expects', async () => {
    const reg = new LicenceRegistry(new MemoryLicences() as unknown as LicenceRepository, catalogue, cipher);
    const cancelled = await reg.prepare(row, kase('SCJG', '11430626MB123456250000120003000'), event('11430626MB123456250000120003000', 'X-1'), catalogue.department('SCJG')!);
    expect(cancelled).toMatchObject({ ok: false, code: 'LICENCE_TYPE_UNKNOWN', message: expect.stringContaining('config/licence-types.yaml') });
    const noNumber = await reg.prepare(row, kase('SCJG', '11430626MB123456250000120001000'), event('11430626MB123456250000120001000'), catalogue.department('SCJG')!);
    expect(noNumber).toMatchObject({ ok: false, code: 'CERTIFICATE_NO_MISSING' });
  });
});
