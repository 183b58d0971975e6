import { createHash, timingSafeEqual } from 'node:crypto';
import { ErrorCodes, GatewayError } from '#gw/common';

const digest = (secret: string) => createHash('sha256').update(secret).digest();

/** The token of `Authorization: Bearer <token>`, if the header has that form. */
export function bearerTokenOf(authorization: string | undefined): string | undefined {
  return /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '')?.[1];
}

/**
 * Department bearer tokens. Every configured token is compared (in constant time, as SHA-256
 * digests so lengths do not leak) so the answer takes the same time whichever department a token
 * belongs to; a department can only post as itself. The configured tokens are digested once: this
 * runs on every event.
 */
export class DepartmentAuth {
  private readonly digests: ReadonlyArray<readonly [string, Buffer]>;
  /** Tokens issued to departments created from the dashboard (catalogue versions keep their SHA-256). */
  private issued: ReadonlyArray<readonly [string, Buffer]> = [];

  constructor(tokens: Readonly<Record<string, string>>) {
    this.digests = Object.entries(tokens).map(([code, token]) => [code, digest(token)] as const);
  }

  /** Whether the department has a configured token (environment or data/secrets.json). */
  hasConfigured(code: string): boolean {
    return this.digests.some(([c]) => c === code);
  }

  /**
   * Takes the hashes (SHA-256 hex, by department code) of the tokens issued from the dashboard's
   * catalogue page; replaces the previous set at once. A configured token of the same department
   * stays the one that counts (the catalogue page issues none where one is configured).
   */
  useIssued(hashes: Readonly<Record<string, string>>): void {
    this.issued = Object.entries(hashes)
      .filter(([code, hex]) => !this.hasConfigured(code) && /^[0-9a-f]{64}$/.test(hex))
      .map(([code, hex]) => [code, Buffer.from(hex, 'hex')] as const);
  }

  /** The department whose token this is, or null; compares with every token whatever matches. */
  departmentOf(token: string): string | null {
    const presented = digest(token);
    let owner: string | null = null;
    for (const [code, expected] of [...this.digests, ...this.issued]) {
      if (timingSafeEqual(presented, expected) && owner === null) owner = code;
    }
    return owner;
  }

  /** Throws 401 for a missing or unknown token, 403 for another department's token. */
  verify(department: string, authorization: string | undefined): void {
    const token = bearerTokenOf(authorization);
    if (token === undefined) throw new GatewayError(ErrorCodes.TOKEN_MISSING, 401, '缺少令牌 missing Authorization: Bearer <token>');
    const owner = this.departmentOf(token);
    if (owner === null) throw new GatewayError(ErrorCodes.TOKEN_INVALID, 401, '令牌无效 token is not valid');
    if (owner !== department) {
      throw new GatewayError(ErrorCodes.TOKEN_WRONG_DEPARTMENT, 403, '令牌属于其他部门 token belongs to another department; post as yourself');
    }
  }
}

/** The SHA-256 (hex) a dashboard-issued department token is kept as. */
export const issuedTokenHash = (token: string): string => digest(token).toString('hex');
