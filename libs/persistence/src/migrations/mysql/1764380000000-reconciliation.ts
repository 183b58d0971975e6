import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Reconciliation (对账) results per department and date, and the lease that lets one instance run a job. */
export class Reconciliation1764380000000 implements MigrationInterface {
  name = 'Reconciliation1764380000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE \`reconciliation_run\` (
      \`id\` bigint NOT NULL AUTO_INCREMENT,
      \`business_date\` varchar(10) NOT NULL,
      \`department\` varchar(16) NOT NULL,
      \`org_code\` varchar(32) NOT NULL,
      \`run_by\` varchar(64) NOT NULL,
      \`checked\` int NOT NULL DEFAULT 0,
      \`matching\` int NOT NULL DEFAULT 0,
      \`repaired\` int NOT NULL DEFAULT 0,
      \`unexplained\` int NOT NULL DEFAULT 0,
      \`in_progress\` int NOT NULL DEFAULT 0,
      \`details\` mediumtext NULL,
      \`error\` text NULL,
      \`started_at\` datetime(3) NOT NULL,
      \`finished_at\` datetime(3) NOT NULL,
      PRIMARY KEY (\`id\`),
      KEY \`ix_reconciliation_date\` (\`business_date\`, \`department\`)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`);
    await q.query(`CREATE TABLE \`job_lease\` (
      \`name\` varchar(64) NOT NULL,
      \`owner\` varchar(64) NOT NULL,
      \`lease_until\` datetime(3) NOT NULL,
      \`done_at\` datetime(3) NULL,
      PRIMARY KEY (\`name\`)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE \`job_lease\``);
    await q.query(`DROP TABLE \`reconciliation_run\``);
  }
}
