export { RealtimeClient } from './realtime.client';
export type { RealtimeSocket } from './connection.supervisor';
export { DEFAULT_RECONNECTION, DEFAULT_TOKEN_REFRESH } from './realtime-client.options';
export type {
  RealtimeClientOptions,
  ReconnectionOptions,
  TokenRefreshOptions,
} from './realtime-client.options';
export type {
  AccessRevokedNotice,
  ConnectionState,
  RealtimeClientEvents,
  ReloadNotice,
  ReloadReason,
  StateChange,
  StreamListener,
  SubscribeOptions,
  SubscriptionFailure,
  TokenExpiry,
  TokenProvider,
  TokenRefresh,
} from './realtime-client.types';
export { RealtimeException } from './realtime.exception';
export type { ClientErrorCode, ClientErrorPayload } from './realtime.exception';
export type { PositionStore, StorageLike } from './position-store.types';
export { MemoryPositionStore } from './memory-position.store';
export { LocalStoragePositionStore } from './local-storage-position.store';
export type { LocalStoragePositionStoreOptions } from './local-storage-position.store';
