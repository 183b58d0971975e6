/** The platform's answer: `{code, msg, data}` inside HTTP 200 (city-platform-api.md, "Response envelope"). */

export const PLATFORM_CODES = {
  OK: '0',
  SIGNATURE_INVALID: '1001',
  TIMESTAMP_OUTSIDE_WINDOW: '1002',
  NONCE_REPLAYED: '1003',
  APP_NOT_AUTHORISED: '1004',
  VALIDATION_FAILED: '2001',
  SEQ_CONFLICT: '2002',
  CASE_CLOSED: '2003',
  UNKNOWN_PROJECT: '2004',
  SEQ_GAP: '3001',
  SYSTEM_BUSY: '9999',
} as const;

export type PlatformCode = (typeof PLATFORM_CODES)[keyof typeof PLATFORM_CODES];

export interface FieldError {
  field: string;
  message: string;
}

/** Marks an envelope forced by an injected fault; a symbol, so it never reaches the wire. */
export const FORCED_BY_FAULT = Symbol('forcedByFault');

export interface Envelope<T = unknown> {
  code: string;
  msg: string;
  data: T;
  [FORCED_BY_FAULT]?: boolean;
}

export function ok<T>(data: T, msg = 'success'): Envelope<T> {
  return { code: PLATFORM_CODES.OK, msg, data };
}

export function fail<T = null>(code: string, msg: string, data: T = null as T): Envelope<T> {
  return { code, msg, data };
}

export function validationFailed(errors: FieldError[]): Envelope<FieldError[]> {
  return fail(PLATFORM_CODES.VALIDATION_FAILED, 'field validation failed', errors);
}
