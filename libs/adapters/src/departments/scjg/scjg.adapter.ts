import type { CanonicalEvent, CaseResultDto, FieldIssue, PartyDto, Stage } from '#gw/case';
import type { DepartmentEntry } from '#gw/catalogue';
import type { DeliveryReply, DepartmentAdapter, DepartmentAdapterFactory, DepartmentDelivery, OutboundRequest, ParseResult, RawInbound } from '../../department-adapter';
import { formatScjgDelivery, parseScjgDeliveryReply } from './scjg-delivery';
import { decodeBody, fromIsoWithOffset, issue, parserReason, text } from '../../mapping-helpers';
import { quoteSentValue } from '#gw/case';

/** SCJG numeric statuses (departments.md) → canonical stages. */
export const SCJG_STATUS: Readonly<Record<number, { stage: Stage; name: string }>> = {
  10: { stage: 'SUBMITTED', name: '申报' },
  20: { stage: 'ACCEPTED', name: '受理' },
  25: { stage: 'NOT_ACCEPTED', name: '不予受理' },
  30: { stage: 'REVIEWED', name: '审查' },
  35: { stage: 'SUPPLEMENT_REQUESTED', name: '补正告知' },
  36: { stage: 'SUPPLEMENT_RECEIVED', name: '补正受理' },
  40: { stage: 'APPROVED', name: '核准' },
  50: { stage: 'COMPLETED', name: '办结' },
  60: { stage: 'DELIVERED', name: '领照' },
  90: { stage: 'WITHDRAWN', name: '撤回' },
};

/** Canonical field paths → SCJG's own names, so a 422 speaks the vendor's language. */
const SOURCE_FIELDS: Record<string, string> = {
  sourceEventId: 'eventId',
  sourceCaseNo: 'bizNo',
  platformProjectNo: 'platformNo',
  matterCode: 'itemCode',
  matterName: 'itemName',
  stage: 'status',
  stageName: 'status',
  stageTime: 'statusTime',
  'handler.name': 'operator.name',
  'handler.unit': 'operator.unit',
  applicants: 'applicant',
  'applicants[0]': 'applicant',
  'applicants[0].kind': 'applicant.type',
  'applicants[0].name': 'applicant.name',
  'applicants[0].certNo': 'applicant.uscc',
  'applicants[0].certType': 'applicant.type',
  'applicants[0].phone': 'applicant.phone',
  'applicants[0].legalRep': 'applicant.legalRep',
  agent: 'agent',
  'agent.name': 'agent.name',
  'agent.certNo': 'agent.idNo',
  'agent.phone': 'agent.mobile',
  location: 'location',
  result: 'result',
  'result.type': 'result.decision',
  'result.explain': 'result.reason',
  'result.certificateNo': 'result.licenseNo',
};

function mapApplicant(raw: any, issues: FieldIssue[]): PartyDto | undefined {
  if (!raw || typeof raw !== 'object') return undefined;
  const type = text(raw.type) ?? (text(raw.uscc) ? 'ENTERPRISE' : 'PERSON');
  if (type === 'ENTERPRISE') {
    return { kind: 'ENTERPRISE', name: text(raw.name)!, certType: 'USCC', certNo: text(raw.uscc)!, phone: text(raw.phone), legalRep: text(raw.legalRep) };
  }
  if (type === 'PERSON') {
    return { kind: 'PERSON', name: text(raw.name)!, certType: '111', certNo: text(raw.idNo)!, phone: text(raw.phone ?? raw.mobile) };
  }
  issues.push(issue('applicants[0].kind', 'VALUE_NOT_ALLOWED', `applicant type ${quoteSentValue(type)} is neither ENTERPRISE nor PERSON`));
  return undefined;
}

function mapResult(raw: any, issues: FieldIssue[]): CaseResultDto | undefined {
  if (raw === null || raw === undefined) return undefined;
  if (typeof raw !== 'object') {
    issues.push(issue('result', 'TYPE_OBJECT', 'result must be an object'));
    return undefined;
  }
  const decision = text(raw.decision);
  if (decision === 'APPROVED') return { type: 0, certificateName: '营业执照', certificateNo: text(raw.licenseNo), explain: text(raw.reason) };
  if (decision === 'DENIED') return { type: 1, explain: text(raw.reason) };
  issues.push(issue('result.type', 'VALUE_NOT_ALLOWED', `decision ${quoteSentValue(decision ?? '')} is neither APPROVED nor DENIED`));
  return undefined;
}

export class ScjgAdapter implements DepartmentAdapter {
  readonly eventMediaTypes = ['application/json'] as const;

  constructor(readonly department: DepartmentEntry) {}

  parseEvent(raw: RawInbound): ParseResult {
    const json = decodeBody(raw.body, raw.charset ?? 'utf-8');
    if (json === undefined) return { ok: false, code: 'PAYLOAD_ENCODING', message: 'body is not valid UTF-8' };
    let body: any;
    try {
      body = JSON.parse(json);
    } catch (e) {
      return { ok: false, code: 'PAYLOAD_NOT_JSON', message: `body is not JSON: ${parserReason((e as Error).message)}` };
    }
    if (!body || typeof body !== 'object' || Array.isArray(body)) {
      return { ok: false, code: 'PAYLOAD_NOT_OBJECT', message: 'body must be one JSON object (one event per request)' };
    }

    const issues: FieldIssue[] = [];
    const status = SCJG_STATUS[body.status as number];
    if (body.status !== undefined && body.status !== null && !status) {
      issues.push(issue('stage', 'STATUS_UNKNOWN', `status ${quoteSentValue(body.status)} is not one of ${Object.keys(SCJG_STATUS).join(' ')}`));
    }
    const stageTime = fromIsoWithOffset(text(body.statusTime));
    if (text(body.statusTime) && !stageTime) {
      issues.push(issue('stageTime', 'DATE_INVALID', 'statusTime must be ISO-8601 with an offset, e.g. 2026-10-23T09:30:00+08:00'));
    }
    const applicant = mapApplicant(body.applicant, issues);
    const agentRaw = body.agent && typeof body.agent === 'object' ? body.agent : undefined;

    const event: Partial<CanonicalEvent> = {
      department: this.department.code,
      sourceEventId: text(body.eventId)!,
      sourceCaseNo: text(body.bizNo)!,
      platformProjectNo: text(body.platformNo),
      matterCode: text(body.itemCode)!,
      matterName: text(body.itemName)!,
      stage: status?.stage,
      stageName: status?.name,
      stageTime: stageTime ?? text(body.statusTime),
      handler: body.operator && typeof body.operator === 'object' ? { name: text(body.operator.name), unit: text(body.operator.unit) } : undefined,
      applicants: applicant ? [applicant] : (undefined as any),
      agent: agentRaw
        ? { kind: 'PERSON', name: text(agentRaw.name)!, certType: '111', certNo: text(agentRaw.idNo)!, phone: text(agentRaw.mobile) }
        : undefined,
      location: text(body.location),
      applyChannel: text(body.platformNo) ? 'ONLINE' : 'WINDOW',
      result: mapResult(body.result, issues),
    };
    return { ok: true, event: { sourceEventId: text(body.eventId) ?? '', event, issues } };
  }

  sourceField(canonicalPath: string): string {
    return SOURCE_FIELDS[canonicalPath] ?? canonicalPath;
  }

  readonly deliveryMode = 'push' as const;

  formatDelivery(delivery: DepartmentDelivery): OutboundRequest {
    return formatScjgDelivery(delivery);
  }

  parseDeliveryReply(status: number, contentType: string | undefined, body: Buffer): DeliveryReply {
    return parseScjgDeliveryReply(status, contentType, body);
  }
}

export const createAdapter: DepartmentAdapterFactory = (department) => new ScjgAdapter(department);
