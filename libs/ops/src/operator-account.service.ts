import { createHash, randomBytes } from 'node:crypto';
import { GatewayError, secretsEqual } from '#gw/common';
import { AuditRepository, OperatorAccountEntity, OperatorRole } from '#gw/persistence';
import { OpsConfig, passwordProblem, usernameProblem } from './ops-config';
import { OperatorAccountRepository, ThrottleRule } from './operator-account.repository';
import { dummyHash, hashPassword, needsRehash, verifyPassword } from './password-hash';
import { matchTotpStep, newTotpSecret, qrCodeDataUrl, totpUri } from './two-factor';

/** viewer reads · operator operates · admin administers accounts · auditor reads the audit log (separate duties). */
export const OPERATOR_ROLES: readonly OperatorRole[] = ['viewer', 'operator', 'admin', 'auditor'];
const ROLE_PROBLEM = '角色须为 viewer、operator、admin 或 auditor (role must be viewer, operator, admin or auditor)';

/**
 * What a signed-in session must do before anything else: change an expired password, or enrol
 * the second factor its account requires (every admin; others when an admin asked for it).
 */
export type SessionSetup = 'password-change' | 'totp-enrolment';

/** Encrypts the TOTP secrets at rest (the gateway's PersonalDataCipher: SM4). */
export interface SecretBox {
  encrypt(plain: string): string;
  decrypt(sealed: string): string;
}

/** The answer to a password that was right for an account with a second factor: the code comes next. */
export interface TotpChallenge {
  needsTotp: true;
  /** Proves the password was right, for 5 minutes; bound to the password (a change voids it). */
  pendingToken: string;
  expiresAt: Date;
}

export interface OpenedSession {
  sessionId: string;
  username: string;
  role: OperatorRole;
  expiresAt: Date;
  setup: SessionSetup | null;
}

const TOTP_PENDING_MS = 5 * 60_000;

export interface OperatorView {
  username: string;
  role: OperatorRole;
  disabled: boolean;
  createdAt: string;
  lastLoginAt: string | null;
  /** The second factor: `on` (confirmed), `pending` (enrolment started), `off`. */
  totp: 'on' | 'pending' | 'off';
  /** A second factor is needed at sign-in (admins always; others when an admin asked for it). */
  totpRequired: boolean;
  passwordChangedAt: string | null;
}

export interface ResolvedSession {
  username: string;
  role: OperatorRole;
  expiresAt: Date;
  /** The expiry was moved forward: the cookie should be sent again. */
  renewed: boolean;
  /** Set: the session may only do this (change the password, enrol TOTP) until it is done. */
  setup: SessionSetup | null;
  totp: OperatorView['totp'];
  totpRequired: boolean;
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
  totp: a.totpEnabled ? 'on' : a.totpSecret ? 'pending' : 'off',
  totpRequired: totpRequiredFor(a),
  passwordChangedAt: a.passwordChangedAt?.toISOString() ?? null,
});

/** Admins always sign in with two factors; other accounts when an admin requires it or they enrolled. */
const totpRequiredFor = (a: Pick<OperatorAccountEntity, 'role' | 'totpRequired'>) => a.role === 'admin' || !!a.totpRequired;

const totpFailed = () =>
  new GatewayError('TOTP_FAILED', 401, '动态验证码错误或已使用 the one-time code is wrong or was used already');

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
    /** Encrypts TOTP secrets; without it, no one can enrol a second factor (tools that never need one). */
    private readonly secretBox?: SecretBox,
  ) {}

  private get passwordMaxAgeMs(): number {
    return (this.config.passwordMaxAgeDays ?? 90) * 86_400_000;
  }

  /** What a session of this account must do first, if anything (checked on every request). */
  private setupOf(a: OperatorAccountEntity, now: number): SessionSetup | null {
    const changedAt = (a.passwordChangedAt ?? a.createdAt).getTime();
    if (changedAt + this.passwordMaxAgeMs <= now) return 'password-change';
    if (totpRequiredFor(a) && !a.totpEnabled) return 'totp-enrolment';
    return null;
  }

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
    if (existing) await this.repo.update(first.username, { role: 'admin', disabled: false, passwordHash, passwordChangedAt: new Date(this.now()) });
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
      (OPERATOR_ROLES.includes(role) ? null : ROLE_PROBLEM) ??
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
    patch: { role?: string; disabled?: boolean; password?: string; totpRequired?: boolean; resetTotp?: boolean },
    actor: string,
    facts: RequestFacts = {},
  ): Promise<OperatorView> {
    const username = String(usernameIn ?? '').toLowerCase();
    const account = await this.repo.find(username);
    if (!account) throw new GatewayError('NOT_FOUND', 404, `没有用户 ${username} no such user`);
    if (patch.role !== undefined && !OPERATOR_ROLES.includes(patch.role as OperatorRole)) {
      throw new GatewayError('OPERATOR_INVALID', 400, ROLE_PROBLEM);
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
    if (patch.password !== undefined) {
      change.passwordHash = await hashPassword(patch.password);
      change.previousPasswordHash = account.passwordHash;
      change.passwordChangedAt = new Date(this.now());
    }
    if (patch.totpRequired !== undefined) change.totpRequired = patch.totpRequired;
    if (patch.resetTotp) Object.assign(change, { totpSecret: null, totpEnabled: false, totpLastStep: null });
    await this.repo.update(username, change);
    // A new password, a new role or a disabled account ends the sessions already open.
    await this.repo.deleteSessionsOf(username);
    await this.audit.append({
      actor,
      action: 'OPERATOR_UPDATED',
      targetType: 'operator',
      targetId: username,
      detail: {
        role: patch.role,
        disabled: patch.disabled,
        passwordChanged: patch.password !== undefined,
        totpRequired: patch.totpRequired,
        totpReset: patch.resetTotp || undefined,
      },
      correlationId: facts.correlationId,
      address: facts.ip,
    });
    return view((await this.repo.find(username))!);
  }

  /**
   * Checks the password and opens a session; a wrong name and a wrong password answer alike. An
   * account with a second factor needs its code too: given here (`code`, one request), or else
   * the answer is a `TotpChallenge` whose token goes with the code to `loginWithTotp`.
   */
  async login(usernameIn: string, password: string, facts: RequestFacts = {}, code?: string): Promise<OpenedSession | TotpChallenge> {
    const username = String(usernameIn ?? '')
      .trim()
      .toLowerCase()
      .slice(0, 64);
    const now = this.now();
    const { userKey, addressKey } = await this.reserveAttempts(username, now, facts);
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
    if (needsRehash(account.passwordHash)) {
      // A hash of weaker parameters (scrypt 2^14 before) is replaced now that the password is known
      // (before a TOTP challenge is made: the challenge is bound to the current hash).
      account.passwordHash = await hashPassword(password);
      await this.repo.update(account.username, { passwordHash: account.passwordHash });
    }
    if (account.totpEnabled) {
      if (code === undefined || code === '') {
        // The password was right: not a failure. The code is counted when it comes.
        await this.repo.releaseAttempt(userKey, LOGIN_USER_THROTTLE);
        await this.repo.releaseAttempt(addressKey, LOGIN_ADDRESS_THROTTLE);
        return this.totpChallenge(account, now);
      }
      if (!(await this.checkTotp(account, code, now))) return this.refuseTotp(account, now, facts);
    }
    return this.openSession(account, userKey, addressKey, now, facts);
  }

  /**
   * The second step of a sign-in with two factors: the challenge's token and the code. A wrong
   * code counts as a failed sign-in (the same lock-out as passwords, reserved the same way).
   */
  async loginWithTotp(pendingToken: string, code: string, facts: RequestFacts = {}): Promise<OpenedSession> {
    const claim = readPendingToken(pendingToken);
    const now = this.now();
    const { userKey, addressKey } = await this.reserveAttempts(claim?.u ?? '', now, facts);
    const account = claim && claim.e > now && !usernameProblem(claim.u) ? await this.repo.find(claim.u) : null;
    if (!claim || !account || account.disabled || !account.totpEnabled || !secretsEqual(claim.m, this.pendingMac(account, claim.e, claim.n))) {
      await this.audit.append({
        actor: account ? `operator:${account.username}` : 'anonymous',
        action: 'LOGIN_FAILED',
        targetType: 'operator',
        targetId: account ? account.username : hintOf(claim?.u ?? ''),
        detail: { reason: 'TOTP_CHALLENGE_INVALID', ip: facts.ip },
        correlationId: facts.correlationId,
      });
      throw new GatewayError(
        'TOTP_CHALLENGE_INVALID',
        401,
        '登录已超时，请重新输入密码 the sign-in timed out: enter the password again',
      );
    }
    if (!(await this.checkTotp(account, code, now))) return this.refuseTotp(account, now, facts);
    return this.openSession(account, userKey, addressKey, now, facts);
  }

  /** Reserves one attempt of the name and one of the address (see `reserveAttempt`), or refuses while either is locked. */
  private async reserveAttempts(username: string, now: number, facts: RequestFacts): Promise<{ userKey: string; addressKey: string }> {
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
    return { userKey, addressKey };
  }

  private async openSession(account: OperatorAccountEntity, userKey: string, addressKey: string, now: number, facts: RequestFacts): Promise<OpenedSession> {
    // Signed in: the name's failures are forgotten; the address gets this attempt back (its
    // other failures, maybe against other names, still count).
    await this.repo.clearLoginFailures(userKey);
    await this.repo.releaseAttempt(addressKey, LOGIN_ADDRESS_THROTTLE);
    const sessionId = randomBytes(32).toString('base64url');
    const expiresAt = new Date(Math.min(now + this.sessionMs, this.sessionDeadline(now)));
    await this.repo.createSession(sha256(sessionId), account.username, expiresAt);
    await this.repo.update(account.username, { lastLoginAt: new Date(now) });
    const setup = this.setupOf(account, now);
    await this.audit.append({
      actor: `operator:${account.username}`,
      action: 'LOGIN',
      targetType: 'operator',
      targetId: account.username,
      detail: { role: account.role, ip: facts.ip, secondFactor: account.totpEnabled, setup: setup ?? undefined },
      correlationId: facts.correlationId,
      address: facts.ip,
    });
    return { sessionId, username: account.username, role: account.role, expiresAt, setup };
  }

  /** A code of the account's second factor, not used before: its step is recorded as used (atomically). */
  private async checkTotp(account: OperatorAccountEntity, code: unknown, now: number): Promise<boolean> {
    if (!account.totpSecret) return false;
    const step = await matchTotpStep(this.box().decrypt(account.totpSecret), code, now, account.totpLastStep);
    return step !== null && (await this.repo.claimTotpStep(account.username, step));
  }

  private async refuseTotp(account: OperatorAccountEntity, now: number, facts: RequestFacts): Promise<never> {
    // The reservations stay counted as failures.
    await this.repo.forgetStaleThrottles(new Date(now), Math.max(LOGIN_USER_THROTTLE.windowMs, LOGIN_ADDRESS_THROTTLE.windowMs));
    await this.audit.append({
      actor: `operator:${account.username}`,
      action: 'LOGIN_FAILED',
      targetType: 'operator',
      targetId: account.username,
      detail: { reason: 'WRONG_TOTP', ip: facts.ip },
      correlationId: facts.correlationId,
    });
    throw totpFailed();
  }

  private box(): SecretBox {
    if (!this.secretBox) throw new Error('TOTP secrets need the data key (no SecretBox given)');
    return this.secretBox;
  }

  /** The keyed MAC of a challenge: the gateway's lookup key, over the name, expiry, nonce and current password hash. */
  private pendingMac(account: OperatorAccountEntity, expires: number, nonce: string): string {
    return this.throttleKey(`totp-pending|${account.username}|${expires}|${nonce}|${account.passwordHash}`);
  }

  private totpChallenge(account: OperatorAccountEntity, now: number): TotpChallenge {
    const e = now + TOTP_PENDING_MS;
    const n = randomBytes(12).toString('base64url');
    const token = Buffer.from(JSON.stringify({ u: account.username, e, n, m: this.pendingMac(account, e, n) })).toString('base64url');
    return { needsTotp: true, pendingToken: token, expiresAt: new Date(e) };
  }

  /**
   * Enrolment, step 1: a new secret for the signed-in account (kept encrypted, not yet active),
   * with the otpauth URI and its QR code. Again before confirming: a new secret replaces it.
   */
  async startTotpEnrolment(usernameIn: string, facts: RequestFacts = {}): Promise<{ secret: string; uri: string; qrCode: string }> {
    const account = await this.repo.find(String(usernameIn ?? '').toLowerCase());
    if (!account) throw new GatewayError('NOT_FOUND', 404, '没有该用户 no such user');
    if (account.totpEnabled)
      throw new GatewayError(
        'TOTP_ALREADY_ENABLED',
        409,
        '已启用动态验证码；如需更换请管理员重置 the second factor is on already; an admin can reset it',
      );
    const secret = newTotpSecret();
    await this.repo.update(account.username, { totpSecret: this.box().encrypt(secret), totpEnabled: false, totpLastStep: null });
    await this.audit.append({
      actor: `operator:${account.username}`,
      action: 'TOTP_ENROLMENT_STARTED',
      targetType: 'operator',
      targetId: account.username,
      correlationId: facts.correlationId,
    });
    const uri = totpUri(account.username, secret);
    return { secret, uri, qrCode: await qrCodeDataUrl(uri) };
  }

  /** Enrolment, step 2: a code from the app proves it holds the secret; the second factor is on from now. */
  async confirmTotpEnrolment(usernameIn: string, code: string, facts: RequestFacts = {}): Promise<OperatorView> {
    const account = await this.repo.find(String(usernameIn ?? '').toLowerCase());
    if (!account || account.totpEnabled || !account.totpSecret)
      throw new GatewayError('TOTP_NOT_PENDING', 409, '请先开始绑定 start the enrolment first');
    if (!(await this.checkTotp(account, code, this.now()))) {
      await this.audit.append({
        actor: `operator:${account.username}`,
        action: 'TOTP_ENROLMENT_FAILED',
        targetType: 'operator',
        targetId: account.username,
        correlationId: facts.correlationId,
      });
      throw totpFailed();
    }
    await this.repo.update(account.username, { totpEnabled: true });
    await this.audit.append({
      actor: `operator:${account.username}`,
      action: 'TOTP_ENABLED',
      targetType: 'operator',
      targetId: account.username,
      correlationId: facts.correlationId,
    });
    return view((await this.repo.find(account.username))!);
  }

  /** The second factor is removed (a lost phone): the account enrols again at its next sign-in if it needs one. */
  async resetTotp(usernameIn: string, actor: string, facts: RequestFacts = {}): Promise<void> {
    const username = String(usernameIn ?? '').toLowerCase();
    if (!(await this.repo.find(username))) throw new GatewayError('NOT_FOUND', 404, `没有用户 ${username} no such user`);
    await this.repo.update(username, { totpSecret: null, totpEnabled: false, totpLastStep: null });
    await this.repo.deleteSessionsOf(username);
    await this.audit.append({ actor, action: 'TOTP_RESET', targetType: 'operator', targetId: username, correlationId: facts.correlationId });
  }

  /**
   * An operator changes their own password (an expired one must be, before anything else): the
   * current one is checked like a sign-in (a wrong one counts towards the lock-out), and the new
   * one may not be the current or the previous one.
   */
  async changeOwnPassword(usernameIn: string, current: string, next: string, facts: RequestFacts = {}): Promise<void> {
    const username = String(usernameIn ?? '').toLowerCase();
    const now = this.now();
    const { userKey, addressKey } = await this.reserveAttempts(username, now, facts);
    const account = await this.repo.find(username);
    if (!account || !(await verifyPassword(current, account.passwordHash))) {
      await this.audit.append({
        actor: `operator:${username}`,
        action: 'PASSWORD_CHANGE_FAILED',
        targetType: 'operator',
        targetId: username,
        detail: { reason: 'WRONG_PASSWORD', ip: facts.ip },
        correlationId: facts.correlationId,
      });
      throw new GatewayError('PASSWORD_WRONG', 401, '当前密码错误 the current password is wrong');
    }
    await this.repo.releaseAttempt(userKey, LOGIN_USER_THROTTLE);
    await this.repo.releaseAttempt(addressKey, LOGIN_ADDRESS_THROTTLE);
    const problem = passwordProblem(next, username);
    if (problem) throw new GatewayError('OPERATOR_INVALID', 400, problem);
    const reused =
      (await verifyPassword(next, account.passwordHash)) ||
      (!!account.previousPasswordHash && (await verifyPassword(next, account.previousPasswordHash)));
    if (reused)
      throw new GatewayError('PASSWORD_REUSED', 400, '新密码不能与当前或上一个密码相同 the new password must differ from the current and the previous one');
    await this.repo.update(username, {
      passwordHash: await hashPassword(next),
      previousPasswordHash: account.passwordHash,
      passwordChangedAt: new Date(now),
    });
    await this.audit.append({
      actor: `operator:${username}`,
      action: 'PASSWORD_CHANGED',
      targetType: 'operator',
      targetId: username,
      detail: { ip: facts.ip },
      correlationId: facts.correlationId,
      address: facts.ip,
    });
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
    return { username: found.account.username, role: found.account.role, expiresAt, renewed, setup: this.setupOf(found.account, now), totp: view(found.account).totp, totpRequired: totpRequiredFor(found.account) };
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

/** The fields of a challenge token, if it is one (the MAC is checked by the caller). */
function readPendingToken(token: unknown): { u: string; e: number; n: string; m: string } | null {
  if (typeof token !== 'string' || token.length > 600) return null;
  try {
    const v = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as Record<string, unknown>;
    return typeof v.u === 'string' && typeof v.e === 'number' && typeof v.n === 'string' && typeof v.m === 'string'
      ? { u: v.u, e: v.e, n: v.n, m: v.m }
      : null;
  } catch {
    return null;
  }
}
