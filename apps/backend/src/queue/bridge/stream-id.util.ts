/** Position before every entry of a Redis stream. */
export const STREAM_START = '0-0';

/**
 * The Redis server time (ms) at which the entry `<ms>-<n>` was added. parseInt stops at
 * the '-', so no array is made (this runs for every bridged entry).
 */
export const streamIdTime = (id: string): number => parseInt(id, 10);
