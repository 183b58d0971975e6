import type { MigrationInterface, QueryRunner } from 'typeorm';

const TABLE_OPTIONS = 'ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin';

/**
 * Dashboard sign-in (operator accounts and their sessions), plus two time indexes the dashboard's
 * "last hours" queries need (delivery attempts and inbound messages by time, across departments).
 */
export class OperatorAccounts1764300000000 implements MigrationInterface {
  name = 'OperatorAccounts1764300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE \`operator_account\` (
      \`username\` varchar(32) NOT NULL,
      \`password_hash\` varchar(255) NOT NULL,
      \`role\` varchar(16) NOT NULL,
      \`disabled\` tinyint(1) NOT NULL DEFAULT 0,
      \`created_at\` datetime(3) NOT NULL,
      \`updated_at\` datetime(3) NOT NULL,
      \`last_login_at\` datetime(3) NULL,
      PRIMARY KEY (\`username\`)
    ) ${TABLE_OPTIONS}`);
    await q.query(`CREATE TABLE \`operator_session\` (
      \`id_hash\` varchar(64) NOT NULL,
      \`username\` varchar(32) NOT NULL,
      \`created_at\` datetime(3) NOT NULL,
      \`expires_at\` datetime(3) NOT NULL,
      PRIMARY KEY (\`id_hash\`),
      KEY \`ix_session_expires\` (\`expires_at\`),
      KEY \`ix_session_user\` (\`username\`)
    ) ${TABLE_OPTIONS}`);
    await q.query(`CREATE INDEX \`ix_attempt_at\` ON \`delivery_attempt\` (\`attempted_at\`)`);
    await q.query(`CREATE INDEX \`ix_inbound_received\` ON \`inbound_message\` (\`received_at\`)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX \`ix_inbound_received\` ON \`inbound_message\``);
    await q.query(`DROP INDEX \`ix_attempt_at\` ON \`delivery_attempt\``);
    await q.query(`DROP TABLE \`operator_session\``);
    await q.query(`DROP TABLE \`operator_account\``);
  }
}
