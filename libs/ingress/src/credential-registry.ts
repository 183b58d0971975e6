import { createHash } from 'node:crypto';
import type { AccessCredentialEntity, AccessCredentialRepository, CredentialKind, CredentialSource } from '#gw/persistence';

/**
 * The hash a credential is stored and found by: SM3 (国密, as the audit chain) of a purpose label
 * and the value, in hex.
 *
 * Why a fast hash and not scrypt/bcrypt: those slow down guessing a *low-entropy* secret (a
 * password). Tokens issued here are 32 random bytes (256 bits): no dictionary applies and no
 * work factor makes a 2^256 search more hopeless, while a slow hash would cost milliseconds of CPU
 * on every event post (the fast path serves thousands a second on two cores). Why not keyed
 * (HMAC): a key would have to come from the data or audit key, and rotating that would silently
 * invalidate every token in the table; with 256-bit tokens a key adds nothing against a stolen
 * table. The label keeps these hashes apart from any other SM3 use.
 */
export function credentialHash(kind: CredentialKind, value: string): string {
  return createHash('sm3').update(`gw-credential-v1\n${kind}\n`).update(value, 'utf8').digest('hex');
}

/** A value from the configuration (environment variable or data/secrets.json). */
export interface ConfiguredCredential {
  owner: string;
  value: string;
  source: Exclude<CredentialSource, 'database'>;
}

/** What a presented value turned out to be. */
export type CredentialMatch =
  | { ok: true; owner: string; id: string | null; source: CredentialSource }
  | { ok: false; owner: string | null; reason: 'unknown' | 'retired' };

interface Known {
  id: string | null;
  owner: string;
  source: CredentialSource;
  expiresAt: number | null;
  revokedAt: number | null;
  /** The value (callback secrets only: needed to check a signature). */
  secret?: string;
}

export interface CredentialRegistryOptions {
  /** Production: a value set in the environment is always accepted (the environment wins). */
  production: boolean;
  /** How stale the in-memory copy of the table may get: revocation on another instance takes effect within it. */
  refreshMs?: number;
  /** An unknown value re-reads the table at most this often (a token just issued on another instance works at once). */
  missRefreshMs?: number;
  /** `last_used_at` is written at most this often per credential and instance. */
  touchEveryMs?: number;
  /** Opens a sealed callback secret (the data key's cipher). */
  unseal?: (sealed: string) => string;
  now?: () => number;
}

export const CREDENTIAL_REFRESH_MS = 30_000;

/**
 * Credentials of one kind — configured values and those issued from the dashboard — checked from
 * memory. The table is small (a row per rotation), so it is read whole every `refreshMs` (30 s),
 * right after a change made on this instance, and when an unknown value is presented (at most once
 * a second); a check is then one SM3 and a map lookup, with no I/O on the event fast path. Expiry
 * is judged against the clock at each check, so it is exact; a revocation made on another
 * instance takes effect here within `refreshMs`.
 *
 * The map lookup is keyed by the SM3 of the presented value, which an attacker cannot steer
 * toward a stored hash, so its timing tells nothing about stored tokens.
 */
export class CredentialRegistry {
  private readonly configured: Map<string, ConfiguredCredential>;
  private known = new Map<string, Known>();
  private repo?: AccessCredentialRepository;
  private loadedAt = 0;
  private triedAt = 0;
  private loading?: Promise<void>;
  private timer?: NodeJS.Timeout;
  private readonly lastTouched = new Map<string, number>();
  private readonly pendingTouch = new Map<string, Date>();
  private readonly now: () => number;

  constructor(
    readonly kind: CredentialKind,
    configured: ConfiguredCredential[],
    private readonly options: CredentialRegistryOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.configured = new Map(configured.map((c) => [credentialHash(kind, c.value), c]));
    this.known = this.configuredOnly();
  }

  get production(): boolean {
    return this.options.production;
  }

  /** Whether the table is in use (false in unit tests and tools without a database). */
  get attached(): boolean {
    return !!this.repo;
  }

  /** Uses the database from now on: records the configured values, reads the table, refreshes it periodically. */
  async attach(repo: AccessCredentialRepository): Promise<void> {
    this.repo = repo;
    const at = new Date(this.now());
    for (const [hash, c] of this.configured) await repo.recordConfigured(this.kind, c.owner, hash, c.source, at);
    await this.refresh();
    this.timer = setInterval(() => void this.refresh().catch(() => undefined), this.options.refreshMs ?? CREDENTIAL_REFRESH_MS);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.flushTouches().catch(() => undefined);
  }

  /** Re-reads the table (shared by concurrent callers), and writes the pending last-used times. */
  refresh(): Promise<void> {
    if (!this.repo) return Promise.resolve();
    this.loading ??= (async () => {
      try {
        const started = this.now();
        const rows = await this.repo!.all(this.kind);
        this.known = this.build(rows);
        this.loadedAt = started;
        await this.flushTouches().catch(() => undefined);
      } finally {
        this.loading = undefined;
      }
    })();
    return this.loading;
  }

  /** Which configured value a hash is (for the admin's list: its source). */
  configuredSourceOf(hash: string): ConfiguredCredential | undefined {
    return this.configured.get(hash);
  }

  /** Checks a value from memory only (no I/O): for the throttle's "has a valid token" look before a body is read. */
  matchNow(value: string): CredentialMatch {
    const k = this.known.get(credentialHash(this.kind, value));
    if (!k) return { ok: false, owner: null, reason: 'unknown' };
    const now = this.now();
    if (!this.environmentWins(k) && (k.revokedAt !== null || (k.expiresAt !== null && k.expiresAt <= now))) return { ok: false, owner: k.owner, reason: 'retired' };
    if (k.id) this.noteUse(k.id, now);
    return { ok: true, owner: k.owner, id: k.id, source: k.source };
  }

  /** As `matchNow`, but an unknown value first re-reads the table (at most once a second). */
  async match(value: string): Promise<CredentialMatch> {
    const m = this.matchNow(value);
    if (m.ok || m.reason === 'retired') return m;
    return (await this.refreshIfStale()) ? this.matchNow(value) : m;
  }

  /**
   * Re-reads the table for a value not found in memory, so a token issued on another instance
   * works here too — unless the table was read (or tried) within `missRefreshMs` (1 s): a flood
   * of bogus tokens costs at most one query a second, and a refusal is never delayed (the
   * address's refusal limit counts them as they come). The one gap: a token posted within a
   * second of being issued on another instance may be refused once — a person copying it to a
   * vendor takes longer. A database that does not answer leaves the copy in memory as it is
   * (false): the check goes on from memory, a refusal stays a 401, never a 5xx.
   */
  async refreshIfStale(): Promise<boolean> {
    const now = this.now();
    if (!this.repo || now - Math.max(this.loadedAt, this.triedAt) < (this.options.missRefreshMs ?? 1_000)) return false;
    this.triedAt = now;
    try {
      await this.refresh();
      return true;
    } catch {
      return false;
    }
  }

  /** The values valid now for an owner (callback secrets: each is tried against a signature). */
  validSecrets(owner: string): string[] {
    const now = this.now();
    const out: string[] = [];
    for (const k of this.known.values()) {
      if (k.owner !== owner || k.secret === undefined) continue;
      if (!this.environmentWins(k) && (k.revokedAt !== null || (k.expiresAt !== null && k.expiresAt <= now))) continue;
      out.push(k.secret);
    }
    return out;
  }

  /** Notes that the credential with this id (a row) checked a request; written coarsely. */
  noteUse(id: string, now = this.now()): void {
    const last = this.lastTouched.get(id);
    if (last !== undefined && now - last < (this.options.touchEveryMs ?? 60_000)) return;
    this.lastTouched.set(id, now);
    this.pendingTouch.set(id, new Date(now));
  }

  private async flushTouches(): Promise<void> {
    if (!this.repo || !this.pendingTouch.size) return;
    const batch = new Map(this.pendingTouch);
    this.pendingTouch.clear();
    await this.repo.touch(batch);
  }

  /** In production a value from the environment is accepted whatever the table says about it. */
  private environmentWins(k: Known): boolean {
    return this.options.production && k.source === 'env';
  }

  private configuredOnly(): Map<string, Known> {
    const m = new Map<string, Known>();
    for (const [hash, c] of this.configured) m.set(hash, { id: null, owner: c.owner, source: c.source, expiresAt: null, revokedAt: null, secret: this.kind === 'CALLBACK' ? c.value : undefined });
    return m;
  }

  private build(rows: AccessCredentialEntity[]): Map<string, Known> {
    const m = this.configuredOnly();
    for (const r of rows) {
      const conf = this.configured.get(r.tokenHash);
      // A configured row whose value is no longer configured (the variable changed): nothing to accept.
      if (r.source !== 'database' && !conf) continue;
      const k: Known = {
        id: String(r.id),
        owner: r.owner,
        source: conf ? conf.source : r.source,
        expiresAt: r.expiresAt ? r.expiresAt.getTime() : null,
        revokedAt: r.revokedAt ? r.revokedAt.getTime() : null,
        secret: conf ? (this.kind === 'CALLBACK' ? conf.value : undefined) : undefined,
      };
      if (this.kind === 'CALLBACK' && !conf && r.secretSealed && this.options.unseal) {
        try {
          k.secret = this.options.unseal(r.secretSealed);
        } catch {
          continue; // sealed with another data key: cannot be used
        }
      }
      m.set(r.tokenHash, k);
    }
    return m;
  }
}
