import type { ClientToServerEvents } from '@taskdash/contract';
import type { RealtimeSocket } from './connection.supervisor';

type RequestOf<E extends keyof ClientToServerEvents> = Parameters<ClientToServerEvents[E]>[0];
type AnswerOf<E extends keyof ClientToServerEvents> = Parameters<Parameters<ClientToServerEvents[E]>[1]>[0];

/**
 * Sends a client-to-server message and resolves with the server's acknowledgement, or
 * rejects after `timeoutMs` or when the socket disconnects first. socket.io-client's
 * `timeout().emitWithAck()` loses the contract's answer type, so it is restored here.
 */
export function request<E extends keyof ClientToServerEvents>(
  socket: RealtimeSocket,
  event: E,
  payload: RequestOf<E>,
  timeoutMs: number,
): Promise<AnswerOf<E>> {
  const withTimeout = socket.timeout(timeoutMs) as unknown as {
    emitWithAck(event: E, payload: RequestOf<E>): Promise<AnswerOf<E>>;
  };
  return withTimeout.emitWithAck(event, payload);
}
