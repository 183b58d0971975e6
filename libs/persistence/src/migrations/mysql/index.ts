import { InitialSchema1764288000000 } from './1764288000000-initial-schema';
import { InboundBatch1764290000000 } from './1764290000000-inbound-batch';
import { PlatformCallbacks1764310000000 } from './1764310000000-platform-callbacks';
import { OperatorAccounts1764300000000 } from './1764300000000-operator-accounts';
import { BatchAnswerGzip1764320000000 } from './1764320000000-batch-answer-gzip';
import { LoginThrottle1764330000000 } from './1764330000000-login-throttle';
import { InboundBodyEncrypted1764340000000 } from './1764340000000-inbound-body-encrypted';
import { InboundBatchFile1764350000000 } from './1764350000000-inbound-batch-file';
import { OperatorTwoFactor1764371000000 } from './1764371000000-operator-two-factor';
import { ReportIndexes1764372000000 } from './1764372000000-report-indexes';
import { Reconciliation1764380000000 } from './1764380000000-reconciliation';
import { OutboxCallStarted1764422000000 } from './1764422000000-outbox-call-started';
import { AuditChain1764420000000 } from './1764420000000-audit-chain';
import { GatewayState1764430000000 } from './1764430000000-gateway-state';
import { Licences1764440000000 } from './1764440000000-licences';
import { AccessCredentials1764450000000 } from './1764450000000-access-credentials';
import { CatalogueVersions1764460000000 } from './1764460000000-catalogue-versions';

/** MySQL / MariaDB migrations in the order they run. Listed explicitly: a glob would not match under jest. */
export const MYSQL_MIGRATIONS = [InitialSchema1764288000000, InboundBatch1764290000000, OperatorAccounts1764300000000, PlatformCallbacks1764310000000, BatchAnswerGzip1764320000000, LoginThrottle1764330000000, InboundBodyEncrypted1764340000000, InboundBatchFile1764350000000, OperatorTwoFactor1764371000000, ReportIndexes1764372000000, Reconciliation1764380000000, AuditChain1764420000000, OutboxCallStarted1764422000000, GatewayState1764430000000, Licences1764440000000, AccessCredentials1764450000000, CatalogueVersions1764460000000];
