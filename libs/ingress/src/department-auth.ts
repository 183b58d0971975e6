import { ErrorCodes, GatewayError, deptTokenEnvName } from '#gw/common';
import type { AccessCredentialRepository } from '#gw/persistence';
import { ConfiguredCredential, CredentialMatch, CredentialRegistry, CredentialRegistryOptions } from './credential-registry';

/** The token of `Authorization: Bearer <token>`, if the header has that form. */
export function bearerTokenOf(authorization: string | undefined): string | undefined {
  return /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '')?.[1];
}

/**
 * Department bearer tokens: the configured one of each department (`GATEWAY_DEPT_TOKEN_<CODE>`,
 * or data/secrets.json in embedded mode) and those an admin issued from the dashboard
 * (`access_credential`, hashed). A presented token is found by its SM3 hash in memory (see
 * `CredentialRegistry`): no database access per request; a department can only post as itself.
 * A configured token is retired like an issued one (overlap expiry, revocation), except that in
 * production a token set in the environment always works: the environment wins.
 */
export class DepartmentAuth {
  readonly registry: CredentialRegistry;

  constructor(
    tokens: Readonly<Record<string, string>>,
    options: Partial<CredentialRegistryOptions> & { env?: Readonly<Record<string, string | undefined>> } = {},
  ) {
    const env = options.env ?? {};
    const configured: ConfiguredCredential[] = Object.entries(tokens).map(([owner, value]) => ({
      owner,
      value,
      source: env[deptTokenEnvName(owner)] === value ? 'env' : 'stored',
    }));
    this.registry = new CredentialRegistry('DEPARTMENT', configured, { production: false, ...options });
  }

  attach(repo: AccessCredentialRepository): Promise<void> {
    return this.registry.attach(repo);
  }

  /** The department whose valid token this is, or null: from memory only (the throttle's look before a body is read). */
  departmentOf(token: string): string | null {
    const m = this.registry.matchNow(token);
    return m.ok ? m.owner : null;
  }

  /** As `departmentOf`, but an unknown token first re-reads the table (one issued on another instance a moment ago). */
  async departmentOfFresh(token: string): Promise<string | null> {
    const m = await this.registry.match(token);
    return m.ok ? m.owner : null;
  }

  /** Throws 401 for a missing, unknown, expired or revoked token, 403 for another department's token. */
  async verify(department: string, authorization: string | undefined): Promise<void> {
    const token = bearerTokenOf(authorization);
    if (token === undefined) throw new GatewayError(ErrorCodes.TOKEN_MISSING, 401, '缺少令牌 missing Authorization: Bearer <token>');
    refuse(department, await this.registry.match(token));
  }
}

function refuse(department: string, m: CredentialMatch): void {
  if (!m.ok && m.reason === 'retired') {
    throw new GatewayError(ErrorCodes.TOKEN_EXPIRED, 401, '令牌已过期或已被吊销，请改用网关管理员发给您的新令牌 the token has expired or was revoked: use the new token the gateway office issued');
  }
  if (!m.ok) throw new GatewayError(ErrorCodes.TOKEN_INVALID, 401, '令牌无效 token is not valid');
  if (m.owner !== department) {
    throw new GatewayError(ErrorCodes.TOKEN_WRONG_DEPARTMENT, 403, '令牌属于其他部门 token belongs to another department; post as yourself');
  }
}
