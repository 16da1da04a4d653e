import { Module, type DynamicModule } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { PRISMA } from '../database/database.types';
import type { PrismaClient } from '../generated/prisma/client';
import { ExecutionsQueue } from '../queue/executions-queue.service';
import { JobHandlerRegistry } from '../queue/job-handler.registry';
import { TaskAccessModule } from '../tasks/task-access.module';
import { TaskAccessService } from '../tasks/task-access.service';
import { ConnectionManagerService } from '../websocket/connection/connection-manager.service';
import { MessageHandlersRegistry } from '../websocket/connection/message-handlers.registry';
import { EventFanout } from '../websocket/delivery/event-fanout.service';
import { StreamDispatcher } from '../websocket/delivery/stream-dispatcher.service';
import { ClaudeEventsService } from '../websocket/events/claude-events.service';
import { EventPublisher } from '../websocket/persistence/event-publisher.service';
import { EventStore } from '../websocket/persistence/event-store';
import { SubscriptionService } from '../websocket/subscriptions/subscription.service';
import { ExecutionStore } from './execution.store';
import type { ExecutionsModuleOptions } from './executions-options.types';
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
 * the WebsocketModule and the QueueModule's exports.
 */
@Module({})
export class ExecutionsModule {
  static register(options: ExecutionsModuleOptions): DynamicModule {
    return {
      module: ExecutionsModule,
      imports: [TaskAccessModule],
      controllers: [ExecutionsController],
      providers: [
        ClaudeEventsService,
        { provide: ExecutionStore, inject: [PRISMA], useFactory: (prisma: PrismaClient) => new ExecutionStore(prisma) },
        { provide: ExecutionOutputStore, inject: [PRISMA], useFactory: (prisma: PrismaClient) => new ExecutionOutputStore(prisma) },
        {
          provide: OutputPositions,
          inject: [PRISMA, ExecutionOutputStore],
          useFactory: (prisma: PrismaClient, output: ExecutionOutputStore) => new OutputPositions(prisma, output),
        },
        {
          provide: ExecutionRunner,
          inject: [ExecutionStore, ExecutionOutputStore, ClaudeEventsService],
          useFactory: (store: ExecutionStore, output: ExecutionOutputStore, events: ClaudeEventsService) =>
            new ExecutionRunner(store, output, events, options.runner),
        },
        {
          provide: JOB_REGISTRATION,
          inject: [JobHandlerRegistry, ExecutionRunner],
          useFactory: (handlers: JobHandlerRegistry, runner: ExecutionRunner) => handlers.register(EXECUTION_JOB, executionJobHandler(runner)),
        },
        {
          provide: ExecutionsService,
          inject: [ExecutionStore, ExecutionOutputStore, EventStore, TaskAccessService, ExecutionsQueue, ExecutionRunner, ClaudeEventsService],
          useFactory: (
            store: ExecutionStore,
            output: ExecutionOutputStore,
            events: EventStore,
            access: TaskAccessService,
            queue: ExecutionsQueue,
            runner: ExecutionRunner,
            claudeEvents: ClaudeEventsService,
          ) => new ExecutionsService(store, output, events, access, queue, runner, claudeEvents, options.profiles),
        },
        { provide: ViewerRegistry, inject: [StreamDispatcher], useFactory: (dispatcher: StreamDispatcher) => new ViewerRegistry(dispatcher) },
        {
          provide: ViewerCatchUp,
          inject: [StreamDispatcher, EventStore, OutputPositions, ViewerRegistry],
          useFactory: (dispatcher: StreamDispatcher, store: EventStore, positions: OutputPositions, registry: ViewerRegistry) =>
            new ViewerCatchUp(dispatcher, store, positions, registry, options.viewers),
        },
        {
          provide: SlowViewerGuard,
          inject: [StreamDispatcher, OutputPositions, ViewerRegistry],
          useFactory: (dispatcher: StreamDispatcher, positions: OutputPositions, registry: ViewerRegistry) =>
            new SlowViewerGuard(dispatcher, positions, registry, options.viewers),
        },
        {
          provide: ViewerControlService,
          inject: [MessageHandlersRegistry, EventPublisher, StreamDispatcher, OutputPositions, ViewerRegistry, ViewerCatchUp, SlowViewerGuard, ModuleRef],
          useFactory: (
            handlers: MessageHandlersRegistry,
            publisher: EventPublisher,
            dispatcher: StreamDispatcher,
            positions: OutputPositions,
            registry: ViewerRegistry,
            catchUp: ViewerCatchUp,
            guard: SlowViewerGuard,
            moduleRef: ModuleRef,
          ) =>
            // The namespace, the socket queue and the disconnect hooks are the websocket module's; looked up when used.
            new ViewerControlService(handlers, publisher, dispatcher, positions, registry, catchUp, guard, {
              namespace: () => moduleRef.get(EventFanout, { strict: false }).attachedNamespace,
              queue: (socket, task) => moduleRef.get(SubscriptionService, { strict: false }).enqueue(socket, task),
              onDisconnect: (hook) => moduleRef.get(ConnectionManagerService, { strict: false }).onDisconnect(hook),
            }, options.viewers),
        },
      ],
      exports: [ClaudeEventsService, ExecutionRunner, ExecutionOutputStore],
    };
  }
}
