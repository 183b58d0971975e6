import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { HealthController } from './http/health.controller';

/** `/health/live` and `/health/ready` (the database answers): every gateway process serves them. Needs PersistenceModule. */
@Module({
  imports: [TerminusModule],
  controllers: [HealthController],
})
export class HealthModule {}
