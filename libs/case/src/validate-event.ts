import { ValidationError, getMetadataStorage, validateSync } from 'class-validator';
import {
  CanonicalEvent,
  CanonicalEventDto,
  CaseResultDto,
  CaseWarning,
  FieldIssue,
  HandlerDto,
  MaterialDto,
  PartyDto,
  SpecialProcedureDto,
} from './canonical-event';
import { ID_NUMBER_CERT_TYPES } from './codes';
import { checkIdNumber, checkUscc, divisionLevel, isMatterCode } from './identifiers';
import { passesAllRules } from './rule-precheck';
import { SPECIAL_PROCEDURE_KINDS, specialProcedureKind } from './stages';

/** Stable codes for the shape rules of class-validator. */
const CONSTRAINT_CODES: Record<string, string> = {
  isString: 'TYPE_STRING',
  isInt: 'TYPE_INTEGER',
  isIn: 'VALUE_NOT_ALLOWED',
  // class-validator 0.15 names these `isIso8601` and `isLength`; the old names are kept too.
  isIso8601: 'DATE_INVALID',
  isISO8601: 'DATE_INVALID',
  isLength: 'LENGTH_OUT_OF_RANGE',
  length: 'LENGTH_OUT_OF_RANGE',
  maxLength: 'TOO_LONG',
  min: 'VALUE_TOO_SMALL',
  max: 'VALUE_TOO_LARGE',
  arrayMinSize: 'REQUIRED',
  arrayMaxSize: 'TOO_MANY',
  nestedValidation: 'TYPE_OBJECT',
  isObject: 'TYPE_OBJECT',
  isArray: 'TYPE_ARRAY',
  unknownValue: 'TYPE_OBJECT',
  isDefined: 'REQUIRED',
  whitelistValidation: 'FIELD_NOT_ALLOWED',
};

/**
 * class-validator recomputes which rules apply to a class on every validated object (filtering
 * all its metadata, and walking every registered class for inheritance) — a third of the time of
 * validating an event. The answer only changes when rules are registered, so it is remembered
 * until then. Installed once per class-validator instance.
 */
function memoiseRuleLookup(): void {
  // Safe because class-validator only reads what these return (ValidationExecutor, 0.15).
  type Storage = ReturnType<typeof getMetadataStorage> & { __gwMemoised?: boolean };
  const storage = getMetadataStorage() as Storage;
  if (storage.__gwMemoised) return;
  storage.__gwMemoised = true;
  const lookup = storage.getTargetValidationMetadatas.bind(storage);
  const register = storage.addValidationMetadata.bind(storage);
  let cache = new Map<unknown, Map<string, ReturnType<typeof lookup>>>();
  storage.addValidationMetadata = (metadata) => {
    cache = new Map();
    register(metadata);
  };
  storage.getTargetValidationMetadatas = (target, schema, always, strictGroups, groups) => {
    let byOptions = cache.get(target);
    if (!byOptions) cache.set(target, (byOptions = new Map()));
    const key = `${schema}\u0000${always}\u0000${strictGroups}\u0000${groups?.join('\u0001') ?? ''}`;
    let found = byOptions.get(key);
    if (!found) byOptions.set(key, (found = lookup(target, schema, always, strictGroups, groups)));
    return found;
  };
  // The executor then groups those rules by property, again per object: remembered per list.
  const group = storage.groupByPropertyName.bind(storage);
  const grouped = new WeakMap<object, ReturnType<typeof group>>();
  storage.groupByPropertyName = (metadata) => {
    let found = grouped.get(metadata);
    if (!found) grouped.set(metadata, (found = group(metadata)));
    return found;
  };
}
memoiseRuleLookup();

export interface EventValidation {
  /** The normalised event (ID numbers converted to 18 digits), when there are no errors. */
  event?: CanonicalEvent;
  errors: FieldIssue[];
  warnings: CaseWarning[];
}

function flatten(errors: ValidationError[], prefix = ''): FieldIssue[] {
  const out: FieldIssue[] = [];
  for (const e of errors) {
    const path = /^\d+$/.test(e.property) ? `${prefix}[${e.property}]` : prefix ? `${prefix}.${e.property}` : e.property;
    const constraints = e.constraints ?? {};
    let keys = Object.keys(constraints);
    let children = e.children ?? [];
    // A missing value fails every rule of the field: report it once, as REQUIRED.
    if (e.value === undefined || e.value === null) {
      if (keys.length) out.push({ field: path, code: 'REQUIRED', message: `${path} is required` });
    } else {
      // A value of the wrong kind fails the size and nesting rules too: report the kind only.
      if (keys.includes('isArray')) {
        keys = ['isArray'];
        children = [];
      } else if (keys.includes('isString')) {
        keys = ['isString'];
      } else if (keys.includes('isObject')) {
        keys = keys.filter((k) => k !== 'nestedValidation');
        if (!Array.isArray(e.value)) children = [];
      }
      for (const key of keys) {
        const code = CONSTRAINT_CODES[key] ?? `INVALID_${key.toUpperCase()}`;
        if (out.some((o) => o.field === path && o.code === code)) continue;
        out.push({ field: path, code, message: constraints[key] });
      }
    }
    if (children.length) out.push(...flatten(children, path));
  }
  return out;
}

const MAX_DEPTH = 32;
const MAX_VALUES = 200_000;

class UnreadableEvent extends Error {}

/**
 * A JSON-like copy of the input: functions, symbols and bigints dropped (as JSON.stringify does),
 * dates as ISO strings, `__proto__` keys skipped. Refuses cycles, absurd nesting and absurd sizes
 * instead of overflowing the stack (structuredClone threw on functions and on deep nesting).
 */
function toPlainData(input: unknown): unknown {
  let values = 0;
  const walk = (v: unknown, depth: number): unknown => {
    if (++values > MAX_VALUES) throw new UnreadableEvent('event holds too many values');
    if (v === null) return null;
    switch (typeof v) {
      case 'string':
      case 'number':
      case 'boolean':
        return v;
      case 'object':
        break;
      default:
        return undefined;
    }
    if (depth >= MAX_DEPTH) throw new UnreadableEvent('event is nested too deeply');
    if (v instanceof Date) return Number.isNaN(v.getTime()) ? null : v.toISOString();
    if (Array.isArray(v)) {
      const arr: unknown[] = [];
      for (let i = 0; i < v.length; i++) {
        const item = walk(v[i], depth + 1);
        arr.push(item === undefined ? null : item);
      }
      return arr;
    }
    const obj: Record<string, unknown> = {};
    for (const key of Object.keys(v as object)) {
      if (key === '__proto__') continue;
      const item = walk((v as Record<string, unknown>)[key], depth + 1);
      if (item !== undefined) obj[key] = item;
    }
    return obj;
  };
  return walk(input, 0);
}

const isObjectValue = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

function checkParty(party: PartyDto, path: string, errors: FieldIssue[], warnings: CaseWarning[], now: Date): void {
  if (!isObjectValue(party) || typeof party.certNo !== 'string') return;
  if (ID_NUMBER_CERT_TYPES.has(party.certType)) {
    const check = checkIdNumber(party.certNo, now);
    if (!check.ok) {
      const messages = {
        ID_FORMAT: 'ID number must be 18 characters (or a 15-digit old number)',
        ID_BIRTH_DATE: 'ID number holds no real past birth date',
        ID_CHECK_DIGIT: 'ID number check digit is wrong (GB 11643)',
      } as const;
      errors.push({ field: `${path}.certNo`, code: check.problem!, message: messages[check.problem!] });
    } else {
      if (check.convertedFrom15) {
        warnings.push({
          field: `${path}.certNo`,
          code: 'ID_15_CONVERTED',
          message: '15-digit ID number converted to 18 digits (GB 11643-1999)',
        });
      }
      party.certNo = check.normalized!;
    }
  } else if (party.certType === 'USCC') {
    const check = checkUscc(party.certNo);
    if (!check.wellFormed) {
      errors.push({ field: `${path}.certNo`, code: 'USCC_FORMAT', message: 'not a unified social credit code (GB 32100)' });
    } else {
      party.certNo = check.normalized!;
      if (!check.checkDigitOk) {
        warnings.push({
          field: `${path}.certNo`,
          code: 'USCC_CHECK_DIGIT',
          message: 'unified social credit code fails its own check digit (early pilot code); accepted',
        });
      }
    }
  }
  if (typeof party.phone === 'string' && !/^[0-9+\-() ]{5,32}$/.test(party.phone)) {
    errors.push({ field: `${path}.phone`, code: 'PHONE_FORMAT', message: 'phone number has characters a phone number cannot' });
  }
}

/** ISO-8601 date-time with an explicit offset: without one the instant depends on the server's zone. */
const STAGE_TIME_FORMAT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;
const EARLIEST_STAGE_TIME = Date.parse('2000-01-01T00:00:00+08:00');
const ALLOWED_CLOCK_SKEW_MS = 24 * 3600 * 1000;

/**
 * Validates a canonical event built by an adapter: shape (class-validator), then the national
 * rules (ID numbers, USCC, divisions, matter codes) and the per-stage requirements. Never throws.
 */
export function validateCanonicalEvent(input: unknown, now: Date = new Date()): EventValidation {
  if (!input || typeof input !== 'object' || Array.isArray(input)) {
    return { errors: [{ field: '', code: 'TYPE_OBJECT', message: 'event must be an object' }], warnings: [] };
  }
  try {
    return validateObject(input, now);
  } catch (e) {
    const message = e instanceof UnreadableEvent ? e.message : 'event could not be read as plain data';
    return { errors: [{ field: '', code: 'EVENT_UNREADABLE', message }], warnings: [] };
  }
}

/** The nested classes of `CanonicalEventDto` (its `@Type` fields; the nested classes have none). */
const NESTED_DTOS: Readonly<Record<string, { prototype: object }>> = {
  handler: HandlerDto,
  applicants: PartyDto,
  agent: PartyDto,
  result: CaseResultDto,
  special: SpecialProcedureDto,
  materials: MaterialDto,
};

function asInstanceOf(prototype: object, value: unknown): unknown {
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = asInstanceOf(prototype, value[i]);
    return value;
  }
  return isObjectValue(value) ? Object.assign(Object.create(prototype), value) : value;
}

/**
 * What `plainToInstance(CanonicalEventDto, plain)` builds, for the fresh copy `toPlainData` made:
 * the same values, with the event and its `@Type` fields as instances of their classes (arrays
 * element by element, as class-transformer maps them). class-transformer's general walk cost a
 * quarter of validating an event; the spec checks the two agree on arbitrary input.
 */
export function toCanonicalEventDto(plain: Record<string, unknown>): CanonicalEventDto {
  const dto = Object.assign(Object.create(CanonicalEventDto.prototype), plain) as Record<string, unknown>;
  for (const field of Object.keys(NESTED_DTOS)) {
    if (field in dto) dto[field] = asInstanceOf(NESTED_DTOS[field].prototype, dto[field]);
  }
  return dto as unknown as CanonicalEventDto;
}

function validateObject(input: object, now: Date): EventValidation {
  const plain = toPlainData(input);
  // A Date (read as its ISO string) or another non-plain value is not an event either.
  if (!isObjectValue(plain)) {
    return { errors: [{ field: '', code: 'TYPE_OBJECT', message: 'event must be an object' }], warnings: [] };
  }
  const dto = toCanonicalEventDto(plain);
  // Almost every event passes: class-validator's error tree is built only for those that do not.
  const errors = passesAllRules(dto) ? [] : flatten(validateSync(dto, { whitelist: true, forbidNonWhitelisted: false }));
  const warnings: CaseWarning[] = [];

  if (Array.isArray(dto.applicants)) dto.applicants.forEach((p, i) => checkParty(p, `applicants[${i}]`, errors, warnings, now));
  if (dto.agent) checkParty(dto.agent, 'agent', errors, warnings, now);

  if (typeof dto.matterCode === 'string' && !isMatterCode(dto.matterCode)) {
    // One precise code per field: the format rule says more than the generic length rule.
    for (let i = errors.length - 1; i >= 0; i--) if (errors[i].field === 'matterCode') errors.splice(i, 1);
    errors.push({ field: 'matterCode', code: 'MATTER_CODE_FORMAT', message: 'matter code must be 12–36 of 0-9 A-Z' });
  }
  if (typeof dto.location === 'string' && divisionLevel(dto.location) === null) {
    errors.push({ field: 'location', code: 'DIVISION_UNKNOWN', message: 'not Pingjiang county or one of its 25 townships (GB/T 2260)' });
  }
  if (typeof dto.stageTime === 'string' && !errors.some((e) => e.field === 'stageTime')) {
    const t = Date.parse(dto.stageTime);
    if (!STAGE_TIME_FORMAT.test(dto.stageTime)) {
      errors.push({
        field: 'stageTime',
        code: 'DATE_INVALID',
        message: 'stageTime must be an ISO-8601 date-time with an offset, e.g. 2026-10-23T09:30:00+08:00',
      });
    } else if (!Number.isFinite(t) || t < EARLIEST_STAGE_TIME || t > now.getTime() + ALLOWED_CLOCK_SKEW_MS) {
      errors.push({ field: 'stageTime', code: 'STAGE_TIME_OUT_OF_RANGE', message: 'stage time is not between 2000 and now' });
    }
  }
  if (dto.stage === 'COMPLETED' && (dto.result === undefined || dto.result === null)) {
    errors.push({ field: 'result', code: 'RESULT_REQUIRED', message: 'a completion must carry its result' });
  }
  const result = isObjectValue(dto.result) ? dto.result : undefined;
  const explain = result?.explain;
  if (result && typeof result.type === 'number' && result.type >= 1 && result.type <= 5 && !(typeof explain === 'string' && explain.trim())) {
    errors.push({ field: 'result.explain', code: 'RESULT_REASON_REQUIRED', message: 'results 1–5 need a reason' });
  }
  if (dto.stage === 'SPECIAL_STARTED' && !dto.special) {
    errors.push({ field: 'special', code: 'SPECIAL_REQUIRED', message: 'a special procedure needs its name' });
  } else if ((dto.stage === 'SPECIAL_STARTED' || dto.stage === 'SPECIAL_ENDED') && !specialProcedureKind(isObjectValue(dto.special) ? String(dto.special.name ?? '') : undefined) && !specialProcedureKind(dto.stageName)) {
    // The platform's special_type is the kind; a name that says none of them cannot be reported.
    errors.push({
      field: dto.special ? 'special.name' : 'special',
      code: 'SPECIAL_KIND_UNKNOWN',
      message: `特别程序种类不明 the special procedure must name its kind: one of ${SPECIAL_PROCEDURE_KINDS.join(' ')}`,
    });
  }

  if (errors.length) return { errors, warnings };
  return { event: jsonCopy(dto) as CanonicalEvent, errors, warnings };
}

/**
 * `JSON.parse(JSON.stringify(value))` for what `toPlainData` produced (plain objects, arrays,
 * strings, numbers, booleans, null — here inside DTO instances): the same plain copy, without the
 * JSON text in between (a tenth of everything a batch row allocated went to that round trip).
 * The spec checks both agree on arbitrary input.
 */
export function jsonCopy(value: unknown): unknown {
  if (value === null) return null;
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      // JSON writes -0 as 0, and NaN and the infinities as null.
      return Number.isFinite(value) ? value + 0 : null;
    case 'object':
      break;
    default:
      return undefined;
  }
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return JSON.parse(JSON.stringify(value));
  if (Array.isArray(value)) {
    const out: unknown[] = new Array(value.length);
    for (let i = 0; i < value.length; i++) {
      const item = jsonCopy(value[i]);
      out[i] = item === undefined ? null : item;
    }
    return out;
  }
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value as object)) {
    const item = jsonCopy((value as Record<string, unknown>)[key]);
    if (item !== undefined) out[key] = item;
  }
  return out;
}
