/**
 * Field rules of the platform's request bodies (city-platform-api.md, "Endpoints"). Every problem
 * is reported with its exact field path (`materials[2].get_num`) so a 2001 answer tells the caller
 * what to fix. Values come back normalised (enum codes as numbers, trimmed of nothing else), which
 * is also what idempotency compares.
 */
import { APPLY_CHANNELS, isStage, PARTY_KINDS, PROJECT_TYPES, RESULT_TYPES } from '#gw/case';
import { parseBeijingDate, parseBeijingDateTime } from '#gw/case';
import type { FieldError } from './platform-envelope';

type Check = (value: unknown, field: string, errors: FieldError[]) => unknown;
interface FieldRule {
  required: boolean;
  check: Check;
}
export type Schema = Record<string, FieldRule>;

const required = (check: Check): FieldRule => ({ required: true, check });
const optional = (check: Check): FieldRule => ({ required: false, check });

/** A check that either normalises the value or explains what is wrong with it. */
function rule(fn: (value: unknown) => { value: unknown } | string): Check {
  return (value, field, errors) => {
    const outcome = fn(value);
    if (typeof outcome === 'string') {
      errors.push({ field, message: outcome });
      return undefined;
    }
    return outcome.value;
  };
}

const text = (max: number): Check =>
  rule((v) => {
    if (typeof v !== 'string') return 'must be a string';
    if (v.length > max) return `must be at most ${max} characters`;
    return { value: v };
  });

/** Codes and identifiers: a string, or a number some callers send for a numeric code. */
const code = (max: number): Check =>
  rule((v) => {
    if (typeof v === 'number' && Number.isFinite(v)) v = String(v);
    if (typeof v !== 'string') return 'must be a string';
    if (v.length > max) return `must be at most ${max} characters`;
    return { value: v };
  });

function toInteger(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v === 'string' && /^\d{1,9}$/.test(v.trim())) return Number(v.trim());
  return undefined;
}

const oneOfInt = (allowed: readonly number[]): Check =>
  rule((v) => {
    const n = toInteger(v);
    return n !== undefined && allowed.includes(n) ? { value: n } : `must be one of ${allowed.join(', ')}`;
  });

const oneOfText = (allowed: readonly string[]): Check =>
  rule((v) => (typeof v === 'string' && allowed.includes(v) ? { value: v } : `must be one of ${allowed.join(', ')}`));

const integerAtLeast = (min: number): Check =>
  rule((v) => {
    const n = toInteger(v);
    return n !== undefined && n >= min ? { value: n } : `must be an integer >= ${min}`;
  });

const dateTime = (): Check =>
  rule((v) =>
    typeof v === 'string' && parseBeijingDateTime(v) !== null
      ? { value: v }
      : 'must be a time in the form yyyy-MM-dd HH:mm:ss',
  );

const dateOrDateTime = (): Check =>
  rule((v) =>
    typeof v === 'string' && (parseBeijingDateTime(v) !== null || parseBeijingDate(v) !== null)
      ? { value: v }
      : 'must be a date yyyy-MM-dd or a time yyyy-MM-dd HH:mm:ss',
  );

const areaCode = (): Check =>
  rule((v) =>
    typeof v === 'string' && /^(\d{6}|\d{9})$/.test(v) ? { value: v } : 'must be a division code of 6 or 9 digits',
  );

const stage = (): Check => rule((v) => (isStage(v) ? { value: v } : 'must be a canonical stage name, e.g. UNDERTAKEN'));

const list =
  (schema: Schema, max: number): Check =>
  (value, field, errors) => {
    if (!Array.isArray(value)) {
      errors.push({ field, message: 'must be an array' });
      return undefined;
    }
    if (value.length > max) {
      errors.push({ field, message: `must have at most ${max} items` });
      return undefined;
    }
    return value.map((item, i) => validateFields(item, schema, errors, `${field}[${i}]`));
  };

function isAbsent(value: unknown): boolean {
  return value === undefined || value === null || (typeof value === 'string' && value.trim() === '');
}

function validateFields(input: unknown, schema: Schema, errors: FieldError[], prefix: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    errors.push({ field: prefix || 'body', message: 'must be a JSON object' });
    return out;
  }
  const body = input as Record<string, unknown>;
  for (const [name, fieldRule] of Object.entries(schema)) {
    const field = prefix ? `${prefix}.${name}` : name;
    if (isAbsent(body[name])) {
      if (fieldRule.required) errors.push({ field, message: 'is required' });
      continue;
    }
    const value = fieldRule.check(body[name], field, errors);
    if (value !== undefined) out[name] = value;
  }
  return out;
}

export interface Validated {
  value: Record<string, unknown>;
  errors: FieldError[];
}

export function validate(input: unknown, schema: Schema): Validated {
  const errors: FieldError[] = [];
  const value = validateFields(input, schema, errors, '');
  return { value, errors };
}

const numericKeys = (table: object): number[] => Object.keys(table).map(Number);

export const ACCEPT_SCHEMA: Schema = {
  source_case_id: required(code(64)),
  catalog_code: optional(code(64)),
  task_code: required(code(64)),
  task_name: required(text(500)),
  task_version: optional(code(32)),
  project_name: required(text(500)),
  project_type: required(oneOfInt(numericKeys(PROJECT_TYPES))),
  apply_type: required(oneOfInt(Object.values(APPLY_CHANNELS))),
  applyer_type: required(oneOfInt(Object.values(PARTY_KINDS))),
  applyer_name: required(text(200)),
  applyer_page_type: required(code(32)),
  applyer_page_code: required(code(64)),
  legal: optional(text(200)),
  contact_name: optional(text(200)),
  contact_mobile: optional(code(32)),
  address: optional(text(500)),
  org_name: required(text(200)),
  org_code: required(code(64)),
  area_code: required(areaCode()),
  handle_user_name: optional(text(200)),
  apply_date: required(dateTime()),
  accept_date: optional(dateTime()),
  promise_date: optional(dateTime()),
  status: required(oneOfText(['SUBMITTED', 'ACCEPTED', 'NOT_ACCEPTED'])),
  materials: optional(
    list(
      { material_name: required(text(500)), get_type: required(code(32)), get_num: required(integerAtLeast(0)) },
      500,
    ),
  ),
};

const SEQ = required(integerAtLeast(1));

export const PROCESS_SCHEMA: Schema = {
  seq: SEQ,
  event_name: required(stage()),
  process_name: required(text(200)),
  handle_user_name: required(text(200)),
  handle_explain: required(text(4000)),
  event_start_time: required(dateTime()),
  event_end_time: required(dateTime()),
};

export const SPECIAL_SCHEMA: Schema = {
  seq: SEQ,
  special_type: required(code(32)),
  special_name: required(text(200)),
  special_reason: required(text(4000)),
  special_time: required(dateTime()),
  end_time: optional(dateTime()),
  result: optional(text(4000)),
};

export const RESULT_SCHEMA: Schema = {
  seq: SEQ,
  result_date: required(dateTime()),
  result_type: required(oneOfInt(numericKeys(RESULT_TYPES))),
  result_explain: optional(text(4000)),
  result_cetr_name: optional(text(500)),
  result_cetr_no: optional(code(200)),
  is_delivery_results: required(oneOfInt([0, 1])),
};

export const LICENSE_SCHEMA: Schema = {
  certificate_name: required(text(500)),
  certificate_number: required(code(200)),
  certificate_type_code: required(code(64)),
  certificate_holder: required(text(200)),
  certificate_holder_code: required(code(64)),
  certificate_holder_type: required(code(32)),
  issue_dept: required(text(200)),
  issue_dept_code: required(code(64)),
  issue_date: required(dateOrDateTime()),
  certificate_area_code: required(areaCode()),
  project_no: required(code(64)),
};

/** An end before its start is a reporting error the platform refuses. */
function checkOrder(v: Record<string, unknown>, startField: string, endField: string, errors: FieldError[]): void {
  const start = typeof v[startField] === 'string' ? parseBeijingDateTime(v[startField] as string) : null;
  const end = typeof v[endField] === 'string' ? parseBeijingDateTime(v[endField] as string) : null;
  if (start !== null && end !== null && end < start)
    errors.push({ field: endField, message: `must not be before ${startField}` });
}

export type CaseEventKind = 'process' | 'special' | 'result';

export function validateCaseEvent(kind: CaseEventKind, input: unknown): Validated {
  const schema = kind === 'process' ? PROCESS_SCHEMA : kind === 'special' ? SPECIAL_SCHEMA : RESULT_SCHEMA;
  const validated = validate(input, schema);
  if (kind === 'process') checkOrder(validated.value, 'event_start_time', 'event_end_time', validated.errors);
  if (kind === 'special') checkOrder(validated.value, 'special_time', 'end_time', validated.errors);
  return validated;
}

export function validateReconcileQuery(orgCode: unknown, date: unknown): FieldError[] {
  const errors: FieldError[] = [];
  if (typeof orgCode !== 'string' || orgCode.trim() === '') errors.push({ field: 'org_code', message: 'is required' });
  if (typeof date !== 'string' || date === '') errors.push({ field: 'date', message: 'is required' });
  else if (parseBeijingDate(date) === null) errors.push({ field: 'date', message: 'must be a date yyyy-MM-dd' });
  return errors;
}
