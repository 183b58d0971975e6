import * as iconv from 'iconv-lite';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import type { CanonicalEvent, CaseResultDto, CertType, FieldIssue, PartyDto, PartyKind, Stage } from '#gw/case';
import type { Catalogue, DepartmentEntry } from '#gw/catalogue';
import type {
  DeliveryReply,
  DepartmentAdapter,
  DepartmentAdapterFactory,
  DepartmentDelivery,
  HttpReply,
  IngestDecision,
  OutboundRequest,
  ParseResult,
  RawInbound,
} from '../../department-adapter';
import { decodeBody, fromCompactTime, issue, parserReason, text } from '../../mapping-helpers';
import { maskSentValue, quoteSentValue } from '#gw/case';
import { formatBdcDelivery, parseBdcDeliveryReply } from './bdc-delivery';

/**
 * BDC 不动产登记中心 (departments.md): one GBK XML document `<BDCSJ>` per stage, Chinese stage
 * names in `<HJ>`, `yyyyMMddHHmmss` times, repeated `<QLR>` co-owners.
 *
 * 发证 and DELIVERED: the adapter sees one event at a time and cannot know whether the case was
 * already completed, so 发证 always maps to COMPLETED (准予, with the certificate number `<ZSH>`).
 * The handing-over of the certificate is DELIVERED when BDC says so explicitly: either the stage
 * name 领证, or a 发证 document carrying `<LZ>` (领证) with 1 / 是 / Y / true.
 *
 * `<BJJG>` (准予 / 不予 / 退件) refines the stage: 登簿 with 不予 is a refused registration, which
 * ends the case (COMPLETED, result 1 不予许可, reason from `<BLYJ>`); 登簿 with 退件 and the stage
 * 退件 end it with result 5 (退件, reason from `<BLYJ>`). A 发证 that says 不予 or 退件 contradicts
 * itself and is reported on `result.type`.
 */
export const BDC_STAGES: Readonly<Record<string, Stage>> = {
  收件: 'SUBMITTED',
  受理: 'ACCEPTED',
  审核: 'REVIEWED',
  登簿: 'APPROVED',
  // 缴费 and 缮证 are process steps: reported as UNDERTAKEN, their name kept as stageName.
  缴费: 'UNDERTAKEN',
  缮证: 'UNDERTAKEN',
  发证: 'COMPLETED',
  领证: 'DELIVERED',
  不予受理: 'NOT_ACCEPTED',
  退件: 'COMPLETED',
  补正告知: 'SUPPLEMENT_REQUESTED',
  补正受理: 'SUPPLEMENT_RECEIVED',
};

/** `<ZJZL>` 证件种类 → canonical certificate type and kind of party. */
export const BDC_CERT_TYPES: Readonly<Record<string, { certType: CertType; kind: PartyKind }>> = {
  '1': { certType: '111', kind: 'PERSON' }, // 身份证
  '2': { certType: '516', kind: 'PERSON' }, // 港澳台通行证
  '3': { certType: '414', kind: 'PERSON' }, // 护照
  '6': { certType: 'USCC', kind: 'ENTERPRISE' }, // 统一社会信用代码
  '99': { certType: '990', kind: 'PERSON' }, // 其他 (a person with another document)
};

/** `<BJJG>` values. */
const BJJG_VALUES = ['准予', '不予', '退件'] as const;
type Bjjg = (typeof BJJG_VALUES)[number];

const CERTIFICATE_NAME = '不动产权证书';
/** Most co-owners an event may carry (the canonical `applicants` limit). */
const MAX_OWNERS = 50;
const LZ_YES = new Set(['1', '是', 'Y', 'y', 'TRUE', 'true', '已领证']);

const ROOT = 'BDCSJ';
const Y = `${ROOT}/YWXX`;

/** Canonical field paths → BDC's own element paths (XPath, 1-based for repeated QLR). */
const SOURCE_FIELDS: Record<string, string> = {
  sourceEventId: `${ROOT}/HEAD/XXID`,
  sourceCaseNo: `${Y}/SLBH`,
  platformProjectNo: `${Y}/SBH`,
  matterCode: `${Y}/SXBM`,
  matterName: `${Y}/SXMC`,
  stage: `${Y}/HJ`,
  stageName: `${Y}/HJ`,
  stageTime: `${Y}/HJSJ`,
  handler: `${Y}/BLR`,
  'handler.name': `${Y}/BLR`,
  opinion: `${Y}/BLYJ`,
  applicants: `${Y}/QLR`,
  address: `${Y}/ZL`,
  location: `${Y}/XZQH`,
  result: `${Y}/BJJG`,
  'result.type': `${Y}/BJJG`,
  'result.explain': `${Y}/BLYJ`,
  'result.certificateNo': `${Y}/ZSH`,
  'result.certificateName': `${Y}/ZSH`,
};

const PARTY_FIELDS: Record<string, string> = {
  kind: 'ZJZL',
  name: 'QLRMC',
  certType: 'ZJZL',
  certNo: 'ZJH',
  phone: 'DH',
  legalRep: 'QLRMC',
};

/** Media types BDC posts with; `text/xml; charset=GBK` is what it sends, `application/xml` is accepted too. */
export const BDC_MEDIA_TYPES = ['text/xml', 'application/xml'] as const;
const GBK_FAMILY = new Set(['gbk', 'gb2312', 'gb18030', 'cp936', 'x-gbk']);

const parser = new XMLParser({
  ignoreAttributes: true,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  // No DOCTYPE ever reaches the parser (refused before), so only the five XML entities remain.
  processEntities: true,
  htmlEntities: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
  isArray: (tagName) => tagName === 'QLR',
  maxNestedTags: 32,
});

/** A value of a code table, never one inherited from Object.prototype (`constructor`, `__proto__`). */
function lookup<T>(table: Readonly<Record<string, T>>, key: string | undefined): T | undefined {
  return key !== undefined && Object.prototype.hasOwnProperty.call(table, key) ? table[key] : undefined;
}

/** An own property of a parsed XML element, never one inherited from Object.prototype. */
function child(node: unknown, name: string): unknown {
  if (!node || typeof node !== 'object' || Array.isArray(node)) return undefined;
  return Object.prototype.hasOwnProperty.call(node, name) ? (node as Record<string, unknown>)[name] : undefined;
}

/**
 * The text of a leaf element, or undefined when absent or blank. An element that repeats or
 * holds child elements is reported on the canonical field it would have filled.
 */
function leaf(node: unknown, name: string, field: string, issues: FieldIssue[]): string | undefined {
  const v = child(node, name);
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return text(v);
  issues.push(
    issue(
      field,
      'VALUE_NOT_TEXT',
      Array.isArray(v) ? `<${name}> appears more than once` : `<${name}> must hold text, not elements`,
    ),
  );
  return undefined;
}

/** Encodes as GB18030: identical to GBK for every GBK character, and keeps rare characters (𠮷, 䶮) intact. */
export function encodeGbk(s: string): Buffer {
  return iconv.encode(s, 'gb18030');
}

const XML_FORBIDDEN_CHARS = /[^\t\n\r\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

export function escapeXml(s: string): string {
  return s
    .replace(XML_FORBIDDEN_CHARS, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

export class BdcAdapter implements DepartmentAdapter {
  readonly eventMediaTypes = BDC_MEDIA_TYPES;

  constructor(
    readonly department: DepartmentEntry,
    private readonly catalogue?: Catalogue,
  ) {}

  parseEvent(raw: RawInbound): ParseResult {
    const charset = (raw.charset ?? declaredEncoding(raw.body) ?? 'gbk').toLowerCase();
    if (!GBK_FAMILY.has(charset) && charset !== 'utf-8' && charset !== 'utf8') {
      return { ok: false, code: 'PAYLOAD_ENCODING', message: `charset ${quoteSentValue(charset)} is not supported; BDC sends GBK` };
    }
    const xml = decodeBody(raw.body, charset);
    if (xml === undefined) {
      // Cut in the middle of a character: the document is truncated rather than wrongly encoded.
      if (endsMidCharacter(raw.body, charset)) {
        return {
          ok: false,
          code: 'PAYLOAD_NOT_XML',
          message: 'body is truncated (it ends in the middle of a character)',
        };
      }
      return { ok: false, code: 'PAYLOAD_ENCODING', message: `body is not valid ${maskSentValue(charset.toUpperCase())}` };
    }

    // No DTDs: a DOCTYPE or an entity declaration is how XXE and entity-expansion attacks start.
    if (/<!DOCTYPE/i.test(xml) || /<!ENTITY/i.test(xml)) {
      return { ok: false, code: 'PAYLOAD_XML_DTD', message: 'DOCTYPE and entity declarations are not allowed' };
    }
    const valid = XMLValidator.validate(xml);
    if (valid !== true) {
      const e = valid.err;
      return {
        ok: false,
        code: 'PAYLOAD_NOT_XML',
        message: `body is not well-formed XML: ${parserReason(e.msg)} (line ${e.line}, column ${e.col})`,
      };
    }
    let doc: unknown;
    try {
      doc = parser.parse(xml);
    } catch (e) {
      return { ok: false, code: 'PAYLOAD_NOT_XML', message: `body is not well-formed XML: ${parserReason((e as Error).message)}` };
    }
    const root = child(doc, ROOT);
    const head = child(root, 'HEAD');
    const ywxx = child(root, 'YWXX');
    if (!ywxx || typeof ywxx !== 'object' || Array.isArray(ywxx)) {
      return { ok: false, code: 'PAYLOAD_NOT_BDCSJ', message: 'the document must be one <BDCSJ> holding one <YWXX>' };
    }

    const issues: FieldIssue[] = [];
    const f = (name: string, field: string) => leaf(ywxx, name, field, issues);
    const sourceEventId = leaf(head, 'XXID', 'sourceEventId', issues);
    const hj = f('HJ', 'stage');
    const bjjgText = f('BJJG', 'result.type');
    const blyj = f('BLYJ', 'opinion');
    const zsh = f('ZSH', 'result.certificateNo');
    const lz = f('LZ', 'stage');
    const hjsj = f('HJSJ', 'stageTime');
    const sbh = f('SBH', 'platformProjectNo');

    let bjjg: Bjjg | undefined;
    if (bjjgText !== undefined) {
      if ((BJJG_VALUES as readonly string[]).includes(bjjgText)) bjjg = bjjgText as Bjjg;
      else
        issues.push(
          issue('result.type', 'VALUE_NOT_ALLOWED', `BJJG ${quoteSentValue(bjjgText)} is not one of ${BJJG_VALUES.join(' ')}`),
        );
    }

    let stage: Stage | undefined = lookup(BDC_STAGES, hj);
    let result: CaseResultDto | undefined;
    if (hj !== undefined && !stage) {
      issues.push(issue('stage', 'STATUS_UNKNOWN', `HJ ${quoteSentValue(hj)} is not one of ${Object.keys(BDC_STAGES).join(' ')}`));
    }
    switch (hj) {
      case '发证':
        if (bjjg === '不予' || bjjg === '退件') {
          issues.push(issue('result.type', 'VALUE_NOT_ALLOWED', `发证 cannot carry BJJG ${quoteSentValue(bjjg)}`));
        } else if (lz !== undefined && LZ_YES.has(lz)) {
          stage = 'DELIVERED';
        } else {
          result = { type: 0, certificateName: CERTIFICATE_NAME, certificateNo: zsh };
        }
        break;
      case '登簿':
        if (bjjg === '不予') {
          stage = 'COMPLETED';
          result = { type: 1, explain: blyj };
        } else if (bjjg === '退件') {
          stage = 'COMPLETED';
          result = { type: 5, explain: blyj };
        }
        break;
      case '退件':
        if (bjjg === '准予' || bjjg === '不予')
          issues.push(issue('result.type', 'VALUE_NOT_ALLOWED', `退件 cannot carry BJJG ${quoteSentValue(bjjg)}`));
        result = { type: 5, explain: blyj };
        break;
      case '不予受理':
        if (bjjg === '准予')
          issues.push(issue('result.type', 'VALUE_NOT_ALLOWED', '不予受理 cannot carry BJJG "准予"'));
        break;
    }

    const stageTime = fromCompactTime(hjsj);
    if (hjsj !== undefined && !stageTime) {
      issues.push(
        issue('stageTime', 'DATE_INVALID', 'HJSJ must be a real time as yyyyMMddHHmmss, e.g. 20261023093000'),
      );
    }

    const applicants = this.mapOwners(child(ywxx, 'QLR'), issues);
    const blr = f('BLR', 'handler.name');

    const event: Partial<CanonicalEvent> = {
      department: this.department.code,
      sourceEventId: sourceEventId!,
      sourceCaseNo: f('SLBH', 'sourceCaseNo')!,
      platformProjectNo: sbh,
      matterCode: f('SXBM', 'matterCode')!,
      matterName: f('SXMC', 'matterName')!,
      stage,
      stageName: hj,
      stageTime: stageTime ?? hjsj!,
      handler: blr !== undefined ? { name: blr } : undefined,
      opinion: blyj,
      applicants: applicants as PartyDto[],
      address: f('ZL', 'address'),
      location: f('XZQH', 'location'),
      applyChannel: sbh ? 'ONLINE' : 'WINDOW',
      result,
    };
    return { ok: true, event: { sourceEventId: sourceEventId ?? '', event, issues } };
  }

  /** Repeated `<QLR>` → applicants, in document order. */
  private mapOwners(raw: unknown, issues: FieldIssue[]): PartyDto[] | undefined {
    if (raw === undefined || raw === null) return undefined;
    // One past the canonical limit, so the validator answers TOO_MANY: checking every one of the
    // thousands of <QLR> a megabyte holds took seconds of CPU (and stalled every other request).
    const list = (Array.isArray(raw) ? raw : [raw]).slice(0, MAX_OWNERS + 1);
    return list.map((qlr, i) => {
      const at = `applicants[${i}]`;
      if (!qlr || typeof qlr !== 'object') {
        issues.push(issue(at, 'TYPE_OBJECT', '<QLR> must hold QLRMC, ZJZL, ZJH'));
        return undefined as unknown as PartyDto;
      }
      const zjzl = leaf(qlr, 'ZJZL', `${at}.certType`, issues);
      const cert = lookup(BDC_CERT_TYPES, zjzl);
      if (zjzl !== undefined && !cert) {
        issues.push(
          issue(
            `${at}.certType`,
            'VALUE_NOT_ALLOWED',
            `ZJZL ${quoteSentValue(zjzl)} is not one of ${Object.keys(BDC_CERT_TYPES).join(' ')}`,
          ),
        );
      }
      return {
        kind: cert?.kind ?? 'PERSON',
        name: leaf(qlr, 'QLRMC', `${at}.name`, issues)!,
        certType: cert?.certType as CertType,
        certNo: leaf(qlr, 'ZJH', `${at}.certNo`, issues)!,
        phone: leaf(qlr, 'DH', `${at}.phone`, issues),
      };
    });
  }

  sourceField(canonicalPath: string): string {
    const m = /^applicants\[(\d+)\](?:\.(\w+))?$/.exec(canonicalPath);
    if (m) {
      const at = `${Y}/QLR[${Number(m[1]) + 1}]`;
      return m[2] ? `${at}/${lookup(PARTY_FIELDS, m[2]) ?? m[2]}` : at;
    }
    return lookup(SOURCE_FIELDS, canonicalPath) ?? canonicalPath;
  }

  /** `<RESULT>` in GBK: CODE 0 and the gateway event id on success, else a non-zero CODE with the reason. */
  formatReply(decision: IngestDecision): HttpReply {
    const ok = decision.httpStatus >= 200 && decision.httpStatus < 300;
    let code: string;
    let msg: string;
    if (ok) {
      code = '0';
      msg = '成功';
    } else {
      code = String(decision.httpStatus || 1);
      const details = (decision.errors ?? []).map((e) => `${e.field}: ${e.message}`);
      msg = [`${decision.code} ${decision.message}`, ...details].join('；');
    }
    const body =
      '<?xml version="1.0" encoding="GBK"?>' +
      `<RESULT><CODE>${escapeXml(code)}</CODE><MSG>${escapeXml(msg)}</MSG><ID>${escapeXml(decision.eventId ?? '')}</ID></RESULT>`;
    return { status: decision.httpStatus, contentType: 'text/xml; charset=GBK', body: encodeGbk(body) };
  }

  /** Online applications and their follow-ups are pushed to BDC's servlet as GBK `<BDCSJ>` (bdc-delivery.ts). */
  readonly deliveryMode = 'push' as const;

  formatDelivery(delivery: DepartmentDelivery): OutboundRequest {
    return formatBdcDelivery(delivery, { matterName: (code) => this.catalogue?.matter(code)?.name });
  }

  parseDeliveryReply(status: number, contentType: string | undefined, body: Buffer): DeliveryReply {
    return parseBdcDeliveryReply(status, contentType, body);
  }
}

/** Whether the bytes are valid in the charset except for an incomplete character at the very end. */
function endsMidCharacter(body: Buffer, charset: string): boolean {
  try {
    new TextDecoder(GBK_FAMILY.has(charset) ? 'gb18030' : 'utf-8', { fatal: true }).decode(body, { stream: true });
    return true;
  } catch {
    return false;
  }
}

/** The `encoding` of the XML declaration (ASCII-compatible prefix), when Content-Type names no charset. */
function declaredEncoding(body: Buffer): string | undefined {
  const head = body.subarray(0, 200).toString('latin1');
  const m = /^\s*<\?xml[^>]*\bencoding\s*=\s*["']([A-Za-z0-9._-]+)["']/.exec(head);
  return m?.[1];
}

export const createAdapter: DepartmentAdapterFactory = (department, catalogue) => new BdcAdapter(department, catalogue);
