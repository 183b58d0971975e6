import type { FieldIssue } from '#gw/case';

/**
 * Stable error codes. They cross process boundaries and appear in answers to department systems,
 * so they never change meaning; add new ones rather than reuse.
 */
export const ErrorCodes = {
  DEPARTMENT_UNKNOWN: 'DEPARTMENT_UNKNOWN',
  DEPARTMENT_DISABLED: 'DEPARTMENT_DISABLED',
  DEPARTMENT_RESTRICTED: 'DEPARTMENT_RESTRICTED',
  MATTER_RESTRICTED: 'MATTER_RESTRICTED',
  TOKEN_MISSING: 'TOKEN_MISSING',
  /** GATEWAY_OPERATOR_TOKEN used after GATEWAY_OPERATOR_TOKEN_EXPIRES. */
  OPERATOR_TOKEN_EXPIRED: 'OPERATOR_TOKEN_EXPIRED',
  TOKEN_INVALID: 'TOKEN_INVALID',
  TOKEN_WRONG_DEPARTMENT: 'TOKEN_WRONG_DEPARTMENT',
  /** 401: a department token (or callback secret) that was valid, past its overlap or revoked from the dashboard. */
  TOKEN_EXPIRED: 'TOKEN_EXPIRED',
  /** 404: a department token or callback secret id that is not the named owner's. */
  TOKEN_NOT_FOUND: 'TOKEN_NOT_FOUND',
  /** 409: the value comes from an environment variable in production, which wins: change the variable instead. */
  TOKEN_FROM_ENVIRONMENT: 'TOKEN_FROM_ENVIRONMENT',
  /** A read of cases without an operator token, a dashboard session or a department token. */
  CREDENTIALS_REQUIRED: 'CREDENTIALS_REQUIRED',
  /** A department reported under a platform project_no that is not of a case routed to it. */
  CASE_NOT_OF_DEPARTMENT: 'CASE_NOT_OF_DEPARTMENT',
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  MEDIA_TYPE_UNSUPPORTED: 'MEDIA_TYPE_UNSUPPORTED',
  VALIDATION_FAILED: 'VALIDATION_FAILED',
  STAGE_TRANSITION_INVALID: 'STAGE_TRANSITION_INVALID',
  STORAGE_UNAVAILABLE: 'STORAGE_UNAVAILABLE',
  NOT_FOUND: 'NOT_FOUND',
  BAD_REQUEST: 'BAD_REQUEST',
  INTERNAL: 'INTERNAL',
  /** 429: over a department's or an address's request rate, or too many refused requests from one address. */
  RATE_LIMITED: 'RATE_LIMITED',
  /** 422: a batch file with more bad rows than the gateway keeps a record of each; refused whole. */
  BATCH_TOO_MANY_BAD_ROWS: 'BATCH_TOO_MANY_BAD_ROWS',
} as const;

/** An error with a stable code and an HTTP status; the catch-all filter turns it into `{code, message, errors}`. */
export class GatewayError extends Error {
  constructor(
    readonly code: string,
    readonly httpStatus: number,
    message: string,
    readonly errors: FieldIssue[] = [],
  ) {
    super(message);
    this.name = 'GatewayError';
  }
}

/** The database could not commit: nothing was acknowledged; the sender should try again later. */
export class StorageUnavailableError extends GatewayError {
  constructor(cause?: unknown) {
    super(ErrorCodes.STORAGE_UNAVAILABLE, 503, '网关暂时无法保存，请稍后重发 gateway cannot store right now; nothing was accepted, send again later');
    if (cause) (this as { cause?: unknown }).cause = cause;
  }
}

/** A start-up configuration problem; the message tells a county operator what to change. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}
