import { ErrorCodes, GatewayError, secretsEqual } from '#gw/common';

/**
 * Department bearer tokens. Every configured token is compared (in constant time) so the answer
 * takes the same time whichever department a token belongs to; a department can only post as itself.
 */
export class DepartmentAuth {
  constructor(private readonly tokens: Readonly<Record<string, string>>) {}

  /** Throws 401 for a missing or unknown token, 403 for another department's token. */
  verify(department: string, authorization: string | undefined): void {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
    if (!m) throw new GatewayError(ErrorCodes.TOKEN_MISSING, 401, '缺少令牌 missing Authorization: Bearer <token>');
    let owner: string | null = null;
    for (const [code, token] of Object.entries(this.tokens)) {
      if (secretsEqual(m[1], token) && owner === null) owner = code;
    }
    if (owner === null) throw new GatewayError(ErrorCodes.TOKEN_INVALID, 401, '令牌无效 token is not valid');
    if (owner !== department) {
      throw new GatewayError(ErrorCodes.TOKEN_WRONG_DEPARTMENT, 403, '令牌属于其他部门 token belongs to another department; post as yourself');
    }
  }
}
