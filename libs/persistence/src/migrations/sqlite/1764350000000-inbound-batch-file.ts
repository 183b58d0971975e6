import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Batch files are kept once, whole and sealed; their taken rows no longer each keep a copy. */
export class InboundBatchFile1764350000000 implements MigrationInterface {
  name = 'InboundBatchFile1764350000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "inbound_batch_file" (
      "batch_id" varchar(36) NOT NULL,
      "part_no" integer NOT NULL,
      "body" blob NOT NULL,
      PRIMARY KEY ("batch_id", "part_no"))`);
    await q.query(`ALTER TABLE "inbound_batch" ADD COLUMN "headers" text`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "inbound_batch" DROP COLUMN "headers"`);
    await q.query(`DROP TABLE "inbound_batch_file"`);
  }
}
