import type { MigrationInterface, QueryRunner } from 'typeorm';

export class PlatformCallbacks1764310000000 implements MigrationInterface {
  name = 'PlatformCallbacks1764310000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE \`platform_callback\` (
      \`id\` varchar(36) NOT NULL,
      \`callback_id\` varchar(100) NOT NULL,
      \`type\` varchar(32) NOT NULL,
      \`occurred_at\` varchar(32) NULL,
      \`received_at\` datetime(3) NOT NULL,
      \`project_no\` varchar(64) NULL,
      \`task_code\` varchar(36) NULL,
      \`department\` varchar(16) NULL,
      \`department_case_no\` varchar(64) NULL,
      \`status\` varchar(16) NOT NULL,
      \`answer_code\` varchar(16) NOT NULL,
      \`answer_msg\` text NULL,
      \`evaluation_level\` int NULL,
      \`data_enc\` mediumtext NULL,
      PRIMARY KEY (\`id\`),
      UNIQUE KEY \`ux_callback_id\` (\`callback_id\`),
      KEY \`ix_callback_project\` (\`project_no\`),
      KEY \`ix_callback_type_at\` (\`type\`, \`received_at\`)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`);
    await q.query(`CREATE TABLE \`callback_nonce\` (
      \`key\` varchar(140) NOT NULL,
      \`expires_at\` datetime(3) NOT NULL,
      PRIMARY KEY (\`key\`),
      KEY \`ix_nonce_expires\` (\`expires_at\`)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`);
    await q.query(`ALTER TABLE \`outbox\` ADD COLUMN \`ref_id\` varchar(36) NULL, ADD COLUMN \`group_key\` varchar(64) NULL, ADD KEY \`ix_outbox_target_claim\` (\`target\`, \`status\`, \`next_attempt_at\`)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE \`outbox\` DROP KEY \`ix_outbox_target_claim\`, DROP COLUMN \`group_key\`, DROP COLUMN \`ref_id\``);
    await q.query(`DROP TABLE \`callback_nonce\``);
    await q.query(`DROP TABLE \`platform_callback\``);
  }
}
