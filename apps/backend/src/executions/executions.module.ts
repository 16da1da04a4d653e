import { Module } from '@nestjs/common';
import { PRISMA } from '../database/database.types';
import type { PrismaClient } from '../generated/prisma/client';
import { ExecutionsQueue } from '../queue/executions-queue.service';
import { JobHandlerRegistry } from '../queue/job-handler.registry';
import { TaskAccessModule } from '../auth/task-access.module';
import { TaskAccessService } from '../auth/task-access.service';
import { ConnectionManagerService } from '../websocket/connection/connection-manager.service';
import { MessageHandlersRegistry } from '../websocket/connection/message-handlers.registry';
import { EventFanout } from '../websocket/delivery/event-fanout.service';
import { StreamDispatcher } from '../websocket/delivery/stream-dispatcher.service';
import { ClaudeEventsService } from './claude-events.service';
import { CommittedEvents } from '../events/committed-events';
import { EventStore } from '../events/event-store';
import { EventTransactions } from '../events/event-transactions.service';
import { SubscriptionService } from '../websocket/subscriptions/subscription.service';
import { WebsocketObservers } from '../websocket/websocket-observers';
import { ExecutionStore } from './execution.store';
import type { ExecutionsModuleOptions } from './executions-options.types';
import { EXECUTIONS_OPTIONS, ExecutionsConfigurableModule } from './executions.module-definition';
import { ExecutionsController } from './http/executions.controller';
import { EXECUTION_JOB, ExecutionsService } from './http/executions.service';
import { ExecutionOutputStore } from './output/execution-output.store';
import { executionJobHandler } from './runner/execution-job.handler';
import { ExecutionRunner } from './runner/execution-runner.service';
import { OutputPositions } from './viewers/output-positions.store';
import { SlowViewerGuard } from './viewers/slow-viewer.guard';
import { ViewerCatchUp } from './viewers/viewer-catch-up';
import { ViewerControlService } from './viewers/viewer-control.service';
import { ViewerRegistry } from './viewers/viewer.registry';

const JOB_REGISTRATION = Symbol('EXECUTION_JOB_REGISTRATION');

/**
 * Agent executions: the runner (registered as the executions queue's `execution` job), the
 * output log, the HTTP API and per-viewer stream control. Needs the app's PRISMA provider,
 * the WebsocketModule and the QueueModule's exports. Import it with
 * `ExecutionsModule.register(options)`.
 */
@Module({
  imports: [TaskAccessModule],
  controllers: [ExecutionsController],
  providers: [
    ClaudeEventsService,
    {
      provide: ExecutionStore,
      inject: [PRISMA],
      useFactory: (prisma: PrismaClient) => new ExecutionStore(prisma),
    },
    {
      provide: ExecutionOutputStore,
      inject: [PRISMA],
      useFactory: (prisma: PrismaClient) => new ExecutionOutputStore(prisma),
    },
    {
      provide: OutputPositions,
      inject: [PRISMA, ExecutionOutputStore],
      useFactory: (prisma: PrismaClient, output: ExecutionOutputStore) =>
        new OutputPositions(prisma, output),
    },
    {
      provide: ExecutionRunner,
      inject: [ExecutionStore, ExecutionOutputStore, ClaudeEventsService, EventTransactions, EXECUTIONS_OPTIONS],
      useFactory: (
        store: ExecutionStore,
        output: ExecutionOutputStore,
        events: ClaudeEventsService,
        transactions: EventTransactions,
        options: ExecutionsModuleOptions,
      ) => new ExecutionRunner(store, output, events, transactions, options.runner),
    },
    {
      provide: JOB_REGISTRATION,
      inject: [JobHandlerRegistry, ExecutionRunner],
      useFactory: (handlers: JobHandlerRegistry, runner: ExecutionRunner) =>
        handlers.register(EXECUTION_JOB, executionJobHandler(runner)),
    },
    {
      provide: ExecutionsService,
      inject: [
        ExecutionStore,
        ExecutionOutputStore,
        EventStore,
        TaskAccessService,
        ExecutionsQueue,
        ExecutionRunner,
        ClaudeEventsService,
        EventTransactions,
        EXECUTIONS_OPTIONS,
      ],
      useFactory: (
        store: ExecutionStore,
        output: ExecutionOutputStore,
        events: EventStore,
        access: TaskAccessService,
        queue: ExecutionsQueue,
        runner: ExecutionRunner,
        claudeEvents: ClaudeEventsService,
        transactions: EventTransactions,
        options: ExecutionsModuleOptions,
      ) =>
        new ExecutionsService(
          store,
          output,
          events,
          access,
          queue,
          runner,
          claudeEvents,
          transactions,
          options.profiles,
        ),
    },
    {
      provide: ViewerRegistry,
      inject: [StreamDispatcher],
      useFactory: (dispatcher: StreamDispatcher) => new ViewerRegistry(dispatcher),
    },
    {
      provide: ViewerCatchUp,
      inject: [StreamDispatcher, EventStore, OutputPositions, ViewerRegistry, EXECUTIONS_OPTIONS],
      useFactory: (
        dispatcher: StreamDispatcher,
        store: EventStore,
        positions: OutputPositions,
        registry: ViewerRegistry,
        options: ExecutionsModuleOptions,
      ) => new ViewerCatchUp(dispatcher, store, positions, registry, options.viewers),
    },
    {
      provide: SlowViewerGuard,
      inject: [StreamDispatcher, OutputPositions, ViewerRegistry, EXECUTIONS_OPTIONS, WebsocketObservers],
      useFactory: (
        dispatcher: StreamDispatcher,
        positions: OutputPositions,
        registry: ViewerRegistry,
        options: ExecutionsModuleOptions,
        observers: WebsocketObservers,
      ) =>
        new SlowViewerGuard(dispatcher, positions, registry, options.viewers, observers),
    },
    {
      provide: ViewerControlService,
      inject: [
        MessageHandlersRegistry,
        CommittedEvents,
        StreamDispatcher,
        OutputPositions,
        ViewerRegistry,
        ViewerCatchUp,
        SlowViewerGuard,
        EventFanout,
        SubscriptionService,
        ConnectionManagerService,
        EXECUTIONS_OPTIONS,
      ],
      useFactory: (
        handlers: MessageHandlersRegistry,
        committed: CommittedEvents,
        dispatcher: StreamDispatcher,
        positions: OutputPositions,
        registry: ViewerRegistry,
        catchUp: ViewerCatchUp,
        guard: SlowViewerGuard,
        fanout: EventFanout,
        subscriptions: SubscriptionService,
        connections: ConnectionManagerService,
        options: ExecutionsModuleOptions,
      ) =>
        // The namespace exists once the gateway attached it; read when used.
        new ViewerControlService(
          handlers,
          committed,
          dispatcher,
          positions,
          registry,
          catchUp,
          guard,
          {
            namespace: () => fanout.attachedNamespace,
            queue: (socket, task) => subscriptions.request(socket, task),
            onDisconnect: (hook) => connections.onDisconnect(hook),
          },
          options.viewers,
        ),
    },
  ],
  exports: [ClaudeEventsService, ExecutionRunner, ExecutionOutputStore],
})
export class ExecutionsModule extends ExecutionsConfigurableModule {}
