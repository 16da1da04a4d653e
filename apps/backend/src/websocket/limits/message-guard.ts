import { ErrorCode, type ErrorPayload } from '@taskdash/contract';
import { disconnectWithReason } from '../connection/disconnect.util';
import type { AppSocket } from '../socket.types';
import type { LimitOptions } from '../websocket-options.types';
import { TokenBucket } from './token-bucket';

const REFUSAL_WINDOW_MS = 10_000;

type Callback = (answer: unknown) => void;

/** A socket's message rate limit, made on its first message: idle sockets hold none. */
export interface MessageBudget {
  bucket: TokenBucket;
  /** When its recent messages were refused; made on the first refusal. */
  refusals?: number[];
}

/** Size of a message's arguments as JSON bytes; deeply nested junk counts as too large. */
function messageBytes(args: unknown[]): number {
  try {
    return Buffer.byteLength(JSON.stringify(args) ?? '');
  } catch {
    return Number.POSITIVE_INFINITY;
  }
}

/**
 * Every client message passes here before any handler: a size limit and a per-socket token
 * bucket. A refused message is answered with `message_too_large` or `rate_limited` (on its
 * acknowledgement, else as an `error` event); a socket that keeps getting refused is
 * disconnected with `rate_limited`, so abuse costs the server almost nothing.
 */
export class MessageGuard {
  constructor(
    private readonly limits: LimitOptions,
    /** Observes every refusal by code (for metrics). */
    private readonly onRefused?: (code: string) => void,
  ) {}

  /** True when the message (`[event, ...args]`) may go on; otherwise it has been answered. */
  admit(socket: AppSocket, packet: unknown[]): boolean {
    const [event, ...args] = packet;
    const budget = (socket.data.budget ??= {
      bucket: new TokenBucket(this.limits.messageBurst, this.limits.messagesPerSecond),
    });
    const error = this.check(budget.bucket, args);
    if (!error) return true;
    this.onRefused?.(error.code);
    const ack = typeof args[args.length - 1] === 'function' ? (args[args.length - 1] as Callback) : undefined;
    if (ack) ack({ ok: false, error });
    else socket.emit('error', { ...error, event: String(event).slice(0, 64) });
    const now = Date.now();
    const refusals = (budget.refusals ??= []);
    refusals.push(now);
    while (refusals.length > 0 && refusals[0]! < now - REFUSAL_WINDOW_MS) refusals.shift();
    if (refusals.length >= this.limits.disconnectAfterRefusals) {
      disconnectWithReason(socket, ErrorCode.RateLimited, 'too many refused messages');
    }
    return false;
  }

  private check(bucket: TokenBucket, args: unknown[]): ErrorPayload | undefined {
    if (!bucket.take()) return { code: ErrorCode.RateLimited, message: 'too many messages; slow down' };
    if (messageBytes(args) > this.limits.maxMessageBytes) {
      return { code: ErrorCode.MessageTooLarge, message: `messages are limited to ${this.limits.maxMessageBytes} bytes` };
    }
    return undefined;
  }
}
