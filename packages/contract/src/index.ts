export { ErrorCode, ERROR_CODES, RECOVERY_FAILURES } from './errors';
export type { ErrorCodeInfo, ErrorPayload, RecoveryFailure } from './errors';
export {
  parseStream,
  isUserId,
  taskStream,
  userStream,
  executionStream,
  queueStream,
  SYSTEM_STREAM,
  MAX_STREAM_NAME_LENGTH,
} from './streams';
export type { StreamKind, ParsedStream } from './streams';
export { TASK_STATUSES, TaskStatusSchema, TaskSnapshotSchema } from './task.types';
export type { TaskStatus, TaskSnapshot, TaskView } from './task.types';
export { EVENT_PAYLOAD_SCHEMAS, EVENT_TYPES, isEventType } from './events';
export { QUEUE_ACTIONS } from './job-events';
export type { EventType, EventPayloads } from './events';
export { SYSTEM_EVENT_PAYLOAD_SCHEMAS, ALERT_SEVERITIES, AlertSeveritySchema } from './system-events';
export type { AlertSeverity } from './system-events';
export {
  EXECUTION_EVENT_PAYLOAD_SCHEMAS,
  EXECUTION_END_STATUSES,
  OUTPUT_FDS,
  OUTPUT_FORMATS,
  MAX_EVENT_TEXT,
  MAX_OUTPUT_DATA,
} from './execution-events';
export type { ExecutionEndStatus, OutputFd, OutputFormat } from './execution-events';
export { EXECUTION_STATUSES } from './execution.types';
export type { ExecutionStatus, ExecutionSnapshot } from './execution.types';
export { JOB_LIST_STATES } from './queue.types';
export type { JobDetail, JobListState, JobPage, JobSummary, QueueSummary } from './queue.types';
export { isEvent } from './envelope';
export type { EventEnvelope, StreamPosition } from './envelope';
export {
  SubscribeRequestSchema,
  UnsubscribeRequestSchema,
  StreamPositionSchema,
  RefreshTokenRequestSchema,
  StreamControlRequestSchema,
  STREAM_CONTROL_ACTIONS,
  DEFAULT_TAIL_BYTES,
  MAX_STREAMS_PER_REQUEST,
  EVENTS_NAMESPACE,
  CLIENT_MESSAGES,
  SERVER_MESSAGES,
} from './messages';
export type {
  SubscribeRequest,
  UnsubscribeRequest,
  SubscribeResult,
  SubscribeAck,
  UnsubscribeAck,
  Ack,
  DisconnectNotice,
  ClientToServerEvents,
  ServerToClientEvents,
  RefreshTokenRequest,
  RefreshTokenAck,
  TokenExpiringNotice,
  StreamControlRequest,
  StreamControlAck,
  StreamControlAction,
  ViewerState,
  OutputSkippedNotice,
} from './messages';
