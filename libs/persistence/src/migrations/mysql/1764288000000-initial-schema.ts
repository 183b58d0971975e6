import type { MigrationInterface, QueryRunner } from 'typeorm';

const TABLE_OPTIONS = 'ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin';

export class InitialSchema1764288000000 implements MigrationInterface {
  name = 'InitialSchema1764288000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE \`inbound_message\` (
      \`id\` varchar(36) NOT NULL,
      \`department\` varchar(16) NOT NULL,
      \`channel\` varchar(16) NOT NULL,
      \`received_at\` datetime(3) NOT NULL,
      \`media_type\` varchar(100) NULL,
      \`headers\` text NULL,
      \`body\` longblob NULL,
      \`body_sha256\` varchar(64) NULL,
      \`source_event_id\` varchar(128) NULL,
      \`outcome\` varchar(16) NOT NULL,
      \`http_status\` int NOT NULL,
      \`error_code\` varchar(64) NULL,
      \`errors\` mediumtext NULL,
      \`event_id\` varchar(36) NULL,
      \`case_id\` varchar(36) NULL,
      \`correlation_id\` varchar(64) NULL,
      \`batch_id\` varchar(100) NULL,
      \`row_no\` int NULL,
      \`replay_of\` varchar(36) NULL,
      \`resolved_at\` datetime(3) NULL,
      PRIMARY KEY (\`id\`),
      KEY \`ix_inbound_dept_received\` (\`department\`, \`received_at\`),
      KEY \`ix_inbound_outcome\` (\`outcome\`, \`resolved_at\`),
      KEY \`ix_inbound_batch\` (\`department\`, \`batch_id\`)
    ) ${TABLE_OPTIONS}`);

    await q.query(`CREATE TABLE \`gw_case\` (
      \`id\` varchar(36) NOT NULL,
      \`department\` varchar(16) NOT NULL,
      \`source_case_no\` varchar(64) NOT NULL,
      \`platform_project_no\` varchar(64) NULL,
      \`online\` tinyint(1) NOT NULL DEFAULT 0,
      \`matter_code\` varchar(36) NOT NULL,
      \`matter_name\` varchar(200) NOT NULL,
      \`location\` varchar(12) NULL,
      \`current_stage\` varchar(32) NOT NULL,
      \`closed\` tinyint(1) NOT NULL DEFAULT 0,
      \`opened_at\` datetime(3) NOT NULL,
      \`last_stage_time\` datetime(3) NOT NULL,
      \`closed_at\` datetime(3) NULL,
      \`parties_enc\` text NOT NULL,
      \`applicant_id_hash\` varchar(64) NULL,
      \`warnings\` text NULL,
      \`platform_last_seq\` int NOT NULL DEFAULT 0,
      \`created_at\` datetime(3) NOT NULL,
      \`updated_at\` datetime(3) NOT NULL,
      PRIMARY KEY (\`id\`),
      UNIQUE KEY \`ux_case_dept_no\` (\`department\`, \`source_case_no\`),
      KEY \`ix_case_project_no\` (\`platform_project_no\`),
      KEY \`ix_case_applicant_hash\` (\`applicant_id_hash\`)
    ) ${TABLE_OPTIONS}`);

    await q.query(`CREATE TABLE \`case_event\` (
      \`id\` varchar(36) NOT NULL,
      \`case_id\` varchar(36) NOT NULL,
      \`department\` varchar(16) NOT NULL,
      \`source_event_id\` varchar(128) NOT NULL,
      \`stage\` varchar(32) NOT NULL,
      \`stage_name\` varchar(50) NULL,
      \`stage_time\` datetime(3) NOT NULL,
      \`source_seq\` int NULL,
      \`payload_enc\` mediumtext NOT NULL,
      \`warnings\` text NULL,
      \`inbound_id\` varchar(36) NOT NULL,
      \`created_at\` datetime(3) NOT NULL,
      PRIMARY KEY (\`id\`),
      UNIQUE KEY \`ux_event_dept_source\` (\`department\`, \`source_event_id\`),
      KEY \`ix_event_case\` (\`case_id\`, \`stage_time\`)
    ) ${TABLE_OPTIONS}`);

    await q.query(`CREATE TABLE \`outbox\` (
      \`id\` bigint NOT NULL AUTO_INCREMENT,
      \`target\` varchar(32) NOT NULL,
      \`kind\` varchar(32) NOT NULL,
      \`case_id\` varchar(36) NULL,
      \`event_id\` varchar(36) NULL,
      \`order_time\` datetime(3) NOT NULL,
      \`order_seq\` int NULL,
      \`order_key\` varchar(64) NOT NULL,
      \`status\` varchar(16) NOT NULL DEFAULT 'PENDING',
      \`attempts\` int NOT NULL DEFAULT 0,
      \`next_attempt_at\` datetime(3) NOT NULL,
      \`lease_owner\` varchar(64) NULL,
      \`lease_until\` datetime(3) NULL,
      \`platform_seq\` int NULL,
      \`last_error_code\` varchar(32) NULL,
      \`last_error\` text NULL,
      \`parked_reason\` text NULL,
      \`created_at\` datetime(3) NOT NULL,
      \`updated_at\` datetime(3) NOT NULL,
      \`done_at\` datetime(3) NULL,
      PRIMARY KEY (\`id\`),
      KEY \`ix_outbox_claim\` (\`status\`, \`next_attempt_at\`),
      KEY \`ix_outbox_case\` (\`case_id\`, \`status\`, \`order_key\`)
    ) ${TABLE_OPTIONS}`);

    await q.query(`CREATE TABLE \`delivery_attempt\` (
      \`id\` bigint NOT NULL AUTO_INCREMENT,
      \`outbox_id\` bigint NOT NULL,
      \`attempted_at\` datetime(3) NOT NULL,
      \`duration_ms\` int NOT NULL,
      \`endpoint\` varchar(100) NOT NULL,
      \`http_status\` int NULL,
      \`business_code\` varchar(16) NULL,
      \`outcome\` varchar(16) NOT NULL,
      \`message\` text NULL,
      PRIMARY KEY (\`id\`),
      KEY \`ix_attempt_outbox\` (\`outbox_id\`)
    ) ${TABLE_OPTIONS}`);

    await q.query(`CREATE TABLE \`audit_log\` (
      \`id\` bigint NOT NULL AUTO_INCREMENT,
      \`at\` datetime(3) NOT NULL,
      \`actor\` varchar(64) NOT NULL,
      \`action\` varchar(64) NOT NULL,
      \`target_type\` varchar(32) NULL,
      \`target_id\` varchar(64) NULL,
      \`detail\` text NULL,
      \`correlation_id\` varchar(64) NULL,
      PRIMARY KEY (\`id\`),
      KEY \`ix_audit_at\` (\`at\`)
    ) ${TABLE_OPTIONS}`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of ['audit_log', 'delivery_attempt', 'outbox', 'case_event', 'gw_case', 'inbound_message']) {
      await q.query(`DROP TABLE \`${t}\``);
    }
  }
}
