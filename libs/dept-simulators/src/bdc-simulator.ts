import type { IncomingHttpHeaders } from 'node:http';
import { beijingCompactDate } from './beijing-time';
import {
  BDC_CERT_KINDS,
  BDC_ORG_CODE,
  buildBdcResult,
  buildBdcXml,
  parseBdcXml,
  type BdcDocument,
  type BdcDocumentInput,
} from './bdc-xml';
import { decodeGbk, encodeGbk, isGbkCharset, parseContentType } from './gbk';
import { postDepartmentEvent, type GatewayReply } from './gateway-client';
import type { DepartmentProtocol, ReadResult, SimulatorReply } from './push-simulator';

/** The stage name BDC expects on an application forwarded from the platform. */
export const BDC_ONLINE_STAGE = '网上申报';
/**
 * Stage names of the platform's follow-ups of an online application (补正材料提交, 撤回申请,
 * 督办): the same `<BDCSJ>` with `<SBH>` filled, without `<QLR>` (the platform does not repeat the
 * applicant). They are answered like an application of a known SBH: CODE 0 and that case's SLBH.
 */
export const BDC_FOLLOW_UP_STAGES = ['补正材料提交', '撤回申请', '督办'] as const;
export const BDC_CONTENT_TYPE = 'text/xml; charset=GBK';

/** Non-zero `<CODE>` BDC answers for a malformed application (an injected `replyCode` replaces it). */
export const BDC_INVALID_CODE = '1';

const gbkReply = (xml: string): SimulatorReply => ({
  status: 200,
  contentType: BDC_CONTENT_TYPE,
  body: encodeGbk(xml),
});

/** The checks BDC's receiving servlet makes before it opens a case for an online application (or takes a follow-up). */
function checkApplication(doc: BdcDocument): string | undefined {
  const followUp = (BDC_FOLLOW_UP_STAGES as readonly string[]).includes(doc.hj);
  if (doc.hj !== BDC_ONLINE_STAGE && !followUp)
    return `HJ必须为${[BDC_ONLINE_STAGE, ...BDC_FOLLOW_UP_STAGES].join('/')}，收到"${doc.hj}"`;
  if (!doc.sbh) return 'SBH(申办号)不能为空';
  if (!doc.sxbm) return 'SXBM(事项编码)不能为空';
  if (!doc.sxbm.startsWith(BDC_ORG_CODE)) return `SXBM ${doc.sxbm} 不是本中心的事项`;
  if (followUp) return undefined;
  if (doc.qlr.length === 0) return '至少需要一个QLR(权利人)';
  for (const [i, q] of doc.qlr.entries()) {
    if (!q.qlrmc) return `QLR[${i + 1}].QLRMC(权利人名称)不能为空`;
    if (!(BDC_CERT_KINDS as readonly string[]).includes(q.zjzl)) return `QLR[${i + 1}].ZJZL(证件种类)无效: "${q.zjzl}"`;
    if (!q.zjh) return `QLR[${i + 1}].ZJH(证件号)不能为空`;
  }
  return undefined;
}

/**
 * BDC 不动产登记中心 receiving online applications: GBK XML `<BDCSJ>` with `<HJ>网上申报</HJ>`,
 * answered (always HTTP 200, as its servlet does) with GBK `<RESULT>`; a new 受理编号 in `<ID>`.
 */
export const bdcProtocol: DepartmentProtocol<BdcDocument> = {
  code: 'bdc',
  path: '/bdc/applications',
  read(headers: IncomingHttpHeaders, body: Buffer): ReadResult<BdcDocument> {
    const { mediaType, charset } = parseContentType(headers['content-type']);
    // It reads every body as GBK whatever is declared; what is declared is still checked below.
    const text = decodeGbk(body);
    if (mediaType !== 'text/xml' && mediaType !== 'application/xml')
      return { text, error: `Content-Type必须为${BDC_CONTENT_TYPE}，收到"${headers['content-type'] ?? ''}"` };
    if (charset && !isGbkCharset(charset)) return { text, error: `字符集必须为GBK，收到"${charset}"` };
    // U+FFFD means bytes that are not GBK at all (e.g. UTF-8 with a wrong label).
    if (text.includes('\uFFFD')) return { text, error: '报文含有非GBK编码的字节' };
    const declared = /^\s*<\?xml[^>]*encoding\s*=\s*["']([^"']+)["']/i.exec(text)?.[1];
    if (declared && !isGbkCharset(declared.toLowerCase()))
      return { text, error: `XML声明的编码必须为GBK，收到"${declared}"` };
    let parsed: BdcDocument;
    try {
      parsed = parseBdcXml(text);
    } catch (e) {
      return { text, error: (e as Error).message };
    }
    const error = checkApplication(parsed);
    return { text, parsed, projectNo: parsed.sbh || undefined, error };
  },
  // 受理编号 as in departments.md: yyyyMMdd and a four-digit daily number (wider past 9999).
  newCaseNo: (seq) => `${beijingCompactDate()}${String(seq).padStart(4, '0')}`,
  accepted: (caseNo) => gbkReply(buildBdcResult('0', '成功', caseNo)),
  refused: (reason, { replyCode }) => gbkReply(buildBdcResult(replyCode ?? BDC_INVALID_CODE, reason)),
};

/** Posts one BDC stage event (GBK XML) to the gateway, as BDC's system does. */
export function sendBdcEvent(
  gatewayUrl: string,
  token: string,
  event: BdcDocumentInput,
  timeoutMs?: number,
): Promise<GatewayReply> {
  return postDepartmentEvent(gatewayUrl, 'bdc', token, encodeGbk(buildBdcXml(event)), BDC_CONTENT_TYPE, timeoutMs);
}
