import { ErrorCode, type ErrorPayload } from '@taskdash/contract';
import type { AppSocket } from '../socket.types';
import type { LimitOptions } from '../websocket-options.types';
import { TokenBucket } from './token-bucket';

const REFUSAL_WINDOW_MS = 10_000;

type Callback = (answer: unknown) => void;

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
  constructor(private readonly limits: LimitOptions) {}

  install(socket: AppSocket, onAbuse: (socket: AppSocket) => void, onRefused?: (code: string) => void): void {
    const bucket = new TokenBucket(this.limits.messageBurst, this.limits.messagesPerSecond);
    const refusals: number[] = [];
    socket.use((packet, next) => {
      const [event, ...args] = packet as unknown[];
      const error = this.check(bucket, args);
      if (!error) return next();
      onRefused?.(error.code);
      const ack = typeof args[args.length - 1] === 'function' ? (args[args.length - 1] as Callback) : undefined;
      if (ack) ack({ ok: false, error });
      else socket.emit('error', { ...error, event: String(event).slice(0, 64) });
      const now = Date.now();
      refusals.push(now);
      while (refusals.length > 0 && refusals[0]! < now - REFUSAL_WINDOW_MS) refusals.shift();
      if (refusals.length >= this.limits.disconnectAfterRefusals) onAbuse(socket);
    });
  }

  private check(bucket: TokenBucket, args: unknown[]): ErrorPayload | undefined {
    if (!bucket.take()) return { code: ErrorCode.RateLimited, message: 'too many messages; slow down' };
    if (messageBytes(args) > this.limits.maxMessageBytes) {
      return { code: ErrorCode.MessageTooLarge, message: `messages are limited to ${this.limits.maxMessageBytes} bytes` };
    }
    return undefined;
  }
}
