import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Raw messages are kept sealed from now on (ID numbers at rest); earlier rows stay readable as they are. */
export class InboundBodyEncrypted1764340000000 implements MigrationInterface {
  name = 'InboundBodyEncrypted1764340000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "inbound_message" ADD COLUMN "body_encrypted" boolean NOT NULL DEFAULT (0)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "inbound_message" DROP COLUMN "body_encrypted"`);
  }
}
