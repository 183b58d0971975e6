import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The audit log becomes a hash chain (see `AuditChain`): each row's sequence number, the previous
 * row's MAC and its own, plus the outcome and the caller's address; one chain head row, locked
 * (`FOR UPDATE`) by every append so the chain stays linear across instances. Rows written before
 * this migration are chained at the next start (the MAC key is not known here): `legacy_until_id`
 * marks them, so a row inserted later without a MAC is never taken into the chain as one of them.
 */
export class AuditChain1764420000000 implements MigrationInterface {
  name = 'AuditChain1764420000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE \`audit_log\`
      ADD COLUMN \`outcome\` varchar(16) NULL,
      ADD COLUMN \`address\` varchar(64) NULL,
      ADD COLUMN \`seq\` bigint NULL,
      ADD COLUMN \`prev_mac\` varchar(64) NULL,
      ADD COLUMN \`mac\` varchar(64) NULL,
      ADD UNIQUE KEY \`ux_audit_seq\` (\`seq\`)`);
    await q.query(`CREATE TABLE \`audit_chain_head\` (
      \`id\` int NOT NULL,
      \`seq\` bigint NOT NULL,
      \`mac\` varchar(64) NOT NULL,
      \`head_mac\` varchar(64) NULL,
      \`anchor_seq\` bigint NOT NULL,
      \`anchor_mac\` varchar(64) NOT NULL,
      \`anchor_tag\` varchar(64) NULL,
      \`legacy_until_id\` bigint NOT NULL,
      PRIMARY KEY (\`id\`)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`);
    await q.query(`INSERT INTO \`audit_chain_head\` (\`id\`, \`seq\`, \`mac\`, \`anchor_seq\`, \`anchor_mac\`, \`legacy_until_id\`)
      SELECT 1, 0, '', 0, '', COALESCE(MAX(\`id\`), 0) FROM \`audit_log\``);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE \`audit_chain_head\``);
    await q.query(`ALTER TABLE \`audit_log\` DROP INDEX \`ux_audit_seq\`, DROP COLUMN \`mac\`, DROP COLUMN \`prev_mac\`, DROP COLUMN \`seq\`, DROP COLUMN \`address\`, DROP COLUMN \`outcome\``);
  }
}
