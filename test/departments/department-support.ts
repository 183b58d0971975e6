import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as iconv from 'iconv-lite';
import { OPERATOR_TOKEN, REPO_ROOT, TOKENS, TestGateway } from '../support/test-gateway';
import { scjgEvent } from '../support/scjg-events';
import { waitFor } from '../support/wait-for';

/**
 * What the department suites share: the examples of departments.md exactly as the department
 * systems send them (config/examples), a raw HTTP poster that keeps the reply's bytes (BDC answers
 * in GBK), and the canonical case shape every department must come out as.
 */

export const EXAMPLES = join(REPO_ROOT, 'config', 'examples');
export const example = (file: string): Buffer => readFileSync(join(EXAMPLES, file));

export interface RawReply {
  status: number;
  contentType: string;
  body: Buffer;
  text: string;
  json: any;
}

/** POST over real HTTP, the reply kept as bytes (and as UTF-8 text / JSON when it parses). */
export async function postRaw(url: string, body: Buffer | string, headers: Record<string, string>): Promise<RawReply> {
  const r = await fetch(url, { method: 'POST', headers, body: typeof body === 'string' ? body : new Uint8Array(body), signal: AbortSignal.timeout(60_000) });
  const bytes = Buffer.from(await r.arrayBuffer());
  const text = bytes.toString('utf8');
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: r.status, contentType: r.headers.get('content-type') ?? '', body: bytes, text, json };
}

/** Posts one event to `/events` of a department, with that department's own token unless told. */
export function postEvent(gw: TestGateway, dept: string, body: Buffer | string, contentType: string, token: string | null = TOKENS[dept.toUpperCase()], extra: Record<string, string> = {}) {
  const headers: Record<string, string> = { 'Content-Type': contentType, ...extra };
  if (token) headers.Authorization = `Bearer ${token}`;
  return postRaw(`${gw.url}/api/v1/departments/${dept}/events`, body, headers);
}

/** Posts a batch file to `/batches`. */
export function postBatch(gw: TestGateway, dept: string, body: Buffer | string, headers: Record<string, string> = {}, token: string | null = TOKENS[dept.toUpperCase()]) {
  const h: Record<string, string> = { 'Content-Type': 'text/csv', ...headers };
  if (token) h.Authorization = `Bearer ${token}`;
  return postRaw(`${gw.url}/api/v1/departments/${dept}/batches`, body, h);
}

export async function getJson(gw: TestGateway, path: string, operator = false): Promise<{ status: number; body: any }> {
  const r = await fetch(`${gw.url}${path}`, { headers: operator ? { Authorization: `Bearer ${OPERATOR_TOKEN}` } : {}, signal: AbortSignal.timeout(30_000) });
  return { status: r.status, body: await r.json() };
}

export async function getCase(gw: TestGateway, caseId: string): Promise<any> {
  const r = await getJson(gw, `/api/v1/cases/${caseId}`, true);
  if (r.status !== 200) throw new Error(`GET case ${caseId}: HTTP ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

/** Waits until every stage of the case is delivered to the platform simulator; returns the case. */
export function waitDelivered(gw: TestGateway, caseId: string, timeoutMs = 20_000): Promise<any> {
  return waitFor(
    `case ${caseId} delivered to the platform`,
    async () => {
      const c = await getCase(gw, caseId);
      return c.delivery.state === 'DELIVERED' ? c : null;
    },
    timeoutMs,
    100,
  );
}

/**
 * The top-level keys of `GET /api/v1/cases/{id}`: the one canonical shape, whatever department the
 * case came from. Each department suite checks its case against it and against a SCJG case.
 */
export const CANONICAL_CASE_KEYS = [
  'agent',
  'applicants',
  'caseId',
  'closed',
  'closedAt',
  'currentStage',
  'currentStageLabel',
  'delivery',
  'department',
  'departmentName',
  'licences',
  'location',
  'locationName',
  'matterCode',
  'matterName',
  'online',
  'openedAt',
  'platformProjectNo',
  'sourceCaseNo',
  'stages',
  'warnings',
];

export const CANONICAL_STAGE_KEYS = ['delivery', 'eventId', 'handler', 'opinion', 'receivedAt', 'result', 'sourceEventId', 'sourceSeq', 'stage', 'stageLabel', 'stageName', 'stageTime', 'warnings'];

/**
 * Posts the SCJG example of departments.md (a fresh event id and case number) and returns its
 * delivered case: the reference every other department's case is compared with.
 */
export async function scjgReferenceCase(gw: TestGateway): Promise<any> {
  const reply = await postEvent(gw, 'scjg', JSON.stringify(scjgEvent({ bizNo: `SCJG-REF-${Date.now()}` })), 'application/json');
  if (reply.status !== 202) throw new Error(`SCJG reference: HTTP ${reply.status} ${reply.text}`);
  return waitDelivered(gw, reply.json.caseId);
}

/** Same top-level keys and stage keys as the reference case, with the same types. */
export function expectCanonicalShape(c: any, reference: any): void {
  expect(Object.keys(c).sort()).toEqual(CANONICAL_CASE_KEYS);
  expect(Object.keys(c).sort()).toEqual(Object.keys(reference).sort());
  for (const k of CANONICAL_CASE_KEYS) {
    // null is allowed where the reference has a value (no agent, not closed): same key, same meaning.
    if (c[k] !== null && reference[k] !== null) expect([k, typeof c[k], Array.isArray(c[k])]).toEqual([k, typeof reference[k], Array.isArray(reference[k])]);
  }
  expect(Object.keys(c.delivery).sort()).toEqual(Object.keys(reference.delivery).sort());
  for (const s of c.stages) expect(Object.keys(s).sort()).toEqual(CANONICAL_STAGE_KEYS);
  for (const a of c.applicants) expect(Object.keys(a).sort()).toEqual(expect.arrayContaining(['certNo', 'certType', 'kind', 'name']));
  expect(c.stages.length).toBeGreaterThan(0);
}

/** GB 11643-1999 check character of the first 17 digits. */
export function idCheckChar(first17: string): string {
  const w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  const sum = [...first17].reduce((s, d, i) => s + Number(d) * w[i], 0);
  return '10X98765432'[sum % 11];
}

/** An old 15-digit ID number as 18 digits: `19` before the birth year, the check digit appended. */
export function id15To18(id15: string): string {
  const first17 = `${id15.slice(0, 6)}19${id15.slice(6)}`;
  return first17 + idCheckChar(first17);
}

/** GB18030 bytes (identical to GBK for every GBK character; carries 䶮 and 𠮷 too). */
export const gbk = (s: string): Buffer => iconv.encode(s, 'gb18030');
export const fromGbk = (b: Buffer): string => new TextDecoder('gb18030').decode(b);

export interface BdcFields {
  XXID: string;
  SLBH: string;
  SBH?: string;
  SXBM?: string;
  SXMC?: string;
  HJ?: string;
  HJSJ?: string;
  BLR?: string;
  BLYJ?: string;
  /** Each co-owner: QLRMC, ZJZL, ZJH, DH. */
  QLR?: { QLRMC: string; ZJZL: string; ZJH: string; DH?: string }[];
  XZQH?: string;
  BJJG?: string;
  ZSH?: string;
}

/** A BDC document in the shape of the departments.md example (text, to be encoded as GBK). */
export function bdcXml(f: BdcFields): string {
  const owners = (f.QLR ?? [{ QLRMC: '李四', ZJZL: '1', ZJH: '430626198503120040', DH: '13800000000' }])
    .map((q) => `<QLR><QLRMC>${q.QLRMC}</QLRMC><ZJZL>${q.ZJZL}</ZJZL><ZJH>${q.ZJH}</ZJH><DH>${q.DH ?? ''}</DH></QLR>`)
    .join('\n    ');
  return `<?xml version="1.0" encoding="GBK"?>
<BDCSJ>
  <HEAD><XXID>${f.XXID}</XXID><FSSJ>20261023093015</FSSJ></HEAD>
  <YWXX>
    <SLBH>${f.SLBH}</SLBH>
    <SBH>${f.SBH ?? ''}</SBH>
    <SXBM>${f.SXBM ?? '12430626MB234567830000173001000'}</SXBM>
    <SXMC>${f.SXMC ?? '国有建设用地使用权及房屋所有权首次登记'}</SXMC>
    <HJ>${f.HJ ?? '受理'}</HJ>
    <HJSJ>${f.HJSJ ?? '20261023093000'}</HJSJ>
    <BLR>${f.BLR ?? '张三'}</BLR><BLYJ>${f.BLYJ ?? '材料齐全，予以受理'}</BLYJ>
    ${owners}
    <ZL>平江县汉昌街道天岳大道88号</ZL>
    <XZQH>${f.XZQH ?? '430626001'}</XZQH>
    <BJJG>${f.BJJG ?? ''}</BJJG>
    <ZSH>${f.ZSH ?? ''}</ZSH>
  </YWXX>
</BDCSJ>
`;
}

/** The `<RESULT>` reply of BDC, decoded from GBK. */
export function bdcResult(reply: RawReply): { CODE: string; MSG: string; ID: string } {
  const xml = fromGbk(reply.body);
  const tag = (t: string) => new RegExp(`<${t}>([\\s\\S]*?)</${t}>`).exec(xml)?.[1] ?? '';
  return { CODE: tag('CODE'), MSG: tag('MSG'), ID: tag('ID') };
}

export const YBJ_HEADER = '流水号,业务编号,申办号,事项编码,事项名称,环节,环节时间,申请人姓名,证件号码,联系电话,经办人,办理意见,办理结果,办理地点';
