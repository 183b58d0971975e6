export * from './entities';
export * from './database';
export * from './ingest.repository';
export * from './audit.repository';
export * from './case-read.repository';
export * from './outbox.repository';
export * from './persistence.module';
export { SQLITE_MIGRATIONS } from './migrations/sqlite';
export { MYSQL_MIGRATIONS } from './migrations/mysql';
