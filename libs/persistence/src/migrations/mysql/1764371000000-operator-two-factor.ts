import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Operators' second factor (TOTP, its secret SM4-encrypted) and password policy: when the password
 * was last changed (expiry) and the one before it (no reuse). Existing accounts count their
 * password as changed at their last update, so an upgrade does not expire every password at once.
 */
export class OperatorTwoFactor1764371000000 implements MigrationInterface {
  name = 'OperatorTwoFactor1764371000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE \`operator_account\`
      ADD \`totp_secret\` varchar(255) NULL,
      ADD \`totp_enabled\` tinyint(1) NOT NULL DEFAULT 0,
      ADD \`totp_required\` tinyint(1) NOT NULL DEFAULT 0,
      ADD \`totp_last_step\` bigint NULL,
      ADD \`password_changed_at\` datetime(3) NULL,
      ADD \`previous_password_hash\` varchar(255) NULL`);
    await q.query(`UPDATE \`operator_account\` SET \`password_changed_at\` = \`updated_at\``);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE \`operator_account\`
      DROP COLUMN \`previous_password_hash\`, DROP COLUMN \`password_changed_at\`, DROP COLUMN \`totp_last_step\`,
      DROP COLUMN \`totp_required\`, DROP COLUMN \`totp_enabled\`, DROP COLUMN \`totp_secret\``);
  }
}
