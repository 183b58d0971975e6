import type { DeliveryReply, DepartmentDelivery, OutboundRequest } from '../../department-adapter';
import { fromDashedTime, text } from '../../mapping-helpers';
import { type CompiledDelivery, type DateFormat, parsePayloadPath, valueAtPath } from './mapping-schema';

const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

/** `${data.<path>}`: the path was checked by `parsePayloadPath` when the mapping was compiled. */
function dataAt(data: unknown, path: string): unknown {
  const segments = parsePayloadPath(path);
  return typeof segments === 'string' ? undefined : valueAtPath(data, segments);
}

/** The platform's `yyyy-MM-dd HH:mm:ss` in the department's date format (as sent when unreadable). */
export function toDateFormat(format: DateFormat, dashed: string | undefined): string | number | undefined {
  if (dashed === undefined) return undefined;
  const m = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/.exec(dashed);
  if (!m) return dashed;
  switch (format) {
    case 'yyyy-MM-dd HH:mm:ss':
      return dashed;
    case 'iso':
      return fromDashedTime(dashed) ?? dashed;
    case 'yyyyMMddHHmmss':
      return m.slice(1).join('');
    case 'yyyy/M/d H:mm':
      return `${+m[1]}/${+m[2]}/${+m[3]} ${+m[4]}:${m[5]}`;
    case 'epoch-ms': {
      const iso = fromDashedTime(dashed);
      return iso ? Date.parse(iso) : dashed;
    }
  }
}

/** Fills the delivery template of a mapped department (mapping-schema.ts, `delivery`). */
export function renderMappedDelivery(
  d: DepartmentDelivery,
  delivery: CompiledDelivery,
  dateFormat: DateFormat,
  matterName?: (taskCode: string) => string | undefined,
): OutboundRequest {
  const type =
    delivery.types && Object.prototype.hasOwnProperty.call(delivery.types, d.type) ? delivery.types[d.type] : d.type;
  const data = (d.data ?? {}) as Record<string, unknown>;
  const matterCode = text(data.task_code) ?? d.matterCode ?? undefined;
  const vars: Record<string, unknown> = {
    type,
    callbackId: d.callbackId,
    projectNo: d.projectNo,
    departmentCaseNo: d.departmentCaseNo ?? undefined,
    matterCode,
    matterName: text(data.task_name) ?? (matterCode ? matterName?.(matterCode) : undefined),
    occurredAt: toDateFormat(dateFormat, text(d.occurredAt)),
    applyDate: toDateFormat(dateFormat, text(data.apply_date)),
  };
  const value = (name: string): unknown =>
    name === 'data' ? data : name.startsWith('data.') ? dataAt(data, name.slice(5)) : vars[name];
  const fill = (s: string) =>
    s.replace(/\$\{([^}]*)\}/g, (_m, name: string) => {
      const v = value(name);
      return v === undefined || v === null ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);
    });
  const render = (t: unknown): unknown => {
    if (typeof t === 'string') {
      const whole = /^\$\{([^}]*)\}$/.exec(t);
      return whole ? (value(whole[1]) ?? null) : fill(t);
    }
    if (Array.isArray(t)) return t.map(render);
    if (isObject(t)) return Object.fromEntries(Object.entries(t).map(([k, v]) => [k, render(v)]));
    return t;
  };
  return { contentType: delivery.contentType, body: Buffer.from(JSON.stringify(render(delivery.body)), 'utf8') };
}

/** Reads a mapped department's answer by the delivery's `reply` settings. */
export function parseMappedDeliveryReply(delivery: CompiledDelivery, status: number, body: Buffer): DeliveryReply {
  const raw = body.toString('utf8');
  let parsed: unknown;
  try {
    parsed = raw.trim() ? JSON.parse(raw) : undefined;
  } catch {
    parsed = undefined;
  }
  const message = (delivery.messagePath && text(valueAtPath(parsed, delivery.messagePath))) ?? raw.slice(0, 200);
  if (status < 200 || status >= 300) {
    return { ok: false, permanent: status >= 400 && status < 500, message: `HTTP ${status}: ${message}` };
  }
  if (delivery.okPath) {
    const v = valueAtPath(parsed, delivery.okPath);
    const ok =
      (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') &&
      delivery.okValues.includes(String(v));
    if (!ok) return { ok: false, permanent: true, message: `HTTP ${status} without success: ${message}` };
  }
  const caseNo = delivery.caseNoPath ? text(valueAtPath(parsed, delivery.caseNoPath)) : undefined;
  return { ok: true, departmentCaseNo: caseNo, message: caseNo ? `accepted as ${caseNo}` : `HTTP ${status}` };
}
