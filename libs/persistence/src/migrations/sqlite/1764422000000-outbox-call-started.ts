import type { MigrationInterface, QueryRunner } from 'typeorm';

/** When a call that the platform does not treat idempotently (a licence) may have left: see OutboxEntity.callStartedAt. */
export class OutboxCallStarted1764422000000 implements MigrationInterface {
  name = 'OutboxCallStarted1764422000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "outbox" ADD COLUMN "call_started_at" datetime`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "outbox" DROP COLUMN "call_started_at"`);
  }
}
