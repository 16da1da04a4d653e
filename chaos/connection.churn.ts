import { io } from 'socket.io-client';
import { sleep } from './chaos.util';

/**
 * `cycles` connect/subscribe/disconnect cycles against `urls`, `parallel` at a time, each
 * with a real socket.io-client. Every cycle is bounded (5 s); failures are counted.
 */
export async function churn(urls: string[], token: string, stream: string, cycles: number, parallel = 20): Promise<{ done: number; failed: number }> {
  let next = 0;
  let done = 0;
  let failed = 0;
  const one = (url: string) =>
    new Promise<boolean>((resolve) => {
      const socket = io(`${url}/events`, { transports: ['websocket'], reconnection: false, forceNew: true, auth: { token } });
      const timer = setTimeout(() => finish(false), 5000);
      const finish = (ok: boolean) => {
        clearTimeout(timer);
        socket.removeAllListeners();
        socket.disconnect();
        resolve(ok);
      };
      socket.once('connect', () => {
        socket.timeout(4000).emit('subscribe', { streams: [{ stream }] }, (error: unknown) => finish(!error));
      });
      socket.once('connect_error', () => finish(false));
    });
  await Promise.all(
    Array.from({ length: parallel }, async (_, worker) => {
      while (next < cycles) {
        next++;
        if (await one(urls[worker % urls.length]!)) done++;
        else {
          failed++;
          await sleep(20);
        }
      }
    }),
  );
  return { done, failed };
}
