import { getMetadataArgsStorage } from 'typeorm';
import { ENTITIES } from './entities';
import { KEY_ROTATION_TARGETS, loadKeyRotationConfig } from './key-rotation';

/** Tables and columns the way the entities declare them. */
function columns(): { table: string; column: string; type: string }[] {
  const storage = getMetadataArgsStorage();
  const out: { table: string; column: string; type: string }[] = [];
  for (const entity of ENTITIES) {
    const table = storage.tables.find((t) => t.target === entity)?.name;
    if (!table) continue;
    for (const c of storage.columns.filter((x) => x.target === entity)) out.push({ table, column: c.options.name ?? c.propertyName, type: String(c.options.type ?? '') });
  }
  return out;
}

/**
 * Lookup-hash and blob columns that are not under the data key: each with why. A new column of
 * either kind fails the next test until it is a rotation target or listed here.
 */
const NOT_UNDER_THE_DATA_KEY: Record<string, string> = {
  'operator_account.password_hash': 'scrypt, salted: no data key',
  'operator_account.previous_password_hash': 'scrypt, salted: no data key',
  'operator_session.id_hash': 'SHA-256 of a random session id',
  'login_throttle.key_hash': 'sign-in counters: kept a day, start afresh after a rotation (docs/security.md §6b)',
  'access_credential.token_hash': 'unkeyed SM3 of the token (credentialHash): no data key',
  'inbound_batch.result_gzip': 'the batch answer, gzip: masked, no personal data in clear',
};

describe('KEY_ROTATION_TARGETS', () => {
  it('covers every encrypted column and every lookup hash the entities declare', () => {
    const targets = new Set(KEY_ROTATION_TARGETS.flatMap((t) => [`${t.table}.${t.column}`, ...(t.hash ? [`${t.table}.${t.hash.column}`] : [])]));
    const suspects = columns()
      .filter((c) => /_enc$|_sealed$|_hash$|^totp_secret$/.test(c.column) || c.type === 'blob')
      .map((c) => `${c.table}.${c.column}`);
    expect(suspects.length).toBeGreaterThan(8); // the scan sees the entities
    const uncovered = suspects.filter((s) => !targets.has(s) && !NOT_UNDER_THE_DATA_KEY[s]);
    expect(uncovered).toEqual([]);
  });

  it('reads its settings from the environment', () => {
    expect(loadKeyRotationConfig({})).toMatchObject({ enabled: true, startDelayMs: 10_000, batchSize: 200, pauseMs: 50 });
    expect(loadKeyRotationConfig({ KEY_ROTATION: 'off' }).enabled).toBe(false);
    expect(loadKeyRotationConfig({ KEY_ROTATION_START_DELAY: '0', KEY_ROTATION_PAUSE: '0' })).toMatchObject({ startDelayMs: 0, pauseMs: 0 });
    expect(() => loadKeyRotationConfig({ KEY_ROTATION_BATCH_SIZE: '0' })).toThrow('KEY_ROTATION_BATCH_SIZE');
  });
});
