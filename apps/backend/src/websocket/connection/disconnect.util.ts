import { ERROR_CODES, type ErrorCode } from '@taskdash/contract';
import type { AppSocket } from '../socket.types';

/**
 * Closes a socket after telling it why (`disconnect_reason`), since Socket.IO itself only
 * reports "io server disconnect". Engine.IO flushes the notice before closing.
 */
export function disconnectWithReason(socket: AppSocket, code: ErrorCode, message: string, retryAfterMs?: number): void {
  if (!socket.connected) return;
  socket.data.disconnectCode = code; // read by the disconnect metrics
  socket.emit('disconnect_reason', {
    code,
    message,
    reconnect: ERROR_CODES[code].reconnect,
    ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
  });
  socket.disconnect(true);
}
