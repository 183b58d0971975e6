import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { beijingIso, beijingYear } from './beijing-time';
import { parseContentType } from './gbk';
import { postDepartmentEvent, type GatewayReply } from './gateway-client';
import type { DepartmentProtocol, ReadResult, SimulatorReply } from './push-simulator';

export const SCJG_ORG_CODE = '11430626MB12345625';

/**
 * The online application as SCJG's webhook reads it. departments.md fixes only "JSON", so both the
 * department's own names (`platformNo`, `itemCode`, as in its events) and the platform's
 * (`project_no`, `task_code`) are understood; everything sent is kept.
 */
export type ScjgApplication = Record<string, unknown>;

const PROJECT_NO_FIELDS = ['platformNo', 'project_no', 'projectNo'] as const;
const MATTER_FIELDS = ['itemCode', 'task_code', 'taskCode'] as const;

const json = (status: number, body: unknown): SimulatorReply => ({
  status,
  contentType: 'application/json; charset=utf-8',
  body: Buffer.from(JSON.stringify(body), 'utf8'),
});

const firstString = (o: Record<string, unknown>, keys: readonly string[]): string | undefined => {
  for (const k of keys) if (typeof o[k] === 'string' && o[k] !== '') return o[k];
  return undefined;
};

/** SCJG 市场监督管理局's webhook: JSON in, `{"success": true, "bizNo"}` or a non-2xx status out. */
export const scjgProtocol: DepartmentProtocol<ScjgApplication> = {
  code: 'scjg',
  path: '/scjg/webhook',
  read(headers: IncomingHttpHeaders, body: Buffer): ReadResult<ScjgApplication> {
    const text = body.toString('utf8');
    const { mediaType, charset } = parseContentType(headers['content-type']);
    if (mediaType !== 'application/json')
      return {
        text,
        error: `Content-Type must be application/json, got "${headers['content-type'] ?? ''}"`,
        errorStatus: 415,
      };
    if (charset && charset !== 'utf-8' && charset !== 'utf8')
      return { text, error: `charset must be UTF-8, got "${charset}"`, errorStatus: 415 };
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (e) {
      return { text, error: `invalid JSON: ${(e as Error).message}`, errorStatus: 400 };
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
      return { text, error: 'body must be a JSON object', errorStatus: 400 };
    const app = parsed as ScjgApplication;
    const projectNo = firstString(app, PROJECT_NO_FIELDS);
    const matter = firstString(app, MATTER_FIELDS);
    let error: string | undefined;
    if (!projectNo) error = `the platform project number is required (${PROJECT_NO_FIELDS.join(' / ')})`;
    else if (!matter) error = `the matter code is required (${MATTER_FIELDS.join(' / ')})`;
    else if (!matter.startsWith(SCJG_ORG_CODE)) error = `matter ${matter} is not handled by SCJG`;
    return { text, parsed: app, projectNo, error, errorStatus: error ? 400 : undefined };
  },
  newCaseNo: (seq) => `SCJG-${beijingYear()}-${String(seq).padStart(6, '0')}`,
  accepted: (bizNo) => json(200, { success: true, bizNo }),
  // An injected business refusal is still a non-2xx answer: departments.md allows SCJG no other kind.
  refused: (message, { status, replyCode }) =>
    replyCode !== undefined
      ? json(422, { success: false, code: replyCode, message })
      : json(status ?? 400, { success: false, message }),
};

/** An SCJG stage event (the shape of config/examples/scjg-event.json). */
export interface ScjgEvent {
  eventId: string;
  bizNo: string;
  platformNo: string | null;
  itemCode: string;
  itemName: string;
  /** 10 申报 · 20 受理 · 25 不予受理 · 30 审查 · 35 补正告知 · 36 补正受理 · 40 核准 · 50 办结 · 60 领照 · 90 撤回 */
  status: number;
  statusTime: string;
  operator: { name: string; unit: string } | null;
  applicant: Record<string, unknown>;
  agent: Record<string, unknown> | null;
  location: string;
  result: { decision: 'APPROVED' | 'DENIED'; licenseNo?: string; reason?: string } | null;
}

/** A full SCJG event: the departments.md example with a fresh eventId and time, overridden by `event`. */
export function buildScjgEvent(event: Partial<ScjgEvent> & Pick<ScjgEvent, 'bizNo' | 'status'>): ScjgEvent {
  return {
    eventId: randomUUID(),
    platformNo: null,
    itemCode: `${SCJG_ORG_CODE}0000120001000`,
    itemName: '企业设立登记',
    statusTime: beijingIso(),
    operator: { name: '王五', unit: '登记注册股' },
    applicant: {
      type: 'ENTERPRISE',
      name: '平江县某某农业发展有限公司',
      uscc: '91330102MA28NBU477',
      legalRep: '赵六',
      phone: '0730-6223456',
    },
    agent: { name: '钱七', idNo: '430626200107081238', mobile: '13900000000' },
    location: '430626101',
    result: null,
    ...event,
  };
}

/** Posts one SCJG stage event (JSON) to the gateway, as SCJG's system does. */
export function sendScjgEvent(
  gatewayUrl: string,
  token: string,
  event: Partial<ScjgEvent> & Pick<ScjgEvent, 'bizNo' | 'status'>,
  timeoutMs?: number,
): Promise<GatewayReply> {
  const body = Buffer.from(JSON.stringify(buildScjgEvent(event)), 'utf8');
  return postDepartmentEvent(gatewayUrl, 'scjg', token, body, 'application/json', timeoutMs);
}
