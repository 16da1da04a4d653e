/** Replay on resubscribe. */
export interface ReplayOptions {
  /** Most missed events replayed; beyond it the answer is `too_many_missed`. @default 10000 */
  maxEvents: number;
  /** Events per `events` message while replaying. @default 500 */
  pageSize: number;
  /**
   * Replays running at once on one node; the rest wait their turn, so a reconnect storm
   * costs the database a bounded number of concurrent reads. @default 16
   */
  maxConcurrent: number;
}

/** What one socket (and one user, one IP) may do. */
export interface LimitOptions {
  /** Largest client message, in bytes of its JSON arguments. @default 65536 */
  maxMessageBytes: number;
  /** Sustained client messages per second per socket. @default 20 */
  messagesPerSecond: number;
  /** Burst of client messages per socket. @default 40 */
  messageBurst: number;
  /** Refused messages within 10 s after which the socket is disconnected. @default 20 */
  disconnectAfterRefusals: number;
  /** Concurrent connections of one user on one node. @default 20 */
  maxConnectionsPerUser: number;
  /** Sustained handshakes per second per IP address. @default 20 */
  connectionsPerSecondPerIp: number;
  /** Burst of handshakes per IP address. @default 50 */
  connectionBurstPerIp: number;
}

/** Token lifetime on a live socket. */
export interface TokenOptions {
  /** How long before expiry `token_expiring` is sent, in ms (at most half the token's life). @default 60000 */
  refreshWarningMs: number;
  /** How long after expiry an unrefreshed socket is disconnected, in ms. @default 5000 */
  expiryGraceMs: number;
}

export type { ConnectionOptions } from './connection/connection-manager.service';
import type { ConnectionOptions } from './connection/connection-manager.service';

/** Options of `WebsocketModule.forRoot`. */
export interface WebsocketModuleOptions {
  /** Browser origins allowed to connect (also for WebSocket upgrades); `*` allows any. */
  allowedOrigins: string[];
  replay: ReplayOptions;
  /**
   * How often each node compares the heads of its subscribed streams with the database,
   * so an event whose cross-node message was lost is still delivered. Only with several
   * nodes (`multiNode`): alone, a node gets every event in-process. @default 1000
   */
  headCheckIntervalMs: number;
  /** How long a stream stays tracked on a node after its last subscriber left, in ms. @default 30000 */
  streamLingerMs: number;
  /** Most streams one socket may subscribe to. @default 200 */
  maxSubscriptionsPerSocket: number;
  /** True when the Socket.IO Redis adapter connects several nodes. @default false */
  multiNode: boolean;
  /**
   * How stored events reach the other nodes (`EventFanout`): `interest` over one sharded
   * pub/sub channel per stream, `<keyPrefix>:ev:{<stream>}`, or `broadcast` to every node.
   * @default { mode: 'interest', keyPrefix: 'taskdash' }
   */
  fanout: { mode: 'interest' | 'broadcast'; keyPrefix: string };
  limits: LimitOptions;
  tokens: TokenOptions;
  connections: ConnectionOptions;
}

export const DEFAULT_WEBSOCKET_OPTIONS: Omit<WebsocketModuleOptions, 'allowedOrigins' | 'multiNode'> = {
  fanout: { mode: 'interest', keyPrefix: 'taskdash' },
  replay: { maxEvents: 10_000, pageSize: 500, maxConcurrent: 16 },
  headCheckIntervalMs: 1000,
  streamLingerMs: 30_000,
  maxSubscriptionsPerSocket: 200,
  limits: {
    maxMessageBytes: 65_536,
    messagesPerSecond: 20,
    messageBurst: 40,
    disconnectAfterRefusals: 20,
    maxConnectionsPerUser: 20,
    connectionsPerSecondPerIp: 20,
    connectionBurstPerIp: 50,
  },
  tokens: { refreshWarningMs: 60_000, expiryGraceMs: 5000 },
  connections: { maxOutgoingBytes: 1_048_576, slowConsumerCheckMs: 250, drainSpreadMs: 5000, reconnectJitterMs: 3000 },
};
