import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Operators' second factor (TOTP, its secret SM4-encrypted) and password policy: when the password
 * was last changed (expiry) and the one before it (no reuse). Existing accounts count their
 * password as changed at their last update, so an upgrade does not expire every password at once.
 */
export class OperatorTwoFactor1764371000000 implements MigrationInterface {
  name = 'OperatorTwoFactor1764371000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "operator_account" ADD "totp_secret" varchar(255)`);
    await q.query(`ALTER TABLE "operator_account" ADD "totp_enabled" boolean NOT NULL DEFAULT (0)`);
    await q.query(`ALTER TABLE "operator_account" ADD "totp_required" boolean NOT NULL DEFAULT (0)`);
    await q.query(`ALTER TABLE "operator_account" ADD "totp_last_step" integer`);
    await q.query(`ALTER TABLE "operator_account" ADD "password_changed_at" datetime`);
    await q.query(`ALTER TABLE "operator_account" ADD "previous_password_hash" varchar(255)`);
    await q.query(`UPDATE "operator_account" SET "password_changed_at" = "updated_at"`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const c of ['previous_password_hash', 'password_changed_at', 'totp_last_step', 'totp_required', 'totp_enabled', 'totp_secret'])
      await q.query(`ALTER TABLE "operator_account" DROP COLUMN "${c}"`);
  }
}
