import { InitialSchema1764288000000 } from './1764288000000-initial-schema';

/** MySQL / MariaDB migrations in the order they run. Listed explicitly: a glob would not match under jest. */
export const MYSQL_MIGRATIONS = [InitialSchema1764288000000];
