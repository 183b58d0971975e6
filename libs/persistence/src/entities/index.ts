import { AuditLogEntity } from './audit-log.entity';
import { CaseEventEntity } from './case-event.entity';
import { CaseEntity } from './case.entity';
import { DeliveryAttemptEntity } from './delivery-attempt.entity';
import { InboundBatchEntity } from './inbound-batch.entity';
import { InboundBatchFileEntity } from './inbound-batch-file.entity';
import { CallbackNonceEntity } from './callback-nonce.entity';
import { PlatformCallbackEntity } from './platform-callback.entity';
import { InboundMessageEntity } from './inbound-message.entity';
import { OutboxEntity, orderKey } from './outbox.entity';
import { OperatorAccountEntity } from './operator-account.entity';
import { OperatorSessionEntity } from './operator-session.entity';
import { LoginThrottleEntity } from './login-throttle.entity';
import { JobLeaseEntity, ReconciliationRunEntity } from './reconciliation.entity';
import { LicenceEntity, LicenceSerialEntity } from './licence.entity';
import { CatalogueVersionEntity } from './catalogue-version.entity';

export { PlatformCallbackEntity, CallbackNonceEntity, InboundBatchEntity, InboundBatchFileEntity, AuditLogEntity, CaseEventEntity, CaseEntity, DeliveryAttemptEntity, InboundMessageEntity, OutboxEntity, orderKey };
export { OperatorAccountEntity, OperatorSessionEntity, LoginThrottleEntity };
export { JobLeaseEntity, ReconciliationRunEntity };
export { LicenceEntity, LicenceSerialEntity };
export { CatalogueVersionEntity };
export type { OperatorRole } from './operator-account.entity';
export type { InboundOutcome } from './inbound-message.entity';
export type { OutboxStatus } from './outbox.entity';
export type { CallbackStatus } from './platform-callback.entity';

export const ENTITIES = [PlatformCallbackEntity, CallbackNonceEntity, InboundBatchEntity, InboundBatchFileEntity, InboundMessageEntity, CaseEntity, CaseEventEntity, OutboxEntity, DeliveryAttemptEntity, AuditLogEntity, OperatorAccountEntity, OperatorSessionEntity, LoginThrottleEntity, ReconciliationRunEntity, JobLeaseEntity, LicenceEntity, LicenceSerialEntity, CatalogueVersionEntity];
