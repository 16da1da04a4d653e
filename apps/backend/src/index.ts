// The backend's public surface for code that runs inside it (a host application's own
// modules, job handlers, services that publish events): import from `@taskdash/backend`,
// not from internal paths, which may move.
export { AppModule, type AppModuleExtras } from './app.module';
export { configureApp, createApp } from './app.factory';
export { closeRuntime, openRuntime, type AppRuntime } from './app.runtime';
export { loadConfig, ConfigError, type AppConfig } from './config/app-config';
export { AppLogger } from './logging/app-logger';
export { EventTransactions, type EventTx } from './events/event-transactions.service';
export { EventPublisher, type PublishInput, type PublishOptions } from './events/event-publisher.service';
export { PublishException, type PublishErrorCode } from './events/publish.exception';
export { TaskEventsService } from './tasks/task-events.service';
export { QueueEventsService } from './queue/queue-events.service';
export { ClaudeEventsService } from './executions/claude-events.service';
export { SystemEventsService } from './monitoring/system-events.service';
export { JobHandlerRegistry } from './queue/job-handler.registry';
export { ExecutionsQueue } from './queue/executions-queue.service';
export type { ExecutionJob, ExecutionJobData, JobHandler } from './queue/execution-job.types';
