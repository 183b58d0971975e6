import { AuditLogEntity } from './audit-log.entity';
import { CaseEventEntity } from './case-event.entity';
import { CaseEntity } from './case.entity';
import { DeliveryAttemptEntity } from './delivery-attempt.entity';
import { InboundMessageEntity } from './inbound-message.entity';
import { OutboxEntity, orderKey } from './outbox.entity';

export { AuditLogEntity, CaseEventEntity, CaseEntity, DeliveryAttemptEntity, InboundMessageEntity, OutboxEntity, orderKey };
export type { InboundOutcome } from './inbound-message.entity';
export type { OutboxStatus } from './outbox.entity';

export const ENTITIES = [InboundMessageEntity, CaseEntity, CaseEventEntity, OutboxEntity, DeliveryAttemptEntity, AuditLogEntity];
