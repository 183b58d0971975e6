import { randomBytes } from 'node:crypto';
import type { Catalogue } from '#gw/catalogue';
import { ErrorCodes, GatewayError, type PersonalDataCipher } from '#gw/common';
import { CALLBACK_SECRET_OWNER, CredentialRegistry, DepartmentAuth, credentialHash } from '#gw/ingress';
import type { RequestFacts } from './operator-account.service';
import type { AccessCredentialEntity, AccessCredentialRepository, AuditRepository, CredentialKind } from '#gw/persistence';

export const DEFAULT_OVERLAP_DAYS = 7;
export const MAX_OVERLAP_DAYS = 90;
const DAY_MS = 86_400_000;


/** One token or secret as an admin sees it: never its value. */
export interface CredentialView {
  id: string;
  /** `env` (environment variable), `stored` (data/secrets.json) or `database` (issued from the dashboard). */
  source: string;
  state: 'active' | 'expiring' | 'expired' | 'revoked';
  createdAt: string;
  createdBy: string;
  expiresAt: string | null;
  revokedAt: string | null;
  revokedBy: string | null;
  lastUsedAt: string | null;
  /** Production, value from the environment: always accepted; retire it by changing the variable. */
  environmentWins: boolean;
}

/** A new token or secret, answered once. */
export interface IssuedCredential {
  id: string;
  owner: string;
  /** The value: shown this once, never stored in clear, never logged. */
  token: string;
  createdAt: string;
  overlapDays: number;
  /** When the owner's previous values stop working (unless they expire earlier, or the environment wins). */
  previousExpireAt: string;
  /** The ids of the previous values given that expiry. */
  shortened: string[];
}

/**
 * Rotating department tokens and the platform's callback secret from the dashboard (admin duty):
 * a new value is issued and shown once; the owner's previous values keep working for the overlap
 * the admin chose (default 7 days) and then expire; any can be revoked at once. Every issue and
 * revocation is audited (ids and dates, never a value).
 */
export class CredentialAdminService {
  constructor(
    private readonly repo: AccessCredentialRepository,
    private readonly audit: AuditRepository,
    private readonly catalogue: Catalogue,
    private readonly departments: DepartmentAuth,
    private readonly callbacks: CredentialRegistry,
    private readonly cipher: PersonalDataCipher,
    private readonly now: () => number = Date.now,
  ) {}

  private departmentCode(dept: string): string {
    const d = this.catalogue.department(dept);
    if (!d) throw new GatewayError(ErrorCodes.DEPARTMENT_UNKNOWN, 404, `未知部门 unknown department ${String(dept).slice(0, 16)}`);
    return d.code;
  }

  private registryOf(kind: CredentialKind): CredentialRegistry {
    return kind === 'DEPARTMENT' ? this.departments.registry : this.callbacks;
  }

  /** The departments with a token, and their tokens (the dashboard's 部门令牌 page). */
  async allDepartments(): Promise<{ code: string; name: string; enabled: boolean; tokens: CredentialView[] }[]> {
    const rows = await this.repo.all('DEPARTMENT');
    return this.catalogue.departments
      .filter((d) => !d.restricted)
      .map((d) => ({ code: d.code, name: d.name, enabled: d.enabled, tokens: this.views('DEPARTMENT', rows.filter((r) => r.owner === d.code)) }));
  }

  async listDepartmentTokens(dept: string): Promise<{ department: string; items: CredentialView[] }> {
    const code = this.departmentCode(dept);
    return { department: code, items: this.views('DEPARTMENT', await this.repo.list('DEPARTMENT', code)) };
  }

  issueDepartmentToken(dept: string, overlapDays: number | undefined, actor: string, facts: RequestFacts): Promise<IssuedCredential> {
    return this.issue('DEPARTMENT', this.departmentCode(dept), overlapDays, actor, facts);
  }

  revokeDepartmentToken(dept: string, id: string, actor: string, facts: RequestFacts): Promise<CredentialView> {
    return this.revoke('DEPARTMENT', this.departmentCode(dept), id, actor, facts);
  }

  async listCallbackSecrets(): Promise<{ items: CredentialView[] }> {
    return { items: this.views('CALLBACK', await this.repo.list('CALLBACK', CALLBACK_SECRET_OWNER)) };
  }

  issueCallbackSecret(overlapDays: number | undefined, actor: string, facts: RequestFacts): Promise<IssuedCredential> {
    return this.issue('CALLBACK', CALLBACK_SECRET_OWNER, overlapDays, actor, facts);
  }

  revokeCallbackSecret(id: string, actor: string, facts: RequestFacts): Promise<CredentialView> {
    return this.revoke('CALLBACK', CALLBACK_SECRET_OWNER, id, actor, facts);
  }

  private async issue(kind: CredentialKind, owner: string, overlapDays: number | undefined, actor: string, facts: RequestFacts): Promise<IssuedCredential> {
    const days = overlapDays ?? DEFAULT_OVERLAP_DAYS;
    if (!Number.isInteger(days) || days < 0 || days > MAX_OVERLAP_DAYS) {
      throw new GatewayError(ErrorCodes.BAD_REQUEST, 400, `重叠天数须为0到${MAX_OVERLAP_DAYS}的整数 overlapDays must be a whole number from 0 to ${MAX_OVERLAP_DAYS}`);
    }
    // 32 random bytes: 64 hex characters, the same shape as `openssl rand -hex 32`.
    const token = randomBytes(32).toString('hex');
    const at = new Date(this.now());
    const until = new Date(at.getTime() + days * DAY_MS);
    const registry = this.registryOf(kind);
    const action = kind === 'DEPARTMENT' ? 'DEPT_TOKEN_ISSUED' : 'CALLBACK_SECRET_ISSUED';
    let shortened: string[] = [];
    const id = await this.repo.issue(
      { kind, owner, tokenHash: credentialHash(kind, token), secretSealed: kind === 'CALLBACK' ? this.cipher.encrypt(token) : null, createdBy: actor, at },
      until,
      // Production: the environment's value wins; it is not given an expiry it would not honour.
      registry.production ? ['env'] : [],
      async (em, newId, others) => {
        shortened = others;
        await this.audit.append(
          { actor, action, targetType: kind === 'DEPARTMENT' ? 'department' : 'platform', targetId: owner, detail: { id: newId, overlapDays: days, previousExpireAt: until.toISOString(), shortened: others }, correlationId: facts.correlationId, address: facts.ip },
          em,
        );
      },
    );
    await registry.refresh();
    return { id, owner, token, createdAt: at.toISOString(), overlapDays: days, previousExpireAt: until.toISOString(), shortened };
  }

  private async revoke(kind: CredentialKind, owner: string, id: string, actor: string, facts: RequestFacts): Promise<CredentialView> {
    const registry = this.registryOf(kind);
    const row = await this.repo.get(kind, owner, id);
    if (!row || (row.source !== 'database' && !registry.configuredSourceOf(row.tokenHash))) {
      throw new GatewayError(ErrorCodes.TOKEN_NOT_FOUND, 404, `没有这个令牌 no token ${String(id).slice(0, 20)} for ${owner}`);
    }
    if (registry.production && row.source === 'env') {
      throw new GatewayError(
        ErrorCodes.TOKEN_FROM_ENVIRONMENT,
        409,
        '该令牌来自环境变量，生产模式下以环境变量为准：请删除或更换该环境变量后重启 this value comes from an environment variable, which wins in production: remove or change the variable and restart',
      );
    }
    const at = new Date(this.now());
    const action = kind === 'DEPARTMENT' ? 'DEPT_TOKEN_REVOKED' : 'CALLBACK_SECRET_REVOKED';
    const done = await this.repo.revoke(id, actor, at, (em) =>
      this.audit.append({ actor, action, targetType: kind === 'DEPARTMENT' ? 'department' : 'platform', targetId: owner, detail: { id, source: row.source }, correlationId: facts.correlationId, address: facts.ip }, em),
    );
    await registry.refresh();
    if (done) {
      row.revokedAt = at;
      row.revokedBy = actor;
    }
    return this.view(kind, row);
  }

  private views(kind: CredentialKind, rows: AccessCredentialEntity[]): CredentialView[] {
    const registry = this.registryOf(kind);
    // A configured row whose value is no longer configured (the variable changed) is history: not listed.
    return rows.filter((r) => r.source === 'database' || registry.configuredSourceOf(r.tokenHash)).map((r) => this.view(kind, r));
  }

  private view(kind: CredentialKind, r: AccessCredentialEntity): CredentialView {
    const registry = this.registryOf(kind);
    const source = r.source === 'database' ? 'database' : (registry.configuredSourceOf(r.tokenHash)?.source ?? r.source);
    const environmentWins = registry.production && source === 'env';
    const now = this.now();
    const state: CredentialView['state'] = environmentWins
      ? 'active'
      : r.revokedAt
        ? 'revoked'
        : r.expiresAt && r.expiresAt.getTime() <= now
          ? 'expired'
          : r.expiresAt
            ? 'expiring'
            : 'active';
    const iso = (d: Date | null) => (d ? d.toISOString() : null);
    return {
      id: String(r.id),
      source,
      state,
      createdAt: r.createdAt.toISOString(),
      createdBy: r.createdBy,
      expiresAt: environmentWins ? null : iso(r.expiresAt),
      revokedAt: iso(r.revokedAt),
      revokedBy: r.revokedBy,
      lastUsedAt: iso(r.lastUsedAt),
      environmentWins,
    };
  }
}
