import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The audit log becomes a hash chain (see `AuditChain`): each row's sequence number, the previous
 * row's MAC and its own, plus the outcome and the caller's address; one chain head row, locked by
 * every append. Rows written before this migration are chained at the next start (the MAC key is
 * not known here): `legacy_until_id` marks them, so a row inserted later without a MAC is never
 * taken into the chain as if it were one of them.
 */
export class AuditChain1764420000000 implements MigrationInterface {
  name = 'AuditChain1764420000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "audit_log" ADD COLUMN "outcome" varchar(16)`);
    await q.query(`ALTER TABLE "audit_log" ADD COLUMN "address" varchar(64)`);
    await q.query(`ALTER TABLE "audit_log" ADD COLUMN "seq" bigint`);
    await q.query(`ALTER TABLE "audit_log" ADD COLUMN "prev_mac" varchar(64)`);
    await q.query(`ALTER TABLE "audit_log" ADD COLUMN "mac" varchar(64)`);
    await q.query(`CREATE UNIQUE INDEX "ux_audit_seq" ON "audit_log" ("seq")`);
    await q.query(`CREATE TABLE "audit_chain_head" (
      "id" integer PRIMARY KEY NOT NULL,
      "seq" bigint NOT NULL,
      "mac" varchar(64) NOT NULL,
      "head_mac" varchar(64),
      "anchor_seq" bigint NOT NULL,
      "anchor_mac" varchar(64) NOT NULL,
      "anchor_tag" varchar(64),
      "legacy_until_id" bigint NOT NULL)`);
    await q.query(`INSERT INTO "audit_chain_head" ("id", "seq", "mac", "anchor_seq", "anchor_mac", "legacy_until_id")
      SELECT 1, 0, '', 0, '', COALESCE(MAX("id"), 0) FROM "audit_log"`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "audit_chain_head"`);
    await q.query(`DROP INDEX "ux_audit_seq"`);
    for (const c of ['mac', 'prev_mac', 'seq', 'address', 'outcome']) await q.query(`ALTER TABLE "audit_log" DROP COLUMN "${c}"`);
  }
}
