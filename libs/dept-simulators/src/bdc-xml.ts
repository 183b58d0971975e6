import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { beijingCompactDateTime } from './beijing-time';

/** BDC's organisation code: every matter it implements starts with it. */
export const BDC_ORG_CODE = '12430626MB23456783';

/** ZJZL 证件种类: 1 身份证 2 港澳台通行证 3 护照 6 统一社会信用代码 99 其他. */
export const BDC_CERT_KINDS = ['1', '2', '3', '6', '99'] as const;

/** A 权利人 (QLR) entry; repeated for co-owners. */
export interface BdcOwner {
  qlrmc: string;
  zjzl: string;
  zjh: string;
  dh?: string;
}

/** The `<BDCSJ>` document, flattened (element names lower-cased). */
export interface BdcDocument {
  xxid: string;
  fssj: string;
  slbh: string;
  sbh: string;
  sxbm: string;
  sxmc: string;
  hj: string;
  hjsj: string;
  blr: string;
  blyj: string;
  qlr: BdcOwner[];
  zl: string;
  xzqh: string;
  bjjg: string;
  zsh: string;
  /** `<YWXX>` as parsed, including elements not listed above (all values kept as strings). */
  ywxx: Record<string, unknown>;
}

/** What `buildBdcXml` needs; the rest defaults to the example in departments.md. */
export type BdcDocumentInput = Partial<Omit<BdcDocument, 'ywxx'>> & Pick<BdcDocument, 'hj'>;

const escapeXml = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

const el = (name: string, value: string | undefined): string => `<${name}>${escapeXml(value ?? '')}</${name}>`;

/** The XML text of a BDC document (still to be GBK-encoded before sending). */
export function buildBdcXml(input: BdcDocumentInput, now: number = Date.now()): string {
  const owners: BdcOwner[] = input.qlr ?? [{ qlrmc: '李四', zjzl: '1', zjh: '430626198503120040', dh: '13800000000' }];
  const qlr = owners
    .map((o) => `<QLR>${el('QLRMC', o.qlrmc)}${el('ZJZL', o.zjzl)}${el('ZJH', o.zjh)}${el('DH', o.dh)}</QLR>`)
    .join('\n    ');
  const stamp = beijingCompactDateTime(now);
  return `<?xml version="1.0" encoding="GBK"?>
<BDCSJ>
  <HEAD>${el('XXID', input.xxid ?? `BDC${stamp}${String(now % 1000).padStart(3, '0')}`)}${el('FSSJ', input.fssj ?? stamp)}</HEAD>
  <YWXX>
    ${el('SLBH', input.slbh ?? '')}
    ${el('SBH', input.sbh ?? '')}
    ${el('SXBM', input.sxbm ?? `${BDC_ORG_CODE}0000173001000`)}
    ${el('SXMC', input.sxmc ?? '国有建设用地使用权及房屋所有权首次登记')}
    ${el('HJ', input.hj)}
    ${el('HJSJ', input.hjsj ?? stamp)}
    ${el('BLR', input.blr ?? '')}${el('BLYJ', input.blyj ?? '')}
    ${qlr}
    ${el('ZL', input.zl ?? '平江县汉昌街道天岳大道88号')}
    ${el('XZQH', input.xzqh ?? '430626001')}
    ${el('BJJG', input.bjjg ?? '')}
    ${el('ZSH', input.zsh ?? '')}
  </YWXX>
</BDCSJ>
`;
}

const parser = new XMLParser({
  ignoreAttributes: true,
  ignoreDeclaration: true,
  // Certificate numbers and case numbers are digit strings: never turn them into (rounded) numbers.
  parseTagValue: false,
  trimValues: true,
  isArray: (_name, jpath) => String(jpath) === 'BDCSJ.YWXX.QLR',
});

const str = (v: unknown): string => (typeof v === 'string' ? v : v === undefined || v === null ? '' : String(v));

/** Parses a `<BDCSJ>` document; throws with a reason when it is not one. */
export function parseBdcXml(xml: string): BdcDocument {
  const valid = XMLValidator.validate(xml);
  if (valid !== true) throw new Error(`XML格式错误: ${valid.err.msg} (line ${valid.err.line})`);
  const tree = parser.parse(xml) as Record<string, unknown>;
  const root = tree.BDCSJ;
  if (typeof root !== 'object' || root === null) throw new Error('根元素必须为BDCSJ');
  const head = ((root as Record<string, unknown>).HEAD ?? {}) as Record<string, unknown>;
  const ywxx = (root as Record<string, unknown>).YWXX;
  if (typeof ywxx !== 'object' || ywxx === null) throw new Error('缺少YWXX');
  const y = ywxx as Record<string, unknown>;
  const owners = Array.isArray(y.QLR) ? (y.QLR as unknown[]) : [];
  return {
    xxid: str(head.XXID),
    fssj: str(head.FSSJ),
    slbh: str(y.SLBH),
    sbh: str(y.SBH),
    sxbm: str(y.SXBM),
    sxmc: str(y.SXMC),
    hj: str(y.HJ),
    hjsj: str(y.HJSJ),
    blr: str(y.BLR),
    blyj: str(y.BLYJ),
    qlr: owners.map((o) => {
      const q = (typeof o === 'object' && o !== null ? o : {}) as Record<string, unknown>;
      return { qlrmc: str(q.QLRMC), zjzl: str(q.ZJZL), zjh: str(q.ZJH), dh: str(q.DH) };
    }),
    zl: str(y.ZL),
    xzqh: str(y.XZQH),
    bjjg: str(y.BJJG),
    zsh: str(y.ZSH),
    ywxx: y,
  };
}

/** `<RESULT>` reply text. */
export function buildBdcResult(code: string, msg: string, id = ''): string {
  return `<?xml version="1.0" encoding="GBK"?>\n<RESULT>${el('CODE', code)}${el('MSG', msg)}${el('ID', id)}</RESULT>\n`;
}
