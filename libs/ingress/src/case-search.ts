import { PINGJIANG_TOWNSHIPS, PartyDto, STAGE_LABEL_ZH, Stage, checkIdNumber, isStage, maskIdNumber, maskName, parseBeijingDate } from '#gw/case';
import type { Catalogue } from '#gw/catalogue';
import { ErrorCodes, GatewayError, PersonalDataCipher } from '#gw/common';
import { CaseEntity, Database } from '#gw/persistence';

/** What a case list is filtered by (`GET /api/v1/cases?applicant=&matter=&township=&status=&from=&to=`). */
export interface CaseSearchFilter {
  department?: string;
  /** An ID number or a credit code: matched through its keyed hash, never stored or compared in clear. */
  applicant?: string;
  matter?: string;
  township?: string;
  /** A canonical stage, or OPEN / CLOSED. */
  status?: string;
  /** Opened on or after / on or before these Beijing dates. */
  from?: string;
  to?: string;
  page: number;
  pageSize: number;
}

export const CASE_SEARCH_KEYS = ['applicant', 'matter', 'township', 'status', 'from', 'to', 'page', 'pageSize'] as const;

const bad = (field: string, message: string) => new GatewayError(ErrorCodes.BAD_REQUEST, 400, message, [{ field, code: 'INVALID', message }]);
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const USCC = /^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$/;

/**
 * The exact value a person or organisation is looked up by (through its keyed hash): an ID number
 * (a 15-digit one converted to 18, as stored) or a credit code; anything else — a name — is a 400.
 */
export function lookupKeyOf(value: string, field: string, who: string): string {
  const id = checkIdNumber(value);
  if (id.ok && id.normalized) return id.normalized;
  if (USCC.test(value.toUpperCase())) return value.toUpperCase();
  throw bad(
    field,
    `${who}只能按证件号码（身份证号或统一社会信用代码）精确查找；姓名加密存储，不支持按姓名查找 ${field} is found by ID number or credit code only (exact, through a keyed hash); names are stored encrypted and cannot be searched`,
  );
}

/** Reads the search parameters of a query (throws 400 with the field for a malformed one). */
export function parseCaseSearch(q: Record<string, unknown>, maxPageSize = 200): CaseSearchFilter {
  const text = (k: string) => (typeof q[k] === 'string' && (q[k] as string).trim() !== '' ? (q[k] as string).trim() : undefined);
  const f: CaseSearchFilter = { page: 1, pageSize: 50 };
  const applicant = text('applicant');
  if (applicant !== undefined) f.applicant = lookupKeyOf(applicant, 'applicant', '申请人');
  f.matter = text('matter');
  const township = text('township');
  if (township !== undefined) {
    if (!/^430626(\d{3})?$/.test(township)) throw bad('township', 'township 应为平江县或其乡镇的区划代码（如 430626101） township must be Pingjiang (430626) or one of its townships (9 digits)');
    f.township = township;
  }
  const status = text('status')?.toUpperCase();
  if (status !== undefined) {
    if (!isStage(status) && status !== 'OPEN' && status !== 'CLOSED') throw bad('status', 'status 应为环节代码或 OPEN / CLOSED status must be a canonical stage, OPEN or CLOSED');
    f.status = status;
  }
  for (const k of ['from', 'to'] as const) {
    const v = text(k);
    if (v === undefined) continue;
    if (!DATE.test(v) || parseBeijingDate(v) === null) throw bad(k, `${k} 应为 yyyy-MM-dd ${k} must be yyyy-MM-dd`);
    f[k] = v;
  }
  const page = text('page');
  const size = text('pageSize');
  if (page !== undefined) {
    if (!/^\d{1,6}$/.test(page) || +page < 1) throw bad('page', 'page 应为正整数 page must be a positive whole number');
    f.page = +page;
  }
  if (size !== undefined) {
    if (!/^\d{1,5}$/.test(size) || +size < 1 || +size > maxPageSize) throw bad('pageSize', `pageSize 应为 1–${maxPageSize} pageSize must be 1–${maxPageSize}`);
    f.pageSize = +size;
  }
  return f;
}

/** Finds cases by applicant, matter, township, status and date; the list shows personal data masked. */
export class CaseSearch {
  constructor(
    private readonly db: Database,
    private readonly cipher: PersonalDataCipher,
    private readonly catalogue: Catalogue,
  ) {}

  async search(f: CaseSearchFilter) {
    const q = this.db.manager.createQueryBuilder(CaseEntity, 'c');
    q.where('1 = 1');
    if (f.department) q.andWhere('c.department = :department', { department: f.department.toUpperCase() });
    // Both keys' hashes while a data-key rotation is under way: rows not yet rewritten carry the old one.
    if (f.applicant) q.andWhere('c.applicant_id_hash IN (:...hashes)', { hashes: this.cipher.lookupHashes(f.applicant) });
    if (f.matter) q.andWhere('c.matter_code = :matter', { matter: f.matter });
    if (f.township) q.andWhere('c.location = :township', { township: f.township });
    if (f.status === 'OPEN' || f.status === 'CLOSED') q.andWhere('c.closed = :closed', { closed: f.status === 'CLOSED' ? 1 : 0 });
    else if (f.status) q.andWhere('c.current_stage = :stage', { stage: f.status });
    if (f.from) q.andWhere('c.opened_at >= :from', { from: new Date(parseBeijingDate(f.from)!) });
    if (f.to) q.andWhere('c.opened_at < :to', { to: new Date(parseBeijingDate(f.to)! + 86_400_000) });
    const total = await q.getCount();
    const rows = await q
      .orderBy('c.opened_at', 'DESC')
      .addOrderBy('c.id', 'ASC')
      .skip((f.page - 1) * f.pageSize)
      .take(f.pageSize)
      .getMany();
    return { total, page: f.page, pageSize: f.pageSize, items: rows.map((c) => this.row(c)) };
  }

  private row(c: CaseEntity) {
    let first: PartyDto | undefined;
    try {
      first = this.cipher.decryptJson<{ applicants?: PartyDto[] }>(c.partiesEnc).applicants?.[0];
    } catch {
      first = undefined;
    }
    const person = first?.kind === 'PERSON';
    return {
      caseId: c.id,
      department: c.department,
      departmentName: this.catalogue.department(c.department)?.name ?? null,
      sourceCaseNo: c.sourceCaseNo,
      platformProjectNo: c.platformProjectNo,
      matterCode: c.matterCode,
      matterName: c.matterName,
      location: c.location,
      locationName: c.location ? (PINGJIANG_TOWNSHIPS[c.location.slice(0, 9)] ?? (c.location === '430626' ? '平江县' : null)) : null,
      currentStage: c.currentStage,
      currentStageLabel: STAGE_LABEL_ZH[c.currentStage as Stage] ?? c.currentStage,
      closed: !!c.closed,
      online: !!c.online,
      openedAt: c.openedAt.toISOString(),
      applicantName: first ? (person ? maskName(first.name) : first.name) : null,
      applicantCertNo: first ? (person ? maskIdNumber(first.certNo) : first.certNo) : null,
    };
  }
}
