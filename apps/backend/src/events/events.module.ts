import { Module } from '@nestjs/common';
import { DATABASE, PRISMA, type DatabaseHandle } from '../database/database.types';
import type { PrismaClient } from '../generated/prisma/client';
import { CommittedEvents } from './committed-events';
import { EventPublisher } from './event-publisher.service';
import { EventStore } from './event-store';
import { EventTransactions } from './event-transactions.service';
import type { EventsModuleOptions } from './events-options.types';
import { EVENTS_OPTIONS, EventsConfigurableModule } from './events.module-definition';
import { RetentionService } from './retention.service';
import { databaseExecutor, type SqlExecutor } from './sql-executor';

const SQL = Symbol('EVENTS_SQL');

/**
 * The event core: contract validation, the durable ordered store, group commit, domain
 * transactions that append their events, retention, and `CommittedEvents`, the one hand-off
 * to delivery. Depends on the database and the contract only. Import it once with
 * `EventsModule.forRoot(options)`; it is global, so feature modules inject
 * `EventPublisher` and `EventTransactions` by class.
 */
@Module({
  providers: [
    {
      provide: SQL,
      inject: [PRISMA, { token: DATABASE, optional: true }],
      useFactory: (prisma: PrismaClient, database?: DatabaseHandle) => databaseExecutor(prisma, database),
    },
    { provide: EventStore, inject: [SQL], useFactory: (sql: SqlExecutor) => new EventStore(sql) },
    { provide: CommittedEvents, useFactory: () => new CommittedEvents() },
    {
      provide: EventTransactions,
      inject: [PRISMA, CommittedEvents, EVENTS_OPTIONS],
      useFactory: (prisma: PrismaClient, committed: CommittedEvents, options: EventsModuleOptions) =>
        new EventTransactions(prisma, committed, options.transactions),
    },
    {
      provide: EventPublisher,
      inject: [EventStore, EventTransactions, CommittedEvents, EVENTS_OPTIONS],
      useFactory: (store: EventStore, transactions: EventTransactions, committed: CommittedEvents, options: EventsModuleOptions) =>
        new EventPublisher(store, options.publisher, committed, transactions),
    },
    {
      provide: RetentionService,
      inject: [SQL, EVENTS_OPTIONS],
      useFactory: (sql: SqlExecutor, options: EventsModuleOptions) => new RetentionService(sql, options.retention),
    },
  ],
  exports: [EventStore, CommittedEvents, EventTransactions, EventPublisher, RetentionService],
})
export class EventsModule extends EventsConfigurableModule {}
