import type { MigrationInterface, QueryRunner } from 'typeorm';

export class PlatformCallbacks1764310000000 implements MigrationInterface {
  name = 'PlatformCallbacks1764310000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "platform_callback" (
      "id" varchar(36) PRIMARY KEY NOT NULL,
      "callback_id" varchar(100) NOT NULL,
      "type" varchar(32) NOT NULL,
      "occurred_at" varchar(32),
      "received_at" datetime NOT NULL,
      "project_no" varchar(64),
      "task_code" varchar(36),
      "department" varchar(16),
      "department_case_no" varchar(64),
      "status" varchar(16) NOT NULL,
      "answer_code" varchar(16) NOT NULL,
      "answer_msg" text,
      "evaluation_level" integer,
      "data_enc" text)`);
    await q.query(`CREATE UNIQUE INDEX "ux_callback_id" ON "platform_callback" ("callback_id")`);
    await q.query(`CREATE INDEX "ix_callback_project" ON "platform_callback" ("project_no")`);
    await q.query(`CREATE INDEX "ix_callback_type_at" ON "platform_callback" ("type", "received_at")`);
    await q.query(`CREATE TABLE "callback_nonce" ("key" varchar(140) PRIMARY KEY NOT NULL, "expires_at" datetime NOT NULL)`);
    await q.query(`CREATE INDEX "ix_nonce_expires" ON "callback_nonce" ("expires_at")`);
    await q.query(`ALTER TABLE "outbox" ADD COLUMN "ref_id" varchar(36)`);
    await q.query(`ALTER TABLE "outbox" ADD COLUMN "group_key" varchar(64)`);
    await q.query(`CREATE INDEX "ix_outbox_target_claim" ON "outbox" ("target", "status", "next_attempt_at")`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX "ix_outbox_target_claim"`);
    await q.query(`ALTER TABLE "outbox" DROP COLUMN "group_key"`);
    await q.query(`ALTER TABLE "outbox" DROP COLUMN "ref_id"`);
    await q.query(`DROP TABLE "callback_nonce"`);
    await q.query(`DROP TABLE "platform_callback"`);
  }
}
