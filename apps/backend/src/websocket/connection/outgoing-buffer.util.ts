import type { AppSocket } from '../socket.types';

interface EngineInternals {
  writeBuffer?: Array<{ data?: unknown }>;
  transport?: { socket?: { bufferedAmount?: number } };
}

/**
 * Bytes queued for a socket and not yet sent: Engine.IO's write buffer (packets waiting for
 * the transport) plus the WebSocket's own `bufferedAmount` (bytes waiting for the kernel).
 * Engine.IO keeps both unbounded (engine.io#420); this is what lets us bound them.
 */
export function outgoingBytes(socket: AppSocket): number {
  const conn = socket.conn as unknown as EngineInternals;
  let queued = 0;
  for (const packet of conn.writeBuffer ?? []) {
    const data = packet.data;
    queued += typeof data === 'string' ? data.length : data instanceof Buffer ? data.byteLength : 16;
  }
  return queued + (conn.transport?.socket?.bufferedAmount ?? 0);
}
