import { createHash } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { AuditRepository } from './audit.repository';
import { Database } from './database';
import { utcDatetimeText } from './persistent-value';

/**
 * One setting as recorded: `v` its value where it may be shown (never a secret; a URL's
 * credentials masked), `h` a keyed fingerprint of what may not (a secret, a URL's credentials).
 */
export interface RecordedSetting {
  v?: string;
  h?: string;
}

/** A process's effective configuration as recorded at start-up: nothing secret in clear. */
export interface ConfigurationRecord {
  /** Over every setting (and the key check): equal fingerprints, equal configurations. */
  fingerprint: string;
  /** Fingerprint of the key the `h` values were made with: another key, and they cannot be compared. */
  keyCheck: string;
  settings: Record<string, RecordedSetting>;
}

/** One changed setting: its values where they may be shown; `secret` when only its name may be. */
export interface ConfigChange {
  setting: string;
  before?: string | null;
  after?: string | null;
  secret?: true;
}

export interface ConfigComparison {
  changes: ConfigChange[];
  /** False when the fingerprint key itself changed (GATEWAY_AUDIT_KEY): secrets could not be compared. */
  secretsCompared: boolean;
}

/** The record's fingerprint: SHA-256 over its settings in name order and its key check. */
export function configurationFingerprint(settings: Record<string, RecordedSetting>, keyCheck: string): string {
  const ordered = Object.keys(settings)
    .sort()
    .map((name) => [name, settings[name].v ?? null, settings[name].h ?? null]);
  return createHash('sha256').update(JSON.stringify({ keyCheck, ordered })).digest('hex');
}

/** What changed from `before` to `after`, setting by setting (names in order). */
export function compareConfigurations(before: ConfigurationRecord, after: ConfigurationRecord): ConfigComparison {
  const secretsCompared = before.keyCheck === after.keyCheck;
  const changes: ConfigChange[] = [];
  const names = [...new Set([...Object.keys(before.settings), ...Object.keys(after.settings)])].sort();
  for (const setting of names) {
    const b = before.settings[setting];
    const a = after.settings[setting];
    const valueChanged = (b?.v ?? null) !== (a?.v ?? null);
    const secret = !!(b?.h || a?.h);
    // Present on one side only, or its fingerprint changed (when both were made with one key).
    const secretChanged = secret && (!b || !a || (secretsCompared && (b.h ?? null) !== (a.h ?? null)));
    if (!valueChanged && !secretChanged) continue;
    const change: ConfigChange = { setting };
    if (b?.v !== undefined || a?.v !== undefined) {
      change.before = b?.v ?? null;
      change.after = a?.v ?? null;
    }
    if (secret) change.secret = true;
    changes.push(change);
  }
  // The fingerprints' key comes from the audit key: another key check means that key changed.
  if (!secretsCompared && !changes.some((c) => c.setting === 'GATEWAY_AUDIT_KEY')) {
    changes.push({ setting: 'GATEWAY_AUDIT_KEY', secret: true });
    changes.sort((x, y) => (x.setting < y.setting ? -1 : x.setting > y.setting ? 1 : 0));
  }
  return { changes, secretsCompared };
}

const STATE = 'gateway_state';

/**
 * Compares a process's effective configuration with the one it last recorded (table
 * `gateway_state`, under `key`) and, where they differ, audits `CONFIG_CHANGED` naming each
 * changed setting — values for the others, names only for secrets — in the same transaction
 * that records the new one. The first record of a process is audited as `CONFIG_RECORDED`. An
 * unchanged configuration writes nothing.
 */
export async function recordConfiguration(
  db: Database,
  audit: AuditRepository,
  key: string,
  record: ConfigurationRecord,
  detail: Record<string, unknown> = {},
): Promise<{ action: 'CONFIG_RECORDED' | 'CONFIG_CHANGED' | null; comparison?: ConfigComparison }> {
  const q = (n: string) => (db.dialect === 'mysql' ? `\`${n}\`` : `"${n}"`);
  const now = new Date();
  const at = db.dialect === 'sqlite' ? utcDatetimeText(now) : now;
  const run = () =>
    db.transaction(async (em: EntityManager) => {
      // MySQL: the row stays locked to the commit (two processes of one key start together).
      const rows: { value: string }[] = await em.query(`SELECT ${q('value')} AS value FROM ${q(STATE)} WHERE ${q('name')} = ?${db.dialect === 'mysql' ? ' FOR UPDATE' : ''}`, [key]);
      const previous = rows.length ? (JSON.parse(rows[0].value) as ConfigurationRecord) : null;
      if (previous?.fingerprint === record.fingerprint) return { action: null };
      const value = JSON.stringify(record);
      if (!previous) {
        await em.query(`INSERT INTO ${q(STATE)} (${q('name')}, ${q('value')}, ${q('updated_at')}) VALUES (?, ?, ?)`, [key, value, at]);
        await audit.append(
          { actor: 'system', action: 'CONFIG_RECORDED', targetType: 'configuration', targetId: key, detail: { ...detail, fingerprint: record.fingerprint, settings: Object.keys(record.settings).length } },
          em,
        );
        return { action: 'CONFIG_RECORDED' as const };
      }
      const comparison = compareConfigurations(previous, record);
      await em.query(`UPDATE ${q(STATE)} SET ${q('value')} = ?, ${q('updated_at')} = ? WHERE ${q('name')} = ?`, [value, at, key]);
      await audit.append(
        {
          actor: 'system',
          action: 'CONFIG_CHANGED',
          targetType: 'configuration',
          targetId: key,
          detail: {
            ...detail,
            fingerprint: record.fingerprint,
            previousFingerprint: previous.fingerprint,
            changed: comparison.changes,
            ...(comparison.secretsCompared ? {} : { secretsCompared: false }),
          },
        },
        em,
      );
      return { action: 'CONFIG_CHANGED' as const, comparison };
    });
  // Two processes of one key recording their first configuration at once: the second insert
  // fails on the key and runs again (it then finds the first one's record).
  return Database.retryingConflicts(run);
}
