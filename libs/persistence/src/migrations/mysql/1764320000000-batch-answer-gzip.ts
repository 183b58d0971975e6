import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Batch answers are kept gzip-compressed (a 50,000-row answer: ~11 MB of JSON, ~1 MB compressed). */
export class BatchAnswerGzip1764320000000 implements MigrationInterface {
  name = 'BatchAnswerGzip1764320000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE \`inbound_batch\` ADD COLUMN \`result_gzip\` longblob NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE \`inbound_batch\` DROP COLUMN \`result_gzip\``);
  }
}
