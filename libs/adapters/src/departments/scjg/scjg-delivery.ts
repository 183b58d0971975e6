import type { DeliveryReply, DepartmentDelivery, OutboundRequest } from '../../department-adapter';
import { fromDashedTime, text } from '../../mapping-helpers';

/**
 * What SCJG's webhook receives: a JSON message in SCJG's own vocabulary (platformNo, bizNo,
 * itemCode, applicant with uscc/idNo) for an online application and its follow-ups.
 */
export function formatScjgDelivery(d: DepartmentDelivery): OutboundRequest {
  const a = d.data as Record<string, any>;
  const enterprise = Number(a.applyer_type) !== 1;
  const materials = Array.isArray(a.materials)
    ? a.materials.map((m: any) => ({ name: text(m?.material_name), url: text(m?.file_url), count: m?.get_num }))
    : undefined;
  const body = {
    type: d.type,
    callbackId: d.callbackId,
    platformNo: d.projectNo,
    bizNo: d.departmentCaseNo ?? null,
    itemCode: text(a.task_code) ?? d.matterCode ?? null,
    itemName: text(a.task_name) ?? null,
    occurredAt: fromDashedTime(d.occurredAt) ?? d.occurredAt,
    applyTime: fromDashedTime(text(a.apply_date)) ?? null,
    applicant:
      d.type === 'ONLINE_APPLICATION'
        ? enterprise
          ? { type: 'ENTERPRISE', name: text(a.applyer_name), uscc: text(a.applyer_page_code), legalRep: text(a.legal), phone: text(a.contact_mobile) }
          : { type: 'PERSON', name: text(a.applyer_name), idNo: text(a.applyer_page_code), mobile: text(a.contact_mobile) }
        : undefined,
    contact: d.type === 'ONLINE_APPLICATION' ? { name: text(a.contact_name), mobile: text(a.contact_mobile) } : undefined,
    address: text(a.address),
    materials,
    reason: text(a.reason),
    message: text(a.message),
    deadline: text(a.deadline),
  };
  return { contentType: 'application/json; charset=utf-8', body: Buffer.from(JSON.stringify(body), 'utf8') };
}

/** `{"success": true, "bizNo"}` is taken; any other answer is a refusal (4xx: permanent). */
export function parseScjgDeliveryReply(status: number, _contentType: string | undefined, body: Buffer): DeliveryReply {
  let parsed: any;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    parsed = undefined;
  }
  if (status >= 200 && status < 300) {
    if (parsed?.success === true) return { ok: true, departmentCaseNo: text(parsed.bizNo), message: `accepted as ${text(parsed.bizNo) ?? '?'}` };
    return { ok: false, permanent: true, message: `HTTP ${status} without success: ${body.toString('utf8').slice(0, 200)}` };
  }
  const why = text(parsed?.message) ?? body.toString('utf8').slice(0, 200);
  return { ok: false, permanent: status >= 400 && status < 500, message: `HTTP ${status}: ${why}` };
}
