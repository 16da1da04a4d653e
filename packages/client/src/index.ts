export { RealtimeClient } from './realtime.client';
export { DEFAULT_RECONNECTION } from './realtime-client.options';
export type { RealtimeClientOptions, ReconnectionOptions } from './realtime-client.options';
export type {
  AccessRevokedNotice,
  ConnectionState,
  RealtimeClientEvents,
  ReloadNotice,
  ReloadReason,
  StateChange,
  StreamListener,
  SubscriptionFailure,
  TokenProvider,
} from './realtime-client.types';
export { RealtimeException } from './realtime.exception';
export type { ClientErrorCode, ClientErrorPayload } from './realtime.exception';
export type { PositionStore, StorageLike } from './position-store.types';
export { MemoryPositionStore } from './memory-position.store';
export { LocalStoragePositionStore } from './local-storage-position.store';
export type { LocalStoragePositionStoreOptions } from './local-storage-position.store';
