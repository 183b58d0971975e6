import * as iconv from 'iconv-lite';

/**
 * GBK as legacy systems really use it: decoded as GB18030 (its superset, so rare characters sent as
 * four-byte sequences survive) and encoded as GB18030 (plain GBK would turn 𠮷 into '?').
 */
const decoder = new TextDecoder('gb18030');

export const decodeGbk = (bytes: Uint8Array): string => decoder.decode(bytes);

export const encodeGbk = (text: string): Buffer => iconv.encode(text, 'gb18030');

/** Charset labels a GBK system understands. */
export const isGbkCharset = (charset: string): boolean => ['gbk', 'gb2312', 'gb18030', 'cp936'].includes(charset);

/** `text/xml; charset=GBK` → `{ mediaType: 'text/xml', charset: 'gbk' }` (both lower case). */
export function parseContentType(value: string | undefined): { mediaType: string; charset?: string } {
  const [type = '', ...params] = (value ?? '').split(';');
  const charset = params.map((p) => p.trim().split('=')).find(([k]) => k?.trim().toLowerCase() === 'charset')?.[1];
  return {
    mediaType: type.trim().toLowerCase(),
    charset: charset?.replace(/"/g, '').trim().toLowerCase() || undefined,
  };
}
