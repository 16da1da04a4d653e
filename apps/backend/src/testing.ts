// `@taskdash/backend/testing`: the internals that the benchmarks and the fault suite drive
// directly (a store without the app, the publisher in-process, a worker of their own), so
// that they reach the backend through one entry point instead of compiled paths. Not for
// application code, which uses `@taskdash/backend`.
export * from './index';
export { openPostgres } from './database/database.factory';
export { migrate } from './database/migrator';
export { EventStore } from './events/event-store';
export { DEFAULT_EVENTS_OPTIONS } from './events/events-options.types';
export { databaseExecutor, prismaExecutor } from './events/sql-executor';
export { collectProcessMetrics } from './monitoring/process-metrics.util';
export { WebsocketMetricsService } from './monitoring/websocket-metrics.service';
export { QueueBridge } from './queue/bridge/queue-bridge.service';
export { ExecutionWorker } from './queue/execution-worker.service';
export { ConnectionManagerService } from './websocket/connection/connection-manager.service';
export { EventFanout } from './websocket/delivery/event-fanout.service';
