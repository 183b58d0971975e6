import { APPLY_CHANNEL_NAMES, CERT_TYPE_CODES, PARTY_KIND_NAMES, isStage, maskSentValue, quoteSentValue } from '#gw/case';
import type { CanonicalEvent, FieldIssue, PartyKind, Stage } from '#gw/case';
import type { Catalogue, DepartmentEntry } from '#gw/catalogue';
import {
  defaultJsonReply,
  type DeliveryReply,
  type DepartmentAdapter,
  type DepartmentAdapterFactory,
  type DepartmentDelivery,
  type HttpReply,
  type IngestDecision,
  type OutboundRequest,
  type ParseResult,
  type RawInbound,
} from '../../department-adapter';
import { parseMappedDeliveryReply, renderMappedDelivery } from './mapped-delivery';
import {
  beijingIso,
  decodeBody,
  fromCompactTime,
  fromDashedTime,
  fromIsoWithOffset,
  fromSpreadsheetTime,
  issue,
  parserReason,
  text,
} from '../../mapping-helpers';
import {
  compileMapping,
  valueAtPath,
  type CanonicalTarget,
  type CompiledMapping,
  type DateFormat,
  type FieldRule,
  type PathSegment,
  type ReplyPlaceholder,
  type StageEntry,
} from './mapping-schema';

/**
 * The configuration-only adapter: a department whose system posts JSON is connected by the
 * declarative mapping in its catalogue entry's `options` (see mapping-schema.ts). The mapping is
 * checked once, in createAdapter; a bad one stops the gateway with a message naming the field.
 */
export class MappedAdapter implements DepartmentAdapter {
  readonly eventMediaTypes: readonly string[];
  /** Push, when the mapping has a `delivery` section; without one the department receives no pushes. */
  readonly deliveryMode?: 'push';
  readonly formatDelivery?: (delivery: DepartmentDelivery) => OutboundRequest;
  readonly parseDeliveryReply?: (status: number, contentType: string | undefined, body: Buffer) => DeliveryReply;

  constructor(
    readonly department: DepartmentEntry,
    readonly mapping: CompiledMapping,
    private readonly catalogue?: Catalogue,
  ) {
    this.eventMediaTypes = mapping.mediaTypes;
    const delivery = mapping.delivery;
    if (delivery) {
      this.deliveryMode = 'push';
      this.formatDelivery = (d) =>
        renderMappedDelivery(d, delivery, mapping.dateFormat, (code) => this.catalogue?.matter(code)?.name);
      this.parseDeliveryReply = (status, _contentType, body) => parseMappedDeliveryReply(delivery, status, body);
    }
  }

  parseEvent(raw: RawInbound): ParseResult {
    const charset = raw.charset ?? this.mapping.charset;
    const json = decodeBody(raw.body, charset);
    if (json === undefined)
      return { ok: false, code: 'PAYLOAD_ENCODING', message: `body is not valid ${maskSentValue(charset.toUpperCase())}` };
    let body: unknown;
    try {
      body = JSON.parse(json);
    } catch (e) {
      return { ok: false, code: 'PAYLOAD_NOT_JSON', message: `body is not JSON: ${parserReason((e as Error).message)}` };
    }
    if (!isObject(body)) {
      return { ok: false, code: 'PAYLOAD_NOT_OBJECT', message: 'body must be one JSON object (one event per request)' };
    }
    const builder = new EventBuilder(this.mapping, this.department.code);
    for (const rule of this.mapping.fields) builder.applyField(rule, body);
    const event = builder.finish(this.catalogue);
    return { ok: true, event: { sourceEventId: event.sourceEventId ?? '', event, issues: builder.issues } };
  }

  /** The department's own payload path of a canonical field (`applicants[0].certNo` → `sqr.sfzh`). */
  sourceField(canonicalPath: string): string {
    const fields = this.mapping.fields;
    const exact = fields.find((f) => f.target.path === canonicalPath);
    if (exact) return exact.source;
    const indexed = /^(applicants|materials)\[(\d+)\]\.(\w+)$/.exec(canonicalPath);
    if (indexed) {
      const star = fields.find(
        (f) => f.target.group === indexed[1] && f.target.index === '*' && f.target.leaf === indexed[3],
      );
      if (star) return star.source.replace('[*]', `[${indexed[2]}]`);
    }
    if (canonicalPath === 'stageName') {
      const stage = fields.find((f) => f.target.path === 'stage');
      if (stage) return stage.source;
    }
    // A whole object (`applicants[0]`, `result`): the common parent of its fields, else its first field.
    const element = /^(applicants|materials)(?:\[(\d+)\])?$/.exec(canonicalPath);
    const children = fields
      .filter((f) =>
        element
          ? f.target.group === element[1] &&
            (element[2] === undefined || f.target.index === '*' || f.target.index === Number(element[2]))
          : f.target.group === canonicalPath,
      )
      .map((f) => (element?.[2] !== undefined ? f.source.replace('[*]', `[${element[2]}]`) : f.source));
    if (children.length) return commonParent(children) ?? children[0];
    return canonicalPath;
  }

  formatReply(decision: IngestDecision): HttpReply {
    const reply = this.mapping.reply;
    if (reply === 'json') return defaultJsonReply(decision);
    const ok = decision.httpStatus >= 200 && decision.httpStatus < 300;
    const template = ok ? reply.okBody : reply.errorBody;
    const vars: Record<ReplyPlaceholder, unknown> = {
      eventId: decision.eventId,
      caseId: decision.caseId,
      status: decision.status ?? decision.code,
      code: decision.code,
      message: decision.message,
      httpStatus: decision.httpStatus,
      errors: decision.errors ?? [],
    };
    if (typeof template === 'string') {
      return {
        status: decision.httpStatus,
        contentType: reply.contentType ?? 'text/plain; charset=utf-8',
        body: fillText(template, vars),
      };
    }
    return {
      status: decision.httpStatus,
      contentType: reply.contentType ?? 'application/json; charset=utf-8',
      body: JSON.stringify(render(template, vars)),
    };
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

/** The longest common dotted prefix of payload paths, when there is one. */
function commonParent(paths: string[]): string | undefined {
  const split = paths.map((p) => p.split('.'));
  const prefix: string[] = [];
  for (let i = 0; i < split[0].length - 1; i++) {
    if (split.every((s) => s.length > i + 1 && s[i] === split[0][i])) prefix.push(split[0][i]);
    else break;
  }
  return prefix.length ? prefix.join('.') : undefined;
}

function fillText(template: string, vars: Record<ReplyPlaceholder, unknown>): string {
  return template.replace(/\$\{(\w+)\}/g, (_m, name: ReplyPlaceholder) => {
    const v = vars[name];
    return v === undefined || v === null ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);
  });
}

function render(t: unknown, vars: Record<ReplyPlaceholder, unknown>): unknown {
  if (typeof t === 'string') {
    const whole = /^\$\{(\w+)\}$/.exec(t);
    if (whole) return vars[whole[1] as ReplyPlaceholder] ?? null;
    return fillText(t, vars);
  }
  if (Array.isArray(t)) return t.map((v) => render(v, vars));
  if (isObject(t)) return Object.fromEntries(Object.entries(t).map(([k, v]) => [k, render(v, vars)]));
  return t;
}


/** Splits a payload path at its `[*]`: the list's path, and the path inside each element. */
function splitAtStar(segments: readonly PathSegment[]): { list: PathSegment[]; item: PathSegment[] } {
  const si = segments.findIndex((s) => s.indexes.includes('*'));
  const seg = segments[si];
  const star = seg.indexes.indexOf('*');
  const listSeg = { name: seg.name, indexes: seg.indexes.slice(0, star) };
  const rest = seg.indexes.slice(star + 1);
  // Indexes after [*] (`a[*][0].b`) address inside the element: an anonymous segment carries them.
  const item: PathSegment[] = rest.length
    ? [{ name: '', indexes: rest }, ...segments.slice(si + 1)]
    : segments.slice(si + 1);
  return { list: [...segments.slice(0, si), listSeg], item };
}

function resolveItem(element: unknown, item: readonly PathSegment[]): unknown {
  if (item.length && item[0].name === '') {
    let cur = element;
    for (const i of item[0].indexes) cur = Array.isArray(cur) && i !== '*' ? cur[i] : undefined;
    return valueAtPath(cur, item.slice(1));
  }
  return item.length ? valueAtPath(element, item) : element;
}

const LIST_LIMITS = { applicants: 50, materials: 200 } as const;

/** Parses a stage time in the configured format into ISO-8601 Beijing time. */
export function parseTime(format: DateFormat, value: string): string | undefined {
  switch (format) {
    case 'iso':
      return fromIsoWithOffset(value);
    case 'yyyy-MM-dd HH:mm:ss':
      return fromDashedTime(value);
    case 'yyyyMMddHHmmss':
      return fromCompactTime(value);
    case 'yyyy/M/d H:mm':
      return fromSpreadsheetTime(value);
    case 'epoch-ms': {
      if (!/^\d{1,15}$/.test(value)) return undefined;
      const ms = Number(value);
      const d = new Date(ms + 8 * 3600 * 1000);
      if (!Number.isFinite(d.getTime())) return undefined;
      const iso = beijingIso(
        d.getUTCFullYear(),
        d.getUTCMonth() + 1,
        d.getUTCDate(),
        d.getUTCHours(),
        d.getUTCMinutes(),
        d.getUTCSeconds(),
      );
      const frac = d.getUTCMilliseconds();
      return iso && frac ? iso.replace('+08:00', `.${String(frac).padStart(3, '0')}+08:00`) : iso;
    }
  }
}

const lookup = <T>(table: Readonly<Record<string, T>> | undefined, key: string): T | undefined =>
  table && Object.prototype.hasOwnProperty.call(table, key) ? table[key] : undefined;

/** Builds one canonical candidate from the payload, rule by rule, collecting mapping issues. */
class EventBuilder {
  readonly issues: FieldIssue[] = [];
  private readonly event: Record<string, any>;
  /** Objects the payload filled: `handler`, `agent`, `result`, `special`, `applicants[2]`, ... */
  private readonly touched = new Set<string>();
  private stageEntry?: StageEntry;
  /** The kind a certTypes entry names, per party (`applicants[0]`, `agent`). */
  private readonly kindFromCertType = new Map<string, PartyKind>();

  constructor(
    private readonly mapping: CompiledMapping,
    department: string,
  ) {
    this.event = { department };
  }

  applyField(rule: FieldRule, body: Record<string, unknown>): void {
    const { target } = rule;
    if (target.index !== '*') {
      this.write(target, target.index, valueAtPath(body, rule.segments), rule.source);
      return;
    }
    const { list, item } = splitAtStar(rule.segments);
    const value = valueAtPath(body, list);
    if (value === undefined || value === null) return;
    const listPath = rule.source.slice(0, rule.source.indexOf('[*]'));
    if (!Array.isArray(value)) {
      const message = `${listPath} must be a list`;
      // Once per list, however many fields read from it.
      if (!this.issues.some((i) => i.code === 'VALUE_NOT_LIST' && i.message === message)) {
        this.issues.push(issue(target.group, 'VALUE_NOT_LIST', message));
      }
      return;
    }
    // One past the canonical limit, so that the validator reports TOO_MANY rather than silence.
    const limit = LIST_LIMITS[target.group as keyof typeof LIST_LIMITS] + 1;
    value.slice(0, limit).forEach((element, i) => {
      this.write(target, i, resolveItem(element, item), rule.source.replace('[*]', `[${i}]`));
    });
  }

  /** Converts one payload value for its canonical leaf and stores it. */
  private write(target: CanonicalTarget, index: number | undefined, raw: unknown, source: string): void {
    if (raw === undefined || raw === null) return;
    const field = this.pathOf(target, index);
    let s: string | undefined;
    if (typeof raw === 'string') s = text(raw);
    else if (typeof raw === 'number' && Number.isFinite(raw)) s = String(raw);
    else {
      this.issues.push(
        issue(
          field,
          'VALUE_NOT_TEXT',
          `${source} must be a text or a number, not ${Array.isArray(raw) ? 'a list' : typeof raw}`,
        ),
      );
      return;
    }
    if (s === undefined) return;
    let value: unknown = s;
    switch (target.kind) {
      case 'stage': {
        const entry =
          lookup(this.mapping.stages, s) ?? (!this.mapping.stages && isStage(s) ? { stage: s as Stage } : undefined);
        if (!entry) {
          const allowed = this.mapping.stages ? Object.keys(this.mapping.stages) : ['the canonical stages'];
          this.issues.push(issue(field, 'STATUS_UNKNOWN', `${source} ${quoteSentValue(s)} is not one of ${allowed.join(' ')}`));
          return;
        }
        this.stageEntry = entry;
        value = entry.stage;
        break;
      }
      case 'stageTime': {
        const t = parseTime(this.mapping.dateFormat, s);
        if (!t)
          this.issues.push(
            issue(field, 'DATE_INVALID', `${source} ${quoteSentValue(s)} is not a real time as ${this.mapping.dateFormat}`),
          );
        value = t ?? s;
        break;
      }
      case 'integer':
        if (!/^\d{1,15}$/.test(s)) {
          this.issues.push(issue(field, 'TYPE_INTEGER', `${source} must be a whole number`));
          return;
        }
        value = Number(s);
        break;
      case 'certType': {
        const entry =
          lookup(this.mapping.certTypes, s) ??
          (!this.mapping.certTypes && (CERT_TYPE_CODES as readonly string[]).includes(s) ? { certType: s } : undefined);
        if (!entry) {
          const allowed = this.mapping.certTypes ? Object.keys(this.mapping.certTypes) : CERT_TYPE_CODES;
          this.issues.push(issue(field, 'VALUE_NOT_ALLOWED', `${source} ${quoteSentValue(s)} is not one of ${allowed.join(' ')}`));
          return;
        }
        if ('kind' in entry && entry.kind) this.kindFromCertType.set(this.objectKey(target, index), entry.kind);
        value = entry.certType;
        break;
      }
      case 'kind':
      case 'applyChannel': {
        const allowed: readonly string[] = target.kind === 'kind' ? PARTY_KIND_NAMES : APPLY_CHANNEL_NAMES;
        if (!allowed.includes(s)) {
          this.issues.push(issue(field, 'VALUE_NOT_ALLOWED', `${source} ${quoteSentValue(s)} is not one of ${allowed.join(' ')}`));
          return;
        }
        break;
      }
      case 'resultType': {
        const type = this.mapping.resultTypes
          ? lookup(this.mapping.resultTypes, s)
          : /^[0-6]$/.test(s)
            ? Number(s)
            : undefined;
        if (type === undefined) {
          const allowed = this.mapping.resultTypes ? Object.keys(this.mapping.resultTypes) : ['0–6'];
          this.issues.push(issue(field, 'VALUE_NOT_ALLOWED', `${source} ${quoteSentValue(s)} is not one of ${allowed.join(' ')}`));
          return;
        }
        value = type;
        break;
      }
    }
    this.set(target, index, value);
  }

  private objectKey(target: CanonicalTarget, index: number | undefined): string {
    return index === undefined ? target.group : `${target.group}[${index}]`;
  }

  private pathOf(target: CanonicalTarget, index: number | undefined): string {
    return target.group === 'top' ? target.leaf : `${this.objectKey(target, index)}.${target.leaf}`;
  }

  private set(target: CanonicalTarget, index: number | undefined, value: unknown): void {
    const e = this.event;
    if (target.group === 'top') {
      e[target.leaf] = value;
      return;
    }
    this.touched.add(this.objectKey(target, index));
    if (index === undefined) {
      (e[target.group] ??= {})[target.leaf] = value;
    } else {
      const list: Record<string, unknown>[] = (e[target.group] ??= []);
      (list[index] ??= {})[target.leaf] = value;
    }
  }

  finish(catalogue: Catalogue | undefined): Partial<CanonicalEvent> {
    const e = this.event;
    const nested = this.mapping.constants.filter((c) => c.target.group !== 'top');
    for (const c of this.mapping.constants) if (c.target.group === 'top') this.set(c.target, undefined, c.value);

    // What the stage table says beyond the stage: its name, and the result it implies.
    if (this.stageEntry) {
      if (e.stageName === undefined && this.stageEntry.name) e.stageName = this.stageEntry.name;
      // A stage table entry for a special procedure names its kind (`'12': { stage: SPECIAL_STARTED,
      // name: 听证 }`): that is the procedure, unless the payload names it itself.
      if ((e.stage === 'SPECIAL_STARTED' || e.stage === 'SPECIAL_ENDED') && this.stageEntry.name && !e.special?.name) {
        this.set({ path: 'special.name', group: 'special', leaf: 'name', kind: 'text' }, undefined, this.stageEntry.name);
      }
      if (this.stageEntry.resultType !== undefined && e.result?.type === undefined) {
        this.set(
          { path: 'result.type', group: 'result', leaf: 'type', kind: 'resultType' },
          undefined,
          this.stageEntry.resultType,
        );
      }
    }

    // A result exists only with its type (from the payload or the stage table): `result.explain`
    // mapped to the opinion field does not invent a result at every stage.
    if (e.result && e.result.type === undefined) {
      delete e.result;
      this.touched.delete('result');
    }

    // Constants inside objects: only for objects the payload filled.
    for (const c of nested) {
      const { target } = c;
      if (target.index === '*') {
        const list: unknown[] = e[target.group] ?? [];
        list.forEach((_v, i) => {
          if (this.touched.has(`${target.group}[${i}]`)) this.set(target, i, c.value);
        });
      } else if (this.touched.has(this.objectKey(target, target.index))) {
        this.set(target, target.index, c.value);
      }
    }

    // Defaults.
    const parties: [string, Record<string, unknown> | undefined][] = [['agent', e.agent]];
    const applicants: (Record<string, unknown> | undefined)[] = e.applicants ?? [];
    for (let i = 0; i < applicants.length; i++) parties.push([`applicants[${i}]`, applicants[i]]); // holes included
    for (const [key, party] of parties) {
      if (party && party.kind === undefined) {
        party.kind = this.kindFromCertType.get(key) ?? (party.certType === 'USCC' ? 'ENTERPRISE' : 'PERSON');
      }
    }
    if (e.matterName === undefined && typeof e.matterCode === 'string') {
      const matter = catalogue?.matter(e.matterCode);
      if (matter && matter.department === e.department) e.matterName = matter.name;
    }
    if (e.applyChannel === undefined) e.applyChannel = e.platformProjectNo ? 'ONLINE' : 'WINDOW';
    return e as Partial<CanonicalEvent>;
  }
}

export const createAdapter: DepartmentAdapterFactory = (department, catalogue) =>
  new MappedAdapter(department, compileMapping(department.options), catalogue);
