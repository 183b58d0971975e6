import { createHash, randomBytes } from 'node:crypto';
import { GatewayError } from '#gw/common';
import { AuditRepository, OperatorAccountEntity, OperatorRole } from '#gw/persistence';
import { OpsConfig, passwordProblem, usernameProblem } from './ops-config';
import { OperatorAccountRepository, ThrottleRule } from './operator-account.repository';
import { dummyHash, hashPassword, needsRehash, verifyPassword } from './password-hash';

export const OPERATOR_ROLES: readonly OperatorRole[] = ['viewer', 'operator', 'admin'];

export interface OperatorView {
  username: string;
  role: OperatorRole;
  disabled: boolean;
  createdAt: string;
  lastLoginAt: string | null;
}

export interface ResolvedSession {
  username: string;
  role: OperatorRole;
  expiresAt: Date;
  /** The expiry was moved forward: the cookie should be sent again. */
  renewed: boolean;
}

export interface RequestFacts {
  ip?: string;
  correlationId?: string;
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/**
 * Sign-in attempts per user name: five failures within 15 minutes lock the name for 5 minutes,
 * whatever address they come from. Counted in the database, so every gateway instance behind a
 * load balancer sees the same count.
 */
export const LOGIN_USER_THROTTLE: ThrottleRule = { limit: 5, windowMs: 15 * 60_000, lockMs: 5 * 60_000 };

/**
 * Sign-in attempts per address, across every user name: twenty failures within 15 minutes lock
 * the address for 15 minutes, so one address cannot try a password against every name.
 */
export const LOGIN_ADDRESS_THROTTLE: ThrottleRule = { limit: 20, windowMs: 15 * 60_000, lockMs: 15 * 60_000 };

/** Too many attempts: 429 `LOGIN_LOCKED`, with the seconds until the lock ends (for `Retry-After`). */
export class LoginLockedError extends GatewayError {
  constructor(readonly retryAfterSeconds: number, scope: 'user' | 'address') {
    super(
      'LOGIN_LOCKED',
      429,
      scope === 'user'
        ? `该用户名尝试次数过多，请 ${Math.ceil(retryAfterSeconds / 60)} 分钟后再试 too many attempts for this user name; try again in ${Math.ceil(retryAfterSeconds / 60)} minutes`
        : `本地址尝试次数过多，请 ${Math.ceil(retryAfterSeconds / 60)} 分钟后再试 too many attempts from this address; try again in ${Math.ceil(retryAfterSeconds / 60)} minutes`,
    );
  }
}

/** What may be shown of a user name that does not exist (it may be a password typed in the wrong box). */
const hintOf = (name: string) => (name.length <= 2 ? '*'.repeat(name.length) : `${name.slice(0, 2)}***`);

const view = (a: OperatorAccountEntity): OperatorView => ({
  username: a.username,
  role: a.role,
  disabled: !!a.disabled,
  createdAt: a.createdAt.toISOString(),
  lastLoginAt: a.lastLoginAt?.toISOString() ?? null,
});

/**
 * Operator accounts, sign-in and sessions. Passwords are kept only as salted scrypt hashes; a
 * session id is 32 random bytes whose SHA-256 is stored. Every change and every sign-in attempt
 * (success or failure, never the password) goes to the audit log.
 */
export class OperatorAccountService {
  constructor(
    private readonly repo: OperatorAccountRepository,
    private readonly audit: AuditRepository,
    private readonly config: OpsConfig,
    /**
     * The key sign-in attempts are counted under, from `user|<name>` or `address|<address>`: a
     * keyed hash (the gateway's lookup key), so a password typed into the name box cannot be
     * guessed back from a copy of the database.
     */
    private readonly throttleKey: (nameOrAddress: string) => string,
    private readonly now: () => number = Date.now,
  ) {}

  get sessionMs(): number {
    return this.config.sessionMinutes * 60_000;
  }

  /** A session's absolute end, whatever its activity (`DASHBOARD_SESSION_MAX_HOURS`). */
  private sessionDeadline(createdAt: number): number {
    return createdAt + Math.round((this.config.sessionMaxHours ?? 12) * 3_600_000);
  }

  async hasAdmin(): Promise<boolean> {
    return (await this.repo.countActiveAdmins()) > 0;
  }

  /** Start-up: GATEWAY_ADMIN_USER / GATEWAY_ADMIN_PASSWORD create the first admin when there is none. */
  async ensureFirstAdmin(): Promise<'created' | 'exists' | 'none'> {
    if (await this.hasAdmin()) return 'exists';
    const first = this.config.firstAdmin;
    if (!first) return 'none';
    const existing = await this.repo.find(first.username);
    const passwordHash = await hashPassword(first.password);
    if (existing) await this.repo.update(first.username, { role: 'admin', disabled: false, passwordHash });
    else await this.repo.insert({ username: first.username, role: 'admin', passwordHash });
    await this.audit.append({
      actor: 'system',
      action: 'OPERATOR_CREATED',
      targetType: 'operator',
      targetId: first.username,
      detail: { role: 'admin', source: 'GATEWAY_ADMIN_USER' },
    });
    return 'created';
  }

  async list(): Promise<OperatorView[]> {
    return (await this.repo.list()).map(view);
  }

  async create(
    input: { username: string; role: string; password: string },
    actor: string,
    facts: RequestFacts = {},
  ): Promise<OperatorView> {
    const username = String(input.username ?? '')
      .trim()
      .toLowerCase();
    const role = input.role as OperatorRole;
    const problem =
      usernameProblem(username) ??
      (OPERATOR_ROLES.includes(role)
        ? null
        : '角色须为 viewer、operator 或 admin (role must be viewer, operator or admin)') ??
      passwordProblem(input.password, username);
    if (problem) throw new GatewayError('OPERATOR_INVALID', 400, problem);
    if (await this.repo.find(username))
      throw new GatewayError('OPERATOR_EXISTS', 409, `用户 ${username} 已存在 user ${username} already exists`);
    await this.repo.insert({ username, role, passwordHash: await hashPassword(input.password) });
    await this.audit.append({
      actor,
      action: 'OPERATOR_CREATED',
      targetType: 'operator',
      targetId: username,
      detail: { role },
      correlationId: facts.correlationId,
      address: facts.ip,
    });
    return view((await this.repo.find(username))!);
  }

  async update(
    usernameIn: string,
    patch: { role?: string; disabled?: boolean; password?: string },
    actor: string,
    facts: RequestFacts = {},
  ): Promise<OperatorView> {
    const username = String(usernameIn ?? '').toLowerCase();
    const account = await this.repo.find(username);
    if (!account) throw new GatewayError('NOT_FOUND', 404, `没有用户 ${username} no such user`);
    if (patch.role !== undefined && !OPERATOR_ROLES.includes(patch.role as OperatorRole)) {
      throw new GatewayError(
        'OPERATOR_INVALID',
        400,
        '角色须为 viewer、operator 或 admin (role must be viewer, operator or admin)',
      );
    }
    if (patch.password !== undefined) {
      const p = passwordProblem(patch.password, username);
      if (p) throw new GatewayError('OPERATOR_INVALID', 400, p);
    }
    const losesAdmin =
      account.role === 'admin' &&
      !account.disabled &&
      ((patch.role && patch.role !== 'admin') || patch.disabled === true);
    if (losesAdmin && (await this.repo.countActiveAdmins()) <= 1) {
      throw new GatewayError(
        'LAST_ADMIN',
        409,
        '不能停用或降级最后一个管理员 the last admin cannot be disabled or demoted',
      );
    }
    const change: Parameters<OperatorAccountRepository['update']>[1] = {};
    if (patch.role !== undefined) change.role = patch.role as OperatorRole;
    if (patch.disabled !== undefined) change.disabled = patch.disabled;
    if (patch.password !== undefined) change.passwordHash = await hashPassword(patch.password);
    await this.repo.update(username, change);
    // A new password, a new role or a disabled account ends the sessions already open.
    await this.repo.deleteSessionsOf(username);
    await this.audit.append({
      actor,
      action: 'OPERATOR_UPDATED',
      targetType: 'operator',
      targetId: username,
      detail: { role: patch.role, disabled: patch.disabled, passwordChanged: patch.password !== undefined },
      correlationId: facts.correlationId,
      address: facts.ip,
    });
    return view((await this.repo.find(username))!);
  }

  /** Checks the password and opens a session; a wrong name and a wrong password answer alike. */
  async login(
    usernameIn: string,
    password: string,
    facts: RequestFacts = {},
  ): Promise<{ sessionId: string; username: string; role: OperatorRole; expiresAt: Date }> {
    const username = String(usernameIn ?? '')
      .trim()
      .toLowerCase()
      .slice(0, 64);
    const now = this.now();
    // Each attempt is reserved (counted) before its password is checked: parallel attempts
    // cannot all pass a check that none of them has counted yet.
    const userKey = this.throttleKey(`user|${username}`);
    const addressKey = this.throttleKey(`address|${facts.ip ?? ''}`);
    const byUser = await this.repo.reserveAttempt(userKey, new Date(now), LOGIN_USER_THROTTLE);
    if (!byUser.reserved) return this.refuseLocked(username, 'user', byUser.lockedUntil, now, facts);
    const byAddress = await this.repo.reserveAttempt(addressKey, new Date(now), LOGIN_ADDRESS_THROTTLE);
    if (!byAddress.reserved) {
      await this.repo.releaseAttempt(userKey, LOGIN_USER_THROTTLE);
      return this.refuseLocked(username, 'address', byAddress.lockedUntil, now, facts);
    }
    const account = usernameProblem(username) ? null : await this.repo.find(username);
    const ok = account
      ? await verifyPassword(password, account.passwordHash)
      : (await verifyPassword(password, await dummyHash()), false);
    if (!account || !ok || account.disabled) {
      // The reservations stay counted as failures.
      await this.repo.forgetStaleThrottles(new Date(now), Math.max(LOGIN_USER_THROTTLE.windowMs, LOGIN_ADDRESS_THROTTLE.windowMs));
      const reason = !account ? 'UNKNOWN_USER' : account.disabled ? 'DISABLED' : 'WRONG_PASSWORD';
      await this.audit.append({
        actor: account ? `operator:${account.username}` : 'anonymous',
        action: 'LOGIN_FAILED',
        targetType: 'operator',
        targetId: account ? account.username : hintOf(username),
        detail: { reason },
        correlationId: facts.correlationId,
        outcome: 'failure',
        address: facts.ip,
      });
      throw new GatewayError(
        'LOGIN_FAILED',
        401,
        '用户名或密码错误，或账号已停用 wrong user name or password, or the account is disabled',
      );
    }
    // Signed in: the name's failures are forgotten; the address gets this attempt back (its
    // other failures, maybe against other names, still count).
    await this.repo.clearLoginFailures(userKey);
    await this.repo.releaseAttempt(addressKey, LOGIN_ADDRESS_THROTTLE);
    const sessionId = randomBytes(32).toString('base64url');
    const expiresAt = new Date(Math.min(now + this.sessionMs, this.sessionDeadline(now)));
    await this.repo.createSession(sha256(sessionId), account.username, expiresAt);
    // A hash of weaker parameters (scrypt 2^14 before) is replaced now that the password is known.
    const rehashed = needsRehash(account.passwordHash) ? { passwordHash: await hashPassword(password) } : {};
    await this.repo.update(account.username, { lastLoginAt: new Date(now), ...rehashed });
    await this.audit.append({
      actor: `operator:${account.username}`,
      action: 'LOGIN',
      targetType: 'operator',
      targetId: account.username,
      detail: { role: account.role },
      correlationId: facts.correlationId,
      address: facts.ip,
    });
    return { sessionId, username: account.username, role: account.role, expiresAt };
  }

  private async refuseLocked(username: string, scope: 'user' | 'address', lockedUntil: Date, now: number, facts: RequestFacts): Promise<never> {
    await this.audit.append({
      actor: 'anonymous',
      action: 'LOGIN_FAILED',
      targetType: 'operator',
      targetId: hintOf(username),
      detail: { reason: scope === 'user' ? 'LOCKED' : 'ADDRESS_LOCKED' },
      correlationId: facts.correlationId,
      outcome: 'failure',
      address: facts.ip,
    });
    const rule = scope === 'user' ? LOGIN_USER_THROTTLE : LOGIN_ADDRESS_THROTTLE;
    // Another request may have set the lock a moment after this one's clock was read.
    const seconds = Math.min(rule.lockMs / 1000, Math.max(1, Math.ceil((lockedUntil.getTime() - now) / 1000)));
    throw new LoginLockedError(seconds, scope);
  }

  /** The session behind a cookie value, sliding its expiry (written at most once a minute). */
  async resolveSession(sessionId: string): Promise<ResolvedSession | null> {
    if (!/^[A-Za-z0-9_-]{20,100}$/.test(sessionId)) return null;
    const idHash = sha256(sessionId);
    const found = await this.repo.findSession(idHash);
    const now = this.now();
    if (!found) return null;
    if (found.session.expiresAt.getTime() <= now || found.account.disabled) {
      await this.repo.deleteSession(idHash);
      return null;
    }
    // Activity slides the expiry, but never past the absolute end counted from sign-in.
    const deadline = this.sessionDeadline(found.session.createdAt.getTime());
    if (deadline <= now) {
      await this.repo.deleteSession(idHash);
      return null;
    }
    let expiresAt = found.session.expiresAt;
    let renewed = false;
    const target = Math.min(now + this.sessionMs, deadline);
    if (target - expiresAt.getTime() >= 60_000 || (target === deadline && target > expiresAt.getTime())) {
      expiresAt = new Date(target);
      await this.repo.extendSession(idHash, expiresAt);
      renewed = true;
    }
    return { username: found.account.username, role: found.account.role, expiresAt, renewed };
  }

  async logout(sessionId: string, facts: RequestFacts = {}): Promise<void> {
    const found = /^[A-Za-z0-9_-]{20,100}$/.test(sessionId) ? await this.repo.findSession(sha256(sessionId)) : null;
    if (!found) return;
    await this.repo.deleteSession(found.session.idHash);
    await this.audit.append({
      actor: `operator:${found.account.username}`,
      action: 'LOGOUT',
      targetType: 'operator',
      targetId: found.account.username,
      correlationId: facts.correlationId,
      address: facts.ip,
    });
  }
}
