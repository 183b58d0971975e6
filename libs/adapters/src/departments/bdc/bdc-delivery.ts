import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { formatBeijingDateTime } from '#gw/case';
import type { DeliveryReply, DeliveryType, DepartmentDelivery, OutboundRequest } from '../../department-adapter';
import { decodeBody, text } from '../../mapping-helpers';
import { encodeGbk, escapeXml } from './bdc.adapter';

/**
 * What BDC's receiving servlet gets (departments.md): the same `<BDCSJ>` document it sends for its
 * own stages, GBK, with `<SBH>` (the platform's project_no) filled and the stage in `<HJ>`:
 * 网上申报 for an online application, and for its follow-ups the names below. Co-owners are not
 * in the platform's data: the applicant (`applyer_*`) is the one `<QLR>`, the contact mobile its
 * `<DH>`. Materials go in repeated `<CL>`, an urging's deadline in `<DBQX>`, a reason or message
 * in `<BLYJ>`. Follow-ups carry no `<QLR>` (the platform does not repeat the applicant).
 */
export const BDC_DELIVERY_STAGES: Readonly<Record<DeliveryType, string>> = {
  ONLINE_APPLICATION: '网上申报',
  SUPPLEMENT_SUBMITTED: '补正材料提交',
  WITHDRAWN: '撤回申请',
  URGE: '督办',
};

export const BDC_DELIVERY_CONTENT_TYPE = 'text/xml; charset=GBK';

/** The platform's applyer_page_type → BDC's `<ZJZL>` (1 身份证 2 港澳台通行证 3 护照 6 统一社会信用代码 99 其他). */
const ZJZL_OF_PAGE_TYPE: Readonly<Record<string, string>> = {
  '111': '1',
  '112': '1',
  '511': '2',
  '516': '2',
  '414': '3',
  '001': '6',
  USCC: '6',
};

/** `<ZJZL>` for the platform applicant: by its certificate type, else by the kind of applicant. */
export function bdcCertKind(pageType: string | undefined, applyerType: unknown, certNo: string | undefined): string {
  if (pageType !== undefined && Object.prototype.hasOwnProperty.call(ZJZL_OF_PAGE_TYPE, pageType))
    return ZJZL_OF_PAGE_TYPE[pageType];
  if (pageType === undefined) {
    if (Number(applyerType) !== 1 && /^[0-9A-HJ-NPQRTUWXY]{18}$/.test(certNo ?? '')) return '6';
    if (Number(applyerType) === 1 && /^(\d{17}[\dXx]|\d{15})$/.test(certNo ?? '')) return '1';
  }
  return '99';
}

/** `yyyy-MM-dd HH:mm:ss` (the platform's times) → `yyyyMMddHHmmss`; anything else as sent (BDC reports it). */
export function toBdcTime(value: string | undefined): string {
  if (value === undefined) return '';
  const m = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})$/.exec(value);
  return m ? m.slice(1).join('') : value;
}

const el = (name: string, value: string | number | undefined | null): string =>
  `<${name}>${escapeXml(value === undefined || value === null ? '' : String(value))}</${name}>`;

export interface BdcDeliveryOptions {
  /** The catalogue's name of a matter, for follow-ups (the platform sends only the project_no). */
  matterName?: (taskCode: string) => string | undefined;
  /** The sending time `<FSSJ>` (default: now). */
  now?: number;
}

/** The XML text (not yet encoded) of one delivery. */
export function buildBdcDeliveryXml(d: DepartmentDelivery, options: BdcDeliveryOptions = {}): string {
  const a = (d.data ?? {}) as Record<string, any>;
  const online = d.type === 'ONLINE_APPLICATION';
  const sxbm = text(a.task_code) ?? d.matterCode ?? undefined;
  const sxmc = text(a.task_name) ?? (sxbm ? options.matterName?.(sxbm) : undefined);
  const hjsj = toBdcTime(online ? (text(a.apply_date) ?? d.occurredAt) : d.occurredAt);
  const fssj = toBdcTime(formatBeijingDateTime(options.now ?? Date.now()));
  const opinion = text(a.reason) ?? text(a.message);

  const owners: string[] = [];
  if (online) {
    const certNo = text(a.applyer_page_code);
    owners.push(
      `<QLR>${el('QLRMC', text(a.applyer_name))}${el('ZJZL', bdcCertKind(text(a.applyer_page_type), a.applyer_type, certNo))}` +
        `${el('ZJH', certNo)}${el('DH', text(a.contact_mobile))}</QLR>`,
    );
  }
  const materials = Array.isArray(a.materials)
    ? a.materials.map(
        (m: any) =>
          `<CL>${el('CLMC', text(m?.material_name))}${el('CLSL', text(m?.get_num))}${el('CLDZ', text(m?.file_url))}</CL>`,
      )
    : [];
  const lines = [
    el('SLBH', d.departmentCaseNo),
    el('SBH', d.projectNo),
    el('SXBM', sxbm),
    el('SXMC', sxmc),
    el('HJ', BDC_DELIVERY_STAGES[d.type]),
    el('HJSJ', hjsj),
    el('BLR', '') + el('BLYJ', opinion),
    ...owners,
    el('ZL', text(a.address)),
    el('XZQH', text(a.area_code)),
    el('BJJG', ''),
    el('ZSH', ''),
    ...materials,
    ...(d.type === 'URGE' ? [el('DBQX', toBdcTime(text(a.deadline)))] : []),
  ];
  return (
    '<?xml version="1.0" encoding="GBK"?>\n<BDCSJ>\n' +
    `  <HEAD>${el('XXID', d.callbackId)}${el('FSSJ', fssj)}</HEAD>\n` +
    `  <YWXX>\n${lines.map((l) => `    ${l}`).join('\n')}\n  </YWXX>\n</BDCSJ>\n`
  );
}

/** One delivery as BDC receives it: GB18030 bytes labelled GBK (rare names such as 𠮷 survive). */
export function formatBdcDelivery(d: DepartmentDelivery, options: BdcDeliveryOptions = {}): OutboundRequest {
  return { contentType: BDC_DELIVERY_CONTENT_TYPE, body: encodeGbk(buildBdcDeliveryXml(d, options)) };
}

const resultParser = new XMLParser({
  ignoreAttributes: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
  parseTagValue: false,
  trimValues: true,
  processEntities: true,
  htmlEntities: false,
});

/** The `<RESULT>` of an answer, or why it is not one. */
export function readBdcResult(
  contentType: string | undefined,
  body: Buffer,
): { code?: string; msg?: string; id?: string } | string {
  const declared = /charset\s*=\s*"?([\w-]+)/i.exec(contentType ?? '')?.[1]?.toLowerCase();
  // BDC answers GBK; a reply labelled UTF-8 is read as UTF-8.
  const xml = decodeBody(body, declared === 'utf-8' || declared === 'utf8' ? 'utf-8' : 'gb18030');
  if (xml === undefined) return 'the answer is not valid GBK';
  if (/<!DOCTYPE|<!ENTITY/i.test(xml)) return 'the answer holds a DOCTYPE';
  if (XMLValidator.validate(xml) !== true) return `the answer is not XML: ${xml.slice(0, 200)}`;
  let doc: any;
  try {
    doc = resultParser.parse(xml);
  } catch (e) {
    return `the answer is not XML: ${(e as Error).message}`;
  }
  const r = doc?.RESULT;
  if (!r || typeof r !== 'object') return `the answer is not a <RESULT>: ${xml.slice(0, 200)}`;
  const s = (v: unknown) => (typeof v === 'string' ? v.trim() : undefined);
  return { code: s(r.CODE), msg: s(r.MSG), id: s(r.ID) };
}

/**
 * `<RESULT>` CODE 0: taken, its `<ID>` the new 受理编号 (SLBH); a non-zero CODE: BDC refused the
 * content (permanent, its `<MSG>` the reason). A non-2xx status, or a 2xx that is not a `<RESULT>`
 * (a proxy's page), says nothing about the content: tried again later. 5xx, 408 and 429 never get
 * here (the dispatcher retries them itself).
 */
export function parseBdcDeliveryReply(status: number, contentType: string | undefined, body: Buffer): DeliveryReply {
  if (status < 200 || status >= 300) {
    return {
      ok: false,
      permanent: false,
      message: `HTTP ${status}: ${decodeBody(body, 'gb18030')?.slice(0, 200) ?? ''}`,
    };
  }
  const r = readBdcResult(contentType, body);
  if (typeof r === 'string') return { ok: false, permanent: false, message: `HTTP ${status}: ${r}` };
  if (r.code === undefined) return { ok: false, permanent: false, message: `HTTP ${status}: <RESULT> without <CODE>` };
  if (r.code === '0') {
    return { ok: true, departmentCaseNo: r.id || undefined, message: r.id ? `受理编号 ${r.id}` : (r.msg ?? '成功') };
  }
  return { ok: false, permanent: true, message: `CODE ${r.code}: ${r.msg ?? ''}`.trim() };
}
