import type { MigrationInterface, QueryRunner } from 'typeorm';

export class InboundBatch1764290000000 implements MigrationInterface {
  name = 'InboundBatch1764290000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "inbound_batch" (
      "id" varchar(36) PRIMARY KEY NOT NULL,
      "department" varchar(16) NOT NULL,
      "batch_key" varchar(120) NOT NULL,
      "body_sha256" varchar(64) NOT NULL,
      "received_at" datetime NOT NULL,
      "completed_at" datetime,
      "rows" integer NOT NULL DEFAULT (0),
      "accepted" integer NOT NULL DEFAULT (0),
      "duplicate" integer NOT NULL DEFAULT (0),
      "rejected" integer NOT NULL DEFAULT (0),
      "result_json" text)`);
    await q.query(`CREATE UNIQUE INDEX "ux_batch_dept_key" ON "inbound_batch" ("department", "batch_key")`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "inbound_batch"`);
  }
}
