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

  constructor(tokens: Readonly<Record<string, string>>) {
    this.digests = Object.entries(tokens).map(([code, token]) => [code, digest(token)] as const);
  }

  /** The department whose token this is, or null; compares with every token whatever matches. */
  departmentOf(token: string): string | null {
    const presented = digest(token);
    let owner: string | null = null;
    for (const [code, expected] of this.digests) {
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
