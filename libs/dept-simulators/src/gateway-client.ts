import axios from 'axios';
import { decodeGbk, isGbkCharset, parseContentType } from './gbk';

/** The gateway's answer to a department's post, decoded for reading. */
export interface GatewayReply {
  status: number;
  contentType: string;
  /** The body as text (GBK replies decoded). */
  body: string;
  /** The body parsed, when it was JSON. */
  json?: unknown;
}

/** `http://gw:3000/` → `http://gw:3000`: the gateway's API paths are appended to it. */
export const gatewayBase = (gatewayUrl: string): string => gatewayUrl.replace(/\/+$/, '');

/** Decodes an HTTP body by its declared charset (UTF-8 unless it says GBK). */
export function decodeHttpBody(contentType: string, body: Buffer): { body: string; json?: unknown } {
  const { mediaType, charset } = parseContentType(contentType);
  const text = charset && isGbkCharset(charset) ? decodeGbk(body) : body.toString('utf8');
  if (mediaType === 'application/json' || mediaType.endsWith('+json')) {
    try {
      return { body: text, json: JSON.parse(text) as unknown };
    } catch {
      return { body: text };
    }
  }
  return { body: text };
}

/** Posts one stage event to `POST {gateway}/api/v1/departments/{dept}/events` as the department would. */
export async function postDepartmentEvent(
  gatewayUrl: string,
  dept: string,
  token: string,
  body: Buffer,
  contentType: string,
  timeoutMs = 10_000,
): Promise<GatewayReply> {
  const res = await axios.post<Buffer>(`${gatewayBase(gatewayUrl)}/api/v1/departments/${dept}/events`, body, {
    headers: { 'Content-Type': contentType, Authorization: `Bearer ${token}` },
    responseType: 'arraybuffer',
    // The body is already the exact bytes to send; axios must not re-serialise it.
    transformRequest: [(data: unknown) => data],
    validateStatus: () => true,
    timeout: timeoutMs,
  });
  const replyType = String(res.headers['content-type'] ?? '');
  return { status: res.status, contentType: replyType, ...decodeHttpBody(replyType, Buffer.from(res.data)) };
}
