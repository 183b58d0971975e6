import {
  APPLY_CHANNEL_NAMES,
  CERT_TYPE_CODES,
  PARTY_KIND_NAMES,
  STAGES,
  type CertType,
  type PartyKind,
  type ResultType,
  type Stage,
} from '#gw/case';

/**
 * The declarative mapping of the configuration-only adapter: the `options` of a catalogue entry
 * with `adapter: mapped`. A department whose system posts (flat or nested) JSON is connected by
 * this mapping alone, without a module of its own.
 *
 * ```yaml
 * options:
 *   mediaTypes: [application/json]          # optional; Content-Types accepted on /events
 *   charset: utf-8                          # optional; utf-8 (default) or gbk, when Content-Type names none
 *   dateFormat: 'yyyy-MM-dd HH:mm:ss'       # iso (default) | yyyy-MM-dd HH:mm:ss | yyyyMMddHHmmss | yyyy/M/d H:mm | epoch-ms
 *   fields:                                 # canonical path → path in the payload (dots, [n] and [*])
 *     sourceEventId: lsh
 *     stage: zt
 *     applicants[0].name: sqr.xm
 *     applicants[1].name: po.xm              # fixed indexes, or one list: applicants[*].name: sqrlb[*].xm
 *   constants:                              # canonical path → fixed value
 *     applicants[0].kind: PERSON
 *   stages:                                 # value table for `stage`: department value → canonical stage
 *     '01': SUBMITTED                       #   (quote codes such as '01': YAML reads 01 as the number 1)
 *     '10': { stage: COMPLETED, name: 办结 } #   name → stageName; resultType fills result.type
 *   certTypes: { '1': '111', '6': { certType: USCC, kind: ENTERPRISE } }   # value table for *.certType
 *   resultTypes: { '1': 0, '2': 1 }         # value table for result.type
 *   reply: json                             # or { okBody: {...}, errorBody: {...}, contentType?: ... }
 *   delivery:                               # optional: how platform callbacks are pushed to the department
 *     contentType: application/json; charset=utf-8   # optional (the body is always JSON, UTF-8)
 *     types: { ONLINE_APPLICATION: '01', SUPPLEMENT_SUBMITTED: '02', WITHDRAWN: '03', URGE: '04' }  # optional: ${type}
 *     body: { lx: '${type}', sbh: '${projectNo}', sqr: { xm: '${data.applyer_name}' }, cl: '${data.materials}' }
 *     reply: { okPath: code, okValues: ['0000'], caseNoPath: data.ywh, messagePath: msg }   # optional
 * ```
 *
 * Rules:
 * - `sourceEventId`, `sourceCaseNo` and `stageTime` must be payload fields; `stage` and `matterCode`
 *   a field or a constant; at least one applicant name a field. `matterName`, when not mapped or
 *   not sent, is the catalogue's name of the matter.
 * - A path may be a field or a constant, not both.
 * - Constants inside an object (an applicant, the agent, handler, result, special, a material)
 *   apply only when the payload filled some field of that object: a constant `agent.kind` does not
 *   invent an agent. Top-level constants always apply.
 * - A result exists only when its type is known (a `result.type` field, or the stage table's
 *   `resultType`): `result.explain` mapped to the opinion field adds nothing at other stages.
 * - Without a value table, the payload must already send canonical values (a stage name, a
 *   certificate type code, a result type 0–6).
 * - A party without `kind` is ENTERPRISE for certType USCC, else PERSON. `applyChannel`, when not
 *   mapped, is ONLINE when a platform project number was sent, else WINDOW.
 * - Reply templates are any JSON (or a string for a text reply). Strings may hold `${eventId}`,
 *   `${caseId}`, `${status}`, `${code}`, `${message}`, `${httpStatus}`; a string that is exactly
 *   `${errors}` becomes the list of failing fields (named with the department's own paths), and
 *   exactly `${httpStatus}` the number. The HTTP status is always the gateway's decision.
 * - `delivery` (optional; without it the department receives no pushes and its deliveries are
 *   parked for operators): `body` is a JSON template filled per callback. Its strings may hold
 *   `${type}` (the callback type, or its code from `types` when listed there), `${callbackId}`,
 *   `${projectNo}`, `${departmentCaseNo}`, `${matterCode}`, `${matterName}` (the catalogue's
 *   when the platform sends none), `${occurredAt}` and `${applyDate}` (in `dateFormat`), and
 *   `${data.<path>}` (any value of the platform's callback data, e.g. `${data.applyer_name}`,
 *   `${data.materials}`). A string that is exactly one placeholder becomes the value itself
 *   (null when absent, lists and objects kept); otherwise it is text. `reply`: any 2xx is taken
 *   unless `okPath` is given, then only when the JSON answer holds one of `okValues` there (else a
 *   permanent refusal, its reason at `messagePath`); `caseNoPath` is where the department's new
 *   case number is. A 4xx is a permanent refusal, a 5xx is retried.
 */
export interface MappingOptions {
  mediaTypes?: string[];
  charset?: string;
  dateFormat?: DateFormat;
  fields: Record<string, string>;
  constants?: Record<string, string | number>;
  stages?: Record<string, Stage | StageEntry>;
  certTypes?: Record<string, CertType | CertTypeEntry>;
  resultTypes?: Record<string, ResultType>;
  reply?: 'json' | ReplyTemplate;
  delivery?: DeliveryTemplate;
}

export interface DeliveryTemplate {
  contentType?: string;
  types?: Partial<Record<string, string | number>>;
  body: unknown;
  reply?: { okPath?: string; okValues?: (string | number | boolean)[]; caseNoPath?: string; messagePath?: string };
}

/** The delivery section, checked. */
export interface CompiledDelivery {
  contentType: string;
  types?: Record<string, string | number>;
  body: unknown;
  okPath?: PathSegment[];
  okValues: string[];
  caseNoPath?: PathSegment[];
  messagePath?: PathSegment[];
}

export const DELIVERY_TYPES = ['ONLINE_APPLICATION', 'SUPPLEMENT_SUBMITTED', 'WITHDRAWN', 'URGE'] as const;
export const DELIVERY_PLACEHOLDERS = [
  'type',
  'callbackId',
  'projectNo',
  'departmentCaseNo',
  'matterCode',
  'matterName',
  'occurredAt',
  'applyDate',
] as const;

export interface StageEntry {
  stage: Stage;
  name?: string;
  resultType?: ResultType;
}

export interface CertTypeEntry {
  certType: CertType;
  kind?: PartyKind;
}

export interface ReplyTemplate {
  okBody: unknown;
  errorBody: unknown;
  contentType?: string;
}

export const DATE_FORMATS = ['iso', 'yyyy-MM-dd HH:mm:ss', 'yyyyMMddHHmmss', 'yyyy/M/d H:mm', 'epoch-ms'] as const;
export type DateFormat = (typeof DATE_FORMATS)[number];

export const REPLY_PLACEHOLDERS = ['eventId', 'caseId', 'status', 'code', 'message', 'httpStatus', 'errors'] as const;
export type ReplyPlaceholder = (typeof REPLY_PLACEHOLDERS)[number];

const OPTION_KEYS = [
  'mediaTypes',
  'charset',
  'dateFormat',
  'fields',
  'constants',
  'stages',
  'certTypes',
  'resultTypes',
  'reply',
  'delivery',
];
const CHARSETS = ['utf-8', 'utf8', 'gbk', 'gb18030'];

/** The objects of the canonical event a path can lie in. */
export type Group = 'top' | 'handler' | 'applicants' | 'agent' | 'result' | 'special' | 'materials';

/** What a canonical leaf holds, which decides how a payload value is converted. */
export type LeafKind = 'text' | 'stage' | 'stageTime' | 'integer' | 'certType' | 'kind' | 'applyChannel' | 'resultType';

const TOP_LEAVES: Record<string, LeafKind> = {
  sourceEventId: 'text',
  sourceCaseNo: 'text',
  platformProjectNo: 'text',
  matterCode: 'text',
  matterName: 'text',
  stage: 'stage',
  stageName: 'text',
  stageTime: 'stageTime',
  sourceSeq: 'integer',
  opinion: 'text',
  address: 'text',
  location: 'text',
  applyChannel: 'applyChannel',
};
const PARTY_LEAVES: Record<string, LeafKind> = {
  kind: 'kind',
  name: 'text',
  certType: 'certType',
  certNo: 'text',
  phone: 'text',
  legalRep: 'text',
};
const GROUP_LEAVES: Record<Exclude<Group, 'top'>, Record<string, LeafKind>> = {
  handler: { name: 'text', unit: 'text' },
  applicants: PARTY_LEAVES,
  agent: PARTY_LEAVES,
  result: { type: 'resultType', explain: 'text', certificateName: 'text', certificateNo: 'text' },
  special: { name: 'text', reason: 'text', result: 'text' },
  materials: { name: 'text', getType: 'text', count: 'integer' },
};
const ARRAY_LIMITS: Partial<Record<Group, number>> = { applicants: 50, materials: 200 };

/** A canonical leaf a mapping writes to. */
export interface CanonicalTarget {
  /** As written in the options, e.g. `applicants[*].name`. */
  path: string;
  group: Group;
  /** For applicants and materials: a fixed index or `*` (one per element of a payload list). */
  index?: number | '*';
  leaf: string;
  kind: LeafKind;
}

/** One segment of a payload path: a property name, then list indexes (`[*]` at most once in the path). */
export interface PathSegment {
  name: string;
  indexes: (number | '*')[];
}

export interface FieldRule {
  target: CanonicalTarget;
  /** The payload path as written, e.g. `sqr.xm`. */
  source: string;
  segments: PathSegment[];
}

export interface ConstantRule {
  target: CanonicalTarget;
  value: string | number;
}

export interface CompiledMapping {
  mediaTypes: string[];
  charset: string;
  dateFormat: DateFormat;
  fields: FieldRule[];
  constants: ConstantRule[];
  stages?: Record<string, StageEntry>;
  certTypes?: Record<string, CertTypeEntry>;
  resultTypes?: Record<string, ResultType>;
  reply: 'json' | ReplyTemplate;
  /** Absent: the department receives no pushes. */
  delivery?: CompiledDelivery;
}

const FORBIDDEN_NAMES = new Set(['__proto__', 'prototype', 'constructor']);

/** Parses a canonical path (`applicants[0].certNo`), or explains why it is not one. */
export function parseCanonicalPath(path: string): CanonicalTarget | string {
  if (Object.prototype.hasOwnProperty.call(TOP_LEAVES, path))
    return { path, group: 'top', leaf: path, kind: TOP_LEAVES[path] };
  const m =
    /^(handler|agent|result|special)\.(\w+)$/.exec(path) ?? /^(applicants|materials)\[(\d+|\*)\]\.(\w+)$/.exec(path);
  if (!m)
    return `"${path}" is not a canonical field (e.g. sourceEventId, stageTime, handler.name, applicants[0].certNo, result.type)`;
  const group = m[1] as Exclude<Group, 'top'>;
  const leaf = m.length === 4 ? m[3] : m[2];
  const leaves = GROUP_LEAVES[group];
  if (!Object.prototype.hasOwnProperty.call(leaves, leaf)) {
    return `"${leaf}" is not a field of ${group} (one of ${Object.keys(leaves).join(', ')})`;
  }
  const target: CanonicalTarget = { path, group, leaf, kind: leaves[leaf] };
  if (m.length === 4) {
    target.index = m[2] === '*' ? '*' : Number(m[2]);
    const limit = ARRAY_LIMITS[group]!;
    if (target.index !== '*' && target.index >= limit) return `${group} holds at most ${limit} entries`;
  }
  return target;
}

/** Parses a payload path (`sqr.xm`, `list[0].name`, `sqrlb[*].xm`), or explains why it is not one. */
export function parsePayloadPath(path: unknown): PathSegment[] | string {
  if (typeof path !== 'string' || path.trim() === '') return 'must be a path in the payload, e.g. sqr.xm';
  const segments: PathSegment[] = [];
  for (const part of path.split('.')) {
    const m = /^([^.[\]\s]+)((?:\[(?:\d+|\*)\])*)$/.exec(part);
    if (!m) return `"${path}" is not a payload path (names separated by dots, with [n] or [*] after a list)`;
    if (FORBIDDEN_NAMES.has(m[1])) return `"${m[1]}" may not be used in a payload path`;
    const indexes = [...m[2].matchAll(/\[(\d+|\*)\]/g)].map((x) => (x[1] === '*' ? ('*' as const) : Number(x[1])));
    segments.push({ name: m[1], indexes });
  }
  return segments;
}

/** The payload value at fixed steps: own properties and list indexes only (`[*]` finds nothing). */
export function valueAtPath(node: unknown, segments: readonly PathSegment[]): unknown {
  let cur = node;
  for (const seg of segments) {
    if (!isObject(cur) || !Object.prototype.hasOwnProperty.call(cur, seg.name)) return undefined;
    cur = cur[seg.name];
    for (const i of seg.indexes) {
      if (!Array.isArray(cur) || i === '*') return undefined;
      cur = cur[i];
    }
  }
  return cur;
}

/** A value from the options, quoted for a message, whatever it is (never throws). */
function q(v: unknown): string {
  if (typeof v === 'string') return `"${v}"`;
  try {
    return `"${JSON.stringify(v) ?? typeof v}"`;
  } catch {
    return `"${typeof v}"`;
  }
}

const keyPath = (base: string, key: string) =>
  /^[\w-]+$/.test(key) ? `${base}.${key}` : `${base}[${JSON.stringify(key)}]`;
const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);
const isResultType = (v: unknown): v is ResultType => Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 6;

/**
 * Checks and compiles the options of a `mapped` catalogue entry. Throws one Error listing every
 * problem, each naming its exact field (`options.fields.stageTime: required ...`).
 */
export function compileMapping(options: unknown): CompiledMapping {
  const problems: string[] = [];
  const bad = (field: string, why: string): void => {
    problems.push(`${field}: ${why}`);
  };
  if (!isObject(options))
    throw new Error('options: the mapped adapter needs its mapping in options (fields, stages, dateFormat, ...)');

  for (const key of Object.keys(options)) {
    if (!OPTION_KEYS.includes(key)) bad(keyPath('options', key), `unknown setting (one of ${OPTION_KEYS.join(', ')})`);
  }

  // mediaTypes, charset, dateFormat
  let mediaTypes = ['application/json'];
  if (options.mediaTypes !== undefined) {
    const mt = options.mediaTypes;
    if (!Array.isArray(mt) || mt.length === 0)
      bad('options.mediaTypes', 'must be a non-empty list, e.g. [application/json]');
    else {
      mt.forEach((t, i) => {
        if (typeof t !== 'string' || !/^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+$/.test(t))
          bad(`options.mediaTypes[${i}]`, `${q(t)} is not a lower-case media type without parameters`);
      });
      mediaTypes = mt.map(String);
    }
  }
  const charset =
    options.charset === undefined ? 'utf-8' : typeof options.charset === 'string' ? options.charset.toLowerCase() : '';
  if (!CHARSETS.includes(charset)) bad('options.charset', `${q(options.charset)} is not one of utf-8, gbk, gb18030`);
  const dateFormat = (options.dateFormat ?? 'iso') as DateFormat;
  if (!(DATE_FORMATS as readonly unknown[]).includes(dateFormat)) {
    bad('options.dateFormat', `${q(options.dateFormat)} is not one of ${DATE_FORMATS.join(', ')}`);
  }

  // fields
  const fields: FieldRule[] = [];
  if (!isObject(options.fields)) bad('options.fields', 'is required: a mapping of canonical path → payload path');
  else {
    for (const [path, source] of Object.entries(options.fields)) {
      const at = `options.fields.${path}`;
      const target = parseCanonicalPath(path);
      if (typeof target === 'string') {
        bad(at, target);
        continue;
      }
      const segments = parsePayloadPath(source);
      if (typeof segments === 'string') {
        bad(at, segments);
        continue;
      }
      const stars = segments.reduce((n, s) => n + s.indexes.filter((x) => x === '*').length, 0);
      if (target.index === '*' && stars !== 1)
        bad(
          at,
          `${path} takes one element per entry of a payload list: the payload path needs exactly one [*], e.g. sqrlb[*].xm`,
        );
      else if (target.index !== '*' && stars > 0)
        bad(at, `[*] in the payload path needs [*] in the canonical path too, e.g. applicants[*].name`);
      else fields.push({ target, source: source as string, segments });
    }
  }
  for (const group of ['applicants', 'materials'] as const) {
    const rules = fields.filter((f) => f.target.group === group);
    if (rules.some((r) => r.target.index === '*') && rules.some((r) => r.target.index !== '*')) {
      const fixed = rules.find((r) => r.target.index !== '*')!;
      bad(`options.fields.${fixed.target.path}`, `${group}[*] and fixed ${group}[n] cannot be mixed`);
    }
  }

  // constants
  const constants: ConstantRule[] = [];
  if (options.constants !== undefined && !isObject(options.constants))
    bad('options.constants', 'must be a mapping of canonical path → value');
  else if (options.constants) {
    for (const [path, value] of Object.entries(options.constants)) {
      const at = `options.constants.${path}`;
      const target = parseCanonicalPath(path);
      if (typeof target === 'string') {
        bad(at, target);
        continue;
      }
      if (typeof value !== 'string' && !(typeof value === 'number' && Number.isFinite(value))) {
        bad(at, 'must be a text or a number');
        continue;
      }
      const clash = fields.find(
        (f) =>
          f.target.group === target.group &&
          f.target.leaf === target.leaf &&
          (f.target.index === target.index || f.target.index === '*' || target.index === '*'),
      );
      if (clash) {
        bad(at, `is also mapped in options.fields.${clash.target.path}: a path is a field or a constant, not both`);
        continue;
      }
      const why = checkConstant(target, value);
      if (why) bad(at, why);
      else
        constants.push({
          target,
          value: target.kind === 'integer' || target.kind === 'resultType' ? Number(value) : String(value),
        });
    }
  }

  // value tables
  const stages = compileTable(options.stages, 'options.stages', bad, (v, at) => {
    const entry: StageEntry | undefined =
      typeof v === 'string' ? { stage: v as Stage } : isObject(v) ? (v as unknown as StageEntry) : undefined;
    if (!entry) return bad(at, 'must be a canonical stage or { stage, name, resultType }');
    const suffix = typeof v === 'string' ? '' : '.stage';
    if (!(STAGES as readonly unknown[]).includes(entry.stage))
      return bad(at + suffix, `${q(entry.stage)} is not a canonical stage (one of ${STAGES.join(' ')})`);
    if (isObject(v)) {
      for (const k of Object.keys(v))
        if (!['stage', 'name', 'resultType'].includes(k))
          return bad(`${at}.${k}`, 'unknown setting (one of stage, name, resultType)');
      if (entry.name !== undefined && (typeof entry.name !== 'string' || !entry.name.trim() || entry.name.length > 50))
        return bad(`${at}.name`, 'must be a text of 1–50 characters');
      if (entry.resultType !== undefined && !isResultType(entry.resultType))
        return bad(`${at}.resultType`, `${q(entry.resultType)} is not a result type 0–6`);
    }
    return { stage: entry.stage, name: entry.name, resultType: entry.resultType };
  });
  const certTypes = compileTable(options.certTypes, 'options.certTypes', bad, (v, at) => {
    const entry: CertTypeEntry | undefined =
      typeof v === 'string' || typeof v === 'number'
        ? { certType: String(v) as CertType }
        : isObject(v)
          ? (v as unknown as CertTypeEntry)
          : undefined;
    if (!entry) return bad(at, 'must be a certificate type or { certType, kind }');
    const suffix = isObject(v) ? '.certType' : '';
    if (!(CERT_TYPE_CODES as readonly unknown[]).includes(String(entry.certType)))
      return bad(
        at + suffix,
        `${q(entry.certType)} is not a canonical certificate type (one of ${CERT_TYPE_CODES.join(' ')})`,
      );
    if (entry.kind !== undefined && !(PARTY_KIND_NAMES as readonly unknown[]).includes(entry.kind))
      return bad(`${at}.kind`, `${q(entry.kind)} is not a kind of party (one of ${PARTY_KIND_NAMES.join(' ')})`);
    return { certType: String(entry.certType) as CertType, kind: entry.kind };
  });
  const resultTypes = compileTable(options.resultTypes, 'options.resultTypes', bad, (v, at) =>
    isResultType(v)
      ? v
      : bad(at, `${q(v)} is not a result type 0–6 (0 准予 1 不予许可 2 作废 3 删除 4 转报 5 退件 6 不予受理)`),
  );

  // what every event needs
  const mapped = (path: string) => fields.some((f) => f.target.path === path);
  const constant = (path: string) => constants.some((c) => c.target.path === path);
  for (const path of ['sourceEventId', 'sourceCaseNo', 'stageTime']) {
    if (isObject(options.fields) && !mapped(path) && !problems.some((p) => p.startsWith(`options.fields.${path}:`))) {
      bad(`options.fields.${path}`, `required: the payload path of ${path}`);
    }
  }
  for (const path of ['stage', 'matterCode']) {
    if (
      isObject(options.fields) &&
      !mapped(path) &&
      !constant(path) &&
      !problems.some((p) => p.startsWith(`options.fields.${path}:`) || p.startsWith(`options.constants.${path}:`))
    ) {
      bad(
        `options.fields.${path}`,
        `required (or a constant in options.constants.${path}): the payload path of ${path}`,
      );
    }
  }
  if (
    isObject(options.fields) &&
    !fields.some((f) => f.target.group === 'applicants' && f.target.leaf === 'name') &&
    !problems.some((p) => p.startsWith('options.fields.applicants'))
  ) {
    bad(
      'options.fields.applicants[0].name',
      'required: the payload path of the applicant name (or applicants[*].name for a list)',
    );
  }

  // reply
  let reply: CompiledMapping['reply'] = 'json';
  if (options.reply !== undefined && options.reply !== 'json') {
    const r = options.reply;
    if (!isObject(r)) bad('options.reply', 'must be json or { okBody, errorBody, contentType }');
    else {
      for (const k of Object.keys(r))
        if (!['okBody', 'errorBody', 'contentType'].includes(k))
          bad(`options.reply.${k}`, 'unknown setting (one of okBody, errorBody, contentType)');
      for (const k of ['okBody', 'errorBody'] as const) {
        if (r[k] === undefined) bad(`options.reply.${k}`, 'is required: the body template');
        else checkTemplate(r[k], `options.reply.${k}`, bad);
      }
      if (
        r.contentType !== undefined &&
        (typeof r.contentType !== 'string' || !/^[a-z0-9.+-]+\/[a-z0-9.+-]+(\s*;.*)?$/i.test(r.contentType))
      ) {
        bad('options.reply.contentType', `${q(r.contentType)} is not a media type`);
      }
      reply = { okBody: r.okBody, errorBody: r.errorBody, contentType: r.contentType as string | undefined };
    }
  }

  const delivery = options.delivery === undefined ? undefined : compileDelivery(options.delivery, bad);

  if (problems.length) throw new Error(problems.join('; '));
  return { mediaTypes, charset, dateFormat, fields, constants, stages, certTypes, resultTypes, reply, delivery };
}

/** A payload path without `[*]` (a delivery reads one value), or undefined after reporting why not. */
function fixedPath(raw: unknown, at: string, bad: (field: string, why: string) => void): PathSegment[] | undefined {
  const segments = parsePayloadPath(raw);
  if (typeof segments === 'string') return void bad(at, segments);
  if (segments.some((s) => s.indexes.includes('*'))) return void bad(at, `${q(raw)} must name one value: no [*]`);
  return segments;
}

function compileDelivery(raw: unknown, bad: (field: string, why: string) => void): CompiledDelivery | undefined {
  const at = 'options.delivery';
  if (!isObject(raw)) return void bad(at, 'must be { body, types?, contentType?, reply? }');
  for (const k of Object.keys(raw))
    if (!['body', 'types', 'contentType', 'reply'].includes(k))
      bad(keyPath(at, k), 'unknown setting (one of body, types, contentType, reply)');
  if (raw.body === undefined) bad(`${at}.body`, 'is required: the JSON template of the message');
  else checkDeliveryTemplate(raw.body, `${at}.body`, bad);
  let contentType = 'application/json; charset=utf-8';
  if (raw.contentType !== undefined) {
    if (typeof raw.contentType !== 'string' || !/^[a-z0-9.+-]+\/[a-z0-9.+-]+(\s*;.*)?$/i.test(raw.contentType))
      bad(`${at}.contentType`, `${q(raw.contentType)} is not a media type`);
    else contentType = raw.contentType;
  }
  let types: Record<string, string | number> | undefined;
  if (raw.types !== undefined) {
    if (!isObject(raw.types) || Object.keys(raw.types).length === 0)
      bad(`${at}.types`, "must be a non-empty mapping of callback type → the department's code");
    else {
      types = Object.create(null) as Record<string, string | number>;
      for (const [k, v] of Object.entries(raw.types)) {
        if (!(DELIVERY_TYPES as readonly string[]).includes(k))
          bad(keyPath(`${at}.types`, k), `is not a callback type (one of ${DELIVERY_TYPES.join(' ')})`);
        else if (typeof v !== 'string' && !(typeof v === 'number' && Number.isFinite(v)))
          bad(keyPath(`${at}.types`, k), 'must be a text or a number');
        else types[k] = v;
      }
    }
  }
  const compiled: CompiledDelivery = { contentType, types, body: raw.body, okValues: [] };
  if (raw.reply !== undefined) {
    const r = raw.reply;
    if (!isObject(r)) bad(`${at}.reply`, 'must be { okPath, okValues, caseNoPath, messagePath }');
    else {
      for (const k of Object.keys(r))
        if (!['okPath', 'okValues', 'caseNoPath', 'messagePath'].includes(k))
          bad(keyPath(`${at}.reply`, k), 'unknown setting (one of okPath, okValues, caseNoPath, messagePath)');
      if (r.okPath !== undefined) compiled.okPath = fixedPath(r.okPath, `${at}.reply.okPath`, bad);
      if (r.caseNoPath !== undefined) compiled.caseNoPath = fixedPath(r.caseNoPath, `${at}.reply.caseNoPath`, bad);
      if (r.messagePath !== undefined) compiled.messagePath = fixedPath(r.messagePath, `${at}.reply.messagePath`, bad);
      if (r.okPath !== undefined) {
        const values = r.okValues;
        if (
          !Array.isArray(values) ||
          values.length === 0 ||
          !values.every(
            (v) => typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v)),
          )
        )
          bad(`${at}.reply.okValues`, 'is required with okPath: a non-empty list of the values that mean success');
        else compiled.okValues = values.map(String);
      } else if (r.okValues !== undefined)
        bad(`${at}.reply.okValues`, 'needs okPath: where the value is in the answer');
    }
  }
  return compiled;
}

function checkDeliveryTemplate(t: unknown, at: string, bad: (field: string, why: string) => void): void {
  if (typeof t === 'string') {
    for (const m of t.matchAll(PLACEHOLDER)) {
      const name = m[1];
      if ((DELIVERY_PLACEHOLDERS as readonly string[]).includes(name) || name === 'data') continue;
      if (name.startsWith('data.')) {
        const why = parsePayloadPath(name.slice(5));
        if (typeof why === 'string') bad(at, `\${${name}}: ${why}`);
        else if (why.some((s) => s.indexes.includes('*'))) bad(at, `\${${name}}: must name one value, no [*]`);
        continue;
      }
      bad(
        at,
        `unknown placeholder \${${name}} (one of ${[...DELIVERY_PLACEHOLDERS, 'data.<path>'].map((p) => `\${${p}}`).join(' ')})`,
      );
    }
  } else if (Array.isArray(t)) {
    t.forEach((v, i) => checkDeliveryTemplate(v, `${at}[${i}]`, bad));
  } else if (isObject(t)) {
    for (const [k, v] of Object.entries(t)) checkDeliveryTemplate(v, keyPath(at, k), bad);
  } else if (t !== null && typeof t !== 'number' && typeof t !== 'boolean') {
    bad(at, 'must be JSON (text, number, true/false, null, list or mapping)');
  }
}

function compileTable<T>(
  raw: unknown,
  at: string,
  bad: (field: string, why: string) => void,
  entry: (value: unknown, at: string) => T | void,
): Record<string, T> | undefined {
  if (raw === undefined) return undefined;
  if (!isObject(raw) || Object.keys(raw).length === 0) {
    bad(at, 'must be a non-empty mapping of department value → canonical value');
    return undefined;
  }
  const table: Record<string, T> = Object.create(null);
  for (const [key, value] of Object.entries(raw)) {
    const compiled = entry(value, keyPath(at, key));
    if (compiled !== undefined) table[key] = compiled as T;
  }
  return table;
}

function checkConstant(target: CanonicalTarget, value: string | number): string | undefined {
  const s = String(value);
  switch (target.kind) {
    case 'stage':
      return (STAGES as readonly string[]).includes(s)
        ? undefined
        : `"${s}" is not a canonical stage (one of ${STAGES.join(' ')})`;
    case 'certType':
      return (CERT_TYPE_CODES as readonly string[]).includes(s)
        ? undefined
        : `"${s}" is not a canonical certificate type (one of ${CERT_TYPE_CODES.join(' ')})`;
    case 'kind':
      return (PARTY_KIND_NAMES as readonly string[]).includes(s)
        ? undefined
        : `"${s}" is not a kind of party (one of ${PARTY_KIND_NAMES.join(' ')})`;
    case 'applyChannel':
      return (APPLY_CHANNEL_NAMES as readonly string[]).includes(s)
        ? undefined
        : `"${s}" is not an apply channel (one of ${APPLY_CHANNEL_NAMES.join(' ')})`;
    case 'resultType':
      return isResultType(Number(value)) && /^\d$/.test(s) ? undefined : `"${s}" is not a result type 0–6`;
    case 'integer':
      return /^\d{1,15}$/.test(s) ? undefined : `"${s}" is not a whole number`;
    case 'stageTime':
      return 'the stage time must come from the payload';
    default:
      return s.trim() === '' ? 'must not be blank' : undefined;
  }
}

const PLACEHOLDER = /\$\{([^}]*)\}/g;

function checkTemplate(t: unknown, at: string, bad: (field: string, why: string) => void): void {
  if (typeof t === 'string') {
    for (const m of t.matchAll(PLACEHOLDER)) {
      if (!(REPLY_PLACEHOLDERS as readonly string[]).includes(m[1]))
        bad(at, `unknown placeholder \${${m[1]}} (one of ${REPLY_PLACEHOLDERS.map((p) => `\${${p}}`).join(' ')})`);
      else if (m[1] === 'errors' && t !== '${errors}') bad(at, '${errors} must be the whole value (it becomes a list)');
    }
  } else if (Array.isArray(t)) {
    t.forEach((v, i) => checkTemplate(v, `${at}[${i}]`, bad));
  } else if (isObject(t)) {
    for (const [k, v] of Object.entries(t)) checkTemplate(v, keyPath(at, k), bad);
  } else if (t !== null && typeof t !== 'number' && typeof t !== 'boolean') {
    bad(at, 'must be JSON (text, number, true/false, null, list or mapping)');
  }
}
