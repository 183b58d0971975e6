import type { DeliveryReply, DeliveryType, DepartmentDelivery, OutboundRequest } from '../../department-adapter';
import { decodeBody, text } from '../../mapping-helpers';

/**
 * What RSJ's servlet receives (departments.md): one UTF-8 form POST per message, with the field
 * names of its own events — `sbh` (the platform's project_no), `ywbh` (its case number, once
 * known), `sxbm`, `sxmc`, `zt`, `ztsj` (`yyyy-MM-dd HH:mm:ss`), `sqrxm`, `sqrsfzh`, `sqrsjh`,
 * `blyj` — plus a few it has no event field for: `xxbh` (the message id: the platform's
 * callback_id, the same on every retry), `sqrlx` (applyer_type), `lxr` (contact), `dz` (address),
 * `dbqx` (an urging's deadline) and `clmc`/`cldz` repeated per material (in order).
 *
 * `zt` in its letter codes: SB 申报 for the online application (as in its own status table), and
 * for the follow-ups BZTJ 补正提交, CH 撤回 (its own code), DB 督办.
 *
 * The platform does not repeat the applicant on follow-ups; RSJ's servlet needs `sqrxm`/`sqrsfzh` on
 * every message, so they are taken from the stored online application.
 */
export const RSJ_DELIVERY_STATUS: Readonly<Record<DeliveryType, string>> = {
  ONLINE_APPLICATION: 'SB',
  SUPPLEMENT_SUBMITTED: 'BZTJ',
  WITHDRAWN: 'CH',
  URGE: 'DB',
};

export const RSJ_DELIVERY_CONTENT_TYPE = 'application/x-www-form-urlencoded; charset=UTF-8';

export interface RsjDeliveryOptions {
  /** The catalogue's name of a matter, for follow-ups (the platform sends only the project_no). */
  matterName?: (taskCode: string) => string | undefined;
}

/** The form fields of one delivery, in order (a field may repeat: clmc, cldz). */
export function rsjDeliveryFields(d: DepartmentDelivery, options: RsjDeliveryOptions = {}): [string, string][] {
  const a = (d.data ?? {}) as Record<string, any>;
  const online = d.type === 'ONLINE_APPLICATION';
  const sxbm = text(a.task_code) ?? d.matterCode ?? undefined;
  const fields: [string, string | undefined][] = [
    ['xxbh', d.callbackId],
    ['ywbh', d.departmentCaseNo ?? undefined],
    ['sbh', d.projectNo],
    ['sxbm', sxbm],
    ['sxmc', text(a.task_name) ?? (sxbm ? options.matterName?.(sxbm) : undefined)],
    ['zt', RSJ_DELIVERY_STATUS[d.type]],
    ['ztsj', (online ? text(a.apply_date) : undefined) ?? d.occurredAt],
  ];
  const applicant = online ? a : ((d.application ?? undefined) as Record<string, any> | undefined);
  if (applicant) {
    fields.push(
      ['sqrlx', text(applicant.applyer_type)],
      ['sqrxm', text(applicant.applyer_name)],
      ['sqrsfzh', text(applicant.applyer_page_code)],
      ['sqrsjh', text(applicant.contact_mobile)],
    );
    if (online) fields.push(['lxr', text(a.contact_name)], ['dz', text(a.address)]);
  }
  fields.push(['blyj', text(a.reason) ?? text(a.message)]);
  if (d.type === 'URGE') fields.push(['dbqx', text(a.deadline)]);
  if (Array.isArray(a.materials)) {
    for (const m of a.materials) fields.push(['clmc', text(m?.material_name) ?? ''], ['cldz', text(m?.file_url) ?? '']);
  }
  // Absent values are left out rather than sent empty, except the material pairs (kept aligned).
  return fields.filter((f): f is [string, string] => f[1] !== undefined);
}

/** One delivery as RSJ's servlet receives it: `application/x-www-form-urlencoded`, UTF-8. */
export function formatRsjDelivery(d: DepartmentDelivery, options: RsjDeliveryOptions = {}): OutboundRequest {
  const body = new URLSearchParams(rsjDeliveryFields(d, options)).toString();
  return { contentType: RSJ_DELIVERY_CONTENT_TYPE, body: Buffer.from(body, 'utf8') };
}

/** Statuses from the servlet container that no retry will change: the request itself is wrong. */
const PERMANENT_STATUSES = new Set([400, 413, 415]);

/**
 * The servlet answers HTTP 200 with the text `OK` (taken; it gives no case number: RSJ's `ywbh`
 * arrives with its first stage event) or `ERR:<reason>` (refused: permanent). Any other answer
 * comes from the container or a proxy in front of it and says nothing about the content: tried
 * again later, except 400/413/415.
 */
export function parseRsjDeliveryReply(status: number, contentType: string | undefined, body: Buffer): DeliveryReply {
  const charset = /charset\s*=\s*"?([\w-]+)/i.exec(contentType ?? '')?.[1]?.toLowerCase();
  const reply = (
    decodeBody(body, charset === 'gbk' || charset === 'gb2312' || charset === 'gb18030' ? 'gb18030' : 'utf-8') ??
    body.toString('latin1')
  ).trim();
  if (status < 200 || status >= 300) {
    return { ok: false, permanent: PERMANENT_STATUSES.has(status), message: `HTTP ${status}: ${reply.slice(0, 200)}` };
  }
  if (/^OK\b/i.test(reply)) return { ok: true, message: 'OK' };
  const err = /^ERR\s*[:：]\s*([\s\S]*)$/i.exec(reply);
  if (err) return { ok: false, permanent: true, message: `ERR:${err[1].trim().slice(0, 300)}` };
  return { ok: false, permanent: false, message: `HTTP ${status}: neither OK nor ERR: ${reply.slice(0, 200)}` };
}
