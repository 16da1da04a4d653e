/** The Socket.IO room of a stream. Prefixed so it can never clash with a socket id. */
export const streamRoom = (stream: string): string => `s:${stream}`;
export const roomStream = (room: string): string | undefined => (room.startsWith('s:') ? room.slice(2) : undefined);
