import type { IncomingHttpHeaders } from 'node:http';
import { beijingCompactDate, beijingCompactDateTime, beijingDateTime } from './beijing-time';
import { parseContentType } from './gbk';
import { postDepartmentEvent, type GatewayReply } from './gateway-client';
import type { DepartmentProtocol, ReadResult, SimulatorReply } from './push-simulator';

export const RSJ_ORG_CODE = '11430626MB34567835';
export const RSJ_CONTENT_TYPE = 'application/x-www-form-urlencoded';

/** The form fields of an RSJ message (its event fields; an application carries sbh, sxbm, sqr*…). */
export type RsjForm = Record<string, string>;

/** Fields RSJ's servlet cannot open a case without. */
const REQUIRED = ['sbh', 'sxbm', 'sxmc', 'sqrxm', 'sqrsfzh'] as const;

const plain = (body: string): SimulatorReply => ({
  status: 200,
  contentType: 'text/plain; charset=UTF-8',
  body: Buffer.from(body, 'utf8'),
});

/** Parses a form body; a repeated field keeps its first value, as the servlet's `getParameter` does. */
export function parseRsjForm(text: string): RsjForm {
  const form: RsjForm = {};
  for (const [k, v] of new URLSearchParams(text)) if (!Object.hasOwn(form, k)) form[k] = v;
  return form;
}

/** RSJ 人社局's servlet: a UTF-8 form POST, answered with the text `OK` or `ERR:<reason>` (HTTP 200). */
export const rsjProtocol: DepartmentProtocol<RsjForm> = {
  code: 'rsj',
  path: '/rsj/applications',
  read(headers: IncomingHttpHeaders, body: Buffer): ReadResult<RsjForm> {
    const text = body.toString('utf8');
    const { mediaType, charset } = parseContentType(headers['content-type']);
    if (mediaType !== RSJ_CONTENT_TYPE) return { text, error: `Content-Type必须为${RSJ_CONTENT_TYPE}` };
    if (charset && charset !== 'utf-8' && charset !== 'utf8')
      return { text, error: `字符集必须为UTF-8，收到${charset}` };
    const form = parseRsjForm(text);
    // Percent-decoding invalid UTF-8 yields U+FFFD: the servlet would store garbage, so it refuses.
    if (Object.entries(form).some(([k, v]) => `${k}${v}`.includes('\uFFFD')))
      return { text, parsed: form, error: '表单含有非UTF-8编码的内容' };
    const missing = REQUIRED.filter((f) => !form[f]?.trim());
    let error: string | undefined;
    if (missing.length) error = `缺少${missing.join(',')}`;
    else if (!form.sxbm.startsWith(RSJ_ORG_CODE)) error = `事项${form.sxbm}不属于本局`;
    return { text, parsed: form, projectNo: form.sbh || undefined, error };
  },
  // Its own case number (业务编号), as in its events: RS + yyyyMMdd + five digits. It is not in the reply.
  newCaseNo: (seq) => `RS${beijingCompactDate()}${String(seq).padStart(5, '0')}`,
  accepted: () => plain('OK'),
  // The reason is all an old servlet says; an injected replyCode becomes the reason.
  refused: (reason, { replyCode }) => plain(`ERR:${replyCode ?? reason}`),
};

/** A full RSJ event form: the example of config/examples/rsj-event.txt with fresh ids and time, overridden by `event`. */
export function buildRsjForm(
  event: Partial<RsjForm> & { ywbh: string; zt: string },
  now: number = Date.now(),
): RsjForm {
  return {
    xxbh: `RSJ${beijingCompactDateTime(now)}${String(now % 1000).padStart(3, '0')}`,
    sbh: '',
    sxbm: `${RSJ_ORG_CODE}0000140001000`,
    sxmc: '就业失业登记',
    ztsj: beijingDateTime(now),
    sqrxm: '李四',
    sqrsfzh: '430626850312004',
    sqrsjh: '13800000000',
    jbr: '张三',
    blyj: '',
    bjjg: '',
    xzqh: '430626001',
    ...event,
  } as RsjForm;
}

/** Posts one RSJ stage event (a UTF-8 form) to the gateway, as RSJ's servlet does. */
export function sendRsjEvent(
  gatewayUrl: string,
  token: string,
  event: Partial<RsjForm> & { ywbh: string; zt: string },
  timeoutMs?: number,
): Promise<GatewayReply> {
  const body = Buffer.from(new URLSearchParams(buildRsjForm(event)).toString(), 'utf8');
  return postDepartmentEvent(gatewayUrl, 'rsj', token, body, RSJ_CONTENT_TYPE, timeoutMs);
}
