import { plainToInstance } from 'class-transformer';
import { ValidationError, validateSync } from 'class-validator';
import { CanonicalEvent, CanonicalEventDto, CaseWarning, FieldIssue, PartyDto } from './canonical-event';
import { ID_NUMBER_CERT_TYPES } from './codes';
import { checkIdNumber, checkUscc, divisionLevel, isMatterCode } from './identifiers';

/** Stable codes for the shape rules of class-validator. */
const CONSTRAINT_CODES: Record<string, string> = {
  isString: 'TYPE_STRING',
  isInt: 'TYPE_INTEGER',
  isIn: 'VALUE_NOT_ALLOWED',
  isISO8601: 'DATE_INVALID',
  length: 'LENGTH_OUT_OF_RANGE',
  maxLength: 'TOO_LONG',
  min: 'VALUE_TOO_SMALL',
  max: 'VALUE_TOO_LARGE',
  arrayMinSize: 'REQUIRED',
  arrayMaxSize: 'TOO_MANY',
  nestedValidation: 'TYPE_OBJECT',
  isDefined: 'REQUIRED',
  whitelistValidation: 'FIELD_NOT_ALLOWED',
};

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
    const keys = Object.keys(constraints);
    // A missing value fails every rule of the field: report it once, as REQUIRED.
    if (e.value === undefined || e.value === null) {
      if (keys.length) out.push({ field: path, code: 'REQUIRED', message: `${path} is required` });
    } else {
      for (const key of keys) {
        out.push({ field: path, code: CONSTRAINT_CODES[key] ?? `INVALID_${key.toUpperCase()}`, message: constraints[key] });
      }
    }
    if (e.children?.length) out.push(...flatten(e.children, path));
  }
  return out;
}

function checkParty(party: PartyDto, path: string, errors: FieldIssue[], warnings: CaseWarning[], now: Date): void {
  if (!party || typeof party !== 'object' || typeof party.certNo !== 'string') return;
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
  if (party.phone !== undefined && party.phone !== null && !/^[0-9+\-() ]{5,32}$/.test(String(party.phone))) {
    errors.push({ field: `${path}.phone`, code: 'PHONE_FORMAT', message: 'phone number has characters a phone number cannot' });
  }
}

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
  const dto = plainToInstance(CanonicalEventDto, structuredClone(input) as object);
  const errors = flatten(validateSync(dto, { whitelist: true, forbidNonWhitelisted: false }));
  const warnings: CaseWarning[] = [];

  if (Array.isArray(dto.applicants)) dto.applicants.forEach((p, i) => checkParty(p, `applicants[${i}]`, errors, warnings, now));
  if (dto.agent) checkParty(dto.agent, 'agent', errors, warnings, now);

  if (typeof dto.matterCode === 'string' && !isMatterCode(dto.matterCode)) {
    errors.push({ field: 'matterCode', code: 'MATTER_CODE_FORMAT', message: 'matter code must be 12–36 of 0-9 A-Z' });
  }
  if (dto.location !== undefined && dto.location !== null && divisionLevel(String(dto.location)) === null) {
    errors.push({ field: 'location', code: 'DIVISION_UNKNOWN', message: 'not Pingjiang county or one of its 25 townships (GB/T 2260)' });
  }
  if (typeof dto.stageTime === 'string') {
    const t = Date.parse(dto.stageTime);
    if (!Number.isFinite(t) || t < EARLIEST_STAGE_TIME || t > now.getTime() + ALLOWED_CLOCK_SKEW_MS) {
      if (!errors.some((e) => e.field === 'stageTime')) {
        errors.push({ field: 'stageTime', code: 'STAGE_TIME_OUT_OF_RANGE', message: 'stage time is not between 2000 and now' });
      }
    }
  }
  if (dto.stage === 'COMPLETED' && !dto.result) {
    errors.push({ field: 'result', code: 'RESULT_REQUIRED', message: 'a completion must carry its result' });
  }
  if (dto.result && typeof dto.result.type === 'number' && dto.result.type >= 1 && dto.result.type <= 5 && !dto.result.explain) {
    errors.push({ field: 'result.explain', code: 'RESULT_REASON_REQUIRED', message: 'results 1–5 need a reason' });
  }
  if (dto.stage === 'SPECIAL_STARTED' && !dto.special) {
    errors.push({ field: 'special', code: 'SPECIAL_REQUIRED', message: 'a special procedure needs its name' });
  }

  if (errors.length) return { errors, warnings };
  return { event: JSON.parse(JSON.stringify(dto)) as CanonicalEvent, errors, warnings };
}
