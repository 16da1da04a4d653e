import { z } from 'zod';
import type { EventEnvelope, StreamPosition } from './envelope';
import type { ErrorCode, ErrorPayload, RecoveryFailure } from './errors';
import { MAX_STREAM_NAME_LENGTH } from './streams';

/** Most streams one `subscribe` message may name. */
export const MAX_STREAMS_PER_REQUEST = 100;

export const StreamPositionSchema = z.strictObject({
  seq: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  epoch: z.string().uuid(),
});

export const SubscribeRequestSchema = z.strictObject({
  streams: z
    .array(
      z.strictObject({
        stream: z.string().min(1).max(MAX_STREAM_NAME_LENGTH),
        /** The last position the client saw; omit to start live from now. */
        position: StreamPositionSchema.optional(),
      }),
    )
    .min(1)
    .max(MAX_STREAMS_PER_REQUEST),
});
export type SubscribeRequest = z.infer<typeof SubscribeRequestSchema>;

export const UnsubscribeRequestSchema = z.strictObject({
  streams: z.array(z.string().min(1).max(MAX_STREAM_NAME_LENGTH)).min(1).max(MAX_STREAMS_PER_REQUEST),
});
export type UnsubscribeRequest = z.infer<typeof UnsubscribeRequestSchema>;

/**
 * The answer for one stream of a `subscribe`. On success the socket is subscribed and
 * `position` is where live delivery starts from.
 * - `recovered: true`: exactly `replayed` missed events follow (in `events` messages) before
 *   live ones; nothing is missing, nothing is repeated.
 * - `recovered: false` with `reason`: none of the missed events are sent; reload the
 *   stream's state over HTTP. Without a requested position, `recovered` is false and
 *   `reason` absent: the subscription simply starts live.
 */
export type SubscribeResult =
  | {
      stream: string;
      ok: true;
      position: StreamPosition;
      recovered: boolean;
      replayed: number;
      reason?: RecoveryFailure;
    }
  | { stream: string; ok: false; error: ErrorPayload };

export type Ack<T> = ({ ok: true } & T) | { ok: false; error: ErrorPayload };
export type SubscribeAck = Ack<{ results: SubscribeResult[] }>;
export type UnsubscribeAck = Ack<{ streams: string[] }>;

/** Sent just before the server closes a socket, so the client knows why and what to do. */
export interface DisconnectNotice {
  code: ErrorCode;
  message: string;
  reconnect: boolean;
  /** Suggested wait before reconnecting, in milliseconds. */
  retryAfterMs?: number;
}

export const RefreshTokenRequestSchema = z.strictObject({ token: z.string().min(1).max(8192) });
export type RefreshTokenRequest = z.infer<typeof RefreshTokenRequestSchema>;
/** `expiresAt`: the new expiry, in ms since the epoch. */
export type RefreshTokenAck = Ack<{ expiresAt: number }>;

/** Sent shortly before the socket's token expires: send `refresh_token` before `expiresAt`. */
export interface TokenExpiringNotice {
  /** Expiry of the current token, in ms since the epoch. */
  expiresAt: number;
  /** After this moment (ms since the epoch) the socket is disconnected with `token_expired`. */
  disconnectAt: number;
}

/** What `stream_control` does to this socket's delivery of one `execution:<id>` stream. */
export const STREAM_CONTROL_ACTIONS = ['pause', 'resume', 'tail'] as const;
export type StreamControlAction = (typeof STREAM_CONTROL_ACTIONS)[number];
/** Bytes before the end of the output where `tail` starts when the request names none. */
export const DEFAULT_TAIL_BYTES = 65_536;

export const StreamControlRequestSchema = z.strictObject({
  /** An `execution:<uuid>` stream this socket is subscribed to. */
  stream: z.string().min(1).max(MAX_STREAM_NAME_LENGTH),
  action: z.enum(STREAM_CONTROL_ACTIONS),
  /** `tail` only: start this many bytes before the end of the output. @default 65536 */
  bytes: z.number().int().min(0).max(2 ** 40).optional(),
});
export type StreamControlRequest = z.infer<typeof StreamControlRequestSchema>;

/**
 * Delivery of one stream to one socket: `live` (events as they happen), `paused` (nothing
 * is sent; the server remembers the position) or `catching_up` (events after `position` are
 * sent from the store at a bounded rate, then delivery turns live with no gap and no duplicate).
 */
export type ViewerState = 'live' | 'paused' | 'catching_up';

/**
 * `position`: the socket has (or, after `tail`, should consider itself to have) every event
 * up to `position.seq`; the next event sent is `position.seq + 1`. `offset`: the output
 * bytes before it, i.e. the log offset the next `execution.output` event starts at.
 */
export type StreamControlAck = Ack<{ stream: string; state: ViewerState; position: StreamPosition; offset: number }>;

/**
 * The server did not send events `fromSeq..toSeq` (inclusive) of `stream` to this socket,
 * and the next event it sends is `toSeq + 1`. Their output is bytes `[from, to)` of the log:
 * fetch it with `GET /executions/:id/output?from=&to=` and the other events with
 * `GET /executions/:id/events?after=fromSeq-1&upTo=toSeq`. `slow_consumer`: the socket's
 * outgoing buffer passed the limit; `history_expired`: a catch-up found them purged.
 */
export interface OutputSkippedNotice {
  stream: string;
  fromSeq: number;
  toSeq: number;
  from: number;
  to: number;
  reason: typeof ErrorCode.SlowConsumer | typeof ErrorCode.HistoryExpired;
}

/** Client-to-server messages (the Socket.IO `ClientToServerEvents` generic). */
export interface ClientToServerEvents {
  subscribe: (request: SubscribeRequest, ack: (answer: SubscribeAck) => void) => void;
  unsubscribe: (request: UnsubscribeRequest, ack: (answer: UnsubscribeAck) => void) => void;
  /**
   * Replaces the socket's token without reconnecting. The new token is verified fully and
   * must have the same subject; rooms and event flow continue untouched.
   */
  refresh_token: (request: RefreshTokenRequest, ack: (answer: RefreshTokenAck) => void) => void;
  /** Pauses, resumes or tails this socket's delivery of an execution stream it is subscribed to. */
  stream_control: (request: StreamControlRequest, ack: (answer: StreamControlAck) => void) => void;
}

/** Server-to-client messages (the Socket.IO `ServerToClientEvents` generic). */
export interface ServerToClientEvents {
  /**
   * One or more events, replayed or live, ascending `seq` within each stream. One message
   * may hold several streams' events (route each by its `stream`).
   */
  events: (events: EventEnvelope[]) => void;
  /** A request without an acknowledgement callback failed. */
  error: (error: ErrorPayload & { event?: string }) => void;
  /** The socket was removed from a stream (permission change). */
  access_revoked: (notice: { stream: string; code: ErrorCode; message: string }) => void;
  /** The server is about to close the socket for this reason. */
  disconnect_reason: (notice: DisconnectNotice) => void;
  /** The token expires soon; answer with `refresh_token`. */
  token_expiring: (notice: TokenExpiringNotice) => void;
  /** Events of an execution stream were skipped for this socket; backfill them over HTTP. */
  output_skipped: (notice: OutputSkippedNotice) => void;
}

/** Lists every key of an event map; the compiler rejects a missing or an extra name. */
const namesOf = <T>(names: { [K in keyof T]-?: true }): readonly (keyof T & string)[] =>
  Object.keys(names) as (keyof T & string)[];

/**
 * The names of the client-to-server messages, for code that needs them at run time (the
 * AsyncAPI drift test, a gateway rejecting unknown names).
 */
export const CLIENT_MESSAGES = namesOf<ClientToServerEvents>({
  subscribe: true,
  unsubscribe: true,
  refresh_token: true,
  stream_control: true,
});

/** The names of the server-to-client messages (see `CLIENT_MESSAGES`). */
export const SERVER_MESSAGES = namesOf<ServerToClientEvents>({
  events: true,
  error: true,
  access_revoked: true,
  disconnect_reason: true,
  token_expiring: true,
  output_skipped: true,
});

/** The name of the Socket.IO namespace the gateway listens on. */
export const EVENTS_NAMESPACE = '/events';
