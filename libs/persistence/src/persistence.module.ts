import { DynamicModule, Global, Module, OnApplicationBootstrap, OnApplicationShutdown, OnModuleInit, Inject, Logger } from '@nestjs/common';
import { GatewayConfig, PersonalDataCipher, spoolDirOf } from '#gw/common';
import { AuditRepository } from './audit.repository';
import { CaseReadRepository } from './case-read.repository';
import { Database, openDatabase } from './database';
import { IngestRepository } from './ingest.repository';
import { OutboxRepository } from './outbox.repository';
import { BatchRepository, QuarantineRepository } from './quarantine.repository';
import { CallbackRepository } from './callback.repository';
import { LicenceRepository } from './licence.repository';
import { CatalogueVersionRepository } from './catalogue-version.repository';
import { AccessCredentialRepository } from './access-credential.repository';
import { RetentionPruner, loadRetentionConfig } from './retention';
import { KeyRotationJob, loadKeyRotationConfig } from './key-rotation';

export const GATEWAY_CONFIG = Symbol('GATEWAY_CONFIG');

class DatabaseCloser implements OnApplicationShutdown {
  constructor(@Inject(Database) private readonly db: Database) {}
  async onApplicationShutdown(): Promise<void> {
    await this.db.close();
  }
}

/** Start-up: the audit rows from before the chain existed are chained, the empty head signed. */
class AuditChainStarter implements OnModuleInit {
  constructor(@Inject(AuditRepository) private readonly audit: AuditRepository) {}
  async onModuleInit(): Promise<void> {
    await this.audit.ensureChained();
  }
}

/** The retention job runs from start-up to shutdown (every `RETENTION_INTERVAL`). */
class RetentionJob implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(@Inject(RetentionPruner) private readonly pruner: RetentionPruner) {}
  onApplicationBootstrap(): void {
    this.pruner.start();
  }
  async onApplicationShutdown(): Promise<void> {
    await this.pruner.stop();
  }
}

/** Data-key rotation: re-encrypts in the background from start-up while a previous key is configured. */
class KeyRotationRunner implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(@Inject(KeyRotationJob) private readonly job: KeyRotationJob) {}
  onApplicationBootstrap(): void {
    this.job.start();
  }
  async onApplicationShutdown(): Promise<void> {
    await this.job.stop();
  }
}

/**
 * Opens the database (running migrations) and provides the repositories. Repositories are plain
 * classes over `Database`, so scripts and benchmarks use them without Nest.
 */
@Global()
@Module({})
export class PersistenceModule {
  /** `auditKey`: the audit chain's key (`GatewaySecrets.auditKey`). */
  static forRoot(options: { config: GatewayConfig; cipher: PersonalDataCipher; auditKey: string; database?: Database }): DynamicModule {
    // Checked before anything opens: an audit retention under 180 days stops start-up.
    const retention = { ...loadRetentionConfig(options.config.env), spoolDir: spoolDirOf(options.config.dataDir) };
    const keyRotation = loadKeyRotationConfig(options.config.env);
    return {
      module: PersistenceModule,
      providers: [
        { provide: GATEWAY_CONFIG, useValue: options.config },
        { provide: PersonalDataCipher, useValue: options.cipher },
        options.database
          ? { provide: Database, useValue: options.database }
          : { provide: Database, useFactory: () => openDatabase(options.config.database) },
        { provide: IngestRepository, useFactory: (db: Database, c: PersonalDataCipher) => new IngestRepository(db, c), inject: [Database, PersonalDataCipher] },
        { provide: AuditRepository, useFactory: (db: Database) => new AuditRepository(db, options.auditKey), inject: [Database] },
        { provide: CaseReadRepository, useFactory: (db: Database) => new CaseReadRepository(db), inject: [Database] },
        { provide: OutboxRepository, useFactory: (db: Database) => new OutboxRepository(db), inject: [Database] },
        { provide: QuarantineRepository, useFactory: (db: Database, c: PersonalDataCipher) => new QuarantineRepository(db, c), inject: [Database, PersonalDataCipher] },
        { provide: BatchRepository, useFactory: (db: Database, c: PersonalDataCipher) => new BatchRepository(db, c), inject: [Database, PersonalDataCipher] },
        { provide: CallbackRepository, useFactory: (db: Database) => new CallbackRepository(db), inject: [Database] },
        { provide: LicenceRepository, useFactory: (db: Database) => new LicenceRepository(db), inject: [Database] },
        { provide: CatalogueVersionRepository, useFactory: (db: Database) => new CatalogueVersionRepository(db), inject: [Database] },
        { provide: AccessCredentialRepository, useFactory: (db: Database) => new AccessCredentialRepository(db), inject: [Database] },
        { provide: RetentionPruner, useFactory: (db: Database, audit: AuditRepository) => new RetentionPruner(db, audit, retention), inject: [Database, AuditRepository] },
        RetentionJob,
        {
          provide: KeyRotationJob,
          useFactory: (db: Database, c: PersonalDataCipher, audit: AuditRepository) => new KeyRotationJob(db, c, audit, keyRotation, spoolDirOf(options.config.dataDir), new Logger('KeyRotation')),
          inject: [Database, PersonalDataCipher, AuditRepository],
        },
        KeyRotationRunner,
        DatabaseCloser,
        AuditChainStarter,
      ],
      exports: [RetentionPruner, KeyRotationJob, GATEWAY_CONFIG, PersonalDataCipher, Database, IngestRepository, AuditRepository, CaseReadRepository, OutboxRepository, QuarantineRepository, BatchRepository, CallbackRepository, LicenceRepository, AccessCredentialRepository, CatalogueVersionRepository],
    };
  }
}
